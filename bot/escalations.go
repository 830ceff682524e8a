package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// escalationCommands are the commands of this file (see Command).
var escalationCommands = []Command{
	{Name: "note", Usage: "note <text>", Scopes: allScopes,
		Description: "Write a dated status note into the engagement's history",
		Help: "The MVM, the MST or the FRP may write notes; they are never edited nor removed. " +
			"A note that looks like it holds a password or key is refused.",
		Rank: 130,
		Run:  (*turn).note},
	{Name: "escalate", Usage: "escalate [low|medium|high|critical] <text>", Scopes: allScopes,
		Description: "Escalate a problem to the single point of contact (the MVM, else the MST lead)",
		Help: "Anyone in the engagement may escalate; the severity is medium unless the first word says otherwise. " +
			"The point of contact is @mentioned and reminded until they acknowledge it. Example: **escalate high pre-flight keeps failing for 40 mailboxes**.",
		Rank: 140,
		Run:  (*turn).escalate},
	{Name: "escalations", Usage: "escalations", Scopes: allScopes,
		Description: "The engagement's escalations with their age, to acknowledge and resolve",
		Help:        "Anyone may look; the point of contact gets Acknowledge and Resolve buttons.",
		Rank:        150,
		Run:         func(t *turn, _ string) (answer, error) { return t.escalations(cards.ActionData{}, "") }},
}

// escalationButtons are the buttons of this file's cards (see Button).
var escalationButtons = []Button{
	{Verbs: []string{cards.VerbEscalations},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.escalations(d, "")
		}},
	{Verbs: []string{cards.VerbEscalationAck, cards.VerbEscalationResolve},
		Run: (*turn).escalationButton},
}

// The MVM's work in the conversation (issue 8): status notes and
// escalations to the single point of contact. The rules are playbook's
// (AddNote, Escalate, AcknowledgeEscalation, ResolveEscalation); this file
// decides what answers and what is posted. Every message has already been
// scanned for credentials (turn.message), every card's data too
// (turn.action), so a note or an escalation never holds one.

// note runs "note <text>".
func (t *turn) note(args string) (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	n, err := playbook.AddNote(e, t.a.From.ID, args, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, answer{text: fmt.Sprintf("Noted in the %s engagement's history (%s UTC): %s", markdown.Escape(e.Customer), n.At.Format("2 Jan 15:04"), markdown.Escape(n.Text))}), nil
}

// escalate runs "escalate [severity] <text>": the point of contact is
// @mentioned in the reply.
func (t *turn) escalate(args string) (answer, error) {
	first, rest := splitCommand(args)
	sev := playbook.Severity("")
	switch playbook.Severity(first) {
	case playbook.SeverityLow, playbook.SeverityMedium, playbook.SeverityHigh, playbook.SeverityCritical:
		if rest == "" {
			return answer{}, playbook.Errorf(playbook.EINVALID, "Say what is escalated after the severity: **escalate %s <what is wrong>**.", first)
		}
		sev, args = playbook.Severity(first), rest
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	x, err := playbook.Escalate(e, t.a.From.ID, sev, args, 0, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	out := escalationPost(e, x, fmt.Sprintf("Escalation **#%d** (%s) raised by %s: %s", x.ID, x.Severity, displayName(t.me()), markdown.Escape(x.Text)))
	return save(e, t.withPosts(e, answer{}, out)), nil
}

// escalationPost is head, then a line to the single point of contact of
// escalation x, @mentioned, or saying nobody holds that role yet.
func escalationPost(e *playbook.Engagement, x playbook.Escalation, head string) Outgoing {
	out := textReply(head + "\n\n")
	if m, ok := e.Member(x.Contact); ok && x.Contact != "" {
		at := atTag(m)
		out.Text += fmt.Sprintf("%s, you are the single point of contact (%s): please acknowledge it; **escalations** lists them with the buttons.", at, x.ContactRole)
		out.Entities = []map[string]any{mentionEntity(m, at)}
	} else {
		out.Text += fmt.Sprintf("Nobody holds the %s role yet, so nobody was told: the lead gives it with **role @person %s**.", x.ContactRole, x.ContactRole)
	}
	return out
}

// escalations answers the escalations card.
func (t *turn) escalations(d cards.ActionData, notice string) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: t.escalationsCard(e, notice)}, nil
}

func (t *turn) escalationsCard(e *playbook.Engagement, notice string) *cards.Card {
	return cards.Escalations(e, cards.EscalationsView{
		List:   playbook.Escalations(e, t.now),
		Notice: notice,
		CanAct: !e.IsClosed() && playbook.Can(e, t.a.From.ID, playbook.ActionEscalationAck, nil) == nil,
	})
}

