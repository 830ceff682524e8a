package playbook

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// propActors are everyone who may send a command: the four roles' holders
// and a stranger.
var propActors = []string{idFRP, idCustomer, idMST, idMVM, idStranger}

// propCmd is one command or click a person can give, as the bot's
// handlers give it to the playbook. It returns what it did, for the
// failure message, and the playbook's answer.
type propCmd func(e *Engagement, r *rand.Rand, actor string, now time.Time) (string, error)

// propTask picks one of the engagement's tasks, applicable or not.
func propTask(r *rand.Rand) Task { return table[r.IntN(len(table))] }

func propWorkshop(e *Engagement, r *rand.Rand) (Task, bool) {
	ws := WorkshopTasks(e)
	if len(ws) == 0 {
		return Task{}, false
	}
	return ws[r.IntN(len(ws))], true
}

func propEvent(e *Engagement, r *rand.Rand) int { return 1 + r.IntN(len(e.Events)+1) }

func propReason(r *rand.Rand) string { return []string{"", "the customer asked"}[r.IntN(2)] }

// propCmds are the playbook-level commands of every capability that can
// settle a task or close the engagement, and those that change who may.
var propCmds = map[string]propCmd{
	"done": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t := propTask(r)
		_, err := MarkDone(e, a, t.Key, now)
		return "done " + t.Key, err
	},
	"undo": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t := propTask(r)
		_, err := Reopen(e, a, t.Key, now)
		return "undo " + t.Key, err
	},
	"na": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t := propTask(r)
		_, err := MarkNotApplicable(e, a, t.Key, "not here "+propReason(r), now)
		return "na " + t.Key, err
	},
	"held elsewhere": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t, ok := propWorkshop(e, r)
		if !ok {
			return "held elsewhere (none)", nil
		}
		_, err := MarkHeldElsewhere(e, a, t.Key, propReason(r), now)
		return "held elsewhere " + t.Key, err
	},
	"schedule workshop": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t, ok := propWorkshop(e, r)
		if !ok {
			return "schedule (none)", nil
		}
		start := now.Add(time.Duration(r.IntN(3)-1) * time.Hour)
		err := SetWorkshop(e, a, Workshop{Key: t.Key, Tasks: []string{t.Key}, Status: WorkshopScheduled, Start: start, End: start.Add(time.Hour)}, now)
		return "schedule " + t.Key, err
	},
	"workshop held": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		t, ok := propWorkshop(e, r)
		if !ok {
			return "held (none)", nil
		}
		_, _, err := MarkWorkshopHeld(e, a, t.Key, now)
		return "held " + t.Key, err
	},
	"submit questionnaire": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		_, _, err := SubmitQuestionnaire(e, a, validAnswers(e), now, nil)
		return "submit questionnaire", err
	},
	"validate": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		_, err := AcceptQuestionnaire(e, a, len(e.Questionnaire), now)
		return "validate", err
	},
	"site": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		if err := RequestSite(e, a, SiteRequest{Mode: SiteExisting, URL: "https://contoso.sharepoint.com/sites/migration"}, now); err != nil {
			return "site", err
		}
		_, _, err := SiteDone(e, e.Site.Run, now)
		return "site ready", err
	},
	"site elsewhere": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		_, err := SetUpSiteElsewhere(e, a, propReason(r), now)
		return "site elsewhere", err
	},
	"plan": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		q, ok := LatestQuestionnaire(e)
		if !ok {
			return "plan (no questionnaire)", nil
		}
		in, err := PlanInputFromAnswers(q.Answers, 0)
		if err != nil {
			return "plan input", nil
		}
		p, err := ProposePlan(in, now)
		if err != nil {
			return "plan proposal", nil
		}
		_, err = AcceptPlan(e, a, p, now)
		return "plan accept", err
	},
	"event waive": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		n := propEvent(e, r)
		return fmt.Sprintf("event %d waive", n), WaivePreflight(e, a, n, "same users "+propReason(r), now)
	},
	"event start": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		n := propEvent(e, r)
		return fmt.Sprintf("event %d start", n), StartEvent(e, a, n, now)
	},
	"event start anyway": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		n := propEvent(e, r)
		return fmt.Sprintf("event %d start anyway", n), StartEventAnyway(e, a, n, propReason(r), now)
	},
	"event complete": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		n := propEvent(e, r)
		units := 0
		if ev, err := GetEvent(e, n); err == nil {
			units = ev.Units
		}
		_, err := CompleteEvent(e, a, n, units, 0, now)
		return fmt.Sprintf("event %d complete", n), err
	},
	"event cancel": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		n := propEvent(e, r)
		_, err := CancelEvent(e, a, n, "moved "+propReason(r), now)
		return fmt.Sprintf("event %d cancel", n), err
	},
	"close check": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		items := CloseChecklist(e)
		it := items[r.IntN(len(items))]
		return "close check " + it.Key, CheckCloseItem(e, a, it.Key, now)
	},
	"close waive": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		items := CloseChecklist(e)
		it := items[r.IntN(len(items))]
		return "close waive " + it.Key, WaiveCloseItem(e, a, it.Key, propReason(r), now)
	},
	"close out": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		return "close out", CloseOut(e, a, propReason(r), now)
	},
	"close": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		return "close", Close(e, a, propReason(r), now)
	},
	"role": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		who, role := propActors[r.IntN(len(propActors))], Roles()[r.IntN(len(Roles()))]
		return "role " + who + " " + string(role), AssignRole(e, a, Member{ID: who, Name: who}, role, now)
	},
	"role remove": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		who, role := propActors[r.IntN(len(propActors))], Roles()[r.IntN(len(Roles()))]
		return "role " + who + " -" + string(role), RemoveRole(e, a, who, role, now)
	},
	"lead": func(e *Engagement, r *rand.Rand, a string, now time.Time) (string, error) {
		who := propActors[r.IntN(len(propActors))]
		return "lead " + who, SetLead(e, a, who, now)
	},
}

