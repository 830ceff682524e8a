package cards

import (
	"strconv"

	"github.com/mvmbot/mvmbot/playbook"
)

// The events card's member list (issue 18): the MVM or the MST pastes an
// event's batch, CSV or tab-separated as copied from Excel; a list with a
// bad row comes back as typed, with every bad row under it, and nothing is
// imported.

// VerbEventMembers sets data.event's members from the pasted list.
const VerbEventMembers = "eventMembers"

// MembersInput and MembersKindInput are the ids of event n's pasted list
// and its kind (users or paths).
func MembersInput(n int) string     { return "members-" + strconv.Itoa(n) }
func MembersKindInput(n int) string { return "membersKind-" + strconv.Itoa(n) }

// MembersForm is a pasted member list that was refused: as typed, with
// what is wrong (every bad row, one a line).
type MembersForm struct {
	Event int
	Raw   string
	Kind  playbook.BatchKind
	Error string
}

// maxMemberForms bounds the events offering the member-list form on one
// card (the next ones to take a list): each form weighs about 1 KB, and a
// card stays under Teams' 28 KB.
const maxMemberForms = 3

// takesMembers reports whether ev may take a member list now.
func takesMembers(ev playbook.Event) bool {
	return len(ev.Preflight) == 0 && (ev.State == playbook.EventPlanned || ev.State == playbook.EventPreflight)
}

// membersAction is event ev's member-list form: inline with the refused
// list when f is for it, else behind a button; nil when the viewer may not
// set members, the event takes none now, or offered is maxMemberForms.
func membersAction(e *playbook.Engagement, ev playbook.Event, may func(playbook.Action) bool, f *MembersForm, offered int) (inline []Element, button Element) {
	refused := f != nil && f.Event == ev.N
	if !may(playbook.ActionEventMembers) || !takesMembers(ev) || (offered >= maxMemberForms && !refused) {
		return nil, nil
	}
	kind := ev.MemberKind
	raw, msg := "", ""
	if refused {
		raw, msg, kind = f.Raw, f.Error, f.Kind
	}
	if kind == "" {
		kind = playbook.BatchUsers
		if ev.Source != "" && !ev.Source.Mail() {
			kind = playbook.BatchPaths
		}
	}
	n := ev.N
	body := Body(
		One(Subtle("CSV or tab-separated (copied from Excel): a header (user or path, and target), then a unit a row.")),
		ChoiceInput(MembersKindInput(n), InputOpts{Label: "Units", Value: string(kind), Required: true},
			[]Choice{{"Users (mailboxes, OneDrive)", string(playbook.BatchUsers)}, {"Paths (folders, shares)", string(playbook.BatchPaths)}}, false),
		TextInput(MembersInput(n), InputOpts{Label: "Members", Placeholder: "user,target", Value: raw, Required: true, Error: msg}, true, playbook.MaxBatchCSVBytes),
	)
	title := "Set members"
	if len(ev.Members) > 0 {
		title = "Replace members"
	}
	submit := eventButton(title, VerbEventMembers, e, n)
	if msg != "" {
		return append(body, Actions(submit)), nil
	}
	return nil, showCard(title, body, submit)
}
