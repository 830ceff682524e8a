package bot_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// mentionsOf returns the ids of the people a reply @mentions, checking that
// each entity's <at> text is in the reply's text.
func mentionsOf(t *testing.T, a map[string]any) []string {
	t.Helper()
	var ids []string
	ents, _ := a["entities"].([]any)
	for _, x := range ents {
		m, _ := x.(map[string]any)
		if m["type"] != "mention" {
			continue
		}
		at, _ := m["text"].(string)
		who, _ := m["mentioned"].(map[string]any)
		id, _ := who["id"].(string)
		if !strings.HasPrefix(at, "<at>") || !strings.Contains(text(a), at) {
			t.Errorf("mention %q is not in the text %q", at, text(a))
		}
		if name, _ := who["name"].(string); "<at>"+markdown.Escape(name)+"</at>" != at {
			t.Errorf("mention text %q does not match the name %q", at, name)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestNotes: the MVM, the MST and the FRP write notes into the history; the
// customer may not; a note with a credential is refused whole.
func TestNotes(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)

	for _, p := range []person{vi, mo, pat} {
		if s := text(c.say(p, "note pilot slipped a week\n(customer holiday)")); !strings.Contains(s, "Noted in the Contoso engagement's history") || !strings.Contains(s, "pilot slipped a week") {
			t.Errorf("note by %s: %q", p.name, s)
		}
	}
	e := c.engagement()
	notes := playbook.Notes(e, 0)
	if len(notes) != 3 || notes[0].By != pat.id || notes[2].By != vi.id || notes[0].Text != "pilot slipped a week (customer holiday)" {
		t.Fatalf("notes = %+v, want 3, newest Pat's", notes)
	}

	before := c.engagement()
	for _, tt := range []struct {
		name string
		p    person
		text string
		want string
	}{
		{"the customer", cy, "note all good", "Only the MVM, the MST or the FRP"},
		{"a stranger", stranger, "note hello", "not a member"},
		{"empty", vi, "note", "Write the note after the command"},
		{"a password", vi, "note the IMAP admin password=Hunter2Hunter2!", "looks like a credential"},
		{"an AWS key", mo, "note key AKIAQ3EGRVT5LMNP7XYZ for the migration account", "looks like a credential"},
		{"too long", vi, "note " + strings.Repeat("x", playbook.MaxReasonLen+1), "at most"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := text(c.say(tt.p, tt.text))
			if !strings.Contains(s, tt.want) {
				t.Errorf("%q: %q, want %q", tt.text, s, tt.want)
			}
			if strings.Contains(s, "Hunter2") || strings.Contains(s, "AKIA") {
				t.Errorf("the refusal repeats the credential: %q", s)
			}
		})
	}
	assertUnchanged(t, c, before)
	for _, x := range c.engagement().History {
		if strings.Contains(x.Detail, "Hunter2") || strings.Contains(x.Detail, "AKIA") {
			t.Errorf("a credential reached the history: %q", x.Detail)
		}
	}
}

// TestEscalations: anyone escalates, the MVM is @mentioned; the
// escalations card lists them with their age; only the MVM acknowledges
// and resolves, and the raiser is told.
func TestEscalations(t *testing.T) {
	var minutes atomic.Int64
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow.Add(time.Duration(minutes.Load()) * time.Minute) }})
	c := &conv{t: t, h: h}
	setUp(t, c)

	// The customer escalates, with a severity; the MVM is mentioned.
	r := c.say(cy, "escalate HIGH pre-flight fails for 40 mailboxes")
	if ids := mentionsOf(t, r); len(ids) != 1 || ids[0] != vi.id {
		t.Errorf("escalate mentions %v, want Vi; reply %v", ids, r)
	}
	if s := text(r); !strings.Contains(s, "Escalation **#1** (high) raised by Cy Customer: pre-flight fails for 40 mailboxes") || !strings.Contains(s, "<at>Vi Velocity</at>, you are the single point of contact (MVM)") {
		t.Errorf("escalate reply: %q", s)
	}
	// Without a severity it is medium; a number first is part of the text.
	c.say(pat, "escalate 2 users cannot sign in")
	e := c.engagement()
	if len(e.Escalations) != 2 || e.Escalations[0].Severity != playbook.SeverityHigh || e.Escalations[0].Contact != vi.id ||
		e.Escalations[1].Severity != playbook.SeverityMedium || e.Escalations[1].Text != "2 users cannot sign in" {
		t.Fatalf("escalations = %+v", e.Escalations)
	}

	before := c.engagement()
	for _, tt := range []struct {
		p          person
		text, want string
	}{
		{cy, "escalate", "Say what is escalated"},
		{cy, "escalate critical", "Say what is escalated after the severity"},
		{stranger, "escalate help", "not a member"},
		{cy, "escalate the admin password=Hunter2Hunter2! does not work", "looks like a credential"},
	} {
		if s := text(c.say(tt.p, tt.text)); !strings.Contains(s, tt.want) {
			t.Errorf("%q: %q, want %q", tt.text, s, tt.want)
		}
	}
	assertUnchanged(t, c, before)

	// Three hours later: everyone sees the list with ages; only Vi gets buttons.
	minutes.Store(180)
	cyCard := cardText(t, replyCard(t, c.say(cy, "escalations")))
	for _, want := range []string{"#1 high, open, 3 h", "#2 medium, open, 3 h", "Vi Velocity", "pre-flight fails"} {
		if !strings.Contains(cyCard, want) {
			t.Errorf("escalations card lacks %q: %s", want, cyCard)
		}
	}
	if strings.Contains(cyCard, "escalationAck") {
		t.Errorf("the customer's card has Acknowledge: %s", cyCard)
	}
	viCard := replyCard(t, c.say(vi, "escalations"))
	ack := action(t, viCard, "escalationAck", "")
	if ack["escalation"] != float64(1) {
		t.Fatalf("first Acknowledge is for %v, want #1 (the high one)", ack["escalation"])
	}

	// The customer clicking Vi's button is refused.
	if ans := c.click(cy, "escalationAck", ack); ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "Only the MVM") {
		t.Errorf("customer acknowledges: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// Vi acknowledges: the card says so and Cy is told, mentioned.
	ackID := "act-ack"
	ans := c.invoke(h.groupInvoke(ackID, vi, "escalationAck", ack))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Vi Velocity acknowledged escalation #1") || !strings.Contains(s, "acknowledged by Vi Velocity") {
		t.Errorf("after Acknowledge: %s", s)
	}
	if post := h.replyTo(ackID); !strings.Contains(text(post), "<at>Cy Customer</at>: Vi Velocity acknowledged escalation #1") {
		t.Errorf("raiser not told: %v", post)
	} else if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != cy.id {
		t.Errorf("acknowledge mentions %v, want Cy", ids)
	}
	if again := c.click(vi, "escalationAck", ack); again.StatusCode != refusal {
		t.Errorf("second acknowledge: %d %s", again.StatusCode, again.Value)
	}

	// Resolve needs a resolution, then records it.
	res := action(t, viCard, "escalationResolve", "")
	if ans := c.click(vi, "escalationResolve", res); ans.StatusCode != http.StatusBadRequest || !strings.Contains(string(ans.Value), "Say how escalation #1 was resolved") {
		t.Errorf("resolve without a resolution: %d %s", ans.StatusCode, ans.Value)
	}
	res["resolution-1"] = "throttling raised on the source server"
	if s := cardText(t, c.click(vi, "escalationResolve", res).card(t)); !strings.Contains(s, "resolved escalation #1: throttling raised") || !strings.Contains(s, "Resolution: throttling raised") {
		t.Errorf("after Resolve: %s", s)
	}
	e = c.engagement()
	if x := e.Escalations[0]; x.State != playbook.EscalationResolved || x.ResolvedBy != vi.id || x.Resolution != "throttling raised on the source server" {
		t.Errorf("escalation #1 = %+v", x)
	}
	// Bad data changes nothing.
	before = c.engagement()
	for _, data := range []map[string]any{
		{"engagement": e.ID, "escalation": "1"},
		{"engagement": e.ID},
		{"engagement": e.ID, "escalation": 9},
		{"engagement": "e-other", "escalation": 2},
	} {
		if ans := c.click(vi, "escalationAck", data); ans.accepted() {
			t.Errorf("acknowledge %v: %d %s", data, ans.StatusCode, ans.Value)
		}
	}
	assertUnchanged(t, c, before)
}

// TestEscalateInPersonalChat: in the personal chat the point of contact is
// named, not @mentioned (Teams mentions only members of the conversation).
func TestEscalateInPersonalChat(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	m := h.message(c.nextID(), "escalate low the weekly call moved")
	m["from"] = map[string]any{"id": pat.id, "name": pat.name, "aadObjectId": pat.aad}
	r := c.post(m)
	if ents, _ := r["entities"].([]any); len(ents) != 0 || !strings.Contains(text(r), "**Vi Velocity**, you are the single point of contact") || strings.Contains(text(r), "<at>") {
		t.Errorf("personal escalate: %v", r)
	}
	if e := c.engagement(); len(e.Escalations) != 1 || e.Escalations[0].Severity != playbook.SeverityLow {
		t.Errorf("escalations = %+v", e.Escalations)
	}
	// The point of contact is in the group chat, not here: the post goes
	// there too, with the @mention.
	post := proactivePost(t, h, "you are the single point of contact")
	if got := mentionsOf(t, post); len(got) != 1 || got[0] != vi.id {
		t.Errorf("group chat post mentions %v, want Vi", got)
	}
}
