package cards

import (
	"fmt"
	"strconv"

	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the events card. Stored in cards: never rename one.
const (
	VerbEvents          = "events"         // the events card
	VerbEventPreflight  = "eventPreflight" // start pre-flight of data.event
	VerbEventResults    = "eventResults"   // record the pre-flight CSV of data.event
	VerbEventReady      = "eventReady"     // pre-flight done: ready
	VerbEventWaive      = "eventWaive"     // ready without a complete pre-flight, with a reason
	VerbEventStart      = "eventStart"     // start the event
	VerbEventComplete   = "eventComplete"  // completed, with counts
	VerbEventCancel     = "eventCancel"    // cancelled, with a reason
	VerbEventIssue      = "eventIssue"     // open the issue tracking a completed event's failures
	EventKey            = "event"          // the data key naming the event
	maxEventsListed     = 20               // events with their buttons on one card
	maxRemediationsRows = 5                // failed units listed per event
)

// Input ids of the events card, per event n.
func PreflightInput(n int) string   { return "preflight-" + strconv.Itoa(n) }
func EventReasonInput(n int) string { return "eventReason-" + strconv.Itoa(n) }
func MigratedInput(n int) string    { return "migrated-" + strconv.Itoa(n) }
func FailedInput(n int) string      { return "failed-" + strconv.Itoa(n) }

// EventsView is what the events card shows, for one viewer.
type EventsView struct {
	Notice    string
	Attention bool
	// May says whether the viewer may take a migration action.
	May func(playbook.Action) bool
	// Members is a refused member list, shown under its event as typed.
	Members *MembersForm
	// Status is a refused status file, shown under its event as typed.
	Status *StatusForm
}

func eventButton(title, verb string, e *playbook.Engagement, n int) Element {
	d := ActionData{Engagement: e.ID, Version: e.Version}.data()
	d[EventKey] = n
	return Execute(title, verb, d)
}

// showCard is a button that opens a small form inside the card.
func showCard(title string, body []Element, submit Element) Element {
	c := New(body...)
	c.Actions = []Element{submit}
	return Element{{"type", "Action.ShowCard"}, {"title", title}, {"card", map[string]any{
		"type": "AdaptiveCard", "body": c.Body, "actions": c.Actions,
	}}}
}

// Events lists the events of the latest plan with their state, pre-flight
// results and, for those who may, a button per allowed next step.
func Events(e *playbook.Engagement, v EventsView) *Card {
	body := []Element{Title(customer(e) + ": migration events")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, v.Attention))
	}
	may := func(a playbook.Action) bool { return v.May != nil && v.May(a) && !e.IsClosed() }
	if len(e.Events) == 0 {
		body = append(body, Text("No events yet: the MVM accepts a plan with **plan**."))
	}
	shown, forms := 0, 0
	for _, ev := range e.Events {
		if shown == maxEventsListed {
			body = append(body, Subtle(fmt.Sprintf("and %d more events.", len(e.Events)-shown)))
			break
		}
		shown++
		state := string(ev.State)
		if ev.Waiver != nil {
			state += " (pre-flight waived)"
		}
		head := fmt.Sprintf("Event %d, %s: %s, %s units, %s", ev.N, ev.Date.Format("Mon 2 Jan"), ev.Kind, count(ev.Size()), state)
		body = append(body, Element{{"type", "TextBlock"}, {"text", head}, {"wrap", true}, {"weight", "Bolder"}, {"spacing", "Medium"}})
		switch {
		case ev.State == playbook.EventCompleted:
			body = append(body, Subtle(fmt.Sprintf("%s migrated, %s failed.", count(ev.Migrated), count(ev.Failed))))
		case ev.State == playbook.EventCancelled:
			body = append(body, Subtle("Cancelled: "+truncate(ev.Reason, 200)))
		case len(ev.Members) == 0:
			body = append(body, Subtle("No member list yet: paste it with **Set members**, or import it with **mvmbot import batch**."))
		}
		if line := statusLine(e, ev); line != "" {
			body = append(body, Subtle(line))
		}
		if s, err := playbook.Preflight(e, ev.N); err == nil && s.Checked > 0 {
			body = append(body, Subtle(fmt.Sprintf("Pre-flight: %d passed, %d failed, %d unchecked.", s.Passed, s.Failed, s.Unchecked)))
			for i, r := range s.Remediations {
				if i == maxRemediationsRows {
					body = append(body, Subtle(fmt.Sprintf("and %d more failed units.", len(s.Remediations)-i)))
					break
				}
				fix := "no known error matches: the MST looks at it"
				if r.Matched {
					fix = truncate(r.Known.Remediation, 200)
				}
				body = append(body, Subtle(truncate(r.Unit, 80)+": "+truncate(r.Reason, 120)+" → "+fix))
			}
		}
		bs := eventButtons(e, ev, may)
		inline, members := membersAction(e, ev, may, v.Members, forms)
		if members != nil || inline != nil {
			forms++
		}
		if members != nil {
			bs = append([]Element{members}, bs...)
		}
		statusInline, status := statusAction(e, ev, may, v.Status)
		if status != nil {
			bs = append(bs, status)
		}
		if r := remediateAction(e, ev, may); r != nil {
			bs = append(bs, r)
		}
		if len(bs) > 0 {
			body = append(body, Actions(bs...))
		}
		body = append(body, inline...)
		body = append(body, statusInline...)
	}
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbEvents, ActionData{Engagement: e.ID}))}
	return c
}

