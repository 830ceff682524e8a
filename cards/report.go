package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// VerbReport is the weekly report card's Refresh button. Stored in cards:
// never rename it.
const VerbReport = "report"

// Report is the weekly status report card of e (r is playbook.WeeklyReport
// of e): units against the plan and this month's forecast, the next events,
// pre-flight failures awaiting remediation, issues, unresolved escalations,
// overdue tasks, the DNS reminder, the latest notes and the success metrics.
// Lists are capped so that the card stays far below Teams' limit. pic is
// the progress picture (chart.Progress), shown under the units; a zero
// Picture shows none.
func Report(e *playbook.Engagement, r playbook.Report, pic Picture) *Card {
	body := []Element{Title(markdown.Escape(r.Customer) + ": weekly status"), Subtle("As of " + r.At.Format(day+" 15:04") + " UTC; \"this week\" is since " + r.Since.Format(day) + ".")}
	if r.Closed {
		body = append(body, Notice("This engagement is closed.", false))
	}
	if r.PlanVersion == 0 {
		body = append(body, Text("No migration plan accepted yet: the MVM types **plan** to propose one from the questionnaire."))
	} else {
		body = append(body, Heading("Units"), Facts(
			Fact{"Migrated", fmt.Sprintf("%s of %s (%d%%)", count(r.Units.Migrated), count(r.Units.InScope), r.Metrics.UnitsCompletePercent)},
			Fact{"Planned to date", count(r.Units.PlannedToDate)},
			Fact{"Failed", count(r.Units.Failed)},
			Fact{"This week", count(r.Units.MigratedThisWeek)},
			Fact{"This month (" + monthName(r.ThisMonth.Month) + ")", monthProgress(r)},
			Fact{"Plan", fmt.Sprintf("v%d; events: %d planned, %d in pre-flight, %d ready, %d running, %d completed, %d cancelled",
				r.PlanVersion, r.Events.Planned, r.Events.Preflight, r.Events.Ready, r.Events.Running, r.Events.Completed, r.Events.Cancelled)},
		))
		if pic.element() == nil {
			body = append(body, Meter(r.Metrics.UnitsCompletePercent)) // else the picture shows it
		}
	}
	body = withPicture(body, pic)
	if len(r.NextEvents) > 0 {
		var fs []Fact
		for _, ev := range r.NextEvents {
			v := fmt.Sprintf("%s, %s units, %s", ev.Kind, count(ev.Units), strings.ReplaceAll(string(ev.State), "_", " "))
			if ev.Failing > 0 {
				v += fmt.Sprintf(", %d failing pre-flight", ev.Failing)
			}
			if ev.Waived {
				v += ", pre-flight waived"
			}
			fs = append(fs, Fact{fmt.Sprintf("Event %d, %s", ev.N, ev.Date.Format("Mon 2 Jan")), v})
		}
		body = append(body, Heading("Next events"), Facts(fs...))
	}
	if r.PreflightFailed > 0 {
		body = append(body, Heading(fmt.Sprintf("Pre-flight failures awaiting remediation (%s)", count(r.PreflightFailed))))
		var fs []Fact
		for _, p := range r.Preflight {
			fs = append(fs, Fact{fmt.Sprintf("Event %d", p.Event), fmt.Sprintf("%s failed", count(p.Failed))})
		}
		body = append(body, Facts(fs...), Subtle("The customer remediates them; **events** shows each event's known errors and remediations."))
	}
	body = append(body, Heading("Issues"), Text(fmt.Sprintf("%d open (%d escalated), %d resolved, %d handed over; %d opened and %d closed this week.",
		r.Issues.Open, r.Issues.Escalated, r.Issues.Resolved, r.Issues.HandedOver, r.Issues.OpenedThisWeek, r.Issues.ClosedThisWeek)))
	if len(r.Escalations) > 0 {
		body = append(body, Heading(fmt.Sprintf("Unresolved escalations (%d)", len(r.Escalations))))
		var fs []Fact
		for i, x := range r.Escalations {
			if i == reportRows {
				fs = append(fs, Fact{"…", fmt.Sprintf("and %d more: type **escalations**", len(r.Escalations)-i)})
				break
			}
			fs = append(fs, Fact{fmt.Sprintf("#%d %s", x.ID, x.Severity), fmt.Sprintf("%s, %s: %s", x.State, age(x.Age), markdown.Escape(truncate(oneLine(x.Text), 120)))})
		}
		body = append(body, Facts(fs...))
	}
	if len(r.Overdue) > 0 {
		body = append(body, Heading(fmt.Sprintf("Overdue tasks (%d)", len(r.Overdue))))
		var fs []Fact
		for i, o := range r.Overdue {
			if i == reportRows {
				fs = append(fs, Fact{"…", fmt.Sprintf("and %d more: type **status**", len(r.Overdue)-i)})
				break
			}
			fs = append(fs, Fact{taskNumber(o.Task), fmt.Sprintf("%s (%s), due %s", truncate(o.Task.Title, 80), o.Owner, o.Due.Format(day))})
		}
		body = append(body, Facts(fs...))
	}
	if len(r.Overrides) > 0 {
		body = append(body, Heading(fmt.Sprintf("Overrides (%d)", len(r.Overrides))), Facts(overrideFacts(e, r.Overrides)...))
	}
	if r.RemindDNS {
		body = append(body, Notice("The mail events are done: the FRP's DNS records and mail flow (1370) are next.", true))
	}
	if len(r.Notes) > 0 {
		body = append(body, Heading("Latest notes"))
		for _, n := range r.Notes {
			body = append(body, Text(n.At.Format("2 Jan")+", "+truncate(memberName(e, n.By), 40)+": "+markdown.Escape(truncate(oneLine(n.Text), 300))))
		}
	}
	m := r.Metrics
	metrics := []Fact{
		{"Tasks", fmt.Sprintf("%d of %d", m.MandatoryTasks.Done, m.MandatoryTasks.Applicable)},
		{"Milestones", fmt.Sprintf("%d of %d phases", m.MilestonesDone, m.Milestones)},
		{"Months aligned with the forecast", fmt.Sprintf("%d of %d", m.AlignedMonths, m.PastMonths)},
		{"Weeks with a status note", fmt.Sprintf("%d of %d (%d this week)", m.NoteWeeks, m.Weeks, m.NotesThisWeek)},
		{"Escalations this week", fmt.Sprintf("%d", m.EscalationsOpened)},
	}
	if m.NPS.Responses > 0 {
		metrics = append(metrics, Fact{"NPS", fmt.Sprintf("%d (%s)", m.NPS.Score, Plural(m.NPS.Responses, "response"))})
	}
	body = append(body, Heading("Success metrics"), Facts(metrics...))
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbReport, ActionData{Engagement: e.ID}))}
	return c
}

