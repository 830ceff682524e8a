package bot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// workshopCommands are the commands of this file (see Command).
var workshopCommands = []Command{
	{Name: "workshops", Aliases: []string{"workshop"}, Usage: "workshops", Scopes: sharedScope,
		Description: "The MST workshops with their state; schedule, reschedule, cancel or mark them held",
		Help: "Lists the migration workshop of each source, Migration Hub (4027), secure connectivity (3312), Power BI (4008) and, when the questionnaire asks for it or someone adds it, the credential review (3614). " +
			"**Schedule** asks for a duration, the earliest date and a daily window in the customer's time zone, then proposes slots; **Schedule together** books the migration and Migration Hub workshops as one meeting. " +
			"The MST, the MVM, the FRP and the lead may schedule; Mark held completes the workshop's tasks. " +
			"A workshop held elsewhere is recorded, as an override, with **workshop 1635 held elsewhere** followed by where and when.",
		Rank: 170,
		Run: func(t *turn, args string) (answer, error) {
			if strings.TrimSpace(args) != "" {
				return t.workshopCommand(args)
			}
			return t.workshops(cards.ActionData{}, "", false)
		}},
}

// workshopButtons are the buttons of this file's cards (see Button).
var workshopButtons = []Button{
	{Verbs: []string{cards.VerbWorkshops},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.workshops(d, "", false)
		}},
	{Verbs: []string{cards.VerbWorkshopSchedule},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.workshopSchedule(d)
		}},
	{Verbs: []string{cards.VerbWorkshopSlots},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.workshopSlots(d, raw)
		}},
	{Verbs: []string{cards.VerbWorkshopPick},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.workshopPick(d, raw)
		}},
	{Verbs: []string{cards.VerbWorkshopHeld},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.workshopHeld(d)
		}},
	{Verbs: []string{cards.VerbWorkshopCancel},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.workshopCancel(d)
		}},
	{Verbs: []string{cards.VerbWorkshopAdd},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.workshopAdd(d)
		}},
}

// Workshops is what the conversation needs from Microsoft Graph to schedule
// the MST workshops as Teams meetings; *graph.Client implements it
// (cmd/mvmbot passes it in when MVMBOT_ORGANIZER is set). nil is local mode:
// workshops are recorded and offered as an .ics invitation, with no Graph
// call. An organizer of "" means the configured one. Errors carry playbook
// codes (a 403 names the missing permission in its message) and, when
// Graph asks to come back later, a retry hint: the error has the methods
// Retryable() bool and RetryDelay() time.Duration.
type Workshops interface {
	Schedule(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]playbook.Availability, error)
	CreateMeeting(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error)
	RescheduleMeeting(ctx context.Context, organizer, eventID string, start, end time.Time, tz string) (playbook.CalendarEvent, error)
	CancelMeeting(ctx context.Context, organizer, eventID, comment string) error
}

// scheduleTimeout bounds the free/busy read a turn makes: Teams waits only
// seconds for the answer.
const scheduleTimeout = 4 * time.Second

// slotSearchDays is how far after the earliest date slots are looked for.
const slotSearchDays = 14

// workshops answers "workshops" and the card's Refresh: the engagement's
// workshops with their state.
func (t *turn) workshops(d cards.ActionData, notice string, attention bool) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: t.workshopsCard(e, notice, attention)}, nil
}

func (t *turn) workshopsCard(e *playbook.Engagement, notice string, attention bool) *cards.Card {
	can := playbook.Can(e, t.a.From.ID, playbook.ActionWorkshop, nil) == nil
	return cards.Workshops(e, cards.WorkshopsView{Notice: notice, Attention: attention, CanSchedule: can, ICSBase: t.c.BaseURL})
}

// workshopEngagement is the engagement of a workshop command or button:
// the one the button names, else the conversation's.
func (t *turn) workshopEngagement(d cards.ActionData) (*playbook.Engagement, error) {
	if d.Engagement != "" {
		return t.target(d)
	}
	if t.personal() {
		// An invitee's own view: their one open engagement's workshops,
		// with the Add to calendar links.
		// With several, here() answers the picker (pick.go).
		return t.here()
	}
	return t.here()
}

