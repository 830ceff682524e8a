package botframework

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

// stubTokens is a TokenSource that numbers its tokens.
type stubTokens struct {
	n   atomic.Int64
	err error
}

func (s *stubTokens) Token(ctx context.Context) (string, error) {
	if s.err != nil {
		return "", s.err
	}
	return "tok-" + strconv.FormatInt(s.n.Add(1), 10), nil
}

func startConnector(t testing.TB) *fakes.Connector {
	t.Helper()
	fc := fakes.NewConnector()
	t.Cleanup(fc.Close)
	return fc
}

// fastConnector retries without noticeable waits.
func fastConnector(tokens TokenSource) *Connector {
	return &Connector{Tokens: tokens, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
}

func msg(text string) *Outgoing { return &Outgoing{Type: "message", Text: text} }

func connectorErr(t testing.TB, err error) *ConnectorError {
	t.Helper()
	var cerr *ConnectorError
	if !errors.As(err, &cerr) {
		t.Fatalf("error %v (%T) is not a *ConnectorError", err, err)
	}
	return cerr
}

func TestConnectorReply(t *testing.T) {
	fc := startConnector(t)
	c := fastConnector(&stubTokens{})
	id, err := c.Reply(context.Background(), fc.URL(), "a:1conv", "1:act", msg("hello"))
	if err != nil {
		t.Fatalf("Reply: %v", err)
	}
	if id == "" {
		t.Error("Reply returned no activity id")
	}
	calls := fc.Calls()
	if len(calls) != 1 {
		t.Fatalf("connector got %d calls; want 1", len(calls))
	}
	call := calls[0]
	if call.Method != http.MethodPost || call.Path != "/v3/conversations/a:1conv/activities/1:act" {
		t.Errorf("call %s %s; want POST /v3/conversations/a:1conv/activities/1:act", call.Method, call.Path)
	}
	if call.Authorization != "Bearer tok-1" {
		t.Errorf("Authorization %q; want %q", call.Authorization, "Bearer tok-1")
	}
	body := call.Activity()
	for k, want := range map[string]any{"type": "message", "text": "hello", "replyToId": "1:act"} {
		if body[k] != want {
			t.Errorf("body[%q] = %v; want %v (body %s)", k, body[k], want, call.Body)
		}
	}
	// The lean outbound type sends no zero timestamps or empty objects.
	for _, k := range []string{"timestamp", "from", "recipient", "conversation", "attachments", "channelData"} {
		if _, ok := body[k]; ok {
			t.Errorf("body has %q: %s", k, call.Body)
		}
	}
}

func TestConnectorOps(t *testing.T) {
	const conv = "19:abc@thread.tacv2;messageid=1700000000000"
	tests := []struct {
		name       string
		call       func(c *Connector, url string) error
		wantMethod string
		wantPath   string
		wantConv   string
		wantAct    string
	}{
		{
			name: "send",
			call: func(c *Connector, url string) error {
				id, err := c.Send(context.Background(), url, conv, msg("x"))
				if err == nil && id == "" {
					err = errors.New("no id")
				}
				return err
			},
			wantMethod: "POST", wantPath: "/v3/conversations/" + conv + "/activities", wantConv: conv,
		},
		{
			name: "update",
			call: func(c *Connector, url string) error {
				return c.Update(context.Background(), url, conv, "1:card", msg("x"))
			},
			wantMethod: "PUT", wantPath: "/v3/conversations/" + conv + "/activities/1:card", wantConv: conv, wantAct: "1:card",
		},
		{
			name: "create conversation",
			call: func(c *Connector, url string) error {
				convID, actID, err := c.CreateConversation(context.Background(), url, &ConversationParams{
					Bot:      schema.ChannelAccount{ID: "28:bot"},
					Members:  []schema.ChannelAccount{{ID: "29:user"}},
					TenantID: "tenant",
					Activity: msg("hi"),
				})
				if err == nil && (convID == "" || actID == "") {
					err = errors.New("missing ids")
				}
				return err
			},
			wantMethod: "POST", wantPath: "/v3/conversations",
		},
		{
			name: "members",
			call: func(c *Connector, url string) error {
				m, err := c.Members(context.Background(), url, conv)
				if err == nil && (len(m) != 1 || m[0].AADObjectID != "aad-1" || m[0].UserPrincipalName != "ada@example.com") {
					err = errors.New("bad members")
				}
				return err
			},
			wantMethod: "GET", wantPath: "/v3/conversations/" + conv + "/members", wantConv: conv,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := startConnector(t)
			fc.SetMembers([]map[string]any{{"id": "29:1", "name": "Ada", "aadObjectId": "aad-1", "userPrincipalName": "ada@example.com"}})
			if err := tc.call(fastConnector(&stubTokens{}), fc.URL()); err != nil {
				t.Fatalf("call: %v", err)
			}
			calls := fc.Calls()
			if len(calls) != 1 {
				t.Fatalf("connector got %d calls; want 1", len(calls))
			}
			c := calls[0]
			if c.Method != tc.wantMethod || c.Path != tc.wantPath || c.ConversationID != tc.wantConv || c.ActivityID != tc.wantAct {
				t.Errorf("call %s %s (conv %q, activity %q); want %s %s (conv %q, activity %q)",
					c.Method, c.Path, c.ConversationID, c.ActivityID, tc.wantMethod, tc.wantPath, tc.wantConv, tc.wantAct)
			}
		})
	}
}

