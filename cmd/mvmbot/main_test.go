package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

const (
	testAppID  = "11111111-2222-3333-4444-555555555555"
	testTenant = "99999999-8888-7777-6666-555555555555"
)

// TestMain trusts the fake Entra authority's certificate the way a
// deployment would trust a private CA: SSL_CERT_FILE, read once by Go's
// crypto/x509 when it first loads the system roots. Every httptest TLS server
// shares one certificate, so one file serves all tests.
func TestMain(m *testing.M) {
	a, err := fakes.NewAuthority()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "mvmbot-ca")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := a.WriteCA(ca); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	a.Close()
	os.Setenv("SSL_CERT_FILE", ca)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is a test's configuration, read by Main through Getenv.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// running is a Main serving in the background.
type running struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `mvmbot serve` with e and waits until it listens.
func start(t *testing.T, e env) *running {
	t.Helper()
	return startWith(t, e, nil)
}

// startWith is start with the Main that runs adjusted by tweak (test
// hooks: SitePoll, Now).
func startWith(t *testing.T, e env, tweak func(*Main)) *running {
	t.Helper()
	if e["PORT"] == "" {
		e["PORT"] = "0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	listening := make(chan string, 1)
	m := &Main{Getenv: e.get, Stdout: io.Discard, Stderr: r.stderr, OnListen: func(a string) { listening <- a }}
	if tweak != nil {
		tweak(m)
	}
	go func() { r.done <- m.Run(ctx, nil) }()
	select {
	case r.addr = <-listening:
	case err := <-r.done:
		cancel()
		t.Fatalf("serve ended before listening: %v\n%s", err, r.stderr)
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 15s\n%s", r.stderr)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop sends the equivalent of SIGTERM and returns Run's result.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop within 20s\n%s", r.stderr)
	}
	return nil
}

type world struct {
	issuer    *fakes.Issuer
	authority *fakes.Authority
	conn      *fakes.Connector
	dbPath    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	issuer, err := fakes.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	authority, err := fakes.NewAuthority()
	if err != nil {
		t.Fatal(err)
	}
	conn := fakes.NewConnector()
	t.Cleanup(func() { issuer.Close(); authority.Close(); conn.Close() })
	return &world{issuer: issuer, authority: authority, conn: conn, dbPath: filepath.Join(t.TempDir(), "mvmbot.db")}
}

// authEnv configures a single-tenant bot against the fakes.
func (w *world) authEnv() env {
	return env{
		"MicrosoftAppId":       testAppID,
		"MicrosoftAppPassword": "placeholder-secret",
		"MicrosoftAppTenantId": testTenant,
		"BotOpenIdMetadata":    w.issuer.MetadataURL(),
		"AZURE_AUTHORITY_HOST": w.authority.URL(),
		"MVMBOT_DB":            w.dbPath,
		"MVMBOT_LOG_FORMAT":    "json",
	}
}

func (w *world) message(id, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "message", "id": id, "channelId": "msteams", "serviceUrl": w.conn.URL(),
		"timestamp":    "2026-11-23T10:00:00.000Z",
		"from":         map[string]any{"id": "29:user-1", "name": "Pat"},
		"recipient":    map[string]any{"id": "28:" + testAppID, "name": "mvmbot"},
		"conversation": map[string]any{"id": "a:conv-1", "conversationType": "personal", "tenantId": testTenant},
		"channelData":  map[string]any{"tenant": map[string]any{"id": testTenant}},
		"text":         text,
	})
	return b
}