// escalationButton runs Acknowledge and Resolve.
func (t *turn) escalationButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := cards.DecodeRecord(raw, cards.EscalationKey, "escalation", "escalations")
	if err != nil {
		return answer{}, err
	}
	id := b.ID
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	var what string
	if verb == cards.VerbEscalationAck {
		if err := playbook.AcknowledgeEscalation(e, t.a.From.ID, id, t.now); err != nil {
			return answer{}, err
		}
		what = fmt.Sprintf("%s acknowledged escalation #%d and is on it.", displayName(t.me()), id)
	} else {
		s, err := cards.DecodeResolution(raw, id)
		if err != nil {
			return answer{}, err
		}
		if err := playbook.ResolveEscalation(e, t.a.From.ID, id, s, t.now); err != nil {
			return answer{}, err
		}
		what = fmt.Sprintf("%s resolved escalation #%d: %s", displayName(t.me()), id, markdown.Escape(strings.TrimSpace(s)))
	}
	bump(e)
	ans := t.withPosts(e, answer{card: t.escalationsCard(e, what)}, t.toRaiser(e, id, what))
	return save(e, ans), nil
}

// toRaiser is a message telling the person who raised escalation id what
// happened to it, @mentioning them.
func (t *turn) toRaiser(e *playbook.Engagement, id int, what string) Outgoing {
	out := textReply(what)
	i := -1
	for j, x := range e.Escalations {
		if x.ID == id {
			i = j
		}
	}
	if i < 0 {
		return out
	}
	if m, ok := e.Member(e.Escalations[i].By); ok && m.ID != t.a.From.ID {
		at := atTag(m)
		out.Text = at + ": " + what
		out.Entities = []map[string]any{mentionEntity(m, at)}
	}
	return out
}

type remindArgs struct {
	Engagement string `json:"engagement"`
	Escalation int    `json:"escalation"`
	Reminder   int    `json:"reminder"` // the reminder this job sends: 1, 2, …
}

func (m *MigrationJobs) remindJob(e *playbook.Engagement, x playbook.Escalation) (playbook.Job, error) {
	last := x.At
	if x.RemindedAt.After(last) {
		last = x.RemindedAt
	}
	n := x.Reminders + 1
	j, err := newJob(remindArgs{Engagement: e.ID, Escalation: x.ID, Reminder: n})
	j.Key, j.RunAt = fmt.Sprintf("%s|%s|%d|%d", KindEscalationRemind, e.ID, x.ID, n), last.Add(m.remindAfter())
	return j, err
}

// WorkRemind is the KindEscalationRemind worker: it reminds the point of
// contact of an escalation still open, records the reminder in the
// engagement and queues the next, in one commit. An escalation acknowledged
// or resolved meanwhile needs nothing.
func (m *MigrationJobs) WorkRemind(ctx context.Context, j playbook.Job) error {
	return Work(m.workRemind)(ctx, j)
}

func (m *MigrationJobs) workRemind(ctx context.Context, _ playbook.Job, a remindArgs) error {
	e, ok, err := m.load(ctx, a.Engagement)
	if err != nil || !ok {
		return err
	}
	now := m.now()
	var x *playbook.Escalation
	for _, d := range playbook.DueForReminder(e, now, m.remindAfter()) {
		if d.ID == a.Escalation {
			x = &d
		}
	}
	if x == nil || x.Reminders+1 != a.Reminder {
		return nil // acknowledged, resolved, or reminded by another job
	}
	if err := playbook.RecordEscalationReminder(e, x.ID, now); err != nil {
		return nil // no longer open: nothing to remind
	}
	text := fmt.Sprintf("Reminder %d: escalation **#%d** (%s) has waited %s without being acknowledged: %s", a.Reminder, x.ID, x.Severity, cardsAge(now.Sub(x.At)), markdown.Escape(truncate(x.Text, 300)))
	act := Outgoing{Type: string(schema.Message), TextFormat: "markdown"}
	if c, found := e.Member(x.Contact); found && x.Contact != "" {
		at := atTag(c)
		text = at + ", " + text + "\n\nType **escalations** to acknowledge it."
		act.Entities = []map[string]any{mentionEntity(c, at)}
	} else {
		text += fmt.Sprintf("\n\nNobody holds the %s role: the lead gives it with **role @person %s**.", x.ContactRole, x.ContactRole)
	}
	act.Text = text
	send, err := m.proactive(ctx, e, fmt.Sprintf("escalation.send|%s|%d|%d", e.ID, x.ID, a.Reminder), act)
	if err != nil {
		return err
	}
	for i := range e.Escalations {
		if e.Escalations[i].ID == x.ID {
			x = &e.Escalations[i]
		}
	}
	next, err := m.remindJob(e, *x)
	if err != nil {
		return err
	}
	// ECONFLICT: the job is retried on the fresh engagement.
	return commitEngagement(ctx, m.Store, m.Runner, e, send, next)
}

func (remindArgs) Kind() string { return KindEscalationRemind }
