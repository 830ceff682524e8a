package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

var dedupTests = []test{
	{"FirstCommitApplies", testFirstCommitApplies},
	{"SecondCommitReturnsStoredResult", testSecondCommitReturnsStored},
	{"ResultAtKept", testResultAtKept},
	{"EmptyDedupKeyAlwaysApplies", testEmptyDedupKey},
	{"ConcurrentSameKeyAppliesOnce", testConcurrentCommit},
	{"FutureJobsOfATurnNotLeased", testFutureJobsOfTurn},
	{"ProcessedAbsent", testProcessedAbsent},
	{"InvalidTurnChangesNothing", testInvalidTurn},
	{"Sweep", testSweep},
	{"Ping", func(t *testing.T, e env) { must(t, e.b.Ping(e.ctx)) }},
}

// turn returns a turn for activity key with one reference and n jobs.
func turn(key string, status int, n int) playbook.Turn {
	t := playbook.Turn{
		DedupKey: key,
		Result:   playbook.Result{Status: status, Body: json.RawMessage(`{"activity":"` + key + `"}`)},
		Ref:      &playbook.ConversationRef{Key: "19:chan@thread.tacv2", ServiceURL: "https://smba.example/" + key, ConversationID: "conv-" + key},
	}
	for i := range n {
		t.Jobs = append(t.Jobs, playbook.Job{Kind: "post", Args: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
	}
	return t
}

func testFirstCommitApplies(t *testing.T, e env) {
	now := e.clock.Now()
	in := turn("act-1", 200, 2)
	in.Jobs[1].Key = "workshop:1"
	jobs, dup, err := e.b.CommitTurn(e.ctx, in)
	must(t, err)
	if dup != nil {
		t.Fatalf("first commit: dup = %+v, want nil", dup)
	}
	if len(jobs) != 2 {
		t.Fatalf("first commit: %d jobs, want 2", len(jobs))
	}
	if jobs[0].ID == 0 || jobs[1].ID <= jobs[0].ID {
		t.Errorf("job IDs = %d, %d; want non-zero and increasing", jobs[0].ID, jobs[1].ID)
	}
	for i, j := range jobs {
		if j.Kind != "post" || !bytes.Equal(j.Args, in.Jobs[i].Args) || j.Key != in.Jobs[i].Key {
			t.Errorf("job %d = %+v, want kind, args and key of %+v", i, j, in.Jobs[i])
		}
		wantTime(t, "CreatedAt", j.CreatedAt, now)
		wantTime(t, "RunAt (zero given)", j.RunAt, now)
		wantTime(t, "LeaseUntil (jobs of a turn are leased to the caller)", j.LeaseUntil, now.Add(Lease))
		if j.MaxAttempts != DefaultMaxAttempts || j.Attempt != 0 {
			t.Errorf("job %d: Attempt %d of %d, want 0 of %d", i, j.Attempt, j.MaxAttempts, DefaultMaxAttempts)
		}
	}

	r, ok, err := e.b.Processed(e.ctx, "act-1")
	must(t, err)
	if !ok || r.Status != 200 || !bytes.Equal(r.Body, in.Result.Body) {
		t.Errorf("Processed = %+v, %v; want the committed result", r, ok)
	}
	wantTime(t, "Result.At (zero given)", r.At, now)

	ref, err := e.b.Ref(e.ctx, in.Ref.Key)
	must(t, err)
	if ref.ServiceURL != in.Ref.ServiceURL || ref.ConversationID != in.Ref.ConversationID {
		t.Errorf("Ref = %+v, want %+v", ref, *in.Ref)
	}
	wantTime(t, "Ref.UpdatedAt (zero given)", ref.UpdatedAt, now)

	if n, err := e.b.Pending(e.ctx); err != nil || n != 2 {
		t.Errorf("Pending = %d, %v; want 2", n, err)
	}
	// Leased to the caller: not claimable before the lease ends.
	if got, err := e.b.ClaimDue(e.ctx, now, 10); err != nil || len(got) != 0 {
		t.Errorf("ClaimDue right after the turn = %d jobs, %v; want none (leased)", len(got), err)
	}
}

func testSecondCommitReturnsStored(t *testing.T, e env) {
	first := turn("act-1", 200, 2)
	first.Jobs[0].Key = "k"
	_, _, err := e.b.CommitTurn(e.ctx, first)
	must(t, err)
	stored, _, err := e.b.Processed(e.ctx, "act-1")
	must(t, err)

	e.clock.Advance(time.Minute)
	second := turn("act-1", 500, 3)
	second.Ref.ServiceURL = "https://changed.example/"
	jobs, dup, err := e.b.CommitTurn(e.ctx, second)
	must(t, err)
	if dup == nil {
		t.Fatal("second commit: dup = nil, want the stored result")
	}
	if dup.Status != 200 || !bytes.Equal(dup.Body, first.Result.Body) || !dup.At.Equal(stored.At) {
		t.Errorf("dup = %+v, want %+v", *dup, stored)
	}
	if len(jobs) != 0 {
		t.Errorf("second commit inserted %d jobs, want 0", len(jobs))
	}
	if n, err := e.b.Pending(e.ctx); err != nil || n != 2 {
		t.Errorf("Pending = %d, %v; want 2 (not duplicated)", n, err)
	}
	ref, err := e.b.Ref(e.ctx, first.Ref.Key)
	must(t, err)
	if ref.ServiceURL != first.Ref.ServiceURL {
		t.Errorf("Ref.ServiceURL = %q, want %q (a duplicate must change nothing)", ref.ServiceURL, first.Ref.ServiceURL)
	}
	refs, err := e.b.Refs(e.ctx)
	must(t, err)
	if len(refs) != 1 {
		t.Errorf("Refs = %d, want 1", len(refs))
	}
	r, _, err := e.b.Processed(e.ctx, "act-1")
	must(t, err)
	if r.Status != 200 || !r.At.Equal(stored.At) {
		t.Errorf("Processed after duplicate = %+v, want %+v", r, stored)
	}
}

func testResultAtKept(t *testing.T, e env) {
	at := Epoch.Add(-time.Hour)
	in := playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 202, At: at}}
	_, _, err := e.b.CommitTurn(e.ctx, in)
	must(t, err)
	r, ok, err := e.b.Processed(e.ctx, "a")
	must(t, err)
	if !ok || r.Status != 202 || len(r.Body) != 0 {
		t.Errorf("Processed = %+v, %v; want status 202, no body", r, ok)
	}
	wantTime(t, "Result.At", r.At, at)
}

