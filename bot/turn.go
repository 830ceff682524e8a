package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// EngagementReader is what the conversation needs from storage: engagements
// are read here and written only through Outcome.Engagement, which the
// server commits with the turn. The store package implements it on bbolt.
type EngagementReader interface {
	// Engagement returns the engagement with that ID, or ENOTFOUND.
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	// EngagementByConversation returns the engagement bound to a
	// conversation key (Activity.ConversationKey), or ENOTFOUND.
	EngagementByConversation(ctx context.Context, key string) (*playbook.Engagement, error)
	// EngagementsOf returns the engagements a Teams user id belongs to.
	EngagementsOf(ctx context.Context, memberID string) ([]*playbook.Engagement, error)
	// ViewEngagementsOf is EngagementsOf for a read-only answer: fn gets
	// the stored engagements themselves, not copies, and must neither
	// change nor keep them. A personal "next steps" only renders them, and
	// the copies were a fifth of its work.
	ViewEngagementsOf(ctx context.Context, memberID string, fn func([]*playbook.Engagement) error) error
	// HistoryReader reads the stored history, which engagements are read
	// without.
	HistoryReader
}

// Roster reads a conversation's members from Teams (the Bot Connector's GET
// /v3/conversations/{id}/members); *Connector implements it.
type Roster interface {
	Members(ctx context.Context, serviceURL, conversationID string) ([]botframework.Member, error)
}

// rosterTimeout bounds the one outside read a turn may make: Teams waits
// only seconds for an answer.
const rosterTimeout = 3 * time.Second

// Conversation is the bot's conversation logic: the commands of the
// command table, the engagement cards' buttons, and the welcome on install.
// It reads engagements and the roster and returns what should change; it
// never writes.
type Conversation struct {
	Engagements EngagementReader // nil: only help and the welcome work
	Roster      Roster           // nil: mentioned people are taken as mentioned
	Now         func() time.Time // nil: time.Now
	NewID       func() string    // engagement ids; nil: random
	// Workshops schedules the MST workshops through Graph; nil is local
	// mode (recorded, with an .ics invitation). See workshops.go.
	Workshops Workshops
	// Refs reads the engagements' stored conversation references, so that
	// a change made in the personal chat is announced in the engagement's
	// channel or group chat; nil: it is not announced.
	Refs      refReader
	Organizer string // the workshop organizer's mailbox (MVMBOT_ORGANIZER)
	// Sites sets up the collaboration site and writes the issue tracker
	// through Graph; nil is local mode (the tracker is kept in mvmbot).
	Sites   SiteGraph
	BaseURL string // the bot's public root, for the .ics links; "" shows the path
	// Files fetches files attached in the personal chat (attach.go); nil:
	// an attached file gets an answer saying files are not read.
	Files Files
	// Drafts keeps questionnaire drafts apart from the engagement, so that
	// paging the questionnaire leaves the others' cards current; nil: the
	// draft is saved in the engagement (moving its version).
	Drafts DraftStore
}

// Handle implements Handler.
func (c Conversation) Handle(ctx context.Context, a *Activity) (Outcome, error) {
	t := &turn{c: c, ctx: ctx, a: a, now: c.now(), reg: theRegistry()}
	switch a.Type {
	case schema.Message:
		return t.message()
	case schema.Invoke:
		return t.invoke()
	case schema.ConversationUpdate:
		return t.membersAdded(), nil
	}
	return Outcome{}, nil
}

