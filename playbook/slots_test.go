package playbook

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestFreeSlots(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	// Monday 7 June 2027, 00:00 in Berlin.
	mon := time.Date(2027, 6, 7, 0, 0, 0, 0, berlin)
	at := func(day int, hh, mm int) time.Time { return time.Date(2027, 6, 7+day, hh, mm, 0, 0, berlin) }
	slot := func(day, hh, mm int, d time.Duration) Interval {
		return Interval{Start: at(day, hh, mm), End: at(day, hh, mm).Add(d)}
	}
	customer := DailyHours{From: 9 * time.Hour, To: 17 * time.Hour, Location: berlin}
	tests := []struct {
		name string
		q    SlotQuery
		now  time.Time
		want []Interval
	}{
		{
			name: "empty calendars: earliest slots, two a day",
			q:    SlotQuery{Duration: time.Hour, From: mon, To: mon.Add(7 * 24 * time.Hour), Customer: customer, Max: 3},
			now:  mon.Add(-time.Hour),
			want: []Interval{slot(0, 9, 0, time.Hour), slot(0, 9, 30, time.Hour), slot(1, 9, 0, time.Hour)},
		},
		{
			name: "busy attendee pushes the slot",
			q: SlotQuery{Duration: time.Hour, From: mon, To: mon.Add(24 * time.Hour), Customer: customer, Max: 1,
				Attendees: []Availability{{Person: "mst", Hours: DefaultWorkingHours(berlin), Busy: []Interval{slot(0, 8, 0, 3*time.Hour)}}}},
			now:  mon,
			want: []Interval{slot(0, 11, 0, time.Hour)},
		},
		{
			name: "working hours in another zone: New York starts at 15:00 Berlin",
			q: SlotQuery{Duration: time.Hour, From: mon, To: mon.Add(24 * time.Hour), Customer: customer, Max: 2, PerDay: 5,
				Attendees: []Availability{{Person: "frp", Hours: DefaultWorkingHours(ny)}}},
			now:  mon,
			want: []Interval{slot(0, 15, 0, time.Hour), slot(0, 15, 30, time.Hour)},
		},
		{
			name: "not in the past, on the step grid",
			q:    SlotQuery{Duration: 30 * time.Minute, From: mon, To: mon.Add(24 * time.Hour), Customer: customer, Max: 1},
			now:  at(0, 10, 7),
			want: []Interval{slot(0, 10, 30, 30*time.Minute)},
		},
		{
			name: "weekend skipped",
			q:    SlotQuery{Duration: time.Hour, From: at(5, 0, 0), To: at(8, 0, 0), Customer: customer, Max: 1},
			now:  mon,
			want: []Interval{slot(7, 9, 0, time.Hour)},
		},
		{
			name: "nothing free",
			q: SlotQuery{Duration: time.Hour, From: mon, To: mon.Add(24 * time.Hour), Customer: customer,
				Attendees: []Availability{{Person: "mst", Hours: DefaultWorkingHours(berlin), Busy: []Interval{slot(0, 0, 0, 24*time.Hour)}}}},
			now:  mon,
			want: nil,
		},
		{
			name: "a slot touching a meeting's end is free",
			q: SlotQuery{Duration: time.Hour, From: mon, To: mon.Add(24 * time.Hour), Customer: customer, Max: 1,
				Attendees: []Availability{{Person: "mst", Hours: DefaultWorkingHours(berlin), Busy: []Interval{slot(0, 9, 0, time.Hour)}}}},
			now:  mon,
			want: []Interval{slot(0, 10, 0, time.Hour)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FreeSlots(tt.q, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d slots %v, want %v", len(got), got, tt.want)
			}
			for i := range got {
				if !got[i].Start.Equal(tt.want[i].Start) || !got[i].End.Equal(tt.want[i].End) {
					t.Errorf("slot %d = %s, want %s", i, got[i].In(berlin), tt.want[i].In(berlin))
				}
			}
		})
	}
}

func TestFreeSlotsAcrossDST(t *testing.T) {
	// Europe moves to summer time on Sunday 28 March 2027: 9:00 on Monday is
	// still 9:00 on the wall clock.
	berlin := mustLoc(t, "Europe/Berlin")
	from := time.Date(2027, 3, 26, 0, 0, 0, 0, berlin)
	q := SlotQuery{Duration: time.Hour, From: from, To: from.Add(4 * 24 * time.Hour), Customer: DailyHours{From: 9 * time.Hour, To: 10 * time.Hour, Location: berlin}}
	got, err := FreeSlots(q, from)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %v", got)
	}
	for _, s := range got {
		if s.Start.In(berlin).Hour() != 9 {
			t.Errorf("slot %s does not start at 9:00 local", s.In(berlin))
		}
	}
}

func TestFreeSlotsRefusals(t *testing.T) {
	now := time.Date(2027, 6, 7, 0, 0, 0, 0, time.UTC)
	ok := SlotQuery{Duration: time.Hour, From: now, To: now.Add(24 * time.Hour), Customer: DefaultWorkingHours(time.UTC)}
	tests := []struct {
		name   string
		mutate func(*SlotQuery)
		want   string
	}{
		{"no duration", func(q *SlotQuery) { q.Duration = 0 }, "lasts"},
		{"too long", func(q *SlotQuery) { q.Duration = 9 * time.Hour }, "lasts"},
		{"window backwards", func(q *SlotQuery) { q.To = q.From.Add(-time.Hour) }, "before it starts"},
		{"window too far", func(q *SlotQuery) { q.To = q.From.Add(100 * 24 * time.Hour) }, "three months"},
		{"daily window backwards", func(q *SlotQuery) { q.Customer.From, q.Customer.To = 17*time.Hour, 9*time.Hour }, "daily window"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ok
			tt.mutate(&q)
			_, err := FreeSlots(q, now)
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.want) {
				t.Errorf("FreeSlots = %v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
}

func BenchmarkFreeSlots(b *testing.B) {
	loc := time.UTC
	from := time.Date(2027, 6, 7, 0, 0, 0, 0, loc)
	var people []Availability
	for p := range 8 {
		var busy []Interval
		for d := range 14 {
			s := from.Add(time.Duration(d)*24*time.Hour + time.Duration(9+p%4)*time.Hour)
			busy = append(busy, Interval{Start: s, End: s.Add(90 * time.Minute)})
		}
		people = append(people, Availability{Hours: DefaultWorkingHours(loc), Busy: busy})
	}
	q := SlotQuery{Duration: time.Hour, From: from, To: from.Add(14 * 24 * time.Hour), Customer: DefaultWorkingHours(loc), Attendees: people}
	for b.Loop() {
		if _, err := FreeSlots(q, from); err != nil {
			b.Fatal(err)
		}
	}
}