func testEmptyDedupKey(t *testing.T, e env) {
	for range 2 {
		in := turn("", 200, 1)
		jobs, dup, err := e.b.CommitTurn(e.ctx, in)
		must(t, err)
		if dup != nil || len(jobs) != 1 {
			t.Fatalf("CommitTurn without dedup key = %d jobs, dup %v; want 1, nil", len(jobs), dup)
		}
	}
	if n, _ := e.b.Pending(e.ctx); n != 2 {
		t.Errorf("Pending = %d, want 2", n)
	}
	if _, ok, _ := e.b.Processed(e.ctx, ""); ok {
		t.Error(`Processed("") = true, want no record for an empty key`)
	}
}

func testConcurrentCommit(t *testing.T, e env) {
	const n = 16
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		applied, dups   int
		insertedJobs    int
		firstErr        error
		statusesOfDups  []int
		appliedStatuses []int
	)
	for i := range n {
		wg.Go(func() {
			jobs, dup, err := e.b.CommitTurn(e.ctx, turn("same", 200+i, 1))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				firstErr = err
			case dup == nil:
				applied++
				insertedJobs += len(jobs)
				appliedStatuses = append(appliedStatuses, 200+i)
			default:
				dups++
				statusesOfDups = append(statusesOfDups, dup.Status)
			}
		})
	}
	wg.Wait()
	must(t, firstErr)
	if applied != 1 || dups != n-1 || insertedJobs != 1 {
		t.Fatalf("%d concurrent commits: %d applied (%d jobs), %d duplicates; want 1 (1 job), %d", n, applied, insertedJobs, dups, n-1)
	}
	for _, s := range statusesOfDups {
		if s != appliedStatuses[0] {
			t.Errorf("a duplicate returned status %d, want the applied %d", s, appliedStatuses[0])
		}
	}
	if p, _ := e.b.Pending(e.ctx); p != 1 {
		t.Errorf("Pending = %d, want 1", p)
	}
}

