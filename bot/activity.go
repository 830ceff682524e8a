package bot

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/playbook"
)

// Activity is an inbound activity. It is msbotbuilder-go's schema.Activity
// with two fields decoded more faithfully: its Entity keeps only "type",
// which loses the mention data Teams sends, and its Value is a map, which
// refuses the non-object values some activities carry.
type Activity struct {
	schema.Activity
	Entities []map[string]any `json:"entities,omitempty"`
	Value    json.RawMessage  `json:"value,omitempty"`
}

// validate checks what the bot relies on in every activity.
func (a *Activity) validate() error {
	var missing []string
	if a.Type == "" {
		missing = append(missing, "type")
	}
	if a.ID == "" {
		missing = append(missing, "id")
	}
	if a.ServiceURL == "" {
		missing = append(missing, "serviceUrl")
	}
	if a.Conversation.ID == "" {
		missing = append(missing, "conversation.id")
	}
	if len(missing) > 0 {
		return errors.New("activity lacks " + strings.Join(missing, ", "))
	}
	return nil
}

// dedupKey identifies the activity for redelivery: Teams redelivers with the
// same id in the same conversation.
func (a *Activity) dedupKey() string {
	return a.ChannelID + "|" + a.Conversation.ID + "|" + a.ID
}

// channelData reads a string at a path inside channelData.
func (a *Activity) channelData(path ...string) string {
	var cur any = a.ChannelData
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

// TenantID is the Entra tenant the activity comes from.
func (a *Activity) TenantID() string {
	if t := a.channelData("tenant", "id"); t != "" {
		return t
	}
	return a.Conversation.TenantID
}

// ConversationKey names the place an engagement lives: in a Teams channel
// every post starts its own conversation id ("…;messageid=…"), so the
// channel id is the key there; elsewhere the conversation id is.
func (a *Activity) ConversationKey() string {
	if a.Conversation.ConversationType == "channel" {
		if ch := a.channelData("channel", "id"); ch != "" {
			return ch
		}
		id, _, _ := strings.Cut(a.Conversation.ID, ";messageid=")
		return id
	}
	return a.Conversation.ID
}

// ref is the conversation reference to keep for proactive posts.
func (a *Activity) ref() *playbook.ConversationRef {
	return &playbook.ConversationRef{
		Key:            a.ConversationKey(),
		ServiceURL:     a.ServiceURL,
		ChannelID:      a.ChannelID,
		ConversationID: a.Conversation.ID,
		Type:           a.Conversation.ConversationType,
		TenantID:       a.TenantID(),
		BotID:          a.Recipient.ID,
		BotName:        a.Recipient.Name,
		TeamsChannelID: a.channelData("channel", "id"),
	}
}

// leadingAt is an @mention at the start of the text.
var leadingAt = regexp.MustCompile(`(?is)^\s*<at[^>]*>.*?</at>`)

// CommandText is the message text with the bot's @mention removed and
// spaces trimmed, so commands work with or without the mention. Mentions of
// other people stay: they are arguments ("role @Grace FRP").
func (a *Activity) CommandText() string {
	text := a.Text
	described := false
	for _, e := range a.Entities {
		if e["type"] != "mention" {
			continue
		}
		m, _ := e["mentioned"].(map[string]any)
		tag, _ := e["text"].(string)
		if tag != "" {
			described = true
		}
		if id, _ := m["id"].(string); id != "" && id == a.Recipient.ID && tag != "" {
			text = strings.ReplaceAll(text, tag, "")
		}
	}
	// Some clients send the mention without entities; in a channel the
	// bot's mention comes first, so a leading one is taken to be it.
	if !described {
		text = leadingAt.ReplaceAllString(text, "")
	}
	return strings.Join(strings.Fields(text), " ")
}
