package playbook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The migration schedule (task 1871, issue 8): ProposePlan turns what the
// validated questionnaire says (units in scope, window, blackout dates,
// pilot size, preferred batch size) into a pilot event and velocity batches;
// the MVM adjusts the proposal on a card and AcceptPlan records it as a new,
// immutable version. docs/schedule.md gives the sizing rule and its reasons.

// Schedule limits. They bound the work a plan costs and catch typing
// mistakes (a window in the wrong century).
const (
	MaxPlanUnits      = 10_000_000 // units one plan may schedule
	MaxPlanWindowDays = 3 * 366    // calendar days of a window, inclusive
	MaxBlackouts      = 200        // blackout ranges
	// DefaultPilotReviewDays is what a plan card pre-fills as the working
	// days between the pilot and the first velocity batch: time to read the
	// pilot's results, remediate and brief users before volume starts.
	DefaultPilotReviewDays = 2
)

// ActionAcceptPlan names the history entry of an accepted plan version.
// Stored: never rename it.
const ActionAcceptPlan Action = "plan_accept"

// DateRange is a span of civil dates, both ends included. Only the year,
// month and day of Start and End count; plans store them as midnight UTC.
type DateRange struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether the civil date d falls in r.
func (r DateRange) Contains(d time.Time) bool {
	d = civilDate(d)
	return !d.Before(civilDate(r.Start)) && !d.After(civilDate(r.End))
}

func (r DateRange) String() string {
	if civilDate(r.Start).Equal(civilDate(r.End)) {
		return day(r.Start)
	}
	return day(r.Start) + " to " + day(r.End)
}

// PlanInput is what a schedule is proposed from: the questionnaire's answers
// (see PlanInputFromAnswers) as the MVM adjusted them on the plan card.
type PlanInput struct {
	// Units are the users (mailboxes, drives) or paths in scope.
	Units int
	// VolumeGB is the total data volume, 0 when unknown; it only spreads an
	// estimate of gigabytes over the events.
	VolumeGB float64
	// WindowStart and WindowEnd are the first and last civil dates events
	// may run on, inclusive.
	WindowStart, WindowEnd time.Time
	// Blackouts are dates no event may run on.
	Blackouts []DateRange
	// PilotSize is the units of the pilot, the first event; 0 plans no
	// pilot (the MVM decided the test migration was enough).
	PilotSize int
	// PilotReviewDays are working days left free between the pilot and the
	// first velocity batch (DefaultPilotReviewDays on a new card).
	PilotReviewDays int
	// PreferredBatch is the customer's preferred units per velocity batch.
	PreferredBatch int
	// MaxBatch is the most units one batch day may take (the migration
	// environment's capacity). 0 means PreferredBatch: the batch size is
	// never raised.
	MaxBatch int
	// AllowWeekends lets events run on Saturdays and Sundays.
	AllowWeekends bool
	// TimeZone is the customer's; it decides which date "today" is. Nil
	// means UTC.
	TimeZone *time.Location
	// Capacity is the units one batch day can take at the pace completed
	// events measured (Throughput.Capacity); 0 when nothing is measured.
	// It caps the preferred and the maximum batch size.
	Capacity int
	// Concurrency is the migration endpoint's MaxConcurrentMigrations the
	// capacities were scaled to (0: unknown); the plan records it.
	Concurrency int
	// Split plans each source in its own events (proposeSplit): mail and
	// content never share an event. Units is then the sum of the split.
	Split []SourceUnits
}

// EventKind says what an event is for.
type EventKind string

// Event kinds. Stored: never rename one.
const (
	KindPilot EventKind = "pilot" // the first, small event that tests the approach
	KindBatch EventKind = "batch" // a velocity batch
	// KindRemediation moves again the units that failed in an earlier
	// event (RemediateFailures). Its units are not the scope's: they were
	// counted once already, so they add to no plan total or forecast, and
	// it runs when the failures are fixed, not in the window's order.
	KindRemediation EventKind = "remediation"
)

