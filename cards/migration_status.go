package cards

import (
	"fmt"
	"strconv"

	"github.com/mvmbot/mvmbot/playbook"
)

// The events card's migration status (issue 19): the MVM or the MST pastes
// a status file of a running or completed event (a Get-MigrationUser
// export, SPMT's or Migration Manager's reports); a file with a bad row
// comes back as typed, with every bad row under it, and nothing is
// imported. Failed units go into a new remediation event with one button.

// Verbs of the status form. Stored in cards: never rename one.
const (
	VerbEventStatus    = "eventStatus"    // record the pasted status file of data.event
	VerbEventRemediate = "eventRemediate" // put data.event's failed units into a new remediation event
)

// StatusInput is the id of event n's pasted status file.
func StatusInput(n int) string { return "status-" + strconv.Itoa(n) }

// StatusForm is a pasted status file that was refused: as typed, with what
// is wrong (every bad row, one a line).
type StatusForm struct {
	Event int
	Raw   string
	Error string
}

// statusLine sums up event ev's imported status; "" when none.
func statusLine(e *playbook.Engagement, ev playbook.Event) string {
	if len(ev.Outcomes) == 0 {
		return ""
	}
	s, err := playbook.EventStatus(e, ev.N)
	if err != nil {
		return ""
	}
	line := fmt.Sprintf("Migration status: %s migrated, %s in progress, %s failed, %s stopped, %s not reported.",
		count(s.Migrated), count(s.InProgress), count(s.Failed), count(s.Stopped), count(s.Unreported))
	if s.Bytes > 0 {
		line += fmt.Sprintf(" %.1f GB reported migrated.", float64(s.Bytes)/(1<<30))
	}
	return line
}

// statusAction is event ev's status form: inline with the refused file
// when f is for it, else behind a button; nil when the viewer may not
// record status or the event is not running or completed.
func statusAction(e *playbook.Engagement, ev playbook.Event, may func(playbook.Action) bool, f *StatusForm) (inline []Element, button Element) {
	if !may(playbook.ActionEventStatus) || (ev.State != playbook.EventRunning && ev.State != playbook.EventCompleted) {
		return nil, nil
	}
	raw, msg := "", ""
	if f != nil && f.Event == ev.N {
		raw, msg = f.Raw, f.Error
	}
	n := ev.N
	body := Body(
		One(Subtle("Paste the status file as the tool wrote it (CSV, or tab-separated from Excel): Get-MigrationUser | Get-MigrationUserStatistics | Export-Csv, or SPMT's or Migration Manager's SummaryReport.csv, ItemReport.csv, FailureSummary.csv, MigrationLog.csv or Migration summary.csv.")),
		TextInput(StatusInput(n), InputOpts{Label: "Migration status", Placeholder: "Identity,Status,Error", Value: raw, Required: true, Error: msg}, true, playbook.MaxBatchCSVBytes),
	)
	submit := eventButton("Import status", VerbEventStatus, e, n)
	if msg != "" {
		return append(body, Actions(submit)), nil
	}
	return nil, showCard("Import status", body, submit)
}

// remediateAction is the button putting ev's failed units into a new
// remediation event; nil when there are none or the viewer may not.
func remediateAction(e *playbook.Engagement, ev playbook.Event, may func(playbook.Action) bool) Element {
	k := playbook.RemediableFailures(e, ev.N)
	if k == 0 || !may(playbook.ActionEventRemediate) {
		return nil
	}
	return quiet(eventButton(fmt.Sprintf("Remediate the %s failed in a new event", Plural(k, "unit")), VerbEventRemediate, e, ev.N))
}
