package cards_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/schema"
	"github.com/mvmbot/mvmbot/playbook"
)

// teamsCardLimit is about Teams' limit on a message with a card (28 KB).
const teamsCardLimit = 28 * 1024

var qNow = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// qEngagement is an engagement with those sources, Carol as the customer.
func qEngagement(tb testing.TB, onPrem bool, ss ...playbook.Source) *playbook.Engagement {
	tb.Helper()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "eng-q", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: ss, OnPremExchange: onPrem,
	}, playbook.Member{ID: "29:fay", Name: "Fay", Roles: []playbook.Role{playbook.FRP}}, qNow)
	if err != nil {
		tb.Fatal(err)
	}
	if err := playbook.AssignRole(e, "29:fay", playbook.Member{ID: "29:carol", Name: "Carol"}, playbook.Customer, qNow); err != nil {
		tb.Fatal(err)
	}
	return e
}

// subsets returns the 31 non-empty sets of sources.
func subsets() [][]playbook.Source {
	all := playbook.Sources()
	var out [][]playbook.Source
	for mask := 1; mask < 1<<len(all); mask++ {
		var ss []playbook.Source
		for i, s := range all {
			if mask&(1<<i) != 0 {
				ss = append(ss, s)
			}
		}
		out = append(out, ss)
	}
	return out
}

// typical is a plausible answer for every field of e.
func typical(e *playbook.Engagement) playbook.Answers {
	a := playbook.Answers{}
	for _, f := range playbook.Fields(e) {
		switch f.Type {
		case playbook.TypeEmail:
			a[f.ID] = "someone@contoso.com"
		case playbook.TypePhone:
			a[f.ID] = "+44 20 7946 0958"
		case playbook.TypeDomain:
			a[f.ID] = "contoso.com"
		case playbook.TypeNumber, playbook.TypeInteger:
			a[f.ID] = fmt.Sprint(f.Min + 1)
		case playbook.TypeDate:
			a[f.ID] = "2025-06-01"
		case playbook.TypeDates:
			a[f.ID] = "2025-06-30, 2025-07-01/2025-07-04"
		case playbook.TypeChoice, playbook.TypeMultiChoice:
			a[f.ID] = f.Options[0].Value
		case playbook.TypeBool:
			a[f.ID] = "true"
		case playbook.TypeTimeZone:
			a[f.ID] = "Europe/London"
		default:
			a[f.ID] = "Contoso migration"
		}
	}
	return a
}

// worst is the largest a card can be asked to show: every value at its cap
// (what a hostile client could send, cut by the playbook), every field in
// error with a long message, and a whole-form error.
func worst(e *playbook.Engagement) (playbook.Answers, playbook.FieldErrors) {
	a := playbook.Answers{}
	fe := playbook.FieldErrors{playbook.FormError: strings.Repeat("This submission is far too large. ", 8)}
	for _, f := range playbook.Fields(e) {
		n := playbook.MaxValueLen
		if f.Type == playbook.TypeLongText {
			n = playbook.MaxLongValueLen
		}
		a[f.ID] = strings.Repeat("W", n)
		fe[f.ID] = "Choose one of: FastTrack Data Migration benefit; The customer self-migrates; Not decided yet. " + strings.Repeat("x", 60)
	}
	return a, fe
}

