package playbook

import (
	"testing"
	"time"
)

func TestParseReportSchedule(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" for refused
	}{
		{"monday 09:00", "Monday 09:00"},
		{"Fri 16:30", "Friday 16:30"},
		{"tue 8", "Tuesday 08:00"},
		{"  SUNDAY   23:59 ", "Sunday 23:59"},
		{"off", "off"},
		{"OFF", "off"},
		{"", ""},
		{"monday", ""},
		{"mo 09:00", ""}, // two letters name no day
		{"monday 24:00", ""},
		{"monday 9:60", ""},
		{"monday 9:5", ""},
		{"monday -1", ""},
		{"someday 09:00", ""},
		{"monday 09:00 utc", ""},
	} {
		got, err := ParseReportSchedule(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: accepted as %s", tt.in, got)
		case tt.want == "" && ErrorCode(err) != EINVALID:
			t.Errorf("%q: code %s, want EINVALID", tt.in, ErrorCode(err))
		case tt.want != "" && (err != nil || got.String() != tt.want):
			t.Errorf("%q = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestSetReportSchedule(t *testing.T) {
	e := siteEngagement(t)
	r := ReportSchedule{Day: time.Friday, Hour: 16}
	before := e.Clone()
	wantErr(t, SetReportSchedule(e, "29:nobody", r, t0), EFORBIDDEN, "")
	wantUnchanged(t, before, e)
	mustOK(t, SetReportSchedule(e, idMST, r, t0))
	if got := e.ReportSchedule; got == nil || got.String() != "Friday 16:00" || got.By != idMST || !got.At.Equal(t0) {
		t.Fatalf("schedule = %+v", got)
	}
	if h := e.History[len(e.History)-1]; h.Action != ActionReportSchedule || h.Detail != "weekly report: Friday 16:00" {
		t.Errorf("history = %+v", h)
	}
	c := e.Clone()
	c.ReportSchedule.Hour = 3
	if e.ReportSchedule.Hour != 16 {
		t.Error("Clone shares the report schedule")
	}
	// A closed engagement's report no longer moves.
	mustOK(t, Close(e, idMVM, "customer cancelled", t0))
	before = e.Clone()
	wantErr(t, SetReportSchedule(e, idMST, ReportSchedule{Off: true}, t0), ECONFLICT, "")
	wantUnchanged(t, before, e)
}
