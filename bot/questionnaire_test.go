package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// qNow is the conversation's clock in the questionnaire tests, so that the
// window dates below are in the future.
var qNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// qAnswers is a complete, valid questionnaire of the harness's IMAP
// engagement.
func qAnswers() map[string]any {
	return map[string]any{
		"customer-org": "Contoso Ltd", "tenant-domain": "contoso.onmicrosoft.com",
		"tech-contact-name": "Ivan IT", "tech-contact-email": "ivan@contoso.com", "tech-contact-phone": "+44 20 7946 0958",
		"business-contact-name": "Bea Business", "business-contact-email": "bea@contoso.com",
		"comms-owner": "Cora Comms", "time-zone": "Europe/London",
		"window-start": "2027-01-11", "window-end": "2027-04-09",
		"users-in-scope": "250", "data-volume-gb": "5000", "pilot-size": "20", "batch-size": "50",
		"migration-path": "benefit", "network-access": "allowlist", "secure-credentials": "yes",
		"imap-host": "imap.contoso.com", "imap-port": "993", "imap-security": "tls", "imap-auth": "basic",
		"imap-mailboxes": "240", "imap-avg-mailbox-gb": "4.5", "imap-max-mailbox-gb": "48",
	}
}

// with is the button's data d with the card's inputs.
func with(d map[string]any, inputs map[string]any) map[string]any {
	out := maps.Clone(d)
	maps.Copy(out, inputs)
	return out
}

