package playbook

import (
	"testing"
	"time"
)

func TestEscalations(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	x, err := Escalate(e, idCustomer, "", "Batch 2 users cannot see mail", 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if x.ID != 1 || x.Severity != SeverityMedium || x.State != EscalationOpen || x.Contact != idMVM || x.ContactRole != MVM {
		t.Errorf("escalation = %+v", x)
	}
	if h := e.History[len(e.History)-1]; h.Detail != "#1 medium to the MVM (Vera): Batch 2 users cannot see mail" {
		t.Errorf("history = %q", h.Detail)
	}
	if _, err := Escalate(e, idFRP, "sev1", "Exec mailbox empty", 0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// Reminders: after 4 hours, again 4 hours after the reminder.
	if due := DueForReminder(e, t0.Add(3*time.Hour), 4*time.Hour); len(due) != 0 {
		t.Errorf("due early: %v", due)
	}
	due := DueForReminder(e, t0.Add(4*time.Hour), 4*time.Hour)
	if len(due) != 1 || due[0].ID != 1 {
		t.Fatalf("due = %v", due)
	}
	mustOK(t, RecordEscalationReminder(e, 1, t0.Add(4*time.Hour)))
	if due := DueForReminder(e, t0.Add(6*time.Hour), 4*time.Hour); len(due) != 1 || due[0].ID != 2 {
		t.Errorf("after a reminder: %v", due)
	}
	if h := e.History[len(e.History)-1]; h.Actor != BotActor || h.Action != ActionEscalationRemind {
		t.Errorf("reminder history = %+v", h)
	}

	mustOK(t, AcknowledgeEscalation(e, idMVM, 1, t0.Add(5*time.Hour)))
	if due := DueForReminder(e, t0.Add(100*time.Hour), 4*time.Hour); len(due) != 1 || due[0].ID != 2 {
		t.Errorf("acknowledged still due: %v", due)
	}
	mustOK(t, ResolveEscalation(e, idMVM, 2, "restored from the source", t0.Add(6*time.Hour)))

	list := Escalations(e, t0.Add(10*time.Hour))
	if len(list) != 2 || list[0].ID != 1 || list[0].Age != 10*time.Hour || list[1].ID != 2 || list[1].Age != 5*time.Hour {
		t.Errorf("list = %+v", list)
	}

	for _, tt := range []struct {
		name string
		do   func(*Engagement) error
		code string
		want string
	}{
		{"ack twice", func(e *Engagement) error { return AcknowledgeEscalation(e, idMVM, 1, t0) }, ECONFLICT, "already acknowledged"},
		{"ack by the MST in an IMAP engagement", func(e *Engagement) error { return AcknowledgeEscalation(e, idMST, 1, t0) }, EFORBIDDEN, "Only the MVM can acknowledge"},
		{"resolve twice", func(e *Engagement) error { return ResolveEscalation(e, idMVM, 2, "x", t0) }, ECONFLICT, "already resolved"},
		{"resolve without text", func(e *Engagement) error { return ResolveEscalation(e, idMVM, 1, "", t0) }, EINVALID, "Say how escalation #1 was resolved"},
		{"no such", func(e *Engagement) error { return AcknowledgeEscalation(e, idMVM, 9, t0) }, ENOTFOUND, "no escalation #9"},
		{"remind a resolved one", func(e *Engagement) error { return RecordEscalationReminder(e, 2, t0) }, ECONFLICT, "needs no reminder"},
		{"empty", func(e *Engagement) error { _, err := Escalate(e, idCustomer, "", " ", 0, t0); return err }, EINVALID, "Say what is escalated"},
		{"bad severity", func(e *Engagement) error { _, err := Escalate(e, idCustomer, "meh", "x", 0, t0); return err }, EINVALID, `"meh" is not a severity`},
		{"unknown issue", func(e *Engagement) error { _, err := Escalate(e, idCustomer, "", "x", 4, t0); return err }, ENOTFOUND, "no issue 4"},
		{"stranger", func(e *Engagement) error { _, err := Escalate(e, idStranger, "", "x", 0, t0); return err }, EFORBIDDEN, "not a member"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Clone()
			wantErr(t, tt.do(e), tt.code, tt.want)
			refusalUnchanged(t, before, e)
		})
	}

	// Without IMAP the MST lead is the contact; without an MST, nobody yet.
	b := mustEngagement(t, false, Box)
	mustOK(t, AssignRole(b, idFRP, Member{ID: "29:mia-mst", Name: "Mia"}, MST, t0))
	mustOK(t, SetLead(b, idFRP, "29:mia-mst", t0))
	if x, err := Escalate(b, idCustomer, SeverityHigh, "slow", 0, t0); err != nil || x.Contact != "29:mia-mst" || x.ContactRole != MST {
		t.Errorf("Box escalation = %+v, %v", x, err)
	}
	mustOK(t, AcknowledgeEscalation(b, idMST, 1, t0))
	mustOK(t, RemoveRole(b, "29:mia-mst", idMST, MST, t0))
	mustOK(t, RemoveRole(b, "29:mia-mst", "29:mia-mst", MST, t0))
	if _, _, ok := SinglePointOfContact(b); ok {
		t.Error("a contact without any MST")
	}
	if DueForReminder(b, t0, 0) != nil {
		t.Error("after 0 gave reminders")
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"": SeverityMedium, "LOW": SeverityLow, "Sev 2": SeverityHigh, "critical": SeverityCritical, "1": SeverityCritical} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v", in, got, err)
		}
	}
}
