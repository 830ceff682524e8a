package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/mvmbot/mvmbot/playbook"
)

// KindSend is the job kind of every post to the Bot Connector. Stored jobs
// carry it, so it is never renamed.
const KindSend = "connector.send"

// sendArgs is what a KindSend job sends.
type sendArgs struct {
	Op             string // reply, send, update
	ServiceURL     string
	ConversationID string
	ActivityID     string // replied to (reply) or replaced (update)
	TenantID       string
	Proactive      bool
	Activity       Outgoing
}

// sendRecord is the stored form of sendArgs. The activity is kept as the
// JSON it will be posted as, so the worker sends it without decoding and
// encoding it again (a card is most of a job's bytes).
type sendRecord struct {
	Op             string          `json:"op"`
	ServiceURL     string          `json:"serviceUrl"`
	ConversationID string          `json:"conversationId"`
	ActivityID     string          `json:"activityId,omitempty"`
	TenantID       string          `json:"tenantId,omitempty"`
	Proactive      bool            `json:"proactive,omitempty"`
	Activity       json.RawMessage `json:"activity"`
}

func sendJob(key string, a sendArgs) (playbook.Job, error) {
	if a.Op == "reply" {
		a.Activity.ReplyToID = a.ActivityID
	}
	act, err := a.Activity.marshal()
	if err != nil {
		return playbook.Job{}, fmt.Errorf("encode send job: %w", err)
	}
	args, err := json.Marshal(sendRecord{
		Op: a.Op, ServiceURL: a.ServiceURL, ConversationID: a.ConversationID, ActivityID: a.ActivityID,
		TenantID: a.TenantID, Proactive: a.Proactive, Activity: act,
	})
	if err != nil {
		return playbook.Job{}, fmt.Errorf("encode send job: %w", err)
	}
	return playbook.Job{Kind: KindSend, Key: key, Args: args}, nil
}

// sender is the KindSend worker.
type sender struct {
	connector *Connector
	limits    *RateLimiter
}

func (s *sender) work(ctx context.Context, j playbook.Job) error {
	var a sendRecord
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return Permanent(fmt.Errorf("decode send job: %w", err))
	}
	if a.Proactive && s.limits != nil {
		if err := s.limits.Wait(ctx, a.TenantID, a.ConversationID); err != nil {
			return err
		}
	}
	var err error
	switch a.Op {
	case "reply":
		err = s.connector.call(ctx, "reply", http.MethodPost, a.ServiceURL, activityPath(a.ConversationID, a.ActivityID), a.Activity, nil)
	case "send":
		err = s.connector.call(ctx, "send", http.MethodPost, a.ServiceURL, activityPath(a.ConversationID, ""), a.Activity, nil)
	case "update":
		err = s.connector.call(ctx, "update", http.MethodPut, a.ServiceURL, activityPath(a.ConversationID, a.ActivityID), a.Activity, nil)
	default:
		return Permanent(fmt.Errorf("unknown send op %q", a.Op))
	}
	if err == nil {
		return nil
	}
	var cerr *ConnectorError
	if errors.As(err, &cerr) {
		if !cerr.Temporary() {
			return Permanent(err)
		}
		if cerr.RetryAfter > 0 {
			return Snooze(cerr.RetryAfter)
		}
	}
	return err
}

// RateLimiter keeps proactive posts within Teams' documented bot limits, so
// that a burst of reminders or reports waits instead of being throttled: per
// conversation 7 messages a second, 60 per 30 seconds and 1800 an hour; per
// tenant 30 requests a second. Replies to a person's message are paced by
// that person and are not limited here; a 429 on them is retried.
//
// Idle conversations are forgotten after an hour, which is when their
// longest window has refilled anyway. Safe for concurrent use.
type RateLimiter struct {
	Now func() time.Time

	mu      sync.Mutex
	convs   map[string]*convLimits
	tenants map[string]*rate.Limiter
	swept   time.Time
}

type convLimits struct {
	second, halfMinute, hour *rate.Limiter
	used                     time.Time
}

func (l *RateLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *RateLimiter) limiters(tenant, conv string) []*rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.convs == nil {
		l.convs, l.tenants, l.swept = map[string]*convLimits{}, map[string]*rate.Limiter{}, now
	}
	if now.Sub(l.swept) > 10*time.Minute {
		for k, c := range l.convs {
			if now.Sub(c.used) > time.Hour {
				delete(l.convs, k)
			}
		}
		l.swept = now
	}
	c, ok := l.convs[conv]
	if !ok {
		c = &convLimits{
			second:     rate.NewLimiter(7, 7),
			halfMinute: rate.NewLimiter(rate.Limit(60.0/30), 60),
			hour:       rate.NewLimiter(rate.Limit(1800.0/3600), 1800),
		}
		l.convs[conv] = c
	}
	c.used = now
	t, ok := l.tenants[tenant]
	if !ok {
		t = rate.NewLimiter(30, 30)
		l.tenants[tenant] = t
	}
	return []*rate.Limiter{t, c.second, c.halfMinute, c.hour}
}

// Wait blocks until one more post to conv in tenant fits every window, or
// ctx ends. The budget is reserved in all windows at once and handed back
// when ctx ends first, so a cancelled wait costs nothing.
func (l *RateLimiter) Wait(ctx context.Context, tenant, conv string) error {
	lims := l.limiters(tenant, conv)
	reservations := make([]*rate.Reservation, len(lims))
	var delay time.Duration
	for i, lim := range lims {
		reservations[i] = lim.Reserve()
		delay = max(delay, reservations[i].Delay())
	}
	if delay == 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		for _, r := range reservations {
			r.Cancel()
		}
		return fmt.Errorf("wait for rate limit: %w", ctx.Err())
	}
}
