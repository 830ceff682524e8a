package playbook

import (
	"time"
)

// WeekUnits is one week of a burn-up: the units the plan dates up to the
// week's end (Forecast) and those migrated by then (Migrated), both
// running totals, against Scope, the plan's units in scope.
type WeekUnits struct {
	Week     time.Time `json:"week"` // the Monday that starts it, in the plan's zone
	Forecast int       `json:"forecast"`
	Migrated int       `json:"migrated"`
}

// BurnUp is units migrated against the forecast, week by week, from the
// week of the plan's first event to the later of its last event and now
// (at most maxBurnUpWeeks, the latest kept). Cancelled events count in
// neither line; an event's units count as migrated in the week it
// completed. Nil without an accepted plan.
func BurnUp(e *Engagement, now time.Time) (scope int, weeks []WeekUnits) {
	p, ok := LatestPlan(e)
	if !ok || p.Version == 0 {
		return 0, nil
	}
	loc := p.Location()
	var first, last time.Time
	for _, ev := range e.Events {
		if ev.State == EventCancelled {
			continue
		}
		if first.IsZero() || ev.Date.Before(first) {
			first = ev.Date
		}
		if ev.Date.After(last) {
			last = ev.Date
		}
	}
	if first.IsZero() {
		return p.Units, nil
	}
	if now.After(last) {
		last = now
	}
	start, end := monday(first.In(loc)), monday(last.In(loc))
	if n := int(end.Sub(start).Hours()/24/7) + 1; n > maxBurnUpWeeks {
		start = end.AddDate(0, 0, -7*(maxBurnUpWeeks-1))
	}
	for w := start; !w.After(end); w = w.AddDate(0, 0, 7) {
		next := w.AddDate(0, 0, 7)
		u := WeekUnits{Week: w}
		for _, ev := range e.Events {
			if ev.State == EventCancelled {
				continue
			}
			if ev.Date.Before(next) {
				u.Forecast += ev.Units
			}
			if ev.State == EventCompleted && ev.Completed.Before(next) {
				u.Migrated += ev.Migrated
			}
		}
		weeks = append(weeks, u)
	}
	return p.Units, weeks
}

// maxBurnUpWeeks bounds a burn-up: a year of weeks still reads as a chart.
const maxBurnUpWeeks = 52

// monday is the start of t's week (Monday 00:00 in t's zone).
func monday(t time.Time) time.Time {
	d := (int(t.Weekday()) + 6) % 7
	y, m, day := t.Date()
	return time.Date(y, m, day-d, 0, 0, 0, 0, t.Location())
}