func testFutureJobsOfTurn(t *testing.T, e env) {
	now := e.clock.Now()
	in := turn("act", 200, 3)
	in.Jobs[1].RunAt = now.Add(24 * time.Hour) // a reminder
	in.Jobs[2].RunAt = now.Add(-time.Second)   // due already
	jobs, _, err := e.b.CommitTurn(e.ctx, in)
	must(t, err)
	if len(jobs) != 3 {
		t.Fatalf("CommitTurn inserted %d jobs, want 3", len(jobs))
	}
	for i, want := range []time.Time{now.Add(Lease), {}, now.Add(Lease)} {
		wantTime(t, fmt.Sprintf("job %d LeaseUntil", i), jobs[i].LeaseUntil, want)
	}
	wantIDs(t, "claim before the reminder is due", claim(t, e, now.Add(Lease/2), 10))
	must(t, e.b.Complete(e.ctx, jobs[0].ID))
	must(t, e.b.Complete(e.ctx, jobs[2].ID))
	wantIDs(t, "claim when the reminder is due", claim(t, e, now.Add(24*time.Hour), 10), jobs[1].ID)
}

func testProcessedAbsent(t *testing.T, e env) {
	r, ok, err := e.b.Processed(e.ctx, "never")
	if err != nil || ok || r.Status != 0 {
		t.Errorf("Processed(absent) = %+v, %v, %v; want zero, false, nil", r, ok, err)
	}
}

func testInvalidTurn(t *testing.T, e env) {
	cases := []struct {
		name string
		turn playbook.Turn
	}{
		{"ref without key", playbook.Turn{DedupKey: "x", Ref: &playbook.ConversationRef{ServiceURL: "https://s/"}}},
		{"job without kind", playbook.Turn{DedupKey: "x", Jobs: []playbook.Job{{Kind: "post"}, {}}}},
		{"body not JSON", playbook.Turn{DedupKey: "x", Result: playbook.Result{Body: json.RawMessage(`{oops`)}}},
		{"args not JSON", playbook.Turn{DedupKey: "x", Jobs: []playbook.Job{{Kind: "post", Args: json.RawMessage(`nope`)}}}},
		{"negative max attempts", playbook.Turn{DedupKey: "x", Jobs: []playbook.Job{{Kind: "post", MaxAttempts: -1}}}},
	}
	for _, tc := range cases {
		_, _, err := e.b.CommitTurn(e.ctx, tc.turn)
		wantCode(t, tc.name, err, playbook.EINVALID)
	}
	if _, ok, _ := e.b.Processed(e.ctx, "x"); ok {
		t.Error("an invalid turn left a dedup record")
	}
	if n, _ := e.b.Pending(e.ctx); n != 0 {
		t.Errorf("an invalid turn left %d jobs", n)
	}
}

func testSweep(t *testing.T, e env) {
	t0 := e.clock.Now()
	for i, key := range []string{"a", "b", "c"} {
		e.clock.Set(t0.Add(time.Duration(i) * time.Hour))
		_, _, err := e.b.CommitTurn(e.ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}})
		must(t, err)
	}
	steps := []struct {
		olderThan time.Time
		deleted   int
		left      []string
		gone      []string
	}{
		{t0, 0, []string{"a", "b", "c"}, nil},                            // strictly older only
		{t0.Add(90 * time.Minute), 2, []string{"c"}, []string{"a", "b"}}, // a at t0, b at t0+1h
		{t0.Add(90 * time.Minute), 0, []string{"c"}, []string{"a", "b"}}, // nothing left to sweep
		{t0.Add(3 * time.Hour), 1, nil, []string{"a", "b", "c"}},         // all gone
	}
	for i, s := range steps {
		n, err := e.b.SweepProcessed(e.ctx, s.olderThan)
		must(t, err)
		if n != s.deleted {
			t.Errorf("step %d: SweepProcessed(t0+%v) = %d, want %d", i, s.olderThan.Sub(t0), n, s.deleted)
		}
		for _, k := range s.left {
			if _, ok, _ := e.b.Processed(e.ctx, k); !ok {
				t.Errorf("step %d: %q swept too early", i, k)
			}
		}
		for _, k := range s.gone {
			if _, ok, _ := e.b.Processed(e.ctx, k); ok {
				t.Errorf("step %d: %q still recorded", i, k)
			}
		}
	}
	// A swept key is new again.
	_, dup, err := e.b.CommitTurn(e.ctx, playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 201}})
	must(t, err)
	if dup != nil {
		t.Errorf("commit of a swept key returned dup %+v, want applied", *dup)
	}
}
