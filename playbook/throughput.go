package playbook

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Planning by source and by throughput (issue 19, docs/schedule.md): mail
// and content move in separate events, each with its source, because they
// run through different tools (the Exchange Online migration service for
// IMAP, Migration Manager or SPMT for content) and only mail events lead to
// the DNS records and mail flow (1370). Batch sizes follow the pace the
// completed events measured, scaled to the endpoint's concurrency, and the
// forecast says when the migration ends at that pace.

// SourceUnits is one source's share of a plan: its units and, when events
// of that source have completed, the units a batch day can take at their
// measured pace (0 when nothing is measured yet).
type SourceUnits struct {
	Source   Source
	Units    int
	Capacity int
}

// Throughput is the pace the completed events of a source measured: units
// migrated (from the imported per-unit status when there is one, else the
// typed counts) over the time from each event's start to its completion.
type Throughput struct {
	Events int     // completed events measured
	Units  int     // units migrated in them
	GB     float64 // GB migrated: from the bytes the status files report, else estimated
	Days   float64 // elapsed days, start to completion, summed
	// Measured counts the events whose GB came from reported bytes; the
	// others' GB are their estimate in proportion to the units migrated.
	Measured int
}

// migratedBytes is the bytes ev's imported status reports migrated
// (BytesTransferred, Migrated bytes, DataSuccessful, the migrated files'
// sizes), and false when no status reported any.
func migratedBytes(ev Event) (int64, bool) {
	var n int64
	for _, o := range ev.Outcomes {
		n += o.Bytes
	}
	return n, n > 0
}

// minEventDays is the shortest time an event is taken to have run: an
// event started and completed in the same minute measures a typing delay,
// not a migration.
const minEventDays = 1.0 / 24

// UnitsPerDay is the measured pace, 0 when nothing was measured.
func (t Throughput) UnitsPerDay() float64 {
	if t.Days <= 0 {
		return 0
	}
	return float64(t.Units) / t.Days
}

// GBPerDay is the measured volume pace, 0 when nothing was measured.
func (t Throughput) GBPerDay() float64 {
	if t.Days <= 0 {
		return 0
	}
	return t.GB / t.Days
}

// Capacity is the units one batch day can take at the measured pace, on an
// endpoint that migrates concurrency units at once (MaxConcurrentMigrations;
// 0 when unknown). Events that migrated fewer units than the endpoint runs at
// once left slots idle, so their pace scales up to the concurrency; events
// larger than it already ran the endpoint full. 0 when nothing was measured.
func (t Throughput) Capacity(concurrency int) int {
	if t.Events == 0 || t.Units == 0 {
		return 0
	}
	perEvent := float64(t.Units) / float64(t.Events)
	pace := t.UnitsPerDay()
	if concurrency > 0 && float64(concurrency) > perEvent {
		pace *= float64(concurrency) / perEvent
	}
	return int(math.Floor(pace))
}

// eventOf reports whether ev moves src: its own source, or the
// engagement's only source for an event stored without one.
func (e *Engagement) eventOf(ev Event, src Source) bool {
	if ev.Source != "" {
		return ev.Source == src
	}
	return len(e.Sources) == 1 && e.Sources[0] == src
}

// migratedUnits are the units ev migrated: the imported outcomes when
// there are any, else the typed count.
func migratedUnits(ev Event) int {
	if len(ev.Outcomes) == 0 {
		return ev.Migrated
	}
	n := 0
	for _, o := range ev.Outcomes {
		if o.Outcome == OutcomeMigrated {
			n++
		}
	}
	return n
}

// MeasuredThroughput returns the pace of e's completed events of src.
func MeasuredThroughput(e *Engagement, src Source) Throughput {
	var t Throughput
	for _, ev := range e.Events {
		if ev.State != EventCompleted || ev.Started.IsZero() || !e.eventOf(ev, src) {
			continue
		}
		u := migratedUnits(ev)
		t.Events++
		t.Units += u
		if b, ok := migratedBytes(ev); ok {
			t.GB += float64(b) / gib
			t.Measured++
		} else if ev.Units > 0 {
			t.GB += ev.EstimatedGB * float64(u) / float64(ev.Units)
		}
		t.Days += max(ev.Completed.Sub(ev.Started).Hours()/24, minEventDays)
	}
	return t
}

