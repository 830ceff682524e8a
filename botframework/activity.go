package botframework

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
	fastjson "github.com/segmentio/encoding/json"
)

// Activity is an inbound activity. It is msbotbuilder-go's schema.Activity
// with three fields read differently:
//
//   - Value is kept as the JSON sent: the schema's map refuses the
//     non-object values some activities carry.
//   - Entities and ChannelData are kept as the JSON sent, and read on
//     demand into the few fields the bot uses (entities, channelData). The
//     schema decodes them into maps, which lose the mention data Teams
//     sends (its Entity keeps only "type") and were half the cost of
//     decoding an activity, for fields most turns never look at.
type Activity struct {
	schema.Activity
	Entities    json.RawMessage `json:"entities,omitempty"`
	ChannelData json.RawMessage `json:"channelData,omitempty"`
	Value       json.RawMessage `json:"value,omitempty"`

	cd      *channelData // ChannelData read, once
	ent     []Entity     // Entities read, once
	entRead bool
}

// DecodeActivity reads an inbound activity. It uses segmentio's decoder,
// which is compatible with encoding/json and takes a third of its time on
// a Teams activity: the endpoint decodes one per request, and encoding/json
// was a tenth of the bot's CPU under load.
//
// What segmentio refuses goes to encoding/json, which has the last word:
// they differ at the edges (segmentio refuses a timestamp with a comma
// before its fraction, 2026-12-07T09:00:00,5Z, which time.Parse and so
// encoding/json accept). Only refused input pays twice.
func DecodeActivity(body []byte) (*Activity, error) {
	a := new(Activity)
	if err := fastjson.Unmarshal(body, a); err != nil {
		a = new(Activity)
		if err := json.Unmarshal(body, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// channelData is what the bot reads of Teams' channelData.
type channelData struct {
	Tenant struct {
		ID string `json:"id"`
	} `json:"tenant"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
}

// Entity is what the bot reads of an entity: a mention's tag and whom it
// names.
type Entity struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Mentioned struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"mentioned"`
}

// channelData reads ChannelData. Free-form JSON from the channel may hold
// other shapes than Teams sends (a tenant that is a string, an id that is
// a number); those read as empty, field by field, rather than failing the
// activity.
func (a *Activity) channelData() *channelData {
	if a.cd != nil {
		return a.cd
	}
	a.cd = new(channelData)
	if len(a.ChannelData) == 0 || fastjson.Unmarshal(a.ChannelData, a.cd) == nil {
		return a.cd
	}
	var m map[string]any
	_ = json.Unmarshal(a.ChannelData, &m)
	*a.cd = channelData{}
	a.cd.Tenant.ID = stringAt(m, "tenant", "id")
	a.cd.Channel.ID = stringAt(m, "channel", "id")
	return a.cd
}

// entities reads Entities; like channelData, odd shapes read as empty
// fields, and what is not a list as no entities.
func (a *Activity) entities() []Entity {
	if a.entRead {
		return a.ent
	}
	a.entRead = true
	if len(a.Entities) == 0 || fastjson.Unmarshal(a.Entities, &a.ent) == nil {
		return a.ent
	}
	var ms []map[string]any
	_ = json.Unmarshal(a.Entities, &ms)
	a.ent = make([]Entity, len(ms))
	for i, m := range ms {
		e := &a.ent[i]
		e.Type, e.Text = stringAt(m, "type"), stringAt(m, "text")
		e.Mentioned.ID, e.Mentioned.Name = stringAt(m, "mentioned", "id"), stringAt(m, "mentioned", "name")
	}
	return a.ent
}

// stringAt reads a string at a path of object keys, or "".
func stringAt(v any, path ...string) string {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// Validate checks what the bot relies on in every activity.
func (a *Activity) Validate() error {
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

// DedupKey identifies the activity for redelivery: Teams redelivers with the
// same id in the same conversation.
func (a *Activity) DedupKey() string {
	return a.ChannelID + "|" + a.Conversation.ID + "|" + a.ID
}

// TenantID is the Entra tenant the activity comes from.
func (a *Activity) TenantID() string {
	if t := a.channelData().Tenant.ID; t != "" {
		return t
	}
	return a.Conversation.TenantID
}

// ConversationKey names the place an engagement lives: in a Teams channel
// every post starts its own conversation id ("…;messageid=…"), so the
// channel id is the key there; elsewhere the conversation id is.
func (a *Activity) ConversationKey() string {
	if a.Conversation.ConversationType == "channel" {
		if ch := a.channelData().Channel.ID; ch != "" {
			return ch
		}
		id, _, _ := strings.Cut(a.Conversation.ID, ";messageid=")
		return id
	}
	return a.Conversation.ID
}

// TeamsChannelID is the Teams channel the activity was posted in, or "".
func (a *Activity) TeamsChannelID() string { return a.channelData().Channel.ID }

// Mentions are the activity's mention entities, in the order sent.
func (a *Activity) Mentions() []Entity {
	var ms []Entity
	for _, e := range a.entities() {
		if e.Type == "mention" {
			ms = append(ms, e)
		}
	}
	return ms
}

// leadingAt is an @mention at the start of the text.
var leadingAt = regexp.MustCompile(`(?is)^\s*<at[^>]*>.*?</at>`)

// CommandText is the message text with the bot's @mention removed and
// spaces trimmed, so commands work with or without the mention. Mentions of
// other people stay: they are arguments ("role @Grace FRP").
func (a *Activity) CommandText() string {
	text := a.Text
	if !strings.Contains(text, "<") {
		// No <at> tag, so no mention to strip: most messages.
		return strings.Join(strings.Fields(text), " ")
	}
	described := false
	for _, e := range a.entities() {
		if e.Type != "mention" {
			continue
		}
		tag := e.Text
		if tag != "" {
			described = true
		}
		if id := e.Mentioned.ID; id != "" && id == a.Recipient.ID && tag != "" {
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
