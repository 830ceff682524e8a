package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// Compile-time check: *DB is a storetest.Backend.
var _ storetest.Backend = (*DB)(nil)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Backend {
		return mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), &Options{Now: now, JobLease: storetest.Lease})
	})
}

// TestSweepChunks runs the sweep with chunks smaller than the
// backlog, so the multi-transaction path is exercised.
func TestSweepChunks(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch)
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), &Options{Now: clock.Now})
	db.sweepChunk = 3
	ctx := t.Context()
	for i := range 10 {
		clock.Advance(time.Second)
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		olderThan time.Duration
		want      int
	}{{7 * time.Second, 6}, {7 * time.Second, 0}, {time.Hour, 4}} {
		n, err := db.SweepProcessed(ctx, storetest.Epoch.Add(c.olderThan))
		if err != nil || n != c.want {
			t.Errorf("SweepProcessed(epoch+%v) = %d, %v; want %d", c.olderThan, n, err, c.want)
		}
	}
	assertBucketLen(t, db, bucketProcessed, 0)
	assertBucketLen(t, db, bucketProcessedAt, 0)
}

func TestOpenInUse(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	mustOpen(t, path, nil)

	// bbolt's flock belongs to the open file description, so a second Open
	// in the same process is refused just like another process would be.
	const timeout = 100 * time.Millisecond
	start := time.Now()
	db, err := Open(path, &Options{Timeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("second Open: %v; want ErrInUse", err)
	}
	if want := "database " + path + " is in use by another mvmbot process"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if elapsed > 10*timeout {
		t.Errorf("second Open took %v with Timeout %v", elapsed, timeout)
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Open(filepath.Join(dir, "mvmbot.db"), nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "directory "+dir) {
		t.Errorf("Open in a missing directory: %v; want ErrNotExist naming %s", err, dir)
	}
	if _, serr := os.Stat(dir); !errors.Is(serr, fs.ErrNotExist) {
		t.Error("Open created the directory")
	}
}

func TestOpenNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not bolt"), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, nil); err == nil {
		db.Close()
		t.Fatal("Open of a garbage file succeeded")
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestRestartKeepsDataAndClearsLeases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := storetest.NewClock(storetest.Epoch)
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	opts := &Options{Now: clock.Now}

	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	turned, _, err := db.CommitTurn(ctx, playbook.Turn{
		DedupKey: "act",
		Result:   playbook.Result{Status: 200, Body: json.RawMessage(`{"ok":true}`)},
		Ref:      &playbook.ConversationRef{Key: "conv", ServiceURL: "https://s/"},
		Jobs:     []playbook.Job{{Kind: "post", Key: "k"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := db.Enqueue(ctx, playbook.Job{Kind: "reminder", RunAt: storetest.Epoch.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpen(t, path, opts)
	if n, _ := db.Pending(ctx); n != 2 {
		t.Errorf("Pending after reopen = %d, want 2", n)
	}
	if _, err := db.Ref(ctx, "conv"); err != nil {
		t.Errorf("Ref after reopen: %v", err)
	}
	if r, ok, _ := db.Processed(ctx, "act"); !ok || string(r.Body) != `{"ok":true}` {
		t.Errorf("Processed after reopen = %+v, %v", r, ok)
	}
	// The turn's job was leased by the "dead" process: it runs again now.
	jobs, err := db.ClaimDue(ctx, storetest.Epoch, 10)
	if err != nil || len(jobs) != 1 || jobs[0].ID != turned[0].ID {
		t.Fatalf("ClaimDue after reopen = %+v, %v; want the turn's job %d", jobs, err, turned[0].ID)
	}
	// IDs keep growing across restarts, and unique keys survive.
	more, err := db.Enqueue(ctx, playbook.Job{Kind: "post"}, playbook.Job{Kind: "post", Key: "k"})
	if err != nil || len(more) != 1 || more[0].ID <= queued[0].ID {
		t.Errorf("Enqueue after reopen = %+v, %v; want one job with ID > %d", more, err, queued[0].ID)
	}
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	var ran []int
	list := []migration{
		func(*bolt.Tx) error { ran = append(ran, 1); return nil },
		func(tx *bolt.Tx) error {
			ran = append(ran, 2)
			return tx.Bucket(bucketRefs).Put([]byte("migrated"), []byte(`{"key":"migrated"}`))
		},
	}
	for range 2 {
		db, err := Open(path, &Options{migrations: list})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Ref(t.Context(), "migrated"); err != nil {
			t.Errorf("record written by the migration: %v", err)
		}
		if v := schemaVersion(t, db); v != 2 {
			t.Errorf("schema version = %d, want 2", v)
		}
		db.Close()
	}
	if len(ran) != 2 || ran[0] != 1 || ran[1] != 2 {
		t.Errorf("migrations ran %v, want [1 2] once", ran)
	}

	// A file from a newer build is refused, untouched.
	if db, err := Open(path, &Options{migrations: list[:1]}); !errors.Is(err, ErrNewerSchema) {
		if err == nil {
			db.Close()
		}
		t.Errorf("Open with an older build: %v, want ErrNewerSchema", err)
	}

	// A failing migration fails Open and leaves the version alone.
	fail := append(list[:2:2], func(*bolt.Tx) error { return errors.New("boom") })
	if _, err := Open(path, &Options{migrations: fail}); err == nil || !strings.Contains(err.Error(), "migrate schema 2 to 3: boom") {
		t.Errorf("Open with a failing migration: %v", err)
	}
	db := mustOpen(t, path, &Options{migrations: list})
	if v := schemaVersion(t, db); v != 2 {
		t.Errorf("schema version after a failed migration = %d, want 2", v)
	}
}

func TestDefaultSchemaVersion(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	if v := schemaVersion(t, db); v != 7 || SchemaVersion() != 7 {
		t.Errorf("schema version = %d, SchemaVersion() = %d; want 7", v, SchemaVersion())
	}
}

// TestMigrateHashedDedupKeys writes dedup records the way schema 1 did
// (plain keys) and checks that after the upgrade they are still found and
// still swept.
func TestMigrateHashedDedupKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	old := mustOpen(t, path, &Options{migrations: migrations[:1]})
	if err := old.bolt.Update(func(tx *bolt.Tx) error {
		for _, key := range []string{"msteams|a:conv-1|act-1", "msteams|19:c@thread.tacv2;messageid=1|act-2"} {
			if err := tx.Bucket(bucketProcessed).Put([]byte(key), []byte(`{"status":200,"at":"2026-11-23T10:00:00Z"}`)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketProcessedAt).Put(append(timeKey(at), key...), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := mustOpen(t, path, nil)
	for _, key := range []string{"msteams|a:conv-1|act-1", "msteams|19:c@thread.tacv2;messageid=1|act-2"} {
		r, ok, err := db.Processed(t.Context(), key)
		if err != nil || !ok || r.Status != 200 {
			t.Errorf("after the upgrade Processed(%q) = %+v, %v, %v", key, r, ok, err)
		}
	}
	if n, err := db.SweepProcessed(t.Context(), at.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("sweep after the upgrade removed %d (%v), want 2", n, err)
	}
	assertBucketLen(t, db, bucketProcessed, 0)
	assertBucketLen(t, db, bucketProcessedAt, 0)
}

// TestMigrateCompactDedupRecords writes a dedup record as schema 2 did
// (JSON) and checks that after the upgrade it reads back the same.
func TestMigrateCompactDedupRecords(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	want := playbook.Result{Status: 200, Body: json.RawMessage(`{"statusCode":200}`), At: time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)}
	old := mustOpen(t, path, &Options{migrations: migrations[:2]})
	if err := old.bolt.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketProcessed), processedKey("msteams|a:conv-1|act-1"), want)
	}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := mustOpen(t, path, nil)
	got, ok, err := db.Processed(t.Context(), "msteams|a:conv-1|act-1")
	if err != nil || !ok || got.Status != want.Status || string(got.Body) != string(want.Body) || got.At != want.At {
		t.Errorf("after the upgrade Processed = %+v, %v, %v; want %+v", got, ok, err, want)
	}
}

// TestPageSize: a new file gets pageSize; a file made with another page
// size keeps it and still opens.
func TestPageSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := mustOpen(t, filepath.Join(dir, "new.db"), nil)
	if got := db.bolt.Info().PageSize; got != pageSize {
		t.Errorf("new file: page size %d, want %d", got, pageSize)
	}

	path := filepath.Join(dir, "old.db")
	old, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	db = mustOpen(t, path, nil)
	if got := db.bolt.Info().PageSize; got != 4096 {
		t.Errorf("existing file: page size %d, want 4096", got)
	}
	if _, _, err := db.CommitTurn(t.Context(), playbook.Turn{DedupKey: "k", Result: playbook.Result{Status: 200}}); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshRef: a turn rewrites its conversation reference only when it
// changed or is an hour old, and the decoded-reference cache never hides a
// write made another way.
func TestRefreshRef(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	commit := func(key, serviceURL string, at time.Time) playbook.ConversationRef {
		t.Helper()
		ref := &playbook.ConversationRef{Key: "conv", ServiceURL: serviceURL, UpdatedAt: at}
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}, Ref: ref}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Ref(ctx, "conv")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := commit("a1", "https://one/", t0); !got.UpdatedAt.Equal(t0) {
		t.Errorf("first turn: %+v", got)
	}
	if got := commit("a2", "https://one/", t0.Add(time.Minute)); !got.UpdatedAt.Equal(t0) {
		t.Errorf("unchanged, recent: rewritten %+v", got)
	}
	if got := commit("a3", "https://two/", t0.Add(2*time.Minute)); got.ServiceURL != "https://two/" {
		t.Errorf("changed: not rewritten %+v", got)
	}
	// Written around the turns: the next turn must compare with it.
	if err := db.PutRef(ctx, playbook.ConversationRef{Key: "conv", ServiceURL: "https://one/", UpdatedAt: t0.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got := commit("a4", "https://two/", t0.Add(4*time.Minute)); got.ServiceURL != "https://two/" {
		t.Errorf("changed by PutRef, then by a turn: not rewritten %+v", got)
	}
	if got := commit("a5", "https://two/", t0.Add(65*time.Minute)); !got.UpdatedAt.Equal(t0.Add(65 * time.Minute)) {
		t.Errorf("an hour old: not refreshed %+v", got)
	}
}

func TestBackup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	db := mustOpen(t, filepath.Join(dir, "mvmbot.db"), nil)
	if err := db.PutRef(ctx, playbook.ConversationRef{Key: "conv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, playbook.Job{Kind: "post"}); err != nil {
		t.Fatal(err)
	}

	backup := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(backup, []byte("old backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	// The original keeps serving writes after the backup.
	if err := db.PutRef(ctx, playbook.ConversationRef{Key: "after"}); err != nil {
		t.Fatal(err)
	}
	copyDB := mustOpen(t, backup, nil)
	if _, err := copyDB.Ref(ctx, "conv"); err != nil {
		t.Errorf("backup lacks the reference: %v", err)
	}
	if _, err := copyDB.Ref(ctx, "after"); playbook.ErrorCode(err) != playbook.ENOTFOUND {
		t.Errorf("backup has a later write: %v", err)
	}
	if n, _ := copyDB.Pending(ctx); n != 1 {
		t.Errorf("backup has %d jobs, want 1", n)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".backup.db.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// WriteTo: a byte-for-byte snapshot.
	var buf bytes.Buffer
	n, err := db.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("WriteTo = %d, %v; buffer has %d", n, err, buf.Len())
	}
	snap := filepath.Join(dir, "snap.db")
	if err := os.WriteFile(snap, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mustOpen(t, snap, nil).Ref(ctx, "after"); err != nil {
		t.Errorf("WriteTo snapshot lacks a reference: %v", err)
	}

	if err := db.Backup(ctx, db.Path()); playbook.ErrorCode(err) != playbook.EINVALID {
		t.Errorf("Backup over the database itself: %v, want EINVALID", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Backup(canceled, filepath.Join(dir, "never.db")); !errors.Is(err, context.Canceled) {
		t.Errorf("Backup with a canceled context: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("canceled Backup left a file")
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, _, commitErr := db.CommitTurn(ctx, playbook.Turn{DedupKey: "x"})
	_, refErr := db.Ref(ctx, "x")
	_, claimErr := db.ClaimDue(ctx, time.Now(), 1)
	_, writeErr := db.WriteTo(&bytes.Buffer{})
	for name, err := range map[string]error{
		"Ping":       db.Ping(ctx),
		"CommitTurn": commitErr,
		"Ref":        refErr,
		"ClaimDue":   claimErr,
		"Complete":   db.Complete(ctx, 1),
		"WriteTo":    writeErr,
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CommitTurn with a canceled context: %v", err)
	}
	if _, ok, _ := db.Processed(t.Context(), "x"); ok {
		t.Error("a canceled CommitTurn was applied")
	}
}

// TestReturnedValuesAreCopies checks that nothing returned aliases the
// caller's input or bbolt's memory.
func TestReturnedValuesAreCopies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	args := json.RawMessage(`{"n":1}`)
	jobs, err := db.Enqueue(ctx, playbook.Job{Kind: "post", Args: args})
	if err != nil {
		t.Fatal(err)
	}
	copy(args, `{"n":2}`)
	if string(jobs[0].Args) != `{"n":1}` {
		t.Errorf("returned Args alias the caller's: %s", jobs[0].Args)
	}
	claimed, err := db.ClaimDue(ctx, time.Now().Add(time.Hour), 1)
	if err != nil || len(claimed) != 1 {
		t.Fatal(claimed, err)
	}
	// Write enough to make bbolt remap; the claimed value must not change.
	for i := range 200 {
		if _, err := db.Enqueue(ctx, playbook.Job{Kind: "post", Args: json.RawMessage(`"` + strings.Repeat("x", 4096) + `"`), Key: string(rune(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if string(claimed[0].Args) != `{"n":1}` {
		t.Errorf("claimed Args changed: %s", claimed[0].Args)
	}
}

// mustOpen opens path and closes it when the test ends.
func mustOpen(tb testing.TB, path string, opts *Options) *DB {
	tb.Helper()
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

func schemaVersion(t *testing.T, db *DB) (v uint64) {
	t.Helper()
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(keySchemaVersion)
		if len(b) != 8 {
			return errors.New("no schema version")
		}
		v = binary.BigEndian.Uint64(b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func assertBucketLen(t *testing.T, db *DB, name []byte, want int) {
	t.Helper()
	if got := bucketLen(t, db, name); got != want {
		t.Errorf("bucket %s has %d keys, want %d", name, got, want)
	}
}

// TestBackgroundCommit: a background turn is committed, on its own or
// with a waited-on one, and a committer closed while it lingers commits it
// before closing.
func TestBackgroundCommit(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "alone", Result: playbook.Result{Status: 200}, Background: true}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, key := range []string{"bg", "fg"} {
		wg.Go(func() {
			if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}, Background: key == "bg"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, key := range []string{"alone", "bg", "fg"} {
		if _, ok, err := db.Processed(ctx, key); !ok || err != nil {
			t.Errorf("Processed(%q) = %v, %v after its commit", key, ok, err)
		}
	}

	done := make(chan error, 1)
	go func() {
		_, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "closing", Result: playbook.Result{Status: 200}, Background: true})
		done <- err
	}()
	time.Sleep(groupLinger / 5)
	db.group.close()
	err := <-done
	var ok bool
	tk, in := db.recentAt(processedKey("closing"))
	if verr := db.bolt.View(func(tx *bolt.Tx) error {
		_, ok, _ = getProcessed(tx, processedKey("closing"), tk, in)
		return nil
	}); verr != nil {
		t.Fatal(verr)
	}
	if (err == nil) != ok {
		t.Errorf("closed while lingering: CommitTurn = %v but recorded = %v", err, ok)
	}
}

// TestCommitTurnBatchRerun makes CommitTurn share group commits with
// functions that fail, so the group is rolled back and CommitTurn's function
// runs again: every turn must still apply exactly once and report exactly
// its own jobs.
var errSpoil = errors.New("spoil the batch")

func TestCommitTurnBatchRerun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	ids := make(chan uint64, workers*perWorker*2)
	errs := make(chan error, workers*perWorker+1<<16)
	stop := make(chan struct{})
	var spoilers sync.WaitGroup
	for range 4 {
		spoilers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.batch(ctx, func(*bolt.Tx) error { return errSpoil }, false)
				if !errors.Is(err, errSpoil) {
					errs <- fmt.Errorf("spoiler got %v, want its own error", err)
				}
			}
		})
	}
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				key := fmt.Sprintf("w%d-%d", w, i)
				// Half of them background, so groups also linger.
				jobs, dup, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Jobs: []playbook.Job{{Kind: "post"}, {Kind: "post"}}, Background: i%2 == 0})
				switch {
				case err != nil:
					errs <- err
				case dup != nil || len(jobs) != 2:
					errs <- fmt.Errorf("%s: %d jobs, dup %v; want 2, nil", key, len(jobs), dup)
				default:
					ids <- jobs[0].ID
					ids <- jobs[1].ID
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	spoilers.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	seen := map[uint64]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("job ID %d returned twice", id)
		}
		seen[id] = true
	}
	if n, _ := db.Pending(ctx); n != workers*perWorker*2 || len(seen) != n {
		t.Errorf("Pending = %d, IDs returned = %d; want %d", n, len(seen), workers*perWorker*2)
	}
}
