package bot

import (
	"encoding/json"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// setupCommands are the commands of this file (see Command).
var setupCommands = []Command{
	{Name: "setup", Aliases: []string{"set-up"}, Usage: "setup", Scopes: sharedScope,
		Description: "Set up this conversation's migration engagement, or see and edit it",
		Help: "Opens a form: customer, tenant domain, sources, on-premises Exchange, the customer's segment (Commercial, Government, Education, Nonprofit: an MVM is engaged for IMAP and outside Commercial), target dates and your own role (FRP, MST or MVM; the customer is invited later). " +
			"You become the lead. In a conversation that has an engagement, shows it with an Edit button for the lead and the MVM.",
		Rank: 50,
		Run:  func(t *turn, _ string) (answer, error) { return t.setup(cards.ActionData{}) }},
}

// setupButtons are the buttons of this file's cards (see Button).
var setupButtons = []Button{
	{Verbs: []string{cards.VerbSetup},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.setup(d) }},
	{Verbs: []string{cards.VerbSetupSave},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.setupSave(d, raw)
		}},
}

// errSetupPersonal refuses setup in the personal chat: an engagement lives
// where its people talk.
var errSetupPersonal = playbook.Errorf(playbook.EINVALID,
	"An engagement is set up in the team channel or group chat where it runs: add me there and type **setup**. Here, **next** lists your tasks in every engagement you belong to.")

// setup answers "setup" and the buttons that open the form: the empty form
// where no engagement is bound; else the engagement with an Edit button,
// or, when d names it (the Edit button), the edit form.
func (t *turn) setup(d cards.ActionData) (answer, error) {
	if t.personal() && d.Engagement == "" {
		return answer{}, errSetupPersonal
	}
	if err := t.needStore(); err != nil {
		return answer{}, err
	}
	if d.Engagement != "" {
		e, err := t.target(d)
		if err != nil {
			return answer{}, err
		}
		if err := playbook.Can(e, t.a.From.ID, playbook.ActionUpdate, nil); err != nil {
			return answer{}, err
		}
		return answer{card: cards.Setup(cards.SetupFormOf(e), cards.SetupParams{Target: cards.ActionData{Engagement: e.ID, Version: e.Version}})}, nil
	}
	e, err := t.c.Engagements.EngagementByConversation(t.ctx, t.a.ConversationKey())
	switch {
	case playbook.ErrorCode(err) == playbook.ENOTFOUND:
	case err != nil:
		return answer{}, err
	case !e.IsClosed():
		canEdit := playbook.Can(e, t.a.From.ID, playbook.ActionUpdate, nil) == nil
		return answer{card: cards.Existing(e, "This conversation already has an engagement; there is one per channel or group chat.", canEdit)}, nil
	}
	return answer{card: cards.Setup(cards.SetupForm{}, cards.SetupParams{})}, nil
}

// setupSave takes the submitted set-up or edit form. A form that cannot be
// read, or that a playbook rule refuses, comes back as typed with the
// reason; nothing is saved.
func (t *turn) setupSave(d cards.ActionData, raw json.RawMessage) (answer, error) {
	if t.personal() && d.Engagement == "" {
		return answer{}, errSetupPersonal
	}
	if err := t.needStore(); err != nil {
		return answer{}, err
	}
	if d.Engagement != "" {
		return t.edit(d, raw)
	}
	f, err := cards.DecodeSetup(raw, true)
	if err != nil {
		return answer{}, err
	}
	key := t.a.ConversationKey()
	bound, err := t.c.Engagements.EngagementByConversation(t.ctx, key)
	switch {
	case playbook.ErrorCode(err) == playbook.ENOTFOUND:
	case err != nil:
		return answer{}, err
	case !bound.IsClosed():
		// Set up meanwhile (two forms submitted): show it, change nothing.
		canEdit := playbook.Can(bound, t.a.From.ID, playbook.ActionUpdate, nil) == nil
		return answer{card: cards.Existing(bound, "This conversation already has an engagement, so nothing new was set up.", canEdit)}, nil
	}
	form := func(problem string) answer {
		f.Problem = problem
		return answer{card: cards.Setup(f, cards.SetupParams{})}
	}
	if !f.OK() {
		return form("Some fields could not be read; nothing was saved. Fix them below."), nil
	}
	creator := t.rosterEntry(t.me())
	creator.Roles = []playbook.Role{f.Role}
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: t.c.newID(), Customer: f.Customer, TenantDomain: f.TenantDomain, Sources: f.Sources,
		OnPremExchange: f.OnPremExchange, Segment: f.Segment, TargetStart: f.TargetStart, TargetEnd: f.TargetEnd, Conversation: key,
	}, creator, t.now)
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		return form(playbook.ErrorMessage(err)), nil
	}
	e.Version = 1
	notice := "The " + markdown.Escape(e.Customer) + " engagement is set up, and you are its lead. Give the others their roles with **role @person ROLE**; then everyone types **next**."
	return save(e, answer{card: cards.Existing(e, notice, true)}), nil
}

// edit takes the submitted edit form of engagement d.
func (t *turn) edit(d cards.ActionData, raw json.RawMessage) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	f, err := cards.DecodeSetup(raw, false)
	if err != nil {
		return answer{}, err
	}
	current := cards.ActionData{Engagement: e.ID, Version: e.Version}
	form := func(notice string) answer {
		return answer{card: cards.Setup(f, cards.SetupParams{Target: current, Notice: notice})}
	}
	if d.Version != e.Version {
		return form("The engagement changed since this form was opened, so nothing was saved. Check your values against the current ones and save again."), nil
	}
	if !f.OK() {
		return form("Some fields could not be read; nothing was saved. Fix them below."), nil
	}
	sources := append([]playbook.Source{}, f.Sources...) // empty, not nil: "no sources" is refused, not ignored
	start, end := f.TargetStart, f.TargetEnd
	before := len(e.History)
	err = playbook.Update(e, t.a.From.ID, playbook.EngagementUpdate{
		Customer: &f.Customer, TenantDomain: &f.TenantDomain, Sources: sources,
		OnPremExchange: &f.OnPremExchange, Segment: &f.Segment, TargetStart: &start, TargetEnd: &end,
	}, t.now)
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		f.Problem = playbook.ErrorMessage(err)
		return form(""), nil
	}
	if len(e.History) == before {
		return answer{card: cards.Existing(e, "Nothing changed.", true)}, nil
	}
	bump(e)
	return save(e, answer{card: cards.Existing(e, "Saved: "+e.History[len(e.History)-1].Detail+".", true)}), nil
}

// personError reports whether err is a refusal a person should read on the
// form (their input, their role, the state), not a failure of ours.
func personError(err error) bool {
	switch playbook.ErrorCode(err) {
	case playbook.EINVALID, playbook.EFORBIDDEN, playbook.ECONFLICT, playbook.ENOTFOUND:
		return true
	}
	return false
}

// rosterEntry completes the person setting an engagement up from the Teams
// roster (their mail or UPN, their Entra object id), as role does for the
// people it is given: without an address the lead would be neither invited
// to the workshops nor @mentioned in their invitations. They are in the
// conversation (they wrote in it), so a roster that cannot be read or does
// not list them leaves them as the activity gave them.
func (t *turn) rosterEntry(p playbook.Member) playbook.Member {
	if t.personal() {
		return p
	}
	if full, _, err := t.resolve(p, "set up the engagement"); err == nil {
		return full
	}
	return p
}
