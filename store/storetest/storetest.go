// Package storetest is the conformance suite for mvmbot's store backends.
// Every backend (bbolt in package store today, PostgreSQL later) runs the
// same Run from its own tests, so they behave alike wherever the bot relies
// on it: dedup, conversation references, engagements, and the durable job
// queue.
//
// It imports only playbook and the standard library, so a backend's tests do
// not pull in another backend.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// Backend is everything the suite exercises; package store's *DB
// implements it. Each method's contract is documented on the bbolt
// implementation (package store); the suite is its executable form.
type Backend interface {
	Ping(ctx context.Context) error

	// Dedup and turns.
	CommitTurn(ctx context.Context, t playbook.Turn) (jobs []playbook.Job, dup *playbook.Result, err error)
	Processed(ctx context.Context, key string) (playbook.Result, bool, error)
	SweepProcessed(ctx context.Context, olderThan time.Time) (int, error)

	// Conversation references.
	PutRef(ctx context.Context, ref playbook.ConversationRef) error
	Ref(ctx context.Context, key string) (playbook.ConversationRef, error)
	Refs(ctx context.Context) ([]playbook.ConversationRef, error)

	// Engagements (written by CommitTurn).
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	EngagementByConversation(ctx context.Context, key string) (*playbook.Engagement, error)
	EngagementsOf(ctx context.Context, memberID string) ([]*playbook.Engagement, error)
	PurgeClosed(ctx context.Context, before time.Time, dryRun bool) ([]playbook.Engagement, error)
	// History reads the history an engagement is read without.
	History(ctx context.Context, id string, from, n int) ([]playbook.AuditEntry, error)

	// Durable jobs.
	Enqueue(ctx context.Context, jobs ...playbook.Job) ([]playbook.Job, error)
	ClaimDue(ctx context.Context, now time.Time, limit int) ([]playbook.Job, error)
	Complete(ctx context.Context, id uint64) error
	Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (dead bool, err error)
	Snooze(ctx context.Context, id uint64, runAt time.Time) error
	Fail(ctx context.Context, id uint64, errText string) error
	Dead(ctx context.Context) ([]playbook.Job, error)
	RequeueDead(ctx context.Context, id uint64) (playbook.Job, error)
	DiscardDead(ctx context.Context, id uint64) error
	Cancel(ctx context.Context, key string) error
	NextRunAt(ctx context.Context) (time.Time, bool, error)
	Pending(ctx context.Context) (int, error)
}

// Settings the suite expects of every backend it is given.
const (
	// Lease is the job lease the backend must be opened with.
	Lease = time.Minute
	// DefaultMaxAttempts is what a job enqueued with MaxAttempts 0 gets; the
	// backend must be opened with its default.
	DefaultMaxAttempts = 8
)

// Epoch is the time a fresh Clock shows.
var Epoch = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

// Clock is a fake clock for tests, safe for concurrent use. It only moves
// when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass c.Now as a backend's clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Opener returns a new, empty backend whose clock is now, whose job lease is
// Lease and whose default MaxAttempts is DefaultMaxAttempts. It must be
// isolated from every other backend it returns (subtests run in parallel)
// and register its own cleanup with t.Cleanup.
type Opener func(t *testing.T, now func() time.Time) Backend

// Run runs the conformance suite against the backends open returns, one
// fresh backend per subtest. Subtests run in parallel.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Dedup", dedupTests},
		{"Refs", refTests},
		{"Jobs", jobTests},
		{"Engagements", engagementTests},
		{"Drafts", draftTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					clock := NewClock(Epoch)
					tc.run(t, env{b: open(t, clock.Now), clock: clock, ctx: t.Context()})
				})
			}
		})
	}
}

// test is one named subtest of the suite.
type test struct {
	name string
	run  func(t *testing.T, e env)
}

// env is what each subtest gets: a fresh backend and its clock.
type env struct {
	b     Backend
	clock *Clock
	ctx   context.Context
}

// errorCode returns err's playbook code, "" for nil.
func errorCode(err error) string { return playbook.ErrorCode(err) }

// must fails the test at once on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails the test unless err carries the playbook code want.
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := errorCode(err); got != want {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, want)
	}
}

// wantTime fails the test unless got is the same instant as want.
func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
