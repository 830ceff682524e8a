package playbook

import (
	"slices"
	"strings"
	"testing"
)

// TestCanTable checks every action of the table against every role, in the
// engagements where the MVM applies (IMAP; a Government customer's Box
// migration) and where it does not or nobody holds it (a commercial Box
// migration; IMAP before its MVM joins: the MST holds the MVM's tasks).
// The cast: Fay (FRP, the lead), Fred (an FRP who does not lead), Carol
// (Customer), Max (MST), Vera (MVM, where the role applies).
func TestCanTable(t *testing.T) {
	const (
		lead = "FRP"
		fred = "Fred"
		cust = "Customer"
		mst  = "MST"
		mvm  = "MVM"
		mgr  = "manager" // MVM where it applies and is held, else MST
	)
	all := []string{lead, fred, cust, mst, mvm}
	tests := []struct {
		a    Action
		task string
		who  []string // with mgr standing for the manager
		// where the MVM does not apply or nobody holds it, when it differs
		// from who with the MVM removed and mgr read as MST
		noMVM []string
	}{
		{a: ActionSetUp, who: []string{lead, fred, mst, mvm}},
		{a: ActionUpdate, who: []string{lead, mvm}},
		{a: ActionAssignRole, who: []string{lead, mvm}},
		{a: ActionRemoveRole, who: []string{lead, mvm}},
		{a: ActionSetLead, who: []string{lead, mvm}},
		{a: ActionMarkDone, task: "assessment", who: []string{lead, fred}},
		{a: ActionMarkDone, task: "questionnaire", who: []string{cust, mst}},
		{a: ActionMarkDone, task: "questionnaire-validation", who: []string{mgr}},
		{a: ActionReopen, task: "assessment", who: []string{lead, fred}},
		{a: ActionReopen, task: "questionnaire", who: []string{cust, mst}},
		{a: ActionReopen, task: "environment-build", who: []string{mgr}},
		{a: ActionMarkNotApplicable, task: "assessment", who: []string{lead, fred, mst, mvm}},
		{a: ActionMarkNotApplicable, task: "temporary-licenses", who: []string{lead, mst, mvm}},
		{a: ActionClose, who: []string{mvm}, noMVM: []string{lead}},
		{a: ActionOverride, who: []string{mgr}},
		{a: ActionValidateQuestionnaire, who: []string{mgr}},
		{a: ActionRequestChanges, who: []string{mgr}},
		{a: ActionWorkshop, who: []string{lead, fred, mst, mvm}},
		{a: ActionSite, who: []string{lead, mst, mvm}},
		{a: ActionAcceptPlan, who: []string{mgr}},
		{a: ActionEventMembers, who: []string{mgr, mst}},
		{a: ActionPreflightStart, who: []string{mgr, mst}},
		{a: ActionEventStatus, who: []string{mgr, mst}},
		{a: ActionEventRemediate, who: []string{mgr, mst}},
		{a: ActionPreflightResults, who: []string{mgr, mst}},
		{a: ActionPreflightWaive, who: []string{mgr}},
		{a: ActionEventReady, who: []string{mgr, mst}},
		{a: ActionEventStart, who: []string{mgr, mst}},
		{a: ActionEventComplete, who: []string{mgr, mst}},
		{a: ActionEventCancel, who: []string{mgr}},
		{a: ActionNote, who: []string{mgr, mst, lead, fred}},
		{a: ActionEscalate, who: all},
		{a: ActionEscalationAck, who: []string{mgr}},
		{a: ActionEscalationSolve, who: []string{mgr}},
		{a: ActionIssueOpen, who: all},
		{a: ActionIssueResolve, who: []string{mgr, mst, cust}},
		{a: ActionIssueHandOver, who: []string{mgr, mst}},
		{a: ActionIssueAssign, who: []string{mgr, mst}},
		{a: ActionCloseCheck, who: []string{mgr}},
		{a: ActionCloseWaive, who: []string{mgr}},
		{a: ActionSurvey, who: []string{cust, mgr}},
		{a: ActionFeedKey, who: []string{mgr}},
		{a: ActionReportSchedule, who: []string{mgr, mst}},
	}
	// Every action of the table has a row.
	for a := range rules {
		if !slices.ContainsFunc(tests, func(tt struct {
			a     Action
			task  string
			who   []string
			noMVM []string
		}) bool {
			return tt.a == a
		}) {
			t.Errorf("action %q has no row", a)
		}
	}

	ids := map[string]string{lead: idFRP, fred: "29:fred-frp", cust: idCustomer, mst: idMST, mvm: idMVM}
	engagements := []struct {
		name      string
		applies   bool // the MVM applies and is held
		e         *Engagement
		roleNames []string // who is in it
	}{
		{"IMAP", true, mustEngagement(t, false, IMAP), all},
		{"Government Box", true, governmentBox(t), all},
		{"Commercial Box", false, mustEngagement(t, false, Box), []string{lead, fred, cust, mst}},
		{"IMAP before its MVM", false, withoutMVM(t, mustEngagement(t, false, IMAP)), []string{lead, fred, cust, mst}},
	}
	for _, eng := range engagements {
		e := eng.e
		if _, ok := e.Member(ids[fred]); !ok {
			mustOK(t, AssignRole(e, idFRP, Member{ID: ids[fred], Name: "Fred"}, FRP, t0))
		}
		for _, tt := range tests {
			want := map[string]bool{}
			list := tt.who
			if !eng.applies && tt.noMVM != nil {
				list = tt.noMVM
			}
			for _, w := range list {
				switch {
				case w == mgr && eng.applies:
					want[mvm] = true
				case w == mgr:
					want[mst] = true
				case w == mvm && !eng.applies:
				default:
					want[w] = true
				}
			}
			var task *Task
			if tt.task != "" {
				x, _ := TaskByKey(tt.task)
				task = &x
			}
			for _, r := range eng.roleNames {
				err := Can(e, ids[r], tt.a, task)
				if got := err == nil; got != want[r] {
					t.Errorf("%s: Can(%s, %s %s) = %v, want allowed %t", eng.name, r, tt.a, tt.task, err, want[r])
				}
				if err != nil && (ErrorCode(err) != EFORBIDDEN || !strings.Contains(ErrorMessage(err), "Only")) {
					t.Errorf("%s: Can(%s, %s) refusal %v does not say who may", eng.name, r, tt.a, err)
				}
			}
		}
	}
	if err := Can(engagements[0].e, idFRP, "launch", nil); ErrorCode(err) != EINVALID {
		t.Errorf("unknown action: %v", err)
	}
}

