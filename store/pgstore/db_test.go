package pgstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// Compile-time check: *DB is a storetest.Backend.
var _ storetest.Backend = (*DB)(nil)

// open opens a store on conn with the suite's settings; closed at cleanup.
func open(t *testing.T, conn string, now func() time.Time) *DB {
	t.Helper()
	db, err := Open(t.Context(), conn, &Options{Now: now, JobLease: storetest.Lease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Backend {
		return open(t, pgtest.Schema(t), now)
	})
}

func TestReplicas(t *testing.T) {
	pgtest.Base(t)
	storetest.RunReplicas(t, func(t *testing.T, now func() time.Time) (storetest.Backend, storetest.Backend) {
		conn := pgtest.Schema(t)
		return open(t, conn, now), open(t, conn, now)
	})
}

// TestLead: of two replicas, one leads; the other takes over when the
// first stops leading.
func TestLead(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	a, b := open(t, conn, time.Now), open(t, conn, time.Now)
	ctxA, stopA := context.WithCancel(t.Context())
	ledA, ledB := make(chan struct{}), make(chan struct{})
	go a.Lead(ctxA, "periodic", 10*time.Millisecond, func(ctx context.Context) {
		close(ledA)
		<-ctx.Done()
	})
	select {
	case <-ledA:
	case <-time.After(10 * time.Second):
		t.Fatal("A did not lead")
	}
	go b.Lead(t.Context(), "periodic", 10*time.Millisecond, func(ctx context.Context) {
		close(ledB)
		<-ctx.Done()
	})
	select {
	case <-ledB:
		t.Fatal("B leads while A does")
	case <-time.After(200 * time.Millisecond):
	}
	stopA()
	select {
	case <-ledB:
	case <-time.After(10 * time.Second):
		t.Fatal("B did not take over when A stopped")
	}
}

// TestInspectCoversEveryTable: the doctor checks the role's privileges on
// every table the migrations create, so that a table a migration added is
// not first found unwritable by a person's click.
func TestInspectCoversEveryTable(t *testing.T) {
	pgtest.Base(t)
	db := open(t, pgtest.Schema(t), time.Now)
	got := slices.Clone(tables)
	slices.Sort(got)
	if want := schemaTables(t, db); !slices.Equal(got, want) {
		t.Errorf("doctor checks %v, the schema has %v", got, want)
	}
}
