package cards

import (
	"slices"
	"strconv"
	"strings"
)

// ContentType is the attachment content type of an Adaptive Card, as Teams
// and the Bot Framework SDKs spell it.
const ContentType = "application/vnd.microsoft.card.adaptive"

// Version is the Adaptive Card version of every card.
const Version = "1.5"

// Element is one body element or action: its properties, with the
// schema's keys, in the order they are written to JSON. It is a list, not a
// map: a task card holds a few dozen elements, and building and encoding a
// map for each (hashing every key, then sorting the keys again to write
// them) was most of the cost of a "next steps" turn.
type Element []Prop

// Prop is one property of an Element.
type Prop struct {
	Key   string
	Value any
}

// Get returns the value of key, nil when the element has none.
func (e Element) Get(key string) any {
	v, _ := e.Lookup(key)
	return v
}

// Lookup returns the value of key and whether the element has it.
func (e Element) Lookup(key string) (any, bool) {
	for _, p := range e {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// Set gives key the value v, in place if the element has it already, so
// that no key is written twice.
func (e *Element) Set(key string, v any) {
	for i := range *e {
		if (*e)[i].Key == key {
			(*e)[i].Value = v
			return
		}
	}
	*e = append(*e, Prop{key, v})
}

// Delete removes key from the element.
func (e *Element) Delete(key string) {
	*e = slices.DeleteFunc(*e, func(p Prop) bool { return p.Key == key })
}

// Card is an Adaptive Card.
type Card struct {
	Schema  string    `json:"$schema"`
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Body    []Element `json:"body"`
	Actions []Element `json:"actions,omitempty"`
	Refresh *Refresh  `json:"refresh,omitempty"`
	MSTeams *MSTeams  `json:"msteams,omitempty"`
}

// Refresh makes Teams fetch a fresh, per-person view of the card when it is
// shown (Universal Actions). UserIDs lists who gets it automatically (at most
// 60 in Teams).
type Refresh struct {
	Action  Element  `json:"action"`
	UserIDs []string `json:"userIds,omitempty"`
}

// New returns a card with the body given.
func New(body ...Element) *Card {
	return &Card{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: Version,
		Body:    body,
	}
}

// Summary is what Teams shows for a post of the card in notifications and
// the chat list: the card's first text (its title), plain, on one line, at
// most 120 characters.
func (c *Card) Summary() string {
	if c == nil {
		return ""
	}
	for _, e := range c.Body {
		if e.Get("type") != "TextBlock" {
			continue
		}
		if s, _ := e.Get("text").(string); s != "" {
			s = strings.Join(strings.Fields(strings.NewReplacer("**", "", "__", "", "\\", "").Replace(s)), " ")
			return truncate(s, 120)
		}
	}
	return ""
}

// Title is a card's heading.
func Title(text string) Element {
	return Element{{"type", "TextBlock"}, {"text", text}, {"size", "Large"}, {"weight", "Bolder"}, {"wrap", true}, {"style", "heading"}}
}

// Text is a wrapping paragraph.
func Text(text string) Element {
	return Element{{"type", "TextBlock"}, {"text", text}, {"wrap", true}}
}

// Subtle is a small, muted paragraph.
func Subtle(text string) Element {
	return Element{{"type", "TextBlock"}, {"text", text}, {"wrap", true}, {"isSubtle", true}, {"size", "Small"}}
}

// Fact is one row of a FactSet.
type Fact struct{ Title, Value string }

// Facts lays out title/value pairs.
func Facts(facts ...Fact) Element {
	fs := make([]map[string]string, len(facts))
	for i, f := range facts {
		fs[i] = map[string]string{"title": f.Title, "value": f.Value}
	}
	return Element{{"type", "FactSet"}, {"facts", fs}}
}

// Execute is a button that sends verb and data to the bot as an
// adaptiveCard/action invoke.
func Execute(title, verb string, data map[string]any) Element {
	e := Element{{"type", "Action.Execute"}, {"title", title}, {"verb", verb}}
	if data != nil {
		e.Set("data", data)
	}
	return e
}

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
