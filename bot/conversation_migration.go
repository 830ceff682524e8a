package bot

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// migrationCommands are the commands of this file (see Command).
var migrationCommands = []Command{
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

// migrationButtons are the buttons of this file's cards (see Button).
var migrationButtons = []Button{
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
	out := escalationPost(e, x, fmt.Sprintf("Escalation **#%d** (%s) raised by %s: %s", x.ID, x.Severity, displayName(t.me()), x.Text))
	return save(e, t.withPosts(e, answer{}, out)), nil
}

// escalationPost is head, then a line to the single point of contact of
// escalation x, @mentioned, or saying nobody holds that role yet.
func escalationPost(e *playbook.Engagement, x playbook.Escalation, head string) Outgoing {
	out := textReply(head + "\n\n")
	if m, ok := e.Member(x.Contact); ok && x.Contact != "" {
		at := "<at>" + displayName(m) + "</at>"
		out.Text += fmt.Sprintf("%s, you are the single point of contact (%s): please acknowledge it; **escalations** lists them with the buttons.", at, x.ContactRole)
		out.Entities = []map[string]any{mentionEntity(m, at)}
	} else {
		out.Text += fmt.Sprintf("Nobody holds the %s role yet, so nobody was told: the lead gives it with **role @person %s**.", x.ContactRole, x.ContactRole)
	}
	return out
}

// addressed returns posts as they can go to this conversation: in a
// personal chat, the people are named in bold instead of @mentioned (Teams
// mentions only members of the conversation).
func (t *turn) addressed(posts ...Outgoing) []Outgoing {
	if !t.personal() {
		return posts
	}
	out := make([]Outgoing, len(posts))
	for i, p := range posts {
		p.Entities = nil
		p.Text = strings.NewReplacer("<at>", "**", "</at>", "**").Replace(p.Text)
		out[i] = p
	}
	return out
}

// withPosts returns ans with posts to go out besides the answer: here,
// addressed as this conversation allows; and, when here is the personal
// chat, also to the engagement's channel or group chat with their
// @mentions, through its stored reference (as announce does), since the
// people they are for are there. Without a reference they stay here only.
func (t *turn) withPosts(e *playbook.Engagement, ans answer, posts ...Outgoing) answer {
	ans.posts = append(ans.posts, t.addressed(posts...)...)
	if !t.personal() {
		return ans
	}
	return t.toChannel(e, ans, posts...)
}

// toChannel adds to ans the jobs posting posts to e's channel or group
// chat, through its stored reference, read once. Without one (no Refs, an
// engagement never seen in its conversation, a failed read) nothing is
// posted there: a post is never worth refusing the change it tells of.
func (t *turn) toChannel(e *playbook.Engagement, ans answer, posts ...Outgoing) answer {
	if t.c.Refs == nil || e.Conversation == "" {
		return ans
	}
	ref, err := t.c.Refs.Ref(t.ctx, e.Conversation)
	if err != nil {
		return ans
	}
	for _, p := range posts {
		j, err := proactiveSend(ref, "", p)
		if err != nil {
			return ans
		}
		ans.jobs = append(ans.jobs, j)
	}
	return ans
}

// mentionEntity is a Teams mention entity of m; at is the "<at>Name</at>" that
// the message text holds.
func mentionEntity(m playbook.Member, at string) map[string]any {
	return map[string]any{"type": "mention", "text": at, "mentioned": map[string]any{"id": m.ID, "name": displayName(m)}}
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
	b, err := decodeButton(raw, cards.EscalationKey, "escalation", "escalations")
	if err != nil {
		return answer{}, err
	}
	id := b.id
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
		what = fmt.Sprintf("%s resolved escalation #%d: %s", displayName(t.me()), id, strings.TrimSpace(s))
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
		at := "<at>" + displayName(m) + "</at>"
		out.Text = at + ": " + what
		out.Entities = []map[string]any{mentionEntity(m, at)}
	}
	return out
}
