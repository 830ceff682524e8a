package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestReportingFeed walks the feed key's life through the endpoint: made in
// the personal chat and shown once, never stored as given, the feed read
// with it as JSON and CSV, refused without it, rotated and revoked.
func TestReportingFeed(t *testing.T) {
	h := newHarness(t, harnessOpts{inline: true})
	now := time.Now()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-feed", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:feed@thread.tacv2",
	}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.Members = append(e.Members, playbook.Member{ID: "29:user-1", Name: "Pat", Roles: []playbook.Role{playbook.MVM}})
	e.Version = 1
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}

	get := func(path, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	keyRE := regexp.MustCompile("`(mvmf_[A-Za-z0-9_-]+)`")
	newKey := func(id string) string {
		t.Helper()
		n := len(h.conn.Calls())
		if s, _ := h.post(h.message(id, "feed new e-feed"), ""); s != 200 {
			t.Fatalf("feed new: status %d", s)
		}
		calls := h.conn.WaitCalls(n+1, 10*time.Second)
		text, _ := calls[len(calls)-1].Activity()["text"].(string)
		m := keyRE.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no key in the reply %q", text)
		}
		return m[1]
	}

	if s, _ := get("/api/reports/e-feed.json", ""); s != 401 {
		t.Errorf("feed without a key: %d, want 401", s)
	}
	key := newKey("f1")
	h.srv.Wait()
	stored, err := h.db.Engagement(context.Background(), "e-feed")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(stored)
	if strings.Contains(string(raw), key) {
		t.Fatal("the feed key is stored as given")
	}
	if n, _ := h.db.Pending(context.Background()); n != 0 {
		t.Errorf("%d jobs pending: the key's reply must not wait in the store", n)
	}

	status, body := get("/api/reports/e-feed.json", key)
	if status != 200 || !json.Valid([]byte(body)) || !strings.Contains(body, "Contoso") {
		t.Errorf("JSON feed: %d %.200s", status, body)
	}
	if status, body := get("/api/reports/e-feed.csv?key="+key, ""); status != 200 || !strings.Contains(body, ",") {
		t.Errorf("CSV feed: %d %.200s", status, body)
	}
	for name, path := range map[string]string{
		"wrong key":        "/api/reports/e-feed.json?key=mvmf_wrong",
		"other engagement": "/api/reports/e-other.json?key=" + key,
		"unknown format":   "/api/reports/e-feed.xml?key=" + key,
		"no format":        "/api/reports/e-feed?key=" + key,
	} {
		if s, _ := get(path, ""); s != 401 && s != 404 {
			t.Errorf("%s: %d, want 401 or 404", name, s)
		}
	}

	rotated := newKey("f2")
	if s, _ := get("/api/reports/e-feed.json", key); s != 401 {
		t.Errorf("old key after rotation: %d, want 401", s)
	}
	if s, _ := get("/api/reports/e-feed.json", rotated); s != 200 {
		t.Errorf("new key after rotation: %d, want 200", s)
	}
	if s, _ := h.post(h.message("f3", "feed revoke e-feed"), ""); s != 200 {
		t.Fatal("feed revoke")
	}
	h.srv.Wait()
	h.drain() // the revoke's answer goes out through a job
	if s, _ := get("/api/reports/e-feed.json", rotated); s != 401 {
		t.Errorf("revoked key: %d, want 401", s)
	}

	// Not in a channel, and not for someone else's engagement.
	ch := h.message("f4", "feed new e-feed")
	ch["conversation"] = map[string]any{"id": "19:feed@thread.tacv2;messageid=1", "conversationType": "channel", "tenantId": "tenant-1"}
	n := len(h.conn.Calls())
	h.post(ch, "")
	h.srv.Wait()
	calls := h.conn.WaitCalls(n+1, 10*time.Second)
	if text, _ := calls[len(calls)-1].Activity()["text"].(string); !strings.Contains(text, "personal chat") || keyRE.MatchString(text) {
		t.Errorf("feed in a channel answered %q", text)
	}
	stranger := h.message("f5", "feed new e-feed")
	stranger["from"] = map[string]any{"id": "29:stranger", "name": "Sam"}
	n = len(h.conn.Calls())
	h.post(stranger, "")
	h.srv.Wait()
	calls = h.conn.WaitCalls(n+1, 10*time.Second)
	if text, _ := calls[len(calls)-1].Activity()["text"].(string); keyRE.MatchString(text) || !strings.Contains(text, "no engagement") {
		t.Errorf("a stranger's feed new answered %q", text)
	}
}
