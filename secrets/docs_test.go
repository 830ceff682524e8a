package secrets

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// docTable renders the rules as docs/questionnaire.md shows them.
func docTable() string {
	var b strings.Builder
	b.WriteString("| # | rule id | origin | what it finds |\n|---|---|---|---|\n")
	for i, r := range table {
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s |\n", i+1, r.ID, r.Origin, r.Description)
	}
	return b.String()
}

// TestDocsRules keeps docs/questionnaire.md in step with the rule set.
func TestDocsRules(t *testing.T) {
	b, err := os.ReadFile("../docs/questionnaire.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	if want := docTable(); !strings.Contains(string(b), want) {
		t.Errorf("docs/questionnaire.md does not contain the current rules:\n\n%s", want)
	}
}