// governmentBox is a Box engagement for a Government customer, with Vera
// as its MVM.
func governmentBox(tb testing.TB) *Engagement {
	tb.Helper()
	e := mustEngagement(tb, false, Box)
	g := SegmentGovernment
	mustOK(tb, Update(e, idFRP, EngagementUpdate{Segment: &g}, t0))
	mustOK(tb, AssignRole(e, idFRP, Member{ID: idMVM, Name: "Vera"}, MVM, t0))
	return e
}

func withoutMVM(tb testing.TB, e *Engagement) *Engagement {
	tb.Helper()
	mustOK(tb, RemoveRole(e, idFRP, idMVM, MVM, t0))
	return e
}

// TestMVMRule: one rule says where the MVM role exists, and every question
// about the MVM (ownership, review, escalation contact, closing) follows it.
func TestMVMRule(t *testing.T) {
	tests := []struct {
		sources []Source
		segment Segment
		applies bool
	}{
		{[]Source{IMAP}, SegmentUnknown, true},
		{[]Source{IMAP}, SegmentCommercial, true},
		{[]Source{Box}, SegmentUnknown, false}, // engagements from before segments: today's rule
		{[]Source{Box}, SegmentCommercial, false},
		{[]Source{Box}, SegmentGovernment, true},
		{[]Source{GoogleDrive, FileShare}, SegmentEducation, true},
		{[]Source{Dropbox}, SegmentNonprofit, true},
		{[]Source{Box, IMAP}, SegmentCommercial, true},
	}
	for _, tt := range tests {
		e := &Engagement{Sources: tt.sources, Segment: tt.segment}
		if got := MVMApplies(e); got != tt.applies {
			t.Errorf("MVMApplies(%v, %q) = %t, want %t", tt.sources, tt.segment, got, tt.applies)
		}
	}

	// A Government Box migration can have an MVM; it owns the MVM's tasks,
	// reviews the questionnaire and takes escalations.
	e := governmentBox(t)
	t1672, _ := TaskByKey("questionnaire-validation")
	if OwnerOf(e, t1672) != MVM || Manager(e) != MVM {
		t.Errorf("owner of 1672 = %s, manager %s; want MVM", OwnerOf(e, t1672), Manager(e))
	}
	if m, r, ok := SinglePointOfContact(e); !ok || r != MVM || m.ID != idMVM {
		t.Errorf("contact = %+v %s %t", m, r, ok)
	}
	// Back to commercial: refused while someone holds MVM.
	c := SegmentCommercial
	wantErr(t, Update(e, idFRP, EngagementUpdate{Segment: &c}, t0), EINVALID, "Vera holds the MVM role")

	// IMAP without an MVM: the MST holds the MVM's tasks, reviews and takes
	// escalations, all alike, until an MVM joins.
	e = withoutMVM(t, mustEngagement(t, false, IMAP))
	if OwnerOf(e, t1672) != MST {
		t.Errorf("owner of 1672 without an MVM = %s", OwnerOf(e, t1672))
	}
	mustOK(t, Can(e, idMST, ActionValidateQuestionnaire, nil))
	if _, r, _ := SinglePointOfContact(e); r != MST {
		t.Errorf("contact role = %s", r)
	}

	// Segments parse as people type them, and the setup records one.
	for in, want := range map[string]Segment{"gov": SegmentGovernment, "Non-profit": SegmentNonprofit, "EDU": SegmentEducation, "": SegmentUnknown, "commercial": SegmentCommercial} {
		if got, err := ParseSegment(in); err != nil || got != want {
			t.Errorf("ParseSegment(%q) = %q, %v", in, got, err)
		}
	}
	_, err := ParseSegment("military")
	wantErr(t, err, EINVALID, `"military" is not a customer segment. Segments: Commercial, Government, Education, Nonprofit.`)
	p := validParams()
	p.Segment = "education"
	p.Sources = []Source{Box}
	e, err = NewEngagement(p, Member{ID: idMVM, Name: "Vera", Roles: []Role{MVM}}, t0)
	if err != nil || e.Segment != SegmentEducation || !strings.Contains(e.History[0].Detail, "segment Education") {
		t.Fatalf("set up by an MVM for an Education customer: %+v, %v", e, err)
	}
}

// TestRemoveLastHolder: removing the last holder of a role with open tasks
// is the lead's decision, and UnownedTasks says what it left.
func TestRemoveLastHolder(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	before := e.Clone()
	wantErr(t, RemoveRole(e, idMVM, idMST, MST, t0), EFORBIDDEN, "Max is the last MST", "Only the lead (Fay)")
	refusalUnchanged(t, before, e)
	mustOK(t, RemoveRole(e, idFRP, idMST, MST, t0))
	if got := refs(UnownedTasks(e, MST)); !strings.HasPrefix(got, "1635, 4027") {
		t.Errorf("unowned = %s", got)
	}
	// The last MVM goes: the MVM's tasks fall to the MST, so the MVM may
	// leave when someone holds MST.
	e = mustEngagement(t, false, IMAP)
	mustOK(t, RemoveRole(e, idMVM, idMVM, MVM, t0))
	if got := UnownedTasks(e, MVM); len(got) != 0 {
		t.Errorf("unowned MVM tasks = %s", refs(got))
	}
}
