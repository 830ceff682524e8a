package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// run runs one sub-command and returns its output.
func runCmd(t *testing.T, e env, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	m := &Main{Getenv: e.get, Stdout: &out, Stderr: io.Discard}
	err := m.Run(context.Background(), args)
	return out.String(), err
}

// TestJobsCommand: a dead-lettered job is listed by `mvmbot jobs list`,
// doctor and /readyz, with the bot stopped and while it serves; `jobs
// retry` queues it again in the running bot (which runs it at once), `jobs
// discard` deletes it.
func TestJobsCommand(t *testing.T) {
	w := newWorld(t)
	e := env{"MVMBOT_DB": w.dbPath}
	db, err := store.Open(w.dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	js, err := db.Enqueue(ctx, playbook.Job{Kind: "test.gone", Args: []byte(`{}`), RunAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatUint(js[0].ID, 10)
	if err := db.Fail(ctx, js[0].ID, "graph: 503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if out, err := runCmd(t, e, "jobs", "list"); err != nil || !strings.Contains(out, id+"   test.gone") || !strings.Contains(out, "503") {
		t.Errorf("jobs list, bot stopped: %v\n%s", err, out)
	}
	if out, _ := runCmd(t, e, "doctor"); !strings.Contains(out, "warn dead-lettered jobs: 1: "+id+" test.gone (graph: 503") {
		t.Errorf("doctor, bot stopped:\n%s", out)
	}

	r := start(t, env{"MVMBOT_DB": w.dbPath})
	if out, err := runCmd(t, e, "jobs", "list"); err != nil || !strings.Contains(out, "test.gone") {
		t.Errorf("jobs list while serving: %v\n%s", err, out)
	}
	if out, _ := runCmd(t, e, "doctor"); !strings.Contains(out, "dead-lettered jobs: 1: "+id) {
		t.Errorf("doctor while serving:\n%s", out)
	}
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(ready["deadJobs"], id+" test.gone") {
		t.Errorf("/readyz = %d %v, want ready with the dead job named", resp.StatusCode, ready)
	}

	if out, err := runCmd(t, e, "jobs", "retry", id); err != nil || !strings.Contains(out, "queued again") {
		t.Fatalf("jobs retry: %v\n%s", err, out)
	}
	// The running bot has no worker for the kind: it runs the job at once
	// and dead-letters it again, with that as the error.
	deadline := time.Now().Add(10 * time.Second)
	var out string
	for time.Now().Before(deadline) && !strings.Contains(out, "no worker") {
		out, _ = runCmd(t, e, "jobs", "list")
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out, "no worker for kind test.gone") {
		t.Errorf("after retry the job did not run again:\n%s", out)
	}
	if _, err := runCmd(t, e, "jobs", "retry", "999"); err == nil || !strings.Contains(err.Error(), "No dead-lettered job has the id 999.") {
		t.Errorf("retry of an unknown id: %v", err)
	}
	if out, err := runCmd(t, e, "jobs", "discard", id); err != nil || !strings.Contains(out, "deleted") {
		t.Errorf("jobs discard: %v\n%s", err, out)
	}
	if out, _ := runCmd(t, e, "jobs", "list"); !strings.Contains(out, "no dead-lettered jobs") {
		t.Errorf("after discard:\n%s", out)
	}
	if _, err := runCmd(t, e, "jobs", "frob"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("jobs frob: %v", err)
	}
}
