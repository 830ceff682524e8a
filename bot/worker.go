package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// JobArgs are the arguments of one job kind, stored with the job as JSON.
// Kind is the name stored with it: once jobs of a kind may be queued it is
// never renamed, or they would find no worker (river's JobArgs).
type JobArgs interface {
	Kind() string
}

// newJob is a job of args' kind carrying args. The caller sets what else
// the job needs (Key, RunAt, MaxAttempts).
func newJob(args JobArgs) (playbook.Job, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return playbook.Job{}, fmt.Errorf("encode %s job: %w", args.Kind(), err)
	}
	return playbook.Job{Kind: args.Kind(), Args: raw}, nil
}

// Work adapts a worker of typed args to a WorkFunc: the job's args are
// decoded into T before work sees them, and args that do not decode are a
// permanent failure, since no retry can mend them.
func Work[T JobArgs](work func(ctx context.Context, j playbook.Job, args T) error) WorkFunc {
	return func(ctx context.Context, j playbook.Job) error {
		var args T
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return Permanent(fmt.Errorf("decode %s job: %w", args.Kind(), err))
		}
		return work(ctx, j, args)
	}
}

// Workers are the Runner's workers by job kind. Fill it with AddWorker (and
// the AddWorkers methods of the job sets, which call it), so that each
// kind comes from its args type.
type Workers map[string]WorkFunc

// AddWorker registers work as the worker of T's kind. A kind registered
// twice is a wiring mistake: it panics, when the bot starts.
func AddWorker[T JobArgs](ws Workers, work func(ctx context.Context, j playbook.Job, args T) error) {
	var zero T
	kind := zero.Kind()
	if _, dup := ws[kind]; dup {
		panic("bot: a worker for job kind " + kind + " is registered twice")
	}
	ws[kind] = Work(work)
}

// WorkerStore is what the job workers need from storage: one interface for
// the weekly reports and reminders, the workshops and the site jobs. The
// store package implements it on bbolt.
type WorkerStore interface {
	// Engagement returns the engagement with that ID, or ENOTFOUND.
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	// EngagementByConversation returns the engagement bound to a
	// conversation key, or ENOTFOUND.
	EngagementByConversation(ctx context.Context, key string) (*playbook.Engagement, error)
	// Ref returns the conversation reference stored under key, or
	// ENOTFOUND; Refs all of them.
	Ref(ctx context.Context, key string) (playbook.ConversationRef, error)
	Refs(ctx context.Context) ([]playbook.ConversationRef, error)
	// Enqueue inserts jobs atomically; a job whose Key is queued already
	// is skipped.
	Enqueue(ctx context.Context, jobs ...playbook.Job) ([]playbook.Job, error)
	// CommitTurn saves an engagement (optimistic concurrency) with jobs.
	CommitTurn(ctx context.Context, t playbook.Turn) ([]playbook.Job, *playbook.Result, error)
	// Cancel removes the queued job with that key, or returns ENOTFOUND.
	Cancel(ctx context.Context, key string) error
	// HistoryReader reads the stored history (the weekly report's notes).
	HistoryReader
}

// WorkerEnv is what the workers of every job set share (MigrationJobs,
// WorkshopJobs, SiteJobs embed it): the store, the clock, the log and the
// runner that sends at once what a worker commits.
type WorkerEnv struct {
	Store WorkerStore
	Now   func() time.Time // nil: time.Now
	Log   *slog.Logger     // nil: discarded
	// Runner, when set, runs at once the posts a worker commits; without
	// it they run when their lease ends (a minute or two late).
	Runner *Runner
}

func (w *WorkerEnv) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *WorkerEnv) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

// proactive is the job that posts act to e's conversation (see
// proactivePost).
func (w *WorkerEnv) proactive(ctx context.Context, e *playbook.Engagement, key string, act Outgoing) (playbook.Job, error) {
	return proactivePost(ctx, w.Store, e, key, act)
}
