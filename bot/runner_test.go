package bot

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// storeEvent is one bookkeeping call the Runner made.
type storeEvent struct {
	op      string // complete, retry, fail
	id      uint64
	runAt   time.Time
	errText string
	dead    bool
	err     error
}

// recStore is a real store that reports the Runner's bookkeeping, so tests
// wait for an outcome instead of polling the file.
type recStore struct {
	*store.DB
	events chan storeEvent
}

func (s *recStore) Complete(ctx context.Context, id uint64) error {
	err := s.DB.Complete(ctx, id)
	s.events <- storeEvent{op: "complete", id: id, err: err}
	return err
}

func (s *recStore) Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (bool, error) {
	dead, err := s.DB.Retry(ctx, id, runAt, errText)
	s.events <- storeEvent{op: "retry", id: id, runAt: runAt, errText: errText, dead: dead, err: err}
	return dead, err
}

func (s *recStore) Fail(ctx context.Context, id uint64, errText string) error {
	err := s.DB.Fail(ctx, id, errText)
	s.events <- storeEvent{op: "fail", id: id, errText: errText, err: err}
	return err
}

// openStore opens a bbolt store in a temporary directory on clock.
func openStore(t testing.TB, path string, clock *fakeClock) *recStore {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "mvmbot.db")
	}
	db, err := store.Open(path, &store.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &recStore{DB: db, events: make(chan storeEvent, 1000)}
}

// startRunner starts a runner on s with the given workers and stops it at
// the end of the test.
func startRunner(t testing.TB, s JobStore, clock *fakeClock, workers map[string]WorkFunc, tweak ...func(*Runner)) *Runner {
	t.Helper()
	r := &Runner{Store: s, Workers: workers, Now: clock.Now, PollInterval: time.Hour}
	for _, f := range tweak {
		f(r)
	}
	r.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
}

// next waits for the runner's next bookkeeping call.
func (s *recStore) next(t testing.TB) storeEvent {
	t.Helper()
	select {
	case ev := <-s.events:
		if ev.err != nil {
			t.Fatalf("store %s of job %d: %v", ev.op, ev.id, ev.err)
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the runner to report a job")
		return storeEvent{}
	}
}

// commit enqueues jobs the way a turn does: leased to this process.
func commit(t testing.TB, s *recStore, jobs ...playbook.Job) []playbook.Job {
	t.Helper()
	out, _, err := s.CommitTurn(context.Background(), playbook.Turn{Jobs: jobs})
	if err != nil {
		t.Fatalf("commit turn: %v", err)
	}
	if len(out) != len(jobs) {
		t.Fatalf("commit turn returned %d jobs; want %d", len(out), len(jobs))
	}
	return out
}

func job(kind string) playbook.Job { return playbook.Job{Kind: kind, Args: []byte(`{}`)} }

func wantPending(t testing.TB, s *recStore, want int) {
	t.Helper()
	if n, err := s.Pending(context.Background()); err != nil || n != want {
		t.Fatalf("store has %d pending jobs (err %v); want %d", n, err, want)
	}
}

func wantDead(t testing.TB, s *recStore, id uint64, errFragment string) playbook.Job {
	t.Helper()
	dead, err := s.Dead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range dead {
		if j.ID == id {
			if !strings.Contains(j.LastError, errFragment) {
				t.Errorf("dead job %d has LastError %q; want it to contain %q", id, j.LastError, errFragment)
			}
			return j
		}
	}
	t.Fatalf("job %d is not among the dead letters %+v", id, dead)
	return playbook.Job{}
}

func wantNextRunAt(t testing.TB, s *recStore, want time.Time) {
	t.Helper()
	next, ok, err := s.NextRunAt(context.Background())
	if err != nil || !ok || !next.Equal(want) {
		t.Fatalf("NextRunAt = %s, %v, %v; want %s", next, ok, err, want)
	}
}

func TestRunnerRunsSubmittedJobsOnce(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	var mu sync.Mutex
	runs := map[uint64]int{}
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.ok": func(ctx context.Context, j playbook.Job) error {
			mu.Lock()
			defer mu.Unlock()
			runs[j.ID]++
			return nil
		},
	})
	jobs := commit(t, s, job("test.ok"), job("test.ok"), job("test.ok"))
	r.Submit(jobs)
	for range jobs {
		if ev := s.next(t); ev.op != "complete" {
			t.Fatalf("runner reported %+v; want complete", ev)
		}
	}
	wantPending(t, s, 0)
	// The claim loop finds nothing more, even when woken.
	r.Wake()
	r.Submit(nil)
	mu.Lock()
	defer mu.Unlock()
	for _, j := range jobs {
		if runs[j.ID] != 1 {
			t.Errorf("job %d ran %d times; want 1", j.ID, runs[j.ID])
		}
	}
}

func TestRunnerOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		work      WorkFunc
		wantOp    string
		wantDelay time.Duration // for retry: RunAt - now
		wantErr   string
	}{
		{
			name: "error is retried after 10s", kind: "test.fail",
			work:   func(context.Context, playbook.Job) error { return errors.New("graph is down") },
			wantOp: "retry", wantDelay: 10 * time.Second, wantErr: "graph is down",
		},
		{
			name: "wrapped connector 503 is retried", kind: "test.fail",
			work: func(context.Context, playbook.Job) error {
				return &botframework.ConnectorError{Op: "send", Status: 503}
			},
			wantOp: "retry", wantDelay: 10 * time.Second, wantErr: "503",
		},
		{
			name: "snooze", kind: "test.snooze",
			work:   func(context.Context, playbook.Job) error { return Snooze(90 * time.Second) },
			wantOp: "retry", wantDelay: 90 * time.Second, wantErr: "snoozed",
		},
		{
			name: "permanent", kind: "test.perm",
			work:   func(context.Context, playbook.Job) error { return Permanent(errors.New("403 forbidden")) },
			wantOp: "fail", wantErr: "403 forbidden",
		},
		{
			name: "wrapped permanent", kind: "test.perm",
			work: func(context.Context, playbook.Job) error {
				return errors.Join(errors.New("sending"), Permanent(errors.New("bad request")))
			},
			wantOp: "fail", wantErr: "bad request",
		},
		{
			name: "panic", kind: "test.panic",
			work:   func(context.Context, playbook.Job) error { panic("nil map") },
			wantOp: "fail", wantErr: "panic: nil map",
		},
		{
			name: "no worker for the kind", kind: "test.unknown",
			wantOp: "fail", wantErr: "no worker for kind test.unknown",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			s := openStore(t, "", clock)
			workers := map[string]WorkFunc{}
			if tc.work != nil {
				workers[tc.kind] = tc.work
			}
			r := startRunner(t, s, clock, workers)
			j := commit(t, s, job(tc.kind))[0]
			r.Submit([]playbook.Job{j})
			ev := s.next(t)
			if ev.op != tc.wantOp || ev.id != j.ID || !strings.Contains(ev.errText, tc.wantErr) {
				t.Fatalf("runner reported %+v; want %s of job %d with an error containing %q", ev, tc.wantOp, j.ID, tc.wantErr)
			}
			switch tc.wantOp {
			case "retry":
				if want := clock.Now().Add(tc.wantDelay); !ev.runAt.Equal(want) || ev.dead {
					t.Errorf("retry at %s (dead %v); want %s", ev.runAt, ev.dead, want)
				}
				wantPending(t, s, 1)
				wantNextRunAt(t, s, clock.Now().Add(tc.wantDelay))
			case "fail":
				wantPending(t, s, 0)
				if d := wantDead(t, s, j.ID, tc.wantErr); d.Attempt != 1 {
					t.Errorf("dead job has Attempt %d; want 1", d.Attempt)
				}
			}
		})
	}
}

