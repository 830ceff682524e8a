package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestBatchUntouched: a note does not rewrite an unchanged batch.
func TestBatchUntouched(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	storetest.BatchUntouched(t, db, func(id string, n int) {
		if err := db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketBatches)
			var bt playbook.EventBatch
			if err := json.Unmarshal(b.Get(partKey(id, n)), &bt); err != nil {
				return err
			}
			bt.Members[0].Unit = "tampered"
			raw, err := json.Marshal(bt)
			if err != nil {
				return err
			}
			return b.Put(partKey(id, n), raw)
		}); err != nil {
			t.Fatal(err)
		}
	}, func(id string, n int) string {
		var bt playbook.EventBatch
		if err := db.bolt.View(func(tx *bolt.Tx) error {
			return json.Unmarshal(tx.Bucket(bucketBatches).Get(partKey(id, n)), &bt)
		}); err != nil {
			t.Fatal(err)
		}
		return bt.Members[0].Unit
	})
}

// TestMigrateBatchesApart writes an engagement the way schema 5 did (its
// events' members and outcomes inside its record) and checks that after
// the upgrade the record holds no batch, the engagement reads whole, and
// later saves keep it whole.
func TestMigrateBatchesApart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:chan",
	}, playbook.Member{ID: "29:lead", Name: "Lee Lead", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	storetest.WithBatches(e, 4, now)
	for i := range e.Events { // schema 5 had no revisions
		e.Events[i].BatchRev = 0
	}
	e.BatchSeq = 0
	old := mustOpen(t, path, &Options{migrations: migrations[:5]})
	if err := old.bolt.Update(func(tx *bolt.Tx) error {
		core := e.StoredForm()
		core.Events = e.Events // schema 5's record: batches inside
		raw, err := json.Marshal(core)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketEngagements).Put([]byte("e1"), raw); err != nil {
			return err
		}
		for i, a := range e.History {
			if err := putJSON(tx.Bucket(bucketHistory), partKey("e1", i), a); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketEngagementConv).Put([]byte("19:chan"), []byte("e1")); err != nil {
			return err
		}
		return tx.Bucket(bucketEngagementMembers).Put(memberKey("29:lead", "e1"), nil)
	}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := mustOpen(t, path, nil)
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		var core playbook.Engagement
		if err := json.Unmarshal(tx.Bucket(bucketEngagements).Get([]byte("e1")), &core); err != nil {
			return err
		}
		for _, ev := range core.Events {
			if len(ev.Members) > 0 || len(ev.Outcomes) > 0 || ev.BatchRev == 0 {
				t.Errorf("event %d in the record after the upgrade: %d members, %d outcomes, rev %d", ev.N, len(ev.Members), len(ev.Outcomes), ev.BatchRev)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Engagement(t.Context(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range got.Events {
		if len(ev.Members) != 4 || len(ev.Outcomes) != 4 || ev.Members[0].Unit != e.Events[i].Members[0].Unit {
			t.Errorf("event %d after the upgrade: %d members, %d outcomes", ev.N, len(ev.Members), len(ev.Outcomes))
		}
	}
	next := got.Clone()
	if _, err := playbook.AddNote(next, "29:lead", "after", now); err != nil {
		t.Fatal(err)
	}
	next.Version = 2
	if _, _, err := db.CommitTurn(t.Context(), playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: next, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	d, err := db.Dump(t.Context())
	if err != nil || len(d.Engagements) != 1 || len(d.Engagements[0].Events[1].Outcomes) != 4 {
		t.Errorf("Dump: %v; want the batches whole", err)
	}
}
