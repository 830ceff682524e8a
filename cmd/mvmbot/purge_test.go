package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

func TestPurge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e-done", Customer: "Fabrikam", TenantDomain: "fabrikam.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
		playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := playbook.Close(e, "29:lead", "customer cancelled", at); err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	if _, _, err := db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &out, Stderr: io.Discard}
		err := m.Run(context.Background(), append([]string{"purge"}, args...))
		return out.String(), err
	}
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "--closed-before") {
		t.Errorf("purge without a date: %v", err)
	}
	out, err := run("--closed-before", "2026-02-01")
	if err != nil || !strings.Contains(out, "would purge e-done (Fabrikam)") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if out, err := run("--closed-before", "2026-01-01", "--apply"); err != nil || !strings.Contains(out, "0 engagement(s) purged") {
		t.Errorf("nothing closed before the date: %v\n%s", err, out)
	}
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte("Fabrikam")) {
		t.Fatal("the file lacks the engagement before the purge")
	}
	if out, err := run("--closed-before", "2026-02-01", "--apply"); err != nil || !strings.Contains(out, "purged e-done") || !strings.Contains(out, "rewritten without their data") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte("Fabrikam")) {
		t.Error("the purged customer's name is still in the file")
	}
	db, err = store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Engagement(context.Background(), "e-done"); playbook.ErrorCode(err) != playbook.ENOTFOUND {
		t.Errorf("purged engagement still there: %v", err)
	}
}
