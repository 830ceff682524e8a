package cards

import (
	"strings"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// maxListed bounds the rows of one list on a card, so that every card stays
// far below Teams' 28 KB.
const maxListed = 25

// VerbLead hands the lead to the member chosen in LeadInput (the roles
// card's "Hand over the lead…"). Stored in cards people have: never
// renamed.
const VerbLead = "lead"

// LeadInput is the id of the roles card's choice of the new lead; its
// value is a member's Teams id.
const LeadInput = "lead"

// Roles lists the engagement's members and their roles, and which roles
// nobody holds yet. notice, when not empty, says what just changed.
// viewerID is the person the card answers: when they may hand over the
// lead (playbook.Can), the card offers it.
func Roles(e *playbook.Engagement, notice, viewerID string) *Card {
	body := []Element{Title("People in " + customer(e))}
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
		facts = append(facts, Fact{markdown.Escape(truncate(name, 60)), v})
	}
	body = append(body, Facts(facts...))
	var missing []string
	for _, r := range playbook.Roles() {
		if r == playbook.MVM && !playbook.MVMApplies(e) {
			continue
		}
		if len(e.Holders(r)) == 0 {
			missing = append(missing, string(r))
		}
	}
	if len(missing) > 0 {
		body = append(body, Text("Nobody holds **"+strings.Join(missing, ", ")+"** yet: their tasks wait for someone."))
	}
	body = append(body, Subtle("The lead or the MVM assigns roles: **role @person FRP** gives one, **role @person -FRP** takes it away, **lead @person** hands over the lead. Roles: FRP, Customer, MST, MVM (IMAP engagements and customers outside the commercial segment). The lead is an FRP, MST or MVM, never the customer."))
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbRoles, ActionData{Engagement: e.ID}))}
	if a := leadAction(e, viewerID); a != nil {
		c.Actions = append(c.Actions, a)
	}
	return c
}

// leadAction is the form handing over the lead, for a viewer who may and
// an engagement with someone to hand it to; nil otherwise.
func leadAction(e *playbook.Engagement, viewerID string) Element {
	if e.IsClosed() || playbook.Can(e, viewerID, playbook.ActionSetLead, nil) != nil {
		return nil
	}
	var choices []Choice
	for _, m := range e.Members {
		if m.Lead || !m.CanLead() {
			continue
		}
		name := m.Name
		if name == "" {
			name = m.ID
		}
		choices = append(choices, Choice{truncate(name, 60), m.ID})
	}
	if len(choices) == 0 {
		return nil
	}
	pick := ChoiceInput(LeadInput, InputOpts{Label: "Who leads the engagement from now on?", Required: true}, choices, false)
	return showCard("Hand over the lead…", pick, Button("Make lead", VerbLead, ActionData{Engagement: e.ID, Version: e.Version}))
}
