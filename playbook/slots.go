package playbook

import (
	"fmt"
	"sort"
	"time"
)

// Workshop scheduling without Graph's findMeetingTimes, which is documented
// for delegated permissions only: the bot reads each person's free/busy and
// working hours (getSchedule works with application permissions) and finds
// the slots here.

// Interval is a span of time, start inclusive, end exclusive. As a busy
// time from Graph it also says how busy: tentative, busy, oof,
// workingElsewhere or unknown (FreeSlots treats all alike).
type Interval struct {
	Start, End time.Time
	Status     string
}

func (i Interval) overlaps(j Interval) bool { return i.Start.Before(j.End) && j.Start.Before(i.End) }

// DailyHours is a window of the day on some weekdays, in a time zone:
// someone's working hours, or the hours the customer accepts workshops.
type DailyHours struct {
	Days     []time.Weekday // empty means Monday to Friday
	From, To time.Duration  // since local midnight, e.g. 9h and 17h
	Location *time.Location // nil means UTC
}

// DefaultWorkingHours is what is assumed for someone whose calendar does
// not say: 09:00–17:00, Monday to Friday, in loc.
func DefaultWorkingHours(loc *time.Location) DailyHours {
	return DailyHours{From: 9 * time.Hour, To: 17 * time.Hour, Location: loc}
}

// contains reports whether all of iv lies inside one of the daily windows.
func (h DailyHours) contains(iv Interval) bool {
	loc := h.Location
	if loc == nil {
		loc = time.UTC
	}
	start, end := iv.Start.In(loc), iv.End.In(loc)
	y, m, d := start.Date()
	if ey, em, ed := end.Add(-time.Nanosecond).Date(); ey != y || em != m || ed != d {
		return false // spans midnight in this zone
	}
	days := h.Days
	if len(days) == 0 {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	onDay := false
	for _, wd := range days {
		if wd == start.Weekday() {
			onDay = true
			break
		}
	}
	if !onDay {
		return false
	}
	// Wall-clock times of the day, so that a DST change moves the window
	// with the clocks, as people's working hours do.
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	from := wallClock(midnight, h.From)
	to := wallClock(midnight, h.To)
	return !start.Before(from) && !end.After(to)
}

func wallClock(midnight time.Time, since time.Duration) time.Time {
	h := int(since / time.Hour)
	min := int((since % time.Hour) / time.Minute)
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day(), h, min, 0, 0, midnight.Location())
}

// Availability is one required attendee's calendar over the search window:
// what Graph's getSchedule answers for one person (graph fills Person, View,
// Busy, WorkingHours and Error) and what FreeSlots needs (Hours, which the
// caller derives from WorkingHours with the zone resolved, or
// DefaultWorkingHours).
type Availability struct {
	Person string     // a name or address, for messages
	Hours  DailyHours // their working hours, as FreeSlots takes them
	Busy   []Interval // busy, tentative or out of office, in UTC
	// View has one digit per interval from the requested start: 0 free,
	// 1 tentative, 2 busy, 3 out of office, 4 working elsewhere.
	View         string
	WorkingHours *WorkingHours // as the calendar states them; nil when Graph gave none
	// Error is Graph's per-person failure (e.g. "ErrorMailRecipientNotFound:
	// ..."); the other fields are then empty.
	Error string
}

// SlotQuery asks for free slots for a workshop.
type SlotQuery struct {
	Duration  time.Duration
	From, To  time.Time      // the search window
	Customer  DailyHours     // the hours the customer accepts, in their time zone
	Attendees []Availability // required attendees; every one must be free
	Step      time.Duration  // granularity of start times; default 30 minutes
	Max       int            // how many slots to propose; default 5
	PerDay    int            // at most this many on one day, for choice; default 2
}

// FreeSlots proposes up to q.Max slots of q.Duration, earliest first, that
// start at or after now and q.From, end by q.To, lie in the customer's hours
// and every attendee's working hours, and overlap nobody's busy time. At
// most q.PerDay slots fall on one (customer-local) day, so the proposals
// offer a real choice. It returns an EINVALID error for an impossible query
// and an empty list when nothing is free.
func FreeSlots(q SlotQuery, now time.Time) ([]Interval, error) {
	if q.Duration <= 0 || q.Duration > 8*time.Hour {
		return nil, Errorf(EINVALID, "A workshop lasts between a few minutes and 8 hours, not %s.", q.Duration)
	}
	if !q.To.After(q.From) {
		return nil, Errorf(EINVALID, "The search window ends (%s) before it starts (%s).", q.To.Format(time.DateOnly), q.From.Format(time.DateOnly))
	}
	if q.To.Sub(q.From) > 92*24*time.Hour {
		return nil, Errorf(EINVALID, "Search at most three months ahead at a time.")
	}
	if q.Customer.To <= q.Customer.From {
		return nil, Errorf(EINVALID, "The daily window ends before it starts.")
	}
	step, max, perDay := q.Step, q.Max, q.PerDay
	if step <= 0 {
		step = 30 * time.Minute
	}
	if max <= 0 {
		max = 5
	}
	if perDay <= 0 {
		perDay = 2
	}
	busy := make([][]Interval, len(q.Attendees))
	for i, a := range q.Attendees {
		busy[i] = append([]Interval(nil), a.Busy...)
		sort.Slice(busy[i], func(x, y int) bool { return busy[i][x].Start.Before(busy[i][y].Start) })
	}
	start := q.From
	if now.After(start) {
		start = now
	}
	// Start times fall on the step grid, counted from the hour, as people
	// expect 9:00 and 9:30 rather than 9:07.
	start = start.Truncate(step)
	if start.Before(q.From) || start.Before(now) {
		start = start.Add(step)
	}
	loc := q.Customer.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []Interval
	count := map[string]int{}
	for s := start; !s.Add(q.Duration).After(q.To) && len(out) < max; s = s.Add(step) {
		iv := Interval{Start: s, End: s.Add(q.Duration)}
		day := s.In(loc).Format(time.DateOnly)
		if count[day] >= perDay || !q.Customer.contains(iv) || !allFree(iv, q.Attendees, busy) {
			continue
		}
		out = append(out, iv)
		count[day]++
	}
	return out, nil
}

func allFree(iv Interval, people []Availability, busy [][]Interval) bool {
	for i, a := range people {
		if !a.Hours.contains(iv) {
			return false
		}
		b := busy[i]
		// Busy times are sorted by start: only those starting before iv ends
		// can overlap it.
		j := sort.Search(len(b), func(k int) bool { return !b[k].Start.Before(iv.End) })
		for k := 0; k < j; k++ {
			if b[k].overlaps(iv) {
				return false
			}
		}
	}
	return true
}

// In shows the interval in loc, for messages.
func (i Interval) In(loc *time.Location) string {
	return fmt.Sprintf("%s–%s", i.Start.In(loc).Format("Mon 2 Jan 2006 15:04"), i.End.In(loc).Format("15:04 MST"))
}
