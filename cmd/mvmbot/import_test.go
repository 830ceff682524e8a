package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// importDB is a database with one IMAP engagement whose plan v1 (a pilot
// of 10, then batches) is accepted; it returns the file and the id.
func importDB(t *testing.T) (string, string) {
	t.Helper()
	e := importEngagement(t)
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, e.ID
}

// importEngagement is importDB's engagement, at version 1.
func importEngagement(t *testing.T) *playbook.Engagement {
	t.Helper()
	now := time.Now().UTC()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-import", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: []playbook.Source{playbook.IMAP},
		Conversation: "19:import@thread.v2",
	}, playbook.Member{ID: "29:vi", Name: "Vi Velocity", Roles: []playbook.Role{playbook.MVM}}, now)
	if err != nil {
		t.Fatal(err)
	}
	p, err := playbook.ProposePlan(playbook.PlanInput{Units: 100, PilotSize: 10, PreferredBatch: 30, PilotReviewDays: 2,
		WindowStart: now.AddDate(0, 0, 7), WindowEnd: now.AddDate(0, 0, 90), TimeZone: time.UTC}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.AcceptPlan(e, "29:vi", p, now); err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	return e
}

func readEngagement(t *testing.T, path, id string) *playbook.Engagement {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.Engagement(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	h, err := db.History(context.Background(), id, 0, e.HistoryBase)
	if err != nil {
		t.Fatal(err)
	}
	e.PrependHistory(h)
	return e
}

func TestImportBatch(t *testing.T) {
	path, id := importDB(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	run := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &stdout, Stderr: &stderr}
		err := m.importCmd(context.Background(), args)
		return stderr.String(), err
	}

	// Bad rows: every one listed with its line, nothing imported.
	bad := write("bad.csv", "user,target\nann@contoso.com,\nnot-an-email,\nbo@contoso.com,\nANN@contoso.com,\n")
	out, err := run("batch", "--engagement", id, "--event", "1", bad)
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("bad file: %v", err)
	}
	for _, want := range []string{"line 3", "line 5"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %s: %s", want, out)
		}
	}
	if e := readEngagement(t, path, id); len(e.Events[0].Members) != 0 || e.Version != 1 {
		t.Fatalf("a bad file imported something: v%d, %d members", e.Version, len(e.Events[0].Members))
	}

	// A good file: the members are set, by the MVM, in the history.
	var b strings.Builder
	b.WriteString("User,Target\n")
	for i := range 10 {
		fmt.Fprintf(&b, "user%d@contoso.com,user%d@contoso.onmicrosoft.com\n", i, i)
	}
	good := write("good.csv", b.String())
	if out, err := run("batch", "--engagement", id, "--event", "1", "--kind", "users", good); err != nil || !strings.Contains(out, "imported 10 users into event 1 of Contoso") {
		t.Fatalf("good file: %v %s", err, out)
	}
	e := readEngagement(t, path, id)
	if len(e.Events[0].Members) != 10 || e.Events[0].Members[9].Target != "user9@contoso.onmicrosoft.com" || e.Version != 2 || e.History[len(e.History)-1].Actor != "29:vi" {
		t.Errorf("after import: v%d, members %+v", e.Version, e.Events[0].Members)
	}
	// The same users in another event are refused by the playbook.
	if _, err := run("batch", "--engagement", id, "--event", "2", good); err == nil || !strings.Contains(err.Error(), "already in another event") {
		t.Errorf("units in two events: %v", err)
	}

	// Usage mistakes.
	for _, args := range [][]string{{}, {"users"}, {"batch", "--engagement", id, good}, {"batch", "--event", "1", good}, {"batch", "--engagement", id, "--event", "1", "--kind", "mailboxes", good}} {
		if _, err := run(args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, err := run("batch", "--engagement", "e-none", "--event", "1", good); err == nil || !strings.Contains(err.Error(), `no engagement "e-none"`) {
		t.Errorf("unknown engagement: %v", err)
	}

	// While the bot holds the database.
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := run("batch", "--engagement", id, "--event", "1", good); err == nil || !strings.Contains(err.Error(), "in use by a running mvmbot") {
		t.Errorf("in use: %v", err)
	}
}

// TestImportIMAPCSVKeepsNoPassword imports each of Microsoft's example IMAP
// migration CSVs: the mailboxes arrive (the Microsoft 365 mailbox as the
// unit, the source login beside it), the person is told the passwords were
// not kept and where credentials go, and no password is in the database
// file or in what the command printed.
func TestImportIMAPCSVKeepsNoPassword(t *testing.T) {
	for _, name := range []string{"imap-migration.csv", "imap-migration-admin-exchange.csv", "imap-migration-admin-dovecot.csv",
		"imap-migration-admin-mirapoint.csv", "imap-migration-userroot-courier.csv"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("..", "..", "playbook", "testdata", "microsoft", name)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var passwords []string
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
				passwords = append(passwords, strings.Split(line, ",")[2])
			}
			path, id := importDB(t)
			var stdout, stderr bytes.Buffer
			m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &stdout, Stderr: &stderr}
			if err := m.importCmd(context.Background(), []string{"batch", "--engagement", id, "--event", "1", file}); err != nil {
				t.Fatal(err)
			}
			out := stdout.String() + stderr.String()
			if !strings.Contains(out, "imported 3 users into event 1") || !strings.Contains(out, "The Password column (3 rows) was not kept") || !strings.Contains(out, "secure credential process (3614)") {
				t.Errorf("output: %s", out)
			}
			ev := readEngagement(t, path, id).Events[0]
			if len(ev.Members) != 3 || ev.Members[0].Unit != "terrya@contoso.edu" || ev.Members[0].Login == "" || ev.Members[0].Target != "" {
				t.Errorf("members %+v", ev.Members)
			}
			db, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range passwords {
				if bytes.Contains(db, []byte(p)) || strings.Contains(out, p) {
					t.Errorf("password %q is in the database or the output", p)
				}
			}
			if !bytes.Contains(db, []byte("terrya@contoso.edu")) {
				t.Error("the byte search reads nothing: the mailbox is not in the file either")
			}
		})
	}
}