// The delay grows with each attempt, and a job that keeps failing ends in
// the dead letters.
func TestRunnerRetriesUntilDead(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	var calls atomic.Int64
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.fail": func(context.Context, playbook.Job) error { calls.Add(1); return errors.New("still down") },
	})
	in := job("test.fail")
	in.MaxAttempts = 3
	jobs := commit(t, s, in)
	r.Submit(jobs)
	for attempt, wantDelay := range []time.Duration{10 * time.Second, 30 * time.Second} {
		ev := s.next(t)
		if ev.op != "retry" || ev.dead || !ev.runAt.Equal(clock.Now().Add(wantDelay)) {
			t.Fatalf("attempt %d: runner reported %+v; want a retry at now+%s", attempt+1, ev, wantDelay)
		}
		clock.Advance(wantDelay)
		r.Wake()
	}
	if ev := s.next(t); ev.op != "retry" || !ev.dead {
		t.Fatalf("last attempt: runner reported %+v; want a retry that dead-letters", ev)
	}
	wantPending(t, s, 0)
	if d := wantDead(t, s, jobs[0].ID, "still down"); d.Attempt != 3 {
		t.Errorf("dead job has Attempt %d; want 3", d.Attempt)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("worker called %d times; want 3", n)
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, 10 * time.Second}, {0, 10 * time.Second}, {1, 10 * time.Second}, {2, 30 * time.Second},
		{3, 2 * time.Minute}, {8, 4 * time.Hour}, {9, 4 * time.Hour}, {1000, 4 * time.Hour},
	}
	for _, tc := range tests {
		if got := retryDelay(tc.attempt); got != tc.want {
			t.Errorf("retryDelay(%d) = %s; want %s", tc.attempt, got, tc.want)
		}
	}
}

func TestRunnerSurvivesPanic(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.panic": func(context.Context, playbook.Job) error { panic("worker bug") },
		"test.ok":    func(context.Context, playbook.Job) error { return nil },
	}, func(r *Runner) { r.Concurrency = 1 })
	bad := commit(t, s, job("test.panic"))
	r.Submit(bad)
	if ev := s.next(t); ev.op != "fail" || ev.id != bad[0].ID {
		t.Fatalf("runner reported %+v; want the panicking job failed", ev)
	}
	good := commit(t, s, job("test.ok"), job("test.ok"))
	r.Submit(good)
	for range good {
		if ev := s.next(t); ev.op != "complete" {
			t.Fatalf("after a panic the runner reported %+v; want complete", ev)
		}
	}
	wantDead(t, s, bad[0].ID, "worker bug")
}

// Jobs run with their own context: JobTimeout bounds each.
func TestRunnerJobTimeout(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.slow": func(ctx context.Context, j playbook.Job) error { <-ctx.Done(); return ctx.Err() },
	}, func(r *Runner) { r.JobTimeout = 10 * time.Millisecond })
	r.Submit(commit(t, s, job("test.slow")))
	if ev := s.next(t); ev.op != "retry" || !strings.Contains(ev.errText, "deadline exceeded") {
		t.Fatalf("runner reported %+v; want a retry after the job timed out", ev)
	}
}

func TestRunnerStopWaitsForRunningJob(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.block": func(ctx context.Context, j playbook.Job) error {
			close(started)
			<-release
			finished.Store(true)
			return ctx.Err()
		},
	})
	r.Submit(commit(t, s, job("test.block")))
	<-started

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- r.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a job was running", err)
	case <-time.After(20 * time.Millisecond): // can only miss a bug, not invent one
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !finished.Load() {
		t.Fatal("Stop returned before the job finished")
	}
	// The job finished with its context intact and was completed before
	// Stop returned.
	select {
	case ev := <-s.events:
		if ev.op != "complete" {
			t.Errorf("runner reported %+v; want complete", ev)
		}
	default:
		t.Error("Stop returned before the job's completion was recorded")
	}
	wantPending(t, s, 0)

	// Stop again is a no-op, and Submit after Stop drops the jobs (they stay
	// leased in the store).
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	r.Submit(commit(t, s, job("test.block")))
	wantPending(t, s, 1)
}

