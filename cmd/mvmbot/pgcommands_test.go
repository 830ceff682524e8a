package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// TestMaintenanceOnPostgres runs the maintenance commands with
// MVMBOT_STORE a postgres:// URL, a store open meanwhile as a replica's
// would be: import and export work on the database, purge deletes the
// closed engagement, and backup says to use PostgreSQL's own tools.
func TestMaintenanceOnPostgres(t *testing.T) {
	pg := pgtest.Schema(t)
	ctx := context.Background()
	replica, err := pgstore.Open(ctx, pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close()
	imp := importEngagement(t)
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	done, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e-done", Customer: "Fabrikam", TenantDomain: "fabrikam.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
		playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := playbook.Close(done, "29:lead", "customer cancelled", at); err != nil {
		t.Fatal(err)
	}
	done.Version = 1
	for _, e := range []*playbook.Engagement{imp, done} {
		if _, _, err := replica.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (stdout, stderr string, err error) {
		var o, e bytes.Buffer
		m := &Main{Getenv: env{"MVMBOT_STORE": pg}.get, Stdout: &o, Stderr: &e}
		err = m.Run(ctx, args)
		return o.String(), e.String(), err
	}

	if _, _, err := run("backup", "--out", filepath.Join(t.TempDir(), "copy.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup on PostgreSQL: %v, want the way to back it up", err)
	}

	var b strings.Builder
	b.WriteString("User,Target\n")
	for i := range 10 {
		fmt.Fprintf(&b, "user%d@contoso.com,user%d@contoso.onmicrosoft.com\n", i, i)
	}
	file := filepath.Join(t.TempDir(), "good.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, out, err := run("import", "batch", "--engagement", imp.ID, "--event", "1", "--kind", "users", file); err != nil || !strings.Contains(out, "imported 10 users into event 1 of Contoso") {
		t.Fatalf("import: %v %s", err, out)
	}
	e, err := replica.Engagement(ctx, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Events[0].Members) != 10 || e.Version != 2 {
		t.Errorf("after import: v%d, %d members; want v2, 10", e.Version, len(e.Events[0].Members))
	}

	if _, _, err := run("export", "questionnaire", "--engagement", imp.ID); err == nil || !strings.Contains(err.Error(), "has not been submitted yet") {
		t.Errorf("export of an unsubmitted questionnaire: %v", err)
	}
	if _, _, err := run("export", "questionnaire", "--engagement", "e-none"); err == nil || !strings.Contains(err.Error(), `no engagement "e-none"`) {
		t.Errorf("export of an unknown engagement: %v", err)
	}

	if out, _, err := run("purge", "--closed-before", "2026-02-01"); err != nil || !strings.Contains(out, "would purge e-done (Fabrikam)") {
		t.Fatalf("purge dry run: %v\n%s", err, out)
	}
	if _, err := replica.Engagement(ctx, "e-done"); err != nil {
		t.Fatalf("a dry run deleted: %v", err)
	}
	if out, _, err := run("purge", "--closed-before", "2026-02-01", "--apply"); err != nil || !strings.Contains(out, "purged e-done") || !strings.Contains(out, "backups") {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	if _, err := replica.Engagement(ctx, "e-done"); playbook.ErrorCode(err) != playbook.ENOTFOUND {
		t.Errorf("purged engagement still readable: %v", err)
	}
	if _, err := replica.Engagement(ctx, imp.ID); err != nil {
		t.Errorf("the open engagement went with the purge: %v", err)
	}
}
