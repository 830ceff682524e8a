package botframework

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
)

// TestOutgoingJSON holds Outgoing's own encoder to encoding/json's output,
// byte for byte.
func TestOutgoingJSON(t *testing.T) {
	// appendJSON writes these types field by field: a field added to one
	// (a msbotbuilder-go upgrade) must be added there too.
	for typ, fields := range map[reflect.Type]int{
		reflect.TypeFor[Outgoing]():                   12,
		reflect.TypeFor[schema.Attachment]():          5,
		reflect.TypeFor[schema.ChannelAccount]():      4,
		reflect.TypeFor[schema.ConversationAccount](): 7,
	} {
		if typ.NumField() != fields {
			t.Errorf("%v has %d fields, appendJSON writes %d", typ, typ.NumField(), fields)
		}
	}
	card := cards.New(cards.Title("Next steps <for> Pat & co"), cards.Text("**1699** done"))
	card.Actions = []cards.Element{cards.Execute("Done", "done", map[string]any{"engagement": "e1", "version": 3})}
	var nilCard *cards.Card
	user := &schema.ChannelAccount{ID: "29:pat", Name: "Pat <P&P>", AadObjectID: "00000000-aaaa", Role: "user"}
	bot := &schema.ChannelAccount{ID: "28:bot", Name: "mvmbot"}
	conv := &schema.ConversationAccount{ID: "a:conv-0", ConversationType: "personal", TenantID: "t1"}
	group := &schema.ConversationAccount{IsGroup: true, ConversationType: "channel", TenantID: "t1", ID: "19:c;messageid=1", Name: "General", AadObjectID: "x", Role: "bot"}
	for name, o := range map[string]*Outgoing{
		"empty": {},
		"text":  {Type: "message", Text: "Type **help** <to> see what I do & more\u2028.", ReplyToID: "act-1", From: bot, Recipient: user, Conversation: conv},
		"card": {Type: "message", Summary: "Your next steps", AttachmentLayout: "list",
			Attachments: cardReply(card).Attachments, From: bot, Recipient: user, Conversation: conv},
		"other attachments": {Type: "message", Attachments: []schema.Attachment{
			{ContentType: "text/calendar", ContentURL: "https://example.com/x.ics", Name: "invite.ics", ThumbnailURL: "https://example.com/t.png"},
			{ContentType: cards.ContentType, Content: nilCard},
			{Content: map[string]any{"b": 1, "a": []string{"x"}}},
			{},
		}},
		"entities and channelData": {Type: "message", Text: "hi <at>Pat</at>", TextFormat: "xml",
			Entities:    []map[string]any{{"type": "mention", "text": "<at>Pat</at>", "mentioned": map[string]any{"id": "29:pat", "name": "Pat"}}},
			ChannelData: map[string]any{"notification": map[string]any{"alert": true}}},
		"empty lists":           {Type: "typing", Attachments: []schema.Attachment{}, Entities: []map[string]any{}, ChannelData: map[string]any{}},
		"group, empty accounts": {Type: "message", Text: "x", From: &schema.ChannelAccount{}, Recipient: user, Conversation: group},
		"empty conversation":    {Type: "message", Conversation: &schema.ConversationAccount{}},
		"url only":              {Type: "message", Attachments: []schema.Attachment{{ContentURL: "https://x/y.png", Name: "y.png"}, {Name: "only a name"}}},
	} {
		got, err := o.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s: encoded\n %s\nwant\n %s", name, got, want)
		}
	}
}

// cardReply is a message carrying card, as the bot's replies do.
func cardReply(card any) Outgoing {
	return Outgoing{Type: "message", Attachments: []schema.Attachment{{ContentType: AdaptiveCardContentType, Content: card}}}
}
