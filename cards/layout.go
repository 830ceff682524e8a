package cards

import "unicode/utf8"

// MSTeams is Teams' own extension of a card (documented by Teams, not part
// of the Adaptive Card schema; internal/schema allows it).
type MSTeams struct {
	// Width "Full" lets the card take the message pane's whole width
	// rather than Teams' narrow default: tables and lists need it.
	Width string `json:"width,omitempty"`
}

// Teams' narrowest card is 360 px (a phone); less the card's padding (16 px
// a side in Teams' host config), its buttons share 328 px. A button is its
// title (about 6.5 px a character in 14 px Segoe UI, rounded up), 24 px of
// padding and border, and 8 px between buttons. The overflow button ("…")
// that holds the secondary actions takes about 40 px.
const (
	buttonRoom     = 328
	buttonPerChar  = 6.5
	buttonChrome   = 24 + 8
	overflowButton = 40
)

// buttonWidth estimates the pixels a button's title takes.
func buttonWidth(e Element) float64 {
	title, _ := e.Get("title").(string)
	return float64(utf8.RuneCountInString(title))*buttonPerChar + buttonChrome
}

// fit returns actions with those past what fits in one row at Teams'
// narrowest width marked "mode": "secondary", which Teams moves into the
// "…" menu (Adaptive Cards 1.5) instead of cutting every title to
// "Resch…". The first action always stays primary. actions is not
// changed; the elements that change are copies.
func fit(actions []Element) []Element {
	total := 0.0
	for _, a := range actions {
		total += buttonWidth(a)
	}
	if total <= buttonRoom {
		return actions
	}
	out := make([]Element, len(actions))
	used, over := float64(overflowButton), false
	for i, a := range actions {
		used += buttonWidth(a)
		if i == 0 || !over && used <= buttonRoom {
			out[i] = a
			continue
		}
		over = true
		s := append(Element(nil), a...)
		s.Set("mode", "secondary")
		out[i] = s
	}
	return out
}

// wide reports whether the body holds what needs the full width: facts,
// choices, columns or tables.
func wide(body []Element) bool {
	for _, e := range body {
		switch e.Get("type") {
		case "FactSet", "Input.ChoiceSet", "ColumnSet", "Table":
			return true
		case "Container":
			if items, ok := e.Get("items").([]Element); ok && wide(items) {
				return true
			}
		}
	}
	return false
}

// Laid returns the card as it is written: its card-level actions fitted to
// one row (the rest secondary), and Teams' full width when it holds tables
// or lists, unless a builder chose a width. The encoder applies it, so no
// builder can forget it; c is not changed.
func (c *Card) Laid() *Card {
	if c == nil {
		return nil
	}
	l := *c
	l.Actions = fit(c.Actions)
	if l.MSTeams == nil && wide(c.Body) {
		l.MSTeams = &MSTeams{Width: "Full"}
	}
	return &l
}
