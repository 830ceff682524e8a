package playbook

import (
	"os"
	"regexp"
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

// TestPlaybookDocsQuoteSeeds keeps docs/playbook.md from putting words in
// the seeds' mouth: every quotation in a paragraph that names the seeds is
// in the seed documents, word for word (an ellipsis may join two exact
// parts). The seeds are not in the repository: the test runs when
// MVMBOT_SEEDS names the folder that holds them.
func TestPlaybookDocsQuoteSeeds(t *testing.T) {
	dir := os.Getenv("MVMBOT_SEEDS")
	if dir == "" {
		t.Skip("MVMBOT_SEEDS is not set")
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var seeds strings.Builder
	for _, e := range ents {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		seeds.Write(b)
		seeds.WriteByte(' ')
	}
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	all := norm(seeds.String())
	doc, err := os.ReadFile("../docs/playbook.md")
	if err != nil {
		t.Fatal(err)
	}
	// A quotation of the seeds follows the word "seed" closely, with no
	// other quotation between.
	quoted := regexp.MustCompile(`(?is)\bseed(?:s|'s)?\b[^"|]{0,160}"([^"]+)"`)
	quotes := 0
	for _, m := range quoted.FindAllStringSubmatch(string(doc), -1) {
		for _, frag := range strings.Split(m[1], "…") {
			if f := norm(frag); f != "" && !strings.Contains(all, f) {
				t.Errorf("docs/playbook.md quotes the seeds with words they do not have: %q", frag)
			}
		}
		quotes++
	}
	if quotes == 0 {
		t.Error("no quotation of the seeds found; the test reads nothing")
	}
}
