package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

func mustSendJob(t testing.TB, a sendArgs) playbook.Job {
	t.Helper()
	j, err := sendJob("", a)
	if err != nil {
		t.Fatalf("sendJob: %v", err)
	}
	if j.Kind != KindSend {
		t.Fatalf("sendJob kind %q; want %q", j.Kind, KindSend)
	}
	return j
}

func isPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

func snoozeOf(err error) (time.Duration, bool) {
	var s *snoozeError
	if errors.As(err, &s) {
		return s.d, true
	}
	return 0, false
}

func TestSendOps(t *testing.T) {
	const conv = "19:abc@thread.tacv2;messageid=1700000000000"
	tests := []struct {
		op, activityID       string
		wantMethod, wantPath string
		wantReplyTo          any
	}{
		{"reply", "1:in", "POST", "/v3/conversations/" + conv + "/activities/1:in", "1:in"},
		{"send", "", "POST", "/v3/conversations/" + conv + "/activities", nil},
		{"update", "1:card", "PUT", "/v3/conversations/" + conv + "/activities/1:card", nil},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			fc := startConnector(t)
			s := &sender{connector: fastConnector()}
			j := mustSendJob(t, sendArgs{Op: tc.op, ServiceURL: fc.URL(), ConversationID: conv, ActivityID: tc.activityID, Activity: *msg("hi")})
			if err := s.work(context.Background(), j); err != nil {
				t.Fatalf("work: %v", err)
			}
			calls := fc.Calls()
			if len(calls) != 1 {
				t.Fatalf("connector got %d calls; want 1", len(calls))
			}
			c := calls[0]
			if c.Method != tc.wantMethod || c.Path != tc.wantPath || c.ConversationID != conv {
				t.Errorf("call %s %s (conversation %q); want %s %s", c.Method, c.Path, c.ConversationID, tc.wantMethod, tc.wantPath)
			}
			if got := c.Activity()["replyToId"]; got != tc.wantReplyTo {
				t.Errorf("replyToId %v; want %v", got, tc.wantReplyTo)
			}
			if got := c.Activity()["text"]; got != "hi" {
				t.Errorf("text %v; want hi", got)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name string
		args []byte // raw job args; nil: a reply to the fake
		fail []struct {
			status     int
			retryAfter string
		}
		wantPerm   bool
		wantSnooze time.Duration
		wantTemp   bool // a plain error the runner retries with backoff
	}{
		{name: "400 is permanent", fail: failures(400, ""), wantPerm: true},
		{name: "403 is permanent", fail: failures(403, ""), wantPerm: true},
		{name: "404 is permanent", fail: failures(404, ""), wantPerm: true},
		{name: "429 with Retry-After snoozes", fail: failures(429, "7"), wantSnooze: 7 * time.Second},
		{name: "503 with Retry-After snoozes", fail: failures(503, "20"), wantSnooze: 20 * time.Second},
		{name: "429 without Retry-After retries", fail: failures(429, ""), wantTemp: true},
		{name: "502 retries", fail: failures(502, ""), wantTemp: true},
		{name: "503 retries", fail: failures(503, ""), wantTemp: true},
		{name: "args not JSON", args: []byte(`{"op":`), wantPerm: true},
		{name: "unknown op", args: []byte(`{"op":"delete","serviceUrl":"http://x","conversationId":"c"}`), wantPerm: true},
		{name: "no op", args: []byte(`{}`), wantPerm: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := startConnector(t)
			for _, f := range tc.fail {
				fc.FailNext(f.status, f.retryAfter)
			}
			c := fastConnector()
			c.MaxAttempts = 1 // the job runner retries, not the connector
			s := &sender{connector: c}
			j := mustSendJob(t, sendArgs{Op: "reply", ServiceURL: fc.URL(), ConversationID: "a:c", ActivityID: "1:in", Activity: *msg("x")})
			if tc.args != nil {
				j.Args = tc.args
			}
			err := s.work(context.Background(), j)
			if err == nil {
				t.Fatal("work succeeded; want an error")
			}
			d, snoozed := snoozeOf(err)
			switch {
			case tc.wantPerm && !isPermanent(err):
				t.Errorf("work: %v; want Permanent", err)
			case tc.wantSnooze > 0 && (!snoozed || d != tc.wantSnooze):
				t.Errorf("work: %v; want Snooze(%s)", err, tc.wantSnooze)
			case tc.wantTemp && (isPermanent(err) || snoozed || !botframework.IsTemporary(err)):
				t.Errorf("work: %v; want a temporary connector error", err)
			}
		})
	}
}

func failures(status int, retryAfter string) []struct {
	status     int
	retryAfter string
} {
	return []struct {
		status     int
		retryAfter string
	}{{status, retryAfter}}
}

// A cancelled job (shutdown, JobTimeout) is retried later, never buried.
func TestSendCancelled(t *testing.T) {
	fc := startConnector(t)
	s := &sender{connector: fastConnector()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.work(ctx, mustSendJob(t, sendArgs{Op: "send", ServiceURL: fc.URL(), ConversationID: "a:c", Activity: *msg("x")}))
	if err == nil || isPermanent(err) {
		t.Errorf("work with a cancelled context: %v; want a retryable error", err)
	}
}

// A bad serviceUrl in a stored job will not get better: bury it.
func TestSendBadServiceURLIsPermanent(t *testing.T) {
	s := &sender{connector: fastConnector()}
	err := s.work(context.Background(), mustSendJob(t, sendArgs{Op: "send", ServiceURL: "not a url", ConversationID: "a:c", Activity: *msg("x")}))
	if !isPermanent(err) {
		t.Errorf("work with serviceUrl %q: %v; want Permanent", "not a url", err)
	}
}

func TestSendProactiveIsRateLimited(t *testing.T) {
	fc := startConnector(t)
	limits := &botframework.RateLimiter{}
	s := &sender{connector: fastConnector(), limits: limits}
	args := sendArgs{Op: "send", ServiceURL: fc.URL(), ConversationID: "a:busy", TenantID: "t1", Activity: *msg("x")}
	for range 7 { // the conversation's budget for this second
		_ = limits.Wait(context.Background(), "t1", "a:busy")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	args.Proactive = true
	if err := s.work(ctx, mustSendJob(t, args)); err == nil || isPermanent(err) {
		t.Errorf("proactive send over the limit: %v; want a retryable error", err)
	}
	if n := len(fc.Calls()); n != 0 {
		t.Errorf("connector got %d calls over the limit; want 0", n)
	}

	// A reply is paced by the person and not limited.
	args.Proactive = false
	if err := s.work(context.Background(), mustSendJob(t, args)); err != nil {
		t.Errorf("reply over the proactive limit: %v", err)
	}
	if n := len(fc.Calls()); n != 1 {
		t.Errorf("connector got %d calls; want the reply", n)
	}
}
