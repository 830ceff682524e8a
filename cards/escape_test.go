package cards_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
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
