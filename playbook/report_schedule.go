package playbook

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ActionReportSchedule is the history action of a change to the weekly
// report's day and time. Stored: never rename it.
const ActionReportSchedule Action = "report_schedule"

// ReportSchedule is when an engagement's weekly status report is posted,
// in the customer's time zone; nil on the engagement means the bot's
// default (Monday 09:00).
type ReportSchedule struct {
	Day    time.Weekday `json:"day"`
	Hour   int          `json:"hour"`
	Minute int          `json:"minute"`
	// Off stops the weekly post; `report` still answers.
	Off bool      `json:"off,omitempty"`
	By  string    `json:"by"`
	At  time.Time `json:"at"`
}

// String is the schedule as people read it: "Monday 09:00" or "off".
func (r ReportSchedule) String() string {
	if r.Off {
		return "off"
	}
	return fmt.Sprintf("%s %02d:%02d", r.Day, r.Hour, r.Minute)
}

// ParseReportSchedule reads "<day> <hh:mm>" (monday 09:00, Fri 16:30, tue
// 8) or "off". Returns EINVALID otherwise.
func ParseReportSchedule(s string) (ReportSchedule, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) == 1 && f[0] == "off" {
		return ReportSchedule{Off: true}, nil
	}
	bad := Errorf(EINVALID, "Say a weekday and a time in the customer's time zone, like **report schedule monday 09:00**, or **report schedule off**.")
	if len(f) != 2 {
		return ReportSchedule{}, bad
	}
	day := -1
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if f[0] == name || len(f[0]) >= 3 && strings.HasPrefix(name, f[0]) {
			day = int(d)
		}
	}
	hh, mm, hasMin := strings.Cut(f[1], ":")
	h, herr := strconv.Atoi(hh)
	m, merr := 0, error(nil)
	if hasMin {
		m, merr = strconv.Atoi(mm)
	}
	if day < 0 || herr != nil || merr != nil || h < 0 || h > 23 || m < 0 || m > 59 || hasMin && len(mm) != 2 {
		return ReportSchedule{}, bad
	}
	return ReportSchedule{Day: time.Weekday(day), Hour: h, Minute: m}, nil
}

// SetReportSchedule sets when e's weekly report is posted. The MVM and the
// MST may. Returns ECONFLICT when e is closed; EFORBIDDEN for other roles.
func SetReportSchedule(e *Engagement, actorID string, r ReportSchedule, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionReportSchedule, nil); err != nil {
		return err
	}
	r.By, r.At = actorID, now.UTC()
	e.ReportSchedule = &r
	e.audit(now, actorID, ActionReportSchedule, "", "weekly report: "+r.String())
	return nil
}
