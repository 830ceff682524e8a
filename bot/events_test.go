package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// acceptedPlan takes the harness's engagement to an accepted plan v1 (a
// pilot of 20 and batches of 50 for 250 users) with the pilot's 20 users
// imported, as mvmbot import batch does.
func acceptedPlan(t *testing.T, c *conv) {
	t.Helper()
	validatedQuestionnaire(t, c, true)
	card := replyCard(t, c.say(vi, "plan"))
	if s := cardText(t, c.click(vi, "planAccept", action(t, card, "planAccept", "")).card(t)); !strings.Contains(s, "Plan v1 accepted") {
		t.Fatalf("accept: %s", s)
	}
	e := c.engagement()
	var ms []playbook.BatchMember
	for i := range e.Events[0].Units {
		ms = append(ms, playbook.BatchMember{Unit: fmt.Sprintf("user%02d@contoso.com", i)})
	}
	if err := playbook.SetEventMembers(e, vi.id, 1, playbook.BatchUsers, ms, qNow); err != nil {
		t.Fatal(err)
	}
	settleNeeds(t, e, "migration-events")
	commit(t, c, e)
}

// commit stores e, changed by a test as a turn would, at the next version.
func commit(t *testing.T, c *conv, e *playbook.Engagement) {
	t.Helper()
	e.Version++
	if _, _, err := c.h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		t.Fatal(err)
	}
}

// settleNeeds completes, through the playbook with each task's evidence,
// every task that key waits for, as their owners would: workshops held
// outside mvmbot, an existing site ready. For fixtures that start later in
// the playbook; the paths themselves have their own tests.
func settleNeeds(t *testing.T, e *playbook.Engagement, key string) {
	t.Helper()
	holder := map[playbook.Role]string{playbook.FRP: pat.id, playbook.Customer: cy.id, playbook.MST: mo.id, playbook.MVM: vi.id}
	goal, _ := playbook.TaskByKey(key)
	for range 40 {
		steps := playbook.NextStepsForRoles(e, playbook.Roles()...)
		if !slices.ContainsFunc(steps.Waiting, func(s playbook.Step) bool { return s.Task.Key == key }) {
			return
		}
		for _, s := range steps.Ready {
			if s.Task.Key == key || !needed(goal, s.Task.Key) || e.State(s.Task.Key).Status != playbook.StatusOpen {
				continue // not needed, or completed by its evidence meanwhile
			}
			switch playbook.EvidenceOf(s.Task) {
			case playbook.EvidenceWorkshop:
				if _, err := playbook.MarkHeldElsewhere(e, mo.id, s.Task.Key, "fixture", qNow); err != nil {
					t.Fatalf("%s: %v", s.Task.Key, err)
				}
				continue
			case playbook.EvidenceSite:
				if e.Site == nil {
					e.Site = &playbook.Site{Mode: playbook.SiteExisting, State: playbook.SiteReady, Run: 1, URL: "https://contoso.sharepoint.com/sites/m", WebURL: "https://contoso.sharepoint.com/sites/m"}
				}
			}
			if _, err := playbook.MarkDone(e, holder[s.Owner], s.Task.Key, qNow); err != nil {
				t.Fatalf("%s: %v", s.Task.Key, err)
			}
		}
	}
	t.Fatalf("%s still waits", key)
}

// needed reports whether key is among goal's needs, directly or not.
func needed(goal playbook.Task, key string) bool {
	for _, n := range goal.Needs {
		if n == key {
			return true
		}
		if t, ok := playbook.TaskByKey(n); ok && needed(t, key) {
			return true
		}
	}
	return false
}

