package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/schema"
	"github.com/mvmbot/mvmbot/playbook"
)

var (
	pat      = person{"29:pat", "Pat Partner", "aad-pat"}
	mo       = person{"29:mo", "Mo Support", "aad-mo"}
	cy       = person{"29:cy", "Cy Customer", "aad-cy"}
	vi       = person{"29:vi", "Vi Velocity", "aad-vi"}
	stranger = person{"29:stranger", "Sam Stranger", "aad-sam"}
)

// roster is the group chat's member list as the connector returns it.
func roster(ps ...person) []map[string]any {
	var out []map[string]any
	for _, p := range ps {
		// Teams gives the mail (when the person has one) and the UPN.
		out = append(out, map[string]any{"id": p.id, "name": p.name, "aadObjectId": p.aad,
			"userPrincipalName": strings.TrimPrefix(p.aad, "aad-") + "@contoso.com"})
	}
	return out
}

// invokeAnswer is a Universal Actions response body.
type invokeAnswer struct {
	StatusCode int             `json:"statusCode"`
	Type       string          `json:"type"`
	Value      json.RawMessage `json:"value"`
}

// refusal is the statusCode of a refused click (not allowed, gone, changed
// meanwhile): a message, the card kept, as Universal Actions documents no
// 403, 404 or 409 (invokeError).
const refusal = http.StatusOK

// refusalType is the type of a refusal's answer.
const refusalType = "application/vnd.microsoft.activity.message"

// accepted reports whether the click was taken: a card came back, not a
// refusal or an error.
func (a invokeAnswer) accepted() bool { return a.Type == "application/vnd.microsoft.card.adaptive" }

// card decodes the answer's card, checking it against the schema and the
// size limit.
func (a invokeAnswer) card(t *testing.T) map[string]any {
	t.Helper()
	if a.Type != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("invoke answered %d %s %s, want a card", a.StatusCode, a.Type, a.Value)
	}
	return checkCard(t, a.Value)
}

