package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

var jobTests = []test{
	{"Enqueue", testEnqueue},
	{"ClaimOrderAndLimit", testClaimOrder},
	{"NoDoubleClaimWhileLeased", testNoDoubleClaim},
	{"RetryWithBackoff", testRetry},
	{"DeadLetterAfterMaxAttempts", testDeadLetter},
	{"Snooze", testSnooze},
	{"Fail", testFail},
	{"RequeueAndDiscardDead", testRequeueDead},
	{"Complete", testComplete},
	{"UniqueKey", testUniqueKey},
	{"CancelByKey", testCancel},
	{"NextRunAt", testNextRunAt},
	{"MissingJob", testMissingJob},
	{"Invalid", testInvalidJobs},
}

// job returns a job of kind "post" with args {"n":n}.
func job(n int) playbook.Job {
	return playbook.Job{Kind: "post", Args: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

// at returns job(n) due at runAt.
func at(n int, runAt time.Time) playbook.Job {
	j := job(n)
	j.RunAt = runAt
	return j
}

// keyed returns job(n) with unique key k.
func keyed(n int, k string) playbook.Job {
	j := job(n)
	j.Key = k
	return j
}

// enqueue enqueues jobs and fails the test unless all were inserted.
func enqueue(t *testing.T, e env, jobs ...playbook.Job) []playbook.Job {
	t.Helper()
	got, err := e.b.Enqueue(e.ctx, jobs...)
	must(t, err)
	if len(got) != len(jobs) {
		t.Fatalf("Enqueue inserted %d of %d jobs", len(got), len(jobs))
	}
	return got
}

// claim calls ClaimDue and returns the IDs it claimed.
func claim(t *testing.T, e env, now time.Time, limit int) []uint64 {
	t.Helper()
	jobs, err := e.b.ClaimDue(e.ctx, now, limit)
	must(t, err)
	ids := make([]uint64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
		wantTime(t, fmt.Sprintf("job %d LeaseUntil", j.ID), j.LeaseUntil, now.Add(Lease))
	}
	return ids
}

// wantIDs fails the test unless got equals want.
func wantIDs(t *testing.T, what string, got []uint64, want ...uint64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = IDs %v, want %v", what, got, want)
	}
}

// pending fails the test unless the backend holds n queued jobs.
func pending(t *testing.T, e env, n int) {
	t.Helper()
	got, err := e.b.Pending(e.ctx)
	must(t, err)
	if got != n {
		t.Errorf("Pending = %d, want %d", got, n)
	}
}

func testEnqueue(t *testing.T, e env) {
	now := e.clock.Now()
	later := now.Add(time.Hour)
	j3 := at(3, later)
	j3.MaxAttempts = 3
	j3.Attempt, j3.LastError, j3.LeaseUntil = 5, "ignored", later // set by the store
	got := enqueue(t, e, job(1), job(2), j3)
	for i, j := range got {
		if i > 0 && j.ID <= got[i-1].ID {
			t.Errorf("IDs %d then %d, want increasing", got[i-1].ID, j.ID)
		}
		if string(j.Args) != fmt.Sprintf(`{"n":%d}`, i+1) {
			t.Errorf("job %d Args = %s", j.ID, j.Args)
		}
		wantTime(t, "CreatedAt", j.CreatedAt, now)
		if !j.LeaseUntil.IsZero() || j.Attempt != 0 || j.LastError != "" {
			t.Errorf("job %d = lease %v attempt %d error %q; want unleased, 0, empty", j.ID, j.LeaseUntil, j.Attempt, j.LastError)
		}
	}
	wantTime(t, "RunAt (zero given)", got[0].RunAt, now)
	wantTime(t, "RunAt (given)", got[2].RunAt, later)
	if got[0].MaxAttempts != DefaultMaxAttempts || got[2].MaxAttempts != 3 {
		t.Errorf("MaxAttempts = %d, %d; want %d, 3", got[0].MaxAttempts, got[2].MaxAttempts, DefaultMaxAttempts)
	}
	pending(t, e, 3)
	if none, err := e.b.Enqueue(e.ctx); err != nil || len(none) != 0 {
		t.Errorf("Enqueue() = %v, %v; want nothing, nil", none, err)
	}
}

func testClaimOrder(t *testing.T, e env) {
	t0 := e.clock.Now()
	got := enqueue(t, e,
		at(0, t0.Add(3*time.Second)),
		at(1, t0.Add(1*time.Second)),
		at(2, t0.Add(2*time.Second)),
		at(3, t0.Add(1*time.Second)),
		at(4, t0.Add(time.Hour)),
	)
	id := func(i int) uint64 { return got[i].ID }
	// Due before t0+1s: nothing. RunAt == now is due.
	wantIDs(t, "ClaimDue(t0)", claim(t, e, t0, 10))
	wantIDs(t, "ClaimDue(t0+1s, limit 1)", claim(t, e, t0.Add(time.Second), 1), id(1))
	wantIDs(t, "ClaimDue(t0+10s)", claim(t, e, t0.Add(10*time.Second), 10), id(3), id(2), id(0))

	pending(t, e, 5)
	for _, i := range []int{0, 1, 2, 3} {
		must(t, e.b.Complete(e.ctx, id(i)))
	}
	jobs, err := e.b.ClaimDue(e.ctx, t0.Add(2*time.Hour), 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != id(4) || string(jobs[0].Args) != `{"n":4}` || jobs[0].Kind != "post" {
		t.Errorf("ClaimDue(t0+2h) = %+v, want job %d whole", jobs, id(4))
	}
	pending(t, e, 1)
}

func testNoDoubleClaim(t *testing.T, e env) {
	t0 := e.clock.Now()
	j := enqueue(t, e, job(1))[0]
	wantIDs(t, "first claim", claim(t, e, t0, 10), j.ID)
	wantIDs(t, "claim while leased", claim(t, e, t0, 10))
	wantIDs(t, "claim just before the lease ends", claim(t, e, t0.Add(Lease-time.Nanosecond), 10))
	// The lease ran out without Complete or Retry: at least once delivery.
	wantIDs(t, "claim when the lease ends", claim(t, e, t0.Add(Lease), 10), j.ID)
	wantIDs(t, "claim under the new lease", claim(t, e, t0.Add(Lease+time.Second), 10))
	jobs, err := e.b.ClaimDue(e.ctx, t0.Add(3*Lease), 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].Attempt != 0 {
		t.Errorf("reclaimed job = %+v, want Attempt still 0 (claims do not count)", jobs)
	}
}

func testRetry(t *testing.T, e env) {
	t0 := e.clock.Now()
	j := enqueue(t, e, job(1))[0]
	claim(t, e, t0, 1)
	backoff := t0.Add(30 * time.Second)
	dead, err := e.b.Retry(e.ctx, j.ID, backoff, "graph: 500")
	must(t, err)
	if dead {
		t.Fatal("Retry after attempt 1 of 8 reported dead")
	}
	wantIDs(t, "claim before the backoff", claim(t, e, backoff.Add(-time.Nanosecond), 10))
	jobs, err := e.b.ClaimDue(e.ctx, backoff, 10)
	must(t, err)
	if len(jobs) != 1 {
		t.Fatalf("claim at the backoff = %d jobs, want 1", len(jobs))
	}
	got := jobs[0]
	if got.Attempt != 1 || got.LastError != "graph: 500" {
		t.Errorf("after Retry: Attempt %d, LastError %q; want 1, %q", got.Attempt, got.LastError, "graph: 500")
	}
	wantTime(t, "RunAt after Retry", got.RunAt, backoff)

	// Zero runAt means now, by the store clock.
	now := e.clock.Advance(time.Hour)
	_, err = e.b.Retry(e.ctx, j.ID, time.Time{}, "again")
	must(t, err)
	next, ok, err := e.b.NextRunAt(e.ctx)
	must(t, err)
	if !ok {
		t.Fatal("NextRunAt: queue empty after Retry")
	}
	wantTime(t, "RunAt after Retry(zero)", next, now)
	pending(t, e, 1)
}

func testDeadLetter(t *testing.T, e env) {
	t0 := e.clock.Now()
	in := keyed(1, "reminder:7")
	in.MaxAttempts = 2
	j := enqueue(t, e, in, job(2))[0]
	claim(t, e, t0, 1)
	if dead, err := e.b.Retry(e.ctx, j.ID, t0, "first"); err != nil || dead {
		t.Fatalf("Retry 1 of 2 = dead %v, %v; want false, nil", dead, err)
	}
	claim(t, e, t0, 1)
	dead, err := e.b.Retry(e.ctx, j.ID, t0, "second")
	must(t, err)
	if !dead {
		t.Fatal("Retry 2 of 2 = not dead, want dead")
	}
	pending(t, e, 1)
	for _, id := range claim(t, e, t0.Add(24*time.Hour), 10) {
		if id == j.ID {
			t.Error("a dead-lettered job was claimed")
		}
	}
	deadJobs, err := e.b.Dead(e.ctx)
	must(t, err)
	if len(deadJobs) != 1 {
		t.Fatalf("Dead = %d jobs, want 1", len(deadJobs))
	}
	d := deadJobs[0]
	if d.ID != j.ID || d.Attempt != 2 || d.LastError != "second" || d.Key != "reminder:7" || !d.LeaseUntil.IsZero() || string(d.Args) != `{"n":1}` {
		t.Errorf("dead job = %+v, want ID %d, Attempt 2, LastError second, its key and args, no lease", d, j.ID)
	}
	if _, err := e.b.Retry(e.ctx, j.ID, t0, "third"); errorCode(err) != playbook.ENOTFOUND {
		t.Errorf("Retry of a dead job = %v, want ENOTFOUND", err)
	}
	// The key is free again.
	enqueue(t, e, keyed(3, "reminder:7"))
}

func testSnooze(t *testing.T, e env) {
	t0 := e.clock.Now()
	j := enqueue(t, e, job(1))[0]
	claim(t, e, t0, 1)
	must(t, e.b.Snooze(e.ctx, j.ID, t0.Add(time.Minute)))
	wantIDs(t, "claim before the snooze ends", claim(t, e, t0.Add(time.Second), 10))
	jobs, err := e.b.ClaimDue(e.ctx, t0.Add(time.Minute), 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].Attempt != 0 {
		t.Errorf("after Snooze: %+v, want the job with Attempt 0", jobs)
	}
}

func testFail(t *testing.T, e env) {
	t0 := e.clock.Now()
	j := enqueue(t, e, keyed(1, "site:1"))[0]
	claim(t, e, t0, 1)
	must(t, e.b.Fail(e.ctx, j.ID, "graph: 403"))
	pending(t, e, 0)
	deadJobs, err := e.b.Dead(e.ctx)
	must(t, err)
	if len(deadJobs) != 1 || deadJobs[0].Attempt != 1 || deadJobs[0].LastError != "graph: 403" {
		t.Errorf("Dead after Fail = %+v, want one job, Attempt 1", deadJobs)
	}
	enqueue(t, e, keyed(2, "site:1"))
}

func testComplete(t *testing.T, e env) {
	t0 := e.clock.Now()
	got := enqueue(t, e, keyed(1, "k1"), job(2))
	claim(t, e, t0, 10)
	must(t, e.b.Complete(e.ctx, got[0].ID))
	pending(t, e, 1)
	must(t, e.b.Complete(e.ctx, got[0].ID)) // idempotent
	must(t, e.b.Complete(e.ctx, 999999))    // never existed
	pending(t, e, 1)
	wantIDs(t, "claim after Complete", claim(t, e, t0.Add(24*time.Hour), 10), got[1].ID)
	if deadJobs, _ := e.b.Dead(e.ctx); len(deadJobs) != 0 {
		t.Errorf("Complete dead-lettered %d jobs", len(deadJobs))
	}
	enqueue(t, e, keyed(3, "k1")) // key released
}

func testUniqueKey(t *testing.T, e env) {
	first := enqueue(t, e, keyed(1, "workshop:1635"))
	again, err := e.b.Enqueue(e.ctx, keyed(2, "workshop:1635"), keyed(3, "other"), keyed(4, "other"), job(5))
	must(t, err)
	if len(again) != 2 || again[0].Key != "other" || string(again[0].Args) != `{"n":3}` || again[1].Key != "" {
		t.Errorf("Enqueue with taken keys inserted %+v, want only the first \"other\" and the unkeyed job", again)
	}
	// CommitTurn obeys the same rule.
	tn := playbook.Turn{DedupKey: "act", Jobs: []playbook.Job{keyed(6, "workshop:1635"), keyed(7, "new")}}
	jobs, _, err := e.b.CommitTurn(e.ctx, tn)
	must(t, err)
	if len(jobs) != 1 || jobs[0].Key != "new" {
		t.Errorf("CommitTurn with a taken key inserted %+v, want only \"new\"", jobs)
	}
	pending(t, e, 4)
	// Leases do not matter: the key is taken while the job is queued.
	claim(t, e, e.clock.Now(), 10)
	if got, _ := e.b.Enqueue(e.ctx, keyed(8, "workshop:1635")); len(got) != 0 {
		t.Error("a leased job's key was reused")
	}
	must(t, e.b.Complete(e.ctx, first[0].ID))
	enqueue(t, e, keyed(9, "workshop:1635"))
}

func testCancel(t *testing.T, e env) {
	t0 := e.clock.Now()
	got := enqueue(t, e, at(1, t0.Add(time.Hour)), keyed(2, "reminder:42"))
	must(t, e.b.Cancel(e.ctx, "reminder:42"))
	pending(t, e, 1)
	wantIDs(t, "claim after Cancel", claim(t, e, t0.Add(2*time.Hour), 10), got[0].ID)
	wantCode(t, "Cancel of an unknown key", e.b.Cancel(e.ctx, "reminder:42"), playbook.ENOTFOUND)
	wantCode(t, "Cancel of the empty key", e.b.Cancel(e.ctx, ""), playbook.ENOTFOUND)
	// Reschedule: cancel, then enqueue with the same key.
	enqueue(t, e, keyed(3, "reminder:42"))
	// A leased job can be cancelled; its runner's Complete is then a no-op.
	leased := enqueue(t, e, keyed(4, "reminder:43"))[0]
	claim(t, e, t0.Add(3*time.Hour), 10)
	must(t, e.b.Cancel(e.ctx, "reminder:43"))
	must(t, e.b.Complete(e.ctx, leased.ID))
	if _, err := e.b.Retry(e.ctx, leased.ID, t0, "x"); errorCode(err) != playbook.ENOTFOUND {
		t.Errorf("Retry of a cancelled job = %v, want ENOTFOUND", err)
	}
	if d, _ := e.b.Dead(e.ctx); len(d) != 0 {
		t.Errorf("Cancel dead-lettered %d jobs", len(d))
	}
}

func testNextRunAt(t *testing.T, e env) {
	t0 := e.clock.Now()
	if _, ok, err := e.b.NextRunAt(e.ctx); err != nil || ok {
		t.Fatalf("NextRunAt on an empty queue = ok %v, %v; want false, nil", ok, err)
	}
	enqueue(t, e, at(1, t0.Add(5*time.Minute)), at(2, t0.Add(time.Minute)))
	next, ok, err := e.b.NextRunAt(e.ctx)
	must(t, err)
	if !ok {
		t.Fatal("NextRunAt: ok = false")
	}
	wantTime(t, "NextRunAt", next, t0.Add(time.Minute))

	// Leased at t0+1m until t0+1m+Lease; earlier than t0+5m, so that wins.
	claim(t, e, t0.Add(time.Minute), 1)
	next, _, err = e.b.NextRunAt(e.ctx)
	must(t, err)
	want := t0.Add(time.Minute + Lease)
	if want.After(t0.Add(5 * time.Minute)) {
		want = t0.Add(5 * time.Minute)
	}
	wantTime(t, "NextRunAt with a leased job", next, want)

	// A due job in the past is reported as is: claim now.
	enqueue(t, e, at(3, t0.Add(-time.Hour)))
	next, _, err = e.b.NextRunAt(e.ctx)
	must(t, err)
	wantTime(t, "NextRunAt with an overdue job", next, t0.Add(-time.Hour))
}

func testMissingJob(t *testing.T, e env) {
	_, err := e.b.Retry(e.ctx, 42, e.clock.Now(), "x")
	wantCode(t, "Retry(missing)", err, playbook.ENOTFOUND)
	wantCode(t, "Snooze(missing)", e.b.Snooze(e.ctx, 42, e.clock.Now()), playbook.ENOTFOUND)
	wantCode(t, "Fail(missing)", e.b.Fail(e.ctx, 42, "x"), playbook.ENOTFOUND)
	must(t, e.b.Complete(e.ctx, 42))
	if d, err := e.b.Dead(e.ctx); err != nil || len(d) != 0 {
		t.Errorf("Dead on an empty store = %v, %v", d, err)
	}
}

func testInvalidJobs(t *testing.T, e env) {
	_, err := e.b.Enqueue(e.ctx, job(1), playbook.Job{Args: json.RawMessage(`{}`)})
	wantCode(t, "Enqueue without kind", err, playbook.EINVALID)
	pending(t, e, 0) // all or nothing
	_, err = e.b.ClaimDue(e.ctx, e.clock.Now(), 0)
	wantCode(t, "ClaimDue(limit 0)", err, playbook.EINVALID)
}

func testRequeueDead(t *testing.T, e env) {
	t0 := e.clock.Now()
	a := enqueue(t, e, keyed(1, "site:1"))[0]
	claim(t, e, t0, 10)
	must(t, e.b.Fail(e.ctx, a.ID, "graph: 503"))
	q, err := e.b.RequeueDead(e.ctx, a.ID)
	must(t, err)
	if q.ID != a.ID || q.Attempt != 0 || q.Key != "site:1" || !q.LeaseUntil.IsZero() || string(q.Args) != `{"n":1}` {
		t.Errorf("requeued job = %+v, want job %d with Attempt 0, its key and args, no lease", q, a.ID)
	}
	if d, _ := e.b.Dead(e.ctx); len(d) != 0 {
		t.Errorf("Dead after RequeueDead = %+v, want none", d)
	}
	wantIDs(t, "claim after RequeueDead", claim(t, e, t0.Add(time.Second), 10), a.ID)
	if _, err := e.b.RequeueDead(e.ctx, a.ID); errorCode(err) != playbook.ENOTFOUND {
		t.Errorf("RequeueDead of a queued job = %v, want ENOTFOUND", err)
	}
	// Its key was taken meanwhile: the dead job stays dead.
	must(t, e.b.Fail(e.ctx, a.ID, "graph: 503"))
	enqueue(t, e, keyed(5, "site:1"))
	if _, err := e.b.RequeueDead(e.ctx, a.ID); errorCode(err) != playbook.ECONFLICT {
		t.Errorf("RequeueDead while its key is queued = %v, want ECONFLICT", err)
	}
	must(t, e.b.DiscardDead(e.ctx, a.ID))
	if d, _ := e.b.Dead(e.ctx); len(d) != 0 {
		t.Errorf("Dead after DiscardDead = %+v, want none", d)
	}
	if err := e.b.DiscardDead(e.ctx, a.ID); errorCode(err) != playbook.ENOTFOUND {
		t.Errorf("DiscardDead twice = %v, want ENOTFOUND", err)
	}
}
