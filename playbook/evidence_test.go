package playbook

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMarkWorkshopHeld: a workshop's tasks complete when it is held, by
// whoever may mark it (the FRP too, who owns none of them), and not before.
func TestMarkWorkshopHeld(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	mustDone(t, e, "assessment")
	start := t0.Add(24 * time.Hour)
	mustOK(t, SetWorkshop(e, idMST, Workshop{Key: WorkshopTogether, Tasks: TogetherTasks(e), Status: WorkshopScheduled, Start: start, End: start.Add(time.Hour)}, t0))

	before := e.Clone()
	_, err := MarkDone(e, idMST, "1635", t0)
	wantErr(t, err, EINVALID, "1635 completes when its workshop, scheduled for 4 Mar 2025 09:00 UTC, is marked held")
	_, _, err = MarkWorkshopHeld(e, idFRP, WorkshopTogether, t0)
	wantErr(t, err, EINVALID, "has not started yet")
	_, _, err = MarkWorkshopHeld(e, idCustomer, WorkshopTogether, start)
	wantErr(t, err, EFORBIDDEN, "schedule workshops or mark them held")
	_, err = MarkHeldElsewhere(e, idMST, "1635", "a Teams call", t0)
	wantErr(t, err, EINVALID, "has a workshop scheduled on the workshops card")
	refusalUnchanged(t, before, e)

	done, left, err := MarkWorkshopHeld(e, idFRP, WorkshopTogether, start.Add(time.Hour))
	mustOK(t, err)
	if got := refs(done); got != "1635, 4027" || len(left) != 0 {
		t.Errorf("done %s, left %v", got, left)
	}
	if st := e.State("workshop-imap"); st.Status != StatusDone || st.By != idFRP || st.Override {
		t.Errorf("1635 = %+v", st)
	}

	// Held elsewhere: an override with its reason.
	_, err = MarkHeldElsewhere(e, idMST, "3312", " ", t0)
	wantErr(t, err, EINVALID, "Say where and when 3312 was held")
	_, err = MarkHeldElsewhere(e, idMST, "1699", "x", t0)
	wantErr(t, err, EINVALID, "1699 is not a workshop")
	task, err := MarkHeldElsewhere(e, idMST, "3312", "held with the customer's network team on 1 Mar", t0)
	mustOK(t, err)
	if st := e.State(task.Key); !st.Override || st.Reason != "held elsewhere: held with the customer's network team on 1 Mar" {
		t.Errorf("3312 = %+v", st)
	}
	if o := Overrides(e); len(o) != 1 || o[0].Task != "remote-connectivity" {
		t.Errorf("overrides = %+v", o)
	}
}

// TestHowCompletes: every evidence task says how it completes.
func TestHowCompletes(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	for key, want := range map[string]string{
		"questionnaire":            "1034 completes when the customer submits the migration questionnaire",
		"questionnaire-validation": "none has been submitted yet",
		"workshop-imap":            "held elsewhere",
		"collaboration-site":       "2979 completes when the collaboration site is ready: type **site** to create one, to link the customer's own site, or to record one set up elsewhere",
		"migration-events":         "no plan has been accepted yet",
		"decommission":             "2323 completes when the engagement is closed",
		"assessment":               "1699 is done when its owner, the FRP, says so",
	} {
		task, _ := TaskByKey(key)
		c := HowCompletes(e, task)
		if !strings.Contains(c.How, want) {
			t.Errorf("%s: %q, want %q", key, c.How, want)
		}
		if c.Present != (EvidenceOf(task) == EvidenceNone) {
			t.Errorf("%s: present %t in a new engagement", key, c.Present)
		}
	}
}

// TestCloseCompletes2323: with every other task settled, Close needs no
// reason and completes 2323; "1 tasks are still open: 2323" is gone.
func TestCloseCompletes2323(t *testing.T) {
	e := mustEngagement(t, false, Box)
	mustNeedsDone(t, e, "decommission")
	mustOK(t, Close(e, idFRP, "", t0))
	if st := e.State("decommission"); st.Status != StatusDone || st.By != idFRP {
		t.Errorf("2323 = %+v", st)
	}
}

// TestEngagementTruthProperty: random commands from random members never
// leave a task done while a need of it is open (overrides excepted, and
// recorded), never complete an evidence task without its evidence (but by
// an override), never leave a closed engagement with an open task, and a
// refused command changes nothing.
func TestEngagementTruthProperty(t *testing.T) {
	runs, steps := 30, 200
	if testing.Short() {
		runs = 10
	}
	for run := range runs {
		rng := rand.New(rand.NewPCG(uint64(run), 18))
		srcs := [][]Source{{IMAP}, {Box}, {GoogleDrive, IMAP}, {FileShare, Dropbox}}[rng.IntN(4)]
		e := mustEngagement(t, rng.IntN(2) == 0, srcs...)
		if rng.IntN(2) == 0 && !slices.Contains(srcs, IMAP) {
			g := SegmentGovernment
			mustOK(t, Update(e, idFRP, EngagementUpdate{Segment: &g}, t0))
			mustOK(t, AssignRole(e, idFRP, Member{ID: idMVM, Name: "Vera"}, MVM, t0))
		}
		actors := []string{idFRP, idCustomer, idMST, idMVM, idStranger}
		now := t0
		for step := range steps {
			now = now.Add(time.Hour)
			actor := actors[rng.IntN(len(actors))]
			before := e.Clone()
			name, err := randomCommand(rng, e, actor, now)
			where := fmt.Sprintf("run %d step %d: %s by %s", run, step, name, actor)
			if err != nil {
				if !sameJSON(before, e) {
					t.Fatalf("%s: refused (%v) but changed the engagement", where, err)
				}
				continue
			}
			checkTruth(t, where, before, e)
			if e.IsClosed() {
				break
			}
		}
	}
}

