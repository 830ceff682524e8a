package schema

import (
	"strings"
	"testing"
)

func TestValidateCard(t *testing.T) {
	tests := []struct {
		name, card string
		wantErr    string // fragment; "" means valid
	}{
		{"minimal", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"hi"}]}`, ""},
		{"execute with refresh", `{"type":"AdaptiveCard","version":"1.5","refresh":{"action":{"type":"Action.Execute","verb":"r"},"userIds":["29:1"]},"body":[],"actions":[{"type":"Action.Execute","title":"Go","verb":"go","data":{"x":1}}]}`, ""},
		{"unknown element", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Input.Bogus"}]}`, "body"},
		{"unknown action", `{"type":"AdaptiveCard","version":"1.5","actions":[{"type":"Action.Http"}]}`, "actions"},
		{"root without type", `{"version":"1.5","body":[]}`, "AdaptiveCard"},
		{"root without version", `{"type":"AdaptiveCard","body":[]}`, "version"},
		{"not json", `{`, "JSON"},
		{"teams full width", `{"type":"AdaptiveCard","version":"1.5","body":[],"msteams":{"width":"Full"}}`, ""},
		{"teams mention entities", `{"type":"AdaptiveCard","version":"1.5","body":[],"msteams":{"entities":[{"type":"mention","text":"<at>Vi</at>"}]}}`, ""},
		{"teams other width", `{"type":"AdaptiveCard","version":"1.5","body":[],"msteams":{"width":"Wide"}}`, "msteams"},
		{"teams unknown key", `{"type":"AdaptiveCard","version":"1.5","body":[],"msteams":{"height":"Full"}}`, "msteams"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCard([]byte(tt.card))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ValidateCard(%s) = %v, want valid", tt.card, err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("ValidateCard(%s) = nil, want error containing %q", tt.card, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("ValidateCard(%s) = %v, want error containing %q", tt.card, err, tt.wantErr)
			}
		})
	}
}

func TestValidateManifestRejectsWrongVersion(t *testing.T) {
	// The draft-07 override makes the schema's const on manifestVersion bite.
	err := ValidateManifest([]byte(`{"manifestVersion":"1.5"}`))
	if err == nil || !strings.Contains(err.Error(), "manifestVersion") {
		t.Fatalf("ValidateManifest(old version) = %v, want a manifestVersion error", err)
	}
}