// repliesTo waits for n posts the bot made in answer to activity id.
func (h *harness) repliesTo(id string, n int) []map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []map[string]any
		for _, c := range h.conn.Calls() {
			if c.Method == http.MethodPost && c.ActivityID == id {
				out = append(out, c.Activity())
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) != n {
				h.t.Fatalf("%d replies to %s, want %d", len(out), id, n)
			}
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clickID is click that also returns the activity id, to find the posts
// the click made.
func (c *conv) clickID(p person, verb string, data any) (invokeAnswer, string) {
	c.t.Helper()
	id := c.nextID()
	return c.invoke(c.h.groupInvoke(id, p, verb, data)), id
}

// readyForQuestionnaire sets up the IMAP engagement and holds the
// workshops 1034 waits for.
func readyForQuestionnaire(t *testing.T, c *conv) {
	t.Helper()
	setUp(t, c)
	for _, s := range []struct {
		p          person
		text, want string
	}{
		{pat, "done 1699", "marked **1699**"},
		{mo, "workshop 1635 held elsewhere kick-off call with the customer", "as held elsewhere (an override): kick-off call"},
		{mo, "workshop 4027 held elsewhere together with the kick-off", "as held elsewhere"},
	} {
		if got := text(c.say(s.p, s.text)); !strings.Contains(got, s.want) {
			t.Fatalf("%s: %q", s.text, got)
		}
	}
}

// draft is the engagement's current questionnaire draft, kept apart from
// the engagement record; nil when none or superseded by a submission.
func (c *conv) draft() *playbook.QuestionnaireDraft {
	c.t.Helper()
	e := c.engagement()
	d, err := c.h.db.QuestionnaireDraft(context.Background(), e.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	if d := playbook.DraftFor(e, d); d != nil {
		return d
	}
	return e.QuestionnaireDraft
}

// TestQuestionnairePagingKeepsCardsCurrent: the customer pages through the
// questionnaire (Next, Back, Go to, Save draft) while the partner has a
// task card open; the draft is kept, the engagement's version does not
// move, and the partner's click on the open card still works.
func TestQuestionnairePagingKeepsCardsCurrent(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	readyForQuestionnaire(t, c)
	before := c.engagement()

	partnerCard := replyCard(t, c.say(pat, "next"))
	form := c.click(cy, "questionnaire", action(t, replyCard(t, c.say(cy, "next")), "questionnaire", "")).card(t)
	sec2 := c.click(cy, "questionnaireNext", with(action(t, form, "questionnaireNext", ""), map[string]any{"tech-contact-name": "Ivan IT"})).card(t)
	back := c.click(cy, "questionnaireBack", action(t, sec2, "questionnaireBack", "")).card(t)
	// Go to (offered by a refused submit's summary) is built here from the
	// page's data.
	gone := c.click(cy, "questionnaireGoto", with(action(t, back, "questionnaireNext", ""), map[string]any{"to": "schedule", "tech-contact-phone": "+44 20 7946 0958"})).card(t)
	c.click(cy, "questionnaireSave", action(t, gone, "questionnaireSave", "")).card(t)
	if d := c.draft(); d == nil || d.Answers["tech-contact-name"] != "Ivan IT" || d.Answers["tech-contact-phone"] != "+44 20 7946 0958" {
		t.Fatalf("draft after paging = %+v", d)
	}
	if after := c.engagement(); after.Version != before.Version {
		t.Fatalf("paging moved the engagement from version %d to %d", before.Version, after.Version)
	}

	// The partner's card, opened before the paging, still works.
	done := action(t, partnerCard, "done", "")
	task, _ := done["task"].(string)
	got := c.click(pat, "done", done)
	if s := cardText(t, got.card(t)); strings.Contains(s, "out of date") {
		t.Fatalf("the partner's card went stale: %s", s)
	}
	if st := c.engagement().State(task).Status; st == playbook.StatusOpen {
		t.Errorf("the partner's click did not mark %s: %s", task, cardText(t, got.card(t)))
	}
}

// TestQuestionnaireEndToEnd walks issue 5 through the endpoint with signed
// tokens: the Fill button, Next and Back, a shared draft, a credential
// dropped from a page, an invalid submit keeping every value, a valid
// submit (1034 done) with the review card for the MVM, a change request
// (1034 reopened, the customer told), a resubmit, a stale review click, the
// validation (1672 done), then show, diff and export.
func TestQuestionnaireEndToEnd(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	readyForQuestionnaire(t, c)
	e := c.engagement()

	// The customer's next steps offer Fill in for 1034.
	next := replyCard(t, c.say(cy, "next"))
	fill := action(t, next, "questionnaire", "")
	if fill["engagement"] != e.ID {
		t.Fatalf("Fill data = %v", fill)
	}
	form := c.click(cy, "questionnaire", fill).card(t)
	s := cardText(t, form)
	for _, want := range []string{"Section 1 of 4", `"value":"Contoso"`, `"value":"contoso.onmicrosoft.com"`, "Not submitted yet"} {
		if !strings.Contains(s, want) {
			t.Errorf("opened form lacks %s: %s", want, s)
		}
	}

	// Next keeps the page as the draft and shows section 2; Back returns
	// to section 1 with the values.
	page1 := map[string]any{"tech-contact-name": "Ivan IT", "tech-contact-email": "ivan@contoso"}
	sec2 := c.click(cy, "questionnaireNext", with(action(t, form, "questionnaireNext", ""), page1)).card(t)
	if s := cardText(t, sec2); !strings.Contains(s, "Section 2 of 4") {
		t.Errorf("Next: %s", s)
	}
	if d := c.draft(); d == nil || d.Answers["tech-contact-email"] != "ivan@contoso" || d.By != cy.id {
		t.Fatalf("draft after Next = %+v", d)
	}
	if after := c.engagement(); after.Version != e.Version || after.QuestionnaireDraft != nil {
		t.Errorf("Next wrote the engagement: version %d → %d", e.Version, after.Version)
	}
	back := c.click(cy, "questionnaireBack", action(t, sec2, "questionnaireBack", "")).card(t)
	if s := cardText(t, back); !strings.Contains(s, "Section 1 of 4") || !strings.Contains(s, `"value":"ivan@contoso"`) {
		t.Errorf("Back: %s", s)
	}

	// A credential in a page: that field is dropped with the 3614 message,
	// the rest of the page is kept.
	const secret = "imaps://svc-migrate:Tr0ub4dor&3x@imap.contoso.com"
	saved := c.click(cy, "questionnaireSave", with(action(t, back, "questionnaireSave", ""),
		map[string]any{"tech-contact-name": secret, "tech-contact-phone": "+44 20 7946 0958"})).card(t)
	s = cardText(t, saved)
	if strings.Contains(s, "Tr0ub4dor") || !strings.Contains(s, "3614") || !strings.Contains(s, "+44 20 7946 0958") {
		t.Errorf("save with a credential: %s", s)
	}
	if d := c.draft().Answers; strings.Contains(mustJSON(t, d), "Tr0ub4dor") || d["tech-contact-phone"] != "+44 20 7946 0958" {
		t.Errorf("draft = %v", d)
	}

	// The draft is shared: the MST helping the customer opens it.
	if s := cardText(t, replyCard(t, c.say(mo, "questionnaire"))); !strings.Contains(s, `"value":"ivan@contoso"`) || !strings.Contains(s, "Draft saved by Cy Customer") {
		t.Errorf("MST's form: %s", s)
	}

	// Invalid submit: nothing submitted, every typed value back, a message
	// at each wrong field.
	before := c.engagement()
	bad := qAnswers()
	bad["tech-contact-email"] = "ivan@contoso"
	bad["users-in-scope"] = "lots"
	refused := c.click(cy, "questionnaireSubmit", with(action(t, saved, "questionnaireSubmit", ""), bad)).card(t)
	s = cardText(t, refused)
	for _, want := range []string{"2 answers need attention", `"value":"ivan@contoso"`, "Give an email address", `"value":"Ivan IT"`, "Section 1 of 4", "Also in: Schedule and scope (1)"} {
		if !strings.Contains(s, want) {
			t.Errorf("refused submit lacks %s: %s", want, s)
		}
	}
	assertUnchanged(t, c, before)
	// Its Go to button shows the other page with what was typed there.
	gone := c.click(cy, "questionnaireGoto", with(action(t, refused, "questionnaireGoto", ""), map[string]any{"tech-contact-email": "ivan@contoso"}))
	if s := cardText(t, gone.card(t)); !strings.Contains(s, "Section 2 of 4") {
		t.Errorf("Go to: %s", s)
	}
	if e := c.engagement(); len(e.Questionnaire) != 0 || e.State("questionnaire").Status != playbook.StatusOpen {
		t.Fatal("an invalid submit was kept")
	}

	// Valid submit: v1, 1034 done, the draft gone, a review card for the
	// MVM posted to the chat with an @mention.
	ans, id := c.clickID(cy, "questionnaireSubmit", with(action(t, refused, "questionnaireSubmit", ""), qAnswers()))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Submitted as v1. 1034 is done.") || !strings.Contains(s, "Migration questionnaire v1") {
		t.Errorf("submit answer: %s", s)
	}
	e = c.engagement()
	if len(e.Questionnaire) != 1 || e.Questionnaire[0].By != cy.id || e.QuestionnaireDraft != nil || c.draft() != nil || e.State("questionnaire").Status != playbook.StatusDone {
		t.Fatalf("after submit: %d versions, draft %v, 1034 %s", len(e.Questionnaire), c.draft(), e.State("questionnaire").Status)
	}
	post := h.replyTo(id)
	if !strings.Contains(text(post), "<at>Vi Velocity</at>") || !strings.Contains(mustJSON(t, post["entities"]), vi.id) {
		t.Errorf("review post does not mention the MVM: %v", post)
	}
	review1 := replyCard(t, post)
	if s := cardText(t, review1); !strings.Contains(s, "Questionnaire v1 submitted") || !strings.Contains(s, "Validate") {
		t.Errorf("review card: %s", s)
	}
	changes := action(t, review1, "questionnaireChanges", "")

	// The MST may not review an IMAP engagement's questionnaire.
	before = c.engagement()
	if got := c.click(mo, "questionnaireChanges", with(changes, map[string]any{"comment": "x"})); got.StatusCode != refusal || !strings.Contains(string(got.Value), "Only the MVM") {
		t.Errorf("MST review: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)

	// The MVM asks for changes: 1034 reopens, the customer is told.
	comment := "The largest mailbox looks small for 240 users; please check with the mail admin."
	ans, id = c.clickID(vi, "questionnaireChanges", with(changes, map[string]any{"comment": comment}))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "asked for changes") || strings.Contains(s, "questionnaireValidate") {
		t.Errorf("after request: %s", s)
	}
	if e = c.engagement(); e.State("questionnaire").Status != playbook.StatusOpen {
		t.Errorf("1034 is %s after a change request", e.State("questionnaire").Status)
	}
	told := h.replyTo(id)
	if s := text(told); !strings.Contains(s, "<at>Cy Customer</at>") || !strings.Contains(s, comment) || !strings.Contains(s, "1034 is open again") {
		t.Errorf("customer's notice: %q", s)
	}

	// The customer's form shows the request; the resubmit makes v2 and
	// marks 1034 done again.
	form = replyCard(t, c.say(cy, "questionnaire"))
	if s := cardText(t, form); !strings.Contains(s, comment) || !strings.Contains(s, `"value":"ivan@contoso.com"`) {
		t.Errorf("form after the request: %s", s)
	}
	fixed := qAnswers()
	fixed["imap-max-mailbox-gb"] = "95"
	ans, id = c.clickID(cy, "questionnaireSubmit", with(action(t, form, "questionnaireSubmit", ""), map[string]any{"imap-max-mailbox-gb": "95"}))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Submitted as v2. 1034 is done.") {
		t.Errorf("resubmit: %s", s)
	}
	review2 := replyCard(t, h.replyTo(id))
	if s := cardText(t, review2); !strings.Contains(s, "1 changes from v1") || !strings.Contains(s, "48 → 95") {
		t.Errorf("v2 review card: %s", s)
	}

	// Validate on the v1 card: stale, nothing recorded, the card shows v2.
	before = c.engagement()
	stale := c.click(vi, "questionnaireValidate", map[string]any{"engagement": e.ID, "n": 1}).card(t)
	if s := cardText(t, stale); !strings.Contains(s, "This card is for v1, but v2") {
		t.Errorf("stale validate: %s", s)
	}
	assertUnchanged(t, c, before)

	// 1672 waits for the customer's decision: the card says so and offers
	// no Validate; a forged click is refused all the same.
	if s := cardText(t, review2); strings.Contains(s, `"verb":"questionnaireValidate"`) || !strings.Contains(s, "Validation waits for migration-decision") {
		t.Errorf("v2 review card before the decision: %s", s)
	}
	validate := map[string]any{"engagement": e.ID, "n": 2}
	if got := c.click(vi, "questionnaireValidate", validate); got.StatusCode != 400 || !strings.Contains(string(got.Value), "waits for") {
		t.Errorf("early validate: %d %s", got.StatusCode, got.Value)
	}
	if s := text(c.say(cy, "done migration-decision")); !strings.Contains(s, "marked") {
		t.Fatalf("decision: %q", s)
	}
	// Now questionnaire show gives the MVM Validate.
	validate = action(t, replyCard(t, c.say(vi, "questionnaire show")), "questionnaireValidate", "")
	ans, id = c.clickID(vi, "questionnaireValidate", validate)
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "You validated v2. 1672 is done.") {
		t.Errorf("validate: %s", s)
	}
	if s := text(h.replyTo(id)); !strings.Contains(s, "validated the migration questionnaire v2") {
		t.Errorf("validation post: %q", s)
	}
	e = c.engagement()
	if st := e.State("questionnaire-validation"); st.Status != playbook.StatusDone || st.By != vi.id {
		t.Errorf("1672 = %+v", st)
	}
	if r, _ := playbook.ReviewOf(e); r.Status != playbook.ReviewValidated || r.Version != 2 {
		t.Errorf("review = %+v", r)
	}

	// Show, diff, export.
	if s := cardText(t, replyCard(t, c.say(pat, "questionnaire show"))); !strings.Contains(s, "Migration questionnaire v2") || !strings.Contains(s, "imap.contoso.com") {
		t.Errorf("show: %s", s)
	}
	if s := cardText(t, replyCard(t, c.say(pat, "questionnaire diff"))); !strings.Contains(s, "v1 → v2") || !strings.Contains(s, "48 → 95") {
		t.Errorf("diff: %s", s)
	}
	exp := c.nextID()
	c.h.post(c.h.groupMessage(exp, pat, "questionnaire export"), c.auth())
	posts := h.repliesTo(exp, 2)
	if strings.Contains(text(posts[0]), "**CSV**") {
		posts[0], posts[1] = posts[1], posts[0] // two jobs: either may land first
	}
	js, cs := codeOf(t, text(posts[0]), "json"), codeOf(t, text(posts[1]), "csv")
	if !strings.Contains(text(posts[0]), "attach files only in our personal chat") {
		t.Errorf("export does not say why it is text: %q", text(posts[0]))
	}
	var x playbook.QuestionnaireExport
	if err := json.Unmarshal([]byte(js), &x); err != nil {
		t.Fatalf("export JSON: %v\n%s", err, js)
	}
	got := map[string]string{}
	for _, a := range x.Answers {
		got[a.Field] = a.Value
	}
	if x.Engagement != e.ID || x.Version != 2 || x.SubmittedBy != cy.id || got["imap-max-mailbox-gb"] != "95" || got["tech-contact-email"] != "ivan@contoso.com" || len(got) != len(fixed) {
		t.Errorf("export JSON = %+v", x)
	}
	rows, err := csv.NewReader(strings.NewReader(cs)).ReadAll()
	if err != nil {
		t.Fatalf("export CSV: %v\n%s", err, cs)
	}
	if len(rows) != len(fixed)+1 || strings.Join(rows[0], ",") != strings.Join(playbook.CSVHeader, ",") {
		t.Errorf("export CSV: %d rows, header %v", len(rows), rows[0])
	}
	want := map[string]bool{}
	for _, r := range rows[1:] {
		want[r[4]+"="+r[6]] = true
	}
	if !want["imap-max-mailbox-gb=95"] || !want["imap-host=imap.contoso.com"] || rows[1][0] != "2" {
		t.Errorf("export CSV rows: %v", rows)
	}
}

