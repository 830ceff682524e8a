package cards

import (
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// Picture is an image a card shows beside the same numbers as text: URL
// is an https: URL or a data: URI (package chart draws them), Alt says in
// words what it shows, for screen readers.
type Picture struct {
	URL string
	Alt string
}

// maxPictureURL bounds a picture's URL: a data URI is the image itself,
// and the card around it must stay under Teams' 28 KB. A larger one is
// left out; the card's text still holds the numbers.
const maxPictureURL = 16 * 1024

// image is p as a card element, nil when there is none or it is too large.
func (p Picture) element() Element {
	if p.URL == "" || len(p.URL) > maxPictureURL {
		return nil
	}
	return Element{{"type", "Image"}, {"url", p.URL}, {"altText", p.Alt}, {"size", "Auto"}}
}

// withPicture adds p's image to body, when it has one.
func withPicture(body []Element, p Picture) []Element {
	if e := p.element(); e != nil {
		body = append(body, e)
	}
	return body
}

// ProgressAlt says in words what chart.Progress draws: units migrated
// against the forecast each week, and each phase's share of tasks done.
func ProgressAlt(scope int, weeks []playbook.WeekUnits, phases []playbook.PhaseProgress) string {
	var b strings.Builder
	if len(weeks) > 0 {
		fmt.Fprintf(&b, "Units migrated against the forecast, of %s in scope, by week: ", count(scope))
		for i, w := range weeks {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s, %s migrated, %s forecast", w.Week.Format("2 Jan"), count(w.Migrated), count(w.Forecast))
		}
		b.WriteString(". ")
	}
	b.WriteString("Tasks done by phase: ")
	for i, p := range phases {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d%%", p.Phase.Title(), p.Percent())
	}
	b.WriteString(".")
	return b.String()
}
