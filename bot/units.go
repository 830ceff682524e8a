package bot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// unitStatusCommands are this file's commands (see Command); "status
// <user>" is status's own Run, in tasks.go.
var unitStatusCommands = []Command{
	{Name: "remediate", Usage: "remediate <event>", Scopes: sharedScope,
		Description: "Put the failed units of a migration event into a new remediation event, in one step",
		Help: "The MVM or the MST. The failed units are those whose imported migration status (pasted on the events card, or mvmbot import status) is failed; " +
			"a new remediation event is added to the plan (a new version) on the next working day, with them as its members, their source login and destination kept. " +
			"It goes through pre-flight like any event, and the report counts each unit once, where it stands now.",
		// Last: the Teams menu keeps its first ten as they were.
		Rank: 250,
		Run:  (*turn).remediate},
}

// unitStatus runs "status <user or path>": where the unit is in the
// engagement's migration events, its latest migration status (imported
// from a Get-MigrationUser export), and for a failure Microsoft's error
// with the known error's fix. Members of the engagement only: it names
// people and their errors.
func (t *turn) unitStatus(q string) (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	if _, ok := e.Member(t.a.From.ID); !ok {
		return answer{}, playbook.Errorf(playbook.EFORBIDDEN, "You are not a member of the %s engagement, so its migration status is not shown to you.", markdown.Escape(e.Customer))
	}
	q = strings.TrimSpace(q)
	ws := playbook.FindUnit(e, q)
	if len(ws) == 0 {
		return answer{text: fmt.Sprintf("%s is in none of the %s engagement's migration events. Check the spelling (the Microsoft 365 address, the source login or the path), or the events card for the batches.", markdown.Escape(truncate(q, 200)), markdown.Escape(e.Customer))}, nil
	}
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "**%s**: event %d (%s, %s), %s.", markdown.Escape(truncate(w.Member.Unit, 200)), w.Event, w.Kind, w.Date.Format("Mon 2 Jan 2006"), w.State)
		if w.Member.Login != "" {
			fmt.Fprintf(&b, " Source login: %s.", markdown.Escape(truncate(w.Member.Login, 200)))
		}
		switch {
		case w.Outcome != nil:
			fmt.Fprintf(&b, "\n\nMigration status **%s** (%s)", w.Outcome.Status, w.Outcome.Outcome)
			if w.Outcome.LastSync != "" {
				fmt.Fprintf(&b, ", last successful sync %s", markdown.Escape(truncate(w.Outcome.LastSync, 60)))
			}
			if o := w.Outcome; o.Items > 0 || o.Bytes > 0 {
				fmt.Fprintf(&b, ", %d items and %.1f GB migrated", o.Items, float64(o.Bytes)/(1<<30))
			}
			if w.Outcome.Skipped > 0 {
				fmt.Fprintf(&b, ", %d items skipped", w.Outcome.Skipped)
			}
			if w.Outcome.FailedItems > 0 {
				fmt.Fprintf(&b, ", %d items failed", w.Outcome.FailedItems)
			}
			fmt.Fprintf(&b, "; reported %s UTC.", w.Outcome.Recorded.Format("2 Jan 15:04"))
			if w.Outcome.Error != "" {
				fmt.Fprintf(&b, "\n\nError: %s", markdown.Escape(truncate(strings.TrimSpace(w.Outcome.Code+" "+w.Outcome.Error), 500)))
			}
			for i, f := range w.Outcome.Failures {
				if i == 3 {
					fmt.Fprintf(&b, "\n\nand %d more failed items.", w.Outcome.FailedItems-i)
					break
				}
				fmt.Fprintf(&b, "\n\n- %s: %s", markdown.Escape(truncate(f.Item, 200)), markdown.Escape(truncate(strings.TrimSpace(f.Code+" "+f.Error), 200)))
			}
		case w.Preflight != nil && !w.Preflight.Passed:
			fmt.Fprintf(&b, "\n\nFailed pre-flight: %s", markdown.Escape(truncate(w.Preflight.Reason, 500)))
		case w.Preflight != nil:
			b.WriteString("\n\nPassed pre-flight; no migration status imported yet.")
		default:
			b.WriteString("\n\nNo pre-flight result or migration status yet.")
		}
		switch {
		case w.Known != nil:
			fmt.Fprintf(&b, "\n\nKnown error **%s**: %s **Fix** (%s): %s Source: %s", w.Known.ID, w.Known.Meaning, w.Known.Remediates, w.Known.Remediation, w.Known.Doc)
		case w.Outcome != nil && w.Outcome.Outcome == playbook.OutcomeFailed:
			b.WriteString("\n\nThe error matches no known error: the MST will look at it.")
		}
	}
	return answer{text: b.String()}, nil
}

// remediate runs "remediate <event>": the failed units of the event, by
// its imported status, go into a new remediation event in one step.
func (t *turn) remediate(args string) (answer, error) {
	f := strings.Fields(args)
	var from int
	if len(f) != 1 || !parseEventNumber(f[0], &from) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say which event's failed units to remediate: **remediate 1** puts the failures of event 1 into a new remediation event.")
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	ev, err := playbook.RemediateFailures(e, t.a.From.ID, from, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, answer{text: remediatedText(displayName(t.me()), e, from, ev)}), nil
}