// codeOf returns the content of the code block in text whose info string
// is lang.
func codeOf(t *testing.T, text, lang string) string {
	t.Helper()
	i := strings.Index(text, "```"+lang+"\n")
	if i < 0 {
		t.Fatalf("no %s block in %q", lang, text)
	}
	rest := text[i+len(lang)+4:]
	j := strings.Index(rest, "\n```")
	if j < 0 {
		t.Fatalf("unterminated %s block", lang)
	}
	return rest[:j+1]
}

// TestQuestionnaireBadInput: every kind of bad submit gets a clear answer
// and leaves the stored engagement as it was.
func TestQuestionnaireBadInput(t *testing.T) {
	var clock atomic.Int64 // minutes after qNow
	h := newHarness(t, harnessOpts{now: func() time.Time { return qNow.Add(time.Duration(clock.Load()) * time.Minute) }})
	c := &conv{t: t, h: h}
	readyForQuestionnaire(t, c)
	form := c.click(cy, "questionnaire", map[string]any{}).card(t)
	submit := action(t, form, "questionnaireSubmit", "")

	// A version, so that a card made before it is stale.
	old := c.click(cy, "questionnaire", map[string]any{}).card(t)
	if s := cardText(t, c.click(cy, "questionnaireSubmit", with(submit, qAnswers())).card(t)); !strings.Contains(s, "Submitted as v1") {
		t.Fatalf("v1: %s", s)
	}
	clock.Add(1) // a card made before v1 is stale from now on
	fresh := c.click(cy, "questionnaire", map[string]any{}).card(t)
	submit = action(t, fresh, "questionnaireSubmit", "")
	e := c.engagement()

	tests := []struct {
		name     string
		p        person
		verb     string
		data     map[string]any
		wantCode int    // error status; 0 for a card
		want     string // in the card or the error
	}{
		{"unknown field", cy, "questionnaireSubmit", with(submit, map[string]any{"favourite-colour": "blue", "box-users": "5"}), 0, `(only with Box)`},
		{"wrong type", cy, "questionnaireSubmit", with(submit, map[string]any{"pilot-size": []any{20}}), 400, "is not text"},
		{"wrong type of version", cy, "questionnaireSubmit", with(submit, map[string]any{"base": "1"}), 400, "malformed"},
		{"version from the future", cy, "questionnaireSubmit", with(submit, map[string]any{"base": 7}), 400, "malformed"},
		{"huge value", cy, "questionnaireSubmit", with(submit, map[string]any{"notes": strings.Repeat("n", 5000)}), 0, "Also in: Approach, connectivity and credentials (1)"},
		{"huge submit", cy, "questionnaireSubmit", with(submit, func() map[string]any {
			m := map[string]any{}
			for i := range 40 {
				m[fmt.Sprintf("x%d", i)] = strings.Repeat("y", 1000)
			}
			return m
		}()), 0, "KiB"},
		{"too many keys", cy, "questionnaireSave", with(submit, func() map[string]any {
			m := map[string]any{}
			for i := range 250 {
				m[fmt.Sprintf("k%d", i)] = "v"
			}
			return m
		}()), 400, "far fewer"},
		{"forged engagement id", cy, "questionnaireSubmit", with(submit, map[string]any{"engagement": "e-forged"}), refusal, "another engagement"},
		{"card from before v1", cy, "questionnaireSubmit", with(action(t, old, "questionnaireSubmit", ""), map[string]any{"pilot-size": "30"}), 0, "v1 was submitted by Cy Customer"},
		{"draft from before v1", cy, "questionnaireNext", with(action(t, old, "questionnaireNext", ""), map[string]any{"pilot-size": "30"}), 0, "nothing was saved"},
		{"same answers again", cy, "questionnaireSubmit", submit, 0, "Nothing changed since v1"},
		{"a stranger", stranger, "questionnaireSave", with(submit, map[string]any{"pilot-size": "30"}), refusal, "not a member"},
		{"review data malformed", vi, "questionnaireValidate", map[string]any{"engagement": e.ID, "n": "1"}, 400, "malformed"},
		{"review without a comment", vi, "questionnaireChanges", map[string]any{"engagement": e.ID, "n": 1, "comment": "  "}, 400, "Say what should change"},
		{"review by the customer", cy, "questionnaireValidate", map[string]any{"engagement": e.ID, "n": 1}, refusal, "Only the MVM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := c.engagement()
			ans := c.click(tt.p, tt.verb, tt.data)
			if tt.wantCode == 0 {
				if s := cardText(t, ans.card(t)); !strings.Contains(s, tt.want) {
					t.Errorf("card lacks %q: %s", tt.want, s)
				}
			} else if ans.StatusCode != tt.wantCode || !strings.Contains(string(ans.Value), tt.want) {
				t.Errorf("answer %d %s; want %d containing %q", ans.StatusCode, ans.Value, tt.wantCode, tt.want)
			}
			assertUnchanged(t, c, before)
			after := c.engagement()
			if len(after.Questionnaire) != 1 || (after.QuestionnaireDraft == nil) != (before.QuestionnaireDraft == nil) {
				t.Errorf("questionnaire changed: %d versions, draft %v", len(after.Questionnaire), after.QuestionnaireDraft)
			}
		})
	}
	// The stale card's answer is a current card: its submit lands.
	s := c.click(cy, "questionnaireSubmit", with(action(t, old, "questionnaireSubmit", ""), map[string]any{"pilot-size": "30"})).card(t)
	again := c.click(cy, "questionnaireSubmit", with(action(t, s, "questionnaireSubmit", ""), map[string]any{"pilot-size": "30"})).card(t)
	if got := cardText(t, again); !strings.Contains(got, "Submitted as v2") {
		t.Errorf("submit from the refreshed card: %s", got)
	}
}

