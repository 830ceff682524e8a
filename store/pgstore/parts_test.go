package pgstore

import (
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestPartsUntouched: a note rewrites neither an unchanged issue nor a
// version.
func TestPartsUntouched(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	db := open(t, conn, storetest.NewClock(storetest.Epoch).Now)
	storetest.PartsUntouched(t, db, func(id string) {
		if _, err := db.pool.Exec(t.Context(), `UPDATE engagement_issues
			SET issue = jsonb_set(issue::jsonb, '{title}', '"tampered"')::json WHERE engagement_id = $1 AND id = 2`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.pool.Exec(t.Context(), `UPDATE questionnaire_versions
			SET version = jsonb_set(version::jsonb, '{answers,notes}', '"tampered"')::json WHERE engagement_id = $1 AND n = 1`, id); err != nil {
			t.Fatal(err)
		}
	}, func(id string) (title, notes string) {
		if err := db.pool.QueryRow(t.Context(), `SELECT (SELECT issue->>'title' FROM engagement_issues WHERE engagement_id = $1 AND id = 2),
			(SELECT version->'answers'->>'notes' FROM questionnaire_versions WHERE engagement_id = $1 AND n = 1)`, id).Scan(&title, &notes); err != nil {
			t.Fatal(err)
		}
		return title, notes
	})
}

// TestMigratePartRows makes a schema-1 database with an engagement whose
// doc holds its questionnaire versions and issues, then opens it:
// migration 0005 moves them into rows, the doc keeps none, and the
// engagement reads whole, in order, before and after a note and a changed
// issue; migrate-store's Load carries them too.
func TestMigratePartRows(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	ctx := t.Context()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:c"}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	storetest.WithParts(e, 11, 12, storetest.Epoch)
	writeSchema1(t, conn, e)

	db := open(t, conn, storetest.NewClock(storetest.Epoch).Now)
	var inDoc int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM engagements WHERE doc::jsonb ?| array['questionnaire', 'issues']`).Scan(&inDoc); err != nil {
		t.Fatal(err)
	}
	if inDoc != 0 {
		t.Errorf("after the migration %d docs still hold versions or issues", inDoc)
	}
	check := func(what string, want *playbook.Engagement) {
		t.Helper()
		got, err := db.Engagement(ctx, "e1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Questionnaire) != len(want.Questionnaire) || len(got.Issues) != len(want.Issues) {
			t.Fatalf("%s: %d versions, %d issues; want %d, %d", what, len(got.Questionnaire), len(got.Issues), len(want.Questionnaire), len(want.Issues))
		}
		for i, v := range got.Questionnaire {
			if v.N != i+1 || v.Answers["notes"] != want.Questionnaire[i].Answers["notes"] {
				t.Errorf("%s: version %d is v%d, notes %q", what, i+1, v.N, v.Answers["notes"])
			}
		}
		for i, x := range got.Issues {
			if x != want.Issues[i] {
				t.Errorf("%s: issue %d is %+v, want %+v", what, i+1, x, want.Issues[i])
			}
		}
	}
	check("after the migration", e)
	got, err := db.Engagement(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.AddNote(got, "29:lead", "after", storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	got.Issues[3].State = playbook.IssueResolved
	got.Version = 2
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: got, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	check("after a note and a resolved issue", got)

	// migrate-store: Load into an empty schema carries them whole.
	whole := got.Clone()
	whole.History = e.History
	whole.HistoryBase = 0
	if _, err := playbook.AddNote(whole, "29:lead", "after", storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	other := open(t, pgtest.Schema(t), storetest.NewClock(storetest.Epoch).Now)
	if err := other.Load(ctx, &Records{Engagements: []*playbook.Engagement{whole}}); err != nil {
		t.Fatal(err)
	}
	db = other
	check("after Load", got)
}
