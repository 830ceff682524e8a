package playbook

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func splitInput() PlanInput {
	in := baseInput()
	in.VolumeGB = 0
	in.PilotSize, in.PreferredBatch, in.MaxBatch = 50, 100, 0
	in.Split = []SourceUnits{{Source: IMAP, Units: 300}, {Source: Box, Units: 200}}
	return in
}

func sourcedDates(p Plan) []string {
	var s []string
	for _, ev := range p.Events {
		s = append(s, ev.Date.Format("01-02")+":"+string(ev.Source)+":"+string(ev.Kind)+":"+countStr(ev.Units))
	}
	return s
}

func TestProposeSplit(t *testing.T) {
	tests := []struct {
		name   string
		change func(*PlanInput)
		want   []string
		err    string
	}{
		{"mail and content apart, pilot shared by units", nil, []string{
			"03-10:IMAP:pilot:30", "03-10:Box:pilot:20",
			"03-13:IMAP:batch:100", "03-13:Box:batch:100",
			"03-14:IMAP:batch:100", "03-14:Box:batch:80",
			"03-17:IMAP:batch:70"}, ""},
		{"a source with no units has no events", func(in *PlanInput) { in.Split[1].Units = 0 }, []string{
			"03-10:IMAP:pilot:50", "03-13:IMAP:batch:100", "03-14:IMAP:batch:100", "03-17:IMAP:batch:50"}, ""},
		{"each source at its measured capacity", func(in *PlanInput) { in.Split[0].Capacity = 60; in.MaxBatch = 1000 }, []string{
			"03-10:IMAP:pilot:30", "03-10:Box:pilot:20",
			"03-13:IMAP:batch:60", "03-13:Box:batch:100",
			"03-14:IMAP:batch:60", "03-14:Box:batch:80",
			"03-17:IMAP:batch:60", "03-18:IMAP:batch:60", "03-19:IMAP:batch:30"}, ""},
		{"no units", func(in *PlanInput) { in.Split[0].Units, in.Split[1].Units = 0, 0 }, nil, "at least one source"},
		{"negative", func(in *PlanInput) { in.Split[1].Units = -1 }, nil, "cannot be negative"},
		{"twice", func(in *PlanInput) { in.Split[1].Source = IMAP }, nil, "named twice"},
		{"unknown", func(in *PlanInput) { in.Split[1].Source = "Mail" }, nil, "not a migration source"},
		{"a source that does not fit names it", func(in *PlanInput) { in.Split[1].Units = 5000 }, nil, "Box: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := splitInput()
			if tt.change != nil {
				tt.change(&in)
			}
			p, err := ProposePlan(in, t0)
			if tt.err != "" {
				wantErr(t, err, EINVALID, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sourcedDates(p); !slices.Equal(got, tt.want) {
				t.Errorf("events\n got %v\nwant %v", got, tt.want)
			}
			sum := 0
			for i, ev := range p.Events {
				sum += ev.Units
				if ev.N != i+1 {
					t.Errorf("event %d numbered %d", i+1, ev.N)
				}
			}
			if sum != p.Units {
				t.Errorf("units %d, events add to %d", p.Units, sum)
			}
		})
	}
}

// TestSplitPlanReminder: in a plan split by source the content events
// never count as mail, and the DNS reminder (1370) comes when the mail
// events are done, whatever content is still to run.
func TestSplitPlanReminder(t *testing.T) {
	e := mustEngagement(t, false, IMAP, Box)
	p, err := ProposePlan(splitInput(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
		t.Fatal(err)
	}
	var mail, content []int
	for _, ev := range e.Events {
		if ev.Source == IMAP {
			mail = append(mail, ev.N)
		} else {
			content = append(content, ev.N)
		}
	}
	walkTo(t, e, content[0], EventCompleted)
	if DNSReminderDue(e) {
		t.Fatal("the Box pilot made the DNS reminder due")
	}
	// The Box pilot done, a Box batch runs before the mail pilot is done:
	// it waits only for its own source's pilot.
	walkTo(t, e, content[1], EventRunning)
	for i, n := range mail {
		walkTo(t, e, n, EventRunning)
		ev, _ := GetEvent(e, n)
		out, err := CompleteEvent(e, idMVM, n, ev.Size(), 0, ev.Date.Add(20*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if last := i == len(mail)-1; out.RemindDNS != last {
			t.Errorf("mail event %d (last %v): reminder %v", n, last, out.RemindDNS)
		}
	}
}

func TestThroughput(t *testing.T) {
	tests := []struct {
		name        string
		tp          Throughput
		concurrency int
		perDay      float64
		capacity    int
	}{
		{"nothing measured", Throughput{}, 100, 0, 0},
		{"pilot below the endpoint's concurrency scales up", Throughput{Events: 1, Units: 50, Days: 0.5}, 100, 100, 200},
		{"concurrency unknown", Throughput{Events: 1, Units: 50, Days: 0.5}, 0, 100, 100},
		{"events that filled the endpoint do not scale", Throughput{Events: 2, Units: 400, Days: 2}, 100, 200, 200},
		{"a failed pilot migrated nothing", Throughput{Events: 1, Units: 0, Days: 1}, 100, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tp.UnitsPerDay(); got != tt.perDay {
				t.Errorf("units a day %v, want %v", got, tt.perDay)
			}
			if got := tt.tp.Capacity(tt.concurrency); got != tt.capacity {
				t.Errorf("capacity %d, want %d", got, tt.capacity)
			}
		})
	}
}

func TestMeasuredThroughputAndForecast(t *testing.T) {
	e := mustEngagement(t, false, IMAP, Box)
	in := splitInput()
	in.VolumeGB = 1000
	p, err := ProposePlan(in, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok := ForecastAtPace(e, 100, t0); ok {
		t.Error("a forecast before anything was measured")
	}
	// The IMAP pilot (event 1, 30 units) runs 12 hours; the imported
	// status says 24 migrated and 6 failed.
	walkTo(t, e, 1, EventRunning)
	ev, _ := GetEvent(e, 1)
	start := ev.Date.Add(8 * time.Hour)
	e.Events[0].Started = start
	var rows []UnitStatus
	for i, m := range ev.Members {
		st := "Completed"
		if i >= 24 {
			st = "Failed"
		}
		rows = append(rows, UnitStatus{Unit: m.Unit, Status: st})
	}
	if _, err := RecordStatus(e, idMVM, 1, rows, start.Add(11*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := CompleteEvent(e, idMVM, 1, 30, 0, start.Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tp := MeasuredThroughput(e, IMAP)
	if tp.Events != 1 || tp.Units != 24 || tp.Days != 0.5 || tp.UnitsPerDay() != 48 {
		t.Errorf("IMAP throughput from the outcomes, not the typed count: %+v", tp)
	}
	if gb := tp.GBPerDay(); gb < 95.9 || gb > 96.1 { // 60 GB planned × 24/30 in half a day
		t.Errorf("GB a day %v, want 96", gb)
	}
	if got := MeasuredThroughput(e, Box); got.Events != 0 {
		t.Errorf("Box measured from the IMAP pilot: %+v", got)
	}
	if c := tp.Capacity(100); c != 200 {
		t.Errorf("capacity at 100 concurrent: %d, want 48×100/24 = 200", c)
	}
	if f, _ := ForecastAtPace(e, 0, start.Add(12*time.Hour)); day(f.End) != "24 Mar 2025" || !f.Late() {
		// 476 left at 48 a working day: 10 working days after 10 March.
		t.Errorf("forecast at the pilot's own pace: %+v", f)
	}
	f, ok := ForecastAtPace(e, 100, start.Add(12*time.Hour))
	// 500 units, 24 migrated: 476 at 200 a working day (the pilot's pace
	// on an endpoint running 100 at once) need 3 working days: 13 March.
	if !ok || f.Remaining != 476 || f.UnitsPerDay != 200 || day(f.End) != "13 Mar 2025" || f.Late() {
		t.Errorf("forecast %+v, %v", f, ok)
	}
	if s := f.String(); !strings.Contains(s, "476 units left") || !strings.Contains(s, "within the plan") {
		t.Errorf("forecast sentence: %s", s)
	}
	// A slow Box pilot moves the end past the plan: the forecast updates.
	walkTo(t, e, 2, EventRunning)
	e.Events[1].Started = start
	if _, err := CompleteEvent(e, idMVM, 2, 2, 0, start.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	f, _ = ForecastAtPace(e, 100, start.Add(48*time.Hour))
	// 26 units in 2.5 days, 13 an event: 10.4 a day × 100/13 = 80; 474
	// left need 6 working days after 12 March: 20 March.
	if day(f.End) != "20 Mar 2025" || !f.Late() || f.Remaining != 474 || !strings.Contains(f.String(), "after the plan's last event") {
		t.Errorf("forecast after a slow pilot: %+v: %s", f, f)
	}
	// By source, mail and content end apart: IMAP at its own pace on its
	// endpoint (48 a day × 100/24 = 200), Box at its own, scaled to
	// Migration Manager's 50 tasks (1 a day for 2 units: ×25 = 25).
	fs := ForecastBySource(e, 100, start.Add(48*time.Hour))
	if len(fs) != 2 || fs[0].Source != IMAP || fs[1].Source != Box {
		t.Fatalf("by source: %+v", fs)
	}
	p, _ = LatestPlan(e)
	units := map[Source]int{}
	for _, pe := range p.Events {
		units[pe.Source] += pe.Units
	}
	if fs[0].UnitsPerDay != 200 || fs[0].Remaining != units[IMAP]-24 {
		t.Errorf("IMAP forecast %+v (plan %d)", fs[0], units[IMAP])
	}
	if fs[1].UnitsPerDay != 25 || fs[1].Remaining != units[Box]-2 {
		t.Errorf("Box forecast %+v (plan %d)", fs[1], units[Box])
	}
}

func TestSplitFromAnswers(t *testing.T) {
	a := map[string]string{"imap-mailboxes": "1,200", "box-users": "300", "gdrive-users": "many"}
	got := SplitFromAnswers(a, []Source{IMAP, Box, GoogleDrive, Dropbox}, 1500)
	want := []SourceUnits{{Source: IMAP, Units: 1200}, {Source: Box, Units: 300}, {Source: GoogleDrive, Units: 1500}, {Source: Dropbox, Units: 1500}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := SplitFromAnswers(a, []Source{IMAP}, 1500); got != nil {
		t.Errorf("a single source is split: %v", got)
	}
}

// TestProposeReplan: after the pilot ran, a proposal keeps it and plans
// the units left after it, without a new pilot for a source that started,
// numbering new events after it and past cancelled numbers.
func TestProposeReplan(t *testing.T) {
	t.Run("single source", func(t *testing.T) {
		e, _ := mustPlanned(t)
		walkTo(t, e, 1, EventCompleted)
		mustCancel(t, e, 2)
		in := baseInput()
		in.Capacity = 800
		p, err := ProposeReplan(e, in, d(11))
		if err != nil {
			t.Fatal(err)
		}
		if p.Events[0].N != 1 || p.Events[0].Kind != KindPilot || p.Events[1].N != 3 || p.Events[1].Kind != KindBatch || p.Events[1].Units != 800 || p.Units != 10_000 {
			t.Fatalf("replan: %v", sourcedDates(p))
		}
		if !strings.Contains(p.Sizing, "1 event that started stay") || !strings.Contains(p.Sizing, "capped at 800") {
			t.Errorf("sizing: %s", p.Sizing)
		}
		if _, err := AcceptPlan(e, idMVM, p, d(11)); err != nil {
			t.Fatalf("accept the replan: %v", err)
		}
	})
	t.Run("split, one source started", func(t *testing.T) {
		e := mustEngagement(t, false, IMAP, Box)
		in := splitInput()
		p, err := ProposePlan(in, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
			t.Fatal(err)
		}
		walkTo(t, e, 1, EventCompleted) // the IMAP pilot
		p, err = ProposeReplan(e, in, d(10).Add(20*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"03-10:IMAP:pilot:30", "03-11:Box:pilot:50", "03-11:IMAP:batch:100", "03-12:IMAP:batch:100", "03-13:IMAP:batch:70", "03-14:Box:batch:100", "03-17:Box:batch:50"}
		if got := sourcedDates(p); !slices.Equal(got, want) {
			t.Errorf("replan\n got %v\nwant %v", got, want)
		}
		if _, err := AcceptPlan(e, idMVM, p, d(10).Add(20*time.Hour)); err != nil {
			t.Fatalf("accept the replan: %v", err)
		}
	})
	t.Run("nothing started is ProposePlan", func(t *testing.T) {
		e, want := mustPlanned(t)
		p, err := ProposeReplan(e, baseInput(), t0)
		if err != nil || !slices.Equal(eventDates(p), eventDates(want)) {
			t.Errorf("%v, %v", sourcedDates(p), err)
		}
	})
}

// TestForecastAtPaceBounded: a pace of one unit a day for millions of units
// ends the walk after ten years, late, instead of walking millions of days.
func TestForecastAtPaceBounded(t *testing.T) {
	e, _ := mustPlanned(t)
	e.Plans[0].Units = MaxPlanUnits
	e.Events[0].State, e.Events[0].Started, e.Events[0].Completed, e.Events[0].Migrated = EventCompleted, t0, t0.Add(100*24*time.Hour), 100
	f, ok := ForecastAtPace(e, 0, t0)
	if !ok || f.UnitsPerDay != 1 || !f.Late() || f.End.After(t0.AddDate(10, 1, 0)) {
		t.Errorf("bounded forecast: %+v", f)
	}
}

// GB a day come from the bytes the status files report, not from the
// planned volume, once a status carries them.
func TestMeasuredThroughputFromBytes(t *testing.T) {
	e, _ := mustPlanned(t)
	walkTo(t, e, 1, EventRunning)
	ev, _ := GetEvent(e, 1)
	start := ev.Date.Add(8 * time.Hour)
	e.Events[0].Started = start
	var rows []UnitStatus
	for i, m := range ev.Members {
		// Each migrated mailbox moved 2 GiB (Get-MigrationUserStatistics'
		// BytesTransferred); the last failed after 1 GiB.
		rows = append(rows, UnitStatus{Unit: m.Unit, Status: "Synced", Bytes: 2 << 30})
		if i == len(ev.Members)-1 {
			rows[i] = UnitStatus{Unit: m.Unit, Status: "Failed", Bytes: 1 << 30}
		}
	}
	if _, err := RecordStatus(e, idMVM, 1, rows, start.Add(23*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := CompleteEvent(e, idMVM, 1, 0, 0, start.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tp := MeasuredThroughput(e, IMAP)
	want := float64(2*(len(rows)-1) + 1) // GB moved in one day
	if tp.Measured != 1 || tp.GB != want || tp.GBPerDay() != want || tp.Units != len(rows)-1 {
		t.Errorf("throughput %+v, want %v GB a day from bytes", tp, want)
	}
}
