package cards_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/schema"
	"github.com/mvmbot/mvmbot/playbook"
)

// maxCardBytes is about Teams' limit on a message with a card (28 KB);
// every card must stay well under it.
const maxCardBytes = 28 * 1024

// TestEveryCardValidates walks every builder: each card the bot can send must
// validate against the official Adaptive Card 1.5 schema.
func TestEveryCardValidates(t *testing.T) {
	for name, card := range everyCard(t) {
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
			if card.Summary() == "" {
				t.Errorf("%s card has no summary for Teams' notifications", name)
			}
			if key := duplicateKey(t, raw); key != "" {
				t.Errorf("%s card has %q twice in one object: clients keep only one\n%s", name, key, raw)
			}
		})
	}
}

// duplicateKey returns a key that some object of raw has twice, "" when
// none does. An Element is a list of properties, so nothing but this test
// stops a builder from writing one twice; the schema cannot see it, as a
// decoder keeps one of the two.
func duplicateKey(t *testing.T, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	// keys holds, for each object open, the keys it has so far; nil for
	// an array. expectKey is true where an object's next token is a key.
	var keys []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		inObject := len(keys) > 0 && keys[len(keys)-1] != nil
		switch tok {
		case json.Delim('{'):
			keys = append(keys, map[string]bool{})
			expectKey = true
			continue
		case json.Delim('['):
			keys = append(keys, nil)
			expectKey = false
			continue
		case json.Delim('}'), json.Delim(']'):
			keys = keys[:len(keys)-1]
		default:
			if inObject && expectKey {
				k := tok.(string)
				if keys[len(keys)-1][k] {
					return k
				}
				keys[len(keys)-1][k] = true
				expectKey = false
				continue
			}
		}
		// A value ended: in an object, a key comes next.
		expectKey = len(keys) > 0 && keys[len(keys)-1] != nil
	}
}

// plainCard is a Card without its MarshalJSON: what encoding/json makes of
// it by reflection.
type plainCard cards.Card

// TestEncodeMatchesEncodingJSON holds Card.MarshalJSON to encoding/json's
// output, byte for byte, for every card the bot builds and for strings
// that need escaping.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	every := everyCard(t)
	odd := []string{"", "plain", `q"uote\back`, "<b>&amp;</b>", "tab\tnl\nret\rbs\bff\f\x00\x1f\x7f",
		"é ✓ 🎉", "line\u2028para\u2029", "bad \xff\xfe utf8", "\xe2\x80", "~ü\u00a0"}
	for i, s := range odd {
		c := cards.New(cards.Text(s), cards.Facts(cards.Fact{Title: s, Value: s}))
		c.Actions = []cards.Element{cards.Execute(s, s, map[string]any{s: s, "n": i, "f": 1.5e-7, "ok": true, "nil": nil, "list": []string{s}})}
		c.Refresh = &cards.Refresh{Action: cards.Element{{Key: s, Value: []cards.Element{nil, {}}}}, UserIDs: []string{s}}
		every["odd "+strconv.Itoa(i)] = c
	}
	every["no refresh users"] = &cards.Card{Refresh: &cards.Refresh{}}
	for name, card := range every {
		// Called directly: json.Marshal would compact and escape its
		// output again, hiding a difference.
		got, err := card.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal((*plainCard)(card.Laid()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: MarshalJSON differs from encoding/json\n got %s\nwant %s", name, got, want)
		}
	}
}

// botName is the name the app was packaged with in these tests, not
// "mvmbot": scripts/cardcheck fails a card that says "mvmbot", the name
// people cannot @mention when the app is packaged under another.
const botName = "Contoso Onboarding"

// everyCard is one card of each builder, in each of its states.
func everyCard(t *testing.T) map[string]*cards.Card {
	builders := map[string]*cards.Card{
		"help":              cards.Help(botName, []cards.Command{{Usage: "help", Description: "Show what I can do"}, {Usage: "remind <day> <hh:mm> <text>", Description: "Placeholders stay visible"}}),
		"help, empty":       cards.Help(botName, nil),
		"welcome, team":     cards.Welcome(botName, false),
		"welcome, personal": cards.Welcome(botName, true),
		"message":           cards.Message("Done", "Task 1699 is done."),
	}
	for name, card := range engagementCards(t) {
		builders[name] = card
	}
	for name, card := range reviewCards(t) {
		builders[name] = card
	}
	for name, card := range migrationCards(t) {
		builders[name] = card
	}
	for name, card := range workshopCards(t) {
		builders[name] = card
	}
	for name, card := range siteCards(t) {
		builders[name] = card
	}
	return builders
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

// reviewCards are the questionnaire review card in each state, the worst
// case included (every field changed at its cap, a comment at its cap), and
// the task card offering Fill in for 1034.
func reviewCards(t *testing.T) map[string]*cards.Card {
	t.Helper()
	e := qEngagement(t, false, playbook.IMAP, playbook.Box)
	if err := playbook.AssignRole(e, "29:fay", playbook.Member{ID: "29:vi", Name: "Vi"}, playbook.MVM, qNow); err != nil {
		t.Fatal(err)
	}
	big, _ := worst(e)
	v1 := playbook.QuestionnaireVersion{N: 1, By: "29:carol", At: qNow, Answers: typical(e)}
	v2 := playbook.QuestionnaireVersion{N: 2, By: "29:carol", At: qNow, Answers: big}
	e.Questionnaire = []playbook.QuestionnaireVersion{v1, v2}
	pending := playbook.QuestionnaireReview{Version: 2, Status: playbook.ReviewPending}
	asked := playbook.QuestionnaireReview{Version: 2, Status: playbook.ReviewChangesRequested, By: "29:vi", At: qNow, Comment: strings.Repeat("c", playbook.MaxReviewComment)}
	return map[string]*cards.Card{
		"questionnaire review, v1":                cards.QuestionnaireReviewCard(e, v1, nil, playbook.QuestionnaireReview{Version: 1, Status: playbook.ReviewPending}, ""),
		"questionnaire review, every field":       cards.QuestionnaireReviewCard(e, v2, &v1, pending, "Submitted."),
		"questionnaire review, changes requested": cards.QuestionnaireReviewCard(e, v2, &v1, asked, "Your comment was sent."),
		"questionnaire review, validated":         cards.QuestionnaireReviewCard(e, v2, &v1, playbook.QuestionnaireReview{Version: 2, Status: playbook.ReviewValidated, By: "29:vi", At: qNow}, ""),
		"questionnaire review, superseded":        cards.QuestionnaireReviewCard(e, v1, nil, pending, ""),
		"questionnaire form, stale with problem":  cards.QuestionnaireCard(e, "imap", big, nil, cards.QuestionnaireOpts{Version: 3, Base: 2, Problem: strings.Repeat("p", 700)}),
		"questionnaire form, typical":             cards.QuestionnaireCard(e, "imap", typical(e), nil, cards.QuestionnaireOpts{Version: 3, Base: 2}),
		"next steps with Fill in":                 cards.Next(cards.NextView{PersonID: "29:carol", Sections: []*playbook.Engagement{e}}),
	}
}

func TestDuplicateKey(t *testing.T) {
	for raw, want := range map[string]string{
		`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`: "",
		`{"a":[{"x":1,"y":[1,{}],"x":2}]}`:          "x",
		`{"a":{},"a":[]}`:                           "a",
		`[{"a":1},{"a":1}]`:                         "",
	} {
		if got := duplicateKey(t, []byte(raw)); got != want {
			t.Errorf("duplicateKey(%s) = %q, want %q", raw, got, want)
		}
	}
}