// TestImportStatus: an IMAP pilot imported from Microsoft's CSV, its
// status imported from a Get-MigrationUser export; the failed user carries
// Microsoft's error and the known error.
func TestImportStatus(t *testing.T) {
	path, id := importDB(t)
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &stdout, Stderr: &stderr}
		err := m.importCmd(context.Background(), args)
		return stderr.String(), err
	}
	pilot := filepath.Join("..", "..", "playbook", "testdata", "microsoft", "imap-migration.csv")
	if _, err := run("batch", "--engagement", id, "--event", "1", pilot); err != nil {
		t.Fatal(err)
	}
	export := filepath.Join(dir, "status.csv")
	body := "#TYPE Microsoft.Exchange.Migration.MigrationUser\r\n\"Identity\",\"BatchId\",\"Status\",\"LastSuccessfulSyncTime\",\"Error\"\r\n" +
		"\"terrya@contoso.edu\",\"Pilot\",\"Synced\",\"3/1/2027 6:00:00 AM\",\"\"\r\n" +
		"\"annb@contoso.edu\",\"Pilot\",\"Failed\",\"\",\"We had trouble signing in to this account. Confirm that you're using the correct user name and password.\"\r\n"
	if err := os.WriteFile(export, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run("status", "--engagement", id, "--event", "1", export); err == nil || !strings.Contains(err.Error(), "once it runs") {
		t.Errorf("status of a planned event: %v", err)
	}
	e := readEngagement(t, path, id)
	for _, step := range []func() error{
		func() error {
			return playbook.WaivePreflight(e, "29:vi", 1, "pilot of Microsoft's example users", time.Now())
		},
		// The test is about the status file, not 1871's order: the MVM
		// starts the pilot anyway, with the reason on record.
		func() error {
			return playbook.StartEventAnyway(e, "29:vi", 1, "status import test of a pilot", time.Now())
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.Version++
	if _, _, err := db.CommitTurn(context.Background(), playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := run("status", "--engagement", id, "--event", "1", export)
	if err != nil || !strings.Contains(out, "imported the status of 2 units into event 1 of Contoso: 1 migrated, 0 in progress, 1 failed, 0 stopped, 1 not reported") {
		t.Fatalf("%v: %s", err, out)
	}
	w := playbook.FindUnit(readEngagement(t, path, id), "contoso\\ann.beebe")
	if len(w) != 1 || w[0].Outcome == nil || w[0].Outcome.Status != "Failed" || w[0].Known == nil || w[0].Known.ID != "imap-auth-failed" {
		t.Errorf("ann: %+v", w)
	}
}

// TestImportWhileServing: while mvmbot holds the database, import goes
// through the admin socket and the running process applies it; the
// passwords of Microsoft's IMAP CSV reach neither the database nor the
// server's log.
func TestImportWhileServing(t *testing.T) {
	path, id := importDB(t)
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logBuf bytes.Buffer
	stop, err := serveAdmin(context.Background(), db, adminSocket(path), func() {}, slog.New(slog.NewTextHandler(&logBuf, nil)))
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer stop()
	var stdout, stderr bytes.Buffer
	m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &stdout, Stderr: &stderr}
	file := filepath.Join("..", "..", "playbook", "testdata", "microsoft", "imap-migration-admin-exchange.csv")
	if err := m.importCmd(context.Background(), []string{"batch", "--engagement", id, "--event", "1", file}); err != nil {
		t.Fatal(err, stderr.String())
	}
	if s := stderr.String(); !strings.Contains(s, "imported 3 users into event 1 of Contoso") || !strings.Contains(s, "was not kept") {
		t.Errorf("output: %s", s)
	}
	e, err := db.Engagement(context.Background(), id)
	if err != nil || len(e.Events[0].Members) != 3 || e.Events[0].Members[1].Login != "contoso-students/mailadmin/ann.beebe" {
		t.Fatalf("%v %+v", err, e.Events[0].Members)
	}
	// A refused file through the socket: the rows come back, nothing changes.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("EmailAddress,UserName,Password\nnot-an-address,x,P@ssw0rd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if err := m.importCmd(context.Background(), []string{"batch", "--engagement", id, "--event", "2", bad}); err == nil || !strings.Contains(stderr.String(), "line 2: EmailAddress") {
		t.Errorf("bad file through the socket: %v %s", err, stderr.String())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("P@ssw0rd")) || strings.Contains(logBuf.String()+stderr.String()+stdout.String(), "P@ssw0rd") {
		t.Error("a password reached the database, the log or the output")
	}
}