// checkCard validates a card the bot sent and decodes it.
func checkCard(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	if err := schema.ValidateCard(raw); err != nil {
		t.Errorf("card invalid: %v\n%s", err, raw)
	}
	if len(raw) > 28*1024 {
		t.Errorf("card is %d bytes, over 28 KB", len(raw))
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// conv drives the harness's group chat as several people.
type conv struct {
	t *testing.T
	h *harness
	n int
}

func (c *conv) auth() string {
	if c.h.issuer == nil {
		return ""
	}
	return c.h.token()
}

func (c *conv) nextID() string {
	c.n++
	return fmt.Sprintf("act-%d", c.n)
}

// say posts text as p in the group chat and returns the bot's reply.
func (c *conv) say(p person, text string, mentions ...person) map[string]any {
	c.t.Helper()
	return c.post(c.h.groupMessage(c.nextID(), p, text, mentions...))
}

func (c *conv) post(a map[string]any) map[string]any {
	c.t.Helper()
	if status, body := c.h.post(a, c.auth()); status != http.StatusOK {
		c.t.Fatalf("%v: status %d %s", a["text"], status, body)
	}
	return c.h.replyTo(a["id"].(string))
}

// click sends an Action.Execute as p and returns the invoke answer.
func (c *conv) click(p person, verb string, data any) invokeAnswer {
	c.t.Helper()
	return c.invoke(c.h.groupInvoke(c.nextID(), p, verb, data))
}

func (c *conv) invoke(a map[string]any) invokeAnswer {
	c.t.Helper()
	status, body := c.h.post(a, c.auth())
	if status != http.StatusOK {
		c.t.Fatalf("invoke: status %d %s", status, body)
	}
	var ans invokeAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		c.t.Fatalf("invoke answer %s: %v", body, err)
	}
	return ans
}

// engagement is the group chat's stored engagement.
func (c *conv) engagement() *playbook.Engagement {
	c.t.Helper()
	e, err := c.h.db.EngagementByConversation(context.Background(), groupChat)
	if err != nil {
		c.t.Fatalf("no engagement in the group chat: %v", err)
	}
	// Whole, with its stored history, for the tests that look back.
	h, err := c.h.db.History(context.Background(), e.ID, 0, e.HistoryBase)
	if err != nil {
		c.t.Fatalf("history of the group chat's engagement: %v", err)
	}
	e.PrependHistory(h)
	return e
}

// text is a reply's text.
func text(a map[string]any) string {
	s, _ := a["text"].(string)
	return s
}

// replyCard returns the card of a reply, validated.
func replyCard(t *testing.T, a map[string]any) map[string]any {
	t.Helper()
	atts, _ := a["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("reply has %d attachments, want a card; text %q", len(atts), text(a))
	}
	if s, _ := a["summary"].(string); s == "" {
		t.Errorf("card reply has no summary: Teams' notification would say only \"Card\"")
	}
	raw, _ := json.Marshal(atts[0].(map[string]any)["content"])
	return checkCard(t, raw)
}

// findData returns the data of the first Action.Execute with verb anywhere
// in card whose data match accepts; nil when there is none.
func findData(card map[string]any, verb string, match func(map[string]any) bool) map[string]any {
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		if found != nil {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if d, _ := x["data"].(map[string]any); x["type"] == "Action.Execute" && x["verb"] == verb && match(d) {
				found = d
				return
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(card)
	return found
}

// action finds the Action.Execute with that verb (and, when task is not
// empty, that task) anywhere in card, and returns its data.
func action(t *testing.T, card map[string]any, verb, task string) map[string]any {
	t.Helper()
	found := findData(card, verb, func(d map[string]any) bool { return task == "" || d["task"] == task })
	if found == nil {
		t.Fatalf("no %s button for %q in card %s", verb, task, mustJSON(t, card))
	}
	return found
}

func cardText(t *testing.T, card map[string]any) string { return mustJSON(t, card) }

// setUp installs the bot in the group chat and sets up an IMAP engagement
// with Pat (FRP) as lead and Mo (MST), Cy (Customer) and Vi (MVM).
func setUp(t *testing.T, c *conv) {
	t.Helper()
	c.h.conn.SetMembers(roster(pat, mo, cy, vi, stranger))
	form := c.say(pat, "setup")
	card := replyCard(t, form)
	data := action(t, card, "setupSave", "")
	submit := map[string]any{
		"customer": "Contoso", "tenantDomain": "Contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	}
	for k, v := range data {
		submit[k] = v
	}
	ans := c.click(pat, "setupSave", submit)
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "you are its lead") {
		t.Fatalf("setup answer: %s", s)
	}
	for _, r := range []struct {
		p    person
		role string
	}{{mo, "MST"}, {cy, "customer"}, {vi, "mvm"}} {
		reply := c.say(pat, "role <at>"+r.p.name+"</at> "+r.role, r.p)
		if s := cardText(t, replyCard(t, reply)); !strings.Contains(s, r.p.name+" now holds") {
			t.Fatalf("role %s: %s", r.role, s)
		}
	}
}

// TestIMAPEngagementEndToEnd walks a whole IMAP engagement through the real
// endpoint with signed tokens: install, set-up form and submit, roles from
// the roster, the FRP's next steps, done and undo by click and by text, a
// stale click, a refused action, status and history.
func TestIMAPEngagementEndToEnd(t *testing.T) { onBoth(t, testIMAPEngagementEndToEnd) }

func testIMAPEngagementEndToEnd(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{auth: true, postgres: postgres})
	c := &conv{t: t, h: h}

	// Installing in the group chat greets with the set-up explanation.
	install := h.groupMessage("install-1", pat, "")
	install["type"] = "conversationUpdate"
	install["membersAdded"] = []any{map[string]any{"id": "28:" + testAppID}}
	delete(install, "text")
	welcome := c.post(install)
	if s := cardText(t, replyCard(t, welcome)); !strings.Contains(s, "setup") {
		t.Errorf("welcome does not explain setup: %s", s)
	}

	setUp(t, c)
	e := c.engagement()
	if e.Version != 4 || e.Customer != "Contoso" || e.TenantDomain != "contoso.onmicrosoft.com" || len(e.History) != 4 {
		t.Fatalf("after set-up and 3 roles: v%d %q %q, %d history entries", e.Version, e.Customer, e.TenantDomain, len(e.History))
	}
	if lead, _ := e.Lead(); lead.ID != pat.id || !lead.Has(playbook.FRP) || lead.AADObjectID != pat.aad {
		t.Errorf("lead = %+v, want Pat as FRP with her AAD id", lead)
	}
	if m, _ := e.Member(mo.id); !m.Has(playbook.MST) || m.AADObjectID != mo.aad || m.Email != "mo@contoso.com" {
		t.Errorf("Mo = %+v, want MST with the roster's AAD id and address", m)
	}
	// A second setup shows the engagement and offers an edit.
	if s := cardText(t, replyCard(t, c.say(pat, "SETUP"))); !strings.Contains(s, "already has an engagement") || !strings.Contains(s, "Edit details") {
		t.Errorf("second setup: %s", s)
	}

	// The FRP's next steps: 1699 with a Done button; a per-person refresh.
	next := replyCard(t, c.say(pat, "next steps"))
	refresh, _ := next["refresh"].(map[string]any)
	users, _ := refresh["userIds"].([]any)
	if len(users) != 4 {
		t.Errorf("refresh userIds = %v, want the 4 members", users)
	}
	done := action(t, next, "done", "assessment")
	if done["engagement"] != e.ID || done["version"] != float64(e.Version) {
		t.Errorf("Done data = %v, want engagement %s version %d", done, e.ID, e.Version)
	}
	ans := c.click(pat, "done", done)
	card := ans.card(t)
	if s := cardText(t, card); !strings.Contains(s, "1699") || !strings.Contains(s, "core-onboarding") {
		t.Errorf("after Done, the card should confirm 1699 and show the next task: %s", s)
	}
	e = c.engagement()
	if e.State("assessment").Status != playbook.StatusDone || e.Version != 5 || len(e.History) != 5 {
		t.Fatalf("after Done: assessment %s, v%d, %d history", e.State("assessment").Status, e.Version, len(e.History))
	}

	// The same click on the old card: the current state, no second change.
	stale := c.click(pat, "done", done)
	if s := cardText(t, stale.card(t)); !strings.Contains(s, "already marked done by Pat Partner") {
		t.Errorf("stale click: %s", s)
	}
	if e2 := c.engagement(); e2.Version != 5 || len(e2.History) != 5 {
		t.Errorf("stale click changed the engagement: v%d", e2.Version)
	}

	// Undo from the fresh card, then done again by text.
	undo := action(t, card, "undo", "assessment")
	c.click(pat, "undo", undo).card(t)
	if e = c.engagement(); e.State("assessment").Status != playbook.StatusOpen || e.Version != 6 {
		t.Fatalf("after Undo: %s v%d", e.State("assessment").Status, e.Version)
	}
	if s := text(c.say(pat, "Done 1699")); !strings.Contains(s, "marked **1699**") {
		t.Errorf("done by text: %q", s)
	}

	// Mo (MST) now has the IMAP workshop ready: held, not "done", completes
	// it, so the card leads to the workshops.
	if s := cardText(t, replyCard(t, c.say(mo, "next"))); !strings.Contains(s, "**1635** IMAP migration workshop") ||
		!strings.Contains(s, `"verb":"workshops"`) || strings.Contains(s, `"task":"workshop-imap"`) {
		t.Errorf("MST's next steps lack the IMAP workshop's way to complete: %s", s)
	}

	// A refused action: the customer may not do the FRP's core onboarding.
	before := c.engagement()
	if s := text(c.say(cy, "done core-onboarding")); !strings.Contains(s, "Only the FRP") {
		t.Errorf("refusal: %q", s)
	}
	assertUnchanged(t, c, before)

	// Status and history.
	st := cardText(t, replyCard(t, c.say(vi, "status")))
	for _, want := range []string{"Assessment", "100%", "Next milestone", "Pat Partner", "Vi Velocity"} {
		if !strings.Contains(st, want) {
			t.Errorf("status card lacks %q: %s", want, st)
		}
	}
	hist := cardText(t, replyCard(t, c.say(cy, "history")))
	if !strings.Contains(hist, "reopened") || !strings.Contains(hist, "assigned") {
		t.Errorf("history card: %s", hist)
	}

	// The personal chat lists the same tasks across engagements.
	p := h.message(c.nextID(), "next")
	p["from"] = map[string]any{"id": mo.id, "name": mo.name}
	p["conversation"] = map[string]any{"id": "a:mo-personal", "conversationType": "personal", "tenantId": "tenant-1"}
	if s := cardText(t, replyCard(t, c.post(p))); !strings.Contains(s, "Contoso") || !strings.Contains(s, "**1635**") {
		t.Errorf("personal next: %s", s)
	}
}

func assertUnchanged(t *testing.T, c *conv, before *playbook.Engagement) {
	t.Helper()
	after := c.engagement()
	if after.Version != before.Version || len(after.History) != len(before.History) {
		t.Errorf("engagement changed: v%d -> v%d, history %d -> %d", before.Version, after.Version, len(before.History), len(after.History))
	}
}

// TestBadInput sends every kind of bad input through the endpoint: each gets
// a clear answer and leaves the stored engagement as it was.
func TestBadInput(t *testing.T) { onBoth(t, testBadInput) }

func testBadInput(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{postgres: postgres})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	cur := func(task string) map[string]any {
		return map[string]any{"engagement": e.ID, "version": e.Version, "task": task}
	}
	personal := func(p person, text string) map[string]any {
		a := h.message(c.nextID(), text)
		a["from"] = map[string]any{"id": p.id, "name": p.name}
		a["conversation"] = map[string]any{"id": "a:personal-" + p.id, "conversationType": "personal", "tenantId": "tenant-1"}
		return a
	}
	submit := func(p person, value map[string]any) map[string]any {
		a := h.groupMessage(c.nextID(), p, "")
		a["text"] = ""
		delete(a, "entities")
		a["value"] = value
		return a
	}

	messages := []struct {
		name string
		act  func() map[string]any
		want string // in the reply's text or card
	}{
		{"no role", func() map[string]any { return h.groupMessage(c.nextID(), stranger, "done 1699") }, "not a member of the Contoso engagement"},
		{"role may not", func() map[string]any { return h.groupMessage(c.nextID(), cy, "done 1699") }, "Only the FRP"},
		{"unknown task id", func() map[string]any { return h.groupMessage(c.nextID(), pat, "done 9999") }, "9999"},
		{"task of another source", func() map[string]any { return h.groupMessage(c.nextID(), pat, "done 3169") }, "applies only to Box"},
		{"mandatory task not applicable", func() map[string]any { return h.groupMessage(c.nextID(), pat, "na 1699 not needed") }, "cannot be marked not applicable"},
		{"not applicable without reason", func() map[string]any { return h.groupMessage(c.nextID(), vi, "na 3217") }, "Say why"},
		{"waits for its needs", func() map[string]any { return h.groupMessage(c.nextID(), pat, "done 1141") }, "waits for"},
		{"undo an open task", func() map[string]any { return h.groupMessage(c.nextID(), pat, "undo 1699") }, "already open"},
		{"done without a task", func() map[string]any { return h.groupMessage(c.nextID(), pat, "done") }, "Say which task"},
		{"role by a non-lead", func() map[string]any {
			return h.groupMessage(c.nextID(), cy, "role <at>Mo Support</at> FRP", mo)
		}, "Only the lead"},
		{"role without a mention", func() map[string]any { return h.groupMessage(c.nextID(), pat, "role Mo FRP") }, "Mention one person"},
		{"role not a role", func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "role <at>Mo Support</at> boss", mo)
		}, "is not a role"},
		{"MVM twice", func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "role <at>Vi Velocity</at> MVM", vi)
		}, "already holds"},
		{"setup in personal chat", func() map[string]any { return personal(pat, "setup") }, "team channel or group chat"},
		{"done in personal chat, no engagement", func() map[string]any { return personal(stranger, "done 1699") }, "no open engagement"},
		{"unknown command", func() map[string]any { return h.groupMessage(c.nextID(), pat, "make coffee") }, "I don't know"},
		{"submit with a forged verb", func() map[string]any { return submit(pat, map[string]any{"verb": "deleteAll"}) }, "not one I know"},
		{"submit with a wrong type", func() map[string]any { return submit(pat, map[string]any{"verb": "done", "version": "5"}) }, "malformed"},
		{"submit from another engagement", func() map[string]any {
			return submit(pat, map[string]any{"verb": "done", "engagement": "e-other", "version": 1, "task": "assessment"})
		}, "another engagement"},
	}
	for _, tt := range messages {
		t.Run(tt.name, func(t *testing.T) {
			before := c.engagement()
			reply := c.post(tt.act())
			got := text(reply)
			if got == "" {
				got = mustJSON(t, reply)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("reply %q, want it to contain %q", got, tt.want)
			}
			assertUnchanged(t, c, before)
		})
	}

	clicks := []struct {
		name     string
		p        person
		verb     string
		data     any
		wantCode int    // statusCode of an error answer; 0 for a card
		want     string // in the error message or the card
	}{
		{"unknown verb", pat, "launchRockets", map[string]any{}, 400, "not one I know"},
		{"missing task", pat, "done", map[string]any{"engagement": e.ID, "version": e.Version}, 400, "which task"},
		{"version of wrong type", pat, "done", map[string]any{"engagement": e.ID, "version": "4", "task": "assessment"}, 400, "malformed"},
		{"data not an object", pat, "done", []any{"assessment"}, 400, "malformed"},
		{"forged engagement id", pat, "done", map[string]any{"engagement": "e-forged", "version": e.Version, "task": "assessment"}, refusal, "another engagement"},
		{"stale version", pat, "done", map[string]any{"engagement": e.ID, "version": e.Version - 1, "task": "assessment"}, 0, "out of date"},
		{"no role", stranger, "done", cur("assessment"), refusal, "not a member"},
		{"role may not", cy, "done", cur("assessment"), refusal, "Only the FRP"},
		{"unknown task", pat, "done", cur("no-such-task"), refusal, "no-such-task"},
		{"not applicable without reason", vi, "na", cur("temporary-licenses"), 400, "Say why"},
		{"reason of wrong type", vi, "na", map[string]any{"engagement": e.ID, "version": e.Version, "task": "temporary-licenses", "reason-temporary-licenses": 5}, 400, "must be text"},
		{"edit by a non-lead", cy, "setup", map[string]any{"engagement": e.ID, "version": e.Version}, refusal, "Only the lead"},
		{"edit from a stale form", pat, "setupSave", map[string]any{"engagement": e.ID, "version": 1, "customer": "Renamed", "tenantDomain": "x.com", "sources": "IMAP"}, 0, "changed since this form was opened"},
		{"edit with bad values kept", pat, "setupSave", map[string]any{"engagement": e.ID, "version": e.Version, "customer": "Renamed Co", "tenantDomain": "not a domain", "sources": "IMAP"}, 0, "Renamed Co"},
		{"edit removing IMAP under an MVM", pat, "setupSave", map[string]any{"engagement": e.ID, "version": e.Version, "customer": "Contoso", "tenantDomain": "contoso.com", "sources": "Box"}, 0, "holds the MVM role"},
		{"edit without sources", pat, "setupSave", map[string]any{"engagement": e.ID, "version": e.Version, "customer": "Contoso", "tenantDomain": "contoso.com"}, 0, "at least one migration source"},
		{"second setup submit", mo, "setupSave", map[string]any{"customer": "Fabrikam", "tenantDomain": "fabrikam.com", "sources": "Box", "role": "MST"}, 0, "nothing new was set up"},
	}
	for _, tt := range clicks {
		t.Run("click "+tt.name, func(t *testing.T) {
			before := c.engagement()
			ans := c.click(tt.p, tt.verb, tt.data)
			if tt.wantCode == 0 {
				if s := cardText(t, ans.card(t)); !strings.Contains(s, tt.want) {
					t.Errorf("card lacks %q: %s", tt.want, s)
				}
			} else if ans.StatusCode != tt.wantCode || ans.accepted() || !strings.Contains(string(ans.Value), tt.want) {
				t.Errorf("answer %d %s %s; want error %d containing %q", ans.StatusCode, ans.Type, ans.Value, tt.wantCode, tt.want)
			}
			assertUnchanged(t, c, before)
		})
	}

	// A malformed set-up form in a conversation without an engagement comes
	// back as typed, and nothing is created.
	t.Run("malformed setup form keeps what was typed", func(t *testing.T) {
		a := h.groupInvoke(c.nextID(), pat, "setupSave", map[string]any{
			"customer": "Fabrikam", "tenantDomain": "fabrikam.com", "sources": "IMAP,Lotus", "targetStart": "next week", "role": "FRP",
		})
		a["conversation"] = map[string]any{"id": "19:other@thread.v2", "conversationType": "groupChat", "isGroup": true, "tenantId": "tenant-1"}
		s := cardText(t, c.invoke(a).card(t))
		for _, want := range []string{`"value":"Fabrikam"`, `"value":"next week"`, "Lotus", "not a date"} {
			if !strings.Contains(s, want) {
				t.Errorf("returned form lacks %s: %s", want, s)
			}
		}
		if _, err := h.db.EngagementByConversation(context.Background(), "19:other@thread.v2"); playbook.ErrorCode(err) != playbook.ENOTFOUND {
			t.Errorf("a refused form created an engagement (err %v)", err)
		}
	})
}

