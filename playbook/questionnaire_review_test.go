package playbook

import (
	"strings"
	"testing"
)

// submitted is e with its questionnaire submitted as v1 by the customer after
// the workshops, so 1034 is done.
func submitted(t *testing.T, ss ...Source) *Engagement {
	t.Helper()
	e := mustEngagement(t, false, ss...)
	mustDoneThrough(t, e, "hub-workshop")
	for _, k := range []string{"workshop-imap", "workshop-box", "workshop-dropbox", "workshop-gdrive", "workshop-fileshare"} {
		if task, ok := TaskByKey(k); ok && Applies(e, task) && e.State(k).Status == StatusOpen {
			mustDone(t, e, k)
		}
	}
	if _, _, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, fakeFinder); err != nil {
		t.Fatal(err)
	}
	if e.State("questionnaire").Status != StatusDone {
		t.Fatalf("1034 is %s after the submit", e.State("questionnaire").Status)
	}
	return e
}

func TestReviewPermissions(t *testing.T) {
	tests := []struct {
		name    string
		sources []Source
		actor   string
		want    string // "" allowed, else in the EFORBIDDEN message
	}{
		{"IMAP: the MVM", []Source{IMAP}, idMVM, ""},
		{"IMAP: not the MST", []Source{IMAP}, idMST, "Only the MVM"},
		{"IMAP: not the lead (FRP)", []Source{IMAP}, idFRP, "Only the MVM"},
		{"IMAP: not the customer", []Source{IMAP}, idCustomer, "Only the MVM"},
		{"Box: the MST", []Source{Box}, idMST, ""},
		{"Box: not the FRP lead", []Source{Box}, idFRP, "Only the MST"},
		{"a stranger", []Source{Box}, idStranger, "not a member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngagement(t, false, tt.sources...)
			err := Can(e, tt.actor, ActionValidateQuestionnaire, nil)
			if tt.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, EFORBIDDEN, tt.want)
		})
	}
	// IMAP without anyone holding MVM: the MST reviews until one joins,
	// as it holds the MVM's other tasks (Manager).
	e := mustEngagement(t, false, IMAP)
	mustOK(t, RemoveRole(e, idFRP, idMVM, MVM, t0))
	mustOK(t, Can(e, idMST, ActionValidateQuestionnaire, nil))
	// Nobody holds the MST either: the refusal says how to fix it.
	mustOK(t, RemoveRole(e, idFRP, idMST, MST, t0))
	wantErr(t, Can(e, idCustomer, ActionValidateQuestionnaire, nil), EFORBIDDEN, "Nobody holds MST yet")
}

