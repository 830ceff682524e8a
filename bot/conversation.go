package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// turnCommands are the commands of this file (see Command).
var turnCommands = []Command{
	{Name: "next", Usage: "next steps", Scopes: allScopes,
		Description: "Your tasks now, each with a Done button, and what your other tasks wait for",
		Help: "In a channel or group chat: your tasks in its engagement, for your roles. In our personal chat: your tasks in every engagement you belong to. " +
			"Each person sees their own view of the card, and it stays current.",
		Rank: 10,
		Run:  func(t *turn, _ string) (answer, error) { return t.next(cards.ActionData{}, "", false, nil) }},
	{Name: "done", Usage: "done <task id>", Scopes: allScopes,
		Description: "Mark a task done, e.g. done 1699",
		Help: "Name the task by its playbook id (1699) or, where an id names two tasks, by its key (workshop-box). " +
			"The task's owner role may do it; a helper role the playbook names (the MST for the customer's tasks) may do it on the owner's behalf. A task waits until the tasks it needs are settled. " +
			"Tasks with evidence complete through it, not through done: 1034 when the questionnaire is submitted, 1672 when it is validated, a workshop when it is marked held, 2979, 3615 and 3282 when the site is ready, 1871 when every event is completed or cancelled, 2323 by closing; done on one of them says how, with the button.",
		Rank: 20,
		Run:  func(t *turn, args string) (answer, error) { return t.taskCommand("done", args) }},
	{Name: "status", Usage: "status [user or path]", Scopes: allScopes,
		Description: "Progress by phase, overdue tasks, the next milestone and the people; or where one user or path is",
		Help: "Anyone in the engagement may look. Due dates come from the target start and end given at set-up. " +
			"**status ann@contoso.com** (the Microsoft 365 address, the source login or a path) says which migration event the unit is in, " +
			"its pre-flight result and its migration status from the imported Get-MigrationUser export (last sync, Microsoft's error, and the known error's fix).",
		Rank: 40,
		Run: func(t *turn, args string) (answer, error) {
			if strings.TrimSpace(args) != "" {
				return t.unitStatus(args)
			}
			return t.view(cards.VerbStatus, cards.ActionData{})
		}},
	{Name: "help", Aliases: []string{"?"}, Usage: "help [command]", Scopes: allScopes,
		Description: "Show what I can do, or how one command works",
		Help:        "Commands work with or without the @mention of me in front, in any case.",
		Rank:        80,
		Run:         (*turn).help},
	{Name: "undo", Usage: "undo <task id>", Scopes: allScopes,
		Description: "Reopen a task marked done or not applicable",
		Help:        "Those who may mark the task may reopen it. A task cannot be reopened while a task that needs it is settled: reopen that first.",
		Rank:        90,
		Run:         func(t *turn, args string) (answer, error) { return t.taskCommand("undo", args) }},
	{Name: "na", Usage: "na <task id> <reason>", Scopes: allScopes,
		Description: "Mark an optional or conditional task not applicable, with the reason",
		Help: "Only optional and conditional tasks (3614, 3217, hybrid 3160, 1370) may be marked; the reason goes into the history. " +
			"Example: **na 3217 the customer has enough licenses**.",
		Rank: 100,
		Run:  func(t *turn, args string) (answer, error) { return t.taskCommand("na", args) }},
	{Name: "history", Usage: "history", Scopes: allScopes,
		Description: "The last 20 changes to the engagement, who made them and when",
		Help:        "Every change is recorded, and nothing removes an entry.",
		Rank:        110,
		Run:         func(t *turn, _ string) (answer, error) { return t.view(cards.VerbHistory, cards.ActionData{}) }},
}

// turnButtons are the buttons of this file's cards (see Button).
var turnButtons = []Button{
	{Verbs: []string{cards.VerbHelp},
		Run: func(t *turn, _ string, _ cards.ActionData, _ json.RawMessage) (answer, error) {
			return answer{card: t.reg.helpCard(t.botName())}, nil
		}},
	{Verbs: []string{cards.VerbNext},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.next(d, "", false, nil)
		}},
	{Verbs: []string{cards.VerbDone, cards.VerbUndo, cards.VerbNA},
		Run: (*turn).taskButton},
	{Verbs: []string{cards.VerbHistory},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.history(d, raw)
		}},
	{Verbs: []string{cards.VerbStatus},
		Run: func(t *turn, verb string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.view(verb, d)
		}},
}

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
	// mode (recorded, with an .ics invitation). See conversation_workshops.go.
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
		return c.Run(t, args)
	}
	return answer{text: fmt.Sprintf("I don't know %q. Try **next**, **status** or **done 1699**; **help** lists everything.", truncate(text, 40))}, nil
}

