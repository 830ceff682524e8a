package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// reportCommands are the commands of this file (see Command).
var reportCommands = []Command{
	{Name: "report", Usage: "report [csv|schedule <day> <hh:mm>]", Scopes: allScopes,
		Description: "The weekly status report now, the engagement as CSV, or when the report is posted",
		Help: "Units against the plan and this month's forecast, the next events, pre-flight failures, issues, escalations, overdue tasks, notes and the success metrics. " +
			"It is also posted every week, Monday 09:00 in the customer's time zone from the questionnaire unless **report schedule friday 16:00** (the MVM or the MST) says otherwise; **report schedule off** stops the post. **report csv** gives months, events, units, issues and tasks for a spreadsheet.",
		Rank: 160,
		Run:  (*turn).reportCommand},
}

// reportButtons are the buttons of this file's cards (see Button).
var reportButtons = []Button{
	{Verbs: []string{cards.VerbReport},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.report(d) }},
}

// The weekly status report in the conversation (issue 8): report posts the
// card now, report csv the export as a code block. The weekly post itself is
// a job (jobs_report.go).

// reportCSVMax bounds the CSV shown in one message, well below Teams' 28 KB
// per message, so that the code block and its explanation fit.
const reportCSVMax = 20 << 10

// reportCommand runs "report", "report csv" and "report schedule".
func (t *turn) reportCommand(args string) (answer, error) {
	sub, rest := splitCommand(args)
	switch sub {
	case "":
		return t.report(cards.ActionData{})
	case "csv":
		e, err := t.here()
		if err != nil {
			return answer{}, err
		}
		return answer{text: reportCSVText(e)}, nil
	case "schedule":
		return t.reportSchedule(rest)
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "**report** posts the weekly status now; **report csv** exports it for a spreadsheet; **report schedule monday 09:00** sets when it is posted. %q is none of those.", truncate(sub, 30))
}

// report answers the weekly report card; anyone in the engagement may see it.
func (t *turn) report(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: cards.Report(e, playbook.WeeklyReport(e, t.now), progressPicture(e, t.now))}, nil
}

// reportCSVText is ReportCSV as a code block, cut at a line when longer
// than reportCSVMax, saying so.
func reportCSVText(e *playbook.Engagement) string {
	block, shown, total := csvBlock(playbook.ReportCSV(e))
	note := fmt.Sprintf("The %s engagement as CSV (%d rows with the header): copy it into a file, or paste it into a spreadsheet.", markdown.Escape(e.Customer), total)
	if shown < total {
		note = fmt.Sprintf("The %s engagement as CSV, **cut**: the first %d of %d rows, as one message holds no more. The months and events come first; the units, issues and tasks after them were left out.",
			markdown.Escape(e.Customer), shown, total)
	}
	return note + "\n\n" + block
}

// csvBlock is csv as a markdown code block, cut at a row when longer than
// reportCSVMax, with the rows shown and in all (the header included).
func csvBlock(csv []byte) (block string, shown, total int) {
	// A cell cannot end the code block early.
	csv = bytes.ReplaceAll(csv, []byte("```"), []byte("'''"))
	total = bytes.Count(csv, []byte("\n"))
	if len(csv) > reportCSVMax {
		csv = csv[:bytes.LastIndexByte(csv[:reportCSVMax], '\n')+1]
	}
	shown = bytes.Count(csv, []byte("\n"))
	return "```\n" + strings.TrimRight(string(csv), "\n") + "\n```", shown, total
}

// reportSchedule runs "report schedule [<day> <hh:mm>|off]": without
// arguments it says when the report is posted. The next report's job is
// queued with the change; the job of the old slot finds it moved and posts
// nothing.
func (t *turn) reportSchedule(args string) (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	zone := reportZone(e).String()
	if strings.TrimSpace(args) == "" {
		when := "Monday 09:00 (the default)"
		if r := e.ReportSchedule; r != nil {
			when = r.String()
		}
		return answer{text: fmt.Sprintf("The %s weekly report is posted: %s, %s time. **report schedule friday 16:00** changes it, **report schedule off** stops it.", markdown.Escape(e.Customer), when, zone)}, nil
	}
	r, err := playbook.ParseReportSchedule(args)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.SetReportSchedule(e, t.a.From.ID, r, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	if r.Off {
		return save(e, answer{text: fmt.Sprintf("%s turned the weekly report off. **report** still shows it; **report schedule monday 09:00** turns it back on.", displayName(t.me()))}), nil
	}
	j, err := reportJobAt(e, WeeklyTime{Day: r.Day, Hour: r.Hour, Minute: r.Minute}, t.now)
	if err != nil {
		return answer{}, err
	}
	ans := answer{text: fmt.Sprintf("%s set the weekly report to %s, %s time; the next one is posted %s UTC.", displayName(t.me()), r, zone, j.RunAt.Format("Mon 2 Jan 15:04"))}
	if e.Conversation != "" {
		ans.jobs = []playbook.Job{j}
	}
	return save(e, ans), nil
}