// workshopTarget checks that the person may schedule, and that key is a
// workshop of e; it returns the tasks the workshop covers.
func (t *turn) workshopTarget(e *playbook.Engagement, key string) ([]string, error) {
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionWorkshop, nil); err != nil {
		return nil, err
	}
	if key == playbook.WorkshopTogether {
		tasks := playbook.TogetherTasks(e)
		if tasks == nil {
			return nil, playbook.Errorf(playbook.EINVALID, "This engagement has no migration workshop to hold together with the Migration Hub workshop.")
		}
		return tasks, nil
	}
	for _, tk := range playbook.WorkshopTasks(e) {
		if tk.Key == key {
			return []string{key}, nil
		}
	}
	return nil, playbook.Errorf(playbook.EINVALID, "%q is not one of this engagement's workshops: type **workshops** for the list.", truncate(key, 40))
}

// customerZone is the customer's time zone from the latest questionnaire,
// "" (UTC) when none is known.
func customerZone(e *playbook.Engagement) string {
	if q, ok := playbook.LatestQuestionnaire(e); ok {
		if z := q.Answers["time-zone"]; z != "" {
			if _, err := time.LoadLocation(z); err == nil {
				return z
			}
		}
	}
	return ""
}

func zoneLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// workshopAttendees are the people invited: the questionnaire's contacts
// and the engagement's members that have an email address.
func workshopAttendees(e *playbook.Engagement) []playbook.Attendee {
	var out []playbook.Attendee
	add := func(addr, name string) {
		addr = strings.TrimSpace(addr)
		if addr == "" || !strings.Contains(addr, "@") || slices.ContainsFunc(out, func(a playbook.Attendee) bool { return strings.EqualFold(a.Email, addr) }) {
			return
		}
		out = append(out, playbook.Attendee{Email: addr, Name: name})
	}
	if q, ok := playbook.LatestQuestionnaire(e); ok {
		for _, f := range []struct{ email, name string }{{"tech-contact-email", "tech-contact"}, {"business-contact-email", "business-contact"}, {"comms-owner-email", "comms-owner"}} {
			add(q.Answers[f.email], q.Answers[f.name])
		}
	}
	// The engagement's members whose address the Teams roster gave when
	// their role was assigned: the FRP, the MST, the MVM and the customer
	// all attend the workshops.
	for _, m := range e.Members {
		add(m.Email, m.Name)
	}
	return out
}

// workshopSchedule opens the schedule form of workshop d.Task.
func (t *turn) workshopSchedule(d cards.ActionData) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	tasks, err := t.workshopTarget(e, d.Task)
	if err != nil {
		return answer{}, err
	}
	// Asked again when slots are offered (playbook.SetWorkshop); here so
	// that nobody fills in the form for nothing.
	if w := e.Workshop(d.Task); w == nil || w.Status == playbook.WorkshopNotScheduled || w.Status == playbook.WorkshopCancelled {
		if err := playbook.WorkshopReady(e, tasks); err != nil {
			return answer{}, err
		}
	}
	zone := customerZone(e)
	earliest := t.now.In(zoneLocation(zone)).AddDate(0, 0, 1)
	return answer{card: cards.WorkshopSchedule(e, cards.WorkshopForm{Key: d.Task, Minutes: 60, Earliest: earliest, From: 9, To: 17, Zone: zone})}, nil
}

