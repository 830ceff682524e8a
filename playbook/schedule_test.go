package playbook

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// d is a civil date in March 2025 (t0 is Monday 3 March).
func d(day int) time.Time {
	return time.Date(2025, 3, day, 0, 0, 0, 0, time.UTC)
}

func ymd(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// baseInput: 10,000 units from Monday 10 to Friday 28 March 2025 (15
// working days), a 100-unit pilot, two review days, 1,000 a batch preferred,
// 2,000 at most.
func baseInput() PlanInput {
	return PlanInput{Units: 10_000, VolumeGB: 20_000, WindowStart: d(10), WindowEnd: d(28), PilotSize: 100,
		PilotReviewDays: 2, PreferredBatch: 1_000, MaxBatch: 2_000}
}

func eventDates(p Plan) []string {
	var s []string
	for _, ev := range p.Events {
		s = append(s, fmt.Sprintf("%s:%s:%d", ev.Date.Format("01-02"), ev.Kind, ev.Units))
	}
	return s
}

func TestProposePlan(t *testing.T) {
	tests := []struct {
		name      string
		change    func(*PlanInput)
		want      []string
		batch     int
		sizing    string
		forecast  []MonthUnits
		firstGB   float64
		wantTotal int
	}{
		{
			name: "preferred size fits, finishing early",
			want: []string{"03-10:pilot:100", "03-13:batch:1000", "03-14:batch:1000", "03-17:batch:1000", "03-18:batch:1000", "03-19:batch:1000",
				"03-20:batch:1000", "03-21:batch:1000", "03-24:batch:1000", "03-25:batch:1000", "03-26:batch:900"},
			batch: 1000, sizing: "10 batches of up to 1,000 units (the preferred size) finish on 26 Mar 2025, leaving 2 working days",
			forecast: []MonthUnits{{"2025-03", 10_000}}, firstGB: 200,
		},
		{
			name:   "raised toward the maximum to fit",
			change: func(in *PlanInput) { in.PreferredBatch = 500 },
			want: []string{"03-10:pilot:100", "03-13:batch:825", "03-14:batch:825", "03-17:batch:825", "03-18:batch:825", "03-19:batch:825",
				"03-20:batch:825", "03-21:batch:825", "03-24:batch:825", "03-25:batch:825", "03-26:batch:825", "03-27:batch:825", "03-28:batch:825"},
			batch: 825, sizing: "batches are raised to 825 units (the maximum is 2,000)",
		},
		{
			name:   "blackouts skipped",
			change: func(in *PlanInput) { in.Blackouts = []DateRange{{d(17), d(21)}, {d(13), d(13)}} },
			want: []string{"03-10:pilot:100", "03-14:batch:1650", "03-24:batch:1650", "03-25:batch:1650", "03-26:batch:1650", "03-27:batch:1650",
				"03-28:batch:1650"},
			batch: 1650, sizing: "6 working days are left after the pilot and its 2 working days of review, so batches are raised to 1,650 units",
		},
		{
			name: "weekends when allowed, no review",
			change: func(in *PlanInput) {
				in.AllowWeekends, in.PilotReviewDays, in.Units, in.WindowEnd = true, 0, 3100, d(31)
				in.WindowStart = d(14) // a Friday
			},
			want:  []string{"03-14:pilot:100", "03-15:batch:1000", "03-16:batch:1000", "03-17:batch:1000"},
			batch: 1000,
		},
		{
			name:   "no pilot",
			change: func(in *PlanInput) { in.PilotSize, in.Units = 0, 2500 },
			want:   []string{"03-10:batch:1000", "03-11:batch:1000", "03-12:batch:500"},
			batch:  1000,
		},
		{
			name:   "pilot takes everything",
			change: func(in *PlanInput) { in.PilotSize, in.Units = 50, 50 },
			want:   []string{"03-10:pilot:50"},
			sizing: "The pilot takes every unit in scope",
		},
		{
			name: "forecast spans months, including an empty one",
			change: func(in *PlanInput) {
				in.Units, in.PilotSize, in.PreferredBatch, in.MaxBatch = 300, 100, 100, 100
				in.WindowEnd = ymd("2025-05-30")
				in.Blackouts = []DateRange{{d(13), ymd("2025-05-28")}}
			},
			want:     []string{"03-10:pilot:100", "05-29:batch:100", "05-30:batch:100"},
			forecast: []MonthUnits{{"2025-03", 100}, {"2025-04", 0}, {"2025-05", 200}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			if tt.change != nil {
				tt.change(&in)
			}
			p, err := ProposePlan(in, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := eventDates(p); !slices.Equal(got, tt.want) {
				t.Errorf("events =\n%v\nwant\n%v", got, tt.want)
			}
			if tt.batch != 0 && p.BatchSize != tt.batch {
				t.Errorf("batch size = %d, want %d", p.BatchSize, tt.batch)
			}
			if !strings.Contains(p.Sizing, tt.sizing) {
				t.Errorf("sizing = %q, want it to contain %q", p.Sizing, tt.sizing)
			}
			if tt.forecast != nil && !slices.Equal(p.Forecast, tt.forecast) {
				t.Errorf("forecast = %v, want %v", p.Forecast, tt.forecast)
			}
			if tt.firstGB != 0 && p.Events[0].EstimatedGB != tt.firstGB {
				t.Errorf("pilot GB = %v, want %v", p.Events[0].EstimatedGB, tt.firstGB)
			}
			sum := 0
			for i, ev := range p.Events {
				sum += ev.Units
				if ev.N != i+1 {
					t.Errorf("event %d numbered %d", i+1, ev.N)
				}
			}
			if sum != in.Units || p.Units != in.Units {
				t.Errorf("events add up to %d, plan says %d, want %d", sum, p.Units, in.Units)
			}
		})
	}
}

func TestProposePlanRefusals(t *testing.T) {
	auckland := mustLocation(t, "Pacific/Auckland")
	tests := []struct {
		name   string
		change func(*PlanInput)
		now    time.Time
		want   []string
	}{
		{"too short even at the maximum", func(in *PlanInput) {
			in.Units, in.PilotSize, in.PilotReviewDays, in.WindowEnd = 50_000, 9_000, 1, d(31)
		}, t0, []string{"41,000 units left after the pilot and its 1 working day of review need 21 batch days at 2,000 a day, but the window 10 Mar 2025 to 31 Mar 2025 has 14 working days left outside blackouts", "raise the maximum batch size to 2,929"}},
		{"window start in the past", func(in *PlanInput) { in.WindowStart = d(1) }, t0, []string{"starts on 1 Mar 2025, which is in the past (today is 3 Mar 2025"}},
		{"past in the customer's time zone", func(in *PlanInput) { in.TimeZone, in.WindowStart = auckland, d(9) },
			time.Date(2025, 3, 9, 23, 30, 0, 0, time.UTC), []string{"in the past (today is 10 Mar 2025 in Pacific/Auckland)"}},
		{"blackout covers the window", func(in *PlanInput) { in.Blackouts = []DateRange{{d(1), ymd("2025-04-30")}} }, t0, []string{"has no working day: blackout dates cover all of it"}},
		{"weekend-only window", func(in *PlanInput) { in.WindowStart, in.WindowEnd = d(15), d(16) }, t0, []string{"weekends take all of it", "allow weekends"}},
		{"no day left after the pilot", func(in *PlanInput) { in.WindowEnd = d(11) }, t0, []string{"has no working day left after the pilot"}},
		{"end before start", func(in *PlanInput) { in.WindowEnd = d(9) }, t0, []string{"ends (9 Mar 2025) before it starts"}},
		{"no window", func(in *PlanInput) { in.WindowEnd = time.Time{} }, t0, []string{"Give the migration window"}},
		{"window over three years", func(in *PlanInput) { in.WindowEnd = ymd("2029-01-01") }, t0, []string{"longer than three years"}},
		{"no units", func(in *PlanInput) { in.Units = 0 }, t0, []string{"Give the units in scope"}},
		{"too many units", func(in *PlanInput) { in.Units = MaxPlanUnits + 1 }, t0, []string{"more than one plan schedules"}},
		{"pilot larger than scope", func(in *PlanInput) { in.PilotSize = 20_000 }, t0, []string{"pilot (20,000 units) is larger than the units in scope (10,000)"}},
		{"negative pilot", func(in *PlanInput) { in.PilotSize = -1 }, t0, []string{"cannot be negative"}},
		{"no preferred batch", func(in *PlanInput) { in.PreferredBatch = 0 }, t0, []string{"preferred batch size"}},
		{"maximum under preferred", func(in *PlanInput) { in.MaxBatch = 10 }, t0, []string{"maximum batch size (10) is smaller than the preferred one (1,000)"}},
		{"preferred is the maximum when none given", func(in *PlanInput) { in.MaxBatch, in.PreferredBatch = 0, 100 }, t0, []string{"need 99 batch days at 100 a day"}},
		{"blackout backwards", func(in *PlanInput) { in.Blackouts = []DateRange{{d(20), d(19)}} }, t0, []string{"ends before it starts"}},
		{"negative volume", func(in *PlanInput) { in.VolumeGB = -1 }, t0, []string{"data volume"}},
		{"review too long", func(in *PlanInput) { in.PilotReviewDays = 61 }, t0, []string{"0 to 60 working days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			tt.change(&in)
			_, err := ProposePlan(in, tt.now)
			wantErr(t, err, EINVALID, tt.want...)
		})
	}
}

func mustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Skipf("no time zone data: %v", err)
	}
	return loc
}

