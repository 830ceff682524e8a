package fakes

import "encoding/json"

// FindAction plays the person at Teams clicking a card's button: it
// returns the data of the first Action.Execute with verb (and, unless task
// is "", with that task in its data) in the card's JSON, or nil when the
// card has no such button.
func FindAction(card []byte, verb, task string) map[string]any {
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Action.Execute" && x["verb"] == verb && found == nil {
				if d, _ := x["data"].(map[string]any); task == "" || d["task"] == task {
					found = d
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var m any
	_ = json.Unmarshal(card, &m)
	walk(m)
	return found
}
