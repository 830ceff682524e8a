package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/internal/schema"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
	"github.com/mvmbot/mvmbot/store/pgstore"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

const testAppID = "11111111-2222-3333-4444-555555555555"

// harness is a bot server on a real listener with a real bbolt file, a
// fake connector to reply to, and, with auth on, a fake token issuer.
type harness struct {
	t      testing.TB
	url    string
	db     harnessStore
	conn   *fakes.Connector
	issuer *fakes.Issuer
	runner *bot.Runner
	srv    *bot.Server
}

type harnessOpts struct {
	auth    bool
	handler bot.Handler
	now     func() time.Time // the conversation's clock; nil: time.Now
	inline  bool             // answer read-only turns inline, as serve does
	log     io.Writer        // the server's and runner's log, as text at debug level; nil: discarded
	// runner, when set, changes the runner before it starts (its clock,
	// more workers).
	runner func(r *bot.Runner, db harnessStore)
	// storeNow is the store's clock; nil: time.Now.
	storeNow func() time.Time
	// postgres runs the harness on PostgreSQL (a schema of its own in
	// MVMBOT_TEST_POSTGRES), as a replica does: the server records
	// inline answers first (RecordFirst). False: bbolt in t.TempDir().
	postgres bool
}

// harnessStore is what the harness and the tests use of either backend;
// cmd/mvmbot's serve needs the same.
type harnessStore interface {
	bot.TurnStore
	bot.EngagementReader
	bot.JobStore
	bot.WorkerStore
	bot.ReportSource
	bot.DraftStore
	Ref(ctx context.Context, key string) (playbook.ConversationRef, error)
	Refs(ctx context.Context) ([]playbook.ConversationRef, error)
	Pending(ctx context.Context) (int, error)
	Dead(ctx context.Context) ([]playbook.Job, error)
	Close() error
}

// openHarnessStore opens the backend o asks for, closed by newHarness's
// cleanup.
func openHarnessStore(t testing.TB, o harnessOpts) harnessStore {
	t.Helper()
	if o.postgres {
		conn := pgtest.Schema(t)
		db, err := pgstore.Open(context.Background(), conn, &pgstore.Options{Now: o.storeNow})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "mvmbot.db"), &store.Options{Now: o.storeNow})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// onBoth runs test on bbolt and on PostgreSQL, as subtests named for the
// backend. The PostgreSQL one is skipped without MVMBOT_TEST_POSTGRES
// (and fails under CI=true: see pgtest).
func onBoth(t *testing.T, test func(t *testing.T, postgres bool)) {
	t.Run("bbolt", func(t *testing.T) { test(t, false) })
	t.Run("postgres", func(t *testing.T) { test(t, true) })
}

