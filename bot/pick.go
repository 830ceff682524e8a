package bot

import (
	"encoding/json"
	"errors"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// The engagement picker: in the personal chat a person who belongs to
// several open engagements types an engagement command (workshops, status,
// history, …) without saying which; instead of "use the group chat" the
// answer is a card with one button per engagement, and the click runs the
// command for that one.

// pickButtons are the buttons of this file's card (see Button).
var pickButtons = []Button{
	{Verbs: []string{cards.VerbPick}, Run: (*turn).pick},
}

// pickError is here's answer in the personal chat when the person belongs
// to several engagements. command turns it into the picker; anywhere else
// it reads as the sentence it always was.
type pickError struct {
	es  []*playbook.Engagement
	err error
}

func (p *pickError) Error() string { return p.err.Error() }
func (p *pickError) Unwrap() error { return p.err }

// picker answers err with the picker card when it is a pickError and the
// command is typed (not a button) in the personal chat.
func (t *turn) picker(text string, err error) (answer, bool) {
	var pe *pickError
	if !t.personal() || t.pinned != "" || !errors.As(err, &pe) {
		return answer{}, false
	}
	return answer{card: cards.Picker(text, pe.es)}, true
}

// pick runs the command a picker button carries, for the engagement it
// names: here() answers that engagement for the whole turn.
func (t *turn) pick(_ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	text, err := cards.DecodePick(raw)
	if err != nil {
		return answer{}, err
	}
	if err := refuseSecret(text); err != nil {
		return answer{}, err
	}
	if _, err := t.target(d); err != nil {
		return answer{}, err
	}
	t.pinned = d.Engagement
	return t.command(text)
}
