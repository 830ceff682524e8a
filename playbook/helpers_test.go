package playbook

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// t0 is the fixtures' "now": a Monday morning, so day arithmetic is easy to
// check by eye.
var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// The cast of every fixture engagement.
const (
	idFRP      = "29:fay-frp"
	idCustomer = "29:carol-customer"
	idMST      = "29:max-mst"
	idMVM      = "29:vera-mvm"
	idStranger = "29:sam-stranger"
)

// holder is the member who holds each role in fixture engagements.
var holder = map[Role]string{FRP: idFRP, Customer: idCustomer, MST: idMST, MVM: idMVM}

// mustEngagement sets up an engagement led by Fay (FRP) with Carol
// (Customer), Max (MST) and, for IMAP, Vera (MVM), targeting 100 days from
// t0.
func mustEngagement(tb testing.TB, onPremExchange bool, ss ...Source) *Engagement {
	tb.Helper()
	e, err := NewEngagement(NewEngagementParams{
		ID:             "eng-1",
		Customer:       "Contoso",
		TenantDomain:   "contoso.onmicrosoft.com",
		Sources:        ss,
		OnPremExchange: onPremExchange,
		TargetStart:    t0,
		TargetEnd:      t0.AddDate(0, 0, 100),
	}, Member{ID: idFRP, Name: "Fay", AADObjectID: "aad-fay", Roles: []Role{FRP}}, t0)
	if err != nil {
		tb.Fatalf("NewEngagement: %v", err)
	}
	mustOK(tb, AssignRole(e, idFRP, Member{ID: idCustomer, Name: "Carol"}, Customer, t0))
	mustOK(tb, AssignRole(e, idFRP, Member{ID: idMST, Name: "Max"}, MST, t0))
	if slices.Contains(e.Sources, IMAP) {
		mustOK(tb, AssignRole(e, idFRP, Member{ID: idMVM, Name: "Vera"}, MVM, t0))
	}
	return e
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// mustDone marks the tasks done, each by a holder of its owner role.
func mustDone(tb testing.TB, e *Engagement, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		t, ok := TaskByKey(k)
		if !ok {
			tb.Fatalf("no task %q", k)
		}
		if e.State(k).Status != StatusOpen {
			continue // completed by its evidence as another task settled
		}
		giveEvidence(e, t)
		if _, err := MarkDone(e, holder[OwnerOf(e, t)], k, t0); err != nil {
			tb.Fatalf("MarkDone(%s): %v", k, err)
		}
	}
}

// giveEvidence puts in place, directly, what completes t (HowCompletes),
// so fixtures can mark evidence tasks done as any other: a held workshop, a
// submitted and validated questionnaire, a ready site, finished events.
// Tests of the evidence paths themselves go through the transitions.
func giveEvidence(e *Engagement, t Task) {
	if HowCompletes(e, t).Present {
		return
	}
	switch EvidenceOf(t) {
	case EvidenceWorkshop:
		e.Workshops = append(e.Workshops, Workshop{Key: t.Key, Tasks: []string{t.Key}, Status: WorkshopHeld, Start: t0, End: t0.Add(time.Hour)})
	case EvidenceValidation:
		if len(e.Questionnaire) == 0 {
			e.Questionnaire = append(e.Questionnaire, QuestionnaireVersion{N: 1, Answers: Answers{}, By: idCustomer, At: t0})
		}
		e.audit(t0, holder[Manager(e)], ActionValidateQuestionnaire, validationTask, reviewDetail(len(e.Questionnaire), ""))
	case EvidenceQuestionnaire:
		e.Questionnaire = append(e.Questionnaire, QuestionnaireVersion{N: 1, Answers: Answers{}, By: idCustomer, At: t0})
	case EvidenceSite:
		e.Site = &Site{Mode: SiteExisting, State: SiteReady, Run: 1, URL: "https://contoso.sharepoint.com/sites/migration", Ready: t0}
	case EvidenceEvents:
		e.Events = append(e.Events, Event{N: len(e.Events) + 1, Kind: KindPilot, Date: t0, Units: 1, State: EventCancelled, Reason: "fixture"})
	}
}

// mustNeedsDone marks done, each by its owner, the tasks key needs,
// directly or through other needs, so that key's own order holds.
func mustNeedsDone(tb testing.TB, e *Engagement, key string) {
	tb.Helper()
	closure := map[string]bool{}
	var walk func(k string)
	walk = func(k string) {
		for _, n := range table[byKey[k]].Needs {
			if !closure[n] {
				closure[n] = true
				walk(n)
			}
		}
	}
	walk(key)
	t := table[byKey[key]]
	for len(openNeeds(e, t)) > 0 {
		progress := false
		for _, s := range NextStepsForRoles(e, Roles()...).Ready {
			if closure[s.Task.Key] {
				mustDone(tb, e, s.Task.Key)
				progress = true
			}
		}
		if !progress {
			tb.Fatalf("stuck before the needs of %s: %s", key, refs(openNeeds(e, t)))
		}
	}
}

// mustDoneThrough marks done, in table order, every applicable task up to
// and including key, so tests can start from a late state.
func mustDoneThrough(tb testing.TB, e *Engagement, key string) {
	tb.Helper()
	for {
		ready := NextStepsForRoles(e, Roles()...).Ready
		if len(ready) == 0 {
			tb.Fatalf("stuck before %s", key)
		}
		for _, s := range ready {
			mustDone(tb, e, s.Task.Key)
			if s.Task.Key == key {
				return
			}
		}
	}
}

func stepKeys(ss []Step) []string {
	ks := []string{}
	for _, s := range ss {
		ks = append(ks, s.Task.Key)
	}
	return ks
}

// wantErr checks an error's code and that its message contains every
// fragment.
func wantErr(tb testing.TB, err error, code string, fragments ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got nil error, want %s", code)
	}
	if got := ErrorCode(err); got != code {
		tb.Errorf("code = %s, want %s (message %q)", got, code, ErrorMessage(err))
	}
	for _, f := range fragments {
		if !strings.Contains(ErrorMessage(err), f) {
			tb.Errorf("message %q does not contain %q", ErrorMessage(err), f)
		}
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