// mustPlanned gives an IMAP engagement (Vera is the MVM) the base plan,
// accepted.
func mustPlanned(tb testing.TB, ss ...Source) (*Engagement, Plan) {
	tb.Helper()
	if len(ss) == 0 {
		ss = []Source{IMAP}
	}
	e := mustEngagement(tb, false, ss...)
	p, err := ProposePlan(baseInput(), t0)
	if err != nil {
		tb.Fatal(err)
	}
	actor := idMVM
	if !slices.Contains(ss, IMAP) {
		actor = idMST
	}
	p, err = AcceptPlan(e, actor, p, t0)
	if err != nil {
		tb.Fatal(err)
	}
	return e, p
}

func TestAcceptPlan(t *testing.T) {
	e, p := mustPlanned(t)
	if p.Version != 1 || p.AcceptedBy != idMVM || !p.AcceptedAt.Equal(t0) {
		t.Errorf("accepted = v%d by %s at %v", p.Version, p.AcceptedBy, p.AcceptedAt)
	}
	if len(e.Events) != 11 || e.Events[0].State != EventPlanned || e.Events[0].Kind != KindPilot {
		t.Fatalf("events = %+v", e.Events)
	}
	last := e.History[len(e.History)-1]
	if last.Action != ActionAcceptPlan || last.Detail != "v1: 10,000 units in 11 events from 10 Mar 2025 to 26 Mar 2025" {
		t.Errorf("history = %+v", last)
	}

	// The MVM adjusts: event 11 moves to the 27th, event 10 takes 100 more
	// and a new event 12 takes the rest.
	q := p
	q.Events = slices.Clone(p.Events)
	q.Events[10].Date = d(27)
	q.Events[10].Units = 800
	q.Events = append(q.Events, PlannedEvent{N: 12, Date: d(28), Kind: KindBatch, Units: 100})
	v2, err := AcceptPlan(e, idMVM, q, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || len(e.Plans) != 2 || len(e.Events) != 12 || !e.Events[10].Date.Equal(d(27)) {
		t.Errorf("v2 = %d, plans %d, events %d", v2.Version, len(e.Plans), len(e.Events))
	}
	if v1, _ := PlanVersion(e, 1); len(v1.Events) != 11 || v1.Events[10].Units != 900 {
		t.Errorf("version 1 changed: %+v", v1.Events[10])
	}
	if _, err := PlanVersion(e, 3); ErrorCode(err) != ENOTFOUND {
		t.Errorf("PlanVersion(3) = %v", err)
	}
	// Returned plans are copies.
	v2.Events[0].Units = 1
	if lp, _ := LatestPlan(e); lp.Events[0].Units != 100 {
		t.Error("AcceptPlan returned shared events")
	}

	// Without IMAP the MST accepts.
	if _, p := mustPlanned(t, Box); p.AcceptedBy != idMST {
		t.Errorf("Box plan accepted by %s", p.AcceptedBy)
	}
}

// refusalUnchanged checks that a refused transition left e exactly as it
// was.
func refusalUnchanged(tb testing.TB, before, after *Engagement) {
	tb.Helper()
	if a, b := mustJSON(tb, before), mustJSON(tb, after); a != b {
		tb.Errorf("a refused change changed the engagement:\nbefore %s\nafter  %s", a, b)
	}
}

func TestAcceptPlanRefusals(t *testing.T) {
	e, p := mustPlanned(t)
	adjust := func(f func(*Plan)) Plan {
		q := p.clone()
		f(&q)
		return q
	}
	tests := []struct {
		name  string
		actor string
		plan  Plan
		code  string
		want  []string
	}{
		{"the MST in an IMAP engagement", idMST, p, EFORBIDDEN, []string{"Only the MVM can accept the migration plan", "Your roles: MST"}},
		{"a stranger", idStranger, p, EFORBIDDEN, []string{"not a member"}},
		{"units do not add up", idMVM, adjust(func(q *Plan) { q.Events[1].Units = 1 }), EINVALID, []string{"The events move 9,001 units, but 10,000 are in scope"}},
		{"on a weekend", idMVM, adjust(func(q *Plan) { q.Window.End, q.Events[10].Date = d(31), d(29) }), EINVALID, []string{"Event 11 falls on a Saturday; move it or allow weekends"}},
		{"on a blackout", idMVM, adjust(func(q *Plan) {
			q.Blackouts = []DateRange{{d(26), d(26)}}
		}), EINVALID, []string{"Event 11 on 26 Mar 2025 falls in the blackout 26 Mar 2025"}},
		{"outside the window", idMVM, adjust(func(q *Plan) { q.Events[10].Date = d(31) }), EINVALID, []string{"outside the window"}},
		{"out of date order", idMVM, adjust(func(q *Plan) { q.Events[2].Date = d(12) }), EINVALID, []string{"Event 3 (12 Mar 2025) is dated before event 2"}},
		{"numbers repeat", idMVM, adjust(func(q *Plan) { q.Events[2].N = 2 }), EINVALID, []string{"event 2 follows event 2"}},
		{"second pilot", idMVM, adjust(func(q *Plan) { q.Events[3].Kind = KindPilot }), EINVALID, []string{"only the first event may be the pilot"}},
		{"unknown kind", idMVM, adjust(func(q *Plan) { q.Events[3].Kind = "wave" }), EINVALID, []string{`"wave" is not an event kind`}},
		{"empty event", idMVM, adjust(func(q *Plan) { q.Events[1].Units = 0; q.Events[2].Units = 2000 }), EINVALID, []string{"Event 2 has 0 units"}},
		{"no events", idMVM, adjust(func(q *Plan) { q.Events = nil }), EINVALID, []string{"no events"}},
		{"other source", idMVM, adjust(func(q *Plan) { q.Events[1].Source = Box }), EINVALID, []string{"for Box, which this engagement does not migrate"}},
		{"bad zone", idMVM, adjust(func(q *Plan) { q.TimeZone = "Mars/Olympus" }), EINVALID, []string{"not a time zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Clone()
			_, err := AcceptPlan(e, tt.actor, tt.plan, t0)
			wantErr(t, err, tt.code, tt.want...)
			refusalUnchanged(t, before, e)
		})
	}

	t.Run("dates in the past", func(t *testing.T) {
		before := e.Clone()
		_, err := AcceptPlan(e, idMVM, p, d(12).Add(9*time.Hour))
		wantErr(t, err, EINVALID, "Event 1 is dated 10 Mar 2025, which is in the past (today is 12 Mar 2025)")
		refusalUnchanged(t, before, e)
	})
	t.Run("closed", func(t *testing.T) {
		c := e.Clone()
		mustOK(t, Close(c, idMVM, "cancelled", t0))
		before := c.Clone()
		_, err := AcceptPlan(c, idMVM, p, t0)
		wantErr(t, err, ECONFLICT, "was closed")
		refusalUnchanged(t, before, c)
	})
}

// Events under way are facts a new plan keeps.
func TestAcceptPlanKeepsFacts(t *testing.T) {
	e, p := mustPlanned(t)
	walkTo(t, e, 1, EventCompleted)
	walkTo(t, e, 2, EventPreflight)
	mustCancel(t, e, 3)
	now := d(13).Add(8 * time.Hour)
	base := p.clone()
	// Event 3 is cancelled: its units go to a new event 12.
	base.Events = slices.Delete(base.Events, 2, 3)
	base.Events = append(base.Events, PlannedEvent{N: 12, Date: d(27), Kind: KindBatch, Units: 1000})

	t.Run("a valid re-plan", func(t *testing.T) {
		c := e.Clone()
		q := base.clone()
		q.Events[1].Date = d(14) // event 2, in pre-flight, moves
		if _, err := AcceptPlan(c, idMVM, q, now); err != nil {
			t.Fatal(err)
		}
		if ev, _ := GetEvent(c, 2); ev.State != EventPreflight || !ev.Date.Equal(d(14)) || len(ev.Members) == 0 {
			t.Errorf("event 2 = %+v", ev)
		}
		if ev, _ := GetEvent(c, 3); ev.State != EventCancelled {
			t.Errorf("cancelled event 3 lost: %+v", ev)
		}
		if ev, _ := GetEvent(c, 1); ev.State != EventCompleted {
			t.Errorf("event 1 = %+v", ev)
		}
	})
	for _, tt := range []struct {
		name   string
		change func(*Plan)
		want   string
	}{
		{"completed event moved", func(q *Plan) { q.Events[0].Date = d(14) }, "Event 1 is completed; a new plan keeps it as it was (10 Mar 2025, pilot 100 units)"},
		{"event in pre-flight resized", func(q *Plan) { q.Events[1].Units = 500; q.Events[2].Units = 1500 }, "Event 2 is in pre-flight; a new plan may move its date but keeps its 1,000 units"},
		{"event in pre-flight left out", func(q *Plan) {
			q.Events = slices.Delete(q.Events, 1, 2)
			q.Events[len(q.Events)-1].Units = 2000
		}, "Event 2 is in pre-flight; a new plan must keep it"},
		{"cancelled number reused", func(q *Plan) {
			q.Events = slices.Insert(q.Events, 2, PlannedEvent{N: 3, Date: d(18), Kind: KindBatch, Units: 1000})
			q.Events[len(q.Events)-1].Units = 0
			q.Events = q.Events[:len(q.Events)-1]
		}, "Event 3 was cancelled; its number is not used again"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := base.clone()
			tt.change(&q)
			before := e.Clone()
			_, err := AcceptPlan(e, idMVM, q, now)
			wantErr(t, err, EINVALID, tt.want)
			refusalUnchanged(t, before, e)
		})
	}
}

