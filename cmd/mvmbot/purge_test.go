package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
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

// TestPurgeWhileServing: with the file held by a serving process, purge
// --apply goes through its admin socket; the purged engagement leaves no
// byte in the file, and the process keeps reading and writing during and
// after the rewrite.
func TestPurgeWhileServing(t *testing.T) {
	const marker = "Fabrikam-serving-9d1e"
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	lead := playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}
	for _, p := range []playbook.NewEngagementParams{
		{ID: "e-done", Customer: marker, TenantDomain: "fabrikam.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
		{ID: "e-open", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
	} {
		e, err := playbook.NewEngagement(p, lead, at)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == "e-done" {
			if err := playbook.Close(e, lead.ID, "customer cancelled", at); err != nil {
				t.Fatal(err)
			}
		}
		e.Version = 1
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
			t.Fatal(err)
		}
	}
	stop, err := serveAdmin(ctx, db, adminSocket(path), func() {}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer stop()

	// The "bot": notes on the open engagement, one after the other, during
	// the purge and after it.
	done := make(chan struct{})
	notes := make(chan int)
	go func() {
		n := 0
		defer func() { notes <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			e, err := db.Engagement(ctx, "e-open")
			if err != nil {
				t.Errorf("read during the purge: %v", err)
				return
			}
			if _, err := playbook.AddNote(e, lead.ID, fmt.Sprintf("note %d", n), at); err != nil {
				t.Error(err)
				return
			}
			e.Version++
			if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
				t.Errorf("write during the purge: %v", err)
				return
			}
			n++
		}
	}()
	var out bytes.Buffer
	m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &out, Stderr: io.Discard}
	err = m.Run(ctx, []string{"purge", "--closed-before", "2026-02-01", "--apply"})
	close(done)
	n := <-notes
	if err != nil || !strings.Contains(out.String(), "purged e-done ("+marker+")") {
		t.Fatalf("purge while serving: %v\n%s", err, out.String())
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte(marker)) {
		t.Error("the purged customer's name is still in the file")
	}
	e, err := db.Engagement(ctx, "e-open")
	if err != nil {
		t.Fatal(err)
	}
	// The notes are history, stored apart: read it whole to count them.
	h, err := db.History(ctx, e.ID, 0, e.HistoryBase)
	if err != nil {
		t.Fatal(err)
	}
	e.PrependHistory(h)
	if len(playbook.Notes(e, 0)) != n {
		t.Fatalf("after the purge: %v, %d notes, %d written", err, len(playbook.Notes(e, 0)), n)
	}
	if _, err := db.Engagement(ctx, "e-done"); playbook.ErrorCode(err) != playbook.ENOTFOUND {
		t.Errorf("purged engagement still there: %v", err)
	}
}

// TestPurgeAgainCompletesACutPurge: a purge killed after its deletions
// committed and before the file was rewritten leaves the purged bytes in
// the file's free pages; running purge --apply again, which finds nothing
// more to delete, rewrites the file, with the bot stopped or serving.
// (Before, it rewrote only when it deleted something: the marker stayed,
// as scripts/chaos's purge round showed after a kill in the rewrite.)
func TestPurgeAgainCompletesACutPurge(t *testing.T) {
	for _, serving := range []bool{false, true} {
		t.Run(fmt.Sprintf("serving=%v", serving), func(t *testing.T) {
			const marker = "Fabrikam-cut-4b7e"
			path := filepath.Join(t.TempDir(), "mvmbot.db")
			db, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
			e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e-done", Customer: marker, TenantDomain: "fabrikam.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
				playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := playbook.Close(e, "29:lead", "customer cancelled", at); err != nil {
				t.Fatal(err)
			}
			e.Version = 1
			if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
				t.Fatal(err)
			}
			// The purge's transaction, and no rewrite: as a kill leaves it.
			if list, err := db.PurgeClosed(ctx, at.AddDate(0, 1, 0), false); err != nil || len(list) != 1 {
				t.Fatalf("purge: %v, %v", list, err)
			}
			if raw, _ := os.ReadFile(path); !bytes.Contains(raw, []byte(marker)) {
				t.Fatal("the marker is gone before the rewrite; the test shows less than it should")
			}
			if serving {
				stop, err := serveAdmin(ctx, db, adminSocket(path), func() {}, slog.New(slog.DiscardHandler))
				if err != nil {
					t.Skipf("no unix socket here: %v", err)
				}
				defer stop()
			} else {
				db.Close()
			}
			var out bytes.Buffer
			m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &out, Stderr: io.Discard}
			if err := m.Run(ctx, []string{"purge", "--closed-before", "2026-02-01", "--apply"}); err != nil {
				t.Fatalf("purge again: %v\n%s", err, out.String())
			}
			if s := out.String(); !strings.Contains(s, "0 engagement(s) purged") || !strings.Contains(s, "an earlier purge whose rewrite did not finish") {
				t.Errorf("purge again says:\n%s", s)
			}
			if raw, _ := os.ReadFile(path); bytes.Contains(raw, []byte(marker)) {
				t.Error("the purged customer's name is still in the file after the purge ran again")
			}
			// And a third run has nothing left to rewrite.
			out.Reset()
			if err := m.Run(ctx, []string{"purge", "--closed-before", "2026-02-01", "--apply"}); err != nil || strings.Contains(out.String(), "rewritten") {
				t.Errorf("a third purge: %v\n%s", err, out.String())
			}
		})
	}
}
