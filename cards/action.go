package cards

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/internal/jsonw"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the engagement cards' buttons. A verb is stored in cards people
// have already received, so one is never renamed.
const (
	VerbSetup     = "setup"     // open the set-up form (or the edit form)
	VerbSetupSave = "setupSave" // submit the set-up or edit form
	VerbNext      = "next"      // a person's next steps (also the task cards' refresh)
	VerbDone      = "done"      // mark data.task done
	VerbUndo      = "undo"      // reopen data.task
	VerbNA        = "na"        // mark data.task not applicable, with the reason input
	VerbStatus    = "status"    // the progress card
	VerbRoles     = "roles"     // the members and roles card
	VerbHistory   = "history"   // the last audit entries
)

// ReasonInput is the id of the not-applicable reason field of task key in
// engagement: the personal next card lists several engagements, and two
// with the same optional task gave two inputs one id.
func ReasonInput(engagement, key string) string { return "reason-" + engagement + "-" + key }

// Reason is the not-applicable reason the button of d sent in the inputs m,
// and whether there was one; cards posted before ReasonInput named the
// engagement send it under "reason-KEY".
func Reason(m map[string]any, d ActionData) (any, bool) {
	if v, ok := m[ReasonInput(d.Engagement, d.Task)]; ok {
		return v, true
	}
	v, ok := m["reason-"+d.Task]
	return v, ok
}

// ActionData is what every engagement button carries in its data, besides
// the card's input values: which engagement, at which version the card was
// built (a click on an older card is stale), and which task.
type ActionData struct {
	// Verb is set only for Action.Submit, whose data is the only place the
	// bot can read it from; Action.Execute has its own verb.
	Verb       string `json:"verb,omitempty"`
	Engagement string `json:"engagement,omitempty"`
	Version    int    `json:"version,omitempty"`
	Task       string `json:"task,omitempty"`
}

func (d ActionData) data() map[string]any {
	m := map[string]any{}
	if d.Verb != "" {
		m["verb"] = d.Verb
	}
	if d.Engagement != "" {
		m["engagement"] = d.Engagement
	}
	if d.Version != 0 {
		m["version"] = d.Version
	}
	if d.Task != "" {
		m["task"] = d.Task
	}
	return m
}

// DecodeAction reads the engagement fields of a button's data, refusing
// wrong types: engagement and task must be strings, version a whole
// number, verb a string. Absent fields are zero. Other keys (the card's
// inputs) are left for the verb's own decoder. Returns EINVALID, with a
// message a person can read, for data that is not an object or has a field
// of the wrong type.
func DecodeAction(raw json.RawMessage) (ActionData, error) {
	m, err := object(raw)
	if err != nil {
		return ActionData{}, err
	}
	var d ActionData
	for _, f := range []struct {
		key string
		dst *string
	}{{"verb", &d.Verb}, {"engagement", &d.Engagement}, {"task", &d.Task}} {
		v, ok := m[f.key]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return ActionData{}, malformed()
		}
		*f.dst = strings.TrimSpace(s)
	}
	if v, ok := m["version"]; ok && v != nil {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return ActionData{}, malformed()
		}
		d.Version = int(f)
	}
	return d, nil
}

// object decodes raw as a JSON object; null or empty is an empty object.
func object(raw json.RawMessage) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 || string(raw) == "null" {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, malformed()
	}
	return m, nil
}

func malformed() error {
	return playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was changed. Type **next** or **status** for a fresh card.")
}

// Button is an Action.Execute with d as its data. d goes into the card as
// it is, not as a map: the task card has a button per task, and a map each
// was a good part of building it.
func Button(title, verb string, d ActionData) Element {
	// Room for the one property most buttons get next (quiet, a style).
	return append(make(Element, 0, 5), Prop{"type", "Action.Execute"}, Prop{"title", title}, Prop{"verb", verb}, Prop{"data", d})
}

// appendJSON writes d as encoding/json writes it by its tags.
func (d ActionData) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	str := func(key, v string) {
		if v != "" {
			b = jsonw.String(jsonw.Field(b, first, key), v)
			first = false
		}
	}
	str("verb", d.Verb)
	str("engagement", d.Engagement)
	if d.Version != 0 {
		b = strconv.AppendInt(jsonw.Field(b, first, "version"), int64(d.Version), 10)
		first = false
	}
	str("task", d.Task)
	return append(b, '}')
}

// quiet is a button that does not send the card's inputs.
func quiet(e Element) Element {
	e.Set("associatedInputs", "none")
	return e
}

// Actions wraps buttons in an ActionSet, for buttons inside the body; those
// past one row at Teams' narrowest width go into its "…" menu.
func Actions(actions ...Element) Element {
	return Element{{"type", "ActionSet"}, {"actions", fit(actions)}}
}

// Notice is a highlighted line at the top of a card: what just happened
// (good) or why nothing did (attention).
func Notice(text string, attention bool) Element {
	color := "Good"
	if attention {
		color = "Attention"
	}
	return Element{{"type", "TextBlock"}, {"text", text}, {"wrap", true}, {"weight", "Bolder"}, {"color", color}}
}

// Heading is a section heading inside a card.
func Heading(text string) Element {
	return Element{{"type", "TextBlock"}, {"text", text}, {"wrap", true}, {"weight", "Bolder"}, {"size", "Medium"}, {"spacing", "Medium"}}
}

// memberName is how cards name a member: their name, else their id,
// escaped for Markdown (a display name is typed by a person).
func memberName(e *playbook.Engagement, id string) string {
	if m, ok := e.Member(id); ok && m.Name != "" {
		return markdown.Escape(m.Name)
	}
	return markdown.Escape(id)
}

// maxNames bounds the people named in one place ("Ann, Bo, Cy and 4
// more").
const maxNames = 3

// names joins the names of ms, or "nobody yet".
func names(ms []playbook.Member) string {
	if len(ms) == 0 {
		return "nobody yet"
	}
	var s []string
	for i, m := range ms {
		if i == maxNames {
			return strings.Join(s, ", ") + " and " + strconv.Itoa(len(ms)-i) + " more"
		}
		n := m.Name
		if n == "" {
			n = m.ID
		}
		s = append(s, markdown.Escape(truncate(n, 40)))
	}
	return strings.Join(s, ", ")
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// day is how cards show a date.
const day = "2 Jan 2006"