// TestRosterRules: a mentioned person must be in the conversation; when
// Teams refuses the roster, the role is given from the mention and the
// reply says why the Entra id is missing.
func TestRosterRules(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	ghost := person{"29:ghost", "Gus Ghost", ""}
	before := c.engagement()
	if s := text(c.say(pat, "role <at>Gus Ghost</at> MST", ghost)); !strings.Contains(s, "not a member of this conversation") {
		t.Errorf("ghost: %q", s)
	}
	assertUnchanged(t, c, before)

	h.drain()
	h.conn.FailNext(http.StatusForbidden, "")
	reply := c.say(pat, "role <at>Gus Ghost</at> MST", ghost)
	if s := cardText(t, replyCard(t, reply)); !strings.Contains(s, "did not allow me to read") {
		t.Errorf("403 roster: %s", s)
	}
	if m, ok := c.engagement().Member(ghost.id); !ok || !m.Has(playbook.MST) {
		t.Errorf("role not given when the roster was refused: %+v", m)
	}

	// Removing a role needs no roster.
	if s := cardText(t, replyCard(t, c.say(pat, "role <at>Gus Ghost</at> -MST", ghost))); !strings.Contains(s, "no longer holds MST") {
		t.Errorf("remove: %s", s)
	}
	if _, ok := c.engagement().Member(ghost.id); ok {
		t.Error("a member left with no role stays")
	}
}

