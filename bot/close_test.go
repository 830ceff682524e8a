package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestCloseOut walks the close-out checklist: refused to the customer;
// the MVM checks, sends the survey (the customer answers it) and waives
// with a reason, and closes (the lead may not in an IMAP engagement); then every change is refused and views
// still answer.
func TestCloseOut(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)

	// Anyone may read the checklist; the customer sees no button and who
	// can act.
	if s := cardText(t, replyCard(t, c.say(cy, "close"))); !strings.Contains(s, "Migration credentials deleted") ||
		!strings.Contains(s, "You can follow the close-out here. Vi Velocity check or waive its items") || strings.Contains(s, `"verb":"closeCheck"`) {
		t.Errorf("customer's close: %s", s)
	}
	card := replyCard(t, c.say(vi, "close"))
	if s := cardText(t, card); !strings.Contains(s, "Migration credentials deleted") {
		t.Errorf("close card: %s", s)
	}
	if strings.Contains(cardText(t, card), `"verb":"closeOut"`) {
		t.Errorf("Close offered before the list is settled")
	}
	// The credentials and the environment are in use while migration
	// events run: no Check button, and a click made anyway is refused
	// until the events item is settled.
	if s := cardText(t, card); !strings.Contains(s, "waits for the migration events to finish") || findData(card, "closeCheck", func(d map[string]any) bool { return d["task"] == "credentials" }) != nil {
		t.Errorf("close card before the events are settled: %s", s)
	}
	before := c.engagement()
	if got := c.click(vi, "closeCheck", map[string]any{"engagement": before.ID, "version": before.Version, "task": "credentials"}); got.StatusCode != refusal || !strings.Contains(string(got.Value), "cannot be checked yet") {
		t.Errorf("credentials checked while events run: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
	// No events ran: the events item is not done by itself, it is waived.
	card = c.click(vi, "closeWaive", with(action(t, card, "closeWaive", "events"), map[string]any{"waive-events": "the customer migrated on their own"})).card(t)
	for _, item := range []string{"credentials", "environment"} {
		card = c.click(vi, "closeCheck", action(t, card, "closeCheck", item)).card(t)
		if s := cardText(t, card); !strings.Contains(s, "Vi Velocity checked") {
			t.Errorf("check %s: %s", item, s)
		}
	}
	if got := c.click(mo, "closeCheck", map[string]any{"engagement": c.engagement().ID, "task": "credentials"}); got.StatusCode != refusal {
		t.Errorf("MST checks: %d %s", got.StatusCode, got.Value)
	}

	// The survey goes to the customer, who answers it.
	ans, id := c.clickID(vi, "surveySend", action(t, card, "surveySend", ""))
	ans.card(t)
	post := h.replyTo(id)
	if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != cy.id {
		t.Errorf("survey post mentions %v, want Cy", ids)
	}
	survey := replyCard(t, post)
	submit := action(t, survey, "surveySubmit", "")
	if got := c.click(cy, "surveySubmit", with(submit, map[string]any{"score": "eleven"})); got.StatusCode != 400 {
		t.Errorf("bad score: %d %s", got.StatusCode, got.Value)
	}
	if s := cardText(t, c.click(cy, "surveySubmit", with(submit, map[string]any{"score": "9", "comment": "smooth"})).card(t)); !strings.Contains(s, "Your answer (9) was recorded") {
		t.Errorf("survey answer: %s", s)
	}
	if nps := playbook.NPS(c.engagement()); nps.Responses != 1 || nps.Promoters != 1 {
		t.Errorf("NPS = %+v", nps)
	}

	// DNS (1370) is open: waive it with a reason.
	card = replyCard(t, c.say(vi, "close"))
	waive := action(t, card, "closeWaive", "dns-mail-flow")
	if got := c.click(vi, "closeWaive", waive); got.StatusCode != 400 {
		t.Errorf("waive without a reason: %d %s", got.StatusCode, got.Value)
	}
	card = c.click(vi, "closeWaive", with(waive, map[string]any{"waive-dns-mail-flow": "the customer's own IT does DNS"})).card(t)
	closeOut := action(t, card, "closeOut", "")

	// In an IMAP engagement the MVM closes, not the lead; tasks are open,
	// so a reason is needed.
	if got := c.click(pat, "closeOut", with(closeOut, map[string]any{"closeReason": "done"})); got.StatusCode != refusal {
		t.Errorf("lead closes an IMAP engagement: %d %s", got.StatusCode, got.Value)
	}
	if got := c.click(vi, "closeOut", closeOut); got.StatusCode != 400 {
		t.Errorf("close without a reason: %d %s", got.StatusCode, got.Value)
	}
	ans, id = c.clickID(vi, "closeOut", with(closeOut, map[string]any{"closeReason": "customer ended the project early"}))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "read-only now") {
		t.Errorf("closed card: %s", s)
	}
	if s := text(h.replyTo(id)); !strings.Contains(s, "Vi Velocity closed the Contoso engagement") {
		t.Errorf("close post: %q", s)
	}
	if e := c.engagement(); !e.IsClosed() {
		t.Fatal("not closed")
	}

	// Read-only: changes refused, views answer.
	before = c.engagement()
	for _, cmd := range []struct {
		p    person
		text string
	}{{vi, "note after the end"}, {cy, "escalate too late"}} {
		if s := text(c.say(cmd.p, cmd.text)); !strings.Contains(s, "no longer changes") {
			t.Errorf("%q on a closed engagement: %q", cmd.text, s)
		}
	}
	if got := c.click(cy, "surveySubmit", with(submit, map[string]any{"score": "3"})); got.StatusCode != refusal {
		t.Errorf("survey after close: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
	if s := cardText(t, replyCard(t, c.say(cy, "report"))); !strings.Contains(s, "This engagement is closed") {
		t.Errorf("report after close: %s", s)
	}
	if s := cardText(t, replyCard(t, c.say(vi, "escalations"))); strings.Contains(s, "escalationAck") {
		t.Errorf("escalations card offers buttons after close: %s", s)
	}
	// The personal task card leaves a closed engagement out.
	p := h.message(c.nextID(), "next steps")
	p["from"] = map[string]any{"id": vi.id, "name": vi.name}
	p["conversation"] = map[string]any{"id": "a:vi-personal", "conversationType": "personal", "tenantId": "tenant-1"}
	if s := cardText(t, replyCard(t, c.post(p))); strings.Contains(s, "Contoso") || !strings.Contains(s, "no engagement yet") {
		t.Errorf("personal next steps after close: %s", s)
	}
}
