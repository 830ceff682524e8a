package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/playbook"
)

// graphErr is a Graph failure as bot sees it: a playbook code and message,
// and the retry hint.
type graphErr struct {
	pb    error
	retry bool
	delay time.Duration
}

func (e *graphErr) Error() string             { return "graph: " + e.pb.Error() }
func (e *graphErr) Unwrap() error             { return e.pb }
func (e *graphErr) Retryable() bool           { return e.retry }
func (e *graphErr) RetryDelay() time.Duration { return e.delay }

// postedText waits for a proactive post containing want and returns it.
func postedText(t *testing.T, h *harness, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range h.conn.Calls() {
			if c.ActivityID == "" && strings.Contains(string(c.Body), want) {
				return string(c.Body)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("nothing posted with %q", want)
	return ""
}

// pickWithGraph sets up the engagement and picks a slot for the Migration
// Hub workshop with Graph configured; it returns the create job.
func pickWithGraph(t *testing.T, h *harness, c *conv, fake *fakeWorkshops, jobs *bot.WorkshopJobs) playbook.Job {
	t.Helper()
	setUp(t, c)
	assessed(t, c)
	h.srv.Handler = bot.Conversation{Engagements: h.db, Now: func() time.Time { return qNow }, Workshops: fake, Organizer: "mst@contoso.com"}
	d := map[string]any{"engagement": c.engagement().ID, "task": "hub-workshop"}
	slots := c.click(mo, "workshopSlots", withInputs(d, scheduleForm)).card(t)
	if s := cardText(t, c.click(mo, "workshopPick", pickSlot(t, slots, "hub-workshop", 0)).card(t)); !strings.Contains(s, "Scheduling") {
		t.Fatalf("pick answer: %s", s)
	}
	e := c.engagement()
	if w := e.Workshop("hub-workshop"); w == nil || w.Status != playbook.WorkshopScheduling {
		t.Fatalf("workshop = %+v, want scheduling", w)
	}
	js, err := jobs.Jobs(e)
	if err != nil || len(js) != 1 || js[0].Kind != bot.KindWorkshopCreate {
		t.Fatalf("jobs = %+v, %v", js, err)
	}
	return js[0]
}

func scheduleNone(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]playbook.Availability, error) {
	return nil, nil
}

// TestWorkshopCreateJob: a throttled create snoozes for Graph's delay; the
// next attempt creates the meeting with the transaction id, records it and
// posts the invitation card, and queues the 24 h and 1 h reminders.
func TestWorkshopCreateJob(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	var got []playbook.Meeting
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone, CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
		got = append(got, m)
		if len(got) == 1 {
			return playbook.CalendarEvent{}, &graphErr{pb: playbook.Errorf(playbook.ECONFLICT, "throttled"), retry: true, delay: 7 * time.Second}
		}
		return playbook.CalendarEvent{ID: "ev-1", JoinURL: "https://teams.microsoft.com/l/meetup-join/1", TransactionID: m.TransactionID, Start: m.Start, End: m.End}, nil
	}}
	jobs := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake, Organizer: "mst@contoso.com"}
	job := pickWithGraph(t, h, c, fake, jobs)

	err := jobs.WorkCreate(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "snoozed for 7s") {
		t.Fatalf("throttled create = %v, want a 7s snooze", err)
	}
	job.Attempt++
	if err := jobs.WorkCreate(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	e := c.engagement()
	w := e.Workshop("hub-workshop")
	if w.Status != playbook.WorkshopScheduled || w.EventID != "ev-1" || w.Token == "" {
		t.Fatalf("workshop = %+v", w)
	}
	if len(got) != 2 || got[1].TransactionID != playbook.MeetingTransactionID(e.ID, "hub-workshop", w.Start) || got[0].TransactionID != got[1].TransactionID {
		t.Errorf("transaction ids: %+v", got)
	}
	// Invited: the members whose address the roster gave with their role
	// (the lead set the engagement up before the roster was read).
	var invited []string
	for _, a := range got[1].Attendees {
		invited = append(invited, a.Email)
	}
	for _, want := range []string{"mo@contoso.com", "cy@contoso.com", "vi@contoso.com"} {
		if !slices.Contains(invited, want) {
			t.Errorf("attendees %v lack %s", invited, want)
		}
	}
	s := postedText(t, h, "The Teams meeting is created")
	if !strings.Contains(s, "meetup-join/1") || !strings.Contains(s, "you are invited") {
		t.Errorf("invitation: %s", s)
	}
	for _, p := range []person{mo, cy, vi} {
		if !strings.Contains(s, `"mentioned":{"id":"`+p.id+`"`) {
			t.Errorf("the invitation does not mention %s: %s", p.name, s)
		}
	}
	// The slot is 23 h away: the 24 h reminder has passed, the 1 h one is
	// queued; two days earlier both are.
	js, _ := jobs.Jobs(e)
	if len(js) != 1 || js[0].Kind != bot.KindWorkshopRemind || !js[0].RunAt.Equal(w.Start.Add(-time.Hour)) {
		t.Errorf("reminders = %+v", js)
	}
	early := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow.Add(-48 * time.Hour) }}}
	if both, _ := early.Jobs(e); len(both) != 2 || !both[0].RunAt.Equal(w.Start.Add(-24*time.Hour)) || both[0].Key == both[1].Key {
		t.Errorf("reminders two days before = %+v", both)
	}
	// A repeat of the job (redelivered) changes nothing.
	if err := jobs.WorkCreate(context.Background(), job); err != nil || len(got) != 2 {
		t.Errorf("repeat: %v, %d creates", err, len(got))
	}
	// The reminder posts.
	if err := jobs.WorkRemind(context.Background(), js[0]); err != nil {
		t.Fatal(err)
	}
	postedText(t, h, "starts in one hour")
}

