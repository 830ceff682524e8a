package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
	"github.com/mvmbot/mvmbot/store/pgstore"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

func TestStoreConfig(t *testing.T) {
	cases := []struct {
		store, db     string
		wantPath, url string
		wantErr       bool
	}{
		{"", "", "mvmbot.db", "", false},
		{"", "/data/bot.db", "/data/bot.db", "", false},
		{"/data/bot.db", "", "/data/bot.db", "", false},
		{"/data/bot.db", "/data/bot.db", "/data/bot.db", "", false},
		{"/data/a.db", "/data/b.db", "", "", true},
		{"postgres://bot@db.example:5432/mvmbot", "", "mvmbot.db", "postgres://bot@db.example:5432/mvmbot", false},
		{"postgresql://bot@db.example/mvmbot?sslmode=require", "x.db", "x.db", "postgresql://bot@db.example/mvmbot?sslmode=require", false},
	}
	for _, c := range cases {
		cfg, err := loadConfig(env{"MVMBOT_STORE": c.store, "MVMBOT_DB": c.db}.get)
		if (err != nil) != c.wantErr {
			t.Errorf("MVMBOT_STORE=%q MVMBOT_DB=%q: error %v, want error %v", c.store, c.db, err, c.wantErr)
			continue
		}
		if err == nil && (cfg.DBPath != c.wantPath || cfg.PostgresURL != c.url) {
			t.Errorf("MVMBOT_STORE=%q MVMBOT_DB=%q: bbolt %q postgres %q, want %q %q", c.store, c.db, cfg.DBPath, cfg.PostgresURL, c.wantPath, c.url)
		}
	}
}

// groupMessage is a message from member in the group chat conv.
func (w *world) groupMessage(id, member, conv, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "message", "id": id, "channelId": "msteams", "serviceUrl": w.conn.URL(),
		"timestamp":    "2026-11-23T10:00:00.000Z",
		"from":         map[string]any{"id": member, "name": "Cy Customer"},
		"recipient":    map[string]any{"id": "28:" + testAppID, "name": "mvmbot"},
		"conversation": map[string]any{"id": conv, "conversationType": "groupChat", "isGroup": true, "tenantId": testTenant},
		"channelData":  map[string]any{"tenant": map[string]any{"id": testTenant}},
		"text":         "<at>mvmbot</at> " + text,
	})
	return b
}

