package bot

import (
	"github.com/mvmbot/mvmbot/internal/jsonw"
)

// jsonAppender is a value that appends its own JSON (a *cards.Card).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// appendJSON appends the activity as encoding/json would encode it, byte
// for byte, but writes a card attachment's content with the card's own
// encoder. Through encoding/json that content would be encoded and then
// scanned again to be checked and compacted, which for a task card cost as
// much as encoding it; the other fields are small and go through
// encoding/json (TestOutgoingJSON holds the two together).
func (o *Outgoing) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"type":`...)
	b = jsonw.String(b, o.Type)
	b = optString(b, "text", o.Text)
	b = optString(b, "textFormat", o.TextFormat)
	b = optString(b, "summary", o.Summary)
	b = optString(b, "attachmentLayout", o.AttachmentLayout)
	var err error
	if len(o.Attachments) > 0 {
		b = append(b, `,"attachments":[`...)
		for i, a := range o.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			first := true
			b = append(b, '{')
			for _, f := range [...]struct{ key, val string }{{"contentType", a.ContentType}, {"contentUrl", a.ContentURL}} {
				if f.val != "" {
					b = jsonw.String(jsonw.Field(b, first, f.key), f.val)
					first = false
				}
			}
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
			for _, f := range [...]struct{ key, val string }{{"name", a.Name}, {"thumbnailUrl", a.ThumbnailURL}} {
				if f.val != "" {
					b = jsonw.String(jsonw.Field(b, first, f.key), f.val)
					first = false
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(o.Entities) > 0 {
		if b, err = jsonw.Marshal(append(b, `,"entities":`...), o.Entities); err != nil {
			return nil, err
		}
	}
	b = optString(b, "replyToId", o.ReplyToID)
	for _, f := range [...]struct {
		key string
		val any
		set bool
	}{{"from", o.From, o.From != nil}, {"recipient", o.Recipient, o.Recipient != nil}, {"conversation", o.Conversation, o.Conversation != nil}, {"channelData", o.ChannelData, len(o.ChannelData) > 0}} {
		if f.set {
			if b, err = jsonw.Marshal(jsonw.Field(b, false, f.key), f.val); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

// optString appends the member key: s unless s is empty (omitempty), never
// first.
func optString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return jsonw.String(jsonw.Field(b, false, key), s)
}

// marshal is json.Marshal(o), faster (see appendJSON).
func (o *Outgoing) marshal() ([]byte, error) {
	return o.appendJSON(make([]byte, 0, 1024))
}
