package playbook

import "slices"

// Step is an open task of an engagement as someone sees it: who does it and,
// when it cannot be done yet, what it waits for.
type Step struct {
	Task Task `json:"task"`
	// Owner is the role that does the task in this engagement (OwnerOf).
	Owner Role `json:"owner"`
	// Holders are the members holding Owner, in member order; empty when
	// nobody does yet, which the lead should fix with AssignRole.
	Holders []Member `json:"holders"`
	// BlockedBy are the task's open needs, in the order the table lists
	// them; empty when the task can be done now. Their own BlockedBy is
	// left empty: one level is what a person acts on.
	BlockedBy []Step `json:"blockedBy"`
}

// Ready reports whether nothing holds the step up.
func (s Step) Ready() bool {
	return len(s.BlockedBy) == 0
}

// Steps is what a person (or a set of roles) has to do next.
type Steps struct {
	Roles []Role
	// Ready are the open tasks of those roles whose needs are all settled,
	// ordered by phase, then table order.
	Ready []Step
	// Waiting are their other open tasks, in the same order, each with its
	// blockers.
	Waiting []Step
	// Closed is true for a closed engagement, which has no next steps.
	Closed bool
}

// NextSteps returns the next steps of the member with Teams id memberID:
// their roles' ready tasks and, for each of their other open tasks, the
// tasks it waits for, with owners and holders. A member without a role has
// none. Returns ENOTFOUND when memberID is not a member of e.
func NextSteps(e *Engagement, memberID string) (Steps, error) {
	m, ok := e.Member(memberID)
	if !ok {
		return Steps{}, Errorf(ENOTFOUND, "You are not a member of the %s engagement.", e.Customer)
	}
	return NextStepsForRoles(e, m.Roles...), nil
}

// NextStepsForRoles is NextSteps for whoever holds roles: a role's view for
// the channel ("what is the MST waiting for?"), or every role's, which is
// the whole engagement's to-do list.
func NextStepsForRoles(e *Engagement, rs ...Role) Steps {
	s := Steps{Roles: slices.Clone(rs), Closed: e.IsClosed()}
	if s.Closed {
		return s
	}
	// Which tasks, and whether each is ready, first; then their steps in
	// one allocation. A task card asks this on every "next steps", and
	// growing two slices of Steps was most of what it allocated.
	type pick struct {
		task  int
		ready bool
	}
	var buf [32]pick
	picks, ready := buf[:0], 0
	// Validate keeps the table in phase order, so table order is the order
	// promised above.
	for i := range table {
		t := &table[i]
		// Cheapest test first: most tasks are another role's, and the
		// state is a map look-up.
		if !hasRole(rs, OwnerOf(e, *t)) || !Applies(e, *t) || e.State(t.Key).Status != StatusOpen {
			continue
		}
		p := pick{i, !slices.ContainsFunc(t.Needs, func(k string) bool { return !satisfied(e, k) })}
		picks = append(picks, p)
		if p.ready {
			ready++
		}
	}
	if len(picks) == 0 {
		return s
	}
	steps := make([]Step, len(picks))
	r, w := 0, ready
	for _, p := range picks {
		if p.ready {
			steps[r] = e.step(table[p.task])
			r++
		} else {
			steps[w] = e.blockedStep(table[p.task])
			w++
		}
	}
	if ready > 0 {
		s.Ready = steps[:ready:ready]
	}
	if len(picks) > ready {
		s.Waiting = steps[ready:]
	}
	return s
}

func (e *Engagement) step(t Task) Step {
	o := OwnerOf(e, t)
	return Step{Task: t.clone(), Owner: o, Holders: e.Holders(o)}
}

// blockedStep is step with its open needs.
func (e *Engagement) blockedStep(t Task) Step {
	st := e.step(t)
	for _, n := range t.Needs {
		if !satisfied(e, n) {
			if st.BlockedBy == nil {
				st.BlockedBy = make([]Step, 0, len(t.Needs))
			}
			st.BlockedBy = append(st.BlockedBy, e.step(table[byKey[n]]))
		}
	}
	return st
}