// PlannedEvent is one event of a plan.
type PlannedEvent struct {
	N     int       `json:"n"`    // 1, 2, …; an event keeps its number across versions
	Date  time.Time `json:"date"` // civil date, midnight UTC
	Kind  EventKind `json:"kind"`
	Units int       `json:"units"`
	// Source limits the event to one source of a multi-source engagement
	// ("" = the engagement's sources). It decides which events are mail.
	Source Source `json:"source,omitempty"`
	// EstimatedGB is Units × the plan's average GB per unit; 0 when the
	// volume is unknown.
	EstimatedGB float64 `json:"estimatedGb,omitempty"`
}

// MonthUnits is the units a schedule moves in one calendar month.
type MonthUnits struct {
	Month string `json:"month"` // "2027-03"
	Units int    `json:"units"`
}

// Plan is a schedule: proposed by ProposePlan, adjusted by the MVM, and
// recorded by AcceptPlan as a version that never changes afterwards.
type Plan struct {
	// Version is 0 in a proposal and 1, 2, … once accepted.
	Version int `json:"version"`
	// Units are the units in scope; the events' units add up to it.
	Units         int         `json:"units"`
	VolumeGB      float64     `json:"volumeGb,omitempty"`
	Window        DateRange   `json:"window"`
	Blackouts     []DateRange `json:"blackouts,omitempty"`
	AllowWeekends bool        `json:"allowWeekends,omitempty"`
	TimeZone      string      `json:"timeZone,omitempty"` // IANA name; "" is UTC
	// BatchSize is the velocity batch size the proposal chose, and Sizing
	// says why, for a person ("raised from 1,500 to 2,000 to finish by…").
	BatchSize int `json:"batchSize,omitempty"`
	// Concurrency is the endpoint's concurrent migrations the plan was
	// sized with (0: unknown); the forecast at the measured pace scales to it.
	Concurrency int            `json:"concurrency,omitempty"`
	Sizing      string         `json:"sizing,omitempty"`
	Events      []PlannedEvent `json:"events"`
	// Forecast is the units per month, every month from the first event to
	// the last, in order.
	Forecast   []MonthUnits `json:"forecast"`
	AcceptedBy string       `json:"acceptedBy,omitempty"` // member id
	AcceptedAt time.Time    `json:"acceptedAt,omitzero"`
}

func (p Plan) clone() Plan {
	p.Blackouts = slices.Clone(p.Blackouts)
	p.Events = slices.Clone(p.Events)
	p.Forecast = slices.Clone(p.Forecast)
	return p
}

// Location returns the plan's time zone, UTC when it has none or names an
// unknown zone.
func (p Plan) Location() *time.Location {
	return schedLocation(p.TimeZone)
}

func schedLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// civil returns the civil date of t, as written in t's own location, as
// midnight UTC.
func civilDate(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// today is the civil date of now in loc.
func todayIn(now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return civilDate(now.In(loc))
}

func weekendDay(d time.Time) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// num writes n with thousands separators, as people read counts: 41,000.
func countStr(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func divUp(a, b int) int {
	return (a + b - 1) / b
}

// plural writes "1 day", "2 days".
func nOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return countStr(n) + " " + many
}

// normalize checks in and returns its window and blackouts as civil dates.
func (in *PlanInput) normalize(now time.Time) (time.Time, error) {
	if in.TimeZone == nil {
		in.TimeZone = time.UTC
	}
	td := todayIn(now, in.TimeZone)
	switch {
	case in.Units <= 0:
		return td, Errorf(EINVALID, "Give the units in scope (users or paths to migrate); %s is not a count.", countStr(in.Units))
	case in.Units > MaxPlanUnits:
		return td, Errorf(EINVALID, "%s units is more than one plan schedules (%s); split the migration into several engagements or phases.", countStr(in.Units), countStr(MaxPlanUnits))
	case in.VolumeGB < 0 || in.VolumeGB != in.VolumeGB:
		return td, Errorf(EINVALID, "The data volume must be zero (unknown) or more GB.")
	case in.PilotSize < 0:
		return td, Errorf(EINVALID, "The pilot size cannot be negative.")
	case in.PilotSize > in.Units:
		return td, Errorf(EINVALID, "The pilot (%s units) is larger than the units in scope (%s).", countStr(in.PilotSize), countStr(in.Units))
	case in.PilotReviewDays < 0 || in.PilotReviewDays > 60:
		return td, Errorf(EINVALID, "The pilot review takes 0 to 60 working days, not %d.", in.PilotReviewDays)
	case in.PreferredBatch <= 0:
		return td, Errorf(EINVALID, "Give the preferred batch size: the units per velocity batch.")
	case in.MaxBatch < 0:
		return td, Errorf(EINVALID, "The maximum batch size cannot be negative.")
	}
	if in.MaxBatch == 0 {
		in.MaxBatch = in.PreferredBatch
	}
	if in.MaxBatch < in.PreferredBatch {
		return td, Errorf(EINVALID, "The maximum batch size (%s) is smaller than the preferred one (%s).", countStr(in.MaxBatch), countStr(in.PreferredBatch))
	}
	if in.WindowStart.IsZero() || in.WindowEnd.IsZero() {
		return td, Errorf(EINVALID, "Give the migration window: its first and last dates.")
	}
	in.WindowStart, in.WindowEnd = civilDate(in.WindowStart), civilDate(in.WindowEnd)
	switch {
	case in.WindowEnd.Before(in.WindowStart):
		return td, Errorf(EINVALID, "The window ends (%s) before it starts (%s).", day(in.WindowEnd), day(in.WindowStart))
	case in.WindowStart.Before(td):
		return td, Errorf(EINVALID, "The window starts on %s, which is in the past (today is %s in %s). Start it today or later.", day(in.WindowStart), day(td), in.TimeZone)
	case int(in.WindowEnd.Sub(in.WindowStart).Hours()/24)+1 > MaxPlanWindowDays:
		return td, Errorf(EINVALID, "The window from %s to %s is longer than three years; plan the first part and re-plan later.", day(in.WindowStart), day(in.WindowEnd))
	case len(in.Blackouts) > MaxBlackouts:
		return td, Errorf(EINVALID, "%d blackout ranges is more than %d; merge neighbouring dates into ranges.", len(in.Blackouts), MaxBlackouts)
	}
	bs := make([]DateRange, 0, len(in.Blackouts))
	for _, b := range in.Blackouts {
		if b.Start.IsZero() || b.End.IsZero() {
			return td, Errorf(EINVALID, "A blackout needs a first and a last date.")
		}
		b = DateRange{civilDate(b.Start), civilDate(b.End)}
		if b.End.Before(b.Start) {
			return td, Errorf(EINVALID, "The blackout %s to %s ends before it starts.", day(b.Start), day(b.End))
		}
		bs = append(bs, b)
	}
	in.Blackouts = bs
	return td, nil
}

// workingDays returns the dates in [from, to] an event may run on.
func schedDays(from, to time.Time, blackouts []DateRange, weekends bool) []time.Time {
	var ds []time.Time
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		if (!weekends && weekendDay(d)) || slices.ContainsFunc(blackouts, func(b DateRange) bool { return b.Contains(d) }) {
			continue
		}
		ds = append(ds, d)
	}
	return ds
}

