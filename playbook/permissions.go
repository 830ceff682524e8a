package playbook

import (
	"fmt"
	"strings"
)

// Action is something a person asks the bot to do to an engagement. Actions
// also name the entries of the audit history.
type Action string

// Actions, as recorded in AuditEntry.Action. Stored values: never rename one.
const (
	ActionSetUp             Action = "setup"
	ActionUpdate            Action = "update"
	ActionAssignRole        Action = "assign_role"
	ActionRemoveRole        Action = "remove_role"
	ActionSetLead           Action = "set_lead"
	ActionMarkDone          Action = "done"
	ActionReopen            Action = "reopen"
	ActionMarkNotApplicable Action = "not_applicable"
	ActionClose             Action = "close"
)

// Can reports whether the member with Teams id actorID may take action a on
// e; t names the task for ActionMarkDone, ActionReopen and
// ActionMarkNotApplicable and is ignored otherwise. It returns nil when
// allowed and EFORBIDDEN with a sentence the person can act on when not.
// For ActionSetUp, e is the engagement being set up, with its creator as
// its only member. Can is the only place these rules live; every transition
// of this package asks it before changing anything, and other packages ask
// it to decide which buttons to show.
//
// The rules:
//   - set up: the FRP, the MST or the MVM (the customer is invited);
//   - update the details, assign and remove roles, hand over the lead: the
//     lead or the MVM;
//   - mark a task done or reopen it: its owner (OwnerOf), or a helper role,
//     the lead or the MVM on the owner's behalf;
//   - mark a task not applicable, or reopen a task so marked (Reopen asks
//     with ActionMarkNotApplicable): its owner, the MST, the lead or the
//     MVM;
//   - close: the MVM in an IMAP engagement (the lead while no one holds
//     MVM), the lead otherwise.
func Can(e *Engagement, actorID string, a Action, t *Task) error {
	_, err := authorize(e, actorID, a, t)
	return err
}

// authorize is Can, also returning the owner role the actor acts for when
// they do the owner's task without holding the owner's role.
func authorize(e *Engagement, actorID string, a Action, t *Task) (onBehalfOf Role, err error) {
	i := e.memberIndex(actorID)
	if i < 0 {
		msg := fmt.Sprintf("You are not a member of the %s engagement.", e.Customer)
		if l, ok := e.Lead(); ok {
			msg += fmt.Sprintf(" Ask the lead, %s, to add you.", l.display())
		}
		return "", Errorf(EFORBIDDEN, "%s", msg)
	}
	m := e.Members[i]
	mvm := m.Has(MVM) && e.hasIMAP()
	// Only a refusal says it; cards ask Can for every button they offer.
	yours := func() string { return "Your roles: " + joinRoles(m.Roles) + "." }

	switch a {
	case ActionSetUp:
		if m.Has(FRP) || m.Has(MST) || m.Has(MVM) {
			return "", nil
		}
		return "", Errorf(EFORBIDDEN, "Only the FRP, the MST or the MVM can set up an engagement; the customer is invited to it. %s", yours())

	case ActionUpdate, ActionAssignRole, ActionRemoveRole, ActionSetLead:
		if m.Lead || mvm {
			return "", nil
		}
		return "", Errorf(EFORBIDDEN, "Only %s can %s. %s", e.leadOrMVM(), verbs[a], yours())

	case ActionMarkDone, ActionReopen, ActionMarkNotApplicable:
		if t == nil {
			return "", Errorf(EINVALID, "Say which task.")
		}
		owner := OwnerOf(e, *t)
		if m.Has(owner) {
			return "", nil
		}
		if a == ActionMarkNotApplicable {
			if m.Lead || mvm || m.Has(MST) {
				return "", nil
			}
			who := []string{"the " + string(owner)}
			if owner != MST {
				who = append(who, "the MST")
			}
			return "", Errorf(EFORBIDDEN, "Only %s can mark %s not applicable. %s",
				orList(append(who, e.actingFor()...)), t.Ref(), yours())
		}
		for _, h := range t.Helpers {
			if m.Has(h) {
				return owner, nil
			}
		}
		if m.Lead || mvm {
			return owner, nil
		}
		var others []string
		for _, h := range t.Helpers {
			others = append(others, "the "+string(h))
		}
		others = append(others, e.actingFor()...)
		return "", Errorf(EFORBIDDEN, "Only the %s, or %s on their behalf, can %s. %s",
			owner, orList(others), doTask(a, *t), yours())

	case ActionClose:
		if e.hasIMAP() && len(e.Holders(MVM)) > 0 {
			if mvm {
				return "", nil
			}
			return "", Errorf(EFORBIDDEN, "Only the MVM can close an IMAP engagement. %s", yours())
		}
		if m.Lead {
			return "", nil
		}
		return "", Errorf(EFORBIDDEN, "Only %s can close this engagement. %s", e.leadName(), yours())
	}
	return "", Errorf(EINVALID, "Unknown action %q.", a)
}

// leadOrMVM names who may act for others, as a person reads it: "the lead
// (Ann) or the MVM" in an IMAP engagement, "the lead (Ann)" elsewhere.
func (e *Engagement) leadOrMVM() string {
	return orList(e.actingFor())
}

func (e *Engagement) actingFor() []string {
	if e.hasIMAP() {
		return []string{e.leadName(), "the MVM"}
	}
	return []string{e.leadName()}
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func (e *Engagement) leadName() string {
	if l, ok := e.Lead(); ok {
		return "the lead (" + l.display() + ")"
	}
	return "the lead"
}

// verbs say what the non-task actions do, for refusals.
var verbs = map[Action]string{
	ActionUpdate:     "change the engagement's details",
	ActionAssignRole: "assign roles",
	ActionRemoveRole: "remove roles",
	ActionSetLead:    "hand over the lead",
}

func doTask(a Action, t Task) string {
	if a == ActionReopen {
		return "reopen " + t.Ref()
	}
	return "mark " + t.Ref() + " done"
}
