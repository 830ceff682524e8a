package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// reportCommands are the commands of this file (see Command).
var reportCommands = []Command{
	{Name: "report", Usage: "report [csv|schedule <day> <hh:mm>]", Scopes: allScopes,
		Description: "The weekly status report now, the engagement as CSV, or when the report is posted",
		Help: "Units against the plan and this month's forecast, the next events, pre-flight failures, issues, escalations, overdue tasks, notes and the success metrics. " +
			"It is also posted every week, Monday 09:00 in the customer's time zone from the questionnaire unless **report schedule friday 16:00** (the MVM or the MST) says otherwise; **report schedule off** stops the post. **report csv** gives months, events, units, issues and tasks for a spreadsheet.",
		Rank: 160,
		Run:  (*turn).reportCommand},
}

// reportButtons are the buttons of this file's cards (see Button).
var reportButtons = []Button{
	{Verbs: []string{cards.VerbReport},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.report(d) }},
}

// The weekly status report in the conversation (issue 8): report posts the
// card now, report csv the export as a code block. The weekly post itself is
// a job (below).

// reportCSVMax bounds the CSV shown in one message, well below Teams' 28 KB
// per message, so that the code block and its explanation fit.
const reportCSVMax = 20 << 10

// reportCommand runs "report", "report csv" and "report schedule".
func (t *turn) reportCommand(args string) (answer, error) {
	sub, rest := splitCommand(args)
	switch sub {
	case "":
		return t.report(cards.ActionData{})
	case "csv":
		e, err := t.here()
		if err != nil {
			return answer{}, err
		}
		return answer{text: reportCSVText(e)}, nil
	case "schedule":
		return t.reportSchedule(rest)
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "**report** posts the weekly status now; **report csv** exports it for a spreadsheet; **report schedule monday 09:00** sets when it is posted. %q is none of those.", truncate(sub, 30))
}

// report answers the weekly report card; anyone in the engagement may see it.
func (t *turn) report(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := loadHistory(t.ctx, t.c.Engagements, e, 0); err != nil {
		return answer{}, err
	}
	return answer{card: cards.Report(e, playbook.WeeklyReport(e, t.now), progressPicture(e, t.now))}, nil
}

// reportCSVText is ReportCSV as a code block, cut at a line when longer
// than reportCSVMax, saying so.
func reportCSVText(e *playbook.Engagement) string {
	block, shown, total := csvBlock(playbook.ReportCSV(e))
	note := fmt.Sprintf("The %s engagement as CSV (%d rows with the header): copy it into a file, or paste it into a spreadsheet.", markdown.Escape(e.Customer), total)
	if shown < total {
		note = fmt.Sprintf("The %s engagement as CSV, **cut**: the first %d of %d rows, as one message holds no more. The months and events come first; the units, issues and tasks after them were left out.",
			markdown.Escape(e.Customer), shown, total)
	}
	return note + "\n\n" + block
}

// csvBlock is csv as a markdown code block, cut at a row when longer than
// reportCSVMax, with the rows shown and in all (the header included).
func csvBlock(csv []byte) (block string, shown, total int) {
	// A cell cannot end the code block early.
	csv = bytes.ReplaceAll(csv, []byte("```"), []byte("'''"))
	total = bytes.Count(csv, []byte("\n"))
	if len(csv) > reportCSVMax {
		csv = csv[:bytes.LastIndexByte(csv[:reportCSVMax], '\n')+1]
	}
	shown = bytes.Count(csv, []byte("\n"))
	return "```\n" + strings.TrimRight(string(csv), "\n") + "\n```", shown, total
}

// reportSchedule runs "report schedule [<day> <hh:mm>|off]": without
// arguments it says when the report is posted. The next report's job is
// queued with the change; the job of the old slot finds it moved and posts
// nothing.
func (t *turn) reportSchedule(args string) (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	zone := reportZone(e).String()
	if strings.TrimSpace(args) == "" {
		when := "Monday 09:00 (the default)"
		if r := e.ReportSchedule; r != nil {
			when = r.String()
		}
		return answer{text: fmt.Sprintf("The %s weekly report is posted: %s, %s time. **report schedule friday 16:00** changes it, **report schedule off** stops it.", markdown.Escape(e.Customer), when, zone)}, nil
	}
	r, err := playbook.ParseReportSchedule(args)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.SetReportSchedule(e, t.a.From.ID, r, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	if r.Off {
		return save(e, answer{text: fmt.Sprintf("%s turned the weekly report off. **report** still shows it; **report schedule monday 09:00** turns it back on.", displayName(t.me()))}), nil
	}
	j, err := reportJobAt(e, WeeklyTime{Day: r.Day, Hour: r.Hour, Minute: r.Minute}, t.now)
	if err != nil {
		return answer{}, err
	}
	ans := answer{text: fmt.Sprintf("%s set the weekly report to %s, %s time; the next one is posted %s UTC.", displayName(t.me()), r, zone, j.RunAt.Format("Mon 2 Jan 15:04"))}
	if e.Conversation != "" {
		ans.jobs = []playbook.Job{j}
	}
	return save(e, ans), nil
}

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
	WorkerEnv
	ReportAt    *WeeklyTime   // nil: DefaultReportTime
	RemindAfter time.Duration // 0: DefaultRemindAfter
}

func (m *MigrationJobs) remindAfter() time.Duration {
	if m.RemindAfter > 0 {
		return m.RemindAfter
	}
	return DefaultRemindAfter
}

// reportArgs and remindArgs are the jobs' stored arguments.
type reportArgs struct {
	Engagement string    `json:"engagement"`
	Slot       time.Time `json:"slot"`
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
	if err := loadHistory(ctx, m.Store, e, 0); err != nil {
		return err
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

func (reportArgs) Kind() string { return KindReportWeekly }

// AddWorkers registers the weekly report and escalation reminder workers.
func (m *MigrationJobs) AddWorkers(ws Workers) {
	AddWorker(ws, m.workReport)
	AddWorker(ws, m.workRemind)
}

// TellReport tells when a weekly report could not be posted.
func (m *MigrationJobs) TellReport(ctx context.Context, j playbook.Job, n JobNotice) error {
	if !n.Dead {
		return nil
	}
	id, err := engagementOf(j)
	if err != nil {
		return err
	}
	text := fmt.Sprintf("I could not post this week's report: %s\n\nType **report** to see it now; an operator can retry the post with **mvmbot jobs retry %d**.", internalReason(n.Err), j.ID)
	return postNotice(ctx, m.Store, m.Runner, id, noticeKey(j, n), text)
}