func cardBytes(tb testing.TB, c *cards.Card) []byte {
	tb.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// TestQuestionnaireCardsValidate builds every questionnaire card for every
// combination of sources, with and without on-premises Exchange, every
// section, with and without errors, and checks each against the Adaptive
// Card 1.5 schema and Teams' size limit.
func TestQuestionnaireCardsValidate(t *testing.T) {
	largest, largestName, count := 0, "", 0
	check := func(name string, c *cards.Card) {
		t.Helper()
		raw := cardBytes(t, c)
		count++
		if err := schema.ValidateCard(raw); err != nil {
			t.Fatalf("%s: invalid card: %v\n%s", name, err, raw)
		}
		if len(raw) >= teamsCardLimit {
			t.Errorf("%s: %d bytes, over Teams' limit of %d", name, len(raw), teamsCardLimit)
		}
		if len(raw) > largest {
			largest, largestName = len(raw), name
		}
	}
	for _, ss := range subsets() {
		for _, onPrem := range []bool{false, true} {
			e := qEngagement(t, onPrem, ss...)
			name := fmt.Sprintf("%v onPrem=%t", ss, onPrem)
			wa, we := worst(e)
			for _, s := range playbook.Sections(e) {
				o := cards.QuestionnaireOpts{Version: 7, Notice: "Draft saved."}
				check(name+" "+s.ID+" typical", cards.QuestionnaireCard(e, s.ID, typical(e), nil, o))
				check(name+" "+s.ID+" empty", cards.QuestionnaireCard(e, s.ID, nil, nil, cards.QuestionnaireOpts{}))
				check(name+" "+s.ID+" worst, errors", cards.QuestionnaireCard(e, s.ID, wa, we, o))
			}
			v1 := playbook.QuestionnaireVersion{N: 1, Answers: typical(e), By: "29:carol", At: qNow}
			v2 := playbook.QuestionnaireVersion{N: 2, Answers: wa, By: "29:carol", At: qNow}
			check(name+" view", cards.QuestionnaireView(e, v1, 3))
			check(name+" view, worst", cards.QuestionnaireView(e, v2, 3))
			check(name+" diff", cards.QuestionnaireDiff(e, v1, v2))
			check(name+" diff, none", cards.QuestionnaireDiff(e, v1, v1))
		}
	}
	t.Logf("%d cards valid; the largest is %d bytes (%.0f%% of Teams' %d): %s", count, largest, 100*float64(largest)/teamsCardLimit, teamsCardLimit, largestName)
}

// find returns the body element with that id, and the one after it.
func find(c *cards.Card, id string) (cards.Element, cards.Element) {
	for i, e := range c.Body {
		if e.Get("id") == id {
			if i+1 < len(c.Body) {
				return e, c.Body[i+1]
			}
			return e, nil
		}
	}
	return nil, nil
}

func TestQuestionnaireCardKeepsValuesAndErrors(t *testing.T) {
	e := qEngagement(t, false, playbook.IMAP, playbook.Box)
	in := typical(e).With(playbook.Answers{"pilot-size": "lots", "window-start": "15/01/2027", "tech-contact-email": "ivan at contoso", "imap-port": "NaN"})
	clean, fe := playbook.ValidateAnswers(e, in, qNow, nil)
	if fe == nil {
		t.Fatal("no errors")
	}
	c := cards.QuestionnaireCard(e, "schedule", clean, fe, cards.QuestionnaireOpts{Version: 4})
	raw := string(cardBytes(t, c))
	if err := schema.ValidateCard([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	// The summary is at the top and names the other sections with errors.
	top := c.Body[2]
	if top.Get("color") != "Attention" || !strings.Contains(top.Get("text").(string), "4 answers need attention. 2 on this page, marked below. Also in: Organisation and contacts (1), IMAP mail (1).") {
		t.Errorf("summary = %v", top)
	}
	goTo := c.Body[3].Get("actions").([]cards.Element)
	if len(goTo) != 2 || goTo[0].Get("verb") != cards.VerbQuestionnaireGoto || goTo[1].Get("data").(map[string]any)["to"] != "imap" {
		t.Errorf("go-to buttons = %v", goTo)
	}
	// An unparsable number keeps what was typed in its message.
	in1, msg := find(c, "pilot-size")
	if _, has := in1.Lookup("value"); has || !strings.Contains(msg.Get("text").(string), "Give a whole number between 1 and 10,000") || !strings.Contains(msg.Get("text").(string), "You typed “lots”.") {
		t.Errorf("pilot-size = %v, %v", in1, msg)
	}
	in2, msg2 := find(c, "window-start")
	if _, has := in2.Lookup("value"); has || !strings.Contains(msg2.Get("text").(string), "You typed “15/01/2027”.") {
		t.Errorf("window-start = %v, %v", in2, msg2)
	}
	// Valid values are shown as given, without a message.
	users, next := find(c, "users-in-scope")
	if users.Get("value") != 2.0 || next.Get("color") == "Attention" {
		t.Errorf("users-in-scope = %v, then %v", users, next)
	}
	// Other pages keep their values too.
	org := cards.QuestionnaireCard(e, "organisation", clean, fe, cards.QuestionnaireOpts{Version: 4})
	email, emsg := find(org, "tech-contact-email")
	if email.Get("value") != "ivan at contoso" || email.Get("style") != "Email" || emsg.Get("color") != "Attention" {
		t.Errorf("email = %v, %v", email, emsg)
	}
	if _, has := email.Lookup("isRequired"); has {
		t.Error("isRequired would stop Save draft in Teams")
	}
	imap := cards.QuestionnaireCard(e, "imap", clean, fe, cards.QuestionnaireOpts{})
	port, pmsg := find(imap, "imap-port")
	if _, has := port.Lookup("value"); has || !strings.Contains(pmsg.Get("text").(string), "You typed “NaN”.") {
		t.Errorf("imap-port = %v, %v", port, pmsg)
	}
	if err := schema.ValidateCard(imap); err != nil {
		t.Error(err)
	}
}

func TestQuestionnaireCardNavigation(t *testing.T) {
	e := qEngagement(t, true, playbook.Dropbox)
	titles := func(c *cards.Card) string {
		var s []string
		for _, a := range c.Actions {
			s = append(s, a.Get("title").(string)+":"+a.Get("verb").(string))
		}
		return strings.Join(s, " ")
	}
	first := cards.QuestionnaireCard(e, "organisation", nil, nil, cards.QuestionnaireOpts{Version: 9})
	if got := titles(first); got != "Next:questionnaireNext Save draft:questionnaireSave Submit:questionnaireSubmit" {
		t.Errorf("first page buttons = %s", got)
	}
	d := first.Actions[0].Get("data").(map[string]any)
	if d["engagement"] != "eng-q" || d["version"] != 9 || d["section"] != "organisation" {
		t.Errorf("data = %v", d)
	}
	last := cards.QuestionnaireCard(e, "dropbox", nil, nil, cards.QuestionnaireOpts{})
	if got := titles(last); got != "Back:questionnaireBack Save draft:questionnaireSave Submit:questionnaireSubmit" {
		t.Errorf("last page buttons = %s", got)
	}
	if !strings.Contains(last.Body[1].Get("text").(string), "Section 5 of 5.") {
		t.Errorf("subtitle = %v", last.Body[1].Get("text"))
	}
	mid := cards.QuestionnaireCard(e, "exchange", nil, nil, cards.QuestionnaireOpts{})
	if got := titles(mid); !strings.HasPrefix(got, "Back:questionnaireBack Next:questionnaireNext") {
		t.Errorf("middle page buttons = %s", got)
	}
	// A section not in the engagement shows the first.
	if c := cards.QuestionnaireCard(e, "imap", nil, nil, cards.QuestionnaireOpts{}); !strings.Contains(c.Body[1].Get("text").(string), "Section 1 of 5.") {
		t.Errorf("unknown section: %v", c.Body[1].Get("text"))
	}
	// Only the engagement's fields appear; optional ones say so.
	raw := string(cardBytes(t, cards.QuestionnaireCard(e, "dropbox", nil, nil, cards.QuestionnaireOpts{})))
	if !strings.Contains(raw, `"id":"dropbox-members"`) || !strings.Contains(raw, "Dropbox plan (optional)") || strings.Contains(raw, "box-users") {
		t.Errorf("dropbox page: %s", raw)
	}
}

func TestQuestionnaireViewAndDiff(t *testing.T) {
	e := qEngagement(t, false, playbook.Box)
	v1 := playbook.QuestionnaireVersion{N: 1, By: "29:carol", At: qNow, Answers: playbook.Answers{"box-notes": "yes", "pilot-size": "20", "notes": strings.Repeat("n", 3000), "imap-host": "imap.contoso.com"}}
	v2 := playbook.QuestionnaireVersion{N: 2, By: "29:carol", At: qNow, Answers: playbook.Answers{"box-notes": "unsure", "pilot-size": "25"}}
	e.Questionnaire = []playbook.QuestionnaireVersion{v1, v2}
	view := string(cardBytes(t, cards.QuestionnaireView(e, v1, 5)))
	for _, want := range []string{`"title":"Box Notes in use","value":"Yes"`, "Submitted by Carol", "No longer asked", `"title":"IMAP server host","value":"imap.contoso.com"`, "nnn…"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, strings.Repeat("n", 501)) {
		t.Error("view shows a long answer whole")
	}
	if strings.Contains(view, "Changes from") {
		t.Error("v1 has no earlier version")
	}
	if v := string(cardBytes(t, cards.QuestionnaireView(e, v2, 5))); !strings.Contains(v, `"verb":"questionnaireDiff"`) {
		t.Error("v2 view has no diff button")
	}
	diff := string(cardBytes(t, cards.QuestionnaireDiff(e, v1, v2)))
	for _, want := range []string{"v1 → v2", "4 answers changed", `"title":"Box Notes in use","value":"Yes → Not sure yet"`, `"value":"20 → 25"`, `"value":"imap.contoso.com → (empty)"`} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
}

func TestDecodeQuestionnaire(t *testing.T) {
	a, ans, err := cards.DecodeQuestionnaire(json.RawMessage(`{"engagement":" eng-q ","version":7,"section":"box","to":"imap","verb":"x","task":"y","box-users":"12","pilot-size":20,"box-notes":"yes","flag":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if a != (cards.QuestionnaireAction{Engagement: "eng-q", Version: 7, Section: "box", To: "imap"}) {
		t.Errorf("action = %+v", a)
	}
	want := playbook.Answers{"box-users": "12", "pilot-size": "20", "box-notes": "yes", "flag": "true"}
	if fmt.Sprint(ans) != fmt.Sprint(want) {
		t.Errorf("answers = %v, want %v", ans, want)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"version":"7"}`, `{"version":1.5}`, `{"version":-1}`, `{"engagement":3}`, `{"section":{}}`,
		`{"pilot-size":{"a":1}}`, `{"notes":["a"]}`, `{"notes":null}`, `{bad json`} {
		if _, _, err := cards.DecodeQuestionnaire(json.RawMessage(bad)); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("DecodeQuestionnaire(%s) = %v, want EINVALID", bad, err)
		}
	}
	_, _, err = cards.DecodeQuestionnaire(json.RawMessage(`{"pilot-size":[]}`))
	if !strings.Contains(playbook.ErrorMessage(err), `"Pilot size \(users\)" is not text`) {
		t.Errorf("message = %q", playbook.ErrorMessage(err))
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range 201 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"k%d":"v"`, i)
	}
	many.WriteString("}")
	if _, _, err := cards.DecodeQuestionnaire(json.RawMessage(many.String())); playbook.ErrorCode(err) != playbook.EINVALID {
		t.Errorf("201 keys: %v", err)
	}
	if a, ans, err := cards.DecodeQuestionnaire(nil); err != nil || a != (cards.QuestionnaireAction{}) || len(ans) != 0 {
		t.Errorf("empty: %v %v %v", a, ans, err)
	}
}

// TestQuestionnaireRoundTrip: what a card sends back, decoded, is what it
// showed.
func TestQuestionnaireRoundTrip(t *testing.T) {
	e := qEngagement(t, true, playbook.Sources()...)
	in := typical(e)
	for _, s := range playbook.Sections(e) {
		c := cards.QuestionnaireCard(e, s.ID, in, nil, cards.QuestionnaireOpts{Version: 2})
		sent := map[string]any{}
		for k, v := range c.Actions[len(c.Actions)-1].Get("data").(map[string]any) {
			sent[k] = v
		}
		for _, el := range c.Body {
			if id, ok := el.Get("id").(string); ok {
				sent[id] = el.Get("value") // a number stays a number, as some clients send it
			}
		}
		raw, _ := json.Marshal(sent)
		a, got, err := cards.DecodeQuestionnaire(raw)
		if err != nil {
			t.Fatal(err)
		}
		if a.Section != s.ID || a.Version != 2 {
			t.Errorf("%s: action %+v", s.ID, a)
		}
		for _, f := range playbook.SectionFields(e, s.ID) {
			if got[f.ID] != in[f.ID] {
				t.Errorf("%s: %s = %q, want %q", s.ID, f.ID, got[f.ID], in[f.ID])
			}
		}
	}
}

// largestCard returns the largest questionnaire card there is: the worst
// answers with every error, over every combination and section.
func largestCard(tb testing.TB) func() *cards.Card {
	var best func() *cards.Card
	size := 0
	for _, ss := range subsets() {
		for _, onPrem := range []bool{false, true} {
			e := qEngagement(tb, onPrem, ss...)
			wa, we := worst(e)
			for _, s := range playbook.Sections(e) {
				build := func() *cards.Card {
					return cards.QuestionnaireCard(e, s.ID, wa, we, cards.QuestionnaireOpts{Version: 7, Notice: "Draft saved."})
				}
				if n := len(cardBytes(tb, build())); n > size {
					size, best = n, build
				}
			}
		}
	}
	return best
}

func BenchmarkQuestionnaireCardLargest(b *testing.B) {
	build := largestCard(b)
	size := float64(len(cardBytes(b, build())))
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(build()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(size, "card-bytes")
	})
	b.Run("build+validate", func(b *testing.B) {
		for b.Loop() {
			raw, err := json.Marshal(build())
			if err != nil {
				b.Fatal(err)
			}
			if err := schema.ValidateCard(raw); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(size, "card-bytes")
	})
}
