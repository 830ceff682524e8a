package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// JobStore is the durable queue the Runner works from. The store package
// implements it on bbolt.
type JobStore interface {
	// ClaimDue leases up to limit jobs whose RunAt is not after now and
	// which no live lease holds, ordered by RunAt.
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]playbook.Job, error)
	// Complete removes a finished job.
	Complete(ctx context.Context, id uint64) error
	// Retry records a failed attempt and schedules the next at runAt; once
	// the job has used its attempts it is dead-lettered and dead is true.
	Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (dead bool, err error)
	// Fail dead-letters a job at once: its failure is permanent.
	Fail(ctx context.Context, id uint64, errText string) error
	// NextRunAt is the earliest RunAt among unleased jobs.
	NextRunAt(ctx context.Context) (time.Time, bool, error)
}

// WorkFunc does one job. It must honour ctx: Stop cancels it at the
// shutdown deadline. Return nil when done, Permanent(err) when retrying
// cannot help, Snooze(d) to try again after d, or any other error to retry
// with backoff.
type WorkFunc func(ctx context.Context, job playbook.Job) error

type permanentError struct {
	err  error
	told bool // the people were told already
}

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as final: the job is dead-lettered without retries
// (a 403 from Graph, a 400 from the connector), and the kind's TellFunc
// tells the people.
func Permanent(err error) error { return &permanentError{err: err} }

// Told is Permanent for a worker that has told the people itself (it put
// the workshop back and posted why): the runner tells nobody again.
func Told(err error) error { return &permanentError{err: err, told: true} }

type snoozeError struct {
	d    time.Duration
	poll bool
}

func (e *snoozeError) Error() string { return fmt.Sprintf("snoozed for %s", e.d) }

// Snooze asks for the job to run again after d (throttling with
// Retry-After), or after the retry schedule's wait when that is longer: a
// service that keeps saying "a few seconds" is not asked every few seconds
// for hours. It still counts as a failed attempt, so a job that is
// throttled forever ends in the dead letters instead of looping, and the
// people are told as for any failure.
func Snooze(d time.Duration) error { return &snoozeError{d: d} }

// Poll asks for the job to run again after exactly d because it waits for
// something that takes time (SharePoint provisioning a site), not because
// it failed: it uses an attempt but nobody is told.
func Poll(d time.Duration) error { return &snoozeError{d: d, poll: true} }

// The retry schedule (docs/operations.md, "Jobs that fail"): the wait
// after the nth failed attempt. With the default of 8 attempts a job keeps
// trying for about three and three-quarter hours (the first seven waits),
// long enough to ride out a Teams or Graph incident, short enough that a
// person hears about a dead job the same day. Snooze waits at least this.
var retrySchedule = []time.Duration{
	10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
}

func retryDelay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(retrySchedule) {
		return retrySchedule[len(retrySchedule)-1]
	}
	return retrySchedule[attempt-1]
}

// BookkeepingTimeout bounds recording a job's outcome and telling the
// people; it starts when the work has returned, however long that took.
// A store's job lease must outlast DefaultJobTimeout plus this, or a slow
// job's lease ends while it still runs and the job is claimed again.
const BookkeepingTimeout = 30 * time.Second

// DefaultJobTimeout is how long a job's work may take unless
// Runner.JobTimeout says otherwise.
const DefaultJobTimeout = 2 * time.Minute

// JobNotice is what a kind's TellFunc is told about a failed attempt.
type JobNotice struct {
	// Dead is true when the job is dead-lettered: no attempt follows.
	Dead bool
	// Err is the attempt's error.
	Err error
	// Attempts counts the attempts used, this one included.
	Attempts int
	// Next is when the next attempt runs (zero when Dead).
	Next time.Time
}

// TellFunc tells the people a job is for how it fails: once when its first
// attempt failed and it will be retried, and once when it is dead-lettered
// (with what to do). It runs after the failure is recorded; an error is
// logged.
type TellFunc func(ctx context.Context, j playbook.Job, n JobNotice) error

// Runner runs durable jobs: the ones a turn just committed (handed over by
// Submit, already leased) at once, and due ones it claims from the store
// (scheduled jobs, retries, and those a crashed process left behind).
type Runner struct {
	Store   JobStore
	Workers map[string]WorkFunc
	// Tell, by kind, tells the people about failing jobs; a kind without
	// one is only logged (and listed by doctor once dead).
	Tell         map[string]TellFunc
	Log          *slog.Logger
	Now          func() time.Time
	Concurrency  int           // default 8
	PollInterval time.Duration // longest sleep between claims; default 5s
	JobTimeout   time.Duration // default DefaultJobTimeout

	once        sync.Once
	work        chan playbook.Job
	wake        chan struct{}
	stopping    chan struct{}
	jobCtx      context.Context
	cancel      context.CancelFunc
	workers     sync.WaitGroup
	claimer     sync.WaitGroup
	completions sync.WaitGroup
}