// Conversation and activity ids are opaque: whatever they contain arrives
// at the connector intact, in one path segment.
func TestConnectorPathEscaping(t *testing.T) {
	fc := startConnector(t)
	c := fastConnector(nil)
	ids := []struct{ conv, act string }{
		{"a:1Xk9_-Zq", "1:abc"},
		{"19:abc@thread.tacv2;messageid=1700000000000", "1700000000000"},
		{"19:meeting_OTg@thread.v2", "f:1;2"},
		{"29:1a/b?c#d e%f", "1:x/y"},
		{"19:ünïcode@thread.skype", "1:é"},
	}
	for _, id := range ids {
		if _, err := c.Reply(context.Background(), fc.URL(), id.conv, id.act, msg("x")); err != nil {
			t.Errorf("Reply(%q, %q): %v", id.conv, id.act, err)
		}
	}
	calls := fc.Calls()
	if len(calls) != len(ids) {
		t.Fatalf("connector got %d calls; want %d", len(calls), len(ids))
	}
	for i, id := range ids {
		if calls[i].ConversationID != id.conv || calls[i].ActivityID != id.act {
			t.Errorf("Reply(%q, %q) arrived as conversation %q, activity %q", id.conv, id.act, calls[i].ConversationID, calls[i].ActivityID)
		}
	}
}

func TestConnectorRetries(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		fail        []int // statuses of the first calls; then success
		wantCalls   int
		wantStatus  int // 0: success
		wantTemp    bool
	}{
		{name: "429 then success", fail: []int{429}, wantCalls: 2},
		{name: "412 then success", fail: []int{412}, wantCalls: 2},
		{name: "502 then success", fail: []int{502}, wantCalls: 2},
		{name: "504 then success", fail: []int{504}, wantCalls: 2},
		{name: "three 429s then success", fail: []int{429, 429, 429}, wantCalls: 4},
		{name: "attempts bounded", fail: []int{429, 502, 504, 412, 429}, wantCalls: 4, wantStatus: 412, wantTemp: true},
		{name: "attempts bounded at 2", maxAttempts: 2, fail: []int{429, 429, 429}, wantCalls: 2, wantStatus: 429, wantTemp: true},
		{name: "one attempt", maxAttempts: 1, fail: []int{502}, wantCalls: 1, wantStatus: 502, wantTemp: true},
		{name: "400 final", fail: []int{400}, wantCalls: 1, wantStatus: 400},
		{name: "401 final", fail: []int{401}, wantCalls: 1, wantStatus: 401},
		{name: "403 final", fail: []int{403}, wantCalls: 1, wantStatus: 403},
		{name: "404 final", fail: []int{404}, wantCalls: 1, wantStatus: 404},
		{name: "500 not retried in place", fail: []int{500}, wantCalls: 1, wantStatus: 500, wantTemp: true},
		{name: "503 not retried in place", fail: []int{503}, wantCalls: 1, wantStatus: 503, wantTemp: true},
		{name: "retry stops at a final answer", fail: []int{429, 403}, wantCalls: 2, wantStatus: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fc := startConnector(t)
			for _, s := range tc.fail {
				fc.FailNext(s, "")
			}
			c := fastConnector(&stubTokens{})
			c.MaxAttempts = tc.maxAttempts
			_, err := c.Send(context.Background(), fc.URL(), "a:conv", msg("x"))
			if n := len(fc.Calls()); n != tc.wantCalls {
				t.Errorf("connector got %d calls; want %d", n, tc.wantCalls)
			}
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Send: %v; want success", err)
				}
				return
			}
			cerr := connectorErr(t, err)
			if cerr.Status != tc.wantStatus || cerr.Temporary() != tc.wantTemp || IsTemporary(err) != tc.wantTemp {
				t.Errorf("error %v: status %d, Temporary %v; want %d, %v", err, cerr.Status, cerr.Temporary(), tc.wantStatus, tc.wantTemp)
			}
			if cerr.Op != "send" || cerr.Code != "Throttled" || !strings.Contains(cerr.Message, "fake connector failure") {
				t.Errorf("error %+v: want op send and the ErrorResponse's code and message", cerr)
			}
		})
	}
}

