package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// unitStatusCommands are this file's commands (see Command); "status
// <user>" is status's own Run, in tasks.go.
var unitStatusCommands = []Command{
	{Name: "remediate", Usage: "remediate <from event> <to event>", Scopes: sharedScope,
		Description: "Move the failed units of one migration event into another, in one step",
		Help: "The MVM or the MST. The failed units are those whose imported migration status (mvmbot import status) is failed; " +
			"they join the member list of the other event, planned or in pre-flight without results, with their source login and destination, " +
			"and the report counts each unit once, where it stands now.",
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
		return answer{}, playbook.Errorf(playbook.EFORBIDDEN, "You are not a member of the %s engagement, so its migration status is not shown to you.", e.Customer)
	}
	q = strings.TrimSpace(q)
	ws := playbook.FindUnit(e, q)
	if len(ws) == 0 {
		return answer{text: fmt.Sprintf("%s is in none of the %s engagement's migration events. Check the spelling (the Microsoft 365 address, the source login or the path), or the events card for the batches.", truncate(q, 200), e.Customer)}, nil
	}
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteString("\n\n")
		}
		fmt.Fprintf(&b, "**%s**: event %d (%s, %s), %s.", truncate(w.Member.Unit, 200), w.Event, w.Kind, w.Date.Format("Mon 2 Jan 2006"), w.State)
		if w.Member.Login != "" {
			fmt.Fprintf(&b, " Source login: %s.", truncate(w.Member.Login, 200))
		}
		switch {
		case w.Outcome != nil:
			fmt.Fprintf(&b, "\n\nMigration status **%s** (%s)", w.Outcome.Status, w.Outcome.Outcome)
			if w.Outcome.LastSync != "" {
				fmt.Fprintf(&b, ", last successful sync %s", truncate(w.Outcome.LastSync, 60))
			}
			if w.Outcome.Skipped > 0 {
				fmt.Fprintf(&b, ", %d items skipped", w.Outcome.Skipped)
			}
			fmt.Fprintf(&b, "; reported %s UTC.", w.Outcome.Recorded.Format("2 Jan 15:04"))
			if w.Outcome.Error != "" {
				fmt.Fprintf(&b, "\n\nError: %s", truncate(w.Outcome.Error, 500))
			}
		case w.Preflight != nil && !w.Preflight.Passed:
			fmt.Fprintf(&b, "\n\nFailed pre-flight: %s", truncate(w.Preflight.Reason, 500))
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

// remediate runs "remediate <from> <to>": the failed units of event from,
// by its imported status, join event to in one step.
func (t *turn) remediate(args string) (answer, error) {
	f := strings.Fields(args)
	var from, to int
	if len(f) != 2 || !parseEventNumber(f[0], &from) || !parseEventNumber(f[1], &to) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say which event's failed units move into which event: **remediate 1 3** moves the failures of event 1 into event 3.")
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	n, err := playbook.RemediateFailures(e, t.a.From.ID, from, to, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	units := "units"
	if n == 1 {
		units = "unit"
	}
	return save(e, answer{text: fmt.Sprintf("%s moved %d failed %s of event %d into event %d of the %s engagement; they go through its pre-flight and run with it. **status <user>** shows where each is.",
		displayName(t.me()), n, units, from, to, markdown.Escape(e.Customer))}), nil
}

func parseEventNumber(s string, n *int) bool {
	v, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	*n = v
	return err == nil && v > 0
}