func sameJSON(a, b *Engagement) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// checkTruth asserts the invariants after an accepted command.
func checkTruth(t *testing.T, where string, before, e *Engagement) {
	t.Helper()
	for _, task := range Applicable(e) {
		st := e.State(task.Key)
		if e.IsClosed() && st.Status == StatusOpen {
			t.Fatalf("%s: closed with %s open", where, task.Ref())
		}
		if st.Status != StatusDone || st.Override {
			continue
		}
		if bs := openNeeds(e, task); len(bs) > 0 {
			t.Fatalf("%s: %s done while %s open", where, task.Ref(), refs(bs))
		}
		if before.State(task.Key).Status != StatusDone && task.Key != closeTask && !HowCompletes(e, task).Present {
			t.Fatalf("%s: %s done without its evidence", where, task.Ref())
		}
	}
	for _, h := range e.History[len(before.History):] {
		if h.Action == ActionOverride && !strings.Contains(h.Detail, ":") {
			t.Fatalf("%s: override without a reason: %+v", where, h)
		}
	}
}

// randomCommand runs one command a person could send, with random
// arguments, and names it.
func randomCommand(rng *rand.Rand, e *Engagement, actor string, now time.Time) (string, error) {
	ts := Applicable(e)
	task := ts[rng.IntN(len(ts))]
	switch rng.IntN(16) {
	case 0, 1, 2, 3:
		_, err := MarkDone(e, actor, task.Key, now)
		return "done " + task.Key, err
	case 4:
		_, err := Reopen(e, actor, task.Key, now)
		return "reopen " + task.Key, err
	case 5:
		_, err := MarkNotApplicable(e, actor, task.Key, "not needed", now)
		return "n/a " + task.Key, err
	case 6:
		_, err := MarkHeldElsewhere(e, actor, task.Key, "held on a call", now)
		return "held elsewhere " + task.Key, err
	case 7:
		keys := WorkshopTasks(e)
		k := keys[rng.IntN(len(keys))].Key
		if w := e.Workshop(k); w == nil || w.Status != WorkshopScheduled {
			if Can(e, actor, ActionWorkshop, nil) != nil {
				return "schedule " + k, Errorf(EFORBIDDEN, "no")
			}
			return "schedule " + k, SetWorkshop(e, actor, Workshop{Key: k, Tasks: []string{k}, Status: WorkshopScheduled, Start: now, End: now.Add(time.Hour)}, now)
		}
		_, _, err := MarkWorkshopHeld(e, actor, k, now)
		return "held " + k, err
	case 8:
		if e.Site == nil || e.Site.State == SiteFailed {
			return "site", RequestSite(e, actor, SiteRequest{Mode: SiteExisting, URL: "https://contoso.sharepoint.com/sites/m"}, now)
		}
		if e.Site.State == SiteSettingUp {
			_, _, err := SiteDone(e, e.Site.Run, now)
			return "site ready", err
		}
		return "site", Errorf(ECONFLICT, "ready")
	case 9:
		if len(e.Events) == 0 {
			p, err := ProposePlan(PlanInput{Units: 300, WindowStart: now.AddDate(0, 0, 1), WindowEnd: now.AddDate(0, 0, 20), PilotSize: 100, PreferredBatch: 100}, now)
			if err != nil {
				return "propose", err
			}
			_, err = AcceptPlan(e, actor, p, now)
			return "accept plan", err
		}
		ev := e.Events[rng.IntN(len(e.Events))]
		switch ev.State {
		case EventPlanned, EventPreflight:
			return "waive", WaivePreflight(e, actor, ev.N, "same users", now)
		case EventReady:
			if rng.IntN(3) == 0 {
				return "start anyway", StartEventAnyway(e, actor, ev.N, "deadline", now)
			}
			return "start", StartEvent(e, actor, ev.N, now)
		case EventRunning:
			_, err := CompleteEvent(e, actor, ev.N, ev.Size(), 0, now)
			return "complete", err
		}
		_, err := CancelEvent(e, actor, ev.N, "folded", now)
		return "cancel", err
	case 10:
		reason := ""
		if rng.IntN(4) == 0 {
			reason = "customer cancelled"
		}
		return "close", Close(e, actor, reason, now)
	case 11:
		return "close-out", CloseOut(e, actor, "", now)
	case 12:
		items := CloseChecklist(e)
		it := items[rng.IntN(len(items))]
		if rng.IntN(2) == 0 {
			return "check " + it.Key, CheckCloseItem(e, actor, it.Key, now)
		}
		return "waive " + it.Key, WaiveCloseItem(e, actor, it.Key, "n/a", now)
	case 13:
		who := []string{idFRP, idCustomer, idMST, idMVM}[rng.IntN(4)]
		return "lead " + who, SetLead(e, actor, who, now)
	case 14:
		r := Roles()[rng.IntN(4)]
		who := []string{idFRP, idCustomer, idMST, idMVM}[rng.IntN(4)]
		if rng.IntN(2) == 0 {
			return "remove " + string(r), RemoveRole(e, actor, who, r, now)
		}
		return "assign " + string(r), AssignRole(e, actor, Member{ID: who}, r, now)
	default:
		_, err := AcceptQuestionnaire(e, actor, len(e.Questionnaire), now)
		return "validate", err
	}
}