// TestQuestionnaireConcurrentSubmits: four people submit at once from
// current cards; every submission becomes a version, in commit order, and
// none is lost.
func TestQuestionnaireConcurrentSubmits(t *testing.T) {
	h := newHarness(t, harnessOpts{now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	readyForQuestionnaire(t, c)
	form := c.click(cy, "questionnaire", map[string]any{}).card(t)
	submit := action(t, form, "questionnaireSubmit", "")
	who := []person{cy, mo} // the customer, and the MST on their behalf
	var wg sync.WaitGroup
	answers := make([]invokeAnswer, len(who))
	for i, p := range who {
		in := qAnswers()
		in["pilot-size"] = fmt.Sprint(21 + i)
		a := h.groupInvoke(fmt.Sprintf("sub-%d", i), p, "questionnaireSubmit", with(submit, in))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, body := h.post(a, "")
			_ = json.Unmarshal(body, &answers[i])
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if !bytes.Contains(a.Value, []byte("Submitted as v")) {
			t.Errorf("%s's submit: %d %s", who[i].name, a.StatusCode, a.Value)
		}
	}
	e := c.engagement()
	if len(e.Questionnaire) != len(who) {
		t.Fatalf("%d versions, want %d", len(e.Questionnaire), len(who))
	}
	seen := map[string]string{}
	for i, v := range e.Questionnaire {
		if v.N != i+1 {
			t.Errorf("version %d numbered %d", i+1, v.N)
		}
		seen[v.By] = v.Answers["pilot-size"]
	}
	for i, p := range who {
		if seen[p.id] != fmt.Sprint(21+i) {
			t.Errorf("%s's pilot size: %q", p.name, seen[p.id])
		}
	}
	subs := 0
	for _, a := range e.History {
		if a.Action == playbook.ActionSubmitQuestionnaire {
			subs++
		}
	}
	if subs != len(who) {
		t.Errorf("%d submissions in the history, want %d", subs, len(who))
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCredentialsInChat: a message or a card value that looks like a
// credential is refused whole with the 3614 pointer, never echoed, stored
// or logged.
func TestCredentialsInChat(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, harnessOpts{log: &logs})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	secrets := []string{"Hunter2Hunter2!", "AKIAQ3EGRVT5LMNP7XYZ", "ghp_R8x2kLm9QpZ4vT7wN1cY5bH3jD6fG0sA2eK8", "Tr0ub4dor&3x"}
	messages := []struct {
		name string
		p    person
		text string
	}{
		{"a command with a password", vi, "na 3217 password=Hunter2Hunter2!"},
		{"an AWS key in prose", cy, "the key for the migration account is AKIAQ3EGRVT5LMNP7XYZ"},
		{"a GitHub token alone", mo, "ghp_R8x2kLm9QpZ4vT7wN1cY5bH3jD6fG0sA2eK8"},
		{"credentials in a URL", cy, "imap server: imaps://svc-migrate:Tr0ub4dor&3x@imap.contoso.com"},
	}
	for _, tt := range messages {
		t.Run(tt.name, func(t *testing.T) {
			before := c.engagement()
			got := text(c.say(tt.p, tt.text))
			if !strings.Contains(got, "3614") || !strings.Contains(got, "did not act on it") {
				t.Errorf("reply %q", got)
			}
			for _, s := range secrets {
				if strings.Contains(got, s) {
					t.Errorf("reply echoes the credential: %q", got)
				}
			}
			assertUnchanged(t, c, before)
		})
	}
	if st := c.engagement().State("temporary-licenses"); st.Status != playbook.StatusOpen {
		t.Errorf("na with a password was applied: %+v", st)
	}
	// A card value: the not-applicable reason.
	before := c.engagement()
	ans := c.click(vi, "na", map[string]any{"engagement": e.ID, "version": e.Version, "task": "temporary-licenses", "reason-temporary-licenses": "licenses via password=Hunter2Hunter2!"})
	if ans.StatusCode != 400 || !strings.Contains(string(ans.Value), "3614") || strings.Contains(string(ans.Value), "Hunter2") {
		t.Errorf("na reason with a password: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// Ordinary text about credentials passes.
	if got := text(c.say(vi, "na 3217 the password policy is handled by 3614")); !strings.Contains(got, "not applicable") {
		t.Errorf("ordinary na: %q", got)
	}

	h.drain()
	raw, err := h.db.Engagement(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := mustJSON(t, raw)
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q:\n%s", s, logs.String())
		}
		if strings.Contains(stored, s) {
			t.Errorf("the engagement holds %q", s)
		}
		for _, call := range h.conn.Calls() {
			if strings.Contains(mustJSON(t, call.Activity()), s) {
				t.Errorf("a post holds %q", s)
			}
		}
	}
	if !strings.Contains(logs.String(), "refused: invalid") {
		t.Errorf("the log should still record the refusals:\n%s", logs.String())
	}
}
