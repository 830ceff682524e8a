package botframework

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

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
