package cards

// Input builders. Every input has a label (Teams reads it out and shows it
// above the field), keeps the value the person typed (value), and can show
// a message under the field (errorMessage with a red TextBlock after it, as
// Teams does not display errorMessage for bot-side validation by itself).

// InputOpts are the settings shared by every input.
type InputOpts struct {
	Label       string
	Placeholder string
	Value       string // what the field shows: the saved or typed value
	Required    bool
	Error       string // a message next to the field, after a failed submit
}

func input(typ, id string, o InputOpts) Element {
	e := Element{{"type", typ}, {"id", id}}
	if o.Label != "" {
		e.Set("label", o.Label)
	}
	if o.Placeholder != "" {
		e.Set("placeholder", o.Placeholder)
	}
	if o.Value != "" {
		e.Set("value", o.Value)
	}
	if o.Required {
		e.Set("isRequired", true)
		e.Set("errorMessage", "Required.")
	}
	return e
}

// withError returns the input, followed by its error message when there is
// one.
func withError(e Element, o InputOpts) []Element {
	if o.Error == "" {
		return []Element{e}
	}
	return []Element{e, {{"type", "TextBlock"}, {"text", o.Error}, {"color", "Attention"}, {"wrap", true}, {"size", "Small"}, {"spacing", "None"}}}
}

// TextInput is a one-line text field (multiline for long answers).
func TextInput(id string, o InputOpts, multiline bool, maxLength int) []Element {
	e := input("Input.Text", id, o)
	if multiline {
		e.Set("isMultiline", true)
	}
	if maxLength > 0 {
		e.Set("maxLength", maxLength)
	}
	return withError(e, o)
}

// NumberInput is a number field; min and max are given when set (nil: none).
func NumberInput(id string, o InputOpts, min, max *float64) []Element {
	e := input("Input.Number", id, o)
	if min != nil {
		e.Set("min", *min)
	}
	if max != nil {
		e.Set("max", *max)
	}
	// Input.Number's value is a number in the schema; an unparsable typed
	// value is shown in the error instead of the field.
	if v, ok := e.Get("value").(string); ok {
		e.Delete("value")
		if f, err := parseFloat(v); err == nil {
			e.Set("value", f)
		}
	}
	return withError(e, o)
}

// DateInput is a date picker; Value is YYYY-MM-DD.
func DateInput(id string, o InputOpts) []Element {
	return withError(input("Input.Date", id, o), o)
}

// Choice is one option of a ChoiceInput.
type Choice struct{ Title, Value string }

// ChoiceInput is a drop-down (or checkboxes when multi). For multi, Value
// is the selected values joined by commas, as Teams sends them back.
func ChoiceInput(id string, o InputOpts, choices []Choice, multi bool) []Element {
	e := input("Input.ChoiceSet", id, o)
	cs := make([]map[string]string, len(choices))
	for i, c := range choices {
		cs[i] = map[string]string{"title": c.Title, "value": c.Value}
	}
	e.Set("choices", cs)
	if multi {
		e.Set("isMultiSelect", true)
		e.Set("style", "expanded")
	} else {
		e.Set("style", "compact")
	}
	return withError(e, o)
}

// ToggleInput is a yes/no checkbox; its value is "true" or "false".
func ToggleInput(id string, o InputOpts, title string) []Element {
	e := input("Input.Toggle", id, o)
	e.Set("title", title)
	e.Set("wrap", true) // a long title is cut at 360 px otherwise
	e.Set("valueOn", "true")
	e.Set("valueOff", "false")
	if o.Value == "" {
		e.Set("value", "false")
	}
	return withError(e, o)
}

// Body concatenates elements and element groups into a card body.
func Body(parts ...[]Element) []Element {
	var out []Element
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// One wraps a single element for Body.
func One(e Element) []Element { return []Element{e} }
