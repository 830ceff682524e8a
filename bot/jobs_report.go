package bot

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// Job kinds of the MVM's recurring work (issue 8). Stored with the jobs:
// never rename one.
const (
	// KindReportWeekly posts an engagement's weekly report card to its
	// conversation at one weekly slot, then queues the next slot.
	KindReportWeekly = "report.weekly"
	// KindEscalationRemind reminds the single point of contact of an
	// escalation nobody acknowledged, then queues the next reminder.
	KindEscalationRemind = "escalation.remind"
)

// WeeklyTime is a weekday and a time of day, in the customer's time zone.
type WeeklyTime struct {
	Day          time.Weekday
	Hour, Minute int
}

// DefaultReportTime is when the weekly report is posted unless configured:
// Monday 09:00, the customer's morning.
var DefaultReportTime = WeeklyTime{Day: time.Monday, Hour: 9}

// DefaultRemindAfter is how long an escalation waits unacknowledged before
// the point of contact is reminded, and between reminders.
const DefaultRemindAfter = 24 * time.Hour

// MigrationJobs runs the weekly report and the escalation reminders: its
// two workers (WorkReport, WorkRemind) and Run, which keeps one report job queued per open
// engagement and one reminder per unacknowledged escalation. Both are
// idempotent: each job's key names its engagement and slot, so a job exists
// once however often Run and the workers queue it.
type MigrationJobs struct {
	Store       WorkerStore
	Now         func() time.Time // nil: time.Now
	ReportAt    *WeeklyTime      // nil: DefaultReportTime
	RemindAfter time.Duration    // 0: DefaultRemindAfter
	Log         *slog.Logger     // nil: discarded
	// Runner, when set, runs at once the posts a worker commits; without
	// it they run when their lease ends (a minute or two late).
	Runner *Runner
}

func (m *MigrationJobs) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *MigrationJobs) remindAfter() time.Duration {
	if m.RemindAfter > 0 {
		return m.RemindAfter
	}
	return DefaultRemindAfter
}

func (m *MigrationJobs) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.New(slog.DiscardHandler)
}

// reportArgs and remindArgs are the jobs' stored arguments.
type reportArgs struct {
	Engagement string    `json:"engagement"`
	Slot       time.Time `json:"slot"`
}

type remindArgs struct {
	Engagement string `json:"engagement"`
	Escalation int    `json:"escalation"`
	Reminder   int    `json:"reminder"` // the reminder this job sends: 1, 2, …
}

