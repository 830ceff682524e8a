package playbook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The weekly status report: what the MVM role guide asks to keep customers
// appraised of (progress against the schedule, pre-flight failures, issues,
// escalations) and its success metrics (units migrated, the month's
// activities aligned with the forecast, status notes kept, milestones and
// mandatory tasks complete, NPS).

// Report limits: lists in a report are capped, counts are not.
const (
	ReportNextEvents = 5
	ReportNotes      = 5
	ReportListCap    = 20
	// AlignedShare is the share of a month's forecast (in percent) the
	// units migrated must reach for the month to count as aligned.
	AlignedShare = 90
)

// Report is an engagement's weekly status at a moment.
//
// The reporting feed (GET /api/reports/<id>.json) serves it as JSON: the
// tags of Report and of every type inside it are the feed's public shape,
// documented in docs/reporting.md. Keep them lowerCamelCase, and rename
// none once released: Power BI reports are built on them.
type Report struct {
	Customer    string       `json:"customer"`
	At          time.Time    `json:"at"`    // now
	Since       time.Time    `json:"since"` // a week before At: "this week"
	Closed      bool         `json:"closed"`
	PlanVersion int          `json:"planVersion"` // 0 without a plan
	Units       UnitsSummary `json:"units"`
	// ThisMonth is the current month (in the plan's time zone) against the
	// forecast; Months the whole schedule.
	ThisMonth MonthProgress   `json:"thisMonth"`
	Months    []MonthProgress `json:"months"`
	Events    EventCounts     `json:"events"`
	// NextEvents are the next events still to finish, by date, at most
	// ReportNextEvents.
	NextEvents []EventSummary `json:"nextEvents"`
	// Preflight lists, per event not yet started, the units that failed
	// pre-flight and await remediation; PreflightFailed counts them all.
	Preflight       []EventFailures `json:"preflight"`
	PreflightFailed int             `json:"preflightFailed"`
	Issues          IssueCounts     `json:"issues"`
	// EscalatedIssues are open issues with an unresolved escalation, at
	// most ReportListCap.
	EscalatedIssues []Issue `json:"escalatedIssues"`
	// Escalations are the unresolved ones, most severe and oldest first.
	Escalations []EscalationView `json:"escalations"`
	Overdue     []OverdueTask    `json:"overdue"`
	Notes       []Note           `json:"notes"` // newest first, at most ReportNotes
	// Overrides are the steps taken against the playbook's order or
	// without their evidence, with the reason (Overrides), oldest first.
	Overrides []AuditEntry `json:"overrides"`
	// RemindDNS is DNSReminderDue: the FRP's 1370 is due.
	RemindDNS bool           `json:"remindDns"`
	Metrics   SuccessMetrics `json:"metrics"`
}

// UnitsSummary counts units against the plan.
type UnitsSummary struct {
	InScope int `json:"inScope"` // the latest plan's units
	// PlannedToDate are the units of events the plan dates today or
	// earlier.
	PlannedToDate    int `json:"plannedToDate"`
	Migrated         int `json:"migrated"`
	Failed           int `json:"failed"`
	MigratedThisWeek int `json:"migratedThisWeek"`
}

// EventCounts counts events by state.
type EventCounts struct {
	Total     int `json:"total"`
	Planned   int `json:"planned"`
	Preflight int `json:"preflight"`
	Ready     int `json:"ready"`
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Cancelled int `json:"cancelled"`
}

// EventSummary is an event as a report lists it.
type EventSummary struct {
	N       int        `json:"n"`
	Date    time.Time  `json:"date"`
	Kind    EventKind  `json:"kind"`
	Units   int        `json:"units"`
	State   EventState `json:"state"`
	Waived  bool       `json:"waived"`  // pre-flight waived
	Failing int        `json:"failing"` // units failing pre-flight
}

// EventFailures is one event's pre-flight failures awaiting remediation.
type EventFailures struct {
	Event        int           `json:"event"`
	Failed       int           `json:"failed"`
	Remediations []Remediation `json:"remediations"` // at most ReportListCap
}

