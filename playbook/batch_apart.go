package playbook

// Event batches kept apart.
//
// An event's batch (Members and Outcomes) can hold thousands of rows, so a
// store keeps each in a record of its own and writes it only when its
// BatchRev changed, rather than re-encoding and rewriting every batch with
// every save of the engagement. Reads still return engagements whole: the
// store attaches the batches it holds (AttachBatch).
//
// A batch is a value that is replaced, never changed in place: code that
// changes one makes new slices (and a new BatchRev). That is what lets
// Clone, a store's cache and every reader share a batch's rows instead of
// copying thousands of them on every read.

// EventBatch is one event's batch as a store keeps it.
type EventBatch struct {
	N        int           `json:"n"`
	Rev      int           `json:"rev"`
	Members  []BatchMember `json:"members,omitempty"`
	Outcomes []UnitOutcome `json:"outcomes,omitempty"`
}

// touchBatch marks a change to ev's batch.
func (e *Engagement) touchBatch(ev *Event) {
	e.BatchSeq++
	ev.BatchRev = e.BatchSeq
}

// Batches returns the batches of e's events that have one (a member list
// or outcomes), by event order; they share e's slices.
func (e *Engagement) Batches() []EventBatch {
	var out []EventBatch
	for _, ev := range e.Events {
		if len(ev.Members) == 0 && len(ev.Outcomes) == 0 {
			continue
		}
		out = append(out, EventBatch{N: ev.N, Rev: ev.BatchRev, Members: ev.Members, Outcomes: ev.Outcomes})
	}
	return out
}

// NumberBatches gives every batch without a BatchRev one: for a store
// moving records written before BatchRev existed, and before every save,
// so that an event made with its batch by code that did not number it is
// stored all the same. (A change to a batch already numbered cannot be
// seen this way: it must take a new BatchRev where it is made.)
func (e *Engagement) NumberBatches() {
	for i := range e.Events {
		ev := &e.Events[i]
		if ev.BatchRev == 0 && (len(ev.Members) > 0 || len(ev.Outcomes) > 0) {
			e.touchBatch(ev)
		}
	}
}

// AttachBatch puts b into the event it belongs to, when that event's
// BatchRev is b's; it reports whether it did. A batch of another revision
// is a leftover the next save replaces.
func (e *Engagement) AttachBatch(b EventBatch) bool {
	for i := range e.Events {
		ev := &e.Events[i]
		if ev.N == b.N && ev.BatchRev == b.Rev {
			ev.Members, ev.Outcomes = b.Members, b.Outcomes
			return true
		}
	}
	return false
}

// withoutBatches strips the batches from c's events, copying the slice of
// events so that the engagement c was copied from keeps its own.
func (c *Engagement) withoutBatches() {
	if len(c.Events) == 0 {
		return
	}
	evs := make([]Event, len(c.Events))
	copy(evs, c.Events)
	for i := range evs {
		evs[i].Members, evs[i].Outcomes = nil, nil
	}
	c.Events = evs
}