// TestReviewFlow: submit, request changes (1034 reopens), resubmit (1034
// done again), validate (1672 done), as the issue describes.
func TestReviewFlow(t *testing.T) {
	e := submitted(t, IMAP)
	if r, ok := ReviewOf(e); !ok || r.Status != ReviewPending || r.Version != 1 {
		t.Fatalf("review after submit = %+v %v", r, ok)
	}

	reopened, err := RequestQuestionnaireChanges(e, idMVM, 1, "  The largest mailbox looks too small; please check.  ", t0, fakeFinder)
	if err != nil || !reopened {
		t.Fatalf("request changes: %v reopened=%v", err, reopened)
	}
	if st := e.State("questionnaire").Status; st != StatusOpen {
		t.Errorf("1034 is %s after a change request", st)
	}
	r, _ := ReviewOf(e)
	if r.Status != ReviewChangesRequested || r.By != idMVM || r.Comment != "The largest mailbox looks too small; please check." {
		t.Errorf("review = %+v", r)
	}
	last := e.History[len(e.History)-1]
	if last.Action != ActionRequestChanges || last.Task != "questionnaire" || !strings.HasPrefix(last.Detail, "v1: The largest") {
		t.Errorf("history = %+v", last)
	}
	// Asked twice: refused, nothing recorded.
	n := len(e.History)
	_, err = RequestQuestionnaireChanges(e, idMVM, 1, "again", t0, fakeFinder)
	wantErr(t, err, ECONFLICT, "already asked for changes")
	// Nor validated while sent back.
	_, err = AcceptQuestionnaire(e, idMVM, 1, t0)
	wantErr(t, err, ECONFLICT, "already asked for changes")
	if len(e.History) != n {
		t.Error("a refused review was recorded")
	}

	// The customer resubmits: v2, 1034 done again, the review pending.
	in := validAnswers(e).With(Answers{"imap-max-mailbox-gb": "60"})
	if _, _, err := SubmitQuestionnaire(e, idCustomer, in, t0, fakeFinder); err != nil {
		t.Fatal(err)
	}
	if st := e.State("questionnaire").Status; st != StatusDone {
		t.Errorf("1034 is %s after the resubmit", st)
	}
	if r, _ := ReviewOf(e); r.Status != ReviewPending || r.Version != 2 {
		t.Errorf("review after resubmit = %+v", r)
	}

	// A card for v1 is stale now.
	_, err = AcceptQuestionnaire(e, idMVM, 1, t0)
	wantErr(t, err, ECONFLICT, "v2 (by Carol")

	// 1672 waits for the customer's decision: validation is refused.
	_, err = AcceptQuestionnaire(e, idMVM, 2, t0)
	wantErr(t, err, EINVALID, "waits for")
	mustDone(t, e, "migration-decision")

	v, err := AcceptQuestionnaire(e, idMVM, 2, t0)
	if err != nil || v.N != 2 {
		t.Fatalf("validate: %v %+v", err, v)
	}
	if st := e.State("questionnaire-validation"); st.Status != StatusDone || st.By != idMVM {
		t.Errorf("1672 = %+v", st)
	}
	if r, _ := ReviewOf(e); r.Status != ReviewValidated || r.By != idMVM {
		t.Errorf("review = %+v", r)
	}
	got := e.History[len(e.History)-2:]
	if got[0].Action != ActionValidateQuestionnaire || got[0].Detail != "v2" || got[1].Action != ActionMarkDone || got[1].Task != "questionnaire-validation" {
		t.Errorf("history = %+v", got)
	}
	_, err = AcceptQuestionnaire(e, idMVM, 2, t0)
	wantErr(t, err, ECONFLICT, "already validated")
	_, err = RequestQuestionnaireChanges(e, idMVM, 2, "late", t0, fakeFinder)
	wantErr(t, err, ECONFLICT, "already validated")

	// v3 after validation: 1672 stays done, v3 can be validated too.
	if _, _, err := SubmitQuestionnaire(e, idCustomer, in.With(Answers{"pilot-size": "30"}), t0, fakeFinder); err != nil {
		t.Fatal(err)
	}
	if _, err := AcceptQuestionnaire(e, idMVM, 3, t0); err != nil {
		t.Fatal(err)
	}
	if st := e.State("questionnaire-validation").Status; st != StatusDone {
		t.Errorf("1672 is %s", st)
	}
}

func TestRequestChangesKeeps1034WhenTheDecisionRestsOnIt(t *testing.T) {
	e := submitted(t, Box)
	mustDone(t, e, "inventory-box", "migration-decision")
	reopened, err := RequestQuestionnaireChanges(e, idMST, 1, "Box Notes: please ask the users", t0, nil)
	if err != nil || reopened {
		t.Fatalf("request: %v reopened=%v", err, reopened)
	}
	if e.State("questionnaire").Status != StatusDone {
		t.Error("1034 reopened under the settled decision")
	}
	if r, _ := ReviewOf(e); r.Status != ReviewChangesRequested {
		t.Errorf("review = %+v", r)
	}
}

func TestReviewRefusals(t *testing.T) {
	fresh := mustEngagement(t, false, IMAP)
	_, err := AcceptQuestionnaire(fresh, idMVM, 1, t0)
	wantErr(t, err, ENOTFOUND, "not been submitted")

	tests := []struct {
		name    string
		actor   string
		comment string
		code    string
		want    string
	}{
		{"empty comment", idMVM, "   ", EINVALID, "Say what should change"},
		{"too long", idMVM, strings.Repeat("x", MaxReviewComment+1), EINVALID, "at most 1000"},
		{"control characters", idMVM, "fix\x00this", EINVALID, "not text"},
		{"credential", idMVM, "use password=Sup3rS3cret!", EINVALID, "3614"},
		{"not the reviewer", idCustomer, "fine", EFORBIDDEN, "Only the MVM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := submitted(t, IMAP)
			before := e.Clone()
			_, err := RequestQuestionnaireChanges(e, tt.actor, 1, tt.comment, t0, fakeFinder)
			wantErr(t, err, tt.code, tt.want)
			if len(e.History) != len(before.History) || e.State("questionnaire") != before.State("questionnaire") {
				t.Error("a refused request changed the engagement")
			}
			if tt.code == EINVALID && strings.Contains(err.Error(), "Sup3r") {
				t.Errorf("the refusal echoes the credential: %v", err)
			}
		})
	}
}
