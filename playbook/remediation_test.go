package playbook

import (
	"os"
	"strings"
	"testing"
)

func TestMatchKnownError(t *testing.T) {
	tests := []struct {
		src    Source
		reason string
		want   string // "" for no match
	}{
		{IMAP, "AUTHENTICATE failed.", "imap-auth-failed"},
		{IMAP, "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)", "imap-auth-failed"},
		{IMAP, "Connection timed out connecting to imap.contoso.com:993", "imap-unreachable"},
		{IMAP, "The SSL handshake failed: certificate expired", "imap-tls"},
		{IMAP, "MailboxQuotaExceeded: mailbox is full", "mailbox-over-quota"},
		{IMAP, "Message too large to import (180 MB)", "imap-message-too-large"},
		{IMAP, "Target mailbox not found for ann@contoso.com", "target-mailbox-missing"},
		{IMAP, "429 Too Many Requests", "throttled"},
		{FileShare, `The path \\fs01\share\… is too long`, "path-too-long"},
		{Box, "Item name contains an invalid character: ':'", "invalid-characters"},
		{Dropbox, "File is too large: 300 GB exceeds the maximum file size", "file-too-large"},
		{FileShare, "Could not map SID S-1-5-21-… to a Microsoft 365 user", "permission-mapping"},
		{GoogleDrive, "Collaborator not found in the tenant: eve@gmail.com", "permission-mapping"},
		{GoogleDrive, "Access denied to the shared drive", "source-access-denied"},
		{Box, "OneDrive not provisioned for ann@contoso.com", "onedrive-not-provisioned"},
		{GoogleDrive, "Failed to export Google Sheets file: too large to convert", "google-native-export"},
		{Box, "Box Note conversion failed", "box-notes"},
		{Dropbox, "Cannot convert Dropbox Paper document", "dropbox-paper"},
		{FileShare, "The process cannot access the file because it is being used by another process", "file-locked"},
		{IMAP, "path too long", ""}, // a content error, not for IMAP
		{Box, "something nobody has seen before", ""},
		{Box, "   ", ""},
	}
	for _, tt := range tests {
		k, ok := MatchKnownError(tt.reason, KnownErrors(tt.src))
		if got := map[bool]string{true: k.ID}[ok]; got != tt.want {
			t.Errorf("%s %q matched %q, want %q", tt.src, tt.reason, got, tt.want)
		}
	}
}

func TestKnownErrorSubstringAndCustomTables(t *testing.T) {
	known := []KnownError{
		{ID: "custom", Pattern: "Legal Hold", Meaning: "m", Remediation: "r", Remediates: Customer},
		{ID: "bad-re", Pattern: "([", Regexp: true, Meaning: "m", Remediation: "r", Remediates: MST},
	}
	if k, ok := MatchKnownError("item under LEGAL HOLD", known); !ok || k.ID != "custom" {
		t.Errorf("substring match = %v %v", k, ok)
	}
	if _, ok := MatchKnownError("([", known[1:]); ok {
		t.Error("an invalid pattern matched")
	}
	wantErr(t, ValidateKnownErrors(known), EINVALID, "bad-re", "not a regular expression")
	for _, tt := range []struct {
		k    KnownError
		want string
	}{
		{KnownError{ID: "Bad ID", Pattern: "x", Meaning: "m", Remediation: "r", Remediates: MST}, "id must be unique"},
		{KnownError{ID: "x", Meaning: "m", Remediation: "r", Remediates: MST}, "no pattern"},
		{KnownError{ID: "x", Pattern: "x", Remediation: "r", Remediates: MST}, "meaning and a remediation"},
		{KnownError{ID: "x", Pattern: "x", Meaning: "m", Remediation: "r", Remediates: "Boss"}, `"Boss" is not a role`},
		{KnownError{ID: "x", Pattern: "x", Meaning: "m", Remediation: "r", Remediates: MST, Sources: []Source{"Lotus"}}, "unknown or listed twice"},
	} {
		wantErr(t, ValidateKnownErrors([]KnownError{tt.k}), EINVALID, tt.want)
	}
	if err := ValidateKnownErrors(append(KnownErrors(), KnownErrors()[0])); ErrorCode(err) != EINVALID {
		t.Errorf("duplicate id accepted: %v", err)
	}
	if len(KnownErrors()) != len(knownErrorTable) || len(KnownErrors(IMAP)) >= len(KnownErrors()) {
		t.Error("KnownErrors filters wrongly")
	}
	if _, ok := KnownErrorByID("nope"); ok {
		t.Error("KnownErrorByID(nope)")
	}
}

// knownErrorsDoc renders the table as docs/known-errors.md shows it.
func knownErrorsDoc() string {
	var b strings.Builder
	b.WriteString("| id | sources | pattern | meaning | remediation | who |\n|---|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, k := range knownErrorTable {
		src := "all"
		if len(k.Sources) > 0 {
			src = joinSources(k.Sources)
		}
		pat := "`" + cell(k.Pattern) + "`"
		if k.Regexp {
			pat += " (regexp)"
		}
		b.WriteString("| `" + k.ID + "` | " + src + " | " + pat + " | " + cell(k.Meaning) + " | " + cell(k.Remediation) + " | " + string(k.Remediates) + " |\n")
	}
	return b.String()
}

// TestKnownErrorsDocs keeps docs/known-errors.md in step with the table.
func TestKnownErrorsDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/known-errors.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	if want := knownErrorsDoc(); !strings.Contains(string(b), want) {
		t.Errorf("docs/known-errors.md does not contain the current table:\n\n%s", want)
	}
}
