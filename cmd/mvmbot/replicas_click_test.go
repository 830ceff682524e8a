package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// TestReplicasClickOnce runs three `mvmbot serve` processes on one
// PostgreSQL database with auth on. A card click Teams delivers to two
// replicas at once (the same activity) changes the engagement once and is
// answered alike on both; two people clicking the same button of the same
// card on two replicas at once change it once, and the second is told the
// current state.
func TestReplicasClickOnce(t *testing.T) {
	pg := pgtest.Schema(t)
	if testing.Short() {
		t.Skip("builds and runs mvmbot processes")
	}
	bin := filepath.Join(t.TempDir(), "mvmbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	w := newWorld(t)
	var addrs []string
	var procs []*replicaProc
	for _, name := range []string{"a", "b", "c"} {
		e := w.authEnv()
		e["MVMBOT_STORE"], e["PORT"] = pg, "0"
		delete(e, "MVMBOT_DB")
		p := startReplica(t, bin, name, e)
		procs = append(procs, p)
		addrs = append(addrs, p.addr)
	}
	token, err := w.issuer.Token(testAppID, w.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgstore.Open(context.Background(), pg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	engagement := func() *playbook.Engagement {
		t.Helper()
		e, err := db.EngagementByConversation(context.Background(), workshopChat)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}

	card := invokeCard(t, addrs[0], w.groupInvoke("set-1", "setupSave", map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	}), token)
	if !strings.Contains(card, "you are its lead") {
		t.Fatalf("setup: %s", card)
	}
	edit := findData(t, card, "setup")
	v0 := engagement().Version

	// One activity, delivered to two replicas at once.
	same := w.groupInvoke("same-1", "done", map[string]any{"engagement": edit["engagement"], "version": edit["version"], "task": "assessment"})
	answers := make([]string, 2)
	var wg sync.WaitGroup
	for i, addr := range addrs[1:] {
		wg.Go(func() { answers[i] = postRaw(t, addr, same, token) })
	}
	wg.Wait()
	if answers[0] != answers[1] || !strings.Contains(answers[0], "1699") {
		t.Errorf("the same activity on two replicas answered differently:\n%s\n%s", answers[0], answers[1])
	}
	e := engagement()
	if e.Version != v0+1 || e.State("assessment").Status != playbook.StatusDone {
		t.Fatalf("after one activity on two replicas: v%d (want v%d), assessment %q", e.Version, v0+1, e.State("assessment").Status)
	}

	// Two people, one button of one card, two replicas, at once.
	next := fakes.FindAction([]byte(answers[0]), "done", "")
	if next == nil {
		t.Fatalf("no done button on %s", answers[0])
	}
	task, _ := next["task"].(string)
	for i, addr := range addrs[:2] {
		id := []string{"both-a", "both-b"}[i]
		wg.Go(func() { answers[i] = postRaw(t, addr, w.groupInvoke(id, "done", next), token) })
	}
	wg.Wait()
	e = engagement()
	if e.Version != v0+2 || e.State(task).Status != playbook.StatusDone {
		t.Errorf("after two clicks of one button on two replicas: v%d (want v%d, one change), %s %q", e.Version, v0+2, task, e.State(task).Status)
	}
	for i, a := range answers {
		if !strings.Contains(a, "application/vnd.microsoft.card.adaptive") && !strings.Contains(a, "statusCode") {
			t.Errorf("click %d answered %s", i, a)
		}
	}
	for _, p := range procs {
		if strings.Contains(p.log.String(), `"level":"ERROR"`) {
			t.Errorf("replica %s logged an error:\n%s", p.name, p.log)
		}
	}
}

// postRaw posts an invoke and returns its 200 answer's body.
func postRaw(t *testing.T, addr string, body []byte, token string) string {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/messages", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("invoke on %s: %s %s", addr, resp.Status, raw)
	}
	return string(raw)
}
