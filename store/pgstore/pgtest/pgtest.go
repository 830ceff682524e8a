// Package pgtest gives tests a PostgreSQL database of their own: a fresh
// schema in the database MVMBOT_TEST_POSTGRES names, dropped when the test
// ends, so that parallel tests, packages and developers do not collide.
//
// Without MVMBOT_TEST_POSTGRES the test is skipped, with a message naming
// the variable; under CI (CI=true) it fails instead, so a CI run cannot
// pass without PostgreSQL.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that holds the connection string of the tests'
// database, e.g. postgres://postgres@127.0.0.1:5432/test.
const Env = "MVMBOT_TEST_POSTGRES"

// Base returns MVMBOT_TEST_POSTGRES, or skips the test (fails it under
// CI=true) when it is not set.
func Base(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see .ci/run)", Env)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test) to run them", Env)
	}
	return base
}

// Schema creates a schema named mvmbot_<random> and returns a connection
// string whose search_path is that schema. The schema is dropped, with
// everything in it, when the test ends; register the store's Close after
// calling Schema so that it runs first.
func Schema(t testing.TB) string {
	t.Helper()
	base := Base(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", Env)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mvmbot_" + hex.EncodeToString(b[:])
	exec(t, base, "CREATE SCHEMA "+name)
	t.Cleanup(func() { exec(t, base, "DROP SCHEMA "+name+" CASCADE") })
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// SchemaOf returns the schema a connection string from Schema names.
func SchemaOf(conn string) string {
	u, err := url.Parse(conn)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}

func exec(t testing.TB, conn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatalf("connect to %s: %v", Env, err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