func TestPlanInputFromAnswers(t *testing.T) {
	a := map[string]string{"users-in-scope": "10,000", "data-volume-gb": "20000", "window-start": "2025-03-10", "window-end": "2025-03-28",
		"blackout-dates": "2025-03-17, 2025-03-20/2025-03-21", "pilot-size": "100", "batch-size": "1000", "time-zone": "Europe/London"}
	in, err := PlanInputFromAnswers(a, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if in.Units != 10_000 || in.PilotSize != 100 || in.PreferredBatch != 1000 || in.MaxBatch != 2000 || in.VolumeGB != 20000 ||
		!in.WindowStart.Equal(d(10)) || !in.WindowEnd.Equal(d(28)) || len(in.Blackouts) != 2 || in.TimeZone.String() != "Europe/London" ||
		in.PilotReviewDays != DefaultPilotReviewDays {
		t.Errorf("input = %+v", in)
	}
	if _, err := ProposePlan(in, t0); err != nil {
		t.Errorf("ProposePlan: %v", err)
	}
	for field, v := range map[string]string{"users-in-scope": "", "window-end": "28/03/2025", "blackout-dates": "soon", "time-zone": "Nowhere/None", "data-volume-gb": "lots"} {
		b := map[string]string{}
		for k, x := range a {
			b[k] = x
		}
		b[field] = v
		if _, err := PlanInputFromAnswers(b, 0); ErrorCode(err) != EINVALID {
			t.Errorf("%s = %q: err %v", field, v, err)
		}
	}
}

func TestParseDateRanges(t *testing.T) {
	got, err := ParseDateRanges("2025-03-17; 2025-03-20/2025-03-21\n2025-04-01..2025-04-02,, ")
	if err != nil {
		t.Fatal(err)
	}
	want := []DateRange{{d(17), d(17)}, {d(20), d(21)}, {ymd("2025-04-01"), ymd("2025-04-02")}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, s := range []string{"2025-03-21/2025-03-20", "tomorrow", "2025-02-30"} {
		if _, err := ParseDateRanges(s); ErrorCode(err) != EINVALID {
			t.Errorf("ParseDateRanges(%q) = %v", s, err)
		}
	}
}

func TestCountStr(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 41000: "41,000", 1234567: "1,234,567", -2500: "-2,500"} {
		if got := countStr(n); got != want {
			t.Errorf("countStr(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkProposePlan50k schedules 50,000 units over a quarter with
// blackouts.
func BenchmarkProposePlan50k(b *testing.B) {
	in := PlanInput{Units: 50_000, VolumeGB: 100_000, WindowStart: d(10), WindowEnd: ymd("2025-06-30"), PilotSize: 500,
		PilotReviewDays: 2, PreferredBatch: 500, MaxBatch: 2_000,
		Blackouts: []DateRange{{d(31), d(31)}, {ymd("2025-04-18"), ymd("2025-04-21")}, {ymd("2025-05-26"), ymd("2025-05-26")}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProposePlan(in, t0); err != nil {
			b.Fatal(err)
		}
	}
}
