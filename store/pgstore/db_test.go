package pgstore

import (
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