// ProposePlan proposes a schedule for in, as of now. The rule
// (docs/schedule.md):
//
//  1. Events run on working days: dates of the window that are not
//     blackouts, nor Saturdays or Sundays unless AllowWeekends. One event a
//     day.
//  2. The pilot, when PilotSize > 0, runs on the first working day.
//     PilotReviewDays working days follow with no event.
//  3. The remaining units go in velocity batches, one a working day from the
//     next working day on, at the preferred batch size when that finishes
//     inside the window. Otherwise the size is raised to the smallest that
//     does, up to MaxBatch. Every batch is full but the last. Days left at
//     the end of the window stay free: contingency for re-runs.
//
// Returns EINVALID, with the numbers, for an input that breaks a limit, a
// window in the past, a blackout covering every working day, and a window
// too short for the units even at MaxBatch.
func ProposePlan(in PlanInput, now time.Time) (Plan, error) {
	if len(in.Split) > 0 {
		return proposeSplit(in, now)
	}
	capped := ""
	if in.Capacity > 0 && (in.PreferredBatch > in.Capacity || in.MaxBatch > in.Capacity) {
		capped = fmt.Sprintf(" Batches are capped at %s units, the pace completed events measured.", countStr(in.Capacity))
		if in.MaxBatch == 0 {
			in.MaxBatch = in.PreferredBatch
		}
		in.PreferredBatch, in.MaxBatch = min(in.PreferredBatch, in.Capacity), min(in.MaxBatch, in.Capacity)
	}
	if _, err := in.normalize(now); err != nil {
		return Plan{}, err
	}
	days := schedDays(in.WindowStart, in.WindowEnd, in.Blackouts, in.AllowWeekends)
	window := fmt.Sprintf("%s to %s", day(in.WindowStart), day(in.WindowEnd))
	if len(days) == 0 {
		why := "blackout dates cover"
		if !in.AllowWeekends && len(schedDays(in.WindowStart, in.WindowEnd, nil, false)) == 0 {
			why = "weekends take"
		}
		return Plan{}, Errorf(EINVALID, "The window %s has no working day: %s all of it. Widen the window, shorten the blackouts or allow weekends.", window, why)
	}
	p := Plan{
		Units:         in.Units,
		VolumeGB:      in.VolumeGB,
		Window:        DateRange{in.WindowStart, in.WindowEnd},
		Blackouts:     in.Blackouts,
		AllowWeekends: in.AllowWeekends,
	}
	if in.TimeZone != time.UTC {
		p.TimeZone = in.TimeZone.String()
	}
	p.Concurrency = max(in.Concurrency, 0)
	gbPerUnit := in.VolumeGB / float64(in.Units)
	add := func(d time.Time, k EventKind, u int) {
		p.Events = append(p.Events, PlannedEvent{N: len(p.Events) + 1, Date: d, Kind: k, Units: u,
			EstimatedGB: roundTenth(gbPerUnit * float64(u))})
	}
	left, next := in.Units, 0
	if in.PilotSize > 0 {
		add(days[0], KindPilot, in.PilotSize)
		left -= in.PilotSize
		next = 1 + in.PilotReviewDays
	}
	if left > 0 {
		avail := max(len(days)-next, 0)
		need := divUp(left, in.PreferredBatch)
		size := in.PreferredBatch
		after := ""
		if in.PilotSize > 0 {
			after = " after the pilot"
			if in.PilotReviewDays > 0 {
				after = fmt.Sprintf(" after the pilot and its %s of review", nOf(in.PilotReviewDays, "working day", "working days"))
			}
		}
		switch {
		case avail == 0:
			return Plan{}, Errorf(EINVALID, "%s units left%s need at least %s at up to %s a day, but the window %s has no working day left%s. Widen the window, shorten the blackouts or allow weekends.",
				countStr(left), after, nOf(divUp(left, in.MaxBatch), "batch day", "batch days"), countStr(in.MaxBatch), window, after)
		case need <= avail:
			p.Sizing = fmt.Sprintf("%s batches of up to %s units (the preferred size) finish on %s, leaving %s of the window free for re-runs.",
				countStr(need), countStr(size), day(days[next+need-1]), nOf(avail-need, "working day", "working days"))
		default:
			size = divUp(left, avail)
			if size > in.MaxBatch {
				return Plan{}, Errorf(EINVALID, "%s units left%s need %s at %s a day, but the window %s has %s left outside blackouts. Widen the window, allow weekends, shorten the blackouts, raise the maximum batch size to %s, or take units out of scope.",
					countStr(left), after, nOf(divUp(left, in.MaxBatch), "batch day", "batch days"), countStr(in.MaxBatch), window,
					nOf(avail, "working day", "working days"), countStr(size))
			}
			need = divUp(left, size)
			p.Sizing = fmt.Sprintf("The preferred %s units a batch would need %s; %s are left%s, so batches are raised to %s units (the maximum is %s) and end on %s.",
				countStr(in.PreferredBatch), nOf(divUp(left, in.PreferredBatch), "batch day", "batch days"), nOf(avail, "working day", "working days"), after, countStr(size), countStr(in.MaxBatch), day(days[next+need-1]))
		}
		p.BatchSize = size
		p.Sizing += capped
		for i := 0; left > 0; i++ {
			u := min(size, left)
			add(days[next+i], KindBatch, u)
			left -= u
		}
	} else {
		p.Sizing = "The pilot takes every unit in scope; there are no velocity batches."
	}
	p.Forecast = forecastOf(p.Events)
	return p, nil
}

