package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

func TestSeenFilter(t *testing.T) {
	t.Parallel()
	f := newSeenFilter(1000)
	if f.capacity < seenMinKeys {
		t.Fatalf("capacity %d, want at least %d", f.capacity, seenMinKeys)
	}
	keys := make([][]byte, f.capacity)
	for i := range keys {
		keys[i] = processedKey(fmt.Sprint("in-", i))
		f.add(keys[i])
	}
	for _, k := range keys {
		if !f.mayContain(k) {
			t.Fatalf("added key %x: mayContain = false", k)
		}
	}
	if f.full() {
		t.Error("full at capacity")
	}
	maybe := 0
	const probes = 100000
	for i := range probes {
		if f.mayContain(processedKey(fmt.Sprint("out-", i))) {
			maybe++
		}
	}
	if rate := float64(maybe) / probes; rate > 0.02 {
		t.Errorf("false maybe for %.2f%% of absent keys at capacity, want about 1%%", 100*rate)
	}
	f.add(processedKey("one more"))
	if !f.full() {
		t.Error("not full past capacity")
	}
}

// TestProcessedThroughFilter: whatever the filter's rebuilds and sweeps,
// Processed finds every key whose commit returned, at once, and only those.
func TestProcessedThroughFilter(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db := mustOpen(t, path, nil)
	commitWhileRebuilding(t, db, 4, 200, 0)
	for _, key := range []string{"never", rand.Text()} {
		if _, ok, err := db.Processed(ctx, key); ok || err != nil {
			t.Errorf("Processed(%q), never committed = %v, %v", key, ok, err)
		}
	}

	// Reopened, the filter is built from the file.
	db.Close()
	db = mustOpen(t, path, nil)
	if _, ok, err := db.Processed(ctx, "w3-199"); !ok || err != nil {
		t.Errorf("after reopening: Processed = %v, %v", ok, err)
	}
	// Swept keys are gone from it too (until a redelivery, none is
	// expected of them).
	if n, err := db.SweepProcessed(ctx, time.Now().Add(time.Hour)); err != nil || n != 800 {
		t.Fatalf("sweep: %d, %v", n, err)
	}
	if f := db.seen.Load(); f.mayContain(processedKey("w3-199")) && f.mayContain(processedKey("w0-0")) && f.mayContain(processedKey("w1-7")) {
		t.Error("the filter still has the swept keys")
	}
	if _, ok, err := db.Processed(ctx, "w3-199"); ok || err != nil {
		t.Errorf("after the sweep: Processed = %v, %v", ok, err)
	}

	db.Close()
	if _, _, err := db.Processed(ctx, "w3-199"); !errors.Is(err, ErrClosed) {
		t.Errorf("Processed after Close: %v, want ErrClosed", err)
	}
}

// TestSeenFilterGrows: a filter filled past its capacity is rebuilt,
// larger, by the commit that fills it.
func TestSeenFilterGrows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	small := db.seen.Load()
	small.added.Store(small.capacity) // as if full
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: "last straw", Result: playbook.Result{Status: 200}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.seen.Load() == small || db.rebuilding.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the full filter was not rebuilt")
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok, err := db.Processed(ctx, "last straw"); !ok || err != nil {
		t.Errorf("Processed after the rebuild = %v, %v", ok, err)
	}
}

// commitWhileRebuilding commits writers×each dedup records, keys
// "w<writer>-<i>", from concurrent writers while the seen filter is rebuilt
// over and over, pause apart, and checks that each is found right after
// its commit.
func commitWhileRebuilding(t *testing.T, db *DB, writers, each int, pause time.Duration) {
	t.Helper()
	ctx := t.Context()
	stop := make(chan struct{})
	var rebuilds sync.WaitGroup
	rebuilds.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(pause):
			}
			if err := db.rebuildSeen(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("w%d-%d", w, i)
				if _, dup, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}, Background: i%3 == 0}); err != nil || dup != nil {
					t.Errorf("CommitTurn(%q) = dup %v, %v", key, dup, err)
					return
				}
				if _, ok, err := db.Processed(ctx, key); !ok || err != nil {
					t.Errorf("Processed(%q) right after its commit = %v, %v", key, ok, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rebuilds.Wait()
}
