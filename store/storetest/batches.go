package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// WithBatches gives eng two events with batches of n members and n
// outcomes each, numbered as playbook numbers them (BatchRev, BatchSeq).
func WithBatches(eng *playbook.Engagement, n int, at time.Time) {
	withBatches(eng, 2, n, at)
}

func withBatches(eng *playbook.Engagement, events, n int, at time.Time) {
	eng.Events = nil
	for ev := 1; ev <= events; ev++ {
		e := playbook.Event{N: ev, Kind: playbook.EventKind("pilot"), Date: at.AddDate(0, 0, 7*ev), Units: n, Source: playbook.IMAP,
			State: playbook.EventPlanned, MemberKind: playbook.BatchUsers, BatchRev: ev}
		for i := range n {
			u := fmt.Sprintf("user%d.%d@contoso.com", ev, i)
			e.Members = append(e.Members, playbook.BatchMember{Unit: u})
			e.Outcomes = append(e.Outcomes, playbook.UnitOutcome{Unit: u, Status: "Synced", Outcome: playbook.OutcomeMigrated, Recorded: at})
		}
		eng.Events = append(eng.Events, e)
	}
	eng.BatchSeq = events
}

// testBatchesApart: events' batches are stored apart but every read path
// returns them whole; a changed batch is read back changed, and a batch
// whose event lost it is gone.
func testBatchesApart(t *testing.T, e env) {
	eng := engagement(t, "e-batch", "19:batch", e.clock.Now())
	WithBatches(eng, 3, e.clock.Now())
	must(t, save(e, "b0", eng, 0))
	reads := func(want *playbook.Engagement, what string) {
		t.Helper()
		got, err := e.b.Engagement(e.ctx, "e-batch")
		must(t, err)
		sameEngagement(t, what+": Engagement", got, want)
		got, err = e.b.EngagementByConversation(e.ctx, "19:batch")
		must(t, err)
		sameEngagement(t, what+": EngagementByConversation", got, want)
		es, err := e.b.EngagementsOf(e.ctx, "29:lead")
		must(t, err)
		if len(es) != 1 {
			t.Fatalf("%s: EngagementsOf: %d engagements", what, len(es))
		}
		sameEngagement(t, what+": EngagementsOf", es[0], want)
	}
	reads(eng, "after the first save")

	cur, err := e.b.Engagement(e.ctx, "e-batch")
	must(t, err)
	noted, err := note(t, e, "b1", cur, "a note")
	must(t, err)
	noted.History = nil
	noted.HistoryBase = cur.HistoryBase + 1
	reads(noted, "after a note")

	changed := noted.Clone()
	changed.Events[1].Members = append(changed.Events[1].Members, playbook.BatchMember{Unit: "late@contoso.com"})
	changed.BatchSeq++
	changed.Events[1].BatchRev = changed.BatchSeq
	changed.Version++
	must(t, save(e, "b2", changed, noted.Version))
	reads(changed, "after event 2's batch changed")

	// A re-plan: event 1 is replaced by one without a batch.
	replanned := changed.Clone()
	replanned.Events[0] = playbook.Event{N: 1, Kind: playbook.EventKind("pilot"), Date: changed.Events[0].Date, Units: 5, Source: playbook.IMAP, State: playbook.EventPlanned}
	replanned.Version++
	must(t, save(e, "b3", replanned, changed.Version))
	reads(replanned, "after event 1 lost its batch")
}

// BatchUntouched checks that a turn that does not change a batch does not
// write it: the engagement is read, tamper then rewrites the stored batch
// of event 2 of engagement id behind the store's back (a marker), a note
// is saved from what was read, and stored, which reads event n's first
// member from the backend's storage past any cache, must still give the
// marker: a store that rewrote the batch would have put the read one back.
func BatchUntouched(t *testing.T, b Backend, tamper func(id string, n int), stored func(id string, n int) string) {
	ctx := context.Background()
	clock := NewClock(Epoch)
	e := env{b: b, clock: clock, ctx: ctx}
	eng := engagement(t, "e-untouched", "19:untouched", Epoch)
	WithBatches(eng, 3, Epoch)
	must(t, save(e, "u0", eng, 0))
	cur, err := b.Engagement(ctx, "e-untouched")
	must(t, err)
	tamper("e-untouched", 2)
	if got := stored("e-untouched", 2); got != "tampered" {
		t.Fatalf("the tampered batch reads %q; the test's tamper did not take", got)
	}
	if _, err := note(t, e, "u1", cur, "a note"); err != nil {
		t.Fatal(err)
	}
	if got := stored("e-untouched", 2); got != "tampered" {
		t.Errorf("after a note event 2's stored first member is %q: the unchanged batch was rewritten", got)
	}
	after, err := b.Engagement(ctx, "e-untouched")
	must(t, err)
	if len(after.Events[0].Members) != 3 {
		t.Errorf("after a note event 1 has %d members, want 3", len(after.Events[0].Members))
	}
}