// IssueCounts counts post-migration issues.
type IssueCounts struct {
	Total          int `json:"total"`
	Open           int `json:"open"`
	Escalated      int `json:"escalated"`
	HandedOver     int `json:"handedOver"`
	Resolved       int `json:"resolved"`
	OpenedThisWeek int `json:"openedThisWeek"`
	ClosedThisWeek int `json:"closedThisWeek"`
}

// SuccessMetrics are the MVM role guide's quantitative success metrics.
type SuccessMetrics struct {
	// UnitsCompletePercent is units migrated out of units in scope, rounded
	// down.
	UnitsCompletePercent int `json:"unitsCompletePercent"`
	// MonthAlignedPercent is this month's units migrated out of its
	// forecast (100 when nothing is forecast), rounded down.
	MonthAlignedPercent int `json:"monthAlignedPercent"`
	// AlignedMonths of PastMonths: finished months with a forecast whose
	// units migrated reached AlignedShare percent of it.
	AlignedMonths int `json:"alignedMonths"`
	PastMonths    int `json:"pastMonths"`
	// NotesThisWeek are the status notes of the last seven days; NoteWeeks
	// of Weeks are the weeks since the engagement was set up with at least
	// one note.
	NotesThisWeek     int       `json:"notesThisWeek"`
	NoteWeeks         int       `json:"noteWeeks"`
	Weeks             int       `json:"weeks"`
	MandatoryTasks    Tally     `json:"mandatoryTasks"` // every applicable task (Progress overall)
	MilestonesDone    int       `json:"milestonesDone"` // phases complete
	Milestones        int       `json:"milestones"`     // phases
	NPS               NPSResult `json:"nps"`
	EscalationsOpened int       `json:"escalationsOpened"` // this week
}

// WeeklyReport computes e's status report at now. Its notes come from the
// history, which must be whole (a store reads an engagement without it).
func WeeklyReport(e *Engagement, now time.Time) Report {
	r := Report{Customer: e.Customer, At: now.UTC(), Since: now.UTC().AddDate(0, 0, -7), Closed: e.IsClosed(), Overrides: Overrides(e)}
	loc := r.addPlan(e, now)
	r.addEvents(e)
	r.addMonths(e, now, loc)
	r.addIssues(e, now)
	r.Overdue = Overdue(e, now)
	r.RemindDNS = DNSReminderDue(e)
	r.addNotes(e, now)
	r.addMetrics(e)
	return r
}

// addPlan counts the units in the latest plan's scope and those planned by
// today, and returns the plan's time zone (UTC without a plan).
func (r *Report) addPlan(e *Engagement, now time.Time) *time.Location {
	p, hasPlan := LatestPlan(e)
	loc := time.UTC
	if hasPlan {
		r.PlanVersion = p.Version
		r.Units.InScope = p.Units
		loc = p.Location()
		td := todayIn(now, loc)
		for _, pe := range p.Events {
			if !pe.Date.After(td) {
				r.Units.PlannedToDate += pe.Units
			}
		}
	}
	return loc
}

