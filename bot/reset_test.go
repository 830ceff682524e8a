package bot_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
)

// TestDurableReplyAfterReset: the connector takes a reply, then resets the
// connection before answering. The bot cannot know the post went through
// (the Bot Connector API has no idempotency key and no way to read a posted
// activity back), so the job is retried: the reply arrives, and arrives a
// second time, once, however the job ends. That one copy per reset after
// acceptance is the documented duplicate (docs/operations.md, "Replies").
func TestDurableReplyAfterReset(t *testing.T) {
	var ahead atomic.Int64 // the runner's clock, moved past the retry's wait
	h := newHarness(t, harnessOpts{auth: true, runner: func(r *bot.Runner, _ harnessStore) {
		r.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		r.PollInterval = 20 * time.Millisecond
	}})
	c := &conv{t: t, h: h}
	setUp(t, c)

	h.conn.ResetNext()
	a := h.groupMessage(c.nextID(), pat, "note the connector resets after accepting this reply")
	id := a["id"].(string)
	c.post(a) // returns once the reply reached the connector, unanswered
	ahead.Store(int64(time.Minute))
	posts := func() int {
		n := 0
		for _, call := range h.conn.Calls() {
			if call.Method == http.MethodPost && call.ActivityID == id {
				n++
			}
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); posts() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if n, err := h.db.Pending(context.Background()); err == nil && n == 0 {
			break
		}
	}
	if n := posts(); n != 2 {
		t.Fatalf("the reply was posted %d times after one reset after acceptance; want 2 (at least once, one copy per reset)", n)
	}
	if dead, err := h.db.Dead(context.Background()); err != nil || len(dead) != 0 {
		t.Errorf("dead letters %v (%v); want none: the retry succeeded", dead, err)
	}
}