// propProgress is the next step of the engagement by whoever the playbook
// gives it to, through its own path: what a careful team would do. Mixed
// with random commands by random people, it lets runs reach the later
// phases and the close.
func propProgress(e *Engagement, r *rand.Rand, _ string, now time.Time) (string, error) {
	holder := func(role Role) string {
		if hs := e.Holders(role); len(hs) > 0 {
			return hs[r.IntN(len(hs))].ID
		}
		return idFRP
	}
	ready := NextStepsForRoles(e, Roles()...).Ready
	if len(ready) == 0 {
		return "progress (nothing ready)", nil
	}
	s := ready[r.IntN(len(ready))]
	by := holder(s.Owner)
	switch EvidenceOf(s.Task) {
	case EvidenceQuestionnaire:
		_, _, err := SubmitQuestionnaire(e, by, validAnswers(e), now, nil)
		return "progress: submit the questionnaire by " + by, err
	case EvidenceValidation:
		_, err := AcceptQuestionnaire(e, by, len(e.Questionnaire), now)
		return "progress: validate by " + by, err
	case EvidenceWorkshop:
		if w := e.Workshop(s.Task.Key); w != nil && w.Status == WorkshopScheduled && !now.Before(w.Start) {
			_, _, err := MarkWorkshopHeld(e, by, s.Task.Key, now)
			return "progress: held " + s.Task.Key + " by " + by, err
		}
		err := SetWorkshop(e, by, Workshop{Key: s.Task.Key, Tasks: []string{s.Task.Key}, Status: WorkshopScheduled, Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)}, now)
		return "progress: schedule " + s.Task.Key + " by " + by, err
	case EvidenceSite:
		did, err := propCmds["site"](e, r, by, now)
		return "progress: " + did + " by " + by, err
	case EvidenceEvents:
		if len(e.Events) == 0 {
			did, err := propCmds["plan"](e, r, holder(Manager(e)), now)
			return "progress: " + did, err
		}
		for _, ev := range e.Events {
			var err error
			switch ev.State {
			case EventPlanned:
				err = WaivePreflight(e, by, ev.N, "same users as the test migration", now)
			case EventRunning:
				_, err = CompleteEvent(e, by, ev.N, ev.Units, 0, now)
			case EventCompleted, EventCancelled:
				continue
			default:
				err = StartEvent(e, by, ev.N, now)
			}
			return fmt.Sprintf("progress: event %d (%s) by %s", ev.N, ev.State, by), err
		}
		return "progress: events finished", nil
	case EvidenceClose:
		for _, it := range CloseChecklist(e) {
			if !it.Settled() && !it.Auto {
				return "progress: check " + it.Key, CheckCloseItem(e, by, it.Key, now)
			}
		}
		return "progress: close out by " + by, CloseOut(e, by, "", now)
	}
	_, err := MarkDone(e, by, s.Task.Key, now)
	return "progress: done " + s.Task.Key + " by " + by, err
}

