package cards

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// VerbPick runs data.command for data.engagement: the engagement picker's
// buttons. Stored in cards: never rename it.
const VerbPick = "pick"

// MaxPickCommand bounds the command a picker button carries (a typed
// command is short; this keeps a crafted card from carrying a page).
const MaxPickCommand = 500

// Picker asks which engagement a command typed in the personal chat is
// for, when the person belongs to several: one button per engagement,
// whose click runs the command there.
func Picker(command string, es []*playbook.Engagement) *Card {
	body := []Element{
		Title("Which engagement?"),
		Text(fmt.Sprintf("You belong to %d engagements. Run **%s** for:", len(es), truncate(command, 80))),
	}
	for _, e := range es {
		body = append(body, Actions(Execute(truncate(e.Customer, 60), VerbPick, map[string]any{"engagement": e.ID, "command": command})))
	}
	body = append(body, Subtle("In the engagement's channel or group chat the command needs no choice."))
	return New(body...)
}

// DecodePick returns the command a picker button carries. Returns EINVALID
// for data without one, or one too long.
func DecodePick(raw json.RawMessage) (string, error) {
	var d struct {
		Command string `json:"command"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || strings.TrimSpace(d.Command) == "" || len(d.Command) > MaxPickCommand {
		return "", playbook.Errorf(playbook.EINVALID, "This button does not say which command to run, so nothing was done. Type the command again.")
	}
	return strings.TrimSpace(d.Command), nil
}