// TestEvents walks the pilot through the events card: pre-flight, results
// pasted as CSV (a bad file records nothing; failures get their
// remediation posted to the customer), ready, start, complete; a batch
// waived and cancelled with reasons; refusals for the customer.
func TestEvents(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)

	// The customer sees the events but no buttons.
	cyCard := cardText(t, replyCard(t, c.say(cy, "events")))
	if !strings.Contains(cyCard, "Event 1, ") || !strings.Contains(cyCard, "pilot, 20 units, planned") || strings.Contains(cyCard, "eventPreflight") {
		t.Errorf("customer's events card: %s", cyCard)
	}
	card := replyCard(t, c.say(mo, "events"))
	if s := cardText(t, card); !strings.Contains(s, "No member list yet") {
		t.Errorf("batch 2 should wait for its member list: %s", s)
	}
	ans := c.click(mo, "eventPreflight", action(t, card, "eventPreflight", ""))
	card = ans.card(t)
	if s := cardText(t, card); !strings.Contains(s, "Mo Support started pre-flight of event 1") {
		t.Errorf("after Start pre-flight: %s", s)
	}
	results := action(t, card, "eventResults", "")

	// A file with bad rows records nothing, and says which lines.
	before := c.engagement()
	bad := c.click(mo, "eventResults", with(results, map[string]any{"preflight-1": "unit,result,reason\nuser00@contoso.com,maybe,\nuser01@contoso.com,failed,\n"}))
	if bad.StatusCode != 400 || !strings.Contains(string(bad.Value), "line 2") || !strings.Contains(string(bad.Value), "line 3") || !strings.Contains(string(bad.Value), "nothing was imported") {
		t.Errorf("bad CSV: %d %s", bad.StatusCode, bad.Value)
	}
	assertUnchanged(t, c, before)

	// All 20 checked, 2 failed: the customer is told what to fix.
	var b strings.Builder
	b.WriteString("unit,result,reason\n")
	for i := range 20 {
		switch i {
		case 3:
			b.WriteString("user03@contoso.com,failed,We had trouble signing in to this account.\n")
		case 7:
			b.WriteString("user07@contoso.com,failed,weird thing nobody knows\n")
		default:
			fmt.Fprintf(&b, "user%02d@contoso.com,passed,\n", i)
		}
	}
	ans, id := c.clickID(mo, "eventResults", with(results, map[string]any{"preflight-1": b.String()}))
	card = ans.card(t)
	if s := cardText(t, card); !strings.Contains(s, "18 passed, 2 failed, 0 unchecked") {
		t.Errorf("after results: %s", s)
	}
	post := h.replyTo(id)
	if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != cy.id {
		t.Errorf("remediation post mentions %v, want the customer", ids)
	}
	if s := text(post); !strings.Contains(s, "2 units of event 1 failed pre-flight") || !strings.Contains(s, "user03@contoso.com") || !strings.Contains(s, "the MST will look at it") {
		t.Errorf("remediation post: %q", s)
	}

	// Ready, start (the customer may not), complete with counts.
	card = c.click(mo, "eventReady", action(t, card, "eventReady", "")).card(t)
	start := action(t, card, "eventStart", "")
	if got := c.click(cy, "eventStart", start); got.StatusCode != refusal {
		t.Errorf("customer starts: %d %s", got.StatusCode, got.Value)
	}
	card = c.click(vi, "eventStart", start).card(t)
	complete := action(t, card, "eventComplete", "")
	if got := c.click(vi, "eventComplete", with(complete, map[string]any{"migrated-1": "19", "failed-1": "5"})); got.StatusCode != 400 {
		t.Errorf("too many units: %d %s", got.StatusCode, got.Value)
	}
	card = c.click(vi, "eventComplete", with(complete, map[string]any{"migrated-1": "18", "failed-1": "2"})).card(t)
	if s := cardText(t, card); !strings.Contains(s, "completed event 1: 18 migrated, 2 failed") {
		t.Errorf("complete: %s", s)
	}
	// Its failures become one tracker issue in one click; the MST hears.
	track := action(t, card, "eventIssue", "")
	if got := c.click(cy, "eventIssue", track); got.StatusCode != refusal {
		t.Errorf("customer tracks failures: %d %s", got.StatusCode, got.Value)
	}
	card = c.click(vi, "eventIssue", track).card(t)
	if s := cardText(t, card); !strings.Contains(s, "opened issue #1 for the failed units of event 1") || strings.Contains(s, `"verb":"eventIssue"`) {
		t.Errorf("track failures: %s", s)
	}
	if got := c.click(vi, "eventIssue", track); got.StatusCode != refusal {
		t.Errorf("second click: %d %s", got.StatusCode, got.Value)
	}
	if x := c.engagement().Issues; len(x) != 1 || !x[0].EventFailures || x[0].Event != 1 || x[0].Severity != playbook.SeverityHigh || !strings.Contains(x[0].Title, "2 of 20 units failed") {
		t.Errorf("issues = %+v", x)
	}

	// Batch 2: the MST may not waive; the MVM waives with a reason, then cancels.
	waive := action(t, replyCard(t, c.say(vi, "events")), "eventWaive", "")
	if waive["event"] != float64(2) {
		t.Fatalf("first Waive is for event %v, want 2", waive["event"])
	}
	if got := c.click(mo, "eventWaive", with(waive, map[string]any{"eventReason-2": "trust"})); got.StatusCode != refusal {
		t.Errorf("MST waives: %d %s", got.StatusCode, got.Value)
	}
	if got := c.click(vi, "eventWaive", waive); got.StatusCode != 400 {
		t.Errorf("waive without a reason: %d %s", got.StatusCode, got.Value)
	}
	card = c.click(vi, "eventWaive", with(waive, map[string]any{"eventReason-2": "same mail server as the pilot"})).card(t)
	if s := cardText(t, card); !strings.Contains(s, "waived pre-flight of event 2: same mail server") || !strings.Contains(s, "pre-flight waived") {
		t.Errorf("waive: %s", s)
	}
	cancel := action(t, card, "eventCancel", "")
	if cancel["event"] != float64(2) {
		t.Fatalf("first Cancel is for event %v", cancel["event"])
	}
	c.click(vi, "eventCancel", with(cancel, map[string]any{"eventReason-2-cancel": "merged into batch 3"})).card(t)
	e := c.engagement()
	if e.Events[0].State != playbook.EventCompleted || e.Events[0].Migrated != 18 || e.Events[1].State != playbook.EventCancelled || e.Events[1].Reason != "merged into batch 3" {
		t.Errorf("events = %+v / %+v", e.Events[0], e.Events[1])
	}
	// Bad data changes nothing.
	before = c.engagement()
	for _, data := range []map[string]any{{"engagement": e.ID}, {"engagement": e.ID, "event": "1"}, {"engagement": e.ID, "event": 99}} {
		if got := c.click(vi, "eventStart", data); got.accepted() {
			t.Errorf("start %v: %d", data, got.StatusCode)
		}
	}
	assertUnchanged(t, c, before)
}