// Each attempt asks the TokenSource again: the source caches, the
// connector must not.
func TestConnectorTokenPerAttempt(t *testing.T) {
	fc := startConnector(t)
	fc.FailNext(429, "0")
	if _, err := fastConnector(&stubTokens{}).Send(context.Background(), fc.URL(), "a:c", msg("x")); err != nil {
		t.Fatal(err)
	}
	calls := fc.Calls()
	if len(calls) != 2 || calls[0].Authorization != "Bearer tok-1" || calls[1].Authorization != "Bearer tok-2" {
		t.Errorf("calls %+v; want two with tokens tok-1 and tok-2", calls)
	}
}

func TestConnectorHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	fc := startConnector(t)
	fc.FailNext(429, "1")
	c := fastConnector(nil)
	start := time.Now()
	if _, err := c.Send(context.Background(), fc.URL(), "a:c", msg("x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// Timers do not fire early, so this lower bound cannot flake.
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %s; want at least the 1s of Retry-After", waited)
	}
	if n := len(fc.Calls()); n != 2 {
		t.Errorf("connector got %d calls; want 2", n)
	}
}

// onLog is a slog.Handler that calls fn for every record.
type onLog func(slog.Record)

func (h onLog) Enabled(context.Context, slog.Level) bool      { return true }
func (h onLog) Handle(_ context.Context, r slog.Record) error { h(r); return nil }
func (h onLog) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h onLog) WithGroup(string) slog.Handler                 { return h }

func TestConnectorContextEndsWait(t *testing.T) {
	fc := startConnector(t)
	fc.FailNext(429, "30")
	ctx, cancel := context.WithCancel(context.Background())
	c := fastConnector(nil)
	// The connector logs just before it waits: cancel then.
	c.Log = slog.New(onLog(func(slog.Record) { cancel() }))
	_, err := c.Send(ctx, fc.URL(), "a:c", msg("x"))
	cerr := connectorErr(t, err)
	if !errors.Is(err, context.Canceled) || cerr.Status != 429 || cerr.RetryAfter != 30*time.Second {
		t.Errorf("error %v (%+v); want the 429 with Retry-After 30s, wrapping context.Canceled", err, cerr)
	}
	if n := len(fc.Calls()); n != 1 {
		t.Errorf("connector got %d calls; want 1", n)
	}
}

