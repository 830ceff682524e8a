package botframework

import (
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/internal/jsonw"
)

// jsonAppender is a value that appends its own JSON (a *cards.Card).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// AppendJSON appends the activity as encoding/json would encode it, byte
// for byte, but writes a card attachment's content with the card's own
// encoder. Through encoding/json that content would be encoded and then
// scanned again to be checked and compacted, which for a task card cost as
// much as encoding it. The string-only accounts are written here too;
// entities and channelData, free-form maps, go through encoding/json.
// TestOutgoingJSON holds the two together, and fails when one of the
// types written here gains a field.
func (o *Outgoing) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonw.String(b, o.Type)
	b, _ = appendMembers(b, false, []member{{"text", o.Text}, {"textFormat", o.TextFormat}, {"summary", o.Summary}, {"attachmentLayout", o.AttachmentLayout}})
	var err error
	if len(o.Attachments) > 0 {
		b = append(b, `,"attachments":[`...)
		for i, a := range o.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			first := true
			b, first = appendMembers(b, first, []member{{"contentType", a.ContentType}, {"contentUrl", a.ContentURL}})
			if a.Content != nil {
				b = jsonw.Field(b, first, "content")
				first = false
				if c, ok := a.Content.(jsonAppender); ok {
					b, err = c.AppendJSON(b)
				} else {
					b, err = jsonw.Marshal(b, a.Content)
				}
				if err != nil {
					return nil, err
				}
			}
			b, _ = appendMembers(b, first, []member{{"name", a.Name}, {"thumbnailUrl", a.ThumbnailURL}})
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(o.Entities) > 0 {
		if b, err = jsonw.Marshal(append(b, `,"entities":`...), o.Entities); err != nil {
			return nil, err
		}
	}
	b, _ = appendMembers(b, false, []member{{"replyToId", o.ReplyToID}})
	for _, f := range [...]struct {
		key string
		val *schema.ChannelAccount
	}{{"from", o.From}, {"recipient", o.Recipient}} {
		if a := f.val; a != nil {
			b = append(jsonw.Field(b, false, f.key), '{')
			b, _ = appendMembers(b, true, []member{{"id", a.ID}, {"name", a.Name}, {"aadObjectId", a.AadObjectID}, {"role", string(a.Role)}})
			b = append(b, '}')
		}
	}
	if c := o.Conversation; c != nil {
		b = append(b, `,"conversation":{`...)
		if c.IsGroup {
			b = append(b, `"isGroup":true`...)
		}
		b, _ = appendMembers(b, !c.IsGroup, []member{{"conversationType", c.ConversationType}, {"tenantId", c.TenantID}, {"id", c.ID}, {"name", c.Name}, {"aadObjectId", c.AadObjectID}, {"role", string(c.Role)}})
		b = append(b, '}')
	}
	if len(o.ChannelData) > 0 {
		if b, err = jsonw.Marshal(append(b, `,"channelData":`...), o.ChannelData); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// member is a string member of an object, left out when empty
// (omitempty).
type member struct{ key, val string }

// appendMembers appends the non-empty members of ms, in order; first says
// whether the object has none yet, and is returned updated.
func appendMembers(b []byte, first bool, ms []member) ([]byte, bool) {
	for _, m := range ms {
		if m.val != "" {
			b = jsonw.String(jsonw.Field(b, first, m.key), m.val)
			first = false
		}
	}
	return b, first
}

// Marshal is json.Marshal(o), faster (see AppendJSON).
func (o *Outgoing) Marshal() ([]byte, error) {
	size := 512 + len(o.Text)
	if len(o.Attachments) > 0 {
		size += 4096 // a card
	}
	return o.AppendJSON(make([]byte, 0, size))
}
