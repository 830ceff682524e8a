package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
)

const workshopChat = "19:workshops@thread.v2"

// groupInvoke is an Action.Execute from Pat in the workshop group chat.
func (w *world) groupInvoke(id, verb string, data map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "invoke", "name": "adaptiveCard/action", "id": id, "channelId": "msteams", "serviceUrl": w.conn.URL(),
		"timestamp":    "2026-11-23T10:00:00.000Z",
		"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
		"recipient":    map[string]any{"id": "28:" + testAppID, "name": "mvmbot"},
		"conversation": map[string]any{"id": workshopChat, "conversationType": "groupChat", "isGroup": true, "tenantId": testTenant},
		"channelData":  map[string]any{"tenant": map[string]any{"id": testTenant}},
		"value":        map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
	})
	return b
}

// invokeCard posts an invoke and returns the card it is answered with, as
// JSON text.
func invokeCard(t *testing.T, addr string, body []byte, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/messages", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: %s %s", resp.Status, raw)
	}
	var ans struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Type != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("invoke answer %s: %v", raw, err)
	}
	return string(ans.Value)
}

// findData returns the data of the first Action.Execute with verb in card.
func findData(t *testing.T, card, verb string) map[string]any {
	t.Helper()
	return findTask(t, card, verb, "")
}

// findTask is findData for the button of one task ("" any).
func findTask(t *testing.T, card, verb, task string) map[string]any {
	t.Helper()
	found := fakes.FindAction([]byte(card), verb, task)
	if found == nil {
		t.Fatalf("no %s button in %s", verb, card)
	}
	return found
}

// TestWorkshopsThroughGraph runs the real process with the real Graph
// client against the fake Graph and the fake Entra authority: the
// migration workshop and the Migration Hub workshop are scheduled
// together; Graph throttles the create once; the event is created with the
// transaction id and the invitation card is posted to the chat.
func TestWorkshopsThroughGraph(t *testing.T) {
	w := newWorld(t)
	g := fakes.NewGraph()
	t.Cleanup(g.Close)
	const organizer = "mst@contoso.example"
	g.Fail(fakes.GraphFault{Method: http.MethodPost, Path: "/users/" + organizer + "/events", Status: 429, RetryAfter: "1", Times: 1})
	r := start(t, withGraph(w.authEnv(), g, organizer))
	token, err := w.issuer.Token(testAppID, w.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	card := invokeCard(t, r.addr, w.groupInvoke("a1", "setupSave", map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	}), token)
	if !strings.Contains(card, "you are its lead") {
		t.Fatalf("setup: %s", card)
	}
	// The partner's assessment (1699) first: the workshops wait for it.
	edit := findData(t, card, "setup")
	if done := invokeCard(t, r.addr, w.groupInvoke("a1b", "done", map[string]any{"engagement": edit["engagement"], "version": edit["version"], "task": "assessment"}), token); !strings.Contains(done, "1699") {
		t.Fatalf("done 1699: %s", done)
	}
	list := invokeCard(t, r.addr, w.groupInvoke("a2", "workshops", map[string]any{"engagement": edit["engagement"]}), token)
	together := findTask(t, list, "workshopSchedule", playbook.WorkshopTogether)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	slotsData := map[string]any{"minutes": "90", "earliest": tomorrow, "fromHour": "9", "toHour": "17"}
	for k, v := range findData(t, invokeCard(t, r.addr, w.groupInvoke("a3", "workshopSchedule", together), token), "workshopSlots") {
		slotsData[k] = v
	}
	slots := invokeCard(t, r.addr, w.groupInvoke("a4", "workshopSlots", slotsData), token)
	if !strings.Contains(slots, organizer) {
		t.Errorf("slots not from the organizer's free/busy: %s", slots)
	}
	if n := len(g.RequestsTo(http.MethodPost, "/users/"+organizer+"/calendar/getSchedule")); n != 1 {
		t.Errorf("%d getSchedule calls, want 1", n)
	}
	pick := firstSlot(t, slots)
	if s := invokeCard(t, r.addr, w.groupInvoke("a5", "workshopPick", pick), token); !strings.Contains(s, "Scheduling") {
		t.Fatalf("pick: %s", s)
	}

	deadline := time.Now().Add(30 * time.Second)
	var posted string
	for posted == "" && time.Now().Before(deadline) {
		for _, c := range w.conn.Calls() {
			if strings.Contains(string(c.Body), "The Teams meeting is created") {
				posted = string(c.Body)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if posted == "" {
		t.Fatalf("no invitation posted\n%s", r.stderr)
	}
	evs := g.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	at, _, _ := strings.Cut(pick["slot"].(string), "/") // "start/minutes"
	start, _ := time.Parse(time.RFC3339, at)
	if txn, _ := evs[0]["transactionId"].(string); txn == "" || txn != playbook.MeetingTransactionID(together["engagement"].(string), playbook.WorkshopTogether, start) {
		t.Errorf("event transactionId %q", txn)
	}
	if n := len(g.RequestsTo(http.MethodPost, "/users/"+organizer+"/events")); n != 2 {
		t.Errorf("%d event creates, want 2 (one throttled, one retried)", n)
	}
	// No public URL is configured, so the .ics is named by its path.
	for _, want := range []string{"1635, 4027", "Teams meeting", "/ics/"} {
		if !strings.Contains(posted, want) {
			t.Errorf("invitation lacks %q: %s", want, posted)
		}
	}
}

// firstSlot is the data the slot picker's Book button sends with its first
// slot chosen.
func firstSlot(t *testing.T, slots string) map[string]any {
	t.Helper()
	pick := findData(t, slots, "workshopPick")
	var picker struct {
		Body []struct {
			ID      string
			Choices []struct{ Value string }
		}
	}
	if err := json.Unmarshal([]byte(slots), &picker); err != nil {
		t.Fatal(err)
	}
	for _, e := range picker.Body {
		if e.ID == "slot" && len(e.Choices) > 0 {
			pick["slot"] = e.Choices[0].Value
		}
	}
	return pick
}
