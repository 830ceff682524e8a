package playbook

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// questionnaireDocTable renders the fields as docs/questionnaire.md shows
// them.
func questionnaireDocTable() string {
	var b strings.Builder
	for _, s := range qSections {
		applies := "every engagement"
		switch {
		case len(s.Sources) > 0:
			applies = "engagements with " + joinOr(s.Sources)
		case s.Condition == IfOnPremExchange:
			applies = "engagements with on-premises Exchange"
		}
		fmt.Fprintf(&b, "### %s (`%s`, %s)\n\n", s.Title, s.ID, applies)
		b.WriteString("| id | label | type | required | validation | why |\n|---|---|---|---|---|---|\n")
		for _, f := range qFields {
			if f.Section != s.ID {
				continue
			}
			req := "no"
			if f.Required {
				req = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", f.ID, f.Label, f.Type, req, docRules(f), f.Why)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func docRules(f Field) string {
	var r []string
	switch f.Type {
	case TypeNumber, TypeInteger:
		r = append(r, fmt.Sprintf("%s to %s", formatNumber(f.Min), formatNumber(f.Max)))
	case TypeChoice, TypeMultiChoice:
		var os []string
		for _, o := range f.Options {
			os = append(os, "`"+o.Value+"` "+o.Title)
		}
		r = append(r, "one of: "+strings.Join(os, "; "))
	case TypeText, TypeLongText, TypeDates:
		r = append(r, fmt.Sprintf("at most %s characters", formatNumber(float64(f.MaxLength()))))
	}
	if f.Default != "" {
		r = append(r, "default "+f.Default)
	}
	if f.Future {
		r = append(r, "not in the past (unless unchanged since the last version), at most 5 years ahead")
	}
	if f.After != "" {
		r = append(r, "after `"+f.After+"`")
	}
	if f.AtMost != "" {
		r = append(r, "at most `"+f.AtMost+"`")
	}
	if f.AtLeast != "" {
		r = append(r, "at least `"+f.AtLeast+"`")
	}
	if f.PartOf != "" {
		r = append(r, "with the other sources' volumes, at most `"+f.PartOf+"`")
	}
	if f.ID == "imap-host" {
		r = append(r, "not an Outlook.com or Microsoft 365 host")
	}
	if f.ID == "imap-auth" {
		r = append(r, "`app-password` for Gmail hosts and only for them")
	}
	if len(r) == 0 {
		return "format of the type"
	}
	return strings.Join(r, "; ")
}

// TestQuestionnaireDocs keeps docs/questionnaire.md in step with the fields:
// change a field, run the test, paste the tables it prints.
func TestQuestionnaireDocs(t *testing.T) {
	b, err := os.ReadFile("../docs/questionnaire.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	if want := questionnaireDocTable(); !strings.Contains(string(b), want) {
		t.Errorf("docs/questionnaire.md does not contain the current fields:\n\n%s", want)
	}
}
