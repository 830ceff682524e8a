package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// Job kinds of the workshops (issue 6). Stored with the jobs: never rename
// one.
const (
	// KindWorkshopCreate creates the Teams meeting of a workshop whose slot
	// was picked (status scheduling), records it on the engagement and
	// posts the invitation card.
	KindWorkshopCreate = "workshop.create"
	// KindWorkshopRemind posts a reminder before a scheduled workshop.
	KindWorkshopRemind = "workshop.remind"
	// KindWorkshopCancel cancels the Graph event of a cancelled workshop.
	KindWorkshopCancel = "workshop.cancel"
)

// WorkshopReminders are how long before a workshop the reminders are
// posted.
var WorkshopReminders = []time.Duration{24 * time.Hour, time.Hour}

// workshopCreateAttempts bounds the attempts at creating one meeting;
// throttling snoozes (Retry-After), other transient failures back off
// (jobs.go). After the last, the channel is told what to do.
const workshopCreateAttempts = 8

// WorkshopJobs creates the workshops' Teams meetings and posts their
// reminders. Run keeps a create job queued for every workshop being
// scheduled and the reminders of every scheduled one; the jobs' keys name
// the engagement, the workshop and the slot, so each exists once however
// often Run queues it.
type WorkshopJobs struct {
	Store     WorkerStore
	Graph     Workshops // nil: local mode, no meetings to create
	Organizer string
	BaseURL   string           // the bot's public root, for the .ics links
	Now       func() time.Time // nil: time.Now
	Log       *slog.Logger     // nil: discarded
	Runner    *Runner          // when set, runs at once the posts a worker commits
}

func (w *WorkshopJobs) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *WorkshopJobs) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

type workshopArgs struct {
	Engagement string        `json:"engagement"`
	Workshop   string        `json:"workshop"`
	Start      time.Time     `json:"start"`
	Before     time.Duration `json:"before,omitempty"` // reminders: how long before the start
}

func workshopJobKey(kind string, a workshopArgs) string {
	k := fmt.Sprintf("%s|%s|%s|%s", kind, a.Engagement, a.Workshop, a.Start.UTC().Format(time.RFC3339))
	if a.Before > 0 {
		k += "|" + a.Before.String()
	}
	return k
}

// Jobs returns the jobs e's workshops want now: a create job for each one
// being scheduled (with Graph), and the reminders still ahead of each
// scheduled one.
func (w *WorkshopJobs) Jobs(e *playbook.Engagement) ([]playbook.Job, error) {
	return workshopJobs(e, w.Graph != nil, w.now())
}