// routes mounts srv as cmd/mvmbot does.
func routes(srv *bot.Server, engagements bot.EngagementReader) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/messages", srv.ServeMessages)
	mux.HandleFunc("GET /healthz", srv.ServeHealth)
	mux.HandleFunc("GET /readyz", srv.ServeReady)
	mux.HandleFunc("GET /api/reports/{file}", srv.ServeReport)
	mux.HandleFunc("GET /ics/{token}", bot.ServeICS(engagements))
	return srv.Recover(mux)
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	db := openHarnessStore(t, o)
	conn := fakes.NewConnector()
	log := slog.New(slog.DiscardHandler)
	if o.log != nil {
		log = slog.New(slog.NewTextHandler(o.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	runner := &bot.Runner{
		Store:   db,
		Workers: map[string]bot.WorkFunc{bot.KindSend: bot.NewSendWorker(&botframework.Connector{BaseDelay: time.Millisecond}, nil)},
		Log:     log,
	}
	if o.runner != nil {
		o.runner(runner, db)
	}
	runner.Start()
	h := &harness{t: t, db: db, conn: conn, runner: runner}
	handler := o.handler
	if handler == nil {
		// The roster is read through a real Connector from the fake one.
		roster := &botframework.Connector{BaseDelay: time.Millisecond, MaxAttempts: 1}
		handler = bot.Conversation{Engagements: db, Roster: roster, Refs: db, Now: o.now, Drafts: db}
	}
	srv := &bot.Server{Store: db, Handler: handler, Runner: runner, Log: log, Reports: db}
	if o.inline {
		srv.Inline = &botframework.Connector{BaseDelay: time.Millisecond}
	}
	srv.RecordFirst = o.postgres
	h.srv = srv
	if o.auth {
		issuer, err := fakes.NewIssuer()
		if err != nil {
			t.Fatal(err)
		}
		h.issuer = issuer
		keys := &botframework.OpenIDKeys{MetadataURL: issuer.MetadataURL()}
		if err := keys.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		srv.Auth = botframework.NewTokenValidator(testAppID, keys, nil)
	}
	hs := httptest.NewServer(routes(srv, db))
	h.url = hs.URL
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
		conn.Close()
		if h.issuer != nil {
			h.issuer.Close()
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// testBotName is the app's name in these tests: not "mvmbot", so that a
// text naming the bot otherwise than Teams shows it is seen.
const testBotName = "Contoso Onboarding"

// message returns a Teams-shaped personal-chat message activity.
func (h *harness) message(id, text string) map[string]any {
	return map[string]any{
		"type":         "message",
		"id":           id,
		"timestamp":    "2026-11-23T10:00:00.000Z",
		"serviceUrl":   h.conn.URL(),
		"channelId":    "msteams",
		"from":         map[string]any{"id": "29:user-1", "name": "Pat Partner", "aadObjectId": "aad-1"},
		"conversation": map[string]any{"id": "a:conv-1", "conversationType": "personal", "tenantId": "tenant-1"},
		"recipient":    map[string]any{"id": "28:" + testAppID, "name": testBotName},
		"text":         text,
		"channelData":  map[string]any{"tenant": map[string]any{"id": "tenant-1"}},
	}
}

func (h *harness) invoke(id, verb string) map[string]any {
	a := h.message(id, "")
	a["type"] = "invoke"
	a["name"] = "adaptiveCard/action"
	a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": map[string]any{}}, "trigger": "manual"}
	delete(a, "text")
	return a
}

func (h *harness) token() string {
	h.t.Helper()
	tok, err := h.issuer.Token(testAppID, h.conn.URL(), time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return "Bearer " + tok
}

// post sends body (raw bytes or a value to encode) and returns status and
// response body.
func (h *harness) post(body any, auth string) (int, []byte) {
	h.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			h.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/messages", bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// pending waits until the job queue is empty, so that every reply a test
// triggered has reached the connector.
func (h *harness) drain() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		n, err := h.db.Pending(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatal("jobs still pending after 10s")
}

func TestMessageGetsReply(t *testing.T) { onBoth(t, testMessageGetsReply) }

func testMessageGetsReply(t *testing.T, postgres bool) {
	tests := []struct {
		text     string
		wantText string // substring of the reply text; "" when a card is expected
	}{
		{"hello", "is running. Type **next** for your tasks"},
		{"<at>" + testBotName + "</at> HELP ", ""},
		{"help", ""},
	}
	h := newHarness(t, harnessOpts{postgres: postgres})
	for i, tt := range tests {
		status, _ := h.post(h.message(fmt.Sprintf("act-%d", i), tt.text), "")
		if status != http.StatusOK {
			t.Fatalf("POST %q: status %d, want 200", tt.text, status)
		}
		calls := h.conn.WaitCalls(i+1, 10*time.Second)
		if len(calls) != i+1 {
			t.Fatalf("after %q: %d connector calls, want %d", tt.text, len(calls), i+1)
		}
		c := calls[i]
		if c.Method != http.MethodPost || c.ActivityID != fmt.Sprintf("act-%d", i) || c.ConversationID != "a:conv-1" {
			t.Errorf("reply to %q went to %s %s", tt.text, c.Method, c.Path)
		}
		act := c.Activity()
		if act["replyToId"] != fmt.Sprintf("act-%d", i) {
			t.Errorf("reply to %q: replyToId = %v", tt.text, act["replyToId"])
		}
		if tt.wantText != "" {
			if got, _ := act["text"].(string); !strings.Contains(got, tt.wantText) {
				t.Errorf("reply to %q = %q, want it to contain %q", tt.text, got, tt.wantText)
			}
			continue
		}
		atts, _ := act["attachments"].([]any)
		if len(atts) != 1 {
			t.Fatalf("reply to %q: %d attachments, want the help card", tt.text, len(atts))
		}
		att := atts[0].(map[string]any)
		if err := schema.ValidateCard(att["content"]); err != nil {
			t.Errorf("help card invalid: %v", err)
		}
		// The bot's name as Teams shows it, in the card and its summary.
		raw, _ := json.Marshal(att["content"])
		if sum, _ := act["summary"].(string); !strings.HasPrefix(sum, testBotName+" — ") || strings.Contains(string(raw), "mvmbot") {
			t.Errorf("help reply: summary %q, card %s", sum, raw)
		}
	}
	ref, err := h.db.Ref(context.Background(), "a:conv-1")
	if err != nil {
		t.Fatalf("conversation reference not stored: %v", err)
	}
	if ref.ServiceURL != h.conn.URL() || ref.TenantID != "tenant-1" || ref.BotID != "28:"+testAppID {
		t.Errorf("stored reference = %+v", ref)
	}
}

func TestBadRequests(t *testing.T) { onBoth(t, testBadRequests) }

func testBadRequests(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{postgres: postgres})
	valid := h.message("x", "hi")
	without := func(field string) map[string]any {
		a := h.message("bad-"+field, "hi")
		delete(a, field)
		return a
	}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantBody   string
	}{
		{"malformed JSON", []byte(`{"type":"message",`), 400, "malformed activity JSON"},
		{"not an object", []byte(`[1,2,3]`), 400, "malformed"},
		{"empty body", []byte(``), 400, "malformed"},
		{"no type", without("type"), 400, "type"},
		{"no id", without("id"), 400, "id"},
		{"no serviceUrl", without("serviceUrl"), 400, "serviceUrl"},
		{"no conversation", without("conversation"), 400, "conversation.id"},
		{"wrong type for text", []byte(strings.Replace(mustJSON(t, valid), `"text":"hi"`, `"text":42`, 1)), 400, "malformed"},
		{"oversized", bytes.Repeat([]byte(" "), bot.MaxBodyBytes+1), 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.post(tt.body, "")
			if status != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("status %d body %s; want %d containing %q", status, body, tt.wantStatus, tt.wantBody)
			}
			if !json.Valid(body) {
				t.Errorf("error body is not JSON: %s", body)
			}
		})
	}
	h.drain()
	if calls := h.conn.Calls(); len(calls) != 0 {
		t.Errorf("bad requests caused %d connector calls", len(calls))
	}
	if refs, _ := h.db.Refs(context.Background()); len(refs) != 0 {
		t.Errorf("bad requests stored %d conversation references", len(refs))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnknownActivityTypeIgnored(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for i, typ := range []string{"typing", "messageReaction", "event", "somethingNew"} {
		a := h.message(fmt.Sprintf("u-%d", i), "")
		a["type"] = typ
		if status, _ := h.post(a, ""); status != http.StatusOK {
			t.Errorf("%s: status %d, want 200", typ, status)
		}
	}
	h.drain()
	if calls := h.conn.Calls(); len(calls) != 0 {
		t.Errorf("ignored types caused %d connector calls", len(calls))
	}
}

func TestRedeliveryAppliedOnce(t *testing.T) { onBoth(t, testRedeliveryAppliedOnce) }

func testRedeliveryAppliedOnce(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{postgres: postgres})
	msg := h.message("dup-1", "hello")
	const n = 16
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = h.post(msg, "")
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("delivery %d: status %d, want 200", i, s)
		}
	}
	h.drain()
	if calls := h.conn.Calls(); len(calls) != 1 {
		t.Fatalf("%d deliveries of one activity made %d replies, want 1", n, len(calls))
	}

	// An invoke's duplicate gets the very same answer.
	inv := h.invoke("inv-1", "help")
	s1, b1 := h.post(inv, "")
	s2, b2 := h.post(inv, "")
	if s1 != http.StatusOK || s2 != s1 || !bytes.Equal(b1, b2) {
		t.Errorf("invoke redelivery: %d %s then %d %s", s1, b1, s2, b2)
	}
}

func TestInvokeAnsweredInResponse(t *testing.T) { onBoth(t, testInvokeAnsweredInResponse) }

func testInvokeAnsweredInResponse(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{postgres: postgres})
	tests := []struct {
		name       string
		act        map[string]any
		wantStatus int    // HTTP
		wantCode   int    // body statusCode; 0 for no body
		wantType   string // body type
	}{
		{"help card", h.invoke("i1", "help"), 200, 200, "application/vnd.microsoft.card.adaptive"},
		{"unknown verb", h.invoke("i2", "launchRockets"), 200, 400, "application/vnd.microsoft.error"},
		{"other invoke", func() map[string]any { a := h.invoke("i3", "x"); a["name"] = "task/fetch"; return a }(), 501, 0, ""},
		{"submit instead of execute", func() map[string]any {
			a := h.invoke("i4", "help")
			a["value"] = map[string]any{"action": map[string]any{"type": "Action.Submit"}}
			return a
		}(), 200, 400, "application/vnd.microsoft.error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.post(tt.act, "")
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			if tt.wantCode == 0 {
				return
			}
			var res struct {
				StatusCode int             `json:"statusCode"`
				Type       string          `json:"type"`
				Value      json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if res.StatusCode != tt.wantCode || res.Type != tt.wantType {
				t.Errorf("got statusCode %d type %s, want %d %s", res.StatusCode, res.Type, tt.wantCode, tt.wantType)
			}
			if res.Type == "application/vnd.microsoft.card.adaptive" {
				if err := schema.ValidateCard([]byte(res.Value)); err != nil {
					t.Errorf("card invalid: %v", err)
				}
			}
		})
	}
	h.drain()
	if calls := h.conn.Calls(); len(calls) != 0 {
		t.Errorf("invokes posted %d activities; their answer belongs in the response", len(calls))
	}
}

