package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Status is the progress card: each phase with a bar, its percentage and due
// date, the overdue tasks, the next milestone and the people. pic is the
// progress picture (chart.Progress), shown under the phases; a zero Picture
// shows none.
func Status(e *playbook.Engagement, now time.Time, pic Picture) *Card {
	rep := playbook.Progress(e)
	body := []Element{Title(customer(e) + ": progress")}
	if e.IsClosed() {
		body = append(body, Notice("Closed on "+e.Closed.Format(day)+" by "+memberName(e, e.ClosedBy)+".", false))
	}
	body = append(body, Text(fmt.Sprintf("**%d%%** overall: %d of %d tasks done.", rep.Overall.Percent(), rep.Overall.Done, rep.Overall.Applicable)))
	var phases []Fact
	for _, p := range rep.Phases {
		title := p.Phase.Title()
		if !p.Due.IsZero() {
			title += " (due " + p.Due.Format("2 Jan") + ")"
		}
		v := fmt.Sprintf("%d%% (%d/%d)", p.Percent(), p.Done, p.Applicable)
		if pic.element() == nil {
			v = bar(p.Percent()) + " " + v // the picture draws the bars
		}
		if p.Applicable == 0 {
			v = "nothing applies"
		}
		phases = append(phases, Fact{title, v})
	}
	body = withPicture(append(body, Facts(phases...)), pic)

	if late := playbook.Overdue(e, now); len(late) > 0 {
		body = append(body, Heading(fmt.Sprintf("Overdue (%d)", len(late))))
		var fs []Fact
		for i, o := range late {
			if i == maxOverdue {
				fs = append(fs, Fact{"…", fmt.Sprintf("and %d more", len(late)-i)})
				break
			}
			who := string(o.Owner) + ": " + names(o.Holders)
			if len(o.BlockedBy) > 0 {
				who += "; " + waitsFor(o.BlockedBy)
			}
			fs = append(fs, Fact{taskNumber(o.Task), truncate(o.Task.Title, 80) + " (due " + o.Due.Format("2 Jan") + "; " + who + ")"})
		}
		body = append(body, Facts(fs...))
	}
	body = append(body, overrides(e)...)
	if ms, ok := playbook.NextMilestone(e); ok {
		h := "Next milestone: " + ms.Phase.Title() + " complete"
		if !ms.Due.IsZero() {
			h += " by " + ms.Due.Format(day)
		}
		body = append(body, Heading(h))
		refs := make([]string, 0, len(ms.Remaining))
		for _, s := range ms.Remaining {
			refs = append(refs, taskName(s.Task)+" ("+string(s.Owner)+")")
		}
		body = append(body, Text(fmt.Sprintf("%d open: %s.", len(ms.Remaining), strings.Join(refs, "; "))))
	} else if !e.IsClosed() {
		body = append(body, Heading("Every task is settled: the engagement can be closed."))
	}
	body = append(body, Heading("People"))
	var people []Fact
	for _, r := range playbook.Roles() {
		if r == playbook.MVM && !playbook.MVMApplies(e) {
			continue
		}
		people = append(people, Fact{string(r), names(e.Holders(r))})
	}
	body = append(body, Facts(people...))
	c := New(body...)
	d := ActionData{Engagement: e.ID}
	c.Actions = []Element{quiet(Button("Refresh", VerbStatus, d)), quiet(Button("My next steps", VerbNext, d)), quiet(Button("History", VerbHistory, d))}
	if !e.IsClosed() {
		c.Actions = append(c.Actions, quiet(Button("Report an issue", VerbIssue, d)))
	}
	return c
}

// maxOverdue bounds the overdue tasks listed on the status card.
const maxOverdue = 12

// bar draws a percentage as ten blocks.
func bar(pct int) string {
	n := max(0, min(10, pct/10))
	return strings.Repeat("█", n) + strings.Repeat("░", 10-n)
}

// HistoryPage is how many audit entries a page of the history card shows.
const HistoryPage = 20

// History is page page (1: the newest) of the audit history, newest first,
// each entry said in words: who did what, to which task, and the detail.
// e.History must reach back to the page's oldest entry (the bot reads what
// a page needs; see playbook.Engagement.History).
// Older and Newer page through it; a page past the end shows the last.
func History(e *playbook.Engagement, page int) *Card {
	body := []Element{Title(customer(e) + ": history")}
	n := e.HistoryLen()
	pages := max(1, (n+HistoryPage-1)/HistoryPage)
	page = min(max(page, 1), pages)
	hi := n - (page-1)*HistoryPage // entries [lo, hi) of the history
	lo := max(0, hi-HistoryPage)
	if n > HistoryPage {
		body = append(body, Subtle(fmt.Sprintf("Entries %d to %d of %d, newest first (page %d of %d).", n-hi+1, n-lo, n, page, pages)))
	}
	var fs []Fact
	for i := hi - 1; i >= max(lo, e.HistoryBase); i-- {
		a := e.History[i-e.HistoryBase]
		fs = append(fs, Fact{a.At.Format("2 Jan 15:04"), historyLine(e, a)})
	}
	body = append(body, Facts(fs...))
	c := New(body...)
	pageButton := func(title string, p int) Element {
		return quiet(Execute(title, VerbHistory, map[string]any{"engagement": e.ID, PageKey: p}))
	}
	if page > 1 {
		c.Actions = append(c.Actions, pageButton("Newer", page-1))
	}
	if page < pages {
		c.Actions = append(c.Actions, pageButton("Older", page+1))
	}
	c.Actions = append(c.Actions, quiet(Button("Refresh", VerbHistory, ActionData{Engagement: e.ID})))
	return c
}