func roundTenth(x float64) float64 {
	return float64(int64(x*10+0.5)) / 10
}

// forecastOf sums events' units by month, every month from the first event
// to the last. Events must be in date order.
func forecastOf(evs []PlannedEvent) []MonthUnits {
	evs = slices.DeleteFunc(slices.Clone(evs), func(ev PlannedEvent) bool { return ev.Kind == KindRemediation })
	if len(evs) == 0 {
		return nil
	}
	first, last := evs[0].Date, evs[0].Date
	for _, ev := range evs {
		if ev.Date.Before(first) {
			first = ev.Date
		}
		if ev.Date.After(last) {
			last = ev.Date
		}
	}
	var out []MonthUnits
	idx := map[string]int{}
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		idx[monthOf(m)] = len(out)
		out = append(out, MonthUnits{Month: monthOf(m)})
	}
	for _, ev := range evs {
		out[idx[monthOf(ev.Date)]].Units += ev.Units
	}
	return out
}

func monthOf(t time.Time) string {
	return t.Format("2006-01")
}

// LatestPlan returns a copy of e's accepted plan, and false when there is
// none yet.
func LatestPlan(e *Engagement) (Plan, bool) {
	if len(e.Plans) == 0 {
		return Plan{}, false
	}
	return e.Plans[len(e.Plans)-1].clone(), true
}

// PlanVersion returns a copy of version n of e's plan, and ENOTFOUND when
// there is no such version.
func PlanVersion(e *Engagement, n int) (Plan, error) {
	if n < 1 || n > len(e.Plans) {
		return Plan{}, Errorf(ENOTFOUND, "There is no plan version %d; this engagement has %s.", n, nOf(len(e.Plans), "version", "versions"))
	}
	return e.Plans[n-1].clone(), nil
}

