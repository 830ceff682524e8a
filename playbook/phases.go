package playbook

import "strings"

// Phase is a stage of the playbook. Phases are ordered; prepare and enable
// run side by side (the FRP enables while the MST prepares) and both end
// before onboarding.
type Phase string

// The phases, in order.
const (
	PhaseAssess  Phase = "assess"
	PhasePrepare Phase = "prepare"
	PhaseEnable  Phase = "enable"
	PhaseOnboard Phase = "onboard"
	PhaseMigrate Phase = "migrate"
	PhaseClose   Phase = "close"
)

// phaseDue is each phase's due date as a fraction of the span from the
// engagement's TargetStart to its TargetEnd. Prepare and enable share a due
// date because the seeds run them in parallel; onboarding gets a fifth of the
// span; migration events get the largest share because batches, pilot and
// velocity ramp-up are where the time goes. docs/playbook.md explains the
// numbers; change both together.
var phaseDue = []struct {
	phase    Phase
	fraction float64
	title    string
}{
	{PhaseAssess, 0.10, "Assessment"},
	{PhasePrepare, 0.35, "Preparation"},
	{PhaseEnable, 0.35, "Enablement"},
	{PhaseOnboard, 0.55, "Onboarding"},
	{PhaseMigrate, 0.90, "Migration"},
	{PhaseClose, 1.00, "Closure"},
}

// Phases returns the phases in order. The slice is the caller's.
func Phases() []Phase {
	ps := make([]Phase, len(phaseDue))
	for i, p := range phaseDue {
		ps[i] = p.phase
	}
	return ps
}

// Valid reports whether p is one of the phases above.
func (p Phase) Valid() bool {
	return p.index() >= 0
}

// Title is the phase's name for people: "Preparation", "Migration".
func (p Phase) Title() string {
	if i := p.index(); i >= 0 {
		return phaseDue[i].title
	}
	return string(p)
}

// index is the phase's position in the playbook, -1 if p is not a phase.
func (p Phase) index() int {
	for i, x := range phaseDue {
		if x.phase == p {
			return i
		}
	}
	return -1
}

// ParsePhase reads a phase case-insensitively by name or title ("prepare",
// "Preparation"). Returns EINVALID otherwise.
func ParsePhase(s string) (Phase, error) {
	k := squash(s)
	for _, x := range phaseDue {
		if k == string(x.phase) || k == strings.ToLower(x.title) {
			return x.phase, nil
		}
	}
	names := make([]string, len(phaseDue))
	for i, x := range phaseDue {
		names[i] = string(x.phase)
	}
	return "", Errorf(EINVALID, "%q is not a phase. Phases: %s.", strings.TrimSpace(s), strings.Join(names, ", "))
}
