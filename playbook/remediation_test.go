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
		{IMAP, "Error: We had trouble signing in to this account. Confirm that you're using the correct user name and password.", "imap-auth-failed"},
		{IMAP, "A recipient wasn't found for ann@contoso.com on the target. Create a recipient of the appropriate type for this migration on the target and try again.", "target-mailbox-missing"},
		{IMAP, "The connection to the server imap.fabrikam.com timed out after 00:00:15.", "imap-unreachable"},
		{FileShare, `0x0111000B Path is too long. \\fs01\share\…`, "path-too-long"},
		{Box, "MFILELOCKED", "file-locked"},
		{GoogleDrive, "0X0201000F Invalid site URL.", "onedrive-not-provisioned"},
		{IMAP, "0x0111000B Path is too long.", ""}, // a content error, not for IMAP
		{FileShare, "We had trouble signing in to this account.", ""},
		{FileShare, "MTHROTTLE", ""}, // a connector code: cloud sources only
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

// TestKnownErrorsOfficialWording holds every known error to Microsoft's
// wording: each official text or code it quotes matches it first, for each
// of its sources, and near misses (words that merely contain the pattern's
// words, other products' messages, the old invented phrases) match nothing.
func TestKnownErrorsOfficialWording(t *testing.T) {
	for _, k := range knownErrorTable {
		if len(k.Official) == 0 || !strings.HasPrefix(k.Doc, "https://learn.microsoft.com/") || len(k.Sources) == 0 {
			t.Errorf("%s: every built-in known error quotes Microsoft's text, cites learn.microsoft.com and names its sources", k.ID)
		}
		for _, src := range k.Sources {
			for _, o := range k.Official {
				if got, ok := MatchKnownError(o, KnownErrors(src)); !ok || got.ID != k.ID {
					t.Errorf("%s %q matched %q, want %s", src, o, got.ID, k.ID)
				}
			}
		}
	}
	nearMisses := []string{
		"The account is blocked", "File unlocked by the owner", "locked", "The file is in use",
		"AUTHENTICATE failed.", "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)", "Access denied",
		"OneDrive not provisioned for ann@contoso.com", "personal site not found", "mysite",
		"Message too large to import (180 MB)", "mailbox quota", "The mailbox is full of spam",
		"connection refused", "certificate expired", "SSL handshake failed", "429 Too Many Requests", "server busy",
		"Item name contains an invalid character: ':'", "path length 120", "The file is too large",
		"Could not map SID S-1-5-21", "Box Note conversion failed", "Cannot convert Dropbox Paper document",
		"0x0111000BB", "x0x0131000F", "MFILELOCKEDX", "PFAILURE", "A recipient was found for ann@contoso.com",
	}
	for _, src := range Sources() {
		for _, m := range nearMisses {
			if k, ok := MatchKnownError(m, KnownErrors(src)); ok {
				t.Errorf("%s near miss %q matched %s", src, m, k.ID)
			}
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
	b.WriteString("| id | sources | Microsoft's text or code | pattern | meaning | remediation | who | source |\n|---|---|---|---|---|---|---|---|\n")
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
		official := make([]string, len(k.Official))
		for i, o := range k.Official {
			official[i] = "`" + cell(o) + "`"
		}
		b.WriteString("| `" + k.ID + "` | " + src + " | " + strings.Join(official, "<br>") + " | " + pat + " | " + cell(k.Meaning) + " | " + cell(k.Remediation) + " | " + string(k.Remediates) + " | " + k.Doc + " |\n")
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
