package bot

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// The weekly status report in the conversation (issue 8): report posts the
// card now, report csv the export as a code block. The weekly post itself is
// a job (jobs_report.go).

// reportCSVMax bounds the CSV shown in one message, well below Teams' 28 KB
// per message, so that the code block and its explanation fit.
const reportCSVMax = 20 << 10

// reportCommand runs "report" and "report csv".
func (t *turn) reportCommand(args string) (answer, error) {
	sub, _ := splitCommand(args)
	switch sub {
	case "":
		return t.report(cards.ActionData{})
	case "csv":
		e, err := t.here()
		if err != nil {
			return answer{}, err
		}
		return answer{text: reportCSVText(e)}, nil
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "**report** posts the weekly status now; **report csv** exports it for a spreadsheet. %q is neither.", truncate(sub, 30))
}

// report answers the weekly report card; anyone in the engagement may see it.
func (t *turn) report(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: cards.Report(e, playbook.WeeklyReport(e, t.now))}, nil
}

// reportCSVText is ReportCSV as a code block, cut at a line when longer
// than reportCSVMax, saying so.
func reportCSVText(e *playbook.Engagement) string {
	csv := playbook.ReportCSV(e)
	// A cell cannot end the code block early.
	csv = bytes.ReplaceAll(csv, []byte("```"), []byte("'''"))
	total := bytes.Count(csv, []byte("\n"))
	note := fmt.Sprintf("The %s engagement as CSV (%d rows with the header): copy it into a file, or paste it into a spreadsheet.", e.Customer, total)
	if len(csv) > reportCSVMax {
		cut := bytes.LastIndexByte(csv[:reportCSVMax], '\n') + 1
		csv = csv[:cut]
		shown := bytes.Count(csv, []byte("\n"))
		note = fmt.Sprintf("The %s engagement as CSV, **cut**: the first %d of %d rows, as one message holds no more. The months and events come first; the units, issues and tasks after them were left out.",
			e.Customer, shown, total)
	}
	return note + "\n\n```\n" + strings.TrimRight(string(csv), "\n") + "\n```"
}