func TestConnectorContextDone(t *testing.T) {
	fc := startConnector(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fastConnector(nil).Send(ctx, fc.URL(), "a:c", msg("x"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v; want context.Canceled", err)
	}
}

func TestConnectorTokenError(t *testing.T) {
	fc := startConnector(t)
	boom := errors.New("AADSTS7000215: invalid client secret")
	_, err := fastConnector(&stubTokens{err: boom}).Send(context.Background(), fc.URL(), "a:c", msg("x"))
	if !errors.Is(err, boom) {
		t.Fatalf("Send: %v; want the token source's error", err)
	}
	if n := len(fc.Calls()); n != 0 {
		t.Errorf("connector got %d calls without a token; want 0", n)
	}
}

func TestConnectorBadServiceURL(t *testing.T) {
	for _, u := range []string{"", "not a url", "ftp://files.example/", "http://", "://x", "https//missing-colon", "javascript:alert(1)", "https://[::1"} {
		_, err := fastConnector(nil).Send(context.Background(), u, "a:c", msg("x"))
		if err == nil {
			t.Errorf("Send to serviceUrl %q succeeded", u)
			continue
		}
		connectorErr(t, err)
	}
}

// A serviceUrl that cannot be parsed will not parse later either, so the
// send worker must not retry it for hours.
func TestConnectorBadServiceURLIsFinal(t *testing.T) {
	_, err := fastConnector(nil).Send(context.Background(), "not a url", "a:c", msg("x"))
	if err == nil || IsTemporary(err) {
		t.Errorf("Send to a bad serviceUrl: %v, IsTemporary %v; want a final error", err, IsTemporary(err))
	}
}

func TestConnectorBadResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"id":`))
	}))
	defer srv.Close()
	_, err := fastConnector(nil).Send(context.Background(), srv.URL, "a:c", msg("x"))
	if cerr := connectorErr(t, err); cerr.Status != 200 || !strings.Contains(err.Error(), "decode") {
		t.Errorf("Send with a truncated 200 answer: %v; want a decode error", err)
	}

	// 202 with no body is success.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer srv2.Close()
	if _, err := fastConnector(nil).Send(context.Background(), srv2.URL, "a:c", msg("x")); err != nil {
		t.Errorf("Send answered 202 without a body: %v", err)
	}
}

func TestConnectorErrorText(t *testing.T) {
	tests := []struct {
		err  *ConnectorError
		want string
	}{
		{&ConnectorError{Op: "reply", Status: 403, Code: "BotNotInConversationRoster", Message: "The bot is not part of the conversation roster."},
			"connector reply: 403 BotNotInConversationRoster: The bot is not part of the conversation roster."},
		{&ConnectorError{Op: "send", Err: errors.New("dial tcp: refused")}, "connector send: dial tcp: refused"},
		{&ConnectorError{Op: "update", Status: 502}, "connector update: 502"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Now()
	date := func(d time.Duration) string { return now.Add(d).UTC().Format(http.TimeFormat) }
	tests := []struct {
		header   string
		min, max time.Duration
	}{
		{"", 0, 0},
		{"0", 0, 0},
		{"1", time.Second, time.Second},
		{" 5 ", 5 * time.Second, 5 * time.Second},
		{"59", 59 * time.Second, 59 * time.Second},
		{"61", time.Minute, time.Minute},
		{"3600", time.Minute, time.Minute},
		{"-3", 0, 0},
		{"1.5", 0, 0},
		{"soon", 0, 0},
		{"0x10", 0, 0},
		{"9223372037", time.Minute, time.Minute},  // seconds whose nanoseconds do not fit in int64
		{"18446744074", time.Minute, time.Minute}, // ... and wrap to a small positive value
		{"99999999999999999999", 0, time.Minute},  // not an int at all
		{date(30 * time.Second), 28 * time.Second, 30 * time.Second},
		{date(-time.Hour), 0, 0},
		{date(24 * time.Hour), time.Minute, time.Minute},
		{now.Add(20 * time.Second).UTC().Format(time.RFC850), 18 * time.Second, 20 * time.Second},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.header); got < tc.min || got > tc.max {
			t.Errorf("retryAfter(%q) = %s; want %s to %s", tc.header, got, tc.min, tc.max)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &Connector{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt := 1; attempt <= 70; attempt++ {
		limit := min(100*time.Millisecond<<(attempt-1), time.Second)
		if attempt > 10 {
			limit = time.Second
		}
		for range 20 {
			if d := c.backoff(attempt); d <= 0 || d > limit+time.Millisecond {
				t.Fatalf("backoff(%d) = %s; want in (0, %s]", attempt, d, limit+time.Millisecond)
			}
		}
	}
	def := &Connector{}
	if d := def.backoff(1); d <= 0 || d > 501*time.Millisecond {
		t.Errorf("default backoff(1) = %s; want in (0, 501ms]", d)
	}
}
