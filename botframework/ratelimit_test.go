package botframework

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// exhaust uses up conv's per-second budget (7) in tenant.
func exhaust(t testing.TB, l *RateLimiter, tenant, conv string) {
	t.Helper()
	for i := range 7 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		err := l.Wait(ctx, tenant, conv)
		cancel()
		if err != nil {
			t.Fatalf("post %d to %s: %v; want it let through at once", i+1, conv, err)
		}
	}
}

func TestRateLimiterPerConversation(t *testing.T) {
	l := &RateLimiter{}
	exhaust(t, l, "t1", "a:one")

	// The 8th post to the same conversation must wait ~1/7 s: a context
	// that ends sooner makes Wait fail at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, "t1", "a:one"); err == nil {
		t.Fatal("8th post within a second was let through")
	}

	// Another conversation in the same tenant has its own budget.
	exhaust(t, l, "t1", "a:two")

	// And the 8th post goes once there is time for it.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := l.Wait(ctx2, "t1", "a:one"); err != nil {
		t.Fatalf("8th post with time to wait: %v", err)
	}
}

func TestRateLimiterPerTenant(t *testing.T) {
	l := &RateLimiter{}
	for i := range 30 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		err := l.Wait(ctx, "t1", fmt.Sprintf("a:%d", i))
		cancel()
		if err != nil {
			t.Fatalf("post %d in tenant t1: %v; want it let through at once", i+1, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx, "t1", "a:fresh"); err == nil {
		t.Error("31st post within a second in one tenant was let through")
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel3()
	if err := l.Wait(ctx3, "t2", "a:fresh"); err != nil {
		t.Errorf("first post in another tenant: %v", err)
	}
}

func TestRateLimiterForgetsIdleConversations(t *testing.T) {
	clock := newClock()
	l := &RateLimiter{Now: clock.Now}
	ctx := context.Background()
	for i := range 5 {
		if err := l.Wait(ctx, "t1", fmt.Sprintf("a:%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(30 * time.Minute)
	if err := l.Wait(ctx, "t1", "a:recent"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Minute) // the first five idle 80m, a:recent 50m
	if err := l.Wait(ctx, "t1", "a:new"); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.convs) != 2 || l.convs["a:recent"] == nil || l.convs["a:new"] == nil {
		keys := []string{}
		for k := range l.convs {
			keys = append(keys, k)
		}
		t.Errorf("limiter remembers %v; want a:recent and a:new", keys)
	}
}
