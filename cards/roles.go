package cards

import (
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// maxListed bounds the rows of one list on a card, so that every card stays
// far below Teams' 28 KB.
const maxListed = 25

// Roles lists the engagement's members and their roles, and which roles
// nobody holds yet. notice, when not empty, says what just changed.
func Roles(e *playbook.Engagement, notice string) *Card {
	body := []Element{Title("People in " + e.Customer)}
	if notice != "" {
		body = append(body, Notice(notice, false))
	}
	var facts []Fact
	for i, m := range e.Members {
		if i == maxListed {
			facts = append(facts, Fact{"…", "and " + itoa(len(e.Members)-i) + " more"})
			break
		}
		rs := make([]string, len(m.Roles))
		for j, r := range m.Roles {
			rs[j] = string(r)
		}
		v := strings.Join(rs, ", ")
		if m.Lead {
			v += " (lead)"
		}
		name := m.Name
		if name == "" {
			name = m.ID
		}
		facts = append(facts, Fact{truncate(name, 60), v})
	}
	body = append(body, Facts(facts...))
	var missing []string
	for _, r := range playbook.Roles() {
		if r == playbook.MVM && !hasIMAP(e) {
			continue
		}
		if len(e.Holders(r)) == 0 {
			missing = append(missing, string(r))
		}
	}
	if len(missing) > 0 {
		body = append(body, Text("Nobody holds **"+strings.Join(missing, ", ")+"** yet: their tasks wait for someone."))
	}
	body = append(body, Subtle("The lead or the MVM assigns roles: **role @person FRP** gives one, **role @person -FRP** takes it away, **lead @person** hands over the lead. Roles: FRP, Customer, MST, MVM (IMAP engagements only)."))
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbRoles, ActionData{Engagement: e.ID}))}
	return c
}

func hasIMAP(e *playbook.Engagement) bool {
	for _, s := range e.Sources {
		if s == playbook.IMAP {
			return true
		}
	}
	return false
}