func TestWelcomeOnInstall(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	a := h.message("cu-1", "")
	a["type"] = "conversationUpdate"
	a["membersAdded"] = []any{map[string]any{"id": "28:" + testAppID}}
	if status, _ := h.post(a, ""); status != 200 {
		t.Fatalf("status %d", status)
	}
	// A person joining is not a reason to greet.
	b := h.message("cu-2", "")
	b["type"] = "conversationUpdate"
	b["membersAdded"] = []any{map[string]any{"id": "29:someone"}}
	h.post(b, "")
	h.drain()
	calls := h.conn.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d posts, want one welcome", len(calls))
	}
	atts, _ := calls[0].Activity()["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatal("welcome has no card")
	}
	if err := schema.ValidateCard(atts[0].(map[string]any)["content"]); err != nil {
		t.Errorf("welcome card invalid: %v", err)
	}
}

type handlerFunc func(ctx context.Context, a *bot.Activity) (bot.Outcome, error)

func (f handlerFunc) Handle(ctx context.Context, a *bot.Activity) (bot.Outcome, error) {
	return f(ctx, a)
}

func TestHandlerPanicIs500AndServerLives(t *testing.T) {
	h := newHarness(t, harnessOpts{handler: handlerFunc(func(ctx context.Context, a *bot.Activity) (bot.Outcome, error) {
		if a.Text == "boom" {
			panic("handler bug")
		}
		return bot.Outcome{}, nil
	})})
	if status, _ := h.post(h.message("p1", "boom"), ""); status != http.StatusInternalServerError {
		t.Errorf("panicking handler: status %d, want 500", status)
	}
	if status, _ := h.post(h.message("p2", "fine"), ""); status != http.StatusOK {
		t.Errorf("after a panic: status %d, want 200", status)
	}
	// The panicked activity was not recorded, so Teams' retry is handled anew.
	if _, ok, _ := h.db.Processed(context.Background(), "msteams|a:conv-1|p1"); ok {
		t.Error("panicked activity recorded as processed")
	}
}

