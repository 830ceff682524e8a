package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// ReplicaOpener returns two handles on one new, empty database, each with
// the settings Opener's backends have, sharing the clock now: two replicas
// of the bot. Only a backend several processes can share (PostgreSQL)
// runs these tests; bbolt's file lock allows one handle.
type ReplicaOpener func(t *testing.T, now func() time.Time) (Backend, Backend)

// RunReplicas runs the tests of what several replicas on one database
// rely on: a redelivered activity, a card clicked on two replicas, jobs
// claimed by several runners and taken over when a replica dies.
func RunReplicas(t *testing.T, open ReplicaOpener) {
	tests := []struct {
		name string
		run  func(t *testing.T, e env, other Backend)
	}{
		{"SameActivityOnTwoReplicasAppliesOnce", testReplicaDedup},
		{"SameVersionOnTwoReplicasSavesOnce", testReplicaEngagement},
		{"ClaimsNeverOverlap", testReplicaClaims},
		{"DeadReplicasJobRunsElsewhere", testReplicaTakeover},
		{"NewEngagementsInOneConversation", testReplicaConversation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := NewClock(Epoch)
			a, b := open(t, clock.Now)
			tc.run(t, env{b: a, clock: clock, ctx: t.Context()}, b)
		})
	}
}

// both runs fn on each replica n times at once and waits.
func both(n int, a, b Backend, fn func(i int, r Backend)) {
	var wg sync.WaitGroup
	for i := range n {
		for _, r := range []Backend{a, b} {
			wg.Go(func() { fn(i, r) })
		}
	}
	wg.Wait()
}

// outcomes tallies concurrent saves: which succeeded, how many met
// ECONFLICT, and any other error.
type outcomes struct {
	mu        sync.Mutex
	saved     []string
	conflicts int
	errs      []error
}

func (o *outcomes) add(name string, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err == nil:
		o.saved = append(o.saved, name)
	case errorCode(err) == playbook.ECONFLICT:
		o.conflicts++
	default:
		o.errs = append(o.errs, err)
	}
}

// want fails the test unless saved saves succeeded and conflicts met
// ECONFLICT.
func (o *outcomes) want(t *testing.T, what string, saved, conflicts int) {
	t.Helper()
	if len(o.errs) > 0 {
		t.Fatal(o.errs[0])
	}
	if len(o.saved) != saved || o.conflicts != conflicts {
		t.Fatalf("%s: %d saved, %d conflicts; want %d, %d", what, len(o.saved), o.conflicts, saved, conflicts)
	}
}

func testReplicaDedup(t *testing.T, e env, other Backend) {
	var (
		mu                   sync.Mutex
		applied, dups, jobsN int
		errs                 []error
	)
	both(8, e.b, other, func(i int, r Backend) {
		in := turn("redelivered", 200+i, 1)
		in.Jobs[0].Key = "reply:redelivered"
		jobs, dup, err := r.CommitTurn(e.ctx, in)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			errs = append(errs, err)
		case dup != nil:
			dups++
		default:
			applied++
			jobsN += len(jobs)
		}
	})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if applied != 1 || dups != 15 || jobsN != 1 {
		t.Errorf("16 deliveries over two replicas: %d applied (%d jobs), %d duplicates; want 1 (1 job), 15", applied, jobsN, dups)
	}
	for _, r := range []Backend{e.b, other} {
		if n, _ := r.Pending(e.ctx); n != 1 {
			t.Errorf("Pending = %d, want 1", n)
		}
	}
}

func testReplicaEngagement(t *testing.T, e env, other Backend) {
	eng := engagement(t, "e-card", "19:card", Epoch)
	must(t, save(e, "setup", eng, 0))
	var o outcomes
	both(4, e.b, other, func(i int, r Backend) {
		next := eng.Clone()
		next.Version = 2
		next.Customer = fmt.Sprintf("click %d on %p", i, r)
		_, _, err := r.CommitTurn(e.ctx, playbook.Turn{DedupKey: next.Customer, Result: playbook.Result{Status: 200}, Engagement: next, ExpectVersion: 1})
		o.add(next.Customer, err)
	})
	o.want(t, "8 saves of version 2 over two replicas", 1, 7)
	saved := o.saved
	for _, r := range []Backend{e.b, other} {
		got, err := r.Engagement(e.ctx, "e-card")
		must(t, err)
		if got.Version != 2 || got.Customer != saved[0] {
			t.Errorf("stored engagement v%d %q, want v2 %q", got.Version, got.Customer, saved[0])
		}
		// The losers' turns left nothing: no dedup record.
		for i := range 4 {
			for _, name := range []string{fmt.Sprintf("click %d on %p", i, e.b), fmt.Sprintf("click %d on %p", i, other)} {
				if _, ok, _ := r.Processed(e.ctx, name); ok != (name == saved[0]) {
					t.Errorf("dedup record of %q: %v", name, ok)
				}
			}
		}
	}
}

func testReplicaClaims(t *testing.T, e env, other Backend) {
	const n = 40
	for i := range n {
		enqueue(t, e, job(i))
	}
	var (
		mu   sync.Mutex
		seen = map[uint64]int{}
		errs []error
	)
	both(4, e.b, other, func(_ int, r Backend) {
		for {
			jobs, err := r.ClaimDue(e.ctx, e.clock.Now(), 3)
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, j := range jobs {
				seen[j.ID]++
			}
			mu.Unlock()
			if err != nil || len(jobs) == 0 {
				return
			}
		}
	})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	if len(seen) != n {
		t.Errorf("claimed %d distinct jobs, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %d claimed %d times under one lease", id, c)
		}
	}
}

func testReplicaTakeover(t *testing.T, e env, other Backend) {
	t0 := e.clock.Now()
	// A turn on replica A leases its reply job to A; A dies before it
	// reports. B claims it once the lease ends, and its Complete is final.
	jobs, _, err := e.b.CommitTurn(e.ctx, turn("act", 200, 1))
	must(t, err)
	if len(jobs) != 1 || jobs[0].LeaseUntil.IsZero() {
		t.Fatalf("turn jobs = %+v, want one leased", jobs)
	}
	if got, err := other.ClaimDue(e.ctx, t0.Add(Lease-time.Second), 10); err != nil || len(got) != 0 {
		t.Fatalf("B claimed %d jobs under A's lease, %v", len(got), err)
	}
	got, err := other.ClaimDue(e.ctx, t0.Add(Lease), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != jobs[0].ID {
		t.Fatalf("B after A's lease = %+v, want job %d", got, jobs[0].ID)
	}
	must(t, other.Complete(e.ctx, got[0].ID))
	pending(t, e, 0)
}

func testReplicaConversation(t *testing.T, e env, other Backend) {
	var o outcomes
	both(3, e.b, other, func(i int, r Backend) {
		eng := engagement(t, fmt.Sprintf("e-%d-%p", i, r), "19:shared", Epoch)
		o.add(eng.ID, save(env{b: r, ctx: e.ctx}, eng.ID, eng, 0))
	})
	o.want(t, "6 new engagements in one conversation over two replicas", 1, 5)
}