// workshopSlots takes the schedule form and proposes slots: with Graph,
// from the organizer's and the attendees' free/busy; without, from the
// daily window and working hours only.
func (t *turn) workshopSlots(d cards.ActionData, raw json.RawMessage) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	tasks, err := t.workshopTarget(e, d.Task)
	if err != nil {
		return answer{}, err
	}
	zone := customerZone(e)
	f, err := cards.DecodeWorkshopForm(raw)
	f.Key, f.Zone = d.Task, zone
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		f.Problem = playbook.ErrorMessage(err)
		return answer{card: cards.WorkshopSchedule(e, f)}, nil
	}
	loc := zoneLocation(zone)
	from := time.Date(f.Earliest.Year(), f.Earliest.Month(), f.Earliest.Day(), 0, 0, 0, 0, loc)
	q := playbook.SlotQuery{
		Duration: time.Duration(f.Minutes) * time.Minute,
		From:     from, To: from.AddDate(0, 0, slotSearchDays),
		Customer: playbook.DailyHours{From: time.Duration(f.From) * time.Hour, To: time.Duration(f.To) * time.Hour, Location: loc},
		Max:      5,
	}
	notice := "From the daily window and working hours only: no calendars were read (no Graph organizer configured)."
	if t.c.Workshops != nil {
		people := []string{}
		if t.c.Organizer != "" {
			people = append(people, t.c.Organizer)
		}
		for _, a := range workshopAttendees(e) {
			people = append(people, a.Email)
		}
		if len(people) > 0 {
			ctx, cancel := context.WithTimeout(t.ctx, scheduleTimeout)
			avail, err := t.c.Workshops.Schedule(ctx, "", people, q.From, q.To, 30*time.Minute)
			cancel()
			if err != nil {
				notice = "Free/busy could not be read (" + playbook.ErrorMessage(err) + "), so these are from working hours only."
			} else {
				notice = "Everyone invited is free at these times: " + strings.Join(people, ", ") + "."
				for _, a := range avail {
					if a.Error != "" {
						continue // an unknown address does not block a slot
					}
					a.Hours = playbook.DefaultWorkingHours(loc)
					if a.WorkingHours != nil {
						if l, err := time.LoadLocation(a.WorkingHours.TimeZone); err == nil {
							a.Hours = a.WorkingHours.Daily(l)
						}
					}
					q.Attendees = append(q.Attendees, a)
				}
			}
		}
	}
	slots, err := playbook.FreeSlots(q, t.now)
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		f.Problem = playbook.ErrorMessage(err)
		return answer{card: cards.WorkshopSchedule(e, f)}, nil
	}
	card := cards.WorkshopSlots(e, d.Task, slots, zone, notice)
	if cur := e.Workshop(d.Task); cur == nil || cur.Status == playbook.WorkshopNotScheduled || cur.Status == playbook.WorkshopCancelled {
		w := playbook.Workshop{Key: d.Task, Tasks: tasks, Status: playbook.WorkshopProposed, TimeZone: zone}
		if cur != nil {
			w.Token, w.Added = cur.Token, cur.Added
		}
		if err := playbook.SetWorkshop(e, t.a.From.ID, w, t.now); err != nil {
			return answer{}, err
		}
		bump(e)
		card = cards.WorkshopSlots(e, d.Task, slots, zone, notice)
		return t.saveWorkshops(e, answer{card: card})
	}
	return answer{card: card}, nil
}