func TestHandlerErrorsBecomeReplies(t *testing.T) {
	h := newHarness(t, harnessOpts{handler: handlerFunc(func(ctx context.Context, a *bot.Activity) (bot.Outcome, error) {
		return bot.Outcome{}, errors.New("database on fire: secret detail")
	})})
	if status, _ := h.post(h.message("e1", "anything"), ""); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	calls := h.conn.WaitCalls(1, 10*time.Second)
	if len(calls) != 1 {
		t.Fatal("no reply to a failed activity")
	}
	text, _ := calls[0].Activity()["text"].(string)
	if strings.Contains(text, "secret detail") || !strings.Contains(text, "went wrong") {
		t.Errorf("internal error reply = %q; want a generic message without internals", text)
	}
}

func TestAuth(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true})
	other := h.message("a0", "hi")
	other["serviceUrl"] = "https://evil.example/"
	tests := []struct {
		name string
		act  map[string]any
		auth string
		want int
	}{
		{"valid", h.message("a1", "hi"), h.token(), 200},
		{"no token", h.message("a2", "hi"), "", 401},
		{"not bearer", h.message("a3", "hi"), "Basic dXNlcjpwYXNz", 401},
		{"garbage", h.message("a4", "hi"), "Bearer not.a.jwt", 401},
		{"serviceUrl differs from claim", other, h.token(), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.post(tt.act, tt.auth)
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			if status == 401 && strings.Contains(string(body), "check") {
				t.Errorf("401 body tells which check failed: %s", body)
			}
		})
	}
	// A refused token is refused before the body is read: garbage JSON
	// still gets 401, not 400.
	if status, _ := h.post([]byte("{"), ""); status != 401 {
		t.Errorf("unauthenticated malformed body: status %d, want 401", status)
	}
	h.drain()
	if calls := h.conn.Calls(); len(calls) != 1 {
		t.Errorf("%d replies, want 1 (for the valid request only)", len(calls))
	}
}

