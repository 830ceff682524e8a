package cards_test

import (
	"encoding/json"
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
