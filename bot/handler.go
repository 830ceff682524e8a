package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// Outcome is what handling an activity decided. Nothing in it has happened
// yet: the server commits it together with the activity's dedup record, then
// answers and sends.
type Outcome struct {
	Replies []Outgoing      // posted as replies to the activity, in order
	Invoke  *InvokeResponse // the HTTP answer to an invoke activity
}

// Handler decides what to do with an activity. It must not post or change
// anything itself: it returns an Outcome (or an error carrying a playbook
// code, which the server turns into a reply once).
type Handler interface {
	Handle(ctx context.Context, a *Activity) (Outcome, error)
}

// Command is one entry of the command table: the help card and the Teams
// app manifest's command lists are both built from it, so they cannot drift
// from what the bot understands.
type Command struct {
	Name        string   // the first word, lower case
	Usage       string   // how to type it
	Description string   // one line, at most 128 characters (manifest limit)
	Scopes      []string // Teams scopes where it works: team, groupChat, personal
}

var allScopes = []string{"team", "groupChat", "personal"}

// Commands returns the command table, most useful first.
func Commands() []Command {
	return []Command{
		{Name: "help", Usage: "help", Description: "Show what mvmbot can do", Scopes: allScopes},
	}
}

func helpCard() *cards.Card {
	cmds := Commands()
	lines := make([]cards.Command, len(cmds))
	for i, c := range cmds {
		lines[i] = cards.Command{Usage: c.Usage, Description: c.Description}
	}
	return cards.Help(lines)
}

// Conversation is the bot's conversation logic. For now it is the
// placeholder of the endpoint foundation: it answers every message, shows
// the help card and greets on install.
type Conversation struct{}

// Handle implements Handler.
func (Conversation) Handle(ctx context.Context, a *Activity) (Outcome, error) {
	switch a.Type {
	case schema.Message:
		return handleMessage(a)
	case schema.Invoke:
		return handleInvoke(a)
	case schema.ConversationUpdate:
		return handleMembersAdded(a), nil
	}
	return Outcome{}, nil
}

func handleMessage(a *Activity) (Outcome, error) {
	text := strings.ToLower(a.CommandText())
	if text == "" && len(a.Value) > 0 {
		// An Action.Submit arrives as a message with a value and no text;
		// the placeholder has no submit forms yet.
		return reply(textReply("That form is not handled here yet. Type **help** to see what I can do.")), nil
	}
	if text == "help" || text == "?" {
		return reply(cardReply(helpCard())), nil
	}
	return reply(textReply("mvmbot is running; type **help** to see what I can do.")), nil
}

func handleInvoke(a *Activity) (Outcome, error) {
	if a.Name != "adaptiveCard/action" {
		return Outcome{Invoke: &InvokeResponse{Status: http.StatusNotImplemented}}, nil
	}
	var inv actionInvoke
	if err := json.Unmarshal(a.Value, &inv); err != nil || inv.Action.Type != "Action.Execute" {
		return Outcome{Invoke: ErrorResponse(http.StatusBadRequest, "BadRequest", "This card action is not one mvmbot understands.")}, nil
	}
	switch inv.Action.Verb {
	case cards.VerbHelp:
		return Outcome{Invoke: CardResponse(helpCard())}, nil
	}
	return Outcome{}, playbook.Errorf(playbook.EINVALID, "This button (%q) is not one mvmbot knows. The card may be from an older version: type help.", inv.Action.Verb)
}

func handleMembersAdded(a *Activity) Outcome {
	added := slices.ContainsFunc(a.MembersAdded, func(m schema.ChannelAccount) bool {
		return m.ID == a.Recipient.ID
	})
	if !added {
		return Outcome{}
	}
	return reply(cardReply(cards.Welcome(a.Conversation.ConversationType == "personal")))
}

func reply(out ...Outgoing) Outcome { return Outcome{Replies: out} }

func textReply(text string) Outgoing {
	return Outgoing{Type: string(schema.Message), Text: text, TextFormat: "markdown"}
}

func cardReply(card *cards.Card) Outgoing {
	return Outgoing{Type: string(schema.Message), Attachments: []schema.Attachment{{ContentType: cards.ContentType, Content: card}}}
}