func TestLocalOnlyRefusesOtherPeers(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := &bot.Server{Store: db, Handler: bot.Conversation{}, LocalOnly: true}
	for _, tt := range []struct {
		remote string
		want   int
	}{
		{"10.1.2.3:5555", 403},
		{"192.168.1.5:80", 403},
		{"[2001:db8::1]:443", 403},
		{"127.0.0.1:5555", 200},
		{"[::1]:5555", 200},
	} {
		body := `{"type":"typing","id":"1","serviceUrl":"http://127.0.0.1:1/","conversation":{"id":"c"}}`
		req := httptest.NewRequest(http.MethodPost, "/api/messages", strings.NewReader(body))
		req.RemoteAddr = tt.remote
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		routes(srv, nil).ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("peer %s: status %d, want %d", tt.remote, rec.Code, tt.want)
		}
	}
}

// TestLocalModeRefusesWebPages: in local mode (no tokens) a browser's
// cross-site POST (text/plain, an Origin) is refused before it is read, and
// an activity naming a serviceUrl off this machine is not answered there.
func TestLocalModeRefusesWebPages(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := &bot.Server{Store: db, Handler: bot.Conversation{}, LocalOnly: true}
	const local = `{"type":"typing","id":"1","serviceUrl":"http://127.0.0.1:1/","conversation":{"id":"c"}}`
	for _, tt := range []struct {
		name        string
		contentType string
		origin      string
		body        string
		want        int
	}{
		{"json", "application/json", "", local, 200},
		{"json with charset", "application/json; charset=utf-8", "", local, 200},
		{"localhost serviceUrl", "application/json", "", strings.Replace(local, "127.0.0.1", "localhost", 1), 200},
		{"text/plain simple POST", "text/plain", "", local, 415},
		{"form", "application/x-www-form-urlencoded", "", local, 415},
		{"no content type", "", "", local, 415},
		{"browser origin", "application/json", "https://evil.example", local, 403},
		{"cross-site simple POST", "text/plain", "https://evil.example", local, 403},
		{"remote serviceUrl", "application/json", "", strings.Replace(local, "http://127.0.0.1:1/", "https://evil.example/", 1), 400},
		{"serviceUrl with a loopback user part", "application/json", "", strings.Replace(local, "http://127.0.0.1:1/", "http://127.0.0.1@evil.example/", 1), 400},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/messages", strings.NewReader(tt.body))
		req.RemoteAddr = "127.0.0.1:5555"
		if tt.contentType != "" {
			req.Header.Set("Content-Type", tt.contentType)
		}
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		rec := httptest.NewRecorder()
		routes(srv, nil).ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, rec.Code, tt.want, rec.Body)
		}
	}
}

func TestHealthAndReady(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !json.Valid(body) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
	// Wrong method on the endpoint: 405 from the mux, with Allow.
	resp, err := http.Get(h.url + "/api/messages")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/messages: %d, want 405", resp.StatusCode)
	}
	// Not ready once the store is closed.
	h.db.Close()
	resp, err = http.Get(h.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with a closed store: %d, want 503", resp.StatusCode)
	}
}

// person is someone in the harness's group chat.
type person struct{ id, name, aad string }

// groupChat is the conversation id of the harness's group chat.
const groupChat = "19:group-1@thread.v2"

// groupMessage is a message from p in the group chat, @mentioning the bot
// and, for each of mentions, that person (their <at> tags must be in text).
func (h *harness) groupMessage(id string, p person, text string, mentions ...person) map[string]any {
	a := h.message(id, "<at>mvmbot</at> "+text)
	a["from"] = map[string]any{"id": p.id, "name": p.name, "aadObjectId": p.aad}
	a["conversation"] = map[string]any{"id": groupChat, "conversationType": "groupChat", "isGroup": true, "tenantId": "tenant-1"}
	ents := []any{map[string]any{"type": "mention", "text": "<at>mvmbot</at>", "mentioned": map[string]any{"id": "28:" + testAppID, "name": "mvmbot"}}}
	for _, m := range mentions {
		ents = append(ents, map[string]any{"type": "mention", "text": "<at>" + m.name + "</at>", "mentioned": map[string]any{"id": m.id, "name": m.name}})
	}
	a["entities"] = ents
	return a
}

