package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestLoad copies records into an empty database: each kind is there
// after, job IDs continue after the largest, a dedup record answers under
// its key, and a second Load is refused with nothing changed.
func TestLoad(t *testing.T) {
	pgtest.Base(t)
	clock := storetest.NewClock(storetest.Epoch)
	db := open(t, pgtest.Schema(t), clock.Now)
	ctx := t.Context()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:c"}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 7
	storetest.WithBatches(e, 3, storetest.Epoch)  // migrate-store carries the batches
	storetest.WithParts(e, 2, 4, storetest.Epoch) // and the questionnaire versions and issues
	r := &Records{
		Engagements:   []*playbook.Engagement{e},
		Conversations: map[string]string{"19:c": "e1"},
		Refs:          []playbook.ConversationRef{{Key: "19:c", ServiceURL: "https://smba.example/", UpdatedAt: storetest.Epoch}},
		Jobs:          []playbook.Job{{ID: 41, Kind: "post", Key: "k", Args: json.RawMessage(`{"n":1}`), RunAt: storetest.Epoch, CreatedAt: storetest.Epoch, MaxAttempts: 8}},
		Dead:          []playbook.Job{{ID: 40, Kind: "post", RunAt: storetest.Epoch, CreatedAt: storetest.Epoch, Attempt: 8, MaxAttempts: 8, LastError: "gone"}},
		Processed:     []ProcessedRecord{{KeyHash: processedKey("act-1"), Result: playbook.Result{Status: 200, Body: json.RawMessage(`{"x":1}`), At: storetest.Epoch}}},
	}
	if err := db.Load(ctx, r); err != nil {
		t.Fatal(err)
	}
	c, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Engagements: 1, Conversations: 1, Members: 1, History: 1, Refs: 1, Jobs: 1, Dead: 1, Processed: 1, Versions: 2, Issues: 4}); c != want {
		t.Errorf("Counts = %+v, want %+v", c, want)
	}
	got, err := db.EngagementByConversation(ctx, "19:c")
	if err != nil || got.Version != 7 || got.Customer != "Contoso" || len(got.Events) != 2 || len(got.Events[1].Members) != 3 || len(got.Events[1].Outcomes) != 3 ||
		len(got.Questionnaire) != 2 || len(got.Issues) != 4 || got.Issues[3] != e.Issues[3] || got.Questionnaire[1].Answers["notes"] != e.Questionnaire[1].Answers["notes"] {
		t.Fatalf("engagement after load = %+v, %v", got, err)
	}
	if res, ok, err := db.Processed(ctx, "act-1"); err != nil || !ok || string(res.Body) != `{"x":1}` {
		t.Errorf("Processed(act-1) = %+v, %v, %v", res, ok, err)
	}
	more, err := db.Enqueue(ctx, playbook.Job{Kind: "post"})
	if err != nil || len(more) != 1 || more[0].ID <= 41 {
		t.Errorf("Enqueue after load = %+v, %v; want an ID after 41", more, err)
	}
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: func() *playbook.Engagement { n := got.Clone(); n.Version = 8; return n }(), ExpectVersion: 7}); err != nil {
		t.Errorf("saving the loaded engagement from its version: %v", err)
	}
	if err := db.Load(ctx, r); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("second Load = %v, want ErrNotEmpty", err)
	}
}

// TestInspect reads the schema version without migrating, and names the
// privileges a role lacks.
func TestInspect(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	ctx := t.Context()
	in, err := Inspect(ctx, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in.Version != 0 || in.Want != SchemaVersion() || len(in.Missing) != 0 {
		t.Errorf("before Open: %+v, want version 0 and nothing missing", in)
	}
	open(t, conn, time.Now)
	if in, err = Inspect(ctx, conn, nil); err != nil || in.Version != SchemaVersion() || len(in.Missing) != 0 {
		t.Errorf("after Open: %+v, %v", in, err)
	}

	// A role that may read the jobs and nothing else.
	role := pgtest.SchemaOf(conn) + "_ro"
	admin, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"CREATE ROLE " + role + " LOGIN", "GRANT USAGE ON SCHEMA " + pgtest.SchemaOf(conn) + " TO " + role,
		"GRANT SELECT ON mvmbot_schema, jobs TO " + role} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		bg := context.Background()
		for _, sql := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := admin.Exec(bg, sql); err != nil {
				t.Error(err)
			}
		}
		admin.Close(bg)
	})
	u, _ := url.Parse(conn)
	u.User = url.User(role)
	in, err = Inspect(ctx, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INSERT on jobs", "SELECT on engagements", "USAGE on sequence jobs_id_seq"} {
		if !slices.Contains(in.Missing, want) {
			t.Errorf("Missing = %v, want it to name %q", in.Missing, want)
		}
	}
	if slices.Contains(in.Missing, "SELECT on jobs") {
		t.Errorf("Missing = %v names a granted privilege", in.Missing)
	}
}
