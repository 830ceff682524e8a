package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// exportDB is a database with one IMAP engagement whose questionnaire has
// two versions, and two issues; it returns the file and the engagement id.
func exportDB(t *testing.T) (string, string) {
	t.Helper()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-export", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: []playbook.Source{playbook.IMAP},
		Conversation: "19:export@thread.v2",
	}, playbook.Member{ID: "29:cy", Name: "Cy Customer", Roles: []playbook.Role{playbook.MST}}, now)
	if err != nil {
		t.Fatal(err)
	}
	answers := playbook.Answers{
		"customer-org": "Contoso Ltd", "tenant-domain": "contoso.onmicrosoft.com",
		"tech-contact-name": "Ivan IT", "tech-contact-email": "ivan@contoso.com", "tech-contact-phone": "+44 20 7946 0958",
		"business-contact-name": "Bea Business", "business-contact-email": "bea@contoso.com",
		"comms-owner": "=HYPERLINK(\"x\")", "time-zone": "Europe/London",
		"window-start": "2027-01-11", "window-end": "2027-04-09",
		"users-in-scope": "250", "data-volume-gb": "5000", "pilot-size": "20", "batch-size": "50",
		"migration-path": "benefit", "network-access": "allowlist", "secure-credentials": "yes",
		"imap-host": "imap.contoso.com", "imap-port": "993", "imap-security": "tls", "imap-auth": "basic",
		"imap-mailboxes": "240", "imap-avg-mailbox-gb": "4.5", "imap-max-mailbox-gb": "48",
	}
	for i, a := range []playbook.Answers{answers, answers.With(playbook.Answers{"imap-max-mailbox-gb": "95"})} {
		if _, fe, err := playbook.SubmitQuestionnaire(e, "29:cy", a, now, nil); err != nil {
			t.Fatalf("v%d: %v %v", i+1, err, fe)
		}
	}
	// Issues, kept apart from the record as the versions are: migrate-store carries them.
	for _, title := range []string{"Calendar did not sync", "Shared mailbox missing"} {
		if _, err := playbook.OpenIssue(e, "29:cy", title, "", 0, now); err != nil {
			t.Fatal(err)
		}
	}
	e.Version = 1
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

func TestExportQuestionnaire(t *testing.T) {
	path, id := exportDB(t)
	run := func(e env, args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		m := &Main{Getenv: e.get, Stdout: &stdout, Stderr: &stderr}
		err := m.export(context.Background(), args)
		return stdout.String(), stderr.String(), err
	}

	// JSON to standard output, the latest version.
	out, _, err := run(env{"MVMBOT_DB": path}, "questionnaire", "--engagement", id)
	if err != nil {
		t.Fatal(err)
	}
	var x playbook.QuestionnaireExport
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, a := range x.Answers {
		got[a.Field] = a.Value
	}
	if x.Engagement != id || x.Version != 2 || x.SubmittedBy != "29:cy" || len(x.Answers) != 25 || got["imap-max-mailbox-gb"] != "95" {
		t.Errorf("export = %+v", x)
	}

	// CSV of v1 to a file, from --db.
	file := filepath.Join(t.TempDir(), "q.csv")
	_, msg, err := run(env{}, "questionnaire", "--engagement", id, "--format", "csv", "--version", "1", "--out", file, "--db", path)
	if err != nil || !strings.Contains(msg, "wrote questionnaire v1 of Contoso") {
		t.Fatalf("csv: %v %q", err, msg)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 26 || strings.Join(rows[0], ",") != strings.Join(playbook.CSVHeader, ",") {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		switch r[4] {
		case "imap-max-mailbox-gb":
			if r[6] != "48" || r[0] != "1" {
				t.Errorf("v1 row %v", r)
			}
		case "comms-owner":
			if !strings.HasPrefix(r[6], "'=") {
				t.Errorf("a formula is not defused: %v", r)
			}
		}
	}

	// Mistakes and refusals, each with a clear message.
	tests := []struct {
		name  string
		e     env
		args  []string
		usage bool
		want  string
	}{
		{"nothing named", env{"MVMBOT_DB": path}, nil, true, "export questionnaire --engagement ID"},
		{"something else", env{"MVMBOT_DB": path}, []string{"engagements"}, true, "export questionnaire --engagement ID"},
		{"no engagement flag", env{"MVMBOT_DB": path}, []string{"questionnaire"}, true, "needs --engagement"},
		{"bad format", env{"MVMBOT_DB": path}, []string{"questionnaire", "--engagement", id, "--format", "xml"}, true, "json or csv"},
		{"unknown engagement", env{"MVMBOT_DB": path}, []string{"questionnaire", "--engagement", "e-nope"}, false, `no engagement "e-nope"`},
		{"no such version", env{"MVMBOT_DB": path}, []string{"questionnaire", "--engagement", id, "--version", "9"}, false, "no questionnaire v9"},
		{"no database", env{"MVMBOT_DB": filepath.Join(t.TempDir(), "none.db")}, []string{"questionnaire", "--engagement", id}, false, "no database at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := run(tt.e, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.usage {
				t.Errorf("err = %v; want %q (usage %v)", err, tt.want, tt.usage)
			}
		})
	}
}

// TestExportWhileServing: the bot holds the database; export says so and
// how to get the data anyway.
func TestExportWhileServing(t *testing.T) {
	path, id := exportDB(t)
	db, err := store.Open(path, nil) // as the serving bot does
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &Main{Getenv: env{"MVMBOT_DB": path}.get, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	start := time.Now()
	err = m.export(context.Background(), []string{"questionnaire", "--engagement", id})
	if err == nil || !strings.Contains(err.Error(), "in use by a running mvmbot") || !strings.Contains(err.Error(), "mvmbot backup --out copy.db") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("export waited %v for the lock", d)
	}
}