// historyLine says an audit entry in words: "Vi Velocity waived pre-flight:
// event 2: same mail server as the pilot".
func historyLine(e *playbook.Engagement, a playbook.AuditEntry) string {
	s := memberName(e, a.Actor) + " " + actionTitle(a.Action)
	switch a.Action {
	case playbook.ActionMarkDone, playbook.ActionReopen, playbook.ActionMarkNotApplicable, playbook.ActionOverride, playbook.ActionWorkshop:
		if a.Task != "" {
			s += " " + taskRef(a.Task)
		}
	}
	if a.Detail != "" {
		// Details hold what people typed: reasons, notes, names.
		s += ": " + markdown.Escape(truncate(a.Detail, 160))
	}
	return s
}

func actionTitle(a playbook.Action) string {
	switch a {
	case playbook.ActionSetUp:
		return "set up the engagement"
	case playbook.ActionUpdate:
		return "changed the details"
	case playbook.ActionAssignRole:
		return "assigned"
	case playbook.ActionRemoveRole:
		return "removed"
	case playbook.ActionSetLead:
		return "handed the lead"
	case playbook.ActionMarkDone:
		return "marked done"
	case playbook.ActionReopen:
		return "reopened"
	case playbook.ActionMarkNotApplicable:
		return "marked not applicable"
	case playbook.ActionClose:
		return "closed the engagement"
	case playbook.ActionSubmitQuestionnaire:
		return "submitted the questionnaire"
	case playbook.ActionValidateQuestionnaire:
		return "validated the questionnaire"
	case playbook.ActionRequestChanges:
		return "asked for questionnaire changes"
	case playbook.ActionNote:
		return "wrote a note"
	case playbook.ActionEscalate:
		return "escalated"
	case playbook.ActionEscalationAck:
		return "acknowledged an escalation"
	case playbook.ActionEscalationSolve:
		return "resolved an escalation"
	case playbook.ActionEscalationRemind:
		return "reminded the point of contact of an escalation"
	case playbook.ActionCloseCheck:
		return "checked a close-out item"
	case playbook.ActionCloseWaive:
		return "waived a close-out item"
	case playbook.ActionOverride:
		return "recorded an override for"
	case playbook.ActionAcceptPlan:
		return "accepted the migration plan"
	case playbook.ActionEventMembers:
		return "set an event's members"
	case playbook.ActionPreflightStart:
		return "started pre-flight"
	case playbook.ActionPreflightResults:
		return "recorded pre-flight results"
	case playbook.ActionPreflightWaive:
		return "waived pre-flight"
	case playbook.ActionEventReady:
		return "marked an event ready"
	case playbook.ActionEventStart:
		return "started an event"
	case playbook.ActionEventComplete:
		return "completed an event"
	case playbook.ActionEventCancel:
		return "cancelled an event"
	case playbook.ActionIssueOpen:
		return "reported an issue"
	case playbook.ActionIssueResolve:
		return "resolved an issue"
	case playbook.ActionIssueHandOver:
		return "handed an issue over"
	case playbook.ActionIssueAssign:
		return "assigned an issue"
	case playbook.ActionSurvey:
		return "recorded the satisfaction survey"
	case playbook.ActionFeedKey:
		return "changed the reporting feed key"
	case playbook.ActionReportSchedule:
		return "set when the weekly report is posted"
	case playbook.ActionWorkshop:
		return "updated the workshop"
	case playbook.ActionSite:
		return "worked on the collaboration site"
	}
	// Actions added later read acceptably as words until they get a title.
	return strings.ReplaceAll(string(a), "_", " ")
}

// taskName is how a list names a task: its playbook id where that names it
// alone ("1034"), else its title up to the first colon, bracket or comma
// when that leaves a name ("Box migration workshop", "Box inventory
// tool"); never its key, which reads as code ("workshop-box").
func taskName(t playbook.Task) string {
	if ref := t.Ref(); ref != t.Key {
		return ref
	}
	title := t.Title
	if i := strings.IndexAny(title, ":(,"); i >= 12 {
		title = strings.TrimSpace(title[:i])
	}
	return truncate(title, 40)
}

// taskNumber is a task's playbook ids for the title column of a list whose
// value holds its title: "1635" for the two 1635 workshops, told apart by
// their titles; "–" for a task without an id.
func taskNumber(t playbook.Task) string {
	if ids := t.IDList(); ids != "" {
		return ids
	}
	return "–"
}

// overrideFacts lists overrides newest first, at most reportRows: when,
// who, the task and the reason.
// overrides is the Overrides block of the status and task cards, the
// same in both, so that a step taken against the playbook's order reads
// the same wherever a person looks; none when there is none.
func overrides(e *playbook.Engagement) []Element {
	o := playbook.Overrides(e)
	if len(o) == 0 {
		return nil
	}
	return []Element{Heading(fmt.Sprintf("Overrides (%d)", len(o))), Facts(overrideFacts(e, o)...),
		Subtle("Steps taken against the playbook's order or without their evidence, with the reason given.")}
}

func overrideFacts(e *playbook.Engagement, o []playbook.AuditEntry) []Fact {
	var fs []Fact
	for i := len(o) - 1; i >= 0; i-- {
		if len(fs) == reportRows {
			fs = append(fs, Fact{"…", fmt.Sprintf("and %d more: type **history**", i+1)})
			break
		}
		a := o[i]
		fs = append(fs, Fact{a.At.Format("2 Jan"), truncate(memberName(e, a.Actor), 40) + " · " + taskRef(a.Task) + ": " + markdown.Escape(truncate(oneLine(a.Detail), 200))})
	}
	return fs
}

// taskRef names a task key as people type it.
func taskRef(key string) string {
	if ts, err := playbook.LookupTask(key); err == nil && len(ts) == 1 {
		return ts[0].Ref()
	}
	return key
}
