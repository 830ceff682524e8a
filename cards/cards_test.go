package cards_test

import (
	"encoding/json"
	"testing"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/schema"
)

// maxCardBytes is about Teams' limit on a message with a card (28 KB);
// every card must stay well under it.
const maxCardBytes = 28 * 1024

// TestEveryCardValidates walks every builder: each card the bot can send must
// validate against the official Adaptive Card 1.5 schema.
func TestEveryCardValidates(t *testing.T) {
	builders := map[string]*cards.Card{
		"help":              cards.Help([]cards.Command{{Usage: "help", Description: "Show what mvmbot can do"}}),
		"help, empty":       cards.Help(nil),
		"welcome, team":     cards.Welcome(false),
		"welcome, personal": cards.Welcome(true),
		"message":           cards.Message("Done", "Task 1699 is done."),
	}
	for name, card := range engagementCards(t) {
		builders[name] = card
	}
	for name, card := range builders {
		t.Run(name, func(t *testing.T) {
			raw, err := json.Marshal(card)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.ValidateCard(raw); err != nil {
				t.Errorf("%s card invalid: %v\n%s", name, err, raw)
			}
			if len(raw) > maxCardBytes {
				t.Errorf("%s card is %d bytes, over Teams' limit", name, len(raw))
			}
		})
	}
}

func TestInputsValidate(t *testing.T) {
	lo, hi := 1.0, 100.0
	c := cards.New(cards.Body(
		cards.TextInput("customer", cards.InputOpts{Label: "Customer", Value: "Contoso", Required: true}, false, 100),
		cards.TextInput("notes", cards.InputOpts{Label: "Notes", Error: "Too long."}, true, 0),
		cards.NumberInput("users", cards.InputOpts{Label: "Users", Value: "250"}, &lo, &hi),
		cards.NumberInput("bad", cards.InputOpts{Label: "Bad", Value: "lots", Error: "Not a number: lots"}, nil, nil),
		cards.DateInput("start", cards.InputOpts{Label: "Start", Value: "2027-01-15"}),
		cards.ChoiceInput("sources", cards.InputOpts{Label: "Sources", Value: "IMAP,Box"}, []cards.Choice{{"IMAP", "IMAP"}, {"Box", "Box"}}, true),
		cards.ChoiceInput("role", cards.InputOpts{Label: "Role"}, []cards.Choice{{"FRP", "FRP"}}, false),
		cards.ToggleInput("hybrid", cards.InputOpts{Label: "Exchange"}, "On-premises Exchange"),
		cards.One(cards.Text("end")),
	)...)
	c.Actions = []cards.Element{cards.Execute("Save", "save", map[string]any{"engagement": "e1"})}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.ValidateCard(raw); err != nil {
		t.Fatalf("inputs card invalid: %v\n%s", err, raw)
	}
}