func (t *turn) help(args string) (answer, error) {
	name, _ := splitCommand(args)
	if name == "" {
		return answer{card: t.reg.helpCard(t.botName())}, nil
	}
	c, ok := t.reg.lookup(name)
	if !ok {
		return answer{text: fmt.Sprintf("There is no %q command. Type **help** for the list.", truncate(name, 40))}, nil
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
	return nil, playbook.Errorf(playbook.EINVALID, "You belong to %d engagements (%s). Type this in the engagement's channel, or use the buttons on **next**.", len(es), strings.Join(ns, ", "))
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

// view answers status, roles and history.
func (t *turn) view(verb string, d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	switch verb {
	case cards.VerbStatus:
		return answer{card: cards.Status(e, t.now, progressPicture(e, t.now))}, nil
	case cards.VerbRoles:
		return answer{card: cards.Roles(e, "", t.a.From.ID)}, nil
	}
	return answer{card: cards.History(e, 1)}, nil
}

// next answers with the person's task card; notice and undo come from a
// change just made.
func (t *turn) next(d cards.ActionData, notice string, attention bool, undo *cards.ActionData) (answer, error) {
	v := cards.NextView{PersonID: t.a.From.ID, Name: t.a.From.Name, Notice: notice, Attention: attention, Undo: undo, Personal: t.personal()}
	if t.personal() && d.Engagement == "" {
		if err := t.needStore(); err != nil {
			return answer{}, err
		}
		var card *cards.Card
		v.Compact = true
		err := t.viewMine(func(es []*playbook.Engagement) {
			v.Sections = es
			card = cards.Next(v)
		})
		if err != nil {
			return answer{}, err
		}
		return answer{card: card}, nil
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if t.personal() {
		// A section of the personal card was clicked: show them all.
		if es, err := t.mine(); err == nil {
			v.Sections = es
			if !slices.ContainsFunc(es, func(x *playbook.Engagement) bool { return x.ID == e.ID }) {
				v.Sections = append(v.Sections, e)
			}
			return answer{card: cards.Next(v)}, nil
		}
	}
	v.Sections = []*playbook.Engagement{e}
	return answer{card: cards.Next(v)}, nil
}

// taskCommand runs done, undo and na typed as text.
func (t *turn) taskCommand(verb, args string) (answer, error) {
	ref, reason, _ := strings.Cut(args, " ")
	if ref == "" {
		c, _ := t.reg.lookup(verb)
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say which task: **%s**, e.g. %s.", c.Usage, strings.Replace(c.Usage, "<task id>", "1699", 1))
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	task, err := t.apply(e, verb, ref, reason)
	if err != nil {
		if ans, ok := t.evidenceRefusal(e, ref, err); ok && verb == cards.VerbDone {
			return ans, nil
		}
		return answer{}, err
	}
	bump(e)
	ans := answer{text: t.doneText(e, verb, task, t.a.From.Name)}
	return save(e, t.announce(e, ans, t.doneText(e, verb, task, t.actorName(e)))), nil
}

// apply runs one task transition on e.
func (t *turn) apply(e *playbook.Engagement, verb, ref, reason string) (playbook.Task, error) {
	switch verb {
	case cards.VerbDone:
		return playbook.MarkDone(e, t.a.From.ID, ref, t.now)
	case cards.VerbUndo:
		return playbook.Reopen(e, t.a.From.ID, ref, t.now)
	}
	return playbook.MarkNotApplicable(e, t.a.From.ID, ref, reason, t.now)
}

// doneText says what a task transition recorded, with who as its subject
// ("You" when empty).
func (t *turn) doneText(e *playbook.Engagement, verb string, task playbook.Task, who string) string {
	if who == "" {
		who = "You"
	}
	var what string
	switch verb {
	case cards.VerbDone:
		what = "marked **" + task.Ref() + "** " + task.Title + " done"
		if st := e.State(task.Key); st.OnBehalfOf != "" {
			what += " on behalf of the " + string(st.OnBehalfOf)
		}
	case cards.VerbUndo:
		what = "reopened **" + task.Ref() + "** " + task.Title
	default:
		what = "marked **" + task.Ref() + "** " + task.Title + " not applicable: " + e.State(task.Key).Reason
	}
	p := playbook.Progress(e)
	return fmt.Sprintf("%s %s. The %s engagement is %d%% done.", who, what, markdown.Escape(e.Customer), p.Overall.Percent())
}

// taskButton runs Done, Undo and Not applicable clicked on a task card.
// The card's version must be the engagement's: a stale card answers with
// the current state and changes nothing.
func (t *turn) taskButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	if d.Task == "" || d.Version == 0 {
		return answer{}, playbook.Errorf(playbook.EINVALID, "This button does not say which task or which version of the engagement it was made for, so nothing was changed. Type **next** for a current card.")
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if d.Version != e.Version {
		return t.next(cards.ActionData{Engagement: e.ID}, staleNotice(e, d), true, nil)
	}
	reason := ""
	if verb == cards.VerbNA {
		if reason, err = cards.DecodeNAReason(raw, d); err != nil {
			return answer{}, err
		}
	}
	task, err := t.apply(e, verb, d.Task, reason)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	notice := t.doneText(e, verb, task, t.a.From.Name)
	var undo *cards.ActionData
	if verb != cards.VerbUndo {
		undo = &cards.ActionData{Engagement: e.ID, Version: e.Version, Task: task.Key}
	}
	ans := answer{card: t.nextCard(e, notice, undo)}
	return save(e, t.announce(e, ans, t.doneText(e, verb, task, t.actorName(e)))), nil
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

// nextCard is the task card of e as it will be once saved.
func (t *turn) nextCard(e *playbook.Engagement, notice string, undo *cards.ActionData) *cards.Card {
	v := cards.NextView{PersonID: t.a.From.ID, Name: t.a.From.Name, Notice: notice, Undo: undo, Personal: t.personal(), Sections: []*playbook.Engagement{e}}
	if t.personal() {
		if es, err := t.mine(); err == nil {
			for i, x := range es {
				if x.ID == e.ID {
					es[i] = e
				}
			}
			v.Sections = es
		}
	}
	return cards.Next(v)
}

// staleNotice says why a click on an old card changed nothing.
func staleNotice(e *playbook.Engagement, d cards.ActionData) string {
	msg := "This card was out of date (the engagement changed since it was made), so nothing was changed. Here is the current state."
	if st := e.State(d.Task); st.Status != playbook.StatusOpen {
		by := st.By
		if m, ok := e.Member(st.By); ok && m.Name != "" {
			by = m.Name
		}
		ref := d.Task
		if ts, err := playbook.LookupTask(d.Task); err == nil && len(ts) == 1 {
			ref = ts[0].Ref()
		}
		msg = fmt.Sprintf("%s was already marked %s by %s on %s, so nothing was changed. Here is the current state.",
			ref, strings.ReplaceAll(string(st.Status), "_", " "), by, st.At.Format("2 Jan 15:04"))
	}
	return msg
}

// buttonData is a card button's data naming one record by a whole number
// under key (an event, an issue, an escalation), with the card's inputs.
type buttonData struct {
	m  map[string]any
	id int
}

// decodeButton reads raw as buttonData; what names the record and command
// its list, for the refusal.
func decodeButton(raw json.RawMessage, key, what, command string) (buttonData, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return buttonData{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was changed. Type **%s** for a fresh card.", command)
	}
	f, ok := m[key].(float64)
	if !ok || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
		return buttonData{}, playbook.Errorf(playbook.EINVALID, "This button does not say which %s it is for, so nothing was changed. Type **%s** for a fresh card.", what, command)
	}
	return buttonData{m: m, id: int(f)}, nil
}

// text is the card input key: "" when absent, EINVALID when not text.
func (b buttonData) text(key string) (string, error) {
	v, present := b.m[key]
	s, ok := v.(string)
	if present && !ok {
		return "", playbook.Errorf(playbook.EINVALID, "The field must be text; nothing was changed.")
	}
	return s, nil
}

func decodeObject(raw json.RawMessage) (map[string]any, error) {
	m := map[string]any{}
	if len(raw) == 0 {
		return m, nil
	}
	err := json.Unmarshal(raw, &m)
	return m, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