// workshopPick books the slot a person picked. Without Graph the workshop
// is recorded as scheduled at once and the invitation card says there is
// no Teams meeting; the .ics link adds it to calendars.
func (t *turn) workshopPick(d cards.ActionData, raw json.RawMessage) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	tasks, err := t.workshopTarget(e, d.Task)
	if err != nil {
		return answer{}, err
	}
	start, dur, err := cards.DecodeWorkshopPick(raw)
	if err != nil {
		return answer{}, err
	}
	if !start.After(t.now) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "That slot has passed: pick another, or find new slots.")
	}
	cur := e.Workshop(d.Task)
	if cur != nil && cur.Status == playbook.WorkshopScheduled && cur.Start.Equal(start) {
		return answer{card: t.invitation(e, *cur, "")}, nil // a second click on the same slot
	}
	if cur != nil && cur.Status == playbook.WorkshopScheduling {
		return answer{card: t.workshopsCard(e, "This workshop is being scheduled already; the invitation follows here.", false)}, nil
	}
	w := playbook.Workshop{Key: d.Task, Tasks: tasks, Status: playbook.WorkshopScheduled, Start: start, End: start.Add(dur),
		TimeZone: customerZone(e), Attendees: workshopAttendees(e)}
	verb := "scheduled"
	if cur != nil {
		w.Token, w.Added = cur.Token, cur.Added
		if cur.Status == playbook.WorkshopScheduled {
			verb = "rescheduled"
		}
	}
	if w.Token == "" {
		w.Token = newToken(e.ID)
	}
	if t.c.Workshops != nil {
		// The meeting is created (or, when it exists, moved) by a durable
		// job (below); its invitation card is posted here.
		w.Status = playbook.WorkshopScheduling
		if cur != nil && cur.Status == playbook.WorkshopScheduled {
			w.EventID, w.JoinURL = cur.EventID, cur.JoinURL
		}
	}
	if err := playbook.SetWorkshop(e, t.a.From.ID, w, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	if w.Status == playbook.WorkshopScheduling {
		return t.saveWorkshops(e, answer{card: t.workshopsCard(e, "Scheduling… I am creating the Teams meeting; the invitation follows here.", false)})
	}
	ans := t.withPosts(e, answer{card: t.invitation(e, w, "The workshop is "+verb+".")}, invitationPost(e, w, t.invitation(e, w, "")))
	return t.saveWorkshops(e, ans)
}

// invitationPost is the invitation card of w posted as a new message that
// @mentions the invitees who are members of the engagement, so Teams
// notifies them (the others get the invitation by mail or the .ics).
func invitationPost(e *playbook.Engagement, w playbook.Workshop, card *cards.Card) Outgoing {
	var ms []playbook.Member
	for _, m := range e.Members {
		if slices.ContainsFunc(w.Attendees, func(a playbook.Attendee) bool { return m.Email != "" && strings.EqualFold(a.Email, m.Email) }) {
			ms = append(ms, m)
		}
	}
	out := cardReply(card)
	out.TextFormat = "markdown"
	out.Text, out.Entities = mentionText(ms, "you are invited to the workshop **"+cards.WorkshopTitle(w.Key)+"**.")
	return out
}

// invitation is the invitation card of w as the person sees it.
func (t *turn) invitation(e *playbook.Engagement, w playbook.Workshop, notice string) *cards.Card {
	v := cards.InvitationView{Notice: notice, Now: t.now, CanAct: playbook.Can(e, t.a.From.ID, playbook.ActionWorkshop, nil) == nil,
		Graph: w.EventID != "", ICSPath: "/ics/" + w.Token}
	if t.c.BaseURL != "" && w.Token != "" {
		v.ICSURL = strings.TrimRight(t.c.BaseURL, "/") + v.ICSPath
	}
	return cards.Invitation(e, w, v)
}

// workshopHeld marks a workshop held, after its start, and completes its
// playbook tasks as done by the person.
func (t *turn) workshopHeld(d cards.ActionData) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	if _, err := t.workshopTarget(e, d.Task); err != nil {
		return answer{}, err
	}
	tasks, left, err := playbook.MarkWorkshopHeld(e, t.a.From.ID, d.Task, t.now)
	if err != nil {
		if code := playbook.ErrorCode(err); code == playbook.EINVALID || code == playbook.ENOTFOUND {
			return answer{card: t.workshopsCard(e, playbook.ErrorMessage(err), true)}, nil
		}
		return answer{}, err
	}
	bump(e)
	notice := "The workshop is marked held."
	if len(tasks) > 0 {
		done := make([]string, len(tasks))
		for i, task := range tasks {
			done[i] = task.Ref()
		}
		notice += " Done: " + strings.Join(done, ", ") + "."
	}
	if len(left) > 0 {
		notice += " Still open: " + strings.Join(left, "; ") + "; each completes once those are done (type **done** and the task then)."
	}
	return t.saveWorkshops(e, answer{card: t.workshopsCard(e, notice, false)})
}