// TestTruthProperty: random sequences of commands and clicks from random
// people never leave a task settled while a task it needs is open (unless
// it was settled as an override, which is then on record), nor a closed
// engagement with an open task; and a refused command changes nothing.
// Seeded, so a failure replays.
func TestTruthProperty(t *testing.T) {
	names := make([]string, 0, len(propCmds))
	for k := range propCmds {
		names = append(names, k)
	}
	slices.Sort(names) // map order is random; the seed must replay
	runs, steps := 40, 200
	if testing.Short() || raceEnabled {
		runs = 8
	}
	var closed, done, overrides int
	for run := range runs {
		r := rand.New(rand.NewPCG(18, uint64(run)))
		e := propEngagement(t, run)
		now := t0
		var trail []string
		for range steps {
			now = now.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			// Half the time the next step by its owner, so that runs
			// get far; else anything by anyone.
			cmd := propCmd(propProgress)
			if r.IntN(2) == 0 {
				cmd = propCmds[names[r.IntN(len(names))]]
			}
			actor := propActors[r.IntN(len(propActors))]
			before := e.Clone()
			did, err := cmd(e, r, actor, now)
			trail = append(trail, fmt.Sprintf("%s by %s: %v", did, actor, err))
			if err != nil {
				if ErrorCode(err) == "" || ErrorCode(err) == EINTERNAL {
					t.Fatalf("run %d: %s failed without a person's message: %v\n%s", run, did, err, strings.Join(trail, "\n"))
				}
				if !reflect.DeepEqual(e, before) {
					t.Fatalf("run %d: refused %s changed the engagement\n%s", run, did, strings.Join(trail, "\n"))
				}
			}
			if msg := untrue(e); msg != "" {
				t.Fatalf("run %d: %s\n%s", run, msg, strings.Join(trail, "\n"))
			}
		}
		if e.IsClosed() {
			closed++
		}
		for _, st := range e.States {
			if st.Status == StatusDone {
				done++
			}
		}
		overrides += len(Overrides(e))
	}
	// How far the runs got, so that a change making every command fail
	// early shows.
	t.Logf("%d runs: %d closed, %d tasks done, %d overrides", runs, closed, done, overrides)
	if closed == 0 || done < runs {
		t.Errorf("the runs got nowhere: %d closed, %d tasks done", closed, done)
	}
}

// propEngagement is an IMAP engagement (even runs) or a Government
// customer's Box engagement with an MVM (odd runs).
func propEngagement(t *testing.T, run int) *Engagement {
	if run%2 == 0 {
		return mustEngagement(t, false, IMAP)
	}
	e, err := NewEngagement(NewEngagementParams{ID: "eng-box", Customer: "Contoso", TenantDomain: "contoso.gov", Sources: []Source{Box},
		Segment: SegmentGovernment, TargetStart: t0, TargetEnd: t0.AddDate(0, 0, 100)},
		Member{ID: idFRP, Name: "Fay", Roles: []Role{FRP}}, t0)
	mustOK(t, err)
	for r, id := range map[Role]string{Customer: idCustomer, MST: idMST, MVM: idMVM} {
		mustOK(t, AssignRole(e, idFRP, Member{ID: id, Name: id}, r, t0))
	}
	return e
}

// untrue says what in e is not true, or "": a done task (not an
// override) whose needs are open; an override with nothing on record; a
// closed engagement with an open task.
func untrue(e *Engagement) string {
	for _, t := range table {
		if !Applies(e, t) {
			continue
		}
		st := e.State(t.Key)
		if st.Status == StatusOpen {
			if e.IsClosed() {
				return "closed with " + t.Ref() + " open"
			}
			continue
		}
		if st.Override {
			if st.Reason == "" || !recorded(e, t.Key) {
				return t.Ref() + " is an override with no reason on record"
			}
			continue
		}
		// Not applicable needs no order: it is what does not happen.
		if open := openNeeds(e, t); st.Status == StatusDone && len(open) > 0 {
			return fmt.Sprintf("%s is %s while %s is open", t.Ref(), st.Status, refs(open))
		}
	}
	return ""
}

// recorded reports whether the history holds the override of task key, as
// Overrides lists them: its own, or the close that set it aside.
func recorded(e *Engagement, key string) bool {
	t := table[byKey[key]]
	return slices.ContainsFunc(Overrides(e), func(h AuditEntry) bool {
		return h.Task == key || h.Task == closeTask && strings.Contains(h.Detail, t.Ref())
	})
}
