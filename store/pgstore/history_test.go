package pgstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestMigrateHistoryRows makes a schema-1 database with an engagement as
// schema 1 stored it (its whole history in its doc, no kept entries), then
// opens it: migration 0002 moves the history into rows, the engagement
// reads without it, the override is still listed, and a note appends.
func TestMigrateHistoryRows(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	ctx := t.Context()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:c"}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	for i := range 30 {
		if _, err := playbook.AddNote(e, "29:lead", fmt.Sprintf("note %d", i), storetest.Epoch); err != nil {
			t.Fatal(err)
		}
	}
	e.History = append(e.History, playbook.AuditEntry{At: storetest.Epoch, Actor: "29:lead", Action: playbook.ActionOverride, Task: "events", Detail: "event 1 started early"})
	want := slices.Clone(e.History)
	writeSchema1(t, conn, e)

	db := open(t, conn, storetest.NewClock(storetest.Epoch).Now)
	got, err := db.Engagement(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 0 || got.HistoryBase != len(want) {
		t.Fatalf("after the migration: %d entries in History, HistoryBase %d; want 0, %d", len(got.History), got.HistoryBase, len(want))
	}
	if o := playbook.Overrides(got); len(o) != 1 || o[0].Detail != "event 1 started early" {
		t.Errorf("overrides after the migration: %+v", o)
	}
	h, err := db.History(ctx, "e1", 0, 0)
	if err != nil || len(h) != len(want) {
		t.Fatalf("history after the migration: %d entries, %v; want %d", len(h), err, len(want))
	}
	for i := range h {
		if !h[i].At.Equal(want[i].At) || h[i].Detail != want[i].Detail || h[i].Action != want[i].Action {
			t.Fatalf("entry %d: %+v, want %+v", i, h[i], want[i])
		}
	}
	next := got.Clone()
	if _, err := playbook.AddNote(next, "29:lead", "after", storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	next.Version = 2
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: next, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if h, err := db.History(ctx, "e1", len(want), 0); err != nil || len(h) != 1 || h[0].Detail != "after" {
		t.Errorf("the note after the migration: %+v, %v", h, err)
	}
}

// BenchmarkHistory: a "next steps" and a "note" turn's store work on one
// engagement with 10 and with 10,000 history entries (storetest.BenchHistory).
func BenchmarkHistory(b *testing.B) {
	pgtest.Base(b)
	storetest.BenchHistory(b, func(b *testing.B) storetest.Backend {
		db, err := Open(b.Context(), pgtest.Schema(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}

// writeSchema1 makes the database at conn as the first schema left it,
// holding e (as engagement e1 of conversation 19:c, with its lead as
// member): the starting point of a migration test.
func writeSchema1(t *testing.T, conn string, e *playbook.Engagement) {
	t.Helper()
	ctx := t.Context()
	doc, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	old, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close(ctx)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{ms[0], nil},
		{`CREATE TABLE mvmbot_schema (version integer NOT NULL)`, nil},
		{`INSERT INTO mvmbot_schema VALUES (1)`, nil},
		{`INSERT INTO engagements (id, version, conversation, doc) VALUES ('e1', 1, '19:c', $1)`, []any{string(doc)}},
		{`INSERT INTO engagement_members VALUES ('29:lead', 'e1')`, nil},
	} {
		if _, err := old.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
}
