package cards

import (
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// VerbReport is the weekly report card's Refresh button. Stored in cards:
// never rename it.
const VerbReport = "report"

// Report is the weekly status report card of e (r is playbook.WeeklyReport
// of e): units against the plan and this month's forecast, the next events,
// pre-flight failures awaiting remediation, issues, unresolved escalations,
// overdue tasks, the DNS reminder, the latest notes and the success metrics.
// Lists are capped so that the card stays far below Teams' limit.
func Report(e *playbook.Engagement, r playbook.Report) *Card {
	body := []Element{Title(r.Customer + ": weekly status"), Subtle("As of " + r.At.Format(day+" 15:04") + " UTC; \"this week\" is since " + r.Since.Format(day) + ".")}
	if r.Closed {
		body = append(body, Notice("This engagement is closed.", false))
	}
	if r.PlanVersion == 0 {
		body = append(body, Text("No migration plan accepted yet: the MVM types **plan** to propose one from the questionnaire."))
	} else {
		body = append(body, Heading("Units"), Facts(
			Fact{"Migrated", fmt.Sprintf("%s of %s (%d%%) %s", count(r.Units.Migrated), count(r.Units.InScope), r.Metrics.UnitsCompletePercent, bar(r.Metrics.UnitsCompletePercent))},
			Fact{"Planned to date", count(r.Units.PlannedToDate)},
			Fact{"Failed", count(r.Units.Failed)},
			Fact{"This week", count(r.Units.MigratedThisWeek)},
			Fact{"This month (" + r.ThisMonth.Month + ")", fmt.Sprintf("%s of %s forecast (%d%%)", count(r.ThisMonth.Actual), count(r.ThisMonth.Forecast), r.Metrics.MonthAlignedPercent)},
			Fact{"Plan", fmt.Sprintf("v%d; events: %d planned, %d in pre-flight, %d ready, %d running, %d completed, %d cancelled",
				r.PlanVersion, r.Events.Planned, r.Events.Preflight, r.Events.Ready, r.Events.Running, r.Events.Completed, r.Events.Cancelled)},
		))
	}
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
			fs = append(fs, Fact{fmt.Sprintf("#%d %s", x.ID, x.Severity), fmt.Sprintf("%s, %s: %s", x.State, age(x.Age), truncate(oneLine(x.Text), 120))})
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
			fs = append(fs, Fact{o.Task.Ref(), fmt.Sprintf("%s (%s), due %s", truncate(o.Task.Title, 80), o.Owner, o.Due.Format(day))})
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
			body = append(body, Text(n.At.Format("2 Jan")+", "+truncate(memberName(e, n.By), 40)+": "+truncate(oneLine(n.Text), 300)))
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
		metrics = append(metrics, Fact{"NPS", fmt.Sprintf("%d (%s)", m.NPS.Score, plural(m.NPS.Responses, "response"))})
	}
	body = append(body, Heading("Success metrics"), Facts(metrics...))
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbReport, ActionData{Engagement: e.ID}))}
	return c
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

// plural is n with its noun: "1 response", "3 responses".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}

// oneLine flattens s to one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