// proposeSplit proposes one track of events a source, each track sized as
// ProposePlan sizes a single one over the whole window (the tools run side
// by side), and merges them in date order, numbered again. The pilot is
// shared in proportion to each source's units, at least one unit each.
func proposeSplit(in PlanInput, now time.Time) (Plan, error) {
	total := 0
	seen := map[Source]bool{}
	for _, s := range in.Split {
		switch {
		case !s.Source.Valid():
			return Plan{}, Errorf(EINVALID, "%q is not a migration source.", s.Source)
		case seen[s.Source]:
			return Plan{}, Errorf(EINVALID, "%s is named twice in the split.", s.Source)
		case s.Units < 0:
			return Plan{}, Errorf(EINVALID, "The units from %s cannot be negative.", s.Source)
		}
		seen[s.Source] = true
		total += s.Units
	}
	if total == 0 {
		return Plan{}, Errorf(EINVALID, "Give the units of at least one source; mail and content are planned in separate events.")
	}
	var p Plan
	var sizing []string
	for _, s := range in.Split {
		if s.Units == 0 {
			continue
		}
		sub := in
		sub.Split = nil
		sub.Units = s.Units
		sub.Capacity = s.Capacity
		sub.VolumeGB = in.VolumeGB * float64(s.Units) / float64(total)
		if in.PilotSize > 0 {
			sub.PilotSize = min(max(int(math.Round(float64(in.PilotSize)*float64(s.Units)/float64(total))), 1), s.Units)
		}
		q, err := ProposePlan(sub, now)
		if err != nil {
			return Plan{}, Errorf(EINVALID, "%s: %s", s.Source, ErrorMessage(err))
		}
		for i := range q.Events {
			q.Events[i].Source = s.Source
		}
		if p.Events == nil {
			p = q
			p.Units, p.VolumeGB, p.Events = 0, in.VolumeGB, nil
		}
		p.Units += s.Units
		p.BatchSize = max(p.BatchSize, q.BatchSize)
		p.Events = append(p.Events, q.Events...)
		sizing = append(sizing, string(s.Source)+": "+q.Sizing)
	}
	slices.SortStableFunc(p.Events, func(a, b PlannedEvent) int { return a.Date.Compare(b.Date) })
	for i := range p.Events {
		p.Events[i].N = i + 1
	}
	p.Sizing = strings.Join(sizing, " ")
	p.Forecast = forecastOf(p.Events)
	return p, nil
}

// ForecastEnd is when the migration ends at the measured pace.
type ForecastEnd struct {
	Remaining   int       // units of the plan not yet migrated
	UnitsPerDay int       // the pace: units a working day, measured
	End         time.Time // civil date the last unit migrates at that pace
	PlannedEnd  time.Time // the plan's last event
}

// Late reports whether the measured pace ends after the plan does.
func (f ForecastEnd) Late() bool { return f.End.After(f.PlannedEnd) }

func (f ForecastEnd) String() string {
	if f.Remaining == 0 {
		return "Every unit of the plan is migrated."
	}
	s := fmt.Sprintf("At the measured %s units a working day, the %s units left are migrated by %s", countStr(f.UnitsPerDay), countStr(f.Remaining), day(f.End))
	if f.Late() {
		return s + fmt.Sprintf(", after the plan's last event (%s): raise the batch size, the endpoint's concurrency or the window.", day(f.PlannedEnd))
	}
	return s + fmt.Sprintf(", within the plan (last event %s).", day(f.PlannedEnd))
}

// ForecastAtPace returns when e's latest plan ends at the pace its completed
// events measured (every source together), scaled to the endpoint's
// concurrency as Throughput.Capacity scales it (0: unknown), counting
// working days from the day after today as the plan counts them. False when
// there is no plan or nothing measured yet. It changes as events complete.
func ForecastAtPace(e *Engagement, concurrency int, now time.Time) (ForecastEnd, bool) {
	p, ok := LatestPlan(e)
	if !ok || len(p.Events) == 0 {
		return ForecastEnd{}, false
	}
	var t Throughput
	done := 0
	for _, ev := range e.Events {
		if ev.State != EventCompleted {
			continue
		}
		u := migratedUnits(ev)
		done += u
		if !ev.Started.IsZero() {
			t.Events++
			t.Units += u
			t.Days += max(ev.Completed.Sub(ev.Started).Hours()/24, minEventDays)
		}
	}
	return forecastAt(p, p.Units-done, t.Capacity(concurrency), p.Events[len(p.Events)-1].Date, now)
}

// SourceForecast is one source's forecast: mail and content move through
// different tools at different paces, so each ends on its own date.
type SourceForecast struct {
	Source Source
	ForecastEnd
}

