package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestMigrateHistoryApart writes an engagement the way schema 4 did (its
// whole history inside its record, no kept entries) and checks that after
// the upgrade it reads without its history, the history reads back whole
// and in order, the override is still listed and a new note appends.
func TestMigrateHistoryApart(t *testing.T) {
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
	for i := range 30 {
		if _, err := playbook.AddNote(e, "29:lead", fmt.Sprintf("note %d", i), now); err != nil {
			t.Fatal(err)
		}
	}
	e.History = append(e.History, playbook.AuditEntry{At: now, Actor: "29:lead", Action: playbook.ActionOverride, Task: "events", Detail: "event 1 started early"})
	want := slices.Clone(e.History)
	raw, err := json.Marshal(e) // schema 4's record: History inside, Kept absent
	if err != nil {
		t.Fatal(err)
	}
	old := mustOpen(t, path, &Options{migrations: migrations[:4]})
	if err := old.bolt.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketEngagements).Put([]byte("e1"), raw); err != nil {
			return err
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
	got, err := db.Engagement(t.Context(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 0 || got.HistoryBase != len(want) {
		t.Fatalf("after the upgrade: %d entries in History, HistoryBase %d; want 0, %d", len(got.History), got.HistoryBase, len(want))
	}
	if o := playbook.Overrides(got); len(o) != 1 || o[0].Detail != "event 1 started early" {
		t.Errorf("overrides after the upgrade: %+v", o)
	}
	h, err := db.History(t.Context(), "e1", 0, 0)
	if err != nil || !slices.Equal(h, want) {
		t.Fatalf("history after the upgrade: %d entries, %v; want the %d written", len(h), err, len(want))
	}
	next := got.Clone()
	if _, err := playbook.AddNote(next, "29:lead", "after", now); err != nil {
		t.Fatal(err)
	}
	next.Version = 2
	if _, _, err := db.CommitTurn(t.Context(), playbook.Turn{DedupKey: "a", Result: playbook.Result{Status: 200}, Engagement: next, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	h, err = db.History(t.Context(), "e1", len(want), 0)
	if err != nil || len(h) != 1 || h[0].Detail != "after" {
		t.Errorf("the note after the upgrade: %+v, %v", h, err)
	}
	d, err := db.Dump(t.Context())
	if err != nil || len(d.Engagements) != 1 || d.Engagements[0].HistoryBase != 0 || len(d.Engagements[0].History) != len(want)+1 {
		t.Errorf("Dump: %v, %+v; want the whole history", err, d)
	}
}

// BenchmarkHistory: a "next steps" and a "note" turn's store work on one
// engagement with 10 and with 10,000 history entries (storetest.BenchHistory).
func BenchmarkHistory(b *testing.B) {
	storetest.BenchHistory(b, func(b *testing.B) storetest.Backend {
		return mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	})
}

// BenchmarkBatches: "next steps" and "note" on one engagement with 5
// events without batches and with 2,000 members and outcomes each
// (storetest.BenchBatches).
func BenchmarkBatches(b *testing.B) {
	storetest.BenchBatches(b, func(b *testing.B) storetest.Backend {
		return mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	})
}

// BenchmarkParts: "next steps" and "note" on one engagement without
// questionnaire versions and issues, and with 20 and 500
// (storetest.BenchParts).
func BenchmarkParts(b *testing.B) {
	storetest.BenchParts(b, func(b *testing.B) storetest.Backend {
		return mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	})
}