// workshopCancel cancels a workshop's meeting.
func (t *turn) workshopCancel(d cards.ActionData) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	if _, err := t.workshopTarget(e, d.Task); err != nil {
		return answer{}, err
	}
	cur := e.Workshop(d.Task)
	if cur == nil || (cur.Status != playbook.WorkshopScheduled && cur.Status != playbook.WorkshopProposed) {
		return answer{card: t.workshopsCard(e, "There is no scheduled workshop to cancel.", true)}, nil
	}
	w := cur.Clone()
	w.Status = playbook.WorkshopCancelled
	notice := "The workshop is cancelled. Those who added the .ics invitation remove it from their calendars."
	if w.EventID != "" && t.c.Workshops != nil {
		// A job cancels the Graph event, which tells the attendees.
		w.CancelEvent = true
		notice = "The workshop is cancelled; I am cancelling the Teams meeting, which tells the attendees."
	}
	if err := playbook.SetWorkshop(e, t.a.From.ID, w, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	return t.saveWorkshops(e, answer{card: t.workshopsCard(e, notice, false)})
}

// workshopAdd adds the optional credential review (3614) to the workshops.
func (t *turn) workshopAdd(d cards.ActionData) (answer, error) {
	e, err := t.workshopEngagement(d)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionWorkshop, nil); err != nil {
		return answer{}, err
	}
	if d.Task != "credential-review" {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Only the credential review (3614) is added by hand.")
	}
	if w := e.Workshop(d.Task); w != nil && w.Added {
		return answer{card: t.workshopsCard(e, "The credential review is already in the list.", false)}, nil
	}
	w := playbook.Workshop{Key: d.Task, Tasks: []string{d.Task}, Added: true}
	if cur := e.Workshop(d.Task); cur != nil {
		w = cur.Clone()
		w.Added = true
	}
	if err := playbook.SetWorkshop(e, t.a.From.ID, w, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	return t.saveWorkshops(e, answer{card: t.workshopsCard(e, "The credential review (3614) is added.", false)})
}

// newToken is the unguessable name of a workshop's .ics download: the
// engagement id, then 128 random bits.
func newToken(engagementID string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return engagementID + "." + base64.RawURLEncoding.EncodeToString(b)
}

// errNoWorkshop is ENOTFOUND for an unknown .ics token.
var errNoWorkshop = errors.New("no workshop has that calendar token")

// workshopByToken finds the engagement and workshop of an .ics token.
func workshopByToken(ctx context.Context, r EngagementReader, token string) (*playbook.Engagement, playbook.Workshop, error) {
	id, _, ok := strings.Cut(token, ".")
	if !ok || id == "" {
		return nil, playbook.Workshop{}, errNoWorkshop
	}
	e, err := r.Engagement(ctx, id)
	if err != nil {
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			return nil, playbook.Workshop{}, errNoWorkshop
		}
		return nil, playbook.Workshop{}, fmt.Errorf("read engagement for .ics: %w", err)
	}
	w := e.WorkshopByToken(token)
	if w == nil {
		return nil, playbook.Workshop{}, errNoWorkshop
	}
	return e, w.Clone(), nil
}

// saveWorkshops is save for a workshop change, with the jobs the change
// wants (a meeting to create or cancel, reminders) queued in its commit:
// the meeting is booked right after the click, not at the next scan.
func (t *turn) saveWorkshops(e *playbook.Engagement, ans answer) (answer, error) {
	jobs, err := workshopJobs(e, t.c.Workshops != nil, t.now)
	if err != nil {
		return answer{}, err
	}
	ans.jobs = append(ans.jobs, jobs...)
	return save(e, ans), nil
}

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
// (runner.go). After the last, the channel is told what to do.
const workshopCreateAttempts = 8

