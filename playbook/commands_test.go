package playbook

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func validParams() NewEngagementParams {
	return NewEngagementParams{
		ID: "eng-1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []Source{Box}, TargetStart: t0, TargetEnd: t0.AddDate(0, 0, 90),
	}
}

var fay = Member{ID: idFRP, Name: "Fay", Roles: []Role{FRP}}

func TestNewEngagement(t *testing.T) {
	p := validParams()
	p.Customer = "  Contoso   Ltd "
	p.TenantDomain = " Contoso.COM. "
	p.Sources = []Source{FileShare, IMAP, Box, IMAP}
	p.Conversation = "19:channel@thread.tacv2"
	creator := Member{ID: " 29:fay ", Name: " Fay ", Roles: []Role{MVM, FRP, FRP}}
	e, err := NewEngagement(p, creator, t0.In(time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	want := &Engagement{
		ID: "eng-1", Customer: "Contoso Ltd", TenantDomain: "contoso.com",
		Sources: []Source{IMAP, Box, FileShare}, TargetStart: t0, TargetEnd: t0.AddDate(0, 0, 90),
		Conversation: "19:channel@thread.tacv2",
		Members:      []Member{{ID: "29:fay", Name: "Fay", Roles: []Role{FRP, MVM}, Lead: true}},
		Created:      t0, CreatedBy: "29:fay",
		History: []AuditEntry{{At: t0, Actor: "29:fay", Action: ActionSetUp,
			Detail: "Contoso Ltd (contoso.com); sources IMAP, Box, FileShare; target 3 Mar 2025 to 1 Jun 2025"}},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("NewEngagement =\n%+v\nwant\n%+v", e, want)
	}
	if e.Version != 0 {
		t.Errorf("Version = %d; the store, not NewEngagement, counts saves", e.Version)
	}

	// No dates is fine: nothing is ever overdue.
	p = validParams()
	p.TargetStart, p.TargetEnd = time.Time{}, time.Time{}
	p.OnPremExchange = true
	e, err = NewEngagement(p, fay, t0)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.History[0].Detail; d != "Contoso (contoso.onmicrosoft.com); sources Box; on-premises Exchange" {
		t.Errorf("setup detail = %q", d)
	}
}

func TestNewEngagementErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*NewEngagementParams, *Member)
		code    string
		message string
	}{
		{"no customer", func(p *NewEngagementParams, _ *Member) { p.Customer = "  " }, EINVALID, "customer's name"},
		{"long customer", func(p *NewEngagementParams, _ *Member) { p.Customer = strings.Repeat("é", 201) }, EINVALID, "longer than 200"},
		{"no domain", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "" }, EINVALID, "tenant domain"},
		{"one label", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "contoso" }, EINVALID, `"contoso" is not a domain`},
		{"ip address", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "10.0.0.1" }, EINVALID, "not a domain"},
		{"empty label", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "contoso..com" }, EINVALID, "not a domain"},
		{"hyphen edge", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "-contoso.com" }, EINVALID, "not a domain"},
		{"bad char", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "con_toso.com" }, EINVALID, "not a domain"},
		{"url", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = "https://contoso.com" }, EINVALID, "not a domain"},
		{"long label", func(p *NewEngagementParams, _ *Member) { p.TenantDomain = strings.Repeat("a", 64) + ".com" }, EINVALID, "not a domain"},
		{"no sources", func(p *NewEngagementParams, _ *Member) { p.Sources = nil }, EINVALID, "at least one migration source"},
		{"unknown source", func(p *NewEngagementParams, _ *Member) { p.Sources = []Source{"OneDrive"} }, EINVALID, `"OneDrive" is not a migration source`},
		{"start only", func(p *NewEngagementParams, _ *Member) { p.TargetEnd = time.Time{} }, EINVALID, "both target dates"},
		{"end only", func(p *NewEngagementParams, _ *Member) { p.TargetStart = time.Time{} }, EINVALID, "both target dates"},
		{"end before start", func(p *NewEngagementParams, _ *Member) { p.TargetEnd = p.TargetStart.AddDate(0, 0, -1) }, EINVALID, "must come after the target start"},
		{"end equals start", func(p *NewEngagementParams, _ *Member) { p.TargetEnd = p.TargetStart }, EINVALID, "must come after"},
		{"creator without id", func(_ *NewEngagementParams, m *Member) { m.ID = " " }, EINVALID, "no Teams user id"},
		{"creator without role", func(_ *NewEngagementParams, m *Member) { m.Roles = nil }, EINVALID, "Say which role"},
		{"creator unknown role", func(_ *NewEngagementParams, m *Member) { m.Roles = []Role{"frp"} }, EINVALID, `"frp" is not a role`},
		{"MVM outside IMAP", func(_ *NewEngagementParams, m *Member) { m.Roles = []Role{MVM} }, EINVALID, "MVM role exists only in IMAP engagements"},
		{"customer sets up", func(_ *NewEngagementParams, m *Member) { m.Roles = []Role{Customer} }, EFORBIDDEN,
			"Only the FRP, the MST or the MVM can set up an engagement; the customer is invited to it. Your roles: Customer."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, m := validParams(), fay
			tt.edit(&p, &m)
			e, err := NewEngagement(p, m, t0)
			if e != nil {
				t.Errorf("got an engagement with an error")
			}
			wantErr(t, err, tt.code, tt.message)
		})
	}
}