// ForecastBySource returns, for each source of e with planned events and a
// measured pace, when its events end at its own pace
// (MeasuredThroughput), scaled to its tool's concurrency
// (SourceConcurrency: endpoint is the mail endpoints' concurrent
// migrations, 0 unknown): the plan's units of that source not yet
// migrated, counted in working days from the day after today. A source
// with nothing measured yet is left out. It changes as events complete and
// status files are imported.
func ForecastBySource(e *Engagement, endpoint int, now time.Time) []SourceForecast {
	p, ok := LatestPlan(e)
	if !ok {
		return nil
	}
	var out []SourceForecast
	for _, src := range e.Sources {
		units, last := 0, time.Time{}
		for _, pe := range p.Events {
			if pe.Kind == KindRemediation || (pe.Source != src && !(pe.Source == "" && len(e.Sources) == 1)) {
				continue
			}
			units += pe.Units
			if pe.Date.After(last) {
				last = pe.Date
			}
		}
		if units == 0 {
			continue
		}
		done := 0
		for _, ev := range e.Events {
			if ev.State == EventCompleted && e.eventOf(ev, src) {
				done += migratedUnits(ev)
			}
		}
		tp := MeasuredThroughput(e, src)
		if f, ok := forecastAt(p, units-done, tp.Capacity(SourceConcurrency(src, endpoint)), last, now); ok {
			out = append(out, SourceForecast{Source: src, ForecastEnd: f})
		}
	}
	return out
}

// forecastAt is when remaining units end at pace units a working day of
// plan p's calendar, from the day after today; false for no pace.
func forecastAt(p Plan, remaining, pace int, plannedEnd, now time.Time) (ForecastEnd, bool) {
	if pace <= 0 {
		return ForecastEnd{}, false
	}
	f := ForecastEnd{Remaining: max(remaining, 0), UnitsPerDay: pace, PlannedEnd: plannedEnd}
	d := todayIn(now, p.Location())
	f.End = d
	// Ten years of calendar days bound the walk: a pace that slow ends
	// after any window a plan may have (MaxPlanWindowDays) anyway.
	for need, walked := divUp(f.Remaining, pace), 0; need > 0 && walked < 10*366; walked++ {
		d = d.AddDate(0, 0, 1)
		if (!p.AllowWeekends && weekendDay(d)) || slices.ContainsFunc(p.Blackouts, func(b DateRange) bool { return b.Contains(d) }) {
			continue
		}
		need--
		f.End = d
	}
	return f, true
}

// sourceUnitFields are the questionnaire's count of each source's units;
// Dropbox has none, so its units start at the users in scope.
var sourceUnitFields = map[Source]string{
	IMAP: "imap-mailboxes", Box: "box-users", GoogleDrive: "gdrive-users", FileShare: "fileshare-paths",
}

// SplitFromAnswers is the split a multi-source engagement's plan card
// starts from: each source's count in the questionnaire answers a, or the
// users in scope (fallback) where the questionnaire has none or it does
// not read. Nil for a single source, whose plan is not split.
func SplitFromAnswers(a map[string]string, ss []Source, fallback int) []SourceUnits {
	if len(ss) < 2 {
		return nil
	}
	out := make([]SourceUnits, 0, len(ss))
	for _, s := range ss {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(a[sourceUnitFields[s]]), ",", ""))
		if err != nil || n < 0 {
			n = fallback
		}
		out = append(out, SourceUnits{Source: s, Units: n})
	}
	return out
}

