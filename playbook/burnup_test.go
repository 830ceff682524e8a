package playbook

import (
	"testing"
	"time"
)

func TestBurnUp(t *testing.T) {
	e, now := reportFixture(t)
	scope, weeks := BurnUp(e, now)
	if scope != 10_000 || len(weeks) == 0 {
		t.Fatalf("BurnUp = %d, %+v", scope, weeks)
	}
	prev := WeekUnits{}
	for i, w := range weeks {
		if w.Week.Weekday() != time.Monday || (i > 0 && !w.Week.Equal(weeks[i-1].Week.AddDate(0, 0, 7))) {
			t.Errorf("week %d starts %v", i, w.Week)
		}
		if w.Forecast < prev.Forecast || w.Migrated < prev.Migrated {
			t.Errorf("week %d goes down: %+v after %+v", i, w, prev)
		}
		prev = w
	}
	last := weeks[len(weeks)-1]
	if last.Forecast != 10_000 || weeks[0].Migrated > weeks[0].Forecast {
		t.Errorf("weeks = %+v", weeks)
	}
	// The week of now: what WeeklyReport counts as migrated.
	for _, w := range weeks {
		if !w.Week.After(now) && now.Before(w.Week.AddDate(0, 0, 7)) && w.Migrated != WeeklyReport(e, now).Units.Migrated {
			t.Errorf("week of now = %+v, report migrated %d", w, WeeklyReport(e, now).Units.Migrated)
		}
	}
	if s, w := BurnUp(mustEngagement(t, false, Box), now); s != 0 || w != nil {
		t.Errorf("without a plan: %d, %+v", s, w)
	}
}