// AcceptPlan validates p (a proposal, possibly adjusted) and records it as
// e's next plan version, accepted by actorID now, and returns it. The
// engagement's events follow it: new numbers become planned events, planned
// events take their new dates and units, planned events left out of the plan
// are dropped. Events past planned are facts: running and completed events
// must be in the plan unchanged, events in pre-flight or ready may move to a
// new date but keep their units, and a cancelled event's number is never
// reused.
//
// Returns ECONFLICT when e is closed; EFORBIDDEN unless the actor is the MVM
// (the MST where nobody holds MVM); EINVALID when the plan breaks a rule
// (numbering, one pilot first, units adding up to the scope, dates inside
// the window, not on blackouts or weekends, not in the past for events
// still to run) or the events above.
func AcceptPlan(e *Engagement, actorID string, p Plan, now time.Time) (Plan, error) {
	if err := e.checkOpen(); err != nil {
		return Plan{}, err
	}
	if err := Can(e, actorID, ActionAcceptPlan, nil); err != nil {
		return Plan{}, err
	}
	p = p.clone()
	if err := validatePlan(e, &p, now); err != nil {
		return Plan{}, err
	}
	if len(e.Sources) == 1 {
		// A single-source engagement's events are all of its source: say so,
		// so that each event knows whether it moves mail.
		for i := range p.Events {
			if p.Events[i].Source == "" {
				p.Events[i].Source = e.Sources[0]
			}
		}
	}
	p.Version = len(e.Plans) + 1
	p.AcceptedBy, p.AcceptedAt = actorID, now.UTC()
	p.Forecast = forecastOf(p.Events)

	// Sync the events: the plan's order is the events' order.
	old := map[int]Event{}
	for _, ev := range e.Events {
		old[ev.N] = ev
	}
	var evs []Event
	for _, pe := range p.Events {
		ev, ok := old[pe.N]
		if !ok {
			ev = Event{N: pe.N, State: EventPlanned}
		}
		ev.Kind, ev.Date, ev.Units, ev.Source, ev.EstimatedGB = pe.Kind, pe.Date, pe.Units, pe.Source, pe.EstimatedGB
		delete(old, pe.N)
		evs = append(evs, ev)
	}
	dropped := 0
	for _, ev := range e.Events {
		if _, left := old[ev.N]; left {
			if ev.State == EventCancelled {
				evs = append(evs, ev)
			} else {
				dropped++
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.N - b.N })
	e.Events = evs
	e.Plans = append(e.Plans, p)
	detail := fmt.Sprintf("v%d: %s units in %s from %s to %s", p.Version, countStr(p.Units), nOf(len(p.Events), "event", "events"),
		day(p.Events[0].Date), day(p.Events[len(p.Events)-1].Date))
	if dropped > 0 {
		detail += fmt.Sprintf("; %s dropped", nOf(dropped, "planned event", "planned events"))
	}
	e.audit(now, actorID, ActionAcceptPlan, "migration-events", detail)
	return p.clone(), nil
}

// validatePlan checks p against its own window and e's events, and
// normalizes its dates.
func validatePlan(e *Engagement, p *Plan, now time.Time) error {
	loc := schedLocation(p.TimeZone)
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil {
			return Errorf(EINVALID, "%q is not a time zone.", p.TimeZone)
		}
	}
	td := todayIn(now, loc)
	if p.Concurrency < 0 {
		return Errorf(EINVALID, "The endpoint's concurrent migrations cannot be negative.")
	}
	if p.Units <= 0 || p.Units > MaxPlanUnits {
		return Errorf(EINVALID, "A plan schedules 1 to %s units, not %s.", countStr(MaxPlanUnits), countStr(p.Units))
	}
	if p.Window.Start.IsZero() || p.Window.End.IsZero() {
		return Errorf(EINVALID, "The plan has no window.")
	}
	p.Window = DateRange{civilDate(p.Window.Start), civilDate(p.Window.End)}
	if p.Window.End.Before(p.Window.Start) {
		return Errorf(EINVALID, "The window ends (%s) before it starts (%s).", day(p.Window.End), day(p.Window.Start))
	}
	if int(p.Window.End.Sub(p.Window.Start).Hours()/24)+1 > MaxPlanWindowDays {
		return Errorf(EINVALID, "The window from %s to %s is longer than three years.", day(p.Window.Start), day(p.Window.End))
	}
	if len(p.Blackouts) > MaxBlackouts {
		return Errorf(EINVALID, "%d blackout ranges is more than %d.", len(p.Blackouts), MaxBlackouts)
	}
	for i, b := range p.Blackouts {
		b = DateRange{civilDate(b.Start), civilDate(b.End)}
		if b.Start.IsZero() || b.End.Before(b.Start) {
			return Errorf(EINVALID, "The blackout %s is not a range of dates.", b)
		}
		p.Blackouts[i] = b
	}
	if len(p.Events) == 0 {
		return Errorf(EINVALID, "The plan has no events.")
	}
	if len(p.Events) > MaxPlanWindowDays {
		return Errorf(EINVALID, "%d events is more than a plan holds (one a day over three years).", len(p.Events))
	}
	existing := map[int]Event{}
	for _, ev := range e.Events {
		existing[ev.N] = ev
	}
	total := 0
	prev := -1 // the last event that is not a remediation, which runs out of order
	for i := range p.Events {
		pe := &p.Events[i]
		pe.Date = civilDate(pe.Date)
		ref := fmt.Sprintf("Event %d", pe.N)
		switch {
		case pe.N < 1:
			return Errorf(EINVALID, "Events are numbered from 1; the plan has event %d.", pe.N)
		case i > 0 && pe.N <= p.Events[i-1].N:
			return Errorf(EINVALID, "Events must be listed in number order without repeats: event %d follows event %d.", pe.N, p.Events[i-1].N)
		case prev >= 0 && pe.Kind != KindRemediation && pe.Date.Before(p.Events[prev].Date):
			return Errorf(EINVALID, "%s (%s) is dated before event %d (%s); number events in date order.", ref, day(pe.Date), p.Events[prev].N, day(p.Events[prev].Date))
		case pe.Kind != KindPilot && pe.Kind != KindBatch && pe.Kind != KindRemediation:
			return Errorf(EINVALID, "%s: %q is not an event kind; use pilot or batch.", ref, pe.Kind)
		case pe.Kind == KindPilot && slices.ContainsFunc(p.Events[:i], func(x PlannedEvent) bool { return x.Source == pe.Source }):
			// A plan split by source pilots each source: mail and content
			// go through different tools, each tested on its own.
			return Errorf(EINVALID, "%s is a pilot, but only the first event may be the pilot (the first of its source in a plan split by source).", ref)
		case pe.Units <= 0:
			return Errorf(EINVALID, "%s has %s units; an event moves at least one.", ref, countStr(pe.Units))
		case pe.Source != "" && !hasSource(e.Sources, pe.Source):
			return Errorf(EINVALID, "%s is for %s, which this engagement does not migrate (%s).", ref, pe.Source, joinSources(e.Sources))
		}
		if pe.Kind != KindRemediation {
			total += pe.Units
			prev = i
		}
		ex, had := existing[pe.N]
		if had {
			if err := keepsFacts(ex, *pe); err != nil {
				return err
			}
		}
		if had && (ex.State == EventRunning || ex.State == EventCompleted) {
			continue // facts, already checked unchanged
		}
		switch {
		case !p.Window.Contains(pe.Date) && pe.Kind != KindRemediation:
			return Errorf(EINVALID, "%s on %s is outside the window (%s).", ref, day(pe.Date), p.Window)
		case pe.Date.Before(td):
			return Errorf(EINVALID, "%s is dated %s, which is in the past (today is %s).", ref, day(pe.Date), day(td))
		case !p.AllowWeekends && weekendDay(pe.Date):
			return Errorf(EINVALID, "%s falls on a %s; move it or allow weekends.", ref, pe.Date.Weekday())
		}
		for _, b := range p.Blackouts {
			if b.Contains(pe.Date) {
				return Errorf(EINVALID, "%s on %s falls in the blackout %s.", ref, day(pe.Date), b)
			}
		}
	}
	if total != p.Units {
		return Errorf(EINVALID, "The events move %s units, but %s are in scope. Make them add up.", countStr(total), countStr(p.Units))
	}
	inPlan := map[int]bool{}
	for _, pe := range p.Events {
		inPlan[pe.N] = true
	}
	for _, ev := range e.Events {
		if !inPlan[ev.N] && ev.State != EventPlanned && ev.State != EventCancelled {
			return Errorf(EINVALID, "Event %d is %s; a new plan must keep it. Cancel it first to take it out.", ev.N, ev.State.describe())
		}
	}
	return nil
}

