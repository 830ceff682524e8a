package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestPurgeLeavesNoBytes: after PurgeClosed and Compact no byte of the
// purged engagement (a marker in its name, a note, a batch, a questionnaire
// answer, an issue and a dead job) is left in the file or in a backup taken
// after; an open engagement stays whole.
func TestPurgeLeavesNoBytes(t *testing.T) {
	const marker = "PURGE-MARKER-7f3a9c"
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := Open(path, nil)
	must(t, err)
	ctx := context.Background()
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	lead := playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}
	for _, p := range []playbook.NewEngagementParams{
		{ID: "e-done", Customer: "Fabrikam " + marker, TenantDomain: "fabrikam.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}, Conversation: "19:done@thread.v2"},
		{ID: "e-open", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: []playbook.Source{playbook.Box}},
	} {
		e, err := playbook.NewEngagement(p, lead, at)
		must(t, err)
		if p.ID == "e-done" { // a batch, kept in records of its own
			e.Events = []playbook.Event{{N: 1, Kind: "pilot", Date: at, Units: 1, Source: playbook.Box, State: playbook.EventPlanned,
				MemberKind: playbook.BatchPaths, BatchRev: 1, Members: []playbook.BatchMember{{Unit: "/" + marker}},
				Outcomes: []playbook.UnitOutcome{{Unit: "/" + marker, Status: "Failed", Error: marker}}}}
			e.BatchSeq = 1
			// A questionnaire version and an issue, kept in records of their own.
			e.Questionnaire = []playbook.QuestionnaireVersion{{N: 1, Answers: playbook.Answers{"notes": marker}, By: lead.ID, At: at}}
			e.Issues = []playbook.Issue{{ID: 1, Title: "issue " + marker, State: playbook.IssueOpen, Opened: at, OpenedBy: lead.ID, Rev: 1}}
		}
		// Many versions, as months of turns leave them in free pages.
		for i := range 20 {
			e.Version++
			if p.ID == "e-done" {
				if _, err := playbook.AddNote(e, lead.ID, marker+" note", at); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
				t.Fatalf("commit %s v%d: %v", p.ID, i, err)
			}
		}
		if p.ID == "e-done" {
			must(t, playbook.Close(e, lead.ID, "done", at))
			e.Version++
			_, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1})
			must(t, err)
		}
	}
	js, err := db.Enqueue(ctx, playbook.Job{Kind: "connector.send", Args: []byte(`{"conversationId":"19:done@thread.v2","text":"` + marker + `"}`)})
	must(t, err)
	must(t, db.Fail(ctx, js[0].ID, "403"))
	purged, err := db.PurgeClosed(ctx, at.AddDate(0, 1, 0), false)
	must(t, err)
	if len(purged) != 1 || purged[0].ID != "e-done" {
		t.Fatalf("purged %+v", purged)
	}
	must(t, db.Close())
	if b, _ := os.ReadFile(path); !bytes.Contains(b, []byte(marker)) {
		t.Log("the marker is gone before Compact already; the test shows less than it should")
	}

	must(t, Compact(path, nil))
	if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte(marker)) {
		t.Fatalf("after Compact the file holds the marker (err %v)", err)
	}
	db, err = Open(path, nil)
	must(t, err)
	defer db.Close()
	if e, err := db.Engagement(ctx, "e-open"); err != nil || e.Customer != "Contoso" || e.Version != 20 {
		t.Errorf("open engagement after Compact: %+v, %v", e, err)
	}
	if d, _ := db.Dead(ctx); len(d) != 0 {
		t.Errorf("dead jobs of the purged engagement: %+v", d)
	}
	// New records still get fresh ids.
	js2, err := db.Enqueue(ctx, playbook.Job{Kind: "x", Args: []byte(`{}`)})
	if err != nil || js2[0].ID <= js[0].ID {
		t.Errorf("job id after Compact = %v, %v; want above %d", js2, err, js[0].ID)
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	must(t, db.Backup(ctx, backup))
	if b, _ := os.ReadFile(backup); bytes.Contains(b, []byte(marker)) {
		t.Error("a backup after the purge holds the marker")
	}
	if err := Compact(path, &Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrInUse) {
		t.Errorf("Compact of a file in use = %v, want ErrInUse", err)
	}
}

