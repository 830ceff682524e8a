package cards

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the migration records' buttons (issue 8). Stored in cards
// people have received: never rename one.
const (
	VerbEscalations       = "escalations"       // the escalations card
	VerbEscalationAck     = "escalationAck"     // acknowledge data.escalation
	VerbEscalationResolve = "escalationResolve" // resolve data.escalation with its resolution input
)

// EscalationKey is the data key naming an escalation on its buttons.
const EscalationKey = "escalation"

// ResolutionInput is the id of the resolution field of escalation id.
func ResolutionInput(id int) string { return "resolution-" + strconv.Itoa(id) }

// escalationButton is a button about escalation id of e.
func escalationButton(title, verb string, e *playbook.Engagement, id int) Element {
	d := ActionData{Engagement: e.ID, Version: e.Version}.data()
	d[EscalationKey] = id
	return Execute(title, verb, d)
}

// EscalationsView is what the escalations card shows.
type EscalationsView struct {
	List   []playbook.EscalationView // as playbook.Escalations orders them
	Notice string                    // what just changed, or ""
	// CanAct: the viewer is the single point of contact's role, so each
	// unresolved escalation gets Acknowledge and Resolve.
	CanAct bool
}

// Escalations lists e's escalations with their age, severity and state;
// for the point of contact, unresolved ones have Acknowledge (when open)
// and a resolution field with Resolve.
func Escalations(e *playbook.Engagement, v EscalationsView) *Card {
	body := []Element{Title(customer(e) + ": escalations")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, false))
	}
	contact, role, ok := playbook.SinglePointOfContact(e)
	who := "Nobody holds the " + string(role) + " role yet, so escalations wait for one: the lead gives it with **role @person " + string(role) + "**."
	if ok {
		who = "Single point of contact: **" + markdown.Escape(truncate(displayMember(contact), 60)) + "** (" + string(role) + "), who acknowledges and resolves them."
	}
	body = append(body, Subtle(who))
	if len(v.List) == 0 {
		body = append(body, Text("No escalations. Anyone in the engagement raises one with **escalate [low|medium|high|critical] \\<what is wrong\\>**."))
	}
	for i, x := range v.List {
		if i == maxListed {
			body = append(body, Subtle(fmt.Sprintf("and %d more, older and resolved.", len(v.List)-i)))
			break
		}
		state := string(x.State)
		switch x.State {
		case playbook.EscalationAcknowledged:
			state += " by " + memberName(e, x.AckBy)
		case playbook.EscalationResolved:
			state += " by " + memberName(e, x.ResolvedBy) + " on " + x.ResolvedAt.Format(day)
		}
		head := Element{{"type", "TextBlock"}, {"wrap", true}, {"weight", "Bolder"}, {"spacing", "Medium"},
			{"text", fmt.Sprintf("#%d %s, %s, %s", x.ID, x.Severity, state, age(x.Age))}}
		if x.State != playbook.EscalationResolved && (x.Severity == playbook.SeverityHigh || x.Severity == playbook.SeverityCritical) {
			head.Set("color", "Attention")
		}
		body = append(body, head,
			Text(markdown.Escape(truncate(x.Text, 400))),
			Subtle("Raised by "+truncate(memberName(e, x.By), 60)+" on "+x.At.Format(day+" 15:04")+" UTC"))
		if x.Resolution != "" {
			body = append(body, Subtle("Resolution: "+markdown.Escape(truncate(x.Resolution, 300))))
		}
		if !v.CanAct || x.State == playbook.EscalationResolved {
			continue
		}
		body = append(body, TextInput(ResolutionInput(x.ID), InputOpts{Label: fmt.Sprintf("How #%d was resolved", x.ID), Placeholder: "What was done"}, true, playbook.MaxReasonLen)...)
		var bs []Element
		if x.State == playbook.EscalationOpen {
			bs = append(bs, quiet(escalationButton("Acknowledge", VerbEscalationAck, e, x.ID)))
		}
		bs = append(bs, escalationButton("Resolve", VerbEscalationResolve, e, x.ID))
		body = append(body, Actions(bs...))
	}
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbEscalations, ActionData{Engagement: e.ID}))}
	return c
}

// displayMember is m's name as typed: escape it where Markdown renders it.
func displayMember(m playbook.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// age is how long ago, roughly: 40 min, 5 h, 3 days.
func age(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