// TestWorkshopCreateForbidden: a 403 is permanent; the channel is told the
// missing permission and the workshop goes back to proposed.
func TestWorkshopCreateForbidden(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone, CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
		return playbook.CalendarEvent{}, &graphErr{pb: playbook.Errorf(playbook.EFORBIDDEN, "mvmbot may not create the meeting: grant the application permission Calendars.ReadWrite.")}
	}}
	jobs := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake, Organizer: "mst@contoso.com"}
	job := pickWithGraph(t, h, c, fake, jobs)
	err := jobs.WorkCreate(context.Background(), job)
	if err == nil || errors.Unwrap(err) == nil {
		t.Fatalf("forbidden create = %v, want a permanent error", err)
	}
	if s := postedText(t, h, "could not create the Teams meeting"); !strings.Contains(s, "Calendars.ReadWrite") || !strings.Contains(s, "administrator") {
		t.Errorf("failure message: %s", s)
	}
	if w := c.engagement().Workshop("hub-workshop"); w.Status != playbook.WorkshopProposed {
		t.Errorf("workshop = %+v, want proposed", w)
	}
}

// TestWorkshopRescheduleAndCancelJobs: a meeting already created is moved
// (RescheduleMeeting on the same event) when another slot is picked, and
// cancelled in Graph by a job when the workshop is cancelled.
func TestWorkshopRescheduleAndCancelJobs(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	var moved, cancelled []string
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone,
		CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
			return playbook.CalendarEvent{ID: "ev-1", JoinURL: "https://teams.microsoft.com/l/meetup-join/1"}, nil
		},
		MoveFn: func(ctx context.Context, organizer, eventID string, start, end time.Time, tz string) (playbook.CalendarEvent, error) {
			moved = append(moved, eventID+"@"+start.Format(time.RFC3339))
			return playbook.CalendarEvent{ID: eventID}, nil
		},
		CancelFn: func(ctx context.Context, organizer, eventID, comment string) error {
			cancelled = append(cancelled, eventID)
			return nil
		}}
	jobs := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake, Organizer: "mst@contoso.com"}
	job := pickWithGraph(t, h, c, fake, jobs)
	if err := jobs.WorkCreate(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	// Pick the second slot: the same event moves, the join link stays.
	d := map[string]any{"engagement": c.engagement().ID, "task": "hub-workshop"}
	slots := c.click(mo, "workshopSlots", withInputs(d, map[string]any{"minutes": "60", "earliest": "2026-11-25", "fromHour": "9", "toHour": "17"})).card(t)
	c.click(mo, "workshopPick", pickSlot(t, slots, "hub-workshop", 0))
	js, _ := jobs.Jobs(c.engagement())
	if len(js) != 1 || js[0].Kind != bot.KindWorkshopCreate {
		t.Fatalf("jobs after the re-pick = %+v", js)
	}
	if err := jobs.WorkCreate(context.Background(), js[0]); err != nil {
		t.Fatal(err)
	}
	w := c.engagement().Workshop("hub-workshop")
	if len(moved) != 1 || moved[0] != "ev-1@2026-11-25T09:00:00Z" || w.Status != playbook.WorkshopScheduled || w.EventID != "ev-1" || w.JoinURL == "" {
		t.Fatalf("moved %v, workshop %+v", moved, w)
	}
	// Cancel: the event is cancelled by the job, then forgotten.
	if s := cardText(t, c.click(mo, "workshopCancel", d).card(t)); !strings.Contains(s, "cancelling the Teams meeting") {
		t.Errorf("cancel: %s", s)
	}
	js, _ = jobs.Jobs(c.engagement())
	if len(js) != 1 || js[0].Kind != bot.KindWorkshopCancel {
		t.Fatalf("jobs after cancel = %+v", js)
	}
	if err := jobs.WorkCancel(context.Background(), js[0]); err != nil {
		t.Fatal(err)
	}
	w = c.engagement().Workshop("hub-workshop")
	if len(cancelled) != 1 || cancelled[0] != "ev-1" || w.EventID != "" || w.CancelEvent || w.Status != playbook.WorkshopCancelled {
		t.Errorf("cancelled %v, workshop %+v", cancelled, w)
	}
}