// TestHelpForEachCommand: help lists the table; help <command> explains one.
func TestHelpForEachCommand(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	for _, cmd := range []string{"next", "done", "status", "setup", "roles", "role", "lead", "undo", "na", "history", "help"} {
		s := text(c.say(pat, "help "+strings.ToUpper(cmd)))
		if !strings.Contains(s, "**"+cmd) {
			t.Errorf("help %s = %q", cmd, s)
		}
	}
	if s := text(c.say(pat, "help frobnicate")); !strings.Contains(s, "no \"frobnicate\" command") {
		t.Errorf("help for an unknown command: %q", s)
	}
}

// TestConcurrentClicksApplyOnce: many people click Done on the same card at
// once; the task is marked once, the others see the current state.
func TestConcurrentClicksApplyOnce(t *testing.T) { onBoth(t, testConcurrentClicksApplyOnce) }

func testConcurrentClicksApplyOnce(t *testing.T, postgres bool) {
	h := newHarness(t, harnessOpts{postgres: postgres})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	data := map[string]any{"engagement": e.ID, "version": e.Version, "task": "assessment"}
	const n = 8
	acts := make([]map[string]any, n)
	for i := range acts {
		acts[i] = h.groupInvoke(fmt.Sprintf("race-%d", i), pat, "done", data)
	}
	answers := make(chan invokeAnswer, n)
	for _, a := range acts {
		go func() {
			_, body := h.post(a, "")
			var ans invokeAnswer
			_ = json.Unmarshal(body, &ans)
			answers <- ans
		}()
	}
	timeout := time.After(20 * time.Second)
	for range n {
		select {
		case ans := <-answers:
			if ans.Type != "application/vnd.microsoft.card.adaptive" {
				t.Errorf("a concurrent click got %d %s %s, want a card", ans.StatusCode, ans.Type, ans.Value)
			}
		case <-timeout:
			t.Fatal("clicks did not finish")
		}
	}
	after := c.engagement()
	if after.Version != e.Version+1 || len(after.History) != len(e.History)+1 {
		t.Errorf("%d clicks made %d changes, want 1", n, after.Version-e.Version)
	}
}