func TestRunnerStopDeadlineCancelsJob(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	started := make(chan struct{})
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.stubborn": func(ctx context.Context, j playbook.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		},
	})
	jobs := commit(t, s, job("test.stubborn"))
	r.Submit(jobs)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := r.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Stop: %v; want an error naming the deadline", err)
	}
	// The cancelled job's failure is recorded despite the shutdown, so it
	// runs again after the next start.
	select {
	case ev := <-s.events:
		if ev.op != "retry" || ev.id != jobs[0].ID || !strings.Contains(ev.errText, "canceled") {
			t.Errorf("runner reported %+v; want a retry of the cancelled job", ev)
		}
	default:
		t.Error("Stop returned before the cancelled job's failure was recorded")
	}
	wantPending(t, s, 1)
}

func TestRunnerStopWithoutStart(t *testing.T) {
	r := &Runner{}
	if err := r.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start: %v", err)
	}
}

// Jobs enqueued outside a turn (not leased, due already) run when the claim
// loop is woken, long before its poll interval.
func TestRunnerWakeClaimsDueJobs(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.ok": func(context.Context, playbook.Job) error { return nil },
	})
	past := job("test.ok")
	past.RunAt = clock.Now().Add(-time.Hour)
	future := job("test.ok")
	future.RunAt = clock.Now().Add(time.Hour)
	jobs, err := s.Enqueue(context.Background(), past, future)
	if err != nil {
		t.Fatal(err)
	}
	r.Wake()
	if ev := s.next(t); ev.op != "complete" || ev.id != jobs[0].ID {
		t.Fatalf("runner reported %+v; want the due job %d completed", ev, jobs[0].ID)
	}
	wantPending(t, s, 1)

	// Once its time comes (and the loop is woken), the future job runs.
	clock.Advance(time.Hour)
	r.Wake()
	if ev := s.next(t); ev.op != "complete" || ev.id != jobs[1].ID {
		t.Fatalf("runner reported %+v; want the scheduled job %d completed", ev, jobs[1].ID)
	}
	wantPending(t, s, 0)
}

// More due jobs than Concurrency are all claimed without waiting for the
// poll interval.
func TestRunnerClaimsBacklog(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	var n atomic.Int64
	in := make([]playbook.Job, 50)
	for i := range in {
		in[i] = job("test.ok")
	}
	if _, err := s.Enqueue(context.Background(), in...); err != nil {
		t.Fatal(err)
	}
	startRunner(t, s, clock, map[string]WorkFunc{
		"test.ok": func(context.Context, playbook.Job) error { n.Add(1); return nil },
	}, func(r *Runner) { r.Concurrency = 4 })
	for range in {
		if ev := s.next(t); ev.op != "complete" {
			t.Fatalf("runner reported %+v; want complete", ev)
		}
	}
	wantPending(t, s, 0)
	if n.Load() != int64(len(in)) {
		t.Errorf("worker ran %d times; want %d", n.Load(), len(in))
	}
}

// A job left in the store by a process that stopped (or died) runs after
// the next start.
func TestRunnerRestart(t *testing.T) {
	clock := newClock()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	first := openStore(t, path, clock)
	enqueued, err := first.Enqueue(context.Background(), job("test.ok"))
	if err != nil {
		t.Fatal(err)
	}
	// A turn's leased job that the crashed process never ran.
	leased := commit(t, first, job("test.ok"))
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := openStore(t, path, clock)
	done := make(chan uint64, 2)
	startRunner(t, second, clock, map[string]WorkFunc{
		"test.ok": func(_ context.Context, j playbook.Job) error { done <- j.ID; return nil },
	})
	want := map[uint64]bool{enqueued[0].ID: true, leased[0].ID: true}
	for range want {
		if ev := second.next(t); ev.op != "complete" || !want[ev.id] {
			t.Fatalf("runner reported %+v; want one of %v completed", ev, want)
		}
	}
	wantPending(t, second, 0)
}