// TestPurgeWhileServing: a purge and CompactServing on the DB the bot
// serves from leave no byte of the purged engagement in the file, while
// writers go on: none of their writes fails or is lost, and the DB answers
// after it.
func TestPurgeWhileServing(t *testing.T) {
	const marker = "PURGE-MARKER-serving-51c2"
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := Open(path, nil)
	must(t, err)
	defer db.Close()
	ctx := context.Background()
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	lead := playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}
	done, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e-done", Customer: "Fabrikam " + marker, TenantDomain: "fabrikam.onmicrosoft.com",
		Sources: []playbook.Source{playbook.Box}}, lead, at)
	must(t, err)
	for range 20 {
		done.Version++
		_, err := playbook.AddNote(done, lead.ID, marker+" note", at)
		must(t, err)
		_, _, err = db.CommitTurn(ctx, playbook.Turn{Engagement: done, ExpectVersion: done.Version - 1})
		must(t, err)
	}
	must(t, playbook.Close(done, lead.ID, "done", at))
	done.Version++
	_, _, err = db.CommitTurn(ctx, playbook.Turn{Engagement: done, ExpectVersion: done.Version - 1})
	must(t, err)

	// Writers keep enqueueing while the purge and the rewrite run.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	var failures atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.Enqueue(ctx, playbook.Job{Kind: "x", Key: fmt.Sprintf("w%d-%d", w, i), Args: []byte(`{}`), RunAt: at.AddDate(1, 0, 0)}); err != nil {
					failures.Add(1)
					t.Errorf("enqueue during the rewrite: %v", err)
					return
				}
				written.Add(1)
			}
		}()
	}
	purged, err := db.PurgeClosed(ctx, at.AddDate(0, 1, 0), false)
	must(t, err)
	if len(purged) != 1 {
		t.Fatalf("purged %+v", purged)
	}
	must(t, db.CompactServing())
	close(stop)
	wg.Wait()
	if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte(marker)) {
		t.Fatalf("after CompactServing the file holds the marker (err %v)", err)
	}
	if n, err := db.Pending(ctx); err != nil || int64(n) != written.Load() {
		t.Errorf("%d jobs queued after the rewrite (%v), %d written", n, err, written.Load())
	}
	if _, err := db.Enqueue(ctx, playbook.Job{Kind: "x", Key: "after", Args: []byte(`{}`)}); err != nil {
		t.Errorf("enqueue after the rewrite: %v", err)
	}
	must(t, db.Check(ctx))
}

// TestPurgeRewriteCutShort: a purge whose rewrite never finished (the
// process killed between the purge's commit and the rename) is still
// known to need one after a restart, so that the next purge rewrites the
// file even with nothing more to delete; and the temporary file the cut
// rewrite left, a copy of the live records of its time, is removed when
// the file is next opened, before a later purge could leave an
// engagement's bytes there.
func TestPurgeRewriteCutShort(t *testing.T) {
	const marker = "PURGE-MARKER-cut-3e8b"
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := Open(path, nil)
	must(t, err)
	ctx := context.Background()
	at := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	lead := playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e-done", Customer: "Fabrikam " + marker, TenantDomain: "fabrikam.onmicrosoft.com",
		Sources: []playbook.Source{playbook.Box}}, lead, at)
	must(t, err)
	e.Version = 1
	_, _, err = db.CommitTurn(ctx, playbook.Turn{Engagement: e})
	must(t, err)
	if p, err := db.RewritePending(ctx); err != nil || p {
		t.Fatalf("RewritePending before any purge = %v, %v", p, err)
	}
	// A rewrite cut short while the engagement was open: its copy stays.
	left, err := compactInto(db.bolt, path)
	must(t, err)
	must(t, playbook.Close(e, lead.ID, "done", at))
	e.Version++
	_, _, err = db.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1})
	must(t, err)
	purged, err := db.PurgeClosed(ctx, at.AddDate(0, 1, 0), false)
	must(t, err)
	if len(purged) != 1 {
		t.Fatalf("purged %+v", purged)
	}
	// Killed here: the purge committed, no rewrite.
	must(t, db.Close())
	if b, _ := os.ReadFile(left); !bytes.Contains(b, []byte(marker)) {
		t.Fatal("the cut rewrite's file lacks the marker; the test shows less than it should")
	}

	db, err = Open(path, nil)
	must(t, err)
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cut rewrite's file is still there after Open (%v)", err)
	}
	if p, err := db.RewritePending(ctx); err != nil || !p {
		t.Errorf("RewritePending after a purge without its rewrite = %v, %v; want true", p, err)
	}
	// The next purge finds nothing to delete; the rewrite is still due.
	if again, err := db.PurgeClosed(ctx, at.AddDate(0, 1, 0), false); err != nil || len(again) != 0 {
		t.Fatalf("second purge = %+v, %v", again, err)
	}
	must(t, db.CompactServing())
	if p, err := db.RewritePending(ctx); err != nil || p {
		t.Errorf("RewritePending after the rewrite = %v, %v; want false", p, err)
	}
	must(t, db.Close())
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, de := range entries {
		if b, _ := os.ReadFile(filepath.Join(filepath.Dir(path), de.Name())); bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the marker after the rewrite", de.Name())
		}
	}
}
