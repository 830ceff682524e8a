package cards

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// MaxRefreshUsers is the most users Teams refreshes a card for
// automatically (refresh.userIds).
const MaxRefreshUsers = 60

// NextView is what the task card shows: one person's next steps in one
// engagement (a channel or group chat) or in each of theirs (personal chat).
type NextView struct {
	PersonID string // whose view: the buttons shown are those they may use
	Name     string
	Sections []*playbook.Engagement
	// Notice says what just happened ("1699 is done.") or why nothing did;
	// Attention colours it as a refusal.
	Notice    string
	Attention bool
	// Undo, when set, offers to reopen the task just marked.
	Undo *ActionData
	// Personal is true in the 1:1 chat: the refresh asks for every
	// engagement of the person, and sections name their engagement.
	Personal bool
	// Compact is the personal overview of several engagements: what the
	// person can do now comes first, and each engagement's waiting tasks
	// are one line with a button that shows them in full.
	Compact bool
}

// Next is the task card: for each engagement, the person's ready tasks,
// each with a Done button (and, for optional or conditional ones, a
// not-applicable form), then the tasks still waiting with what they wait
// for. Its refresh gives each member their own view (Universal Actions),
// for at most MaxRefreshUsers members.
func Next(v NextView) *Card {
	title := "Your next steps"
	if v.Name != "" {
		title = "Next steps for " + markdown.Escape(v.Name)
	}
	body := []Element{Title(title)}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, v.Attention))
	}
	if v.Undo != nil {
		body = append(body, Actions(quiet(Button("Undo", VerbUndo, *v.Undo))))
	}
	if len(v.Sections) == 0 {
		body = append(body, Text("You belong to no engagement yet. Ask an engagement's lead to give you a role with **role @you ROLE**, or add me to a team channel or group chat and type **setup** there."))
	}
	var users []string
	sections := v.Sections
	if v.Compact {
		// Engagements where the person has something to do now first.
		idle := make(map[*playbook.Engagement]int, len(sections))
		for _, e := range sections {
			idle[e] = boolRank(!hasReady(e, v.PersonID))
		}
		sections = slices.Clone(sections)
		slices.SortStableFunc(sections, func(a, b *playbook.Engagement) int { return idle[a] - idle[b] })
	}
	for _, e := range sections {
		body = section(body, e, v.PersonID, v.Personal || len(v.Sections) > 1, v.Compact)
		for _, m := range e.Members {
			users = appendUnique(users, m.ID)
		}
	}
	c := New(body...)
	refresh := ActionData{}
	if !v.Personal && len(v.Sections) == 1 {
		refresh.Engagement = v.Sections[0].ID
	}
	if v.Personal {
		users = []string{v.PersonID}
	}
	if len(users) > MaxRefreshUsers {
		users = users[:MaxRefreshUsers]
	}
	c.Refresh = &Refresh{Action: Button("Refresh", VerbNext, refresh), UserIDs: users}
	return c
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hasReady reports whether the person has a task to do now in e.
func hasReady(e *playbook.Engagement, personID string) bool {
	m, ok := e.Member(personID)
	return ok && !e.IsClosed() && len(playbook.NextStepsForRoles(e, m.Roles...).Ready) > 0
}

// section appends one engagement's part of the task card to out; compact
// puts its waiting tasks in one line with a button to show them.
func section(out []Element, e *playbook.Engagement, personID string, named, compact bool) []Element {
	if named {
		out = append(out, Heading(customer(e)))
	}
	m, member := e.Member(personID)
	switch {
	case e.IsClosed():
		return append(out, Text("This engagement is closed."))
	case !member:
		return append(out, Text("You have no role in the "+customer(e)+" engagement. The lead, "+leadName(e)+", can give you one with **role @you ROLE**."))
	case len(m.Roles) == 0:
		return append(out, Text("You hold no role in this engagement now, so no task is yours."))
	}
	steps := playbook.NextStepsForRoles(e, m.Roles...)
	if len(steps.Ready) == 0 && len(steps.Waiting) == 0 {
		return append(append(out, Text("Nothing is open for "+roleList(m.Roles)+". 🎉")), overrideLine(e, compact)...)
	}
	const maxTasks = 15
	// The elements below, at most: a task card is built on every "next
	// steps", so it grows its body once rather than append by append.
	out = slices.Grow(out, 4+3*min(len(steps.Ready)+len(steps.Waiting), maxTasks))
	out = append(out, Subtle("As "+roleList(m.Roles)+" · "+strconv.Itoa(len(steps.Ready))+" to do now, "+strconv.Itoa(len(steps.Waiting))+" waiting"))
	listed := 0
	if len(steps.Ready) > 0 {
		out = append(out, Heading("To do now"))
	}
	for _, s := range steps.Ready {
		if listed == maxTasks {
			break
		}
		listed++
		out = append(out, Text("**"+s.Task.Ref()+"** "+s.Task.Title))
		buttons := []Element{quiet(Button("Done", VerbDone, ActionData{Engagement: e.ID, Version: e.Version, Task: s.Task.Key}))}
		if s.Task.Key == questionnaireTask {
			// Submitting the questionnaire marks it done.
			buttons = []Element{fillButton(e)}
		} else if ev := playbook.EvidenceOf(s.Task); ev != playbook.EvidenceNone {
			// Its evidence completes it: Done would only say so.
			if c := playbook.HowCompletes(e, s.Task); !c.Present {
				out = append(out, Subtle(c.How))
				buttons = []Element{evidenceButton(e, ev)}
			}
		}
		if na := naAction(e, personID, s.Task); na != nil {
			buttons = append(buttons, na)
		}
		out = append(out, Actions(buttons...))
	}
	if compact && len(steps.Waiting) > 0 {
		refs := make([]string, 0, min(len(steps.Waiting), 8))
		for i, s := range steps.Waiting {
			if i == 8 {
				refs = append(refs, "…")
				break
			}
			refs = append(refs, s.Task.Ref())
		}
		out = append(out, Subtle(strconv.Itoa(len(steps.Waiting))+" waiting on other tasks: "+strings.Join(refs, ", ")),
			Actions(quiet(Button("Show what they wait for", VerbNext, ActionData{Engagement: e.ID}))))
		return append(out, overrideLine(e, compact)...)
	}
	if len(steps.Waiting) > 0 {
		out = append(out, Heading("Waiting"))
	}
	for _, s := range steps.Waiting {
		if listed == maxTasks {
			out = append(out, Subtle("… and more: type **status** for the whole engagement."))
			break
		}
		listed++
		out = append(out, Text("**"+s.Task.Ref()+"** "+s.Task.Title), Subtle(waitsFor(s.BlockedBy)))
		if s.Task.Key == questionnaireTask {
			// It can be filled in before the workshops; submitting
			// marks it done once they are.
			out = append(out, Actions(fillButton(e)))
		}
		if na := naAction(e, personID, s.Task); na != nil {
			out = append(out, Actions(na))
		}
	}
	return append(out, overrideLine(e, compact)...)
}

