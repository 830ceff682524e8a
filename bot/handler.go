package bot

import (
	"context"

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
	// Private replies carry a secret shown once (a feed key): they are
	// posted after the turn is committed and never stored, not even as a
	// job. Should the post fail, the person asks again.
	Private []Outgoing

	// Engagement is the engagement this activity changed, to be saved in
	// the same transaction; nil when nothing changed. Its Version is the
	// one it is saved with: one more than the version the handler read (1
	// for a new engagement). When the stored version moved meanwhile, the
	// server handles the activity again on the fresh state (a few times at
	// most, see Server.process).
	Engagement *playbook.Engagement
	// Jobs are queued in the same transaction as the engagement, besides
	// the replies' posts: the work a change sets going (a site's set-up, a
	// tracker write, a post to the engagement's channel of a change made in
	// the personal chat), so that it happens exactly when the change is
	// saved.
	Jobs []playbook.Job
}

// Handler decides what to do with an activity. It must not post or change
// anything itself: it returns an Outcome (or an error carrying a playbook
// code, which the server turns into a reply once). It may be called several
// times for one activity (see Outcome.Engagement).
type Handler interface {
	Handle(ctx context.Context, a *Activity) (Outcome, error)
}

func reply(out ...Outgoing) Outcome { return Outcome{Replies: out} }

func textReply(text string) Outgoing {
	return Outgoing{Type: string(schema.Message), Text: text, TextFormat: "markdown"}
}

// It carries the card's summary, which Teams shows in notifications and the
// chat list instead of a generic "Card".
func cardReply(card *cards.Card) Outgoing {
	return Outgoing{Type: string(schema.Message), Summary: card.Summary(), Attachments: []schema.Attachment{{ContentType: cards.ContentType, Content: card}}}
}
