package playbook

import (
	"slices"
	"testing"
	"time"
)

func TestPhaseDue(t *testing.T) {
	// 100 days from Monday 3 March 2025.
	e := mustEngagement(t, false, Box)
	tests := []struct {
		p    Phase
		want time.Time
	}{
		{PhaseAssess, t0.AddDate(0, 0, 10)},
		{PhasePrepare, t0.AddDate(0, 0, 35)},
		{PhaseEnable, t0.AddDate(0, 0, 35)},
		{PhaseOnboard, t0.AddDate(0, 0, 55)},
		{PhaseMigrate, t0.AddDate(0, 0, 90)},
		{PhaseClose, t0.AddDate(0, 0, 100)},
	}
	for _, tt := range tests {
		if got, ok := PhaseDue(e, tt.p); !ok || !got.Equal(tt.want) {
			t.Errorf("PhaseDue(%s) = %v, %t; want %v", tt.p, got, ok, tt.want)
		}
	}
	if _, ok := PhaseDue(e, "x"); ok {
		t.Error("PhaseDue of an unknown phase: ok")
	}
	if _, ok := PhaseDue(&Engagement{}, PhaseAssess); ok {
		t.Error("PhaseDue without dates: ok")
	}
	// Spans that do not divide evenly round to the nearest day.
	e.TargetEnd = t0.AddDate(0, 0, 7)
	if got, _ := PhaseDue(e, PhasePrepare); !got.Equal(t0.AddDate(0, 0, 2)) { // 2.45 days
		t.Errorf("PhaseDue(prepare) over a week = %v", got)
	}
}

func TestProgress(t *testing.T) {
	e := mustEngagement(t, false, Dropbox)
	mustDone(t, e, "assessment", "workshop-dropbox", "hub-workshop", "core-onboarding")
	if _, err := MarkNotApplicable(e, idMST, "credential-review", "customer vault", t0); err != nil {
		t.Fatal(err)
	}
	r := Progress(e)
	type row struct {
		p                Phase
		done, applicable int
		percent          int
	}
	want := []row{
		{PhaseAssess, 1, 1, 100},
		{PhasePrepare, 2, 9, 22}, // 10 prepare tasks for Dropbox, one marked not applicable
		{PhaseEnable, 1, 2, 50},
		{PhaseOnboard, 0, 6, 0},
		{PhaseMigrate, 0, 2, 0},
		{PhaseClose, 0, 1, 0},
	}
	var got []row
	for _, pp := range r.Phases {
		got = append(got, row{pp.Phase, pp.Done, pp.Applicable, pp.Percent()})
	}
	if !slices.Equal(got, want) {
		t.Errorf("Progress =\n%v\nwant\n%v", got, want)
	}
	if r.Overall != (Tally{Done: 4, Applicable: 21}) || r.Overall.Percent() != 19 || r.Overall.Complete() {
		t.Errorf("Overall = %+v (%d%%)", r.Overall, r.Overall.Percent())
	}
	if due := r.Phases[1].Due; !due.Equal(t0.AddDate(0, 0, 35)) {
		t.Errorf("prepare due %v", due)
	}
	if (Tally{}).Percent() != 100 || !(Tally{}).Complete() {
		t.Error("an empty tally is complete")
	}
}

func TestOverdue(t *testing.T) {
	e := mustEngagement(t, false, Box)
	if got := Overdue(e, t0.AddDate(0, 0, 10)); len(got) != 0 {
		t.Errorf("overdue on the assess due date itself: %v", got)
	}
	got := Overdue(e, t0.AddDate(0, 0, 11))
	if len(got) != 1 || got[0].Task.Key != "assessment" || got[0].Owner != FRP || got[0].Holders[0].ID != idFRP ||
		!got[0].Due.Equal(t0.AddDate(0, 0, 10)) || !got[0].Ready() {
		t.Errorf("Overdue a day after assess is due = %+v", got)
	}
	mustDone(t, e, "assessment", "core-onboarding")
	got = Overdue(e, t0.AddDate(0, 0, 56))
	var keys []string
	for _, o := range got {
		keys = append(keys, o.Task.Key)
	}
	want := []string{
		// prepare and enable, due day 35, table order
		"workshop-box", "hub-workshop", "credential-review", "remote-connectivity", "reporting-workshop", "questionnaire",
		"collaboration-site", "issue-tracker", "known-errors", "inventory-box", "migration-decision", "identity-sync",
		// onboard, due day 55
		"temporary-licenses", "questionnaire-validation", "environment-onboarding", "environment-build", "test-migration", "migration-handover",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("Overdue on day 56 =\n%v\nwant\n%v", keys, want)
	}
	if b := got[1].BlockedBy; len(b) != 0 {
		t.Errorf("hub-workshop blocked by %v", stepKeys(b))
	}
	if b := got[5].BlockedBy; len(b) != 1 || b[0].Task.Key != "workshop-box" || b[0].Holders[0].ID != idMST {
		t.Errorf("questionnaire blocked by %+v", b)
	}
	if got := Overdue(&Engagement{Sources: []Source{Box}}, t0.AddDate(5, 0, 0)); got != nil {
		t.Errorf("overdue without target dates: %v", got)
	}
}

func TestNextMilestone(t *testing.T) {
	e := mustEngagement(t, false, FileShare)
	m, ok := NextMilestone(e)
	if !ok || m.Phase != PhaseAssess || !m.Due.Equal(t0.AddDate(0, 0, 10)) || !slices.Equal(stepKeys(m.Remaining), []string{"assessment"}) {
		t.Errorf("first milestone = %+v, %t", m, ok)
	}
	mustDone(t, e, "assessment")
	m, _ = NextMilestone(e)
	if m.Phase != PhasePrepare || len(m.Remaining) != 11 || m.Remaining[0].Task.Key != "workshop-fileshare" || !m.Remaining[0].Ready() {
		t.Errorf("second milestone = %s, %v", m.Phase, stepKeys(m.Remaining))
	}
	if m.Remaining[2].Ready() {
		t.Errorf("%s is ready before the workshop", m.Remaining[2].Task.Key)
	}
}
