package playbook

import (
	"math"
	"slices"
	"time"
)

// Tally counts settled work.
type Tally struct {
	Done int `json:"done"`
	// Applicable counts the tasks that are part of the engagement and not
	// marked not applicable.
	Applicable int `json:"applicable"`
}

// Percent is Done as a whole percentage of Applicable, rounded down so that
// 100 means everything is done; 100 when nothing applies.
func (t Tally) Percent() int {
	if t.Applicable == 0 {
		return 100
	}
	return t.Done * 100 / t.Applicable
}

// Complete reports whether every applicable task is done.
func (t Tally) Complete() bool {
	return t.Done == t.Applicable
}

// PhaseProgress is one phase's tally and due date.
type PhaseProgress struct {
	Phase Phase `json:"phase"`
	Tally
	// Due is the phase's due date (see PhaseDue); zero when the engagement
	// has no target dates.
	Due time.Time `json:"due,omitzero"`
}

// ProgressReport is an engagement's progress, phase by phase and overall.
type ProgressReport struct {
	Phases  []PhaseProgress `json:"phases"` // every phase, in order
	Overall Tally           `json:"overall"`
}

// Progress tallies e's tasks by phase.
func Progress(e *Engagement) ProgressReport {
	var r ProgressReport
	for _, p := range Phases() {
		pp := PhaseProgress{Phase: p}
		pp.Due, _ = PhaseDue(e, p)
		for _, t := range table {
			if t.Phase != p || !Applies(e, t) {
				continue
			}
			switch st := e.State(t.Key); {
			case st.Status == StatusDone:
				pp.Done++
				pp.Applicable++
			case st.Status == StatusOpen,
				st.Override: // set aside by closing early: not done, and not "does not apply"
				pp.Applicable++
			}
		}
		r.Overall.Done += pp.Done
		r.Overall.Applicable += pp.Applicable
		r.Phases = append(r.Phases, pp)
	}
	return r
}

// PhaseDue returns the date by which phase p should be complete: TargetStart
// plus the phase's share of the span to TargetEnd (assess 10%, prepare and
// enable 35%, onboard 55%, migrate 90%, close at TargetEnd), rounded to whole
// days. It returns false when e has no target dates or p is not a phase.
func PhaseDue(e *Engagement, p Phase) (time.Time, bool) {
	i := p.index()
	if i < 0 || e.TargetStart.IsZero() || e.TargetEnd.IsZero() {
		return time.Time{}, false
	}
	f := phaseDue[i].fraction
	if f >= 1 {
		return e.TargetEnd, true
	}
	days := e.TargetEnd.Sub(e.TargetStart).Hours() / 24
	return e.TargetStart.AddDate(0, 0, int(math.Round(days*f))), true
}

// OverdueTask is an open task whose phase is past its due date.
type OverdueTask struct {
	Step
	Due time.Time `json:"due"`
}

// Overdue returns the open tasks of e whose phase was due before now,
// earliest due first, then in table order. A task of a late phase is overdue
// whether or not it is blocked; BlockedBy says who holds it up. Nil when e
// is closed or has no target dates.
func Overdue(e *Engagement, now time.Time) []OverdueTask {
	if e.IsClosed() {
		return nil
	}
	var late []OverdueTask
	for _, t := range table {
		due, ok := PhaseDue(e, t.Phase)
		if !ok || !now.After(due) || !Applies(e, t) || e.State(t.Key).Status != StatusOpen {
			continue
		}
		late = append(late, OverdueTask{Step: e.blockedStep(t), Due: due})
	}
	slices.SortStableFunc(late, func(a, b OverdueTask) int { return a.Due.Compare(b.Due) })
	return late
}

// Milestone is the end of the earliest phase that is not complete.
type Milestone struct {
	Phase Phase
	Due   time.Time // zero without target dates
	// Remaining are the phase's open tasks, in table order.
	Remaining []Step
}

// NextMilestone returns the earliest phase of e with open tasks, and false
// when every phase is complete or e is closed.
func NextMilestone(e *Engagement) (Milestone, bool) {
	if e.IsClosed() {
		return Milestone{}, false
	}
	for _, p := range Phases() {
		var rem []Step
		for _, t := range table {
			if t.Phase == p && Applies(e, t) && e.State(t.Key).Status == StatusOpen {
				rem = append(rem, e.blockedStep(t))
			}
		}
		if len(rem) > 0 {
			due, _ := PhaseDue(e, p)
			return Milestone{Phase: p, Due: due, Remaining: rem}, true
		}
	}
	return Milestone{}, false
}
