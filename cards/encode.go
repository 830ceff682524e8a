package cards

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/internal/jsonw"
)

// MarshalJSON encodes the card exactly as encoding/json would by
// reflection, byte for byte, only faster (see AppendJSON).
func (c *Card) MarshalJSON() ([]byte, error) {
	return c.AppendJSON(make([]byte, 0, 4096))
}

// AppendJSON appends the card's JSON to b. A card is a tree of Elements
// (maps), and encoding/json meets every map by reflection, gathering and
// sorting its keys into fresh slices and boxing each value: for the task
// card that was most of the cost of a "next steps" turn. Here the value
// types the builders use are written directly, with the keys sorted as
// encoding/json sorts them; anything else goes to encoding/json
// (TestEncodeMatchesEncodingJSON holds the two together). Callers that
// build a larger document around the card use this rather than
// MarshalJSON, whose output encoding/json would check and compact again.
func (c *Card) AppendJSON(b []byte) ([]byte, error) {
	if c == nil {
		return append(b, "null"...), nil
	}
	c = c.Laid()
	b = append(b, `{"$schema":`...)
	b = jsonw.String(b, c.Schema)
	b = append(b, `,"type":`...)
	b = jsonw.String(b, c.Type)
	b = append(b, `,"version":`...)
	b = jsonw.String(b, c.Version)
	b = append(b, `,"body":`...)
	var err error
	if b, err = appendElements(b, c.Body); err != nil {
		return nil, err
	}
	if len(c.Actions) > 0 {
		b = append(b, `,"actions":`...)
		if b, err = appendElements(b, c.Actions); err != nil {
			return nil, err
		}
	}
	if c.Refresh != nil {
		b = append(b, `,"refresh":{"action":`...)
		if b, err = appendElement(b, c.Refresh.Action); err != nil {
			return nil, err
		}
		if len(c.Refresh.UserIDs) > 0 {
			b = append(b, `,"userIds":`...)
			b = jsonw.Strings(b, c.Refresh.UserIDs)
		}
		b = append(b, '}')
	}
	if c.MSTeams != nil {
		b = append(b, `,"msteams":{`...)
		if c.MSTeams.Width != "" {
			b = jsonw.String(append(b, `"width":`...), c.MSTeams.Width)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendElements writes a list of Elements.
func appendElements(b []byte, es []Element) ([]byte, error) {
	if es == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendElement(b, e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendElement writes an element's properties in their order.
func appendElement(b []byte, e Element) ([]byte, error) {
	if e == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	for i, p := range e {
		b = jsonw.Field(b, i == 0, p.Key)
		var err error
		if b, err = appendValue(b, p.Value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// MarshalJSON writes the element as an object, its properties in order.
func (e Element) MarshalJSON() ([]byte, error) {
	return appendElement(nil, e)
}

// appendMap writes a map with its keys sorted, as encoding/json does: the
// data of buttons, the facts of a FactSet.
func appendMap[M ~map[string]V, V any](b []byte, m M) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	// These maps have a handful of keys: sort them, with their values, on
	// the stack.
	type member struct {
		k string
		v V
	}
	var stack [16]member
	ms := stack[:0]
	for k, v := range m {
		ms = append(ms, member{k, v})
	}
	slices.SortFunc(ms, func(x, y member) int { return strings.Compare(x.k, y.k) })
	b = append(b, '{')
	for i, m := range ms {
		b = jsonw.Field(b, i == 0, m.k)
		var err error
		if b, err = appendValue(b, m.v); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonw.String(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case Element:
		return appendElement(b, v)
	case map[string]any:
		return appendMap(b, v)
	case []Element:
		return appendElements(b, v)
	case []map[string]string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, m := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b, _ = appendMap(b, m)
		}
		return append(b, ']'), nil
	case []string:
		return jsonw.Strings(b, v), nil
	case ActionData:
		return v.appendJSON(b), nil
	}
	return jsonw.Marshal(b, v)
}
