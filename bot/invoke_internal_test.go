package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestInvokeErrorIsDocumented: a failed card action is answered only with
// the types and codes Universal Actions documents (400 or 500
// application/vnd.microsoft.error, or a message), and without Markdown,
// which Teams would show as it is.
func TestInvokeErrorIsDocumented(t *testing.T) {
	for _, tt := range []struct {
		code, wantType string
		wantStatus     int
	}{
		{playbook.EINVALID, "application/vnd.microsoft.error", 400},
		{playbook.EFORBIDDEN, "application/vnd.microsoft.activity.message", 200},
		{playbook.ENOTFOUND, "application/vnd.microsoft.activity.message", 200},
		{playbook.ECONFLICT, "application/vnd.microsoft.activity.message", 200},
		{playbook.EINTERNAL, "application/vnd.microsoft.error", 500},
		{"unknown", "application/vnd.microsoft.error", 500},
	} {
		r := invokeError(tt.code, "Type **next** or `status` for a fresh card.")
		raw, err := json.Marshal(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			StatusCode int    `json:"statusCode"`
			Type       string `json:"type"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if r.Status != 200 || got.StatusCode != tt.wantStatus || got.Type != tt.wantType {
			t.Errorf("%s: HTTP %d, body %s", tt.code, r.Status, raw)
		}
		if strings.ContainsAny(string(raw), "*`") || !strings.Contains(string(raw), "Type next or status for a fresh card.") {
			t.Errorf("%s: Markdown left in %s", tt.code, raw)
		}
	}
}
