package pgstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// TestPurgeLeavesNoRow purges a closed engagement whose customer name is a
// marker, after it left that name in every kind of row a turn writes (its
// record, a questionnaire answer, an issue, the member and conversation
// indexes, a dedup record's card, a queued job, a dead-lettered one), and then searches every table of the
// schema, whatever tables later migrations add, for the marker and the
// engagement's id. A neighbour engagement's rows stay.
func TestPurgeLeavesNoRow(t *testing.T) {
	pgtest.Base(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	db := open(t, pgtest.Schema(t), func() time.Time { return now })
	ctx := t.Context()
	const marker = "Zq-Purge-Marker-7f3a"

	mk := func(id, conv, customer string) *playbook.Engagement {
		e, err := playbook.NewEngagement(playbook.NewEngagementParams{
			ID: id, Customer: customer, TenantDomain: "contoso.onmicrosoft.com",
			Sources: []playbook.Source{playbook.IMAP}, Conversation: conv,
		}, playbook.Member{ID: "29:lead", Name: "Lee Lead", Roles: []playbook.Role{playbook.FRP}}, now)
		if err != nil {
			t.Fatal(err)
		}
		e.Version = 1
		return e
	}
	doomed, kept := mk("e-doomed", "19:doomed", marker), mk("e-kept", "19:kept", "Fabrikam")
	// A questionnaire answer and an issue title, kept in rows of their own.
	doomed.Questionnaire = []playbook.QuestionnaireVersion{{N: 1, Answers: playbook.Answers{"notes": marker}, By: "29:lead", At: now}}
	doomed.Issues = []playbook.Issue{{ID: 1, Title: "issue " + marker, State: playbook.IssueOpen, Opened: now, OpenedBy: "29:lead", Rev: 1}}
	for _, e := range []*playbook.Engagement{doomed, kept} {
		card := fmt.Sprintf(`{"type":"AdaptiveCard","body":[{"text":%q}],"actions":[{"data":{"engagement":%q}}]}`, e.Customer, e.ID)
		args := fmt.Sprintf(`{"engagement":%q,"text":"Hello %s"}`, e.ID, e.Customer)
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{
			DedupKey: "setup-" + e.ID, Result: playbook.Result{Status: 200, Body: json.RawMessage(card)},
			Engagement: e, Jobs: []playbook.Job{
				{Kind: "post", Key: "post-" + e.ID, Args: json.RawMessage(args), RunAt: now.Add(time.Hour)},
				{Kind: "report", Key: "dead-" + e.ID, Args: json.RawMessage(args), RunAt: now.Add(time.Hour)},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Hour)
	jobs, err := db.ClaimDue(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Kind == "report" {
			if err := db.Fail(ctx, j.ID, "gave up on "+string(j.Args)); err != nil {
				t.Fatal(err)
			}
		}
	}
	closed := doomed.Clone()
	if err := playbook.Close(closed, "29:lead", "done", now); err != nil {
		t.Fatal(err)
	}
	closed.Version++
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "close", Result: playbook.Result{Status: 200}, Engagement: closed, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if n := rowsNaming(t, db, marker); n == 0 {
		t.Fatal("the marker is in no row before the purge: the test proves nothing")
	}
	var parts int
	if err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM questionnaire_versions WHERE strpos(version::text, $1) > 0)
		+ (SELECT count(*) FROM engagement_issues WHERE strpos(issue::text, $1) > 0)`, marker).Scan(&parts); err != nil || parts != 2 {
		t.Fatalf("%d version and issue rows name the marker before the purge (%v), want 2", parts, err)
	}

	purged, err := db.PurgeClosed(ctx, now.AddDate(0, 0, 1), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(purged) != 1 || purged[0].ID != doomed.ID {
		t.Fatalf("purged %v, want %s", purged, doomed.ID)
	}
	for _, s := range []string{marker, `"` + doomed.ID + `"`, "19:doomed"} {
		if n := rowsNaming(t, db, s); n != 0 {
			t.Errorf("%d rows still hold %q after the purge", n, s)
		}
	}
	if n := rowsNaming(t, db, "Fabrikam"); n < 4 {
		t.Errorf("%d rows hold the kept engagement's name, want its record, dedup record and two jobs", n)
	}
}

// rowsNaming counts the rows, over every table of the store's schema, whose
// text holds s.
func rowsNaming(t *testing.T, db *DB, s string) int {
	t.Helper()
	ctx := t.Context()
	tables := schemaTables(t, db)
	if len(tables) < 6 {
		t.Fatalf("the schema has %d tables (%v): is current_schema the store's?", len(tables), tables)
	}
	total := 0
	for _, tb := range tables {
		var n int
		// A row's text form; bytea shows as hex, so the text is searched
		// in its hex form too.
		if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+tb+` r WHERE strpos(r::text, $1) > 0 OR strpos(r::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0`, s).Scan(&n); err != nil {
			t.Fatalf("search %s: %v", tb, err)
		}
		if n > 0 {
			t.Logf("%s: %d rows hold %q", tb, n, s)
		}
		total += n
	}
	return total
}

// schemaTables lists the tables of the store's schema, quoted.
func schemaTables(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return tables
}