// TestWorkshopCreateGivesUp: a create still throttled at its last attempt
// is dead-lettered, and the channel is told what to do.
func TestWorkshopCreateGivesUp(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone, CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
		return playbook.CalendarEvent{}, &graphErr{pb: playbook.Errorf(playbook.EINTERNAL, "Microsoft Graph is unavailable."), retry: true}
	}}
	jobs := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake, Organizer: "mst@contoso.com"}
	job := pickWithGraph(t, h, c, fake, jobs)
	if err := jobs.WorkCreate(context.Background(), job); err == nil || strings.Contains(err.Error(), "snoozed") {
		t.Errorf("first failure without a delay = %v, want the runner's backoff", err)
	}
	job.Attempt = 7
	if err := jobs.WorkCreate(context.Background(), job); err == nil {
		t.Fatal("last attempt succeeded")
	}
	if s := postedText(t, h, "could not create the Teams meeting"); !strings.Contains(s, "pick the slot again") {
		t.Errorf("give-up message: %s", s)
	}
	if w := c.engagement().Workshop("hub-workshop"); w.Status != playbook.WorkshopProposed {
		t.Errorf("workshop = %+v, want proposed", w)
	}
}

// TestWorkshopCancelForbidden: a refused cancel is reported once and not
// tried again.
func TestWorkshopCancelForbidden(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	fake := &fakeWorkshops{t: t, ScheduleFn: scheduleNone,
		CreateFn: func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
			return playbook.CalendarEvent{ID: "ev-9"}, nil
		},
		CancelFn: func(ctx context.Context, organizer, eventID, comment string) error {
			return &graphErr{pb: playbook.Errorf(playbook.EFORBIDDEN, "mvmbot may not cancel the meeting: grant Calendars.ReadWrite.")}
		}}
	jobs := &bot.WorkshopJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake, Organizer: "mst@contoso.com"}
	if err := jobs.WorkCreate(context.Background(), pickWithGraph(t, h, c, fake, jobs)); err != nil {
		t.Fatal(err)
	}
	c.click(mo, "workshopCancel", map[string]any{"engagement": c.engagement().ID, "task": "hub-workshop"})
	js, _ := jobs.Jobs(c.engagement())
	if len(js) != 1 {
		t.Fatalf("jobs = %+v", js)
	}
	if err := jobs.WorkCancel(context.Background(), js[0]); err == nil {
		t.Fatal("forbidden cancel succeeded")
	}
	if s := postedText(t, h, "could not cancel the Teams meeting"); !strings.Contains(s, "Calendars.ReadWrite") {
		t.Errorf("message: %s", s)
	}
	e := c.engagement()
	if js, _ := jobs.Jobs(e); len(js) != 0 || e.Workshop("hub-workshop").CancelEvent {
		t.Errorf("cancel still pending: %+v", js)
	}
}

