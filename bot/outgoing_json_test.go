package bot

import (
	"encoding/json"
	"testing"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
)

// TestOutgoingJSON holds Outgoing's own encoder to encoding/json's output,
// byte for byte.
func TestOutgoingJSON(t *testing.T) {
	card := cards.New(cards.Title("Next steps <for> Pat & co"), cards.Text("**1699** done"))
	card.Actions = []cards.Element{cards.Execute("Done", "done", map[string]any{"engagement": "e1", "version": 3})}
	var nilCard *cards.Card
	user := &schema.ChannelAccount{ID: "29:pat", Name: "Pat", AadObjectID: "00000000-aaaa"}
	bot := &schema.ChannelAccount{ID: "28:bot", Name: "mvmbot"}
	conv := &schema.ConversationAccount{ID: "a:conv-0", ConversationType: "personal", TenantID: "t1"}
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
		"empty lists": {Type: "typing", Attachments: []schema.Attachment{}, Entities: []map[string]any{}, ChannelData: map[string]any{}},
	} {
		got, err := o.marshal()
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