// reportZone is the customer's time zone: the accepted plan's, else the
// latest questionnaire's answer, else UTC.
func reportZone(e *playbook.Engagement) *time.Location {
	name := ""
	if p, ok := playbook.LatestPlan(e); ok {
		name = p.TimeZone
	}
	if name == "" && len(e.Questionnaire) > 0 {
		name = e.Questionnaire[len(e.Questionnaire)-1].Answers["time-zone"]
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// NextSlot is the first time after now that is at w in loc.
func NextSlot(now time.Time, w WeeklyTime, loc *time.Location) time.Time {
	l := now.In(loc)
	t := time.Date(l.Year(), l.Month(), l.Day(), w.Hour, w.Minute, 0, 0, loc)
	t = t.AddDate(0, 0, (int(w.Day)-int(t.Weekday())+7)%7)
	if !t.After(now) {
		t = t.AddDate(0, 0, 7)
	}
	return t.UTC()
}

// reportTime is when e's weekly report is posted: its own schedule, else
// the bot's; ok false when the engagement turned the post off.
func (m *MigrationJobs) reportTime(e *playbook.Engagement) (WeeklyTime, bool) {
	if r := e.ReportSchedule; r != nil {
		return WeeklyTime{Day: r.Day, Hour: r.Hour, Minute: r.Minute}, !r.Off
	}
	if m.ReportAt != nil {
		return *m.ReportAt, true
	}
	return DefaultReportTime, true
}

// reportJob is e's next weekly report after after; ok false when it has
// none.
func (m *MigrationJobs) reportJob(e *playbook.Engagement, after time.Time) (playbook.Job, bool, error) {
	w, ok := m.reportTime(e)
	if !ok {
		return playbook.Job{}, false, nil
	}
	j, err := reportJobAt(e, w, after)
	return j, err == nil, err
}

// reportJobAt is the report job of e's next slot of w after after.
func reportJobAt(e *playbook.Engagement, w WeeklyTime, after time.Time) (playbook.Job, error) {
	slot := NextSlot(after, w, reportZone(e))
	j, err := newJob(reportArgs{Engagement: e.ID, Slot: slot})
	j.Key, j.RunAt = KindReportWeekly+"|"+e.ID+"|"+slot.Format(time.RFC3339), slot
	return j, err
}

func (m *MigrationJobs) remindJob(e *playbook.Engagement, x playbook.Escalation) (playbook.Job, error) {
	last := x.At
	if x.RemindedAt.After(last) {
		last = x.RemindedAt
	}
	n := x.Reminders + 1
	j, err := newJob(remindArgs{Engagement: e.ID, Escalation: x.ID, Reminder: n})
	j.Key, j.RunAt = fmt.Sprintf("%s|%s|%d|%d", KindEscalationRemind, e.ID, x.ID, n), last.Add(m.remindAfter())
	return j, err
}

// Schedule returns the jobs e needs queued now: its next weekly report and
// a reminder per open escalation. None for a closed engagement.
func (m *MigrationJobs) Schedule(e *playbook.Engagement) ([]playbook.Job, error) {
	if e.IsClosed() {
		return nil, nil
	}
	var jobs []playbook.Job
	r, ok, err := m.reportJob(e, m.now())
	if err != nil {
		return nil, err
	}
	if ok {
		jobs = append(jobs, r)
	}
	for _, x := range e.Escalations {
		if x.State != playbook.EscalationOpen {
			continue
		}
		j, err := m.remindJob(e, x)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// Reconcile queues, for every engagement bound to a known conversation, the
// jobs Schedule returns (those queued already are skipped by key).
func (m *MigrationJobs) Reconcile(ctx context.Context) error {
	refs, err := m.Store.Refs(ctx)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		e, err := m.Store.EngagementByConversation(ctx, ref.Key)
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		jobs, err := m.Schedule(e)
		if err != nil {
			return err
		}
		if err := enqueueNow(ctx, m.Store, m.Runner, jobs...); err != nil {
			return err
		}
	}
	return nil
}

// Run reconciles at once and then every interval until ctx ends, so that a
// new engagement gets its weekly report and a new escalation its reminder
// within one interval.
func (m *MigrationJobs) Run(ctx context.Context, every time.Duration) {
	reconcileEvery(ctx, every, m.Reconcile, m.log(), "schedule reports and reminders")
}

// reconcileEvery runs reconcile at once and then every interval until ctx
// ends; a failure is logged and tried again at the next tick.
func reconcileEvery(ctx context.Context, every time.Duration, reconcile func(context.Context) error, log *slog.Logger, what string) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := reconcile(ctx); err != nil && ctx.Err() == nil {
			log.Warn(what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// proactive is a KindSend job posting act to e's conversation.
func (m *MigrationJobs) proactive(ctx context.Context, e *playbook.Engagement, key string, act Outgoing) (playbook.Job, error) {
	return proactivePost(ctx, m.Store, e, key, act)
}

// refReader finds a stored conversation reference.
type refReader interface {
	Ref(ctx context.Context, key string) (playbook.ConversationRef, error)
}

// proactivePost is a KindSend job that posts act as a new message in e's
// channel or chat, through the reference its last inbound activity left.
func proactivePost(ctx context.Context, refs refReader, e *playbook.Engagement, key string, act Outgoing) (playbook.Job, error) {
	ref, err := refs.Ref(ctx, e.Conversation)
	if err != nil {
		return playbook.Job{}, err
	}
	return proactiveSend(ref, key, act)
}

// proactiveSend is the job sending act to the conversation of ref, paced
// by the sender's proactive rate limits; key "" for none.
func proactiveSend(ref playbook.ConversationRef, key string, act Outgoing) (playbook.Job, error) {
	return sendJob(key, sendArgs{Op: "send", ServiceURL: ref.ServiceURL, ConversationID: ref.Key, TenantID: ref.TenantID, Proactive: true, Activity: act})
}

// load reads the engagement a job is about; a job whose engagement is gone
// or closed has nothing to do (ok false).
func (m *MigrationJobs) load(ctx context.Context, id string) (*playbook.Engagement, bool, error) {
	e, err := m.Store.Engagement(ctx, id)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return e, !e.IsClosed(), nil
}

// WorkReport is the KindReportWeekly worker: it posts the report card and
// queues the next week's slot, in one enqueue.
func (m *MigrationJobs) WorkReport(ctx context.Context, j playbook.Job) error {
	return Work(m.workReport)(ctx, j)
}

func (m *MigrationJobs) workReport(ctx context.Context, _ playbook.Job, a reportArgs) error {
	e, ok, err := m.load(ctx, a.Engagement)
	if err != nil || !ok {
		return err
	}
	if w, on := m.reportTime(e); !on || !NextSlot(a.Slot.Add(-time.Second), w, reportZone(e)).Equal(a.Slot) {
		return nil // rescheduled or turned off: the job of the new slot is queued
	}
	card := cards.Report(e, playbook.WeeklyReport(e, m.now()), progressPicture(e, m.now()))
	send, err := m.proactive(ctx, e, "report.send|"+e.ID+"|"+a.Slot.Format(time.RFC3339), cardReply(card))
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return Permanent(fmt.Errorf("weekly report of %s: no conversation reference: %w", e.ID, err))
	}
	if err != nil {
		return err
	}
	jobs := []playbook.Job{send}
	if next, ok, err := m.reportJob(e, maxTime(a.Slot, m.now())); err != nil {
		return err
	} else if ok {
		jobs = append(jobs, next)
	}
	return enqueueNow(ctx, m.Store, m.Runner, jobs...)
}

// WorkRemind is the KindEscalationRemind worker: it reminds the point of
// contact of an escalation still open, records the reminder in the
// engagement and queues the next, in one commit. An escalation acknowledged
// or resolved meanwhile needs nothing.
func (m *MigrationJobs) WorkRemind(ctx context.Context, j playbook.Job) error {
	return Work(m.workRemind)(ctx, j)
}

func (m *MigrationJobs) workRemind(ctx context.Context, _ playbook.Job, a remindArgs) error {
	e, ok, err := m.load(ctx, a.Engagement)
	if err != nil || !ok {
		return err
	}
	now := m.now()
	var x *playbook.Escalation
	for _, d := range playbook.DueForReminder(e, now, m.remindAfter()) {
		if d.ID == a.Escalation {
			x = &d
		}
	}
	if x == nil || x.Reminders+1 != a.Reminder {
		return nil // acknowledged, resolved, or reminded by another job
	}
	if err := playbook.RecordEscalationReminder(e, x.ID, now); err != nil {
		return nil // no longer open: nothing to remind
	}
	text := fmt.Sprintf("Reminder %d: escalation **#%d** (%s) has waited %s without being acknowledged: %s", a.Reminder, x.ID, x.Severity, cardsAge(now.Sub(x.At)), truncate(x.Text, 300))
	act := Outgoing{Type: string(schema.Message), TextFormat: "markdown"}
	if c, found := e.Member(x.Contact); found && x.Contact != "" {
		at := "<at>" + displayName(c) + "</at>"
		text = at + ", " + text + "\n\nType **escalations** to acknowledge it."
		act.Entities = []map[string]any{mentionEntity(c, at)}
	} else {
		text += fmt.Sprintf("\n\nNobody holds the %s role: the lead gives it with **role @person %s**.", x.ContactRole, x.ContactRole)
	}
	act.Text = text
	send, err := m.proactive(ctx, e, fmt.Sprintf("escalation.send|%s|%d|%d", e.ID, x.ID, a.Reminder), act)
	if err != nil {
		return err
	}
	for i := range e.Escalations {
		if e.Escalations[i].ID == x.ID {
			x = &e.Escalations[i]
		}
	}
	next, err := m.remindJob(e, *x)
	if err != nil {
		return err
	}
	// ECONFLICT: the job is retried on the fresh engagement.
	return commitEngagement(ctx, m.Store, m.Runner, e, send, next)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// cardsAge is a duration as people say it: 26 hours, 3 days.
func cardsAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%d hours", int(d/time.Hour))
}