func (c Conversation) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c Conversation) newID() string {
	if c.NewID != nil {
		return c.NewID()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "e-" + hex.EncodeToString(b)
}

// turn is one activity being handled.
type turn struct {
	c   Conversation
	ctx context.Context
	a   *Activity
	now time.Time
	reg *registry // the commands and buttons
	// pinned is the engagement a picker button chose (pick.go): here()
	// answers it in the personal chat.
	pinned string
}

// answer is what a command or a button comes to, before it is shaped as a
// reply (message) or an invoke response (button).
type answer struct {
	card *cards.Card
	text string
	save *playbook.Engagement // changed; Version already bumped
	// posts are messages to the conversation besides the answer (a
	// button's answer replaces its card; these are new messages).
	posts []Outgoing
	// private are posted once and never stored (Outcome.Private).
	private []Outgoing
	// jobs are queued with the change (Outcome.Jobs).
	jobs []playbook.Job
}

func (t *turn) personal() bool { return t.a.Conversation.ConversationType == "personal" }

// botName is the bot's name as Teams shows it here, the one people
// @mention: the recipient of the inbound activity (the app may be packaged
// under any name), "mvmbot" only when the channel sends none.
func (t *turn) botName() string {
	if n := strings.TrimSpace(t.a.Recipient.Name); n != "" {
		return n
	}
	return "mvmbot"
}

func (t *turn) me() playbook.Member {
	return playbook.Member{ID: t.a.From.ID, Name: t.a.From.Name, AADObjectID: t.a.From.AadObjectID}
}

// message handles typed commands and Action.Submit posts.
func (t *turn) message() (Outcome, error) {
	// Before anything reads the text: a message with a credential is
	// refused whole, so no part of it is acted on, stored or logged.
	if err := refuseSecret(t.a.Text); err != nil {
		return Outcome{}, err
	}
	if f, ok := t.attachment(); ok {
		ans, err := t.fileAttached(f)
		if err != nil {
			return Outcome{}, err
		}
		return ans.asReply(), nil
	}
	text := t.a.CommandText()
	if text == "" && len(t.a.Value) > 0 {
		// Action.Submit (a client without Universal Actions): the verb is
		// in the data, and the answer can only be a new message.
		d, err := cards.DecodeAction(t.a.Value)
		if err != nil {
			return Outcome{}, err
		}
		ans, err := t.action(d.Verb, d, t.a.Value)
		if err != nil {
			return Outcome{}, err
		}
		return ans.asReply(), nil
	}
	ans, err := t.command(text)
	if err != nil {
		return Outcome{}, err
	}
	return ans.asReply(), nil
}

func (a answer) asReply() Outcome {
	out := Outcome{Engagement: a.save}
	if a.text != "" {
		out.Replies = append(out.Replies, textReply(a.text))
	}
	if a.card != nil {
		out.Replies = append(out.Replies, cardReply(a.card))
	}
	out.Replies = append(out.Replies, a.posts...)
	out.Private = a.private
	out.Jobs = a.jobs
	return out
}

func (a answer) asInvoke() Outcome {
	out := Outcome{Engagement: a.save}
	if a.card != nil {
		out.Invoke = botframework.CardResponse(a.card)
	} else {
		out.Invoke = botframework.MessageResponse(a.text)
	}
	out.Replies = a.posts
	out.Jobs = a.jobs
	return out
}

func (t *turn) invoke() (Outcome, error) {
	if t.a.Name != "adaptiveCard/action" {
		return Outcome{Invoke: &InvokeResponse{Status: http.StatusNotImplemented}}, nil
	}
	var inv botframework.ActionInvoke
	if err := json.Unmarshal(t.a.Value, &inv); err != nil || inv.Action.Type != "Action.Execute" {
		return Outcome{Invoke: botframework.ErrorResponse(http.StatusBadRequest, "BadRequest", "This card action is not one I understand.")}, nil
	}
	d, err := cards.DecodeAction(inv.Action.Data)
	if err != nil {
		return Outcome{}, err
	}
	ans, err := t.action(inv.Action.Verb, d, inv.Action.Data)
	if err != nil {
		return Outcome{}, err
	}
	return ans.asInvoke(), nil
}

func (t *turn) membersAdded() Outcome {
	added := slices.ContainsFunc(t.a.MembersAdded, func(m schema.ChannelAccount) bool {
		return m.ID == t.a.Recipient.ID
	})
	if !added {
		return Outcome{}
	}
	if c := t.reinstalled(); c != nil {
		return reply(cardReply(c))
	}
	return reply(cardReply(cards.Installed(t.botName(), t.personal())))
}

// command runs a typed command.
func (t *turn) command(text string) (answer, error) {
	name, args := splitCommand(text)
	switch name {
	case "", "hi", "hello":
		return answer{text: t.botName() + " is running. Type **next** for your tasks, **status** for the engagement's progress, or **help** for everything I understand."}, nil
	}
	if c, ok := t.reg.lookup(name); ok {
		ans, err := c.Run(t, args)
		if p, ok := t.picker(text, err); ok {
			return p, nil
		}
		return ans, err
	}
	return answer{text: fmt.Sprintf("I don't know \"%s\". Try **next**, **status** or **done 1699**; **help** lists everything.", markdown.Escape(truncate(text, 40)))}, nil
}

func (t *turn) help(args string) (answer, error) {
	name, _ := splitCommand(args)
	if name == "" {
		return answer{card: t.reg.helpCard(t.botName())}, nil
	}
	c, ok := t.reg.lookup(name)
	if !ok {
		return answer{text: fmt.Sprintf("There is no \"%s\" command. Type **help** for the list.", markdown.Escape(truncate(name, 40)))}, nil
	}
	where := "in channels, group chats and our personal chat"
	if !slices.Contains(c.Scopes, "personal") {
		where = "in the engagement's channel or group chat"
	}
	return answer{text: fmt.Sprintf("**%s**: %s (%s).\n\n%s", c.Usage, c.Description, where, c.Help)}, nil
}

// action runs a card button: verb with its data d (raw also holds the
// card's inputs).
func (t *turn) action(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	if !questionnaireForm[verb] {
		// The questionnaire's own inputs are scanned field by field, so
		// that the rest of a page is kept; any other card is refused whole.
		if err := refuseSecretIn(raw); err != nil {
			return answer{}, err
		}
	}
	if run, ok := t.reg.byVerb[verb]; ok {
		return run(t, verb, d, raw)
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "This button (%q) is not one I know. The card may be from an older version: type help.", truncate(verb, 40))
}

// here returns the engagement a command is about: in a channel or group
// chat, the one bound to it; in personal chat, the person's only open one.
func (t *turn) here() (*playbook.Engagement, error) {
	if err := t.needStore(); err != nil {
		return nil, err
	}
	if !t.personal() {
		e, err := t.c.Engagements.EngagementByConversation(t.ctx, t.a.ConversationKey())
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			return nil, playbook.Errorf(playbook.ENOTFOUND, "No engagement is set up in this conversation yet. The FRP, the MST or the MVM types **setup** to start one.")
		}
		return e, err
	}
	if t.pinned != "" {
		return t.target(cards.ActionData{Engagement: t.pinned})
	}
	es, err := t.mine()
	if err != nil {
		return nil, err
	}
	switch len(es) {
	case 0:
		return nil, playbook.Errorf(playbook.ENOTFOUND, "You belong to no open engagement. An engagement's lead adds you with **role @you ROLE** in its channel.")
	case 1:
		return es[0], nil
	}
	ns := make([]string, len(es))
	for i, e := range es {
		ns[i] = e.Customer
	}
	return nil, &pickError{es: es, err: playbook.Errorf(playbook.EINVALID, "You belong to %d engagements (%s). Type this in the engagement's channel, or use the buttons on **next**.", len(es), strings.Join(ns, ", "))}
}

