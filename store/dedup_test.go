package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// TestDedupMerge: records wait in recent until a merge writes them into
// the index; every one is found before, during and after, and after a
// reopen, whether merged or not.
func TestDedupMerge(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db := mustOpen(t, path, nil)
	db.mergeAt = 50
	key := func(i int) string { return fmt.Sprintf("msteams|a:conv|act-%d", i) }
	const n = 130
	for i := range n {
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key(i), Result: playbook.Result{Status: 200 + i%3}, Background: i%2 == 0}); err != nil {
			t.Fatal(err)
		}
		if r, ok, err := db.Processed(ctx, key(i/2)); !ok || err != nil || r.Status != 200+(i/2)%3 {
			t.Fatalf("after %d commits: Processed(%q) = %+v, %v, %v", i+1, key(i/2), r, ok, err)
		}
	}
	waitMerged(t, db)
	db.recentMu.Lock()
	waiting := len(db.recent)
	db.recentMu.Unlock()
	// Each record is in the index or waits in recent, and some merged.
	if merged := bucketLen(t, db, bucketProcessed); merged < 50 || merged+waiting != n {
		t.Errorf("%d records in the index, %d waiting; want at least 50 merged, %d in all", merged, waiting, n)
	}
	for i := range n {
		if _, ok, err := db.Processed(ctx, key(i)); !ok || err != nil {
			t.Errorf("after the merges: Processed(%q) = %v, %v", key(i), ok, err)
		}
		// A redelivery is turned away, with the first status.
		_, dup, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key(i), Result: playbook.Result{Status: 500}})
		if err != nil || dup == nil || dup.Status != 200+i%3 {
			t.Errorf("redelivery of %q: dup %+v, %v", key(i), dup, err)
		}
	}

	db.Close()
	db = mustOpen(t, path, nil)
	db.recentMu.Lock()
	rebuilt := len(db.recent)
	db.recentMu.Unlock()
	if rebuilt != waiting {
		t.Errorf("reopened, recent holds %d records; want the %d the index lacks", rebuilt, waiting)
	}
	for i := range n {
		if _, ok, err := db.Processed(ctx, key(i)); !ok || err != nil {
			t.Errorf("reopened: Processed(%q) = %v, %v", key(i), ok, err)
		}
	}
	if swept, err := db.SweepProcessed(ctx, time.Now().Add(time.Hour)); err != nil || swept != n {
		t.Fatalf("sweep: %d, %v; want %d", swept, err, n)
	}
	assertBucketLen(t, db, bucketProcessed, 0)
	assertBucketLen(t, db, bucketProcessedAt, 0)
	if len(db.recent) != 0 {
		t.Errorf("recent holds %d swept records", len(db.recent))
	}
}

// TestDedupRolledBack: a record whose transaction rolled back is not
// found, never reaches recent or the index, and does not stop the key
// from being stored.
func TestDedupRolledBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	errBoom := errors.New("boom")
	if err := db.writeTx(func(tx *bolt.Tx) error {
		if err := db.putProcessed(tx, processedKey("rolled back"), playbook.Result{Status: 200}, time.Now()); err != nil {
			return err
		}
		return errBoom
	}); !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if _, ok, err := db.Processed(ctx, "rolled back"); ok || err != nil {
		t.Errorf("Processed of a rolled-back record = %v, %v", ok, err)
	}
	if len(db.recent) != 0 {
		t.Errorf("recent has the rolled-back record")
	}
	if err := db.mergeRecent(); err != nil {
		t.Fatal(err)
	}
	assertBucketLen(t, db, bucketProcessed, 0)
	if _, dup, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "rolled back", Result: playbook.Result{Status: 202}}); err != nil || dup != nil {
		t.Fatalf("storing the key afterwards: dup %+v, %v", dup, err)
	}
	if r, ok, err := db.Processed(ctx, "rolled back"); !ok || err != nil || r.Status != 202 {
		t.Errorf("Processed = %+v, %v, %v; want status 202", r, ok, err)
	}
}

// TestMigrateTimeOrderedDedup writes dedup records as schema 3 did (records
// under the key hash, a time index beside) and checks that after the
// upgrade they are found, turned away when redelivered, and swept.
func TestMigrateTimeOrderedDedup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	keys := []string{"msteams|a:conv-1|act-1", "msteams|a:conv-1|act-2"}
	old := mustOpen(t, path, &Options{migrations: migrations[:3]})
	if err := old.bolt.Update(func(tx *bolt.Tx) error {
		for i, key := range keys {
			r := playbook.Result{Status: 200 + i, At: at.Add(time.Duration(i) * time.Second)}
			pk := processedKey(key)
			if err := tx.Bucket(bucketProcessed).Put(pk, encodeProcessed(r)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketProcessedAt).Put(append(timeKey(r.At), pk...), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := mustOpen(t, path, nil)
	for i, key := range keys {
		r, ok, err := db.Processed(ctx, key)
		if err != nil || !ok || r.Status != 200+i || !r.At.Equal(at.Add(time.Duration(i)*time.Second)) {
			t.Errorf("after the upgrade Processed(%q) = %+v, %v, %v", key, r, ok, err)
		}
		if _, dup, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 500}}); err != nil || dup == nil || dup.Status != 200+i {
			t.Errorf("redelivery of %q after the upgrade: dup %+v, %v", key, dup, err)
		}
	}
	if n, err := db.SweepProcessed(ctx, at.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("sweep after the upgrade removed %d (%v), want 2", n, err)
	}
	assertBucketLen(t, db, bucketProcessed, 0)
	assertBucketLen(t, db, bucketProcessedAt, 0)
}

// waitMerged waits until no merge is under way.
func waitMerged(t *testing.T, db *DB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for db.merging.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the merge did not end")
		}
		time.Sleep(time.Millisecond)
	}
}

func bucketLen(t *testing.T, db *DB, name []byte) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDedupMergeConcurrent: writers, merges and filter rebuilds at once;
// every record committed is found, and each is in the index or in recent,
// once.
func TestDedupMergeConcurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	db.mergeAt = 64
	const writers, each = 4, 300
	// Rebuilds a millisecond apart leave the writer lock to the merges.
	commitWhileRebuilding(t, db, writers, each, time.Millisecond)
	waitMerged(t, db)
	for w := range writers {
		for i := range each {
			if _, ok, err := db.Processed(ctx, fmt.Sprintf("w%d-%d", w, i)); !ok || err != nil {
				t.Fatalf("Processed(w%d-%d) = %v, %v", w, i, ok, err)
			}
		}
	}
	db.recentMu.Lock()
	waiting := len(db.recent)
	db.recentMu.Unlock()
	if merged := bucketLen(t, db, bucketProcessed); merged+waiting != writers*each || merged == 0 {
		t.Errorf("%d records in the index, %d waiting; want %d in all, some merged", merged, waiting, writers*each)
	}
}