// addEvents counts the events by state, the units migrated and failed,
// the pre-flight failures with their remediations, and the next events.
func (r *Report) addEvents(e *Engagement) {
	var next []EventSummary
	for _, ev := range e.Events {
		r.Events.Total++
		switch ev.State {
		case EventPlanned:
			r.Events.Planned++
		case EventPreflight:
			r.Events.Preflight++
		case EventReady:
			r.Events.Ready++
		case EventRunning:
			r.Events.Running++
			// A running event counts what its imported status says
			// (an IMAP mailbox is migrated once synced).
			m, f := e.unitCounts(ev)
			r.Units.Migrated += m
			r.Units.Failed += f
			r.Units.MigratedThisWeek += ev.migratedSince(r.Since)
		case EventCompleted:
			r.Events.Completed++
			m, f := e.unitCounts(ev)
			r.Units.Migrated += m
			r.Units.Failed += f
			if len(ev.Outcomes) > 0 {
				r.Units.MigratedThisWeek += ev.migratedSince(r.Since)
			} else if !ev.Completed.Before(r.Since) {
				r.Units.MigratedThisWeek += m
			}
		case EventCancelled:
			r.Events.Cancelled++
		}
		fails := 0
		if ev.State == EventPreflight || ev.State == EventReady {
			var rems []Remediation
			for _, pr := range ev.Preflight {
				if pr.Passed {
					continue
				}
				fails++
				if len(rems) < ReportListCap {
					rems = append(rems, remediationOf(pr))
				}
			}
			if fails > 0 {
				r.Preflight = append(r.Preflight, EventFailures{Event: ev.N, Failed: fails, Remediations: rems})
				r.PreflightFailed += fails
			}
		}
		if !ev.State.Terminal() {
			next = append(next, EventSummary{N: ev.N, Date: ev.Date, Kind: ev.Kind, Units: ev.Size(), State: ev.State,
				Waived: ev.Waiver != nil, Failing: fails})
		}
	}
	slices.SortStableFunc(next, func(a, b EventSummary) int { return a.Date.Compare(b.Date) })
	r.NextEvents = next[:min(len(next), ReportNextEvents)]
}

// addMonths sets the forecast against the actual, month by month, and
// counts the past months that kept to their forecast.
func (r *Report) addMonths(e *Engagement, now time.Time, loc *time.Location) {
	r.Months = ForecastVsActual(e)
	thisMonth := monthOf(now.In(loc))
	r.ThisMonth = MonthProgress{Month: thisMonth}
	for _, m := range r.Months {
		switch {
		case m.Month == thisMonth:
			r.ThisMonth = m
		case m.Month < thisMonth && m.Forecast > 0:
			r.Metrics.PastMonths++
			if m.Actual*100 >= m.Forecast*AlignedShare {
				r.Metrics.AlignedMonths++
			}
		}
	}
}

// addIssues counts the issues by state and this week's, and lists the
// escalated issues and the escalations not resolved.
func (r *Report) addIssues(e *Engagement, now time.Time) {
	escalated := escalatedIssues(e)
	for _, x := range e.Issues {
		r.Issues.Total++
		if !x.Opened.Before(r.Since) {
			r.Issues.OpenedThisWeek++
		}
		switch x.State {
		case IssueOpen:
			r.Issues.Open++
			if escalated[x.ID] {
				r.Issues.Escalated++
				if len(r.EscalatedIssues) < ReportListCap {
					r.EscalatedIssues = append(r.EscalatedIssues, x)
				}
			}
			continue
		case IssueResolved:
			r.Issues.Resolved++
		case IssueHandedOver:
			r.Issues.HandedOver++
		}
		if !x.Closed.Before(r.Since) {
			r.Issues.ClosedThisWeek++
		}
	}
	for _, x := range Escalations(e, now) {
		if x.State != EscalationResolved {
			r.Escalations = append(r.Escalations, x)
		}
		if !x.At.Before(r.Since) {
			r.Metrics.EscalationsOpened++
		}
	}
}

// addNotes lists the latest notes and counts the weeks that have one: it
// reads the whole history, which the caller of WeeklyReport loads.
func (r *Report) addNotes(e *Engagement, now time.Time) {
	r.Metrics.Weeks = int(now.Sub(e.Created)/(7*24*time.Hour)) + 1
	noted := map[int]bool{}
	for _, h := range e.History {
		if h.Action != ActionNote {
			continue
		}
		if !h.At.Before(r.Since) {
			r.Metrics.NotesThisWeek++
		}
		if w := int(h.At.Sub(e.Created) / (7 * 24 * time.Hour)); w >= 0 && w < r.Metrics.Weeks {
			noted[w] = true
		}
	}
	r.Metrics.NoteWeeks = len(noted)
	r.Notes = Notes(e, ReportNotes)
}