// End to end: a KindSend job a turn commits reaches the connector.
func TestRunnerSendJob(t *testing.T) {
	clock := newClock()
	s := openStore(t, "", clock)
	fc := startConnector(t)
	snd := &sender{connector: fastConnector()}
	r := startRunner(t, s, clock, map[string]WorkFunc{KindSend: snd.work})
	j, err := sendJob("reply:1", sendArgs{Op: "reply", ServiceURL: fc.URL(), ConversationID: "a:c", ActivityID: "1:in", Activity: *msg("done")})
	if err != nil {
		t.Fatal(err)
	}
	r.Submit(commit(t, s, j))
	if ev := s.next(t); ev.op != "complete" {
		t.Fatalf("runner reported %+v; want complete", ev)
	}
	calls := fc.Calls()
	if len(calls) != 1 || calls[0].ActivityID != "1:in" || calls[0].Activity()["text"] != "done" {
		t.Errorf("connector calls %+v; want the reply", calls)
	}
}

// A job whose work takes long still has its failure recorded: the
// bookkeeping's time budget starts when the work returns (issue 20: Graph
// waiting out a Retry-After in place made the attempt count stick).
func TestRunnerRecordsFailureAfterLongWork(t *testing.T) {
	clock := newClock()
	s := &deadlineStore{recStore: openStore(t, "", clock)}
	const work = 300 * time.Millisecond
	r := startRunner(t, s, clock, map[string]WorkFunc{
		"test.slow": func(ctx context.Context, j playbook.Job) error { time.Sleep(work); return errors.New("graph is down") },
	})
	r.Submit(commit(t, s.recStore, job("test.slow")))
	if ev := s.next(t); ev.op != "retry" {
		t.Fatalf("runner reported %+v; want a retry", ev)
	}
	if left := s.left.Load(); time.Duration(left) < BookkeepingTimeout-work/2 {
		t.Errorf("the failure was recorded with %s of its budget left; want about %s", time.Duration(left), BookkeepingTimeout)
	}
}

// deadlineStore notes how much time the bookkeeping context had left.
type deadlineStore struct {
	*recStore
	left atomic.Int64
}

func (s *deadlineStore) Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (bool, error) {
	if d, ok := ctx.Deadline(); ok {
		s.left.Store(int64(time.Until(d)))
	}
	return s.recStore.Retry(ctx, id, runAt, errText)
}

// The people are told once after the first failed attempt and once when
// the job is dead-lettered; never for a poll, never again after Told.
func TestRunnerTells(t *testing.T) {
	tests := []struct {
		name    string
		attempt int // attempts already used
		err     error
		want    string // "retrying at <delay>", "dead" or ""
	}{
		{"first failure", 0, errors.New("down"), "retrying 10s"},
		{"later failure", 2, errors.New("down"), ""},
		{"throttled shorter than the schedule", 0, Snooze(2 * time.Second), "retrying 10s"},
		{"throttled longer than the schedule", 0, Snooze(time.Minute), "retrying 1m0s"},
		{"poll", 0, Poll(2 * time.Second), ""},
		{"last attempt", 7, errors.New("down"), "dead"},
		{"permanent", 0, Permanent(errors.New("forbidden")), "dead"},
		{"told", 0, Told(errors.New("forbidden")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock()
			s := openStore(t, "", clock)
			told := make(chan string, 4)
			r := startRunner(t, s, clock, map[string]WorkFunc{
				"test.job": func(context.Context, playbook.Job) error { return tc.err },
			}, func(r *Runner) {
				r.Tell = map[string]TellFunc{"test.job": func(ctx context.Context, j playbook.Job, n JobNotice) error {
					if n.Dead {
						told <- "dead"
					} else {
						told <- "retrying " + n.Next.Sub(clock.Now()).String()
					}
					return nil
				}}
			})
			in := job("test.job")
			if tc.want == "dead" && tc.attempt > 0 {
				in.MaxAttempts = 1 // the store dead-letters at this failure
			}
			j := commit(t, s, in)[0]
			// The runner decides whom to tell from the attempts the job it
			// was handed had used.
			j.Attempt = tc.attempt
			r.Submit([]playbook.Job{j})
			ev := s.next(t)
			var got string
			wait := 100 * time.Millisecond // for nothing to be told
			if tc.want != "" {
				wait = 10 * time.Second
			}
			select {
			case got = <-told:
			case <-time.After(wait):
			}
			if got != tc.want {
				t.Errorf("told %q, want %q (runner reported %+v)", got, tc.want, ev)
			}
		})
	}
}