// keepsFacts checks that a new plan leaves an event past planned as it is.
func keepsFacts(ev Event, pe PlannedEvent) error {
	switch ev.State {
	case EventCancelled:
		return Errorf(EINVALID, "Event %d was cancelled; its number is not used again. Number the new event %d or later.", ev.N, ev.N+1)
	case EventRunning, EventCompleted:
		if !civilDate(ev.Date).Equal(pe.Date) || ev.Units != pe.Units || ev.Kind != pe.Kind || ev.Source != pe.Source {
			return Errorf(EINVALID, "Event %d is %s; a new plan keeps it as it was (%s, %s %s units).", ev.N, ev.State.describe(), day(ev.Date), ev.Kind, countStr(ev.Units))
		}
	case EventPreflight, EventReady:
		if ev.Units != pe.Units || ev.Kind != pe.Kind || ev.Source != pe.Source {
			return Errorf(EINVALID, "Event %d is %s; a new plan may move its date but keeps its %s units. Cancel it to re-size it.", ev.N, ev.State.describe(), countStr(ev.Units))
		}
	}
	return nil
}

// PlanInputFromAnswers pre-fills a plan card from the validated
// questionnaire's answers (field ids users-in-scope, data-volume-gb,
// window-start, window-end, blackout-dates, pilot-size, batch-size,
// time-zone). maxBatch is the environment's capacity the MVM knows (0: the
// preferred size). Returns EINVALID naming the first answer that is missing
// or unreadable.
func PlanInputFromAnswers(a map[string]string, maxBatch int) (PlanInput, error) {
	in := PlanInput{MaxBatch: maxBatch, PilotReviewDays: DefaultPilotReviewDays, TimeZone: time.UTC}
	ints := []struct {
		id  string
		dst *int
	}{{"users-in-scope", &in.Units}, {"pilot-size", &in.PilotSize}, {"batch-size", &in.PreferredBatch}}
	for _, f := range ints {
		v, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(a[f.id]), ",", ""))
		if err != nil {
			return PlanInput{}, Errorf(EINVALID, "The questionnaire's %s (%q) is not a whole number.", f.id, a[f.id])
		}
		*f.dst = v
	}
	if v := strings.TrimSpace(a["data-volume-gb"]); v != "" {
		gb, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			return PlanInput{}, Errorf(EINVALID, "The questionnaire's data-volume-gb (%q) is not a number.", v)
		}
		in.VolumeGB = gb
	}
	for _, f := range []struct {
		id  string
		dst *time.Time
	}{{"window-start", &in.WindowStart}, {"window-end", &in.WindowEnd}} {
		d, err := time.Parse("2006-01-02", strings.TrimSpace(a[f.id]))
		if err != nil {
			return PlanInput{}, Errorf(EINVALID, "The questionnaire's %s (%q) is not a date (YYYY-MM-DD).", f.id, a[f.id])
		}
		*f.dst = d
	}
	bs, err := ParseDateRanges(a["blackout-dates"])
	if err != nil {
		return PlanInput{}, err
	}
	in.Blackouts = bs
	if z := strings.TrimSpace(a["time-zone"]); z != "" {
		loc, err := time.LoadLocation(z)
		if err != nil {
			return PlanInput{}, Errorf(EINVALID, "The questionnaire's time zone %q is unknown.", z)
		}
		in.TimeZone = loc
	}
	return in, nil
}

// ParseDateRanges reads dates and ranges as the questionnaire's blackout
// field holds them: "2027-03-31, 2027-06-28/2027-07-02" (commas, semicolons
// or new lines between items; "/" or ".." inside a range). Returns EINVALID
// naming the first item that is not a date or a range.
func ParseDateRanges(s string) ([]DateRange, error) {
	var out []DateRange
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' })
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(out) >= MaxBlackouts {
			return nil, Errorf(EINVALID, "More than %d blackout dates or ranges; use ranges.", MaxBlackouts)
		}
		from, to := item, item
		for _, sep := range []string{"..", "/"} {
			if a, b, ok := strings.Cut(item, sep); ok {
				from, to = strings.TrimSpace(a), strings.TrimSpace(b)
				break
			}
		}
		f, err1 := time.Parse("2006-01-02", from)
		t, err2 := time.Parse("2006-01-02", to)
		if err1 != nil || err2 != nil {
			return nil, Errorf(EINVALID, "%q is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD/YYYY-MM-DD).", item)
		}
		if t.Before(f) {
			return nil, Errorf(EINVALID, "The range %q ends before it starts.", item)
		}
		out = append(out, DateRange{f, t})
	}
	return out, nil
}