// TestDNSReminder: completing the last mail event reminds the FRP of 1370.
func TestDNSReminder(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)
	e := c.engagement()
	// Every event but the pilot cancelled: the pilot is the last mail event.
	for _, ev := range e.Events[1:] {
		data := map[string]any{"engagement": e.ID, "event": ev.N, fmt.Sprintf("eventReason-%d-cancel", ev.N): "re-planned"}
		if got := c.click(vi, "eventCancel", data); got.StatusCode != 200 {
			t.Fatalf("cancel %d: %d %s", ev.N, got.StatusCode, got.Value)
		}
	}
	n := 1
	c.click(vi, "eventPreflight", map[string]any{"engagement": e.ID, "event": n})
	c.click(vi, "eventWaive", map[string]any{"engagement": e.ID, "event": n, "eventReason-1": "pilot users checked by hand"})
	c.click(vi, "eventStart", map[string]any{"engagement": e.ID, "event": n})
	ans, id := c.clickID(vi, "eventComplete", map[string]any{"engagement": e.ID, "event": n, "migrated-1": 20, "failed-1": 0})
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "completed event 1") || !strings.Contains(s, "the 230 units left are migrated by") {
		t.Fatalf("complete, with the forecast at the measured pace: %s", s)
	}
	post := h.replyTo(id)
	if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != pat.id || !strings.Contains(text(post), "**1370**") {
		t.Errorf("DNS reminder: %v", post)
	}
	// The post offers done 1370 only when the playbook would take it.
	_, doneErr := playbook.MarkDone(c.engagement(), pat.id, "1370", qNow)
	if offers := strings.Contains(text(post), "Mark it with **done 1370**"); offers != (doneErr == nil) {
		t.Errorf("DNS reminder offers done 1370: %v, but done 1370 answers %v: %s", offers, doneErr, text(post))
	}
}