func (r *Runner) init() {
	r.once.Do(func() {
		if r.Concurrency <= 0 {
			r.Concurrency = 8
		}
		if r.PollInterval <= 0 {
			r.PollInterval = 5 * time.Second
		}
		if r.JobTimeout <= 0 {
			r.JobTimeout = DefaultJobTimeout
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Log == nil {
			r.Log = slog.New(slog.DiscardHandler)
		}
		r.work = make(chan playbook.Job, 1024)
		r.wake = make(chan struct{}, 1)
		r.stopping = make(chan struct{})
		r.jobCtx, r.cancel = context.WithCancel(context.Background())
	})
}

// Start starts the workers and the claim loop. Jobs run with their own
// context, not ctx, so that an HTTP request ending does not cancel them; use
// Stop to end them.
func (r *Runner) Start() {
	r.init()
	for range r.Concurrency {
		r.workers.Add(1)
		go r.worker()
	}
	r.claimer.Add(1)
	go r.claimLoop()
}

// Submit hands over jobs that are already leased to this process (as
// CommitTurn returns them). When the queue is full they are left to their
// lease, after which the claim loop picks them up: late, never lost.
func (r *Runner) Submit(jobs []playbook.Job) {
	r.init()
	for _, j := range jobs {
		if j.LeaseUntil.IsZero() {
			// Not due yet (a reminder, next week's report): the store
			// inserted it unleased, and the claim loop runs it when due.
			continue
		}
		select {
		case <-r.stopping:
			return
		default:
		}
		select {
		case r.work <- j:
		default:
			r.Log.Warn("job queue full; job waits for its lease to expire", "job", j.ID, "kind", j.Kind)
		}
	}
}

// Wake makes the claim loop look for due jobs now, after jobs were enqueued
// outside a turn. A nil Runner does nothing.
func (r *Runner) Wake() {
	if r == nil {
		return // no runner (tests): the jobs wait for the claim loop
	}
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Stop stops claiming, lets running jobs finish until ctx is done, then
// cancels them and waits for them to return. Jobs not started stay in the
// store and run after the next start.
func (r *Runner) Stop(ctx context.Context) error {
	r.init()
	select {
	case <-r.stopping:
		return nil
	default:
	}
	close(r.stopping)
	r.claimer.Wait()
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
		err = fmt.Errorf("stop job runner: %w", ctx.Err())
	}
	r.cancel()
	r.completions.Wait()
	return err
}

func (r *Runner) claimLoop() {
	defer r.claimer.Done()
	for {
		wait := r.PollInterval
		jobs, err := r.Store.ClaimDue(r.jobCtx, r.Now(), r.Concurrency)
		if err != nil {
			r.Log.Error("claim due jobs", "err", err)
		}
		for _, j := range jobs {
			select {
			case r.work <- j:
			case <-r.stopping:
				return
			}
		}
		if len(jobs) == r.Concurrency {
			wait = 0 // more may be due
		} else if next, ok, err := r.Store.NextRunAt(r.jobCtx); err == nil && ok {
			wait = min(wait, max(next.Sub(r.Now()), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-r.stopping:
			t.Stop()
			return
		case <-r.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

func (r *Runner) worker() {
	defer r.workers.Done()
	for {
		// Stopping wins over queued work: what is queued stays leased in
		// the store and runs after the next start.
		select {
		case <-r.stopping:
			return
		default:
		}
		select {
		case <-r.stopping:
			return
		case j := <-r.work:
			r.run(j)
		}
	}
}

func (r *Runner) run(j playbook.Job) {
	log := r.Log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempt+1)
	work, ok := r.Workers[j.Kind]
	var err error
	if !ok {
		err = Permanent(errors.New("no worker for kind " + j.Kind))
	} else {
		start := r.Now()
		if err = r.safeWork(work, j); err == nil {
			log.Debug("job done", "latency", time.Since(start))
			r.complete(j.ID)
			return
		}
	}
	// Bookkeeping uses a context of its own, made now that the work has
	// returned: a job cancelled at shutdown, or one whose work took longer
	// than any bookkeeping budget (Graph waiting out a Retry-After in
	// place), must still have its failure recorded, or its attempts never
	// advance and it is claimed again every lease, for ever.
	ctx, cancel := context.WithTimeout(context.Background(), BookkeepingTimeout)
	defer cancel()
	var perm *permanentError
	if errors.As(err, &perm) {
		log.Error("job failed permanently; dead-lettered", "err", err)
		if berr := r.Store.Fail(ctx, j.ID, err.Error()); berr != nil {
			log.Error("bury job", "err", berr)
			return
		}
		if !perm.told {
			r.tell(ctx, log, j, JobNotice{Dead: true, Err: err, Attempts: j.Attempt + 1})
		}
		return
	}
	delay := retryDelay(j.Attempt + 1)
	var snooze *snoozeError
	poll := errors.As(err, &snooze) && snooze.poll
	if poll {
		delay = snooze.d
	} else if snooze != nil {
		delay = max(delay, snooze.d)
	}
	next := r.Now().Add(delay)
	dead, rerr := r.Store.Retry(ctx, j.ID, next, err.Error())
	switch {
	case rerr != nil:
		log.Error("record job failure", "err", rerr, "job_err", err)
	case dead:
		log.Error("job failed its last attempt; dead-lettered", "err", err)
		r.tell(ctx, log, j, JobNotice{Dead: true, Err: err, Attempts: j.Attempt + 1})
	case poll:
		log.Debug("job waits", "retry_in", delay)
	default:
		log.Warn("job failed; will retry", "err", err, "retry_in", delay)
		if j.Attempt == 0 {
			// Once, after the first failure: an outage of any length
			// makes two messages per job, this and the outcome.
			r.tell(ctx, log, j, JobNotice{Err: err, Attempts: 1, Next: next})
		}
	}
}

// tell hands a failure to the kind's TellFunc, if it has one.
func (r *Runner) tell(ctx context.Context, log *slog.Logger, j playbook.Job, n JobNotice) {
	tell := r.Tell[j.Kind]
	if tell == nil {
		return
	}
	if err := tell(ctx, j, n); err != nil {
		log.Error("tell about a failing job", "dead", n.Dead, "err", err)
	}
}

// complete records a finished job without holding up the worker: the
// delete waits for a commit (and its fsync), which the worker would
// otherwise spend idle instead of sending the next reply. Should the process
// die first, the job runs again after restart, as jobs are at least once.
func (r *Runner) complete(id uint64) {
	r.completions.Add(1)
	go func() {
		defer r.completions.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.Store.Complete(ctx, id); err != nil {
			r.Log.Error("complete job", "job", id, "err", err)
		}
	}()
}

func (r *Runner) safeWork(work WorkFunc, j playbook.Job) (err error) {
	ctx, cancel := context.WithTimeout(r.jobCtx, r.JobTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			r.Log.Error("job panicked", "job", j.ID, "kind", j.Kind, "panic", p, "stack", string(debug.Stack()))
			err = Permanent(fmt.Errorf("panic: %v", p))
		}
	}()
	return work(ctx, j)
}

// engagementCommitter is the part of the store a job saves an engagement
// through.
type engagementCommitter interface {
	CommitTurn(ctx context.Context, t playbook.Turn) ([]playbook.Job, *playbook.Result, error)
}

// commitEngagement saves e, one version above the one read, with jobs in
// the same transaction, and hands those due now to r (nil: none, they run
// when their lease ends). ECONFLICT, e changed meanwhile, comes back as
// it is: the caller reads the engagement again.
func commitEngagement(ctx context.Context, s engagementCommitter, r *Runner, e *playbook.Engagement, jobs ...playbook.Job) error {
	e.Version++
	leased, _, err := s.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1, Jobs: jobs})
	if err != nil {
		return err
	}
	if r != nil {
		r.Submit(leased)
	}
	return nil
}

// jobEnqueuer is the part of the store that queues jobs outside a turn.
type jobEnqueuer interface {
	Enqueue(ctx context.Context, jobs ...playbook.Job) ([]playbook.Job, error)
}

// enqueueNow queues jobs made outside a turn (by a worker or a scan) and
// wakes the runner, so the due ones run now rather than at the next poll.
func enqueueNow(ctx context.Context, q jobEnqueuer, r *Runner, jobs ...playbook.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	if _, err := q.Enqueue(ctx, jobs...); err != nil {
		return err
	}
	r.Wake()
	return nil
}