func post(t *testing.T, addr string, body io.Reader, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/messages", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeWithAuth runs the whole path as in production: a token signed by
// the (fake) Bot Framework key, the reply posted to the connector with a
// token azidentity got from the (fake, TLS) Entra authority.
func TestServeWithAuth(t *testing.T) {
	w := newWorld(t)
	r := start(t, w.authEnv())
	token, err := w.issuer.Token(testAppID, w.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if status := post(t, r.addr, bytes.NewReader(w.message(fmt.Sprintf("m%d", i), "hello")), token); status != 200 {
			t.Fatalf("message %d: status %d\n%s", i, status, r.stderr)
		}
	}
	if status := post(t, r.addr, bytes.NewReader(w.message("forged", "hello")), ""); status != 401 {
		t.Errorf("no token: status %d, want 401", status)
	}
	calls := w.conn.WaitCalls(3, 15*time.Second)
	if len(calls) != 3 {
		t.Fatalf("%d replies reached the connector, want 3\n%s", len(calls), r.stderr)
	}
	for _, c := range calls {
		if !strings.HasPrefix(c.Authorization, "Bearer fake-connector-token-") {
			t.Errorf("reply carried Authorization %q, want the authority's token", c.Authorization)
		}
	}
	if n := w.authority.TokenRequests(); n != 1 {
		t.Errorf("%d token requests for 3 replies; azidentity should cache the token", n)
	}
	path, form := w.authority.LastRequest()
	// MSAL adds "openid offline_access profile" to every scope it asks for.
	if path != "/"+testTenant+"/oauth2/v2.0/token" || !strings.Contains(form["scope"], "https://api.botframework.com/.default") ||
		form["client_id"] != testAppID || form["grant_type"] != "client_credentials" {
		t.Errorf("token request %s %v", path, form)
	}
	if n := w.issuer.MetadataFetches(); n != 1 {
		t.Errorf("%d OpenID metadata fetches, want 1", n)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("serve returned %v after shutdown, want nil", err)
	}
	if strings.Contains(r.stderr.String(), "placeholder-secret") || strings.Contains(r.stderr.String(), token) {
		t.Error("a secret or token reached the log")
	}
}

// TestShutdownFinishesInFlight stops the bot while a request's body is
// still arriving: the request completes, then serve returns nil.
func TestShutdownFinishesInFlight(t *testing.T) {
	w := newWorld(t)
	r := start(t, env{"MVMBOT_DB": w.dbPath})
	body := w.message("slow-1", "hello")
	pr, pw := io.Pipe()
	status := make(chan int, 1)
	go func() { status <- post(t, r.addr, pr, "") }()
	pw.Write(body[:20])
	time.Sleep(100 * time.Millisecond) // let the request reach the handler
	stopped := make(chan error, 1)
	go func() { stopped <- r.stop(t) }()
	time.Sleep(100 * time.Millisecond)
	pw.Write(body[20:])
	pw.Close()
	if s := <-status; s != 200 {
		t.Errorf("in-flight request: status %d, want 200", s)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serve returned %v, want nil", err)
	}
	// The reply was committed as a job before the answer; whether or not it
	// was sent before the stop, it is in the file and not lost.
	db, err := store.Open(w.dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, _ := db.Processed(context.Background(), "msteams|a:conv-1|slow-1"); !ok {
		t.Error("in-flight activity not recorded")
	}
}

// TestRestartKeepsJobsAndReferences leaves a reference and a due job in the
// file, restarts, and sees the job delivered.
func TestRestartKeepsJobsAndReferences(t *testing.T) {
	w := newWorld(t)
	r := start(t, env{"MVMBOT_DB": w.dbPath})
	if s := post(t, r.addr, bytes.NewReader(w.message("r1", "hello")), ""); s != 200 {
		t.Fatalf("status %d", s)
	}
	w.conn.WaitCalls(1, 10*time.Second)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(w.dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := db.Ref(context.Background(), "a:conv-1")
	if err != nil {
		t.Fatalf("reference lost across restart: %v", err)
	}
	args, _ := json.Marshal(map[string]any{
		"op": "send", "serviceUrl": ref.ServiceURL, "conversationId": ref.ConversationID,
		"activity": bot.Outgoing{Type: "message", Text: "left over from before the restart"},
	})
	if _, err := db.Enqueue(context.Background(), playbook.Job{Kind: bot.KindSend, Args: args}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	start(t, env{"MVMBOT_DB": w.dbPath})
	calls := w.conn.WaitCalls(2, 15*time.Second)
	if len(calls) != 2 || !strings.Contains(string(calls[1].Body), "left over") {
		t.Fatalf("job from before the restart not delivered: %d calls", len(calls))
	}
}

func TestSecondProcessOnSameDatabase(t *testing.T) {
	w := newWorld(t)
	start(t, env{"MVMBOT_DB": w.dbPath})
	m := &Main{Getenv: env{"MVMBOT_DB": w.dbPath, "PORT": "0"}.get, Stdout: io.Discard, Stderr: io.Discard}
	done := make(chan error, 1)
	go func() { done <- m.Run(context.Background(), []string{"serve"}) }()
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("second serve: %v; want a clear in-use error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second serve on a locked database hangs")
	}
}

func TestBackupWhileServing(t *testing.T) {
	w := newWorld(t)
	r := start(t, env{"MVMBOT_DB": w.dbPath})
	post(t, r.addr, bytes.NewReader(w.message("b1", "hello")), "")
	out := filepath.Join(t.TempDir(), "copy.db")
	var stdout bytes.Buffer
	m := &Main{Getenv: env{"MVMBOT_DB": w.dbPath}.get, Stdout: &stdout, Stderr: io.Discard}
	if err := m.Run(context.Background(), []string{"backup", "--out", out}); err != nil {
		t.Fatalf("backup while serving: %v", err)
	}
	r.stop(t)
	db, err := store.Open(out, nil)
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer db.Close()
	if _, ok, _ := db.Processed(context.Background(), "msteams|a:conv-1|b1"); !ok {
		t.Error("backup lacks the processed activity")
	}
	// And with nobody serving, straight from the file.
	out2 := filepath.Join(t.TempDir(), "copy2.db")
	if err := m.Run(context.Background(), []string{"backup", "--out", out2}); err != nil {
		t.Fatalf("backup of an idle database: %v", err)
	}
}

func TestCommandLine(t *testing.T) {
	appID := testAppID
	tests := []struct {
		name    string
		args    []string
		env     env
		wantErr string // "" for success
		wantOut string
	}{
		{"version", []string{"version"}, env{}, "", "mvmbot "},
		{"help lists variables", []string{"help"}, env{}, "", "MVMBOT_ORGANIZER"},
		{"help lists commands", []string{"--help"}, env{}, "", "mvmbot package"},
		{"unknown command", []string{"frobnicate"}, env{}, `unknown command "frobnicate"`, ""},
		{"serve with arguments", []string{"serve", "extra"}, env{}, "takes no arguments", ""},
		{"bad port", []string{"serve"}, env{"PORT": "eighty"}, "PORT", ""},
		{"bad log format", []string{"serve"}, env{"MVMBOT_LOG_FORMAT": "xml"}, "MVMBOT_LOG_FORMAT", ""},
		{"public URL not https", []string{"serve"}, env{"MVMBOT_PUBLIC_URL": "http://mvmbot.contoso.com"}, "MVMBOT_PUBLIC_URL", ""},
		{"public URL relative", []string{"serve"}, env{"MVMBOT_PUBLIC_URL": "/bot"}, "MVMBOT_PUBLIC_URL", ""},
		{"bad app type", []string{"serve"}, env{"MicrosoftAppId": appID, "MicrosoftAppType": "Sometimes"}, "MicrosoftAppType", ""},
		{"single tenant without secret", []string{"serve"}, env{"MicrosoftAppId": appID, "MicrosoftAppTenantId": testTenant, "BotOpenIdMetadata": "http://127.0.0.1:1/none"}, "MicrosoftAppPassword", ""},
		{"missing db directory", []string{"serve"}, env{"MVMBOT_DB": "/nonexistent/dir/mvmbot.db"}, "/nonexistent/dir", ""},
		{"backup without --out", []string{"backup"}, env{}, "--out", ""},
		{"package with a bad app id", []string{"package", "--app-id", "nope", "--name", "mvmbot", "--out", "/dev/null"}, env{}, "not a GUID", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if tt.env["MVMBOT_DB"] == "" {
				tt.env["MVMBOT_DB"] = filepath.Join(t.TempDir(), "m.db")
			}
			tt.env["PORT"] = orDefault(tt.env["PORT"], "0")
			m := &Main{Getenv: tt.env.get, Stdout: &stdout, Stderr: &stderr}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := m.Run(ctx, tt.args)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Run(%v) = %v", tt.args, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Run(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantOut)
			}
		})
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestPackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "app.zip")
	var stdout bytes.Buffer
	m := &Main{Getenv: env{}.get, Stdout: &stdout, Stderr: io.Discard}
	err := m.Run(context.Background(), []string{"package", "--app-id", testAppID, "--name", "mvmbot", "--out", out, "--domain", "bot.example.com", "--version", "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() == 0 {
		t.Fatalf("package not written: %v", err)
	}
	// The bot reads files attached in the personal chat: supportsFiles.
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var mf struct {
		Bots []struct {
			SupportsFiles bool `json:"supportsFiles"`
		} `json:"bots"`
	}
	if err := json.NewDecoder(f).Decode(&mf); err != nil || len(mf.Bots) != 1 || !mf.Bots[0].SupportsFiles {
		t.Errorf("manifest bots = %+v, %v; want supportsFiles", mf.Bots, err)
	}
	// The manifest's command lists come from the bot's own table.
	cmds := manifestCommands(bot.Commands())
	if len(cmds) == 0 || cmds[0].Title != bot.Commands()[0].Name {
		t.Errorf("manifest commands %+v do not follow the bot's table", cmds)
	}
}

func withGraph(e env, g *fakes.Graph, organizer string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	out["GRAPH_BASE_URL"], out["MVMBOT_ORGANIZER"] = g.URL(), organizer
	return out
}

func TestDoctor(t *testing.T) {
	w := newWorld(t)
	good := w.authEnv()
	g := fakes.NewGraph()
	t.Cleanup(g.Close)
	tests := []struct {
		name     string
		env      env
		prepare  func()
		wantErr  bool
		wantLine string
	}{
		{"all good", good, nil, false, "ok   Bot Connector token"},
		{"local mode", env{"MVMBOT_DB": w.dbPath}, nil, false, "warn app identity"},
		{"secret refused", good, func() { w.authority.FailNext(1) }, true, "FAIL Bot Connector token"},
		{"metadata unreachable", func() env { e := w.authEnv(); e["BotOpenIdMetadata"] = "http://127.0.0.1:1/none"; return e }(), nil, true, "FAIL inbound signing keys"},
		{"no secret", func() env { e := w.authEnv(); delete(e, "MicrosoftAppPassword"); return e }(), nil, true, "FAIL app credential"},
		{"database directory missing", env{"MVMBOT_DB": "/nonexistent/x/mvmbot.db"}, nil, true, "FAIL database"},
		{"organizer readable", withGraph(good, g, "mst@contoso.example"), nil, false, "ok   workshop organizer"},
		{"organizer permission missing", withGraph(good, g, "mst@contoso.example"), func() {
			g.Fail(fakes.GraphFault{Path: "/users/mst@contoso.example/calendar/getSchedule", Status: 403, Code: "ErrorAccessDenied", Message: "Access is denied."})
		}, true, "Calendars.Read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prepare != nil {
				tt.prepare()
			}
			var out bytes.Buffer
			m := &Main{Getenv: tt.env.get, Stdout: &out, Stderr: io.Discard}
			err := m.Run(context.Background(), []string{"doctor"})
			if (err != nil) != tt.wantErr {
				t.Errorf("doctor error = %v, want error %v\n%s", err, tt.wantErr, out.String())
			}
			if !strings.Contains(out.String(), tt.wantLine) {
				t.Errorf("doctor output lacks %q:\n%s", tt.wantLine, out.String())
			}
		})
	}
}