// monthProgress is this month's units against its forecast; a month with
// nothing forecast says so ("45 of 0 forecast (100%)" read as a mistake).
func monthProgress(r playbook.Report) string {
	if r.ThisMonth.Forecast == 0 {
		return count(r.ThisMonth.Actual) + " migrated; nothing was forecast for this month"
	}
	return fmt.Sprintf("%s of %s forecast (%d%%)", count(r.ThisMonth.Actual), count(r.ThisMonth.Forecast), r.Metrics.MonthAlignedPercent)
}

// monthName writes "2026-12" as "December 2026".
func monthName(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("January 2006")
}

// Meter draws a percentage as a bar people see at a glance: a filled and
// an empty part side by side, in Teams' accent and a light grey (a text bar
// of "░" was nearly invisible). The number stays in the text beside it.
func Meter(pct int) Element {
	pct = max(0, min(100, pct))
	part := func(style string, width int) Element {
		return Element{{"type", "Column"}, {"width", width}, {"style", style}, {"minHeight", "10px"}, {"items", []Element{}}}
	}
	var cols []Element
	if pct > 0 {
		cols = append(cols, part("accent", pct))
	}
	if pct < 100 {
		cols = append(cols, part("emphasis", 100-pct))
	}
	return Element{{"type", "ColumnSet"}, {"columns", cols}, {"spacing", "Small"}}
}

// reportRows bounds each list of the report card.
const reportRows = 10

// count writes n with thousands separators: 12,345.
func count(n int) string {
	s := itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// Plural is n with its noun: "1 response", "3 responses".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}

// oneLine flattens s to one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
