package bot

import (
	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

// The protocol's types under the names bot's handlers use: an activity comes
// in, replies go out, an invoke is answered. They are package botframework's
// own types, not copies.
type (
	Activity       = botframework.Activity
	Outgoing       = botframework.Outgoing
	InvokeResponse = botframework.InvokeResponse
)

// refOf is the conversation reference to keep for proactive posts.
func refOf(a *Activity) *playbook.ConversationRef {
	return &playbook.ConversationRef{
		Key:            a.ConversationKey(),
		ServiceURL:     a.ServiceURL,
		ChannelID:      a.ChannelID,
		ConversationID: a.Conversation.ID,
		Type:           a.Conversation.ConversationType,
		TenantID:       a.TenantID(),
		BotID:          a.Recipient.ID,
		BotName:        a.Recipient.Name,
		TeamsChannelID: a.TeamsChannelID(),
	}
}