// TestWorkshopInvitationReachesInvitees: in local mode a picked slot posts
// the invitation with an @mention of each invitee who is a member, and an
// invitee who may not schedule sees an Add to calendar link to the .ics in
// the workshops card, an absolute URL on the local base.
func TestWorkshopInvitationReachesInvitees(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	assessed(t, c)
	h.srv.Handler = bot.Conversation{Engagements: h.db, Now: func() time.Time { return qNow }, BaseURL: "http://localhost:3978"}
	d := map[string]any{"engagement": c.engagement().ID, "task": "hub-workshop"}
	slots := c.click(mo, "workshopSlots", withInputs(d, scheduleForm)).card(t)
	c.click(mo, "workshopPick", pickSlot(t, slots, "hub-workshop", 0))
	w := c.engagement().Workshop("hub-workshop")
	if w == nil || w.Status != playbook.WorkshopScheduled || w.Token == "" {
		t.Fatalf("workshop = %+v", w)
	}
	link := "http://localhost:3978/ics/" + w.Token

	var post struct {
		Text     string           `json:"text"`
		Entities []map[string]any `json:"entities"`
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for body == "" && time.Now().Before(deadline) {
		for _, call := range h.conn.Calls() {
			if strings.Contains(string(call.Body), "you are invited") {
				body = string(call.Body)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := json.Unmarshal([]byte(body), &post); err != nil {
		t.Fatal(err)
	}
	mentioned := map[string]bool{}
	for _, en := range post.Entities {
		if m, ok := en["mentioned"].(map[string]any); ok && en["type"] == "mention" && strings.Contains(post.Text, en["text"].(string)) {
			mentioned[m["id"].(string)] = true
		}
	}
	// The invitees who are members, as the workshop lists them.
	want := map[string]bool{}
	for _, m := range c.engagement().Members {
		for _, a := range w.Attendees {
			if m.Email != "" && strings.EqualFold(a.Email, m.Email) {
				want[m.ID] = true
			}
		}
	}
	if len(want) == 0 || !maps.Equal(mentioned, want) {
		t.Errorf("mentioned %v, want %v: %s", mentioned, want, body)
	}
	if !strings.Contains(body, link) {
		t.Errorf("posted invitation lacks the link %s: %s", link, body)
	}

	s := cardText(t, replyCard(t, c.say(cy, "workshops")))
	if !strings.Contains(s, `"url":"`+link+`"`) || !strings.Contains(s, "Add to calendar") {
		t.Errorf("the customer's workshops card lacks the Add to calendar link %s: %s", link, s)
	}
	// In the customer's own personal chat too.
	p := h.message(c.nextID(), "workshops")
	p["from"] = map[string]any{"id": cy.id, "name": cy.name}
	p["conversation"] = map[string]any{"id": "a:cy-personal", "conversationType": "personal", "tenantId": "tenant-1"}
	if s := cardText(t, replyCard(t, c.post(p))); !strings.Contains(s, `"url":"`+link+`"`) {
		t.Errorf("the customer's personal workshops card lacks the link %s: %s", link, s)
	}
	if u, err := url.Parse(link); err != nil || u.Scheme != "http" || u.Host == "" {
		t.Errorf("link %q is not absolute: %v", link, err)
	}
}
