package playbook

import (
	"testing"
	"time"
)

// TestBatchRevisions: every change to an event's batch (SetEventMembers,
// RecordStatus) gives it a new BatchRev, which is what a store compares
// to decide whether to write the batch; other changes leave it; and
// StoredForm leaves the batches out without touching the original.
func TestBatchRevisions(t *testing.T) {
	e, _ := mustPlanned(t)
	rev := func() int { return mustEvent(t, e, 1).BatchRev }
	if rev() != 0 || len(e.Batches()) != 0 {
		t.Fatalf("a new plan: rev %d, %d batches", rev(), len(e.Batches()))
	}
	ms := members(1, 3)
	mustOK(t, SetEventMembers(e, idMVM, 1, BatchUsers, ms, t0))
	r1 := rev()
	if r1 == 0 || e.BatchSeq != r1 {
		t.Fatalf("after SetEventMembers: rev %d, seq %d", r1, e.BatchSeq)
	}
	if _, err := AddNote(e, idMVM, "a note", t0); err != nil {
		t.Fatal(err)
	}
	if rev() != r1 {
		t.Errorf("a note moved the batch's rev from %d to %d", r1, rev())
	}
	walkTo(t, e, 1, EventRunning)
	before := rev()
	if _, err := RecordStatus(e, idMVM, 1, []UnitStatus{{Unit: ms[0].Unit, Status: "Synced"}}, t0); err != nil {
		t.Fatal(err)
	}
	if rev() == before {
		t.Errorf("RecordStatus left the batch's rev at %d", before)
	}
	stored := e.StoredForm()
	for _, ev := range stored.Events {
		if len(ev.Members) > 0 || len(ev.Outcomes) > 0 {
			t.Errorf("StoredForm keeps event %d's batch", ev.N)
		}
	}
	if len(mustEvent(t, e, 1).Members) != 3 {
		t.Error("StoredForm emptied the original's batch")
	}
	bs := e.Batches()
	if len(bs) != 1 || bs[0].N != 1 || bs[0].Rev != rev() || len(bs[0].Outcomes) != 1 {
		t.Fatalf("Batches = %+v", bs)
	}
	if !stored.AttachBatch(bs[0]) || len(stored.Events[0].Members) != 3 {
		t.Error("AttachBatch did not put the batch back")
	}
	if stored.AttachBatch(EventBatch{N: 1, Rev: bs[0].Rev + 1}) {
		t.Error("AttachBatch took a batch of another revision")
	}
}

// TestRemediationNumbersItsBatch: the remediation event is made with its
// members, so it must carry a BatchRev of its own.
func TestRemediationNumbersItsBatch(t *testing.T) {
	e, _ := mustPlanned(t)
	walkTo(t, e, 1, EventRunning)
	ev := mustEvent(t, e, 1)
	if _, err := RecordStatus(e, idMVM, 1, []UnitStatus{{Unit: ev.Members[0].Unit, Status: "Failed", Error: "We had trouble signing in"}}, t0); err != nil {
		t.Fatal(err)
	}
	rem, err := RemediateFailures(e, idMVM, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if rem.BatchRev == 0 || rem.BatchRev != e.BatchSeq || len(rem.Members) != 1 {
		t.Errorf("remediation event: rev %d (seq %d), %d members", rem.BatchRev, e.BatchSeq, len(rem.Members))
	}
}

// TestBatchesSharedNotChanged: a clone shares its events' batches, so every
// change a clone goes through (members set again, status recorded twice,
// remediation, completion) must leave the original's rows as they were.
func TestBatchesSharedNotChanged(t *testing.T) {
	e, _ := mustPlanned(t)
	walkTo(t, e, 1, EventRunning)
	first := mustEvent(t, e, 1).Members[0].Unit
	if _, err := RecordStatus(e, idMVM, 1, []UnitStatus{{Unit: first, Status: "Syncing"}}, t0); err != nil {
		t.Fatal(err)
	}
	before := mustJSON(t, e)
	c := e.Clone()
	if &c.Events[0].Members[0] != &e.Events[0].Members[0] {
		t.Error("the clone copied the batch's rows")
	}
	ms := mustEvent(t, c, 1).Members
	rows := []UnitStatus{{Unit: first, Status: "Failed", Error: "We had trouble signing in"}}
	for _, m := range ms[1:] {
		rows = append(rows, UnitStatus{Unit: m.Unit, Status: "Synced"})
	}
	if _, err := RecordStatus(c, idMVM, 1, rows, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := RemediateFailures(c, idMVM, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := CompleteEvent(c, idMVM, 1, len(ms)-1, 1, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustOK(t, SetEventMembers(c, idMVM, 2, BatchUsers, members(2, 2), t0.Add(2*time.Hour)))
	if mustJSON(t, e) != before {
		t.Error("changing the clone's batches changed the original")
	}
}