// remediatedText says what remediating event from made.
func remediatedText(who string, e *playbook.Engagement, from int, ev playbook.Event) string {
	units := "units"
	if len(ev.Members) == 1 {
		units = "unit"
	}
	return fmt.Sprintf("%s put the %d failed %s of event %d into the new remediation event %d (%s) of the %s engagement; it goes through pre-flight like any event. **status <user>** shows where each is.",
		who, len(ev.Members), units, from, ev.N, ev.Date.Format("Mon 2 Jan 2006"), markdown.Escape(e.Customer))
}

func parseEventNumber(s string, n *int) bool {
	v, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	*n = v
	return err == nil && v > 0
}

// recordStatusFile reads a status file (playbook.ParseStatusReport: a
// Get-MigrationUser export, SPMT's or Migration Manager's reports) and
// records it on event n of e, all or nothing. A bad file or row, or a
// refusal, is a person's error naming every bad row; nothing is changed.
func (t *turn) recordStatusFile(e *playbook.Engagement, n int, data []byte) (playbook.StatusSummary, playbook.StatusReport, error) {
	rows, report, rowErrs, err := playbook.ParseStatusReport(data)
	switch {
	case len(rowErrs) > 0:
		return playbook.StatusSummary{}, report, playbook.Errorf(playbook.EINVALID, "Nothing was imported: %s of the %s are wrong.\n\n%s",
			cards.Plural(len(rowErrs), "row"), report, playbook.RowErrorsText(rowErrs, maxRowErrors))
	case err != nil:
		return playbook.StatusSummary{}, report, err
	}
	s, err := playbook.RecordStatus(e, t.a.From.ID, n, rows, t.now)
	return s, report, err
}

// forecastNotice is when the migration ends at the measured pace, each
// source on its own when there are several (mail and content move
// through different tools), " " first; "" before anything is measured.
func forecastNotice(e *playbook.Engagement, endpoint int, now time.Time) string {
	fs := playbook.ForecastBySource(e, endpoint, now)
	if len(fs) > 1 {
		var b strings.Builder
		for _, f := range fs {
			b.WriteString(" " + string(f.Source) + ": " + f.String())
		}
		return b.String()
	}
	if f, ok := playbook.ForecastAtPace(e, endpoint, now); ok {
		return " " + f.String()
	}
	return ""
}

// statusNotice says what a recorded status file changed.
func (t *turn) statusNotice(e *playbook.Engagement, n int, report playbook.StatusReport, s playbook.StatusSummary) string {
	msg := fmt.Sprintf("%s imported %s for event %d: %d migrated, %d in progress, %d failed, %d stopped, %d not reported.",
		displayName(t.me()), report, n, s.Migrated, s.InProgress, s.Failed, s.Stopped, s.Unreported)
	if s.Bytes > 0 {
		msg += fmt.Sprintf(" %.1f GB reported migrated.", float64(s.Bytes)/(1<<30))
	}
	if s.Failed > 0 {
		msg += fmt.Sprintf(" **status <user>** gives each failure's error and fix; **remediate %d** puts the failed units into a new remediation event.", n)
	}
	if p, ok := playbook.LatestPlan(e); ok {
		msg += forecastNotice(e, p.Concurrency, t.now)
	}
	return msg
}

// importStatus records a status file that reached the bot as a file (an
// attachment in the personal chat, routed here by name): name is the
// file's name, for the answer; data its bytes. It answers with what was
// recorded, or refuses the whole file naming every bad row. The file's
// layout is read from its header, not its name.
func (t *turn) importStatus(e *playbook.Engagement, event int, name string, data []byte) (answer, error) {
	s, report, err := t.recordStatusFile(e, event, data)
	if err != nil {
		if personError(err) {
			return answer{}, playbook.Errorf(playbook.ErrorCode(err), "%s: %s", markdown.Escape(truncate(name, 120)), playbook.ErrorMessage(err))
		}
		return answer{}, err
	}
	bump(e)
	return save(e, answer{text: t.statusNotice(e, event, report, s)}), nil
}

// eventStatus records the status file pasted on the events card: a bad
// file comes back as typed, with every bad row under it, and nothing is
// imported.
func (t *turn) eventStatus(d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := cards.DecodeRecord(raw, cards.EventKey, "event", "events")
	if err != nil {
		return answer{}, err
	}
	n := b.ID
	text, err := b.Text(cards.StatusInput(n))
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionEventStatus, nil); err != nil {
		return answer{}, err
	}
	s, report, err := t.recordStatusFile(e, n, commaSeparated(text))
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		f := &cards.StatusForm{Event: n, Raw: text, Error: playbook.ErrorMessage(err)}
		if len(text) > maxMembersEcho {
			f.Raw = ""
			f.Error += " (The file is too long to show back here: fix it where you copied it from and paste it again.)"
		}
		who := t.a.From.ID
		return answer{card: cards.Events(e, cards.EventsView{Notice: fmt.Sprintf("Nothing was imported for event %d.", n), Attention: true, Status: f,
			May: func(a playbook.Action) bool { return playbook.Can(e, who, a, nil) == nil }})}, nil
	}
	bump(e)
	return save(e, answer{card: t.eventsCard(e, t.statusNotice(e, n, report, s), false)}), nil
}

// eventRemediate runs the events card's remediation button: the failed
// units of the event go into a new remediation event.
func (t *turn) eventRemediate(d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := cards.DecodeRecord(raw, cards.EventKey, "event", "events")
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	ev, err := playbook.RemediateFailures(e, t.a.From.ID, b.ID, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, answer{card: t.eventsCard(e, remediatedText(displayName(t.me()), e, b.ID, ev), false)}), nil
}
