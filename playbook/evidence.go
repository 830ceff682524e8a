package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Evidence is what completes a task other than a person saying so. A task
// with evidence is done when its evidence is there (and its needs are
// settled), never on someone's word alone: MarkDone refuses it until then
// and says how it completes. docs/playbook.md lists the tasks.
type Evidence string

// The kinds of evidence.
const (
	EvidenceNone          Evidence = ""
	EvidenceQuestionnaire Evidence = "questionnaire" // 1034: a questionnaire version submitted
	EvidenceValidation    Evidence = "validation"    // 1672: the latest version validated
	EvidenceWorkshop      Evidence = "workshop"      // a workshop task: its workshop held
	EvidenceSite          Evidence = "site"          // 2979, 3615, 3282: the collaboration site ready
	EvidenceEvents        Evidence = "events"        // 1871: every migration event completed or cancelled
	EvidenceClose         Evidence = "close"         // 2323: the engagement closed through close-out
)

// EvidenceOf returns the evidence that completes t; EvidenceNone for a task
// a person marks done.
func EvidenceOf(t Task) Evidence {
	switch {
	case t.Key == questionnaireTask:
		return EvidenceQuestionnaire
	case t.Key == validationTask:
		return EvidenceValidation
	case slices.Contains(workshopTasks, t.Key):
		return EvidenceWorkshop
	case slices.Contains(SiteTasks, t.Key):
		return EvidenceSite
	case t.Key == eventsTask:
		return EvidenceEvents
	case t.Key == closeTask:
		return EvidenceClose
	}
	return EvidenceNone
}

// The keys of tasks that transitions here complete by name.
const (
	eventsTask = "migration-events"
	closeTask  = "decommission"
)

// Completion says how a task of an engagement completes.
type Completion struct {
	Evidence Evidence
	// Present is true when the evidence is there: the task completes as
	// soon as its needs are settled (MarkDone then accepts it).
	Present bool
	// How is a sentence for a person: what completes the task and, when it
	// is missing, how to provide it.
	How string
	// Overridable is true when a person may record the task done without
	// the evidence, with a reason (a workshop held elsewhere).
	Overridable bool
}

// HowCompletes says how t completes in e.
func HowCompletes(e *Engagement, t Task) Completion {
	c := Completion{Evidence: EvidenceOf(t)}
	switch c.Evidence {
	case EvidenceNone:
		c.Present = true
		c.How = fmt.Sprintf("%s is done when its owner, the %s, says so.", t.Ref(), OwnerOf(e, t))
	case EvidenceQuestionnaire:
		c.Present = len(e.Questionnaire) > 0
		c.How = fmt.Sprintf("%s completes when the customer submits the migration questionnaire: type **questionnaire** to fill it in.", t.Ref())
	case EvidenceValidation:
		r, ok := ReviewOf(e)
		c.Present = ok && r.Status == ReviewValidated
		c.How = fmt.Sprintf("%s completes when the %s validates the submitted questionnaire: type **questionnaire show** and choose Validate.", t.Ref(), Manager(e))
		if !ok {
			c.How = fmt.Sprintf("%s completes when the %s validates the questionnaire, and none has been submitted yet: the customer types **questionnaire** to fill it in.", t.Ref(), Manager(e))
		}
	case EvidenceWorkshop:
		w := e.WorkshopOf(t.Key)
		c.Present = w != nil && w.Status == WorkshopHeld
		c.Overridable = true
		c.How = fmt.Sprintf("%s completes when its workshop is marked held on the workshops card (type **workshops**), or, if it was held elsewhere, with **workshop %s held elsewhere** followed by where and when.", t.Ref(), t.Ref())
		if w != nil && w.Status == WorkshopScheduled {
			c.How = fmt.Sprintf("%s completes when its workshop, scheduled for %s, is marked held on the workshops card (type **workshops**) once it has taken place.", t.Ref(), w.Start.UTC().Format("2 Jan 2006 15:04 UTC"))
		}
	case EvidenceSite:
		c.Present = e.Site != nil && e.Site.State == SiteReady
		c.How = fmt.Sprintf("%s completes when the collaboration site is ready: type **site** to create one, to link the customer's own site, or to record one set up elsewhere.", t.Ref())
	case EvidenceEvents:
		c.Present = eventsFinished(e)
		c.How = fmt.Sprintf("%s completes when every migration event is completed or cancelled: type **events** to see them.", t.Ref())
		if len(e.Events) == 0 {
			c.How = fmt.Sprintf("%s completes when every migration event is completed or cancelled, and no plan has been accepted yet: type **plan**.", t.Ref())
		}
	case EvidenceClose:
		c.How = fmt.Sprintf("%s completes when the engagement is closed: type **close** for the close-out checklist.", t.Ref())
	}
	return c
}

func eventsFinished(e *Engagement) bool {
	if len(e.Events) == 0 {
		return false
	}
	for _, ev := range e.Events {
		if !ev.State.Terminal() {
			return false
		}
	}
	return true
}

// completeByEvidence marks t done by actorID because its evidence is there,
// when it applies, is open, its needs are settled and the evidence is
// present; it reports whether it did. The evidence's own transition was
// authorized, so the owner's role is not asked for.
func (e *Engagement) completeByEvidence(t Task, actorID string, now time.Time) bool {
	if !Applies(e, t) || e.State(t.Key).Status != StatusOpen || len(openNeeds(e, t)) > 0 || !HowCompletes(e, t).Present {
		return false
	}
	e.settle(t, TaskState{Status: StatusDone, By: actorID, At: now.UTC()})
	e.audit(now, actorID, ActionMarkDone, t.Key, "by evidence: "+string(EvidenceOf(t)))
	return true
}