// viewMine calls fn with the open engagements the person belongs to, which
// fn must not change or keep: they are the store's own (see
// EngagementReader.ViewEngagementsOf).
func (t *turn) viewMine(fn func([]*playbook.Engagement)) error {
	return t.c.Engagements.ViewEngagementsOf(t.ctx, t.a.From.ID, func(es []*playbook.Engagement) error {
		fn(slices.DeleteFunc(es, (*playbook.Engagement).IsClosed))
		return nil
	})
}

// mine returns the open engagements the person belongs to.
func (t *turn) mine() ([]*playbook.Engagement, error) {
	es, err := t.c.Engagements.EngagementsOf(t.ctx, t.a.From.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(es, (*playbook.Engagement).IsClosed), nil
}

// target returns the engagement a button names: it must be this
// conversation's (a card from elsewhere, or forged data, changes nothing);
// in personal chat, one the person belongs to. No engagement in d means
// here().
func (t *turn) target(d cards.ActionData) (*playbook.Engagement, error) {
	if d.Engagement == "" {
		return t.here()
	}
	if err := t.needStore(); err != nil {
		return nil, err
	}
	if !t.personal() {
		e, err := t.here()
		if err != nil {
			return nil, err
		}
		if e.ID != d.Engagement {
			return nil, playbook.Errorf(playbook.EFORBIDDEN, "This card belongs to another engagement than this conversation's (%s), so nothing was changed. Type **next** for a current card.", markdown.Escape(e.Customer))
		}
		return e, nil
	}
	// A non-member gets the answer of an unknown id: an id someone else
	// belongs to tells a stranger nothing, not even its customer's name.
	unknown := playbook.Errorf(playbook.ENOTFOUND, "That engagement no longer exists. Type **next** for a current card.")
	e, err := t.c.Engagements.Engagement(t.ctx, d.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil, unknown
	}
	if err != nil {
		return nil, err
	}
	if _, ok := e.Member(t.a.From.ID); !ok {
		return nil, unknown
	}
	return e, nil
}

func (t *turn) needStore() error {
	if t.c.Engagements == nil {
		return errors.New("conversation has no engagement store")
	}
	return nil
}

// save bumps e's version for the commit and returns the answer.
func save(e *playbook.Engagement, ans answer) answer {
	ans.save = e
	return ans
}

// bump marks e as changed: it is saved as the next version.
func bump(e *playbook.Engagement) {
	e.Version++
}

// announce tells the others in e's conversation what this turn changed,
// in text (one short line: it is posted on every change).
//
// In a channel or group chat, only a button's change is announced, as a
// post there: an Action.Execute answer replaces the card of the person who
// clicked and nobody else's, while a typed command's answer (and an
// Action.Submit's, a new message) is seen by everyone already.
//
// In the personal chat nobody else reads the answer, so any change is
// posted to the engagement's channel or group chat through its stored
// reference (a proactive post, paced by the sender's rate limits). When
// no reference is stored or it cannot be read, nothing is posted: an
// announcement is never worth refusing the change.
func (t *turn) announce(e *playbook.Engagement, ans answer, text string) answer {
	if !t.personal() {
		if t.a.Type == schema.Invoke {
			ans.posts = append(ans.posts, textReply(text))
		}
		return ans
	}
	return t.toChannel(e, ans, textReply(text))
}

// actorName names the person acting for the others: the name Teams sent,
// else the engagement's record of them, else their id.
func (t *turn) actorName(e *playbook.Engagement) string {
	// Escaped: it goes into Markdown announcements, and a display name is
	// typed by a person.
	if t.a.From.Name != "" {
		return markdown.Escape(t.a.From.Name)
	}
	if m, ok := e.Member(t.a.From.ID); ok && m.Name != "" {
		return markdown.Escape(m.Name)
	}
	return markdown.Escape(t.a.From.ID)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// reinstalled is the answer to the bot being added again to a channel or
// group chat that already has an engagement: its status, not the welcome
// that asks to set one up. Nil when there is none (or it cannot be read:
// the welcome is the safe answer then).
func (t *turn) reinstalled() *cards.Card {
	if t.personal() || t.c.Engagements == nil {
		return nil
	}
	e, err := t.c.Engagements.EngagementByConversation(t.ctx, t.a.ConversationKey())
	if err != nil {
		return nil
	}
	c := cards.Status(e, t.now, progressPicture(e, t.now))
	c.Body = append([]cards.Element{c.Body[0], cards.Notice(t.botName()+" is back in this conversation. The "+markdown.Escape(e.Customer)+" engagement continues where it was: here is its status.", false)}, c.Body[1:]...)
	return c
}
