package playbook

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// docTable renders the task table as docs/playbook.md shows it.
func docTable() string {
	var b strings.Builder
	b.WriteString("| # | key | playbook id | phase | task | owner | applies to | may be N/A | needs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for i, t := range table {
		ids := t.IDList()
		if ids == "" {
			ids = "—"
		}
		owner := string(t.Owner)
		if t.Owner == MVM {
			owner = "MVM (else MST)"
		}
		if len(t.Helpers) > 0 {
			owner += ", helped by " + joinRoles(t.Helpers)
		}
		applies := "all"
		if len(t.Sources) > 0 {
			applies = joinSources(t.Sources)
		}
		switch t.Condition {
		case IfOnPremExchange:
			applies = "on-premises Exchange"
		case IfMail:
			applies = "mail (IMAP or on-premises Exchange)"
		}
		skip := "no"
		switch {
		case t.Optional:
			skip = "yes (optional)"
		case t.Skippable():
			skip = "yes (conditional)"
		}
		needs := "—"
		if len(t.Needs) > 0 {
			needs = strings.Join(collapse(t.Needs), ", ")
		}
		b.WriteString("| " + strings.Join([]string{strconv.Itoa(i + 1), "`" + t.Key + "`", ids, string(t.Phase), t.Title, owner, applies, skip, needs}, " | ") + " |\n")
	}
	return b.String()
}

// collapse writes needs on every source's workshop (or inventory task) as
// one wildcard, as a person reads it.
func collapse(needs []string) []string {
	var out []string
	for _, n := range needs {
		for _, prefix := range []string{"workshop-", "inventory-"} {
			all := true
			for _, t := range table {
				if strings.HasPrefix(t.Key, prefix) && !slices.Contains(needs, t.Key) {
					all = false
				}
			}
			if all && strings.HasPrefix(n, prefix) {
				n = prefix + "*"
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// TestDocsTable keeps docs/playbook.md in step with the table: change the
// table, run the test, paste the table it prints.
func TestDocsTable(t *testing.T) {
	b, err := os.ReadFile("../docs/playbook.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	if want := docTable(); !strings.Contains(string(b), want) {
		t.Errorf("docs/playbook.md does not contain the current task table:\n\n%s", want)
	}
}
