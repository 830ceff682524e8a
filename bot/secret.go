package bot

import (
	"encoding/json"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/secrets"
)

// findSecret is the credential detector every chat message, card value and
// questionnaire answer goes through.
var findSecret playbook.SecretFinder = secrets.Check

// secretRefusal is what a person reads when their message holds a
// credential. It names the rule, never the value.
func secretRefusal(rule string) error {
	return playbook.Errorf(playbook.EINVALID,
		"That looks like a credential (%s), so I did not act on it and kept none of it. Passwords, keys and tokens never go in chat: "+
			"they go through the secure credential process (3614) with the MST. Please delete your message, and change the credential if it was real.", rule)
}

// refuseSecret refuses text that looks like it holds a credential.
func refuseSecret(text string) error {
	if rule, found := findSecret(text); found {
		return secretRefusal(rule)
	}
	return nil
}

// refuseSecretIn refuses a card's data when any of its text values looks
// like a credential.
func refuseSecretIn(raw json.RawMessage) error {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil // the verb's own decoder says what is wrong
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case string:
			return refuseSecret(x)
		case map[string]any:
			for k, y := range x {
				if err := refuseSecret(k); err != nil {
					return err
				}
				if err := walk(y); err != nil {
					return err
				}
			}
		case []any:
			for _, y := range x {
				if err := walk(y); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(v)
}