// replyTo posts a message in local mode and returns the text and cards of
// the reply the connector receives.
func replyTo(t *testing.T, w *world, r *running, body []byte) string {
	t.Helper()
	before := len(w.conn.WaitCalls(0, 0))
	if s := post(t, r.addr, bytes.NewReader(body), ""); s != 200 {
		t.Fatalf("status %d\n%s", s, r.stderr)
	}
	calls := w.conn.WaitCalls(before+1, 15*time.Second)
	if len(calls) <= before {
		t.Fatalf("no reply\n%s", r.stderr)
	}
	var out struct {
		Text        string          `json:"text"`
		Attachments json.RawMessage `json:"attachments"`
	}
	if err := json.Unmarshal(calls[before].Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Text + string(out.Attachments)
}

// TestMigrateStoreThenServe copies a bbolt file into PostgreSQL with
// migrate-store, and the bot on PostgreSQL then answers status, history,
// questionnaire show and issues exactly as the bot on the file did.
func TestMigrateStoreThenServe(t *testing.T) {
	pg := pgtest.Schema(t)
	path, _ := exportDB(t)
	conv := "19:export@thread.v2"
	asks := []string{"status", "history", "questionnaire show", "issues"}

	w := newWorld(t)
	r := start(t, env{"MVMBOT_DB": path})
	var onFile []string
	for i, ask := range asks {
		onFile = append(onFile, replyTo(t, w, r, w.groupMessage(fmt.Sprintf("f%d", i), "29:cy", conv, ask)))
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(onFile[3], "Calendar did not sync") {
		t.Fatalf("issues on bbolt does not list the issue: %s", onFile[3])
	}

	// A customer half-way through the questionnaire: the draft moves too.
	draft := playbook.QuestionnaireDraft{Answers: playbook.Answers{"customer-name": "Contoso"}, By: "29:cy", At: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC), Rev: 1}
	file, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := file.PutQuestionnaireDraft(t.Context(), "e-export", draft); err != nil {
		t.Fatal(err)
	}
	file.Close()

	var out bytes.Buffer
	m := &Main{Getenv: env{}.get, Stdout: &out, Stderr: io.Discard}
	if err := m.Run(t.Context(), []string{"migrate-store", "--from", path, "--to", pg}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 engagements") || !strings.Contains(out.String(), "1 questionnaire drafts") ||
		!strings.Contains(out.String(), "2 questionnaire versions, 2 issues") || !strings.Contains(out.String(), "counts verified") {
		t.Errorf("migrate-store said %q", out.String())
	}
	dst, err := pgstore.Open(t.Context(), pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.QuestionnaireDraft(t.Context(), "e-export")
	dst.Close()
	if err != nil || got == nil || got.Answers["customer-name"] != "Contoso" || got.Rev != 1 {
		t.Errorf("the draft on PostgreSQL: %+v, %v", got, err)
	}
	// Into a database that is no longer empty: refused.
	if err := m.Run(t.Context(), []string{"migrate-store", "--from", path, "--to", pg}); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("second migrate-store = %v, want a refusal naming an empty database", err)
	}

	r = start(t, env{"MVMBOT_STORE": pg})
	for i, ask := range asks {
		// Ids the file did not see: the copied dedup records would answer
		// the old ones with the old result.
		got := replyTo(t, w, r, w.groupMessage(fmt.Sprintf("p%d", i), "29:cy", conv, ask))
		if got != onFile[i] {
			t.Errorf("%s on PostgreSQL:\n%s\nwant, as on bbolt:\n%s", ask, got, onFile[i])
		}
	}
}

// TestReplicasApplyOnce runs two bots on one database: an activity Teams
// delivers to both is answered once, and each replica serves the other's
// conversations.
func TestReplicasApplyOnce(t *testing.T) {
	pg := pgtest.Schema(t)
	w := newWorld(t)
	a := start(t, env{"MVMBOT_STORE": pg})
	b := start(t, env{"MVMBOT_STORE": pg})
	var wg sync.WaitGroup
	for i := range 5 {
		body := w.message(fmt.Sprintf("twice-%d", i), "hello")
		for _, r := range []*running{a, b} {
			wg.Go(func() {
				if s := post(t, r.addr, bytes.NewReader(body), ""); s != 200 {
					t.Errorf("status %d", s)
				}
			})
		}
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // a second reply, were there one, would be out by now
	if calls := w.conn.WaitCalls(5, 10*time.Second); len(calls) != 5 {
		t.Errorf("%d replies to 5 activities each delivered to two replicas, want 5", len(calls))
	}
	db, err := pgstore.Open(context.Background(), pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := range 5 {
		if _, ok, _ := db.Processed(t.Context(), fmt.Sprintf("msteams|a:conv-1|twice-%d", i)); !ok {
			t.Errorf("activity twice-%d not recorded", i)
		}
	}
}

// TestDoctorPostgres reports the database's schema and the role's grants.
func TestDoctorPostgres(t *testing.T) {
	pg := pgtest.Schema(t)
	var out bytes.Buffer
	m := &Main{Getenv: env{"MVMBOT_STORE": pg}.get, Stdout: &out, Stderr: io.Discard}
	_ = m.Run(t.Context(), []string{"doctor"})
	if !strings.Contains(out.String(), "ok   database:") || !strings.Contains(out.String(), "serve will migrate it to") {
		t.Errorf("doctor on a new database:\n%s", out.String())
	}
	if strings.Contains(out.String(), "password") {
		t.Errorf("doctor output mentions a password:\n%s", out.String())
	}
	db, err := pgstore.Open(t.Context(), pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	out.Reset()
	_ = m.Run(t.Context(), []string{"doctor"})
	if !strings.Contains(out.String(), "privileges complete") {
		t.Errorf("doctor on a migrated database:\n%s", out.String())
	}
	m.Getenv = env{"MVMBOT_STORE": "postgres://nobody@127.0.0.1:1/none"}.get
	out.Reset()
	if err := m.Run(t.Context(), []string{"doctor"}); err == nil || !strings.Contains(out.String(), "FAIL database") {
		t.Errorf("doctor on an unreachable database = %v:\n%s", err, out.String())
	}
}

// TestServeWithAuthOnPostgres is TestServeWithAuth's path on PostgreSQL:
// signed tokens in, replies out through the connector, a redelivery
// answered once, a request without a token refused.
func TestServeWithAuthOnPostgres(t *testing.T) {
	e := newWorld(t)
	cfg := e.authEnv()
	cfg["MVMBOT_STORE"] = pgtest.Schema(t)
	r := start(t, cfg)
	token, err := e.issuer.Token(testAppID, e.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"m0", "m1", "m2", "m1"} {
		if status := post(t, r.addr, bytes.NewReader(e.message(id, "hello")), token); status != 200 {
			t.Fatalf("message %s: status %d\n%s", id, status, r.stderr)
		}
	}
	if status := post(t, r.addr, bytes.NewReader(e.message("forged", "hello")), ""); status != 401 {
		t.Errorf("no token: status %d, want 401", status)
	}
	if calls := e.conn.WaitCalls(3, 15*time.Second); len(calls) != 3 {
		t.Fatalf("%d replies, want 3\n%s", len(calls), r.stderr)
	}
	time.Sleep(300 * time.Millisecond)
	if calls := e.conn.WaitCalls(0, 0); len(calls) != 3 {
		t.Errorf("%d replies after a redelivery, want 3", len(calls))
	}
	if err := r.stop(t); err != nil {
		t.Errorf("serve returned %v after shutdown, want nil", err)
	}
}

// TestPostgresEntraToken: a URL to Azure Database for PostgreSQL without a
// password gets, per connection, an Entra token for the database scope
// from the bot's credential; a password URL, or another host, does not.
func TestPostgresEntraToken(t *testing.T) {
	w := newWorld(t)
	base := w.authEnv()
	for _, c := range []struct {
		url   string
		entra bool
	}{
		{"postgres://mvmbot-id@mvmbot-pg.postgres.database.azure.com:5432/mvmbot?sslmode=require", true},
		{"postgres://mvmbot:placeholder@mvmbot-pg.postgres.database.azure.com:5432/mvmbot", false},
		{"postgres://mvmbot@db.internal.example:5432/mvmbot", false},
	} {
		e := env{}
		for k, v := range base {
			e[k] = v
		}
		e["MVMBOT_STORE"] = c.url
		cfg, err := loadConfig(e.get)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := postgresOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if (opts.Password != nil) != c.entra {
			t.Errorf("%s: Entra token %v, want %v", c.url, opts.Password != nil, c.entra)
			continue
		}
		if !c.entra {
			continue
		}
		tok, err := opts.Password(t.Context())
		if err != nil || tok == "" {
			t.Fatalf("token: %q, %v", tok, err)
		}
		if _, form := w.authority.LastRequest(); !strings.Contains(form["scope"], entraScope) {
			t.Errorf("token asked for scope %q, want %s", form["scope"], entraScope)
		}
	}
}