// groupInvoke is p clicking an Action.Execute button in the group chat.
func (h *harness) groupInvoke(id string, p person, verb string, data any) map[string]any {
	a := h.groupMessage(id, p, "")
	a["type"] = "invoke"
	a["name"] = "adaptiveCard/action"
	a["value"] = map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
	delete(a, "text")
	delete(a, "entities")
	return a
}

// replyTo waits for the bot's reply to activity id and returns it.
func (h *harness) replyTo(id string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range h.conn.Calls() {
			if c.Method == http.MethodPost && c.ActivityID == id {
				return c.Activity()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("no reply to %s", id)
	return nil
}

func TestInlineReplies(t *testing.T) { onBoth(t, testInlineReplies) }

func testInlineReplies(t *testing.T, postgres bool) {
	t.Run("delivered during the request, then recorded", func(t *testing.T) {
		h := newHarness(t, harnessOpts{inline: true, postgres: postgres})
		if status, _ := h.post(h.message("in-1", "help"), ""); status != 200 {
			t.Fatalf("status %d", status)
		}
		// Inline means the reply is there when the POST returns.
		if calls := h.conn.Calls(); len(calls) != 1 || calls[0].ActivityID != "in-1" {
			t.Fatalf("connector calls when the POST returned: %d, want the reply", len(calls))
		}
		h.srv.Wait()
		if _, ok, _ := h.db.Processed(context.Background(), "msteams|a:conv-1|in-1"); !ok {
			t.Error("inline-answered activity not recorded as processed")
		}
		if _, err := h.db.Ref(context.Background(), "a:conv-1"); err != nil {
			t.Errorf("conversation reference not stored: %v", err)
		}
		// A redelivery afterwards gets no second reply.
		h.post(h.message("in-1", "help"), "")
		h.srv.Wait()
		if n := len(h.conn.Calls()); n != 1 {
			t.Errorf("redelivery made %d replies in all, want 1", n)
		}
	})
	t.Run("a slow connector is not a failure", func(t *testing.T) {
		// The connector takes the reply but answers after the turn's 5 s
		// inline time (issue 20): it is posted once, not again by a job.
		h := newHarness(t, harnessOpts{inline: true, postgres: postgres})
		var first sync.Once
		h.conn.OnCall(func(fakes.Call) { first.Do(func() { time.Sleep(7 * time.Second) }) })
		if status, _ := h.post(h.message("in-slow", "help"), ""); status != 200 {
			t.Fatalf("status %d", status)
		}
		h.srv.Wait()
		h.drain()
		time.Sleep(200 * time.Millisecond)
		if n := len(h.conn.Calls()); n != 1 {
			t.Errorf("%d replies posted for one slow answer, want 1", n)
		}
		if n, _ := h.db.Pending(context.Background()); n != 0 {
			t.Errorf("%d jobs pending, want none", n)
		}
	})
	t.Run("connector failure falls back to a durable job", func(t *testing.T) {
		h := newHarness(t, harnessOpts{inline: true, postgres: postgres})
		h.conn.FailNext(http.StatusServiceUnavailable, "")
		if status, _ := h.post(h.message("in-2", "hello"), ""); status != 200 {
			t.Fatalf("status %d", status)
		}
		calls := h.conn.WaitCalls(2, 10*time.Second)
		if len(calls) != 2 || calls[1].ActivityID != "in-2" {
			t.Fatalf("%d connector calls, want the failed one and the job's", len(calls))
		}
		h.drain()
	})
	t.Run("concurrent redeliveries answer once", func(t *testing.T) {
		h := newHarness(t, harnessOpts{inline: true, postgres: postgres})
		msg := h.message("in-3", "status")
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, _ := h.post(msg, ""); status != 200 {
					t.Errorf("status %d", status)
				}
			}()
		}
		wg.Wait()
		h.srv.Wait()
		h.drain()
		if n := len(h.conn.Calls()); n != 1 {
			t.Errorf("16 deliveries made %d replies, want 1", n)
		}
	})
	t.Run("a change is still committed before it is answered", func(t *testing.T) {
		h := newHarness(t, harnessOpts{inline: true, postgres: postgres})
		inv := h.invoke("in-4", "help")
		s1, b1 := h.post(inv, "")
		s2, b2 := h.post(inv, "")
		if s1 != 200 || s2 != 200 || !bytes.Equal(b1, b2) {
			t.Errorf("invokes keep the durable path: %d %s / %d %s", s1, b1, s2, b2)
		}
	})
}