// A personal "next steps" renders the store's own engagements, not copies
// (store.DB.ViewEngagementsOf). Run it beside writes to the same
// engagement: under -race this says nothing it renders is written, and
// every card and the stored engagement come out whole.
func TestPersonalNextBesideWrites(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	before := c.engagement()
	const readers, reads, writes = 4, 10, 10
	var wg sync.WaitGroup
	for g := range readers {
		wg.Go(func() {
			for i := range reads {
				a := h.message(fmt.Sprintf("personal-%d-%d", g, i), "next steps")
				a["from"] = map[string]any{"id": pat.id, "name": pat.name}
				a["conversation"] = map[string]any{"id": "a:pat-personal", "conversationType": "personal", "tenantId": "tenant-1"}
				if status, body := h.post(a, c.auth()); status != http.StatusOK {
					t.Errorf("personal next: status %d %s", status, body)
				}
			}
		})
	}
	for i := range writes {
		verb := "done"
		if i%2 == 1 {
			verb = "undo"
		}
		c.say(pat, verb+" 1699")
	}
	wg.Wait()
	for g := range readers {
		for i := range reads {
			if s := cardText(t, replyCard(t, h.replyTo(fmt.Sprintf("personal-%d-%d", g, i)))); !strings.Contains(s, "Contoso") || !strings.Contains(s, `"task":`) {
				t.Fatalf("personal card %d-%d: %s", g, i, s)
			}
		}
	}
	after := c.engagement()
	if after.Version != before.Version+writes || len(after.History) != len(before.History)+writes {
		t.Errorf("engagement v%d, %d history entries; want v%d, %d", after.Version, len(after.History), before.Version+writes, len(before.History)+writes)
	}
}

// TestStrangerEngagementID: in personal chat a button naming an
// engagement the person does not belong to is answered as one naming no
// engagement at all: the stranger learns nothing, not its customer.
func TestStrangerEngagementID(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	click := func(id string) string {
		a := h.groupInvoke(c.nextID(), stranger, "done", map[string]any{"engagement": id, "version": e.Version, "task": "1699"})
		a["conversation"] = map[string]any{"id": "a:personal-" + stranger.id, "conversationType": "personal", "tenantId": "tenant-1"}
		ans := c.invoke(a)
		return strings.ReplaceAll(string(ans.Value), id, "ID")
	}
	theirs, unknown := click(e.ID), click("no-such-engagement")
	if theirs != unknown {
		t.Errorf("a stranger naming an engagement got\n%s\nand naming none\n%s", theirs, unknown)
	}
	if strings.Contains(theirs, e.Customer) {
		t.Errorf("the stranger was told the customer: %s", theirs)
	}
	assertUnchanged(t, c, e)
}
