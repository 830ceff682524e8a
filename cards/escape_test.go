package cards_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// TestCustomerNameIsText: a customer named like a Markdown link stays text
// in the cards that show it.
func TestCustomerNameIsText(t *testing.T) {
	e := sample(t)
	e.Customer = "[phish](https://evil.example)"
	for name, c := range map[string]*cards.Card{
		"status":  cards.Status(e, time.Now(), cards.Picture{}),
		"history": cards.History(e, 10),
		"roles":   cards.Roles(e, "", ""),
	} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); strings.Contains(s, "[phish](") || !strings.Contains(s, `\\[phish\\]\\(https://evil.example\\)`) {
			t.Errorf("%s card shows the name as Markdown: %s", name, s)
		}
	}
}

// TestQuestionnaireAnswersAreText: answers typed into the questionnaire
// stay text in the cards that show them (the submitted version, the
// changes between two versions).
func TestQuestionnaireAnswersAreText(t *testing.T) {
	e := sample(t)
	hostile := "[phish](https://evil.example)"
	a, b := playbook.Answers{}, playbook.Answers{}
	for _, s := range playbook.Sections(e) {
		for _, f := range playbook.SectionFields(e, s.ID) {
			a[f.ID], b[f.ID] = hostile, hostile+" *x*"
		}
	}
	v1 := playbook.QuestionnaireVersion{N: 1, By: "29:lead", At: time.Now(), Answers: a}
	v2 := playbook.QuestionnaireVersion{N: 2, By: "29:lead", At: time.Now(), Answers: b}
	for name, c := range map[string]*cards.Card{
		"view": cards.QuestionnaireView(e, v1, 1),
		"diff": cards.QuestionnaireDiff(e, v1, v2),
	} {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if s := string(raw); strings.Contains(s, "[phish](") || !strings.Contains(s, `\\[phish\\]`) {
			t.Errorf("%s card shows an answer as Markdown: %.2000s", name, s)
		}
	}
}

// TestTypedTextIsText: what a person typed or named stays text where these
// cards show it: the command and the attached file's name in the pickers,
// a close-out waiver's reason, a workshop's "held elsewhere" reason.
func TestTypedTextIsText(t *testing.T) {
	const hostile = "[phish](https://evil.example)"
	e := sample(t)
	e.CloseChecks = map[string]playbook.CloseCheck{"events": {Status: playbook.CloseWaived, By: "29:pat", At: t0, Reason: hostile}}
	e.States["workshop-imap"] = playbook.TaskState{Status: playbook.StatusDone, By: "29:pat", At: t0, Override: true, Reason: "held elsewhere: " + hostile}
	events := []cards.FileEvent{{Engagement: e, Event: playbook.Event{N: 1, Kind: playbook.KindBatch}}}
	for name, c := range map[string]*cards.Card{
		"picker":          cards.Picker("status "+hostile, []*playbook.Engagement{e, e}),
		"file members":    cards.FileEvents(hostile+".csv", 3, playbook.BatchUsers, "https://contoso.sharepoint.com/f.csv", events),
		"file status":     cards.FileStatusEvents(hostile+".csv", "a status export", 3, "https://contoso.sharepoint.com/f.csv", events),
		"close-out":       cards.Close(e, cards.CloseView{}),
		"workshops, held": cards.Workshops(e, cards.WorkshopsView{}),
	} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		// Button data carries the text as typed; what is shown (a
		// TextBlock's text, a fact's value) must be escaped.
		if s := string(b); markdownLink.MatchString(s) || !strings.Contains(s, `\\[phish\\]\\(https://evil.example\\)`) {
			t.Errorf("%s card shows typed text as Markdown: %s", name, s)
		}
	}
}

// markdownLink finds the hostile link unescaped in a shown text.
var markdownLink = regexp.MustCompile(`"(text|value)":"([^"\\]|\\.)*[^\\]\[phish\]\(`)