// workshopJobs is WorkshopJobs.Jobs for a bot with or without Graph: the
// turn that changes a workshop queues them with the change, and the
// reconcile scan queues them again (the keys make that a no-op) should a
// change have come another way.
func workshopJobs(e *playbook.Engagement, withGraph bool, now time.Time) ([]playbook.Job, error) {
	if e.IsClosed() {
		return nil, nil
	}
	var jobs []playbook.Job
	for _, ws := range e.Workshops {
		switch {
		case ws.Status == playbook.WorkshopScheduling && withGraph:
			a := workshopArgs{Engagement: e.ID, Workshop: ws.Key, Start: ws.Start}
			j, err := newJob(workshopCreateArgs{a})
			if err != nil {
				return nil, err
			}
			j.Key, j.MaxAttempts = workshopJobKey(KindWorkshopCreate, a), workshopCreateAttempts
			jobs = append(jobs, j)
		case ws.Status == playbook.WorkshopCancelled && ws.CancelEvent && ws.EventID != "" && withGraph:
			a := workshopArgs{Engagement: e.ID, Workshop: ws.Key, Start: ws.Start}
			j, err := newJob(workshopCancelArgs{a})
			if err != nil {
				return nil, err
			}
			j.Key, j.MaxAttempts = workshopJobKey(KindWorkshopCancel, a)+"|"+ws.EventID, workshopCreateAttempts
			jobs = append(jobs, j)
		case ws.Status == playbook.WorkshopScheduled:
			for _, before := range WorkshopReminders {
				at := ws.Start.Add(-before)
				if !at.After(now) {
					continue
				}
				a := workshopArgs{Engagement: e.ID, Workshop: ws.Key, Start: ws.Start, Before: before}
				j, err := newJob(workshopRemindArgs{a})
				if err != nil {
					return nil, err
				}
				j.Key, j.RunAt = workshopJobKey(KindWorkshopRemind, a), at
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, nil
}

// Reconcile queues the jobs of every engagement bound to a known
// conversation.
func (w *WorkshopJobs) Reconcile(ctx context.Context) error {
	refs, err := w.Store.Refs(ctx)
	if err != nil {
		return err
	}
	var all []playbook.Job
	for _, ref := range refs {
		e, err := w.Store.EngagementByConversation(ctx, ref.Key)
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		jobs, err := w.Jobs(e)
		if err != nil {
			return err
		}
		all = append(all, jobs...)
	}
	return enqueueNow(ctx, w.Store, w.Runner, all...)
}

// Run reconciles at once and then every interval until ctx ends.
func (w *WorkshopJobs) Run(ctx context.Context, every time.Duration) {
	reconcileEvery(ctx, every, w.Reconcile, w.log(), "queue workshop jobs")
}

func (w *WorkshopJobs) proactive(ctx context.Context, e *playbook.Engagement, key string, act Outgoing) (playbook.Job, error) {
	return proactivePost(ctx, w.Store, e, key, act)
}

// retryHint is how Graph's errors say they may succeed later; bot names
// the methods, not the graph type.
type retryHint interface {
	Retryable() bool
	RetryDelay() time.Duration
}

// load reads the engagement and workshop it is
// about (ws nil when the engagement no longer has it). e is nil, with no
// error, when the engagement is gone: nothing is left to do. graphOp names
// what the job does through Graph ("create", "cancel"), "" when it needs
// no Graph; without a client that failure is permanent.
func (w *WorkshopJobs) load(ctx context.Context, a workshopArgs, graphOp string) (workshopArgs, *playbook.Engagement, *playbook.Workshop, error) {
	if graphOp != "" && w.Graph == nil {
		return a, nil, nil, Permanent(fmt.Errorf("workshop meeting to %s, but no Graph client is configured", graphOp))
	}
	e, err := w.Store.Engagement(ctx, a.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return a, nil, nil, nil
	}
	if err != nil {
		return a, nil, nil, err
	}
	return a, e, e.Workshop(a.Workshop), nil
}

// WorkCreate is the KindWorkshopCreate worker.
func (w *WorkshopJobs) WorkCreate(ctx context.Context, j playbook.Job) error {
	return Work(w.workCreate)(ctx, j)
}

func (w *WorkshopJobs) workCreate(ctx context.Context, j playbook.Job, args workshopCreateArgs) error {
	a, e, ws, err := w.load(ctx, args.workshopArgs, "create")
	if err != nil || e == nil {
		return err
	}
	if ws == nil || ws.Status != playbook.WorkshopScheduling || !ws.Start.Equal(a.Start) || e.IsClosed() {
		return nil // picked again, cancelled or done meanwhile
	}
	m := playbook.Meeting{
		Organizer: w.Organizer,
		Subject:   e.Customer + ": " + cards.WorkshopTitle(ws.Key),
		BodyHTML:  "<p>FastTrack migration workshop for " + e.Customer + ", scheduled from the engagement's Teams chat.</p>",
		Start:     ws.Start, End: ws.End, TimeZone: ws.TimeZone,
		Attendees:     ws.Attendees,
		TransactionID: playbook.MeetingTransactionID(e.ID, ws.Key, ws.Start),
	}
	if len(m.Attendees) == 0 && w.Organizer != "" {
		m.Attendees = []playbook.Attendee{{Email: w.Organizer}}
	}
	var ev playbook.CalendarEvent
	if ws.EventID != "" {
		// A reschedule: the meeting exists, move it (Graph tells the
		// attendees).
		ev, err = w.Graph.RescheduleMeeting(ctx, w.Organizer, ws.EventID, ws.Start, ws.End, ws.TimeZone)
	} else {
		ev, err = w.Graph.CreateMeeting(ctx, m)
	}
	if err != nil {
		var hint retryHint
		last := j.Attempt+1 >= workshopCreateAttempts
		if errors.As(err, &hint) && hint.Retryable() && !last {
			if d := hint.RetryDelay(); d > 0 {
				return Snooze(d)
			}
			return err // the runner's backoff
		}
		if ctx.Err() != nil {
			return err
		}
		return w.createFailed(ctx, e, a, err)
	}
	for attempt := 0; ; attempt++ {
		ws := e.Workshop(a.Workshop)
		if ws == nil || ws.Status != playbook.WorkshopScheduling || !ws.Start.Equal(a.Start) {
			return nil
		}
		up := ws.Clone()
		up.Status, up.EventID = playbook.WorkshopScheduled, ev.ID
		if ev.JoinURL != "" {
			up.JoinURL = ev.JoinURL
		}
		if up.Token == "" {
			up.Token = newToken(e.ID)
		}
		if err := playbook.SetWorkshop(e, ws.By, up, w.now()); err != nil {
			return Permanent(err)
		}
		v := cards.InvitationView{Notice: "The Teams meeting is created and the invitations are sent.", Now: w.now(), CanAct: true, Graph: true, ICSPath: "/ics/" + up.Token}
		if w.BaseURL != "" {
			v.ICSURL = w.BaseURL + v.ICSPath
		}
		send, err := w.proactive(ctx, e, workshopJobKey("workshop.send", a), cardReply(cards.Invitation(e, up, v)))
		if err != nil {
			return err
		}
		jobs, err := w.Jobs(e)
		if err != nil {
			return err
		}
		err = commitEngagement(ctx, w.Store, w.Runner, e, append([]playbook.Job{send}, jobs...)...)
		if playbook.ErrorCode(err) == playbook.ECONFLICT && attempt < 5 {
			if e, err = w.Store.Engagement(ctx, a.Engagement); err != nil {
				return err
			}
			continue // the same meeting (transaction id) on the fresh engagement
		}
		return err
	}
}

// createFailed puts the workshop back to proposed and tells the channel
// why and what to do; the job is then dead-lettered (Told: nobody is told
// again).
func (w *WorkshopJobs) createFailed(ctx context.Context, e *playbook.Engagement, a workshopArgs, cause error) error {
	what := failureReason(cause)
	text := fmt.Sprintf("I could not create the Teams meeting for **%s** (%s): %s", cards.WorkshopTitle(a.Workshop), a.Start.UTC().Format("Mon 2 Jan 15:04 UTC"), what)
	switch playbook.ErrorCode(cause) {
	case playbook.EFORBIDDEN:
		text += "\n\nAn administrator grants the application permission named above to the bot's app registration (see docs/graph.md); then type **workshops** and pick the slot again."
	default:
		text += "\n\nType **workshops** and pick the slot again; if it keeps failing, check **mvmbot doctor** and Microsoft Graph's health."
	}
	for attempt := 0; attempt < 5; attempt++ {
		ws := e.Workshop(a.Workshop)
		if ws == nil || ws.Status != playbook.WorkshopScheduling || !ws.Start.Equal(a.Start) {
			return Told(cause)
		}
		up := ws.Clone()
		up.Status = playbook.WorkshopProposed
		if err := playbook.SetWorkshop(e, ws.By, up, w.now()); err != nil {
			return Told(cause)
		}
		send, err := w.proactive(ctx, e, workshopJobKey("workshop.failed", a), textReply(text))
		if err != nil {
			return err
		}
		err = commitEngagement(ctx, w.Store, w.Runner, e, send)
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			if e, err = w.Store.Engagement(ctx, a.Engagement); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	w.log().Error("workshop meeting not created", "engagement", a.Engagement, "workshop", a.Workshop, "err", cause)
	return Told(cause)
}

// cancelFailed gives up cancelling ws's meeting: it says so, and stops
// asking (CancelEvent cleared, so the job is not queued again; the event id
// stays for the record). The job is then dead-lettered (Told).
func (w *WorkshopJobs) cancelFailed(ctx context.Context, e *playbook.Engagement, ws *playbook.Workshop, a workshopArgs, cause error) error {
	text := fmt.Sprintf("I could not cancel the Teams meeting of **%s**: %s\n\nCancel it in the organizer's calendar.", cards.WorkshopTitle(a.Workshop), failureReason(cause))
	send, err := w.proactive(ctx, e, workshopJobKey("workshop.cancelfailed", a), textReply(text))
	if err != nil {
		return err
	}
	ws.CancelEvent = false
	if err := commitEngagement(ctx, w.Store, w.Runner, e, send); err != nil {
		return err // ECONFLICT: the job runs again on the fresh engagement
	}
	return Told(cause)
}

// WorkRemind is the KindWorkshopRemind worker: it posts the reminder when
// the workshop is still scheduled at that slot.
func (w *WorkshopJobs) WorkRemind(ctx context.Context, j playbook.Job) error {
	return Work(w.workRemind)(ctx, j)
}

func (w *WorkshopJobs) workRemind(ctx context.Context, j playbook.Job, args workshopRemindArgs) error {
	a, e, ws, err := w.load(ctx, args.workshopArgs, "")
	if err != nil || e == nil {
		return err
	}
	if ws == nil || ws.Status != playbook.WorkshopScheduled || !ws.Start.Equal(a.Start) || e.IsClosed() {
		return nil // cancelled or moved: its own reminders are queued
	}
	in := "tomorrow"
	if a.Before < 24*time.Hour {
		in = "in " + a.Before.String()
		if a.Before == time.Hour {
			in = "in one hour"
		}
	}
	text := fmt.Sprintf("Reminder: the **%s** starts %s, %s.", cards.WorkshopTitle(ws.Key), in, cards.WorkshopState(*ws))
	send, err := w.proactive(ctx, e, workshopJobKey("workshop.remindsend", a), Outgoing{Type: string(schema.Message), Text: text, TextFormat: "markdown"})
	if err != nil {
		return err
	}
	return enqueueNow(ctx, w.Store, w.Runner, send)
}

// WorkCancel is the KindWorkshopCancel worker: it cancels the Graph event
// of a cancelled workshop (the attendees get Graph's cancellation), then
// clears the event from the engagement and removes the pending reminders.
func (w *WorkshopJobs) WorkCancel(ctx context.Context, j playbook.Job) error {
	return Work(w.workCancel)(ctx, j)
}

func (w *WorkshopJobs) workCancel(ctx context.Context, j playbook.Job, args workshopCancelArgs) error {
	a, e, ws, err := w.load(ctx, args.workshopArgs, "cancel")
	if err != nil || e == nil {
		return err
	}
	if ws == nil || ws.Status != playbook.WorkshopCancelled || !ws.CancelEvent || ws.EventID == "" {
		return nil
	}
	eventID := ws.EventID
	if err := w.Graph.CancelMeeting(ctx, w.Organizer, eventID, "The workshop is cancelled."); err != nil && playbook.ErrorCode(err) != playbook.ENOTFOUND {
		var hint retryHint
		if errors.As(err, &hint) && hint.Retryable() && j.Attempt+1 < workshopCreateAttempts {
			if d := hint.RetryDelay(); d > 0 {
				return Snooze(d)
			}
			return err
		}
		return w.cancelFailed(ctx, e, ws, a, err)
	}
	for _, before := range WorkshopReminders {
		key := workshopJobKey(KindWorkshopRemind, workshopArgs{Engagement: a.Engagement, Workshop: a.Workshop, Start: a.Start, Before: before})
		if err := w.Store.Cancel(ctx, key); err != nil && playbook.ErrorCode(err) != playbook.ENOTFOUND {
			w.log().Warn("remove workshop reminder", "key", key, "err", err)
		}
	}
	for attempt := 0; attempt < 5; attempt++ {
		ws := e.Workshop(a.Workshop)
		if ws == nil || ws.EventID != eventID || !ws.CancelEvent {
			return nil
		}
		ws.CancelEvent, ws.EventID = false, ""
		err := commitEngagement(ctx, w.Store, nil, e)
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			if e, err = w.Store.Engagement(ctx, a.Engagement); err != nil {
				return err
			}
			continue
		}
		return err
	}
	return nil
}