// ProposeReplan proposes a plan for e from in as ProposePlan does, keeping
// the events that are under way or done (pre-flight, ready, running,
// completed) exactly as they are, so that a plan re-sized from the pace the
// pilot measured can be accepted after the pilot ran. The units of the kept
// events leave the scope of their source; a source whose events have
// started gets no new pilot; new events run after the last kept one and
// take numbers after it that no cancelled event had. Without such events it
// is ProposePlan.
func ProposeReplan(e *Engagement, in PlanInput, now time.Time) (Plan, error) {
	var kept []PlannedEvent
	cancelled := map[int]bool{}
	last := time.Time{}
	for _, ev := range e.Events {
		switch {
		case ev.State == EventPlanned && ev.Kind != KindRemediation:
			continue
		case ev.State == EventCancelled:
			cancelled[ev.N] = true
			continue
		}
		kept = append(kept, PlannedEvent{N: ev.N, Date: civilDate(ev.Date), Kind: ev.Kind, Units: ev.Units, Source: ev.Source, EstimatedGB: ev.EstimatedGB})
		if d := civilDate(ev.Date); d.After(last) && ev.Kind != KindRemediation {
			last = d
		}
	}
	if len(kept) == 0 {
		return ProposePlan(in, now)
	}
	keptUnits := 0
	started := map[Source]bool{}
	for _, k := range kept {
		if k.Kind == KindRemediation {
			continue // its units were counted in the event they failed in
		}
		keptUnits += k.Units
		started[k.Source] = true
	}
	rest := in
	rest.Split = slices.Clone(in.Split)
	for i, s := range rest.Split {
		for _, k := range kept {
			if k.Source == s.Source && k.Kind != KindRemediation {
				rest.Split[i].Units = max(rest.Split[i].Units-k.Units, 0)
			}
		}
	}
	rest.Units = max(in.Units-keptUnits, 0)
	if len(rest.Split) == 0 {
		rest.PilotSize = 0
	}
	rest.WindowStart = civilDate(rest.WindowStart)
	if next := last.AddDate(0, 0, 1); next.After(rest.WindowStart) {
		rest.WindowStart = next
	}
	if td := todayIn(now, rest.TimeZone); td.After(rest.WindowStart) {
		rest.WindowStart = td
	}
	p := Plan{}
	if remaining := rest.Units; len(rest.Split) > 0 {
		remaining = 0
		for _, s := range rest.Split {
			remaining += s.Units
		}
		if remaining > 0 {
			// A source whose events have started is past its pilot.
			var err error
			p, err = proposeSplitAfter(rest, started, now)
			if err != nil {
				return Plan{}, err
			}
		}
	} else if remaining > 0 {
		var err error
		if p, err = ProposePlan(rest, now); err != nil {
			return Plan{}, err
		}
	}
	if p.Events == nil {
		p = Plan{Window: DateRange{civilDate(in.WindowStart), civilDate(in.WindowEnd)}, Blackouts: in.Blackouts, AllowWeekends: in.AllowWeekends, Concurrency: max(in.Concurrency, 0)}
		if in.TimeZone != nil && in.TimeZone != time.UTC {
			p.TimeZone = in.TimeZone.String()
		}
		p.Sizing = "Every unit in scope is in events that have started."
	}
	n := 0
	for _, k := range kept {
		n = max(n, k.N)
	}
	for i := range p.Events {
		n++
		for cancelled[n] {
			n++
		}
		p.Events[i].N = n
	}
	p.Events = append(kept, p.Events...)
	p.Units = 0
	for _, ev := range p.Events {
		if ev.Kind != KindRemediation {
			p.Units += ev.Units
		}
	}
	p.Window.Start = civilDate(in.WindowStart)
	p.Sizing = fmt.Sprintf("%s that started stay as they are; the %s left are planned after them. %s",
		nOf(len(kept), "event", "events"), nOf(p.Units-keptUnits, "unit", "units"), p.Sizing)
	p.Forecast = forecastOf(p.Events)
	return p, nil
}

// proposeSplitAfter is proposeSplit with no pilot for the sources whose
// events have started.
func proposeSplitAfter(in PlanInput, started map[Source]bool, now time.Time) (Plan, error) {
	var ps []Plan
	var split []SourceUnits
	for _, s := range in.Split {
		if started[s.Source] && s.Units > 0 {
			sub := in
			sub.Split, sub.Units, sub.Capacity, sub.PilotSize = nil, s.Units, s.Capacity, 0
			q, err := ProposePlan(sub, now)
			if err != nil {
				return Plan{}, Errorf(EINVALID, "%s: %s", s.Source, ErrorMessage(err))
			}
			for i := range q.Events {
				q.Events[i].Source = s.Source
			}
			q.Sizing = string(s.Source) + ": " + q.Sizing
			ps = append(ps, q)
		} else if s.Units > 0 {
			split = append(split, s)
		}
	}
	var p Plan
	if len(split) > 0 {
		in.Split = split
		var err error
		if p, err = proposeSplit(in, now); err != nil {
			return Plan{}, err
		}
	}
	for _, q := range ps {
		if p.Events == nil && len(p.Forecast) == 0 && p.Sizing == "" {
			p = q
			continue
		}
		p.Events = append(p.Events, q.Events...)
		p.BatchSize = max(p.BatchSize, q.BatchSize)
		p.Sizing += " " + q.Sizing
	}
	slices.SortStableFunc(p.Events, func(a, b PlannedEvent) int { return a.Date.Compare(b.Date) })
	return p, nil
}