// addMetrics derives the other metrics from what the sections counted and
// from the tasks' progress.
func (r *Report) addMetrics(e *Engagement) {
	if r.Units.InScope > 0 {
		r.Metrics.UnitsCompletePercent = r.Units.Migrated * 100 / r.Units.InScope
	}
	r.Metrics.MonthAlignedPercent = 100
	if r.ThisMonth.Forecast > 0 {
		r.Metrics.MonthAlignedPercent = r.ThisMonth.Actual * 100 / r.ThisMonth.Forecast
	}
	pr := Progress(e)
	r.Metrics.MandatoryTasks = pr.Overall
	r.Metrics.Milestones = len(pr.Phases)
	for _, ph := range pr.Phases {
		if ph.Complete() {
			r.Metrics.MilestonesDone++
		}
	}
	r.Metrics.NPS = NPS(e)
}

// Markdown renders the report for a Teams message: headings, short lists,
// numbers with thousands separators. Names are member ids resolved through
// e when given (nil: ids as they are).
func (r Report) Markdown(e *Engagement) string {
	name := func(id string) string {
		if e != nil {
			if m, ok := e.Member(id); ok {
				return m.display()
			}
		}
		return id
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s: weekly status, %s**\n\n", r.Customer, day(r.At))
	if r.PlanVersion == 0 {
		b.WriteString("No migration plan accepted yet.\n\n")
	} else {
		fmt.Fprintf(&b, "**Units**: %s of %s migrated (%d%%), %s planned to date, %s failed; %s this week. Plan v%d.\n\n",
			countStr(r.Units.Migrated), countStr(r.Units.InScope), r.Metrics.UnitsCompletePercent, countStr(r.Units.PlannedToDate),
			countStr(r.Units.Failed), countStr(r.Units.MigratedThisWeek), r.PlanVersion)
		if r.ThisMonth.Forecast == 0 {
			// "45 of 0 forecast (100%)" read as a mistake.
			fmt.Fprintf(&b, "**This month (%s)**: %s migrated; nothing was forecast for this month.\n\n", r.ThisMonth.Month, countStr(r.ThisMonth.Actual))
		} else {
			fmt.Fprintf(&b, "**This month (%s)**: %s migrated against %s forecast (%d%%).\n\n",
				r.ThisMonth.Month, countStr(r.ThisMonth.Actual), countStr(r.ThisMonth.Forecast), r.Metrics.MonthAlignedPercent)
		}
	}
	if len(r.NextEvents) > 0 {
		b.WriteString("**Next events**\n\n")
		for _, ev := range r.NextEvents {
			fmt.Fprintf(&b, "- %d, %s: %s, %s units, %s\n", ev.N, day(ev.Date), ev.Kind, countStr(ev.Units), ev.State.describe())
		}
		b.WriteString("\n")
	}
	if r.PreflightFailed > 0 {
		fmt.Fprintf(&b, "**Pre-flight failures awaiting remediation**: %s\n\n", countStr(r.PreflightFailed))
		for _, p := range r.Preflight {
			fmt.Fprintf(&b, "- event %d: %s\n", p.Event, nOf(p.Failed, "unit", "units"))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "**Issues**: %s open (%s escalated), %s resolved, %s handed over.\n\n",
		countStr(r.Issues.Open), countStr(r.Issues.Escalated), countStr(r.Issues.Resolved), countStr(r.Issues.HandedOver))
	if len(r.Escalations) > 0 {
		b.WriteString("**Escalations**\n\n")
		for _, x := range r.Escalations[:min(len(r.Escalations), ReportListCap)] {
			fmt.Fprintf(&b, "- #%d %s, %s, %s old: %s\n", x.ID, x.Severity, x.State, ageText(x.Age), oneLine(x.Text, 120))
		}
		b.WriteString("\n")
	}
	if len(r.Overdue) > 0 {
		b.WriteString("**Overdue tasks**\n\n")
		for _, o := range r.Overdue[:min(len(r.Overdue), ReportListCap)] {
			fmt.Fprintf(&b, "- %s %s (%s), due %s\n", o.Task.Ref(), o.Task.Title, o.Owner, day(o.Due))
		}
		b.WriteString("\n")
	}
	if r.RemindDNS {
		b.WriteString("**Reminder**: the mail events are done; the FRP's DNS records and mail flow (1370) are next.\n\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("**Latest notes**\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s, %s: %s\n", day(n.At), name(n.By), oneLine(n.Text, 200))
		}
		b.WriteString("\n")
	}
	m := r.Metrics
	fmt.Fprintf(&b, "**Metrics**: tasks %d/%d, milestones %d/%d, months aligned with the forecast %d/%d, weeks with a status note %d/%d",
		m.MandatoryTasks.Done, m.MandatoryTasks.Applicable, m.MilestonesDone, m.Milestones, m.AlignedMonths, m.PastMonths, m.NoteWeeks, m.Weeks)
	if m.NPS.Responses > 0 {
		fmt.Fprintf(&b, ", NPS %d (%s)", m.NPS.Score, nOf(m.NPS.Responses, "response", "responses"))
	}
	b.WriteString(".\n")
	return b.String()
}

func ageText(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// ReportCSVHeader is the first row of ReportCSV.
var ReportCSVHeader = []string{"record", "id", "date", "state", "name", "units", "migrated", "failed", "detail"}

// ReportCSV exports e for a spreadsheet: one row per month of the schedule
// (record "month": forecast in units, actual in migrated), per event, per
// unit of an event (with its pre-flight result), per issue and per
// applicable task. Cells a spreadsheet would run as a formula are prefixed
// with a quote.
func ReportCSV(e *Engagement) []byte {
	w := &csvWriter{}
	row := w.Write
	itoa := strconv.Itoa
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	}
	row(slices.Clone(ReportCSVHeader)...)
	for _, m := range ForecastVsActual(e) {
		row("month", m.Month, "", "", "", itoa(m.Forecast), itoa(m.Actual), "", "")
	}
	for _, ev := range e.Events {
		detail := ""
		switch {
		case ev.State == EventCancelled:
			detail = "cancelled: " + ev.Reason
		case ev.Waiver != nil:
			detail = "pre-flight waived: " + ev.Waiver.Reason
		}
		name := string(ev.Kind)
		if ev.Source != "" {
			name += " " + string(ev.Source)
		}
		m, f := ev.UnitCounts()
		row("event", itoa(ev.N), date(ev.Date), string(ev.State), name, itoa(ev.Size()), itoa(m), itoa(f), detail)
	}
	for _, ev := range e.Events {
		res := make(map[string]PreflightResult, len(ev.Preflight))
		for _, p := range ev.Preflight {
			res[batchUnitKey(ev.MemberKind, p.Unit)] = p
		}
		for _, m := range ev.Members {
			state, detail := "unchecked", ""
			if p, ok := res[batchUnitKey(ev.MemberKind, m.Unit)]; ok {
				state, detail = "passed", p.Reason
				if !p.Passed {
					state = "failed"
					if p.KnownError != "" {
						detail += " [" + p.KnownError + "]"
					}
				}
			}
			if m.Target != "" {
				detail = strings.TrimSpace("target " + m.Target + "; " + detail)
			}
			row("unit", itoa(ev.N), "", state, m.Unit, "", "", "", detail)
		}
	}
	for _, x := range e.Issues {
		detail := x.Outcome
		if x.Unit != "" || x.Event != 0 {
			detail = strings.TrimSpace(fmt.Sprintf("unit %s event %d; %s", x.Unit, x.Event, detail))
		}
		row("issue", itoa(x.ID), date(x.Opened), string(x.State), x.Title, "", "", "", detail)
	}
	for _, t := range Applicable(e) {
		st := e.State(t.Key)
		row("task", t.Ref(), date(st.At), string(st.Status), t.Title, "", "", "", string(OwnerOf(e, t))+" "+st.Reason)
	}
	return w.Bytes()
}