// refusal is one row of TestRefusals: a state built by setup, an operation,
// and the error it must return.
type refusal struct {
	name    string
	sources []Source
	hybrid  bool
	setup   func(t *testing.T, e *Engagement)
	op      func(e *Engagement) error
	code    string
	message []string
}

func done(actor, ref string) func(*Engagement) error {
	return func(e *Engagement) error { _, err := MarkDone(e, actor, ref, t0); return err }
}

func reopen(actor, ref string) func(*Engagement) error {
	return func(e *Engagement) error { _, err := Reopen(e, actor, ref, t0); return err }
}

func notApplicable(actor, ref, reason string) func(*Engagement) error {
	return func(e *Engagement) error { _, err := MarkNotApplicable(e, actor, ref, reason, t0); return err }
}

func closed(t *testing.T, e *Engagement) {
	mustOK(t, Close(e, idFRP, "customer cancelled", t0.AddDate(0, 0, 1)))
}

// TestRefusals lists every way a transition says no, with the code and the
// words a person reads, and checks that a refused transition leaves the
// engagement exactly as it was.
func TestRefusals(t *testing.T) {
	tests := []refusal{
		// closed engagement: every transition
		{name: "done when closed", setup: closed, op: done(idFRP, "1699"), code: ECONFLICT,
			message: []string{"The Contoso engagement was closed on 4 Mar 2025 by Fay; it no longer changes."}},
		{name: "reopen when closed", setup: closed, op: reopen(idFRP, "1699"), code: ECONFLICT, message: []string{"closed"}},
		{name: "n/a when closed", setup: closed, op: notApplicable(idFRP, "3614", "x"), code: ECONFLICT, message: []string{"closed"}},
		{name: "assign when closed", setup: closed, op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{ID: "29:x"}, MST, t0) }, code: ECONFLICT},
		{name: "remove when closed", setup: closed, op: func(e *Engagement) error { return RemoveRole(e, idFRP, idMST, MST, t0) }, code: ECONFLICT},
		{name: "set lead when closed", setup: closed, op: func(e *Engagement) error { return SetLead(e, idFRP, idMST, t0) }, code: ECONFLICT},
		{name: "update when closed", setup: closed, op: func(e *Engagement) error { return Update(e, idFRP, EngagementUpdate{}, t0) }, code: ECONFLICT},
		{name: "close twice", setup: closed, op: func(e *Engagement) error { return Close(e, idFRP, "again", t0) }, code: ECONFLICT},

		// which task
		{name: "unknown id", op: done(idFRP, "9999"), code: ENOTFOUND, message: []string{`There is no playbook task "9999".`}},
		{name: "unknown key", op: done(idFRP, "coffee"), code: ENOTFOUND},
		{name: "empty ref", op: done(idFRP, " "), code: EINVALID, message: []string{"Say which task"}},
		{name: "other source's workshop", op: done(idMST, "1635"), code: EINVALID,
			message: []string{"1635 (IMAP migration workshop: onboarding timeline and scope) applies only to IMAP migrations; this engagement migrates Box."}},
		{name: "inventory of a source without one", sources: []Source{Dropbox}, op: done(idMST, "inventory-box"), code: EINVALID,
			message: []string{"applies only to Box migrations; this engagement migrates Dropbox"}},
		{name: "both 3169 tasks elsewhere", sources: []Source{IMAP}, op: done(idMST, "3169"), code: EINVALID,
			message: []string{"workshop-box", "inventory-box", "applies only to Box migrations; this engagement migrates IMAP"}},
		{name: "3169 is ambiguous in Box", op: done(idMST, "3169"), code: EINVALID,
			message: []string{"3169 names 2 tasks in this engagement: workshop-box (Box migration workshop", "inventory-box (Box inventory tool", "Name one by its key."}},
		{name: "hybrid without Exchange", op: done(idFRP, "3158"), code: EINVALID,
			message: []string{"applies only when the customer has on-premises Exchange, and this engagement has none"}},
		{name: "dns without mail", sources: []Source{GoogleDrive}, op: done(idFRP, "1370"), code: EINVALID,
			message: []string{"applies only when mail is migrated (IMAP or on-premises Exchange); this engagement migrates GoogleDrive"}},

		// who
		{name: "stranger", op: done(idStranger, "1699"), code: EFORBIDDEN,
			message: []string{"You are not a member of the Contoso engagement. Ask the lead, Fay, to add you."}},
		{name: "customer does the FRP's task", op: done(idCustomer, "1699"), code: EFORBIDDEN,
			message: []string{"Only the FRP can mark 1699 done. Your roles: Customer."}},
		{name: "customer does the MST's task (IMAP)", sources: []Source{IMAP}, op: done(idCustomer, "1635"), code: EFORBIDDEN,
			message: []string{"Only the MST can mark 1635 done. Your roles: Customer."}},
		{name: "FRP does the questionnaire", op: done(idMST, "1699"), code: EFORBIDDEN, message: []string{"Your roles: MST."}},
		{name: "MVM task without IMAP falls to MST", op: func(e *Engagement) error {
			_, err := MarkDone(e, idCustomer, "2323", t0)
			return err
		}, code: EFORBIDDEN, message: []string{"Only the MST can mark 2323 done."}},
		{name: "helper wording", op: done(idFRP, "1034"), code: EFORBIDDEN, message: []string{"Only the Customer, or the MST on their behalf, can mark 1034 done. Your roles: FRP."}},
		{name: "the lead does not act for the customer", op: done(idFRP, "1034"), code: EFORBIDDEN, message: []string{"Only the Customer, or the MST on their behalf"}},
		{name: "the lead does not act for the MVM", sources: []Source{IMAP}, op: done(idFRP, "1672"), code: EFORBIDDEN, message: []string{"Only the MVM can mark 1672 done."}},
		{name: "lead to a customer", op: func(e *Engagement) error { return SetLead(e, idFRP, idCustomer, t0) }, code: EINVALID,
			message: []string{"never the customer, so Carol cannot lead"}},
		{name: "customer role to the lead", op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{ID: idFRP}, Customer, t0) }, code: EINVALID,
			message: []string{"never the customer"}},
		{name: "last MST with open tasks, by the MVM", sources: []Source{IMAP}, op: func(e *Engagement) error { return RemoveRole(e, idMVM, idMST, MST, t0) }, code: EFORBIDDEN,
			message: []string{"Max is the last MST, whose open tasks (1635, 4027, 3614, 3312, 4008, 2979, 3615, 3282) would be left without an owner. Only the lead (Fay) can remove"}},
		{name: "questionnaire not submitted", sources: []Source{IMAP}, setup: func(t *testing.T, e *Engagement) { mustNeedsDone(t, e, "questionnaire") },
			op: done(idCustomer, "1034"), code: EINVALID, message: []string{"1034 completes when the customer submits the migration questionnaire: type **questionnaire**"}},
		{name: "validation without a questionnaire", sources: []Source{IMAP}, setup: func(t *testing.T, e *Engagement) { mustNeedsDone(t, e, "questionnaire-validation") },
			op: done(idMVM, "1672"), code: EINVALID, message: []string{"1672 completes when the MVM validates the submitted questionnaire"}},
		{name: "workshop still scheduled", sources: []Source{IMAP}, setup: func(t *testing.T, e *Engagement) {
			mustDone(t, e, "assessment")
			e.Workshops = append(e.Workshops, Workshop{Key: "workshop-imap", Tasks: []string{"workshop-imap"}, Status: WorkshopScheduled, Start: t0.AddDate(0, 0, 1)})
		}, op: done(idMST, "1635"), code: EINVALID, message: []string{"1635 completes when its workshop, scheduled for 4 Mar 2025 09:00 UTC, is marked held"}},
		{name: "1871 with events planned", setup: func(t *testing.T, e *Engagement) {
			mustNeedsDone(t, e, "migration-events")
			e.Events = append(e.Events, Event{N: 1, Kind: KindPilot, Date: t0, Units: 1, State: EventPlanned})
		}, op: done(idMST, "1871"), code: EINVALID, message: []string{"1871 completes when every migration event is completed or cancelled"}},
		{name: "2323 by done", setup: func(t *testing.T, e *Engagement) { mustNeedsDone(t, e, "decommission") },
			op: done(idMST, "2323"), code: EINVALID, message: []string{"2323 completes when the engagement is closed: type **close**"}},
		{name: "customer marks hybrid n/a", hybrid: true, sources: []Source{IMAP}, op: notApplicable(idCustomer, "exchange-hybrid", "no"), code: EFORBIDDEN,
			message: []string{"Only the FRP, the MST, the lead (Fay) or the MVM can mark 3160 not applicable. Your roles: Customer."}},
		{name: "customer reopens", setup: func(t *testing.T, e *Engagement) { mustDone(t, e, "assessment") },
			op: reopen(idCustomer, "1699"), code: EFORBIDDEN, message: []string{"can reopen 1699"}},
		{name: "customer marks n/a", op: notApplicable(idCustomer, "3614", "no need"), code: EFORBIDDEN,
			message: []string{"Only the MST or the lead (Fay) can mark 3614 not applicable. Your roles: Customer."}},
		{name: "customer assigns", op: func(e *Engagement) error { return AssignRole(e, idCustomer, Member{ID: "29:x"}, MST, t0) }, code: EFORBIDDEN,
			message: []string{"Only the lead (Fay) can assign roles in this engagement. Your roles: Customer."}},
		{name: "MST removes", sources: []Source{IMAP}, op: func(e *Engagement) error { return RemoveRole(e, idMST, idCustomer, Customer, t0) }, code: EFORBIDDEN,
			message: []string{"Only the lead (Fay) or the MVM can remove roles in this engagement. Your roles: MST."}},
		{name: "customer hands over lead", op: func(e *Engagement) error { return SetLead(e, idCustomer, idCustomer, t0) }, code: EFORBIDDEN,
			message: []string{"hand over the lead"}},
		{name: "customer updates", op: func(e *Engagement) error { return Update(e, idCustomer, EngagementUpdate{}, t0) }, code: EFORBIDDEN,
			message: []string{"change the engagement's details"}},
		{name: "lead closes IMAP", sources: []Source{IMAP}, op: func(e *Engagement) error { return Close(e, idFRP, "x", t0) }, code: EFORBIDDEN,
			message: []string{"Only the MVM can close this engagement. Your roles: FRP."}},
		{name: "MST closes Box", op: func(e *Engagement) error { return Close(e, idMST, "x", t0) }, code: EFORBIDDEN,
			message: []string{"Only the lead (Fay) can close this engagement. Your roles: MST."}},

		// task state
		{name: "already done", setup: func(t *testing.T, e *Engagement) { mustDone(t, e, "assessment") },
			op: done(idFRP, "1699"), code: ECONFLICT, message: []string{"1699 is already done (by Fay on 3 Mar 2025)."}},
		{name: "done after n/a", setup: func(t *testing.T, e *Engagement) {
			_, err := MarkNotApplicable(e, idMST, "3614", "vendor handles credentials", t0)
			mustOK(t, err)
		}, op: done(idMST, "3614"), code: ECONFLICT,
			message: []string{"3614 is already marked not applicable (by Max on 3 Mar 2025: vendor handles credentials). Reopen it first."}},
		{name: "blocked", setup: func(t *testing.T, e *Engagement) { mustDone(t, e, "assessment") }, op: done(idMVM, "1672"), sources: []Source{IMAP}, code: EINVALID,
			message: []string{"1672 waits for 1034 Complete the migration questionnaire (Customer: Carol); migration-decision Decide: self-migrate or use the FastTrack Data Migration benefit (Customer: Carol); 4027 Migration Hub workshop (may be held together with the migration workshop) (MST: Max); 1635 IMAP migration workshop: onboarding timeline and scope (MST: Max). Those come first."}},
		{name: "blocked, role unheld", setup: func(t *testing.T, e *Engagement) { mustOK(t, RemoveRole(e, idFRP, idMST, MST, t0)) },
			op: done(idFRP, "core-onboarding"), code: EINVALID, message: []string{"(FRP: Fay)"}},
		{name: "blocked by nobody yet", setup: func(t *testing.T, e *Engagement) {
			mustDone(t, e, "assessment")
			mustOK(t, RemoveRole(e, idFRP, idMST, MST, t0))
		}, op: done(idCustomer, "1034"), code: EINVALID, message: []string{"(MST: nobody yet)"}},
		{name: "reopen open", op: reopen(idFRP, "1699"), code: ECONFLICT, message: []string{"1699 is already open."}},
		{name: "reopen under settled dependents", setup: func(t *testing.T, e *Engagement) { mustDone(t, e, "assessment", "workshop-box", "hub-workshop") },
			op: reopen(idFRP, "1699"), code: EINVALID, message: []string{"1699 cannot be reopened while workshop-box, 4027, which need it, are settled. Reopen those first."}},
		{name: "n/a a mandatory task", op: notApplicable(idFRP, "1699", "done elsewhere"), code: EINVALID,
			message: []string{"1699 is part of every engagement and cannot be marked not applicable. Only optional and conditional tasks can: 3614, 3217."}},
		{name: "n/a lists conditional tasks", sources: []Source{IMAP}, hybrid: true, op: notApplicable(idFRP, "1141", "x"), code: EINVALID,
			message: []string{"Only optional and conditional tasks can: 3614, 3160, 3217, 1370."}},
		{name: "n/a without reason", op: notApplicable(idMST, "3614", " "), code: EINVALID, message: []string{"Say why 3614 does not apply"}},
		{name: "n/a a done task", setup: func(t *testing.T, e *Engagement) { mustDoneThrough(t, e, "credential-review") },
			op: notApplicable(idMST, "3614", "x"), code: ECONFLICT, message: []string{"3614 is already done"}},
		{name: "n/a twice", setup: func(t *testing.T, e *Engagement) {
			_, err := MarkNotApplicable(e, idMST, "3614", "x", t0)
			mustOK(t, err)
		}, op: notApplicable(idMST, "3614", "y"), code: ECONFLICT, message: []string{"already marked not applicable"}},
		{name: "n/a of another source", op: notApplicable(idMST, "1635", "x"), code: EINVALID, message: []string{"applies only to IMAP"}},

		// roles
		{name: "assign unknown role", op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{ID: "29:x"}, "Boss", t0) }, code: EINVALID,
			message: []string{`"Boss" is not a role. Roles: FRP, Customer, MST, MVM.`}},
		{name: "assign to nobody", op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{Name: "X"}, MST, t0) }, code: EINVALID,
			message: []string{"Say who gets the MST role"}},
		{name: "assign MVM outside IMAP", sources: []Source{Box, Dropbox}, op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{ID: "29:v"}, MVM, t0) }, code: EINVALID,
			message: []string{"The MVM role exists only in IMAP engagements and for customers outside the commercial segment; this engagement migrates Box, Dropbox"}},
		{name: "assign twice", op: func(e *Engagement) error { return AssignRole(e, idFRP, Member{ID: idMST}, MST, t0) }, code: ECONFLICT,
			message: []string{"Max already holds the MST role."}},
		{name: "remove unknown role", op: func(e *Engagement) error { return RemoveRole(e, idFRP, idMST, "", t0) }, code: EINVALID},
		{name: "remove from stranger", op: func(e *Engagement) error { return RemoveRole(e, idFRP, idStranger, MST, t0) }, code: ENOTFOUND,
			message: []string{"29:sam-stranger is not a member of this engagement."}},
		{name: "remove unheld role", op: func(e *Engagement) error { return RemoveRole(e, idFRP, idMST, FRP, t0) }, code: ENOTFOUND,
			message: []string{"Max does not hold the FRP role. Their roles: MST."}},
		{name: "lead to stranger", op: func(e *Engagement) error { return SetLead(e, idFRP, idStranger, t0) }, code: ENOTFOUND},
		{name: "lead to the lead", op: func(e *Engagement) error { return SetLead(e, idFRP, idFRP, t0) }, code: ECONFLICT,
			message: []string{"Fay already leads this engagement."}},

		// details
		{name: "update bad domain", op: func(e *Engagement) error {
			d := "nope"
			return Update(e, idFRP, EngagementUpdate{TenantDomain: &d}, t0)
		}, code: EINVALID, message: []string{"not a domain"}},
		{name: "update drops IMAP under an MVM", sources: []Source{IMAP}, op: func(e *Engagement) error {
			return Update(e, idFRP, EngagementUpdate{Sources: []Source{Box}}, t0)
		}, code: EINVALID, message: []string{"Vera holds the MVM role, which exists only in IMAP engagements and for customers outside the commercial segment. Remove that role first."}},

		// closing
		{name: "close with open tasks", op: func(e *Engagement) error { return Close(e, idFRP, "", t0) }, code: EINVALID,
			message: []string{"22 tasks are still open: 1699, workshop-box, 4027,", "Give a reason to close anyway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := tt.sources
			if ss == nil {
				ss = []Source{Box}
			}
			e := mustEngagement(t, tt.hybrid, ss...)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := mustJSON(t, e)
			err := tt.op(e)
			wantErr(t, err, tt.code, tt.message...)
			if after := mustJSON(t, e); after != before {
				t.Errorf("a refused transition changed the engagement:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestMarkDone(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	at := t0.Add(time.Hour)
	tests := []struct {
		actor, ref string
		wantKey    string
		onBehalfOf Role
		detail     string
	}{
		{idFRP, "#1699", "assessment", "", ""}, // owner, "#" ignored
		{idMST, "1635", "workshop-imap", "", "by evidence: workshop"},
		{idMST, "HUB-WORKSHOP", "hub-workshop", "", "by evidence: workshop"}, // key in capitals
		{idMST, "1034", "questionnaire", Customer, "on behalf of the Customer, by evidence: questionnaire"},
		{idFRP, "core-onboarding", "core-onboarding", "", ""},
	}
	for _, tt := range tests {
		task, _ := TaskByKey(tt.wantKey)
		giveEvidence(e, task)
		got, err := MarkDone(e, tt.actor, tt.ref, at)
		if err != nil {
			t.Fatalf("MarkDone(%s, %s): %v", tt.actor, tt.ref, err)
		}
		if got.Key != tt.wantKey {
			t.Errorf("MarkDone(%s) resolved to %s, want %s", tt.ref, got.Key, tt.wantKey)
		}
		want := TaskState{Status: StatusDone, By: tt.actor, OnBehalfOf: tt.onBehalfOf, At: at}
		if st := e.State(tt.wantKey); st != want {
			t.Errorf("State(%s) = %+v, want %+v", tt.wantKey, st, want)
		}
		last := e.History[len(e.History)-1]
		wantEntry := AuditEntry{At: at, Actor: tt.actor, Action: ActionMarkDone, Task: tt.wantKey, Detail: tt.detail}
		if last != wantEntry {
			t.Errorf("audit = %+v, want %+v", last, wantEntry)
		}
	}
}

func TestReopenAndNotApplicable(t *testing.T) {
	e := mustEngagement(t, true, Box)
	n := len(e.History)
	if _, err := MarkNotApplicable(e, idFRP, "3159", " cutover migration instead of hybrid ", t0); err != nil {
		t.Fatal(err)
	}
	want := TaskState{Status: StatusNotApplicable, By: idFRP, At: t0, Reason: "cutover migration instead of hybrid"}
	if st := e.State("exchange-hybrid"); st != want {
		t.Errorf("State = %+v, want %+v", st, want)
	}
	// A need marked not applicable no longer holds anything up.
	mustDone(t, e, "assessment", "core-onboarding", "identity-sync")
	if got := NextStepsForRoles(e, FRP); len(got.Ready) != 0 {
		t.Errorf("FRP ready = %v, want nothing", stepKeys(got.Ready))
	}
	// Reopening a not-applicable task makes it count again.
	task, err := Reopen(e, idMST, "3160", t0)
	if err != nil {
		t.Fatal(err)
	}
	if task.Key != "exchange-hybrid" || e.State("exchange-hybrid").Status != StatusOpen {
		t.Errorf("Reopen: %s, %+v", task.Key, e.State("exchange-hybrid"))
	}
	if _, err := Reopen(e, idCustomer, "1141", t0); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("customer reopening 1141: %v", err)
	}
	if _, err := Reopen(e, idFRP, "1141", t0); err != nil {
		t.Errorf("FRP reopening 1141 (no settled dependent): %v", err)
	}
	var got []string
	for _, a := range e.History[n:] {
		got = append(got, string(a.Action)+" "+a.Task+" "+a.Detail)
	}
	wantHistory := []string{
		"not_applicable exchange-hybrid cutover migration instead of hybrid",
		"done assessment ", "done core-onboarding ", "done identity-sync ",
		"reopen exchange-hybrid was not applicable",
		"reopen identity-sync was done",
	}
	if !slices.Equal(got, wantHistory) {
		t.Errorf("history =\n%q\nwant\n%q", got, wantHistory)
	}
	// Reopened on someone's behalf: recorded.
	if _, err := Reopen(e, idFRP, "core-onboarding", t0); err != nil {
		t.Fatal(err)
	}
	mustDone(t, e, "core-onboarding")
	mustOK(t, SetLead(e, idFRP, idMST, t0))
	// The lead does not act for the owner: only the playbook's helpers do.
	_, err = Reopen(e, idMST, "core-onboarding", t0)
	wantErr(t, err, EFORBIDDEN, "Only the FRP can reopen core-onboarding.")
}

func TestRoles(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	// The MVM may assign, and a known member's record is updated.
	mustOK(t, AssignRole(e, idMVM, Member{ID: idCustomer, Name: "Carol C.", AADObjectID: "aad-carol"}, MST, t0))
	m, _ := e.Member(idCustomer)
	if want := (Member{ID: idCustomer, Name: "Carol C.", AADObjectID: "aad-carol", Roles: []Role{Customer, MST}}); !reflect.DeepEqual(m, want) {
		t.Errorf("member = %+v, want %+v", m, want)
	}
	if got := e.Holders(MST); len(got) != 2 || got[0].ID != idCustomer || got[1].ID != idMST {
		t.Errorf("Holders(MST) = %+v", got)
	}
	// Losing one's last role means leaving, except for the lead.
	mustOK(t, RemoveRole(e, idFRP, idMST, MST, t0))
	if _, ok := e.Member(idMST); ok {
		t.Error("Max is still a member without a role")
	}
	mustOK(t, RemoveRole(e, idFRP, idFRP, FRP, t0))
	if l, ok := e.Lead(); !ok || l.ID != idFRP || len(l.Roles) != 0 {
		t.Errorf("lead = %+v, %t", l, ok)
	}
	// The lead is never a customer, even one who also holds MST.
	wantErr(t, SetLead(e, idMVM, idCustomer, t0), EINVALID, "never the customer")
	mustOK(t, SetLead(e, idMVM, idMVM, t0))
	if l, _ := e.Lead(); l.ID != idMVM {
		t.Errorf("lead = %s, want Vera", l.ID)
	}
	for _, m := range e.Members {
		if m.Lead != (m.ID == idMVM) {
			t.Errorf("%s: Lead = %t", m.ID, m.Lead)
		}
	}
	var got []string
	for _, a := range e.History {
		if a.Action != ActionMarkDone {
			got = append(got, string(a.Action)+": "+a.Detail)
		}
	}
	want := []string{
		"setup: Contoso (contoso.onmicrosoft.com); sources IMAP; target 3 Mar 2025 to 11 Jun 2025",
		"assign_role: Customer to Carol (29:carol-customer)",
		"assign_role: MST to Max (29:max-mst)",
		"assign_role: MVM to Vera (29:vera-mvm)",
		"assign_role: MST to Carol C. (29:carol-customer)",
		"remove_role: MST from Max (29:max-mst); no role left, left the engagement",
		"remove_role: FRP from Fay (29:fay-frp)",
		"set_lead: to Vera (29:vera-mvm)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("history =\n%q\nwant\n%q", got, want)
	}
	if _, ok := (&Engagement{}).Lead(); ok {
		t.Error("an empty engagement has a lead")
	}
}

func TestUpdate(t *testing.T) {
	e := mustEngagement(t, false, Box)
	n := len(e.History)
	mustOK(t, Update(e, idFRP, EngagementUpdate{}, t0))
	if len(e.History) != n {
		t.Error("an empty update was recorded")
	}
	name, dom, yes := "Contoso Europe", "contoso.eu", true
	start, end := t0.AddDate(0, 1, 0), t0.AddDate(0, 4, 0)
	mustOK(t, Update(e, idFRP, EngagementUpdate{
		Customer: &name, TenantDomain: &dom, Sources: []Source{Dropbox, Box},
		OnPremExchange: &yes, TargetStart: &start, TargetEnd: &end,
	}, t0))
	if e.Customer != name || e.TenantDomain != dom || !slices.Equal(e.Sources, []Source{Box, Dropbox}) ||
		!e.OnPremExchange || !e.TargetStart.Equal(start) || !e.TargetEnd.Equal(end) {
		t.Errorf("after update: %+v", e)
	}
	want := `customer "Contoso" -> "Contoso Europe"; domain contoso.onmicrosoft.com -> contoso.eu; sources Box -> Box, Dropbox; ` +
		`on-premises Exchange false -> true; target dates 3 Mar 2025 to 11 Jun 2025 -> 3 Apr 2025 to 3 Jul 2025`
	if got := e.History[len(e.History)-1]; got.Action != ActionUpdate || got.Detail != want {
		t.Errorf("audit = %+v\nwant detail %s", got, want)
	}
	var zero time.Time
	mustOK(t, Update(e, idFRP, EngagementUpdate{TargetStart: &zero, TargetEnd: &zero}, t0))
	if got := e.History[len(e.History)-1].Detail; got != "target dates 3 Apr 2025 to 3 Jul 2025 -> none" {
		t.Errorf("detail = %q", got)
	}
}

func TestClose(t *testing.T) {
	// With open tasks and a reason, and no MVM assigned in an IMAP
	// engagement, the lead closes.
	e := mustEngagement(t, false, IMAP)
	mustOK(t, RemoveRole(e, idFRP, idMVM, MVM, t0))
	mustOK(t, Close(e, idFRP, " customer cancelled ", t0))
	if !e.IsClosed() || e.ClosedBy != idFRP || e.CloseReason != "customer cancelled" || !e.Closed.Equal(t0) {
		t.Errorf("closed: %v %s %q", e.Closed, e.ClosedBy, e.CloseReason)
	}
	if got := e.History[len(e.History)-1]; got.Action != ActionClose || !strings.HasPrefix(got.Detail, "customer cancelled; set aside: 1699, 1635,") {
		t.Errorf("audit = %+v", got)
	}
	// Closing early sets every open task aside, as an override with the
	// reason: a closed engagement has no open task, and its progress still
	// says how much was done.
	if p := Progress(e).Overall; p.Done != 0 || p.Applicable == 0 {
		t.Errorf("progress after an early close = %+v", p)
	}
	for _, task := range Applicable(e) {
		if st := e.State(task.Key); st.Status != StatusNotApplicable || !st.Override || st.Reason != "engagement closed: customer cancelled" {
			t.Errorf("%s after an early close: %+v", task.Key, st)
		}
	}
	if got, _ := NextSteps(e, idCustomer); !got.Closed {
		t.Error("NextSteps on a closed engagement: Closed = false")
	}
	if _, ok := NextMilestone(e); ok {
		t.Error("a closed engagement has a milestone")
	}
	if got := Overdue(e, t0.AddDate(1, 0, 0)); got != nil {
		t.Errorf("a closed engagement has overdue tasks: %v", got)
	}
	// A member whose id has gone still reads as an id.
	e.ClosedBy = "29:gone"
	wantErr(t, Close(e, idFRP, "", t0), ECONFLICT, "by 29:gone")
}

func TestCan(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	t1699, _ := TaskByKey("assessment")
	tests := []struct {
		actor string
		a     Action
		task  *Task
		code  string
	}{
		{idFRP, ActionMarkDone, &t1699, ""},
		{idMVM, ActionMarkDone, &t1699, EFORBIDDEN}, // not a helper of 1699
		{idCustomer, ActionMarkDone, &t1699, EFORBIDDEN},
		{idMST, ActionMarkNotApplicable, &t1699, ""}, // Can asks who, not whether the task is skippable
		{idCustomer, ActionMarkNotApplicable, &t1699, EFORBIDDEN},
		{idFRP, ActionMarkDone, nil, EINVALID},
		{idFRP, "launch", nil, EINVALID},
		{idMVM, ActionClose, nil, ""},
		{idMVM, ActionAssignRole, nil, ""},
		{idMST, ActionSetUp, nil, ""},
		{idCustomer, ActionSetUp, nil, EFORBIDDEN},
		{"", ActionMarkDone, &t1699, EFORBIDDEN},
	}
	for _, tt := range tests {
		err := Can(e, tt.actor, tt.a, tt.task)
		if got := ErrorCode(err); got != tt.code {
			t.Errorf("Can(%s, %s) = %v, want code %q", tt.actor, tt.a, err, tt.code)
		}
	}
	// Without a lead, the stranger is simply told they are not a member.
	e.Members[0].Lead = false
	wantErr(t, Can(e, idStranger, ActionClose, nil), EFORBIDDEN, "You are not a member of the Contoso engagement.")
	if err := Can(e, idFRP, ActionClose, nil); !strings.Contains(ErrorMessage(err), "Only the MVM") {
		t.Errorf("Can close: %v", err)
	}
	mustOK(t, RemoveRole(e, idMVM, idMVM, MVM, t0))
	wantErr(t, Can(e, idMST, ActionClose, nil), EFORBIDDEN, "Only the lead can close this engagement.")
}

// TestJSON checks that an engagement survives the store's JSON round trip,
// and the stored field names other packages rely on.
func TestJSON(t *testing.T) {
	e := mustEngagement(t, true, IMAP)
	e.Conversation = "19:abc@thread.tacv2"
	mustDone(t, e, "assessment")
	if _, err := MarkNotApplicable(e, idMST, "3614", "not needed", t0); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"version":0`, `"tenantDomain":"contoso.onmicrosoft.com"`, `"onPremExchange":true`,
		`"tasks":{"assessment":{"status":"done"`, `"status":"not_applicable"`, `"aadObjectId":"aad-fay"`, `"lead":true`, `"history":[`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON lacks %s: %s", field, b)
		}
	}
	if strings.Contains(string(b), `"closed"`) {
		t.Errorf("an open engagement stores a closed time: %s", b)
	}
	var got Engagement
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, e) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, *e)
	}
}

func TestClone(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	mustDone(t, e, "assessment")
	c := e.Clone()
	if !reflect.DeepEqual(c, e) {
		t.Fatal("clone differs")
	}
	mustDone(t, c, "workshop-imap")
	mustOK(t, AssignRole(c, idFRP, Member{ID: idMST}, Customer, t0))
	if e.State("workshop-imap").Status != StatusOpen || len(e.History) == len(c.History) {
		t.Error("changing the clone changed the original")
	}
	if m, _ := e.Member(idMST); len(m.Roles) != 1 {
		t.Errorf("original member roles = %v", m.Roles)
	}
	if c := (&Engagement{}).Clone(); c.Members != nil || c.States != nil {
		t.Errorf("clone of empty = %+v", c)
	}
}

func TestNextStepsNotMember(t *testing.T) {
	e := mustEngagement(t, false, Box)
	_, err := NextSteps(e, idStranger)
	wantErr(t, err, ENOTFOUND, "You are not a member of the Contoso engagement.")
}

func TestWhyNotSeveralSources(t *testing.T) {
	e := &Engagement{Sources: []Source{IMAP}}
	task := Task{Key: "x", Title: "X", Sources: []Source{Box, Dropbox, FileShare}}
	if got, want := whyNot(e, task), "x (X) applies only to Box, Dropbox or FileShare migrations; this engagement migrates IMAP."; got != want {
		t.Errorf("whyNot = %q, want %q", got, want)
	}
	if Applies(e, task) {
		t.Error("Applies = true")
	}
	if m := (Member{ID: "29:x"}); m.display() != "29:x" {
		t.Errorf("display = %q", m.display())
	}
}
