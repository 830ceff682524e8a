package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// roleCommands are the commands of this file (see Command).
var roleCommands = []Command{
	{Name: "roles", Usage: "roles", Scopes: allScopes,
		Description: "Who holds which role in the engagement",
		Help:        "Lists the members, their roles and the lead, and the roles nobody holds yet.",
		Rank:        60,
		Run:         func(t *turn, _ string) (answer, error) { return t.view(cards.VerbRoles, cards.ActionData{}) }},
	{Name: "role", Usage: "role @person FRP", Scopes: sharedScope,
		Description: "Give a person a role (FRP, Customer, MST, MVM), or take it away with -FRP",
		Help: "Mention the person: **role @Grace MST** gives the role, **role @Grace -MST** takes it away. The lead or the MVM may do it. " +
			"MVM exists only in IMAP engagements and for customers outside the commercial segment. The lead is an FRP, MST or MVM, never the customer; removing the last holder of a role with open tasks is the lead's decision.",
		Rank: 70,
		Run:  (*turn).role},
	{Name: "lead", Usage: "lead @person", Scopes: sharedScope,
		Description: "Hand the engagement's lead to another member",
		Help: "Mention the person: **lead @Grace**. The lead or the MVM may do it, and it is recorded in the history. " +
			"The new lead must already hold a role here (give one with **role @Grace MST** first); the old lead keeps their roles.",
		Rank: 120,
		Run:  (*turn).lead},
}

// roleButtons are the buttons of this file's cards (see Button).
var roleButtons = []Button{
	{Verbs: []string{cards.VerbRoles},
		Run: func(t *turn, verb string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.view(verb, d)
		}},
	{Verbs: []string{cards.VerbLead},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.leadButton(d, raw)
		}},
}

// mentionedPerson is a person @mentioned in a message (a Teams mention entity).
type mentionedPerson struct {
	ID, Name, Text string
}

// mentions returns the people mentioned in the activity, the bot excluded,
// in entity order.
func mentions(a *Activity) []mentionedPerson {
	var out []mentionedPerson
	for _, e := range a.Mentions() {
		id, name, text := e.Mentioned.ID, e.Mentioned.Name, e.Text
		if id == "" || id == a.Recipient.ID {
			continue
		}
		out = append(out, mentionedPerson{ID: id, Name: name, Text: text})
	}
	return out
}

var errRoleUsage = playbook.Errorf(playbook.EINVALID,
	"Mention one person and name one role: **role @Grace MST** gives the role, **role @Grace -MST** takes it away. Roles: FRP, Customer, MST, MVM.")