// overrideLine is the engagement's overrides on the task card: in full, as
// status shows them, or, in the compact personal overview, one line.
func overrideLine(e *playbook.Engagement, compact bool) []Element {
	if !compact {
		return overrides(e)
	}
	n := len(playbook.Overrides(e))
	if n == 0 {
		return nil
	}
	what := strconv.Itoa(n) + " overrides"
	if n == 1 {
		what = "1 override"
	}
	return []Element{Subtle(what + " on record (steps taken against the playbook's order or without their evidence): type **status** to see them.")}
}

// questionnaireTask is the key of task 1034, whose card offers Fill in
// rather than Done.
const questionnaireTask = "questionnaire"

// fillButton opens the questionnaire of e, pre-filled with the latest saved
// values.
func fillButton(e *playbook.Engagement) Element {
	b := quiet(Execute("Fill in the questionnaire", VerbQuestionnaire, map[string]any{"engagement": e.ID}))
	b.Set("style", "positive")
	return b
}

// naAction is the not-applicable form of a task the person may mark so,
// nil for any other.
func naAction(e *playbook.Engagement, personID string, t playbook.Task) Element {
	if !t.Skippable() || playbook.Can(e, personID, playbook.ActionMarkNotApplicable, &t) != nil {
		return nil
	}
	form := Element{
		{"type", "AdaptiveCard"},
		{"body", []Element{{
			{"type", "Input.Text"}, {"id", ReasonInput(e.ID, t.Key)}, {"label", "Why does " + t.Ref() + " not apply?"},
			{"isRequired", true}, {"errorMessage", "Say why."}, {"maxLength", 500},
		}}},
		{"actions", []Element{Button("Mark not applicable", VerbNA, ActionData{Engagement: e.ID, Version: e.Version, Task: t.Key})}},
	}
	return Element{{"type", "Action.ShowCard"}, {"title", "Not applicable…"}, {"card", form}}
}

// waitsFor says what a step waits for: "waits for 1699 (FRP: Pat), 4027
// (MST: nobody yet)".
func waitsFor(ss []playbook.Step) string {
	var b strings.Builder
	b.Grow(64 * len(ss))
	b.WriteString("waits for ")
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(taskName(s.Task))
		b.WriteString(" (")
		b.WriteString(string(s.Owner))
		b.WriteString(": ")
		b.WriteString(names(s.Holders))
		b.WriteByte(')')
	}
	return b.String()
}

func roleList(rs []playbook.Role) string {
	if len(rs) == 1 {
		return string(rs[0])
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " and ")
}

func leadName(e *playbook.Engagement) string {
	if l, ok := e.Lead(); ok && l.Name != "" {
		return markdown.Escape(l.Name)
	}
	return "the lead"
}

func itoa(n int) string { return strconv.Itoa(n) }

// HowCompletes answers "done" on a task that completes through its
// evidence (playbook.HowCompletes): what completes it, and the button that
// leads there. Nothing was recorded.
func HowCompletes(e *playbook.Engagement, t playbook.Task, c playbook.Completion) *Card {
	card := New(Title(t.Ref()+" "+truncate(t.Title, 120)), Notice("Not marked done: this task completes through its evidence.", true), Text(c.How))
	if b := evidenceButton(e, c.Evidence); b != nil {
		card.Actions = []Element{b}
	}
	return card
}

// evidenceButton leads to where evidence ev is given; nil for none.
func evidenceButton(e *playbook.Engagement, ev playbook.Evidence) Element {
	target := ActionData{Engagement: e.ID}
	var b Element
	switch ev {
	case playbook.EvidenceQuestionnaire, playbook.EvidenceValidation:
		b = Button("Questionnaire", VerbQuestionnaire, target)
	case playbook.EvidenceWorkshop:
		b = Button("Workshops", VerbWorkshops, target)
	case playbook.EvidenceSite:
		b = Button("Collaboration site", VerbSite, target)
	case playbook.EvidenceEvents:
		b = Button("Migration events", VerbEvents, target)
	case playbook.EvidenceClose:
		b = Button("Close-out checklist", VerbClose, target)
	default:
		return nil
	}
	return quiet(b)
}
