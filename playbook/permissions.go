package playbook

import (
	"fmt"
	"slices"
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

// who is a set of people a rule allows, as bits.
type who uint16

const (
	whoLead     who = 1 << iota // the lead
	whoMVM                      // a holder of MVM, where the role applies (MVMApplies)
	whoManager                  // a holder of Manager(e): the MVM, the MST without one
	whoMST                      // the migration team
	whoFRP                      // the partner
	whoCustomer                 // the customer
	whoAnyone                   // any member
	whoOwner                    // the task's owner (OwnerOf)
	whoHelper                   // the task's helper roles, on the owner's behalf
	whoCloser                   // the MVM where the role applies and is held, else the lead
	whoStarter                  // the FRP, the MST or the MVM (anyone on the partner or Microsoft side)
)

// rule is one row of the action → who table.
type rule struct {
	who  who
	verb string // what the action does, for a refusal: "Only … can <verb>"
}

// rules is the one table of who may do what. Can reads it for every action;
// every transition of this package asks Can before it changes anything, and
// cards ask it to decide which buttons to show. TestCanTable checks every
// action against every role.
var rules = map[Action]rule{
	ActionSetUp:             {whoStarter, "set up an engagement; the customer is invited to it"},
	ActionUpdate:            {whoLead | whoMVM, "change the engagement's details"},
	ActionAssignRole:        {whoLead | whoMVM, "assign roles"},
	ActionRemoveRole:        {whoLead | whoMVM, "remove roles"},
	ActionSetLead:           {whoLead | whoMVM, "hand over the lead"},
	ActionMarkDone:          {whoOwner | whoHelper, "mark it done"},
	ActionReopen:            {whoOwner | whoHelper, "reopen it"},
	ActionMarkNotApplicable: {whoOwner | whoMST | whoLead | whoMVM, "mark it not applicable"},
	ActionClose:             {whoCloser, "close this engagement"},
	ActionOverride:          {whoManager, "override the playbook's order, with a reason"},

	ActionValidateQuestionnaire: {whoManager, "validate the questionnaire or ask for changes (1672)"},
	ActionRequestChanges:        {whoManager, "validate the questionnaire or ask for changes (1672)"},
	ActionWorkshop:              {whoLead | whoMST | whoMVM | whoFRP, "schedule workshops or mark them held"},
	ActionSite:                  {whoLead | whoMST | whoMVM, "set up the collaboration site"},

	ActionAcceptPlan:       {whoManager, "accept the migration plan"},
	ActionEventMembers:     {whoManager | whoMST, "set an event's members"},
	ActionPreflightStart:   {whoManager | whoMST, "start pre-flight"},
	ActionEventStatus:      {whoManager | whoMST, "record migration status"},
	ActionEventRemediate:   {whoManager | whoMST, "put failed units into a remediation event"},
	ActionPreflightResults: {whoManager | whoMST, "record pre-flight results"},
	ActionPreflightWaive:   {whoManager, "waive pre-flight"},
	ActionEventReady:       {whoManager | whoMST, "mark an event ready"},
	ActionEventStart:       {whoManager | whoMST, "start an event"},
	ActionEventComplete:    {whoManager | whoMST, "complete an event"},
	ActionEventCancel:      {whoManager, "cancel an event"},
	ActionNote:             {whoManager | whoMST | whoFRP, "write status notes"},
	ActionEscalate:         {whoAnyone, "escalate"},
	ActionEscalationAck:    {whoManager, "acknowledge an escalation"},
	ActionEscalationSolve:  {whoManager, "resolve an escalation"},
	ActionIssueOpen:        {whoAnyone, "report an issue"},
	ActionIssueResolve:     {whoManager | whoMST | whoCustomer, "resolve an issue"},
	ActionIssueHandOver:    {whoManager | whoMST, "hand an issue over"},
	ActionIssueAssign:      {whoManager | whoMST, "assign an issue"},
	ActionCloseCheck:       {whoManager, "check or waive close-out items"},
	ActionCloseWaive:       {whoManager, "check or waive close-out items"},
	ActionSurvey:           {whoCustomer | whoManager, "record the satisfaction survey"},
	ActionFeedKey:          {whoManager, "manage the reporting feed key"},
	ActionReportSchedule:   {whoManager | whoMST, "set when the weekly report is posted"},
}

// ActionOverride is the history action of an override: a step the playbook's
// order or evidence would refuse, taken anyway with a reason by whom the
// table allows (StartEventAnyway, MarkHeldElsewhere). Stored: never rename.
const ActionOverride Action = "override"

// Can reports whether the member with Teams id actorID may take action a on
// e; t names the task for ActionMarkDone, ActionReopen and
// ActionMarkNotApplicable and is ignored otherwise. It returns nil when
// allowed and EFORBIDDEN with a sentence the person can act on when not;
// EINVALID for an action the table does not know. For ActionSetUp, e is the
// engagement being set up, with its creator as its only member. The rules
// are the table above (rules); docs/playbook.md says them in words.
//
// Can says only who: whether the engagement's state allows the action (the
// task's needs, its evidence) is the transition's to check.
func Can(e *Engagement, actorID string, a Action, t *Task) error {
	_, err := authorize(e, actorID, a, t)
	return err
}

// Allowed reports whether Can allows a: for cards deciding which buttons to
// show.
func Allowed(e *Engagement, actorID string, a Action, t *Task) bool {
	return Can(e, actorID, a, t) == nil
}

// WhoMay returns copies of the members who may take action a, one that
// names no task, in member order: for cards telling a reader who can act.
func WhoMay(e *Engagement, a Action) []Member {
	var ms []Member
	for _, m := range e.Members {
		if Can(e, m.ID, a, nil) == nil {
			ms = append(ms, m.clone())
		}
	}
	return ms
}

// authorize is Can, also returning the owner role the actor acts for when
// they do the owner's task as its helper.
func authorize(e *Engagement, actorID string, a Action, t *Task) (onBehalfOf Role, err error) {
	r, ok := rules[a]
	if !ok {
		return "", Errorf(EINVALID, "Unknown action %q.", a)
	}
	i := e.memberIndex(actorID)
	if i < 0 {
		msg := fmt.Sprintf("You are not a member of the %s engagement.", e.Customer)
		if l, ok := e.Lead(); ok {
			msg += fmt.Sprintf(" Ask the lead, %s, to add you.", l.display())
		}
		return "", Errorf(EFORBIDDEN, "%s", msg)
	}
	m := e.Members[i]
	var owner Role
	if r.who&(whoOwner|whoHelper) != 0 {
		if t == nil {
			return "", Errorf(EINVALID, "Say which task.")
		}
		owner = OwnerOf(e, *t)
	}
	if r.who&whoOwner != 0 && m.Has(owner) {
		return "", nil
	}
	if allows(e, m, r.who&^(whoOwner|whoHelper)) {
		return "", nil
	}
	if r.who&whoHelper != 0 {
		for _, h := range t.Helpers {
			if m.Has(h) && h != owner {
				return owner, nil
			}
		}
	}
	return "", refuse(e, m, a, r, t, owner)
}

// allows reports whether m is one of w (the task bits aside).
func allows(e *Engagement, m Member, w who) bool {
	mvm := m.Has(MVM) && MVMApplies(e)
	switch {
	case w&whoAnyone != 0,
		w&whoLead != 0 && m.Lead,
		w&whoMVM != 0 && mvm,
		w&whoManager != 0 && m.Has(Manager(e)),
		w&whoMST != 0 && m.Has(MST),
		w&whoFRP != 0 && m.Has(FRP),
		w&whoCustomer != 0 && m.Has(Customer),
		w&whoStarter != 0 && (m.Has(FRP) || m.Has(MST) || m.Has(MVM)):
		return true
	case w&whoCloser != 0:
		if MVMApplies(e) && e.held(MVM) {
			return m.Has(MVM)
		}
		return m.Lead
	}
	return false
}

// refuse says who may take a, in words, and the person's roles.
func refuse(e *Engagement, m Member, a Action, r rule, t *Task, owner Role) error {
	yours := "Your roles: " + joinRoles(m.Roles) + "."
	switch a {
	case ActionMarkDone, ActionReopen:
		var helpers []string
		for _, h := range t.Helpers {
			if h != owner {
				helpers = append(helpers, "the "+string(h))
			}
		}
		if len(helpers) == 0 {
			return Errorf(EFORBIDDEN, "Only the %s can %s. %s", owner, doTask(a, *t), yours)
		}
		return Errorf(EFORBIDDEN, "Only the %s, or %s on their behalf, can %s. %s", owner, orList(helpers), doTask(a, *t), yours)
	case ActionMarkNotApplicable:
		return Errorf(EFORBIDDEN, "Only %s can mark %s not applicable. %s", orList(names(e, r.who, owner)), t.Ref(), yours)
	case ActionClose:
		if MVMApplies(e) && e.held(MVM) {
			return Errorf(EFORBIDDEN, "Only the MVM can close this engagement. %s", yours)
		}
		return Errorf(EFORBIDDEN, "Only %s can close this engagement. %s", e.leadName(), yours)
	case ActionSetUp:
		return Errorf(EFORBIDDEN, "Only the FRP, the MST or the MVM can %s. %s", r.verb, yours)
	}
	msg := fmt.Sprintf("Only %s can %s in this engagement. %s", orList(names(e, r.who, owner)), r.verb, yours)
	if mgr := Manager(e); r.who&whoManager != 0 && !e.held(mgr) {
		msg += fmt.Sprintf(" Nobody holds %s yet: the lead gives it with **role @person %s**.", mgr, mgr)
	}
	return Errorf(EFORBIDDEN, "%s", msg)
}

// names lists the people of w as a refusal names them, without repeats.
func names(e *Engagement, w who, owner Role) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if w&whoOwner != 0 {
		add("the " + string(owner))
	}
	if w&whoManager != 0 {
		add("the " + string(Manager(e)))
	}
	if w&whoMST != 0 {
		add("the MST")
	}
	if w&whoFRP != 0 {
		add("the FRP")
	}
	if w&whoCustomer != 0 {
		add("the customer")
	}
	if w&whoLead != 0 {
		add(e.leadName())
	}
	if w&whoMVM != 0 && MVMApplies(e) {
		add("the MVM")
	}
	return out
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

func doTask(a Action, t Task) string {
	if a == ActionReopen {
		return "reopen " + t.Ref()
	}
	return "mark " + t.Ref() + " done"
}