// completeWaiting completes every open task whose evidence came before
// its needs were settled (a questionnaire submitted before the workshops
// were held, the site ready before them), now that they are, and repeats
// while that settles more. The bot records it (BotActor): nobody did the
// task just now, its evidence was already there. 2323 is left to Close.
func (e *Engagement) completeWaiting(now time.Time) {
	for more := true; more; {
		more = false
		for _, t := range table {
			if t.Key != closeTask && EvidenceOf(t) != EvidenceNone && e.completeByEvidence(t, BotActor, now) {
				more = true
			}
		}
	}
}

// MarkWorkshopHeld records that workshop key (a workshop task's key, or
// WorkshopTogether), scheduled and started by now, was held, and completes
// the tasks it covers whose needs are settled. It returns those tasks and,
// for each one left open, why. Returns ECONFLICT when e is closed;
// EFORBIDDEN (see Can, ActionWorkshop); ENOTFOUND for a workshop never
// scheduled; EINVALID for one not scheduled or not started yet.
func MarkWorkshopHeld(e *Engagement, actorID, key string, now time.Time) (done []Task, left []string, err error) {
	if err := e.checkOpen(); err != nil {
		return nil, nil, err
	}
	if err := Can(e, actorID, ActionWorkshop, nil); err != nil {
		return nil, nil, err
	}
	cur := e.Workshop(key)
	switch {
	case cur == nil:
		return nil, nil, Errorf(ENOTFOUND, "The workshop %s was never scheduled.", key)
	case cur.Status != WorkshopScheduled:
		return nil, nil, Errorf(EINVALID, "Only a scheduled workshop can be marked held.")
	case now.Before(cur.Start):
		return nil, nil, Errorf(EINVALID, "The workshop has not started yet: mark it held once it has taken place.")
	}
	w := cur.Clone()
	w.Status = WorkshopHeld
	if err := SetWorkshop(e, actorID, w, now); err != nil {
		return nil, nil, err
	}
	for _, k := range w.Tasks {
		t, ok := taskByKey(k)
		if !ok || !Applies(e, t) || e.State(k).Status != StatusOpen {
			continue
		}
		if e.completeByEvidence(t, actorID, now) {
			done = append(done, t)
		} else if bs := openNeeds(e, t); len(bs) > 0 {
			left = append(left, fmt.Sprintf("%s waits for %s", t.Ref(), refs(bs)))
		}
	}
	e.completeWaiting(now)
	return done, left, nil
}

// MarkHeldElsewhere records workshop task ref done without a workshop of
// mvmbot's: it was held outside (another calendar, a call), as the reason
// says. The record is an override: its state, the history, status and the
// report show it as such. Returns EINVALID for a task that is not a
// workshop, without a reason, while its needs are open or while mvmbot has
// its workshop scheduled (mark that one held instead); and the refusals of
// MarkDone.
func MarkHeldElsewhere(e *Engagement, actorID, ref, reason string, now time.Time) (Task, error) {
	if err := e.checkOpen(); err != nil {
		return Task{}, err
	}
	t, err := ResolveTask(e, ref)
	if err != nil {
		return Task{}, err
	}
	if EvidenceOf(t) != EvidenceWorkshop {
		return Task{}, Errorf(EINVALID, "%s is not a workshop. %s", t.Ref(), HowCompletes(e, t).How)
	}
	if err := Can(e, actorID, ActionWorkshop, nil); err != nil {
		return Task{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxReasonLen {
		return Task{}, Errorf(EINVALID, "Say where and when %s was held, in at most %d characters; the reason goes into the history as an override.", t.Ref(), MaxReasonLen)
	}
	if err := e.checkOpenTask(t); err != nil {
		return Task{}, err
	}
	if w := e.WorkshopOf(t.Key); w != nil && (w.Status == WorkshopScheduled || w.Status == WorkshopScheduling) {
		return Task{}, Errorf(EINVALID, "%s has a workshop scheduled on the workshops card: mark that one held there once it has taken place, or cancel it first.", t.Ref())
	}
	if bs := openNeeds(e, t); len(bs) > 0 {
		return Task{}, Errorf(EINVALID, "%s waits for %s. Those come first.", t.Ref(), e.describeBlockers(bs))
	}
	e.settleOverride(t, actorID, "held elsewhere: "+reason, now)
	e.completeWaiting(now)
	return t, nil
}

// settleOverride records t done by actorID without what normally settles
// it, with the reason, in its state and in the history as an override.
func (e *Engagement) settleOverride(t Task, actorID, reason string, now time.Time) {
	e.settle(t, TaskState{Status: StatusDone, By: actorID, At: now.UTC(), Override: true, Reason: reason})
	e.audit(now, actorID, ActionOverride, t.Key, "done: "+reason)
}

// Overrides returns the history entries that are overrides, oldest first:
// what status and the report show as such. It reads e.Kept, so it needs no
// stored history.
func Overrides(e *Engagement) []AuditEntry {
	var out []AuditEntry
	for _, h := range e.Kept {
		if h.Action == ActionOverride {
			out = append(out, h)
		}
	}
	return out
}
