package pgstore

import (
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestBatchUntouched: a note does not rewrite an unchanged batch.
func TestBatchUntouched(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	db := open(t, conn, storetest.NewClock(storetest.Epoch).Now)
	storetest.BatchUntouched(t, db, func(id string, n int) {
		if _, err := db.pool.Exec(t.Context(), `UPDATE event_batches
			SET batch = jsonb_set(batch::jsonb, '{members,0,unit}', '"tampered"')::json WHERE engagement_id = $1 AND n = $2`, id, n); err != nil {
			t.Fatal(err)
		}
	}, func(id string, n int) string {
		var unit string
		if err := db.pool.QueryRow(t.Context(), `SELECT batch->'members'->0->>'unit' FROM event_batches WHERE engagement_id = $1 AND n = $2`, id, n).Scan(&unit); err != nil {
			t.Fatal(err)
		}
		return unit
	})
}

// TestMigrateBatchRows makes a schema-1 database with an engagement whose
// events hold their members and outcomes in its doc, then opens it:
// migration 0004 moves the batches into rows, the doc keeps none, and the
// engagement reads whole before and after a note.
func TestMigrateBatchRows(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	ctx := t.Context()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:c"}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	storetest.WithBatches(e, 4, storetest.Epoch)
	for i := range e.Events { // the old shape had no revisions
		e.Events[i].BatchRev = 0
	}
	e.BatchSeq = 0
	writeSchema1(t, conn, e)

	db := open(t, conn, storetest.NewClock(storetest.Epoch).Now)
	var inDoc int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM engagements e, json_array_elements(e.doc->'events') ev
		WHERE json_typeof(ev->'members') = 'array' OR json_typeof(ev->'outcomes') = 'array'`).Scan(&inDoc); err != nil {
		t.Fatal(err)
	}
	if inDoc != 0 {
		t.Errorf("after the migration %d events still hold their batch in the doc", inDoc)
	}
	check := func(what string) {
		t.Helper()
		got, err := db.Engagement(ctx, "e1")
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range got.Events {
			if len(ev.Members) != 4 || len(ev.Outcomes) != 4 || ev.Members[0].Unit != e.Events[i].Members[0].Unit || ev.BatchRev == 0 {
				t.Errorf("%s: event %d: %d members, %d outcomes, rev %d", what, ev.N, len(ev.Members), len(ev.Outcomes), ev.BatchRev)
			}
		}
	}
	check("after the migration")
	got, err := db.Engagement(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.AddNote(got, "29:lead", "after", storetest.Epoch); err != nil {
		t.Fatal(err)
	}
	got.Version = 2
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: got, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	check("after a note")
}

// BenchmarkBatches: "next steps" and "note" on one engagement with 5
// events without batches and with 2,000 members and outcomes each
// (storetest.BenchBatches).
func BenchmarkBatches(b *testing.B) {
	pgtest.Base(b)
	storetest.BenchBatches(b, func(b *testing.B) storetest.Backend {
		db, err := Open(b.Context(), pgtest.Schema(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}

// BenchmarkParts: "next steps" and "note" on one engagement without
// questionnaire versions and issues, and with 20 and 500
// (storetest.BenchParts).
func BenchmarkParts(b *testing.B) {
	pgtest.Base(b)
	storetest.BenchParts(b, func(b *testing.B) storetest.Backend {
		db, err := Open(b.Context(), pgtest.Schema(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	})
}