func eventButtons(e *playbook.Engagement, ev playbook.Event, may func(playbook.Action) bool) []Element {
	n := ev.N
	var bs []Element
	results := func() {
		if may(playbook.ActionPreflightResults) {
			bs = append(bs, showCard("Record pre-flight results", Body(
				One(Subtle("Paste the pre-flight CSV: a header with unit, result and reason, then one unit a row (result passed or failed; a failure needs its reason).")),
				TextInput(PreflightInput(n), InputOpts{Label: "Pre-flight results (CSV)", Placeholder: "unit,result,reason", Required: true}, true, 0),
			), eventButton("Record", VerbEventResults, e, n)))
		}
	}
	waive := func() {
		if may(playbook.ActionPreflightWaive) {
			bs = append(bs, showCard("Waive pre-flight", TextInput(EventReasonInput(n), InputOpts{Label: "Why the event may start without a complete pre-flight", Required: true}, true, playbook.MaxReasonLen),
				eventButton("Waive", VerbEventWaive, e, n)))
		}
	}
	switch ev.State {
	case playbook.EventPlanned:
		if may(playbook.ActionPreflightStart) && len(ev.Members) > 0 {
			bs = append(bs, quiet(eventButton("Start pre-flight", VerbEventPreflight, e, n)))
		}
		waive()
	case playbook.EventPreflight:
		results()
		if may(playbook.ActionEventReady) {
			bs = append(bs, quiet(eventButton("Mark ready", VerbEventReady, e, n)))
		}
		waive()
	case playbook.EventReady:
		if may(playbook.ActionEventStart) {
			bs = append(bs, quiet(eventButton("Start", VerbEventStart, e, n)))
		}
		results()
	case playbook.EventRunning:
		if may(playbook.ActionEventComplete) {
			zero := 0.0
			bs = append(bs, showCard("Complete", Body(
				NumberInput(MigratedInput(n), InputOpts{Label: "Units migrated", Required: true}, &zero, nil),
				NumberInput(FailedInput(n), InputOpts{Label: "Units failed", Value: "0", Required: true}, &zero, nil),
			), eventButton("Complete", VerbEventComplete, e, n)))
		}
	}
	if ev.State == playbook.EventCompleted && ev.Failed > 0 && may(playbook.ActionEventComplete) {
		if _, ok := playbook.EventFailureIssue(e, n); !ok {
			bs = append(bs, quiet(eventButton(fmt.Sprintf("Track the %d failures as an issue", ev.Failed), VerbEventIssue, e, n)))
		}
	}
	if !ev.State.Terminal() && may(playbook.ActionEventCancel) {
		bs = append(bs, showCard("Cancel", TextInput(CancelReasonInput(n), InputOpts{Label: "Why the event is cancelled", Required: true}, true, playbook.MaxReasonLen),
			eventButton("Cancel event", VerbEventCancel, e, n)))
	}
	return bs
}

// CancelReasonInput is the id of event n's cancel reason field.
func CancelReasonInput(n int) string { return EventReasonInput(n) + "-cancel" }