// role runs "role @person ROLE" and "role @person -ROLE".
func (t *turn) role(args string) (answer, error) {
	if t.personal() {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Roles are given in the engagement's channel or group chat, where the person can be @mentioned.")
	}
	people, words := t.mentioned(args)
	if len(people) != 1 || len(words) != 1 {
		return answer{}, errRoleUsage
	}
	word := words[0]
	remove := strings.HasPrefix(word, "-")
	r, err := playbook.ParseRole(strings.TrimLeft(word, "+-"))
	if err != nil {
		return answer{}, err
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	p := playbook.Member{ID: people[0].ID, Name: people[0].Name}
	if remove {
		if err := playbook.RemoveRole(e, t.a.From.ID, p.ID, r, t.now); err != nil {
			return answer{}, err
		}
		bump(e)
		notice := displayName(p) + " no longer holds " + string(r) + "."
		if left := playbook.UnownedTasks(e, r); len(left) > 0 {
			refs := make([]string, len(left))
			for i, task := range left {
				refs[i] = task.Ref()
			}
			notice += " Nobody holds " + string(r) + " now, so these open tasks have no owner until someone does: " + strings.Join(refs, ", ") + "."
		}
		return save(e, answer{card: cards.Roles(e, notice, t.a.From.ID)}), nil
	}
	// Ask the playbook first, so that a refused person costs no roster read.
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionAssignRole, nil); err != nil {
		return answer{}, err
	}
	p, note, err := t.resolve(p, "give them a role")
	if err != nil {
		return answer{}, err
	}
	if err := playbook.AssignRole(e, t.a.From.ID, p, r, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	notice := displayName(p) + " now holds " + string(r) + "."
	if note != "" {
		notice += " " + note
	}
	return save(e, answer{card: cards.Roles(e, notice, t.a.From.ID)}), nil
}

// mentioned returns the people @mentioned in args (the bot excluded), in
// entity order, and the words left once their mention texts are taken out.
func (t *turn) mentioned(args string) ([]mentionedPerson, []string) {
	var people []mentionedPerson
	rest := args
	for _, m := range mentions(t.a) {
		if m.Text != "" && strings.Contains(rest, m.Text) {
			people = append(people, m)
			rest = strings.Replace(rest, m.Text, " ", 1)
		}
	}
	return people, strings.Fields(rest)
}

var errLeadUsage = playbook.Errorf(playbook.EINVALID,
	"Mention the one person who takes over the lead: **lead @Grace**. They must already hold a role in the engagement.")

// lead runs "lead @person": hands the engagement's lead to a member. The
// person must already belong to the engagement (hold a role): a lead with
// no role would be a member the playbook gives no task, and giving a role
// stays an explicit "role @person ROLE". Who may is playbook.Can's
// (ActionSetLead); SetLead records it in the history.
func (t *turn) lead(args string) (answer, error) {
	if t.personal() {
		return answer{}, playbook.Errorf(playbook.EINVALID, "The lead is handed over in the engagement's channel or group chat, where the person can be @mentioned.")
	}
	people, words := t.mentioned(args)
	if len(people) != 1 || len(words) != 0 {
		return answer{}, errLeadUsage
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	return t.handOver(e, playbook.Member{ID: people[0].ID, Name: people[0].Name})
}

// leadButton runs the roles card's Make lead: the member chosen in
// cards.LeadInput takes over. A card older than the engagement changes
// nothing and answers with the current roles.
func (t *turn) leadButton(d cards.ActionData, raw json.RawMessage) (answer, error) {
	if d.Version == 0 {
		return answer{}, playbook.Errorf(playbook.EINVALID, "This button does not say which version of the engagement it was made for, so nothing was changed. Type **roles** for a current card.")
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if d.Version != e.Version {
		return answer{card: cards.Roles(e, "This card was out of date (the engagement changed since it was made), so nothing was changed. Here are the roles now.", t.a.From.ID)}, nil
	}
	id, err := cards.DecodeLead(raw)
	if err != nil {
		return answer{}, err
	}
	if id == "" {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Choose who takes over the lead; nothing was changed.")
	}
	return t.handOver(e, playbook.Member{ID: id})
}

// handOver hands e's lead to p, typed or clicked. The person must already
// be a member of e, and, in a channel or group chat, still in it.
func (t *turn) handOver(e *playbook.Engagement, p playbook.Member) (answer, error) {
	// Ask the playbook first, so that a refused person costs no roster read.
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionSetLead, nil); err != nil {
		return answer{}, err
	}
	m, ok := e.Member(p.ID)
	if !ok {
		return answer{}, playbook.Errorf(playbook.EINVALID,
			"%s is not a member of the %s engagement, so they cannot lead it. Give them a role first (**role @%s FRP**, say), then hand over the lead.",
			displayName(p), markdown.Escape(e.Customer), displayName(p))
	}
	if m.Name != "" {
		p.Name = m.Name
	}
	// A member who has left the chat or team cannot lead it. When the
	// roster cannot be read, the engagement's own record is enough. (The
	// personal chat's roster is the person alone: nothing to check there.)
	if !t.personal() {
		if _, _, err := t.resolve(p, "hand them the lead"); err != nil {
			return answer{}, err
		}
	}
	if err := playbook.SetLead(e, t.a.From.ID, p.ID, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	ans := answer{card: cards.Roles(e, displayName(p)+" now leads the engagement.", t.a.From.ID)}
	return save(e, t.announce(e, ans, fmt.Sprintf("%s handed the lead of the %s engagement to %s.", t.actorName(e), markdown.Escape(e.Customer), displayName(p)))), nil
}

// resolve completes a mentioned person from the Teams roster: the name
// Teams has for them and their Entra object id. A person not in the
// conversation is refused (what says what could not be done for them);
// when the roster cannot be read, the mention is used as it came and note
// says so.
func (t *turn) resolve(p playbook.Member, what string) (playbook.Member, string, error) {
	if t.c.Roster == nil {
		return p, "", nil
	}
	ctx, cancel := context.WithTimeout(t.ctx, rosterTimeout)
	defer cancel()
	ms, err := t.c.Roster.Members(ctx, t.a.ServiceURL, t.a.ConversationKey())
	if err != nil {
		var cerr *botframework.ConnectorError
		if errors.As(err, &cerr) && (cerr.Status == http.StatusForbidden || cerr.Status == http.StatusUnauthorized) {
			return p, "(Teams did not allow me to read this conversation's member list, so I took the mention as it came and could not record their Entra object id.)", nil
		}
		return p, "(I could not read this conversation's member list from Teams just now, so I took the mention as it came.)", nil
	}
	for _, m := range ms {
		if m.ID == p.ID {
			if m.Name != "" {
				p.Name = m.Name
			}
			if m.AADObjectID != "" {
				p.AADObjectID = m.AADObjectID
			}
			p.Email = m.Email
			if p.Email == "" {
				p.Email = m.UserPrincipalName
			}
			return p, "", nil
		}
	}
	return p, "", playbook.Errorf(playbook.EINVALID, "%s is not a member of this conversation, so I cannot %s here. Add them to the chat or team first.", displayName(p), what)
}

func displayName(m playbook.Member) string { return markdown.Escape(plainName(m)) }

// plainName is m's name as typed, for where Markdown is not rendered (a
// mention entity's mentioned.name); displayName is the same name escaped
// for the Markdown of messages and cards, where every name the bot shows
// goes.
func plainName(m playbook.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}