// WorkshopJobs creates the workshops' Teams meetings and posts their
// reminders. Run keeps a create job queued for every workshop being
// scheduled and the reminders of every scheduled one; the jobs' keys name
// the engagement, the workshop and the slot, so each exists once however
// often Run queues it.
type WorkshopJobs struct {
	WorkerEnv
	Graph     Workshops // nil: local mode, no meetings to create
	Organizer string
	BaseURL   string // the bot's public root, for the .ics links
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
			v.ICSURL = strings.TrimRight(w.BaseURL, "/") + v.ICSPath
		}
		send, err := w.proactive(ctx, e, workshopJobKey("workshop.send", a), invitationPost(e, up, cards.Invitation(e, up, v)))
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

func (workshopCreateArgs) Kind() string { return KindWorkshopCreate }

func (workshopRemindArgs) Kind() string { return KindWorkshopRemind }

func (workshopCancelArgs) Kind() string { return KindWorkshopCancel }

// The three workshop kinds share their fields, and their stored form.
type (
	workshopCreateArgs struct{ workshopArgs }
	workshopRemindArgs struct{ workshopArgs }
	workshopCancelArgs struct{ workshopArgs }
)

// AddWorkers registers the workshop workers.
func (w *WorkshopJobs) AddWorkers(ws Workers) {
	AddWorker(ws, w.workCreate)
	AddWorker(ws, w.workRemind)
	AddWorker(ws, w.workCancel)
}

// TellCreate tells about a failing KindWorkshopCreate job; once dead, the
// workshop goes back to proposed, so that no scan queues it again.
func (w *WorkshopJobs) TellCreate(ctx context.Context, j playbook.Job, n JobNotice) error {
	var a workshopArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return fmt.Errorf("decode workshop job: %w", err)
	}
	if !n.Dead {
		what := fmt.Sprintf("create the Teams meeting for **%s** (%s)", cards.WorkshopTitle(a.Workshop), a.Start.UTC().Format("Mon 2 Jan 15:04 UTC"))
		return postNotice(ctx, w.Store, w.Runner, a.Engagement, noticeKey(j, n), retryingText(what, n))
	}
	e, err := w.Store.Engagement(ctx, a.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if err := w.createFailed(ctx, e, a, n.Err); !isTold(err) {
		return err
	}
	return nil
}

// TellCancel tells about a failing KindWorkshopCancel job; once dead, the
// channel is asked to cancel the meeting by hand.
func (w *WorkshopJobs) TellCancel(ctx context.Context, j playbook.Job, n JobNotice) error {
	var a workshopArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return fmt.Errorf("decode workshop job: %w", err)
	}
	if !n.Dead {
		what := fmt.Sprintf("cancel the Teams meeting of **%s**", cards.WorkshopTitle(a.Workshop))
		return postNotice(ctx, w.Store, w.Runner, a.Engagement, noticeKey(j, n), retryingText(what, n))
	}
	e, err := w.Store.Engagement(ctx, a.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	ws := e.Workshop(a.Workshop)
	if ws == nil || !ws.CancelEvent || ws.EventID == "" {
		return nil
	}
	if err := w.cancelFailed(ctx, e, ws, a, n.Err); !isTold(err) {
		return err
	}
	return nil
}

// workshopCommand answers "workshop <task> held elsewhere <reason>": a
// workshop held elsewhere, recorded as an override. Plain "workshop"
// is the workshops card.
func (t *turn) workshopCommand(args string) (answer, error) {
	ref, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	const held = "held elsewhere"
	if !strings.HasPrefix(strings.ToLower(rest), held) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say **workshop** and the task, **held elsewhere** and where and when, e.g. **workshop 1635 held elsewhere Teams call with the customer on 2 March**; or type **workshops** for the card.")
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	task, err := playbook.MarkHeldElsewhere(e, t.a.From.ID, ref, rest[len(held):], t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	msg := func(who string) string {
		return who + " recorded **" + task.Ref() + "** " + task.Title + " as held elsewhere (an override): " + markdown.Escape(strings.TrimPrefix(e.State(task.Key).Reason, "held elsewhere: "))
	}
	return save(e, t.announce(e, answer{text: msg("You")}, msg(t.actorName(e)))), nil
}
