package bot_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/playbook"
)

// jobClock is a runner's clock that a test moves on.
type jobClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *jobClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *jobClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// proactivePosts are the posts of new messages the bot made (not replies).
func proactivePosts(h *harness) []string {
	var out []string
	for _, c := range h.conn.Calls() {
		if c.ActivityID == "" && strings.Contains(string(c.Body), `"type":"message"`) {
			out = append(out, string(c.Body))
		}
	}
	return out
}

// TestWorkshopCreateGraphOutage: Graph answers every create with a
// throttle (503, Retry-After 9 s) for as long as the job lives. The people
// are told at once, without the clock moving, that it is being retried; the
// job then uses its attempts on the documented schedule, is dead-lettered,
// the workshop goes back to proposed and the channel is told what to do:
// two posts for an outage of any length, and the scans queue nothing more.
func TestWorkshopCreateGraphOutage(t *testing.T) {
	clock := &jobClock{t: time.Now()}
	var creates atomic.Int64
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone, CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
		creates.Add(1)
		return playbook.CalendarEvent{}, &graphErr{pb: playbook.Errorf(playbook.EINTERNAL, "503"), retry: true, delay: 9 * time.Second}
	}}
	var jobs *bot.WorkshopJobs
	rec := &retryRec{retried: make(chan time.Time, 10)}
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }, storeNow: clock.Now, runner: func(r *bot.Runner, db harnessStore) {
		jobs = &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: db, Now: func() time.Time { return qNow }, Runner: r}, Graph: fake, Organizer: "mst@contoso.com"}
		r.Now = clock.Now
		rec.JobStore = r.Store
		r.Store = rec
		r.PollInterval = 20 * time.Millisecond
		r.Workers[bot.KindWorkshopCreate] = jobs.WorkCreate
		r.Tell = map[string]bot.TellFunc{bot.KindWorkshopCreate: jobs.TellCreate}
	}})
	c := &conv{t: t, h: h}
	pickWithGraph(t, h, c, fake, jobs)

	// The first attempt fails: the notice comes with no time passing.
	posted := postedText(t, h, "I keep trying")
	if !strings.Contains(posted, "could not create the Teams meeting") || !strings.Contains(posted, "busy or unavailable") {
		t.Errorf("retrying notice: %s", posted)
	}
	// Each later attempt comes after the schedule's wait, not Graph's 9 s.
	schedule := []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}
	for n, wait := range schedule {
		next := waitRetried(t, rec)
		if got := next.Sub(clock.Now()); got != wait {
			t.Fatalf("after attempt %d the job waits %s, want %s", n+1, got, wait)
		}
		clock.Advance(wait)
		h.runner.Wake()
	}
	postedText(t, h, "pick the slot again")
	if w := c.engagement().Workshop("hub-workshop"); w.Status != playbook.WorkshopProposed {
		t.Fatalf("workshop = %+v, want proposed after the last attempt", w)
	}
	var dead []playbook.Job
	var err error
	for end := time.Now().Add(10 * time.Second); len(dead) == 0 && err == nil && time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		dead, err = h.db.Dead(context.Background())
	}
	if err != nil || len(dead) != 1 || dead[0].Attempt != 8 || dead[0].Kind != bot.KindWorkshopCreate {
		t.Fatalf("dead letters = %+v, %v; want the create job after 8 attempts", dead, err)
	}
	// The outage goes on: nothing is queued again, nothing more is said.
	clock.Advance(24 * time.Hour)
	if err := jobs.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.runner.Wake()
	time.Sleep(100 * time.Millisecond)
	if n := creates.Load(); n != 8 {
		t.Errorf("%d creates, want 8", n)
	}
	if posts := proactivePosts(h); len(posts) != 2 {
		t.Errorf("%d posts for the outage, want 2:\n%s", len(posts), strings.Join(posts, "\n"))
	}
}

// retryRec is a job store that reports each recorded failure.
type retryRec struct {
	bot.JobStore
	retried chan time.Time
}

func (s *retryRec) Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (bool, error) {
	dead, err := s.JobStore.Retry(ctx, id, runAt, errText)
	if err == nil && !dead {
		s.retried <- runAt
	}
	return dead, err
}

// waitRetried waits for the next recorded failure and returns when the job
// runs next.
func waitRetried(t *testing.T, rec *retryRec) time.Time {
	t.Helper()
	select {
	case at := <-rec.retried:
		return at
	case <-time.After(10 * time.Second):
		t.Fatal("no failure recorded")
		return time.Time{}
	}
}
