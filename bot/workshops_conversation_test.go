package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/playbook"
)

// fakeWorkshops is a hand-written bot.Workshops: each test sets the
// functions it needs; the others fail the test.
type fakeWorkshops struct {
	t          *testing.T
	ScheduleFn func(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]playbook.Availability, error)
	CreateFn   func(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error)
	MoveFn     func(ctx context.Context, organizer, eventID string, start, end time.Time, tz string) (playbook.CalendarEvent, error)
	CancelFn   func(ctx context.Context, organizer, eventID, comment string) error
}

var _ bot.Workshops = (*fakeWorkshops)(nil)

func (f *fakeWorkshops) Schedule(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]playbook.Availability, error) {
	if f.ScheduleFn == nil {
		f.t.Error("unexpected Schedule")
		return nil, nil
	}
	return f.ScheduleFn(ctx, organizer, people, start, end, interval)
}

func (f *fakeWorkshops) CreateMeeting(ctx context.Context, m playbook.Meeting) (playbook.CalendarEvent, error) {
	if f.CreateFn == nil {
		f.t.Error("unexpected CreateMeeting")
		return playbook.CalendarEvent{}, nil
	}
	return f.CreateFn(ctx, m)
}

func (f *fakeWorkshops) RescheduleMeeting(ctx context.Context, organizer, eventID string, start, end time.Time, tz string) (playbook.CalendarEvent, error) {
	if f.MoveFn == nil {
		f.t.Error("unexpected RescheduleMeeting")
		return playbook.CalendarEvent{}, nil
	}
	return f.MoveFn(ctx, organizer, eventID, start, end, tz)
}

func (f *fakeWorkshops) CancelMeeting(ctx context.Context, organizer, eventID, comment string) error {
	if f.CancelFn == nil {
		f.t.Error("unexpected CancelMeeting")
		return nil
	}
	return f.CancelFn(ctx, organizer, eventID, comment)
}

// clock is a settable clock for the conversation.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

var scheduleForm = map[string]any{"minutes": "60", "earliest": "2026-11-24", "fromHour": "9", "toHour": "17"}

// pickSlot is the data of the slot picker's Book button with its i-th
// slot chosen, as Teams sends it.
func pickSlot(t *testing.T, slots map[string]any, task string, i int) map[string]any {
	t.Helper()
	d := action(t, slots, "workshopPick", task)
	for _, e := range slots["body"].([]any) {
		if e := e.(map[string]any); e["id"] == "slot" {
			return withInputs(d, map[string]any{"slot": e["choices"].([]any)[i].(map[string]any)["value"]})
		}
	}
	t.Fatalf("no slot list in %s", mustJSON(t, slots))
	return nil
}

func withInputs(data map[string]any, inputs map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		out[k] = v
	}
	for k, v := range inputs {
		out[k] = v
	}
	return out
}

// TestWorkshopsLocalMode schedules the migration workshop and the
// Migration Hub workshop together without Graph: the card, the form, the
// slots, the pick, the invitation and its .ics, Mark held completing both
// tasks, and the refusals.
func TestWorkshopsLocalMode(t *testing.T) {
	clk := &clock{now: qNow}
	h := newHarness(t, harnessOpts{auth: true, now: clk.Now})
	c := &conv{t: t, h: h}
	setUp(t, c)
	assessed(t, c)

	card := replyCard(t, c.say(mo, "workshops"))
	s := cardText(t, card)
	for _, want := range []string{"(1635)", "(4027)", "(3312)", "(4008)", "Not scheduled.", "Schedule together"} {
		if !strings.Contains(s, want) {
			t.Errorf("workshops card lacks %q: %s", want, s)
		}
	}
	if strings.Contains(s, "Review secure credential") {
		t.Errorf("credential review listed without the questionnaire asking: %s", s)
	}

	// The customer may look but not schedule.
	if s := cardText(t, replyCard(t, c.say(cy, "workshops"))); strings.Contains(s, "workshopSchedule") {
		t.Errorf("the customer gets Schedule buttons: %s", s)
	}
	together := action(t, card, "workshopSchedule", playbook.WorkshopTogether)
	if ans := c.click(cy, "workshopSchedule", together); !strings.Contains(string(ans.Value), "can schedule workshops or mark them held") {
		t.Errorf("customer's Schedule click: %s", ans.Value)
	}

	form := c.click(mo, "workshopSchedule", together).card(t)
	slots := c.click(mo, "workshopSlots", withInputs(action(t, form, "workshopSlots", playbook.WorkshopTogether), scheduleForm)).card(t)
	if s := cardText(t, slots); !strings.Contains(s, "Tue 24 Nov 2026 09:00–10:00") || !strings.Contains(s, "working hours only") {
		t.Errorf("slots card: %s", s)
	}
	if w := c.engagement().Workshop(playbook.WorkshopTogether); w == nil || w.Status != playbook.WorkshopProposed {
		t.Errorf("after the slots, workshop = %+v, want proposed", w)
	}
	pick := pickSlot(t, slots, playbook.WorkshopTogether, 0)
	inv := cardText(t, c.click(mo, "workshopPick", pick).card(t))
	for _, want := range []string{"The workshop is scheduled.", "1635, 4027", "No Teams meeting was created", "/ics/"} {
		if !strings.Contains(inv, want) {
			t.Errorf("invitation card lacks %q: %s", want, inv)
		}
	}
	e := c.engagement()
	w := e.Workshop(playbook.WorkshopTogether)
	if w == nil || w.Status != playbook.WorkshopScheduled || !w.Start.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)) || w.Token == "" || len(w.Tasks) != 2 {
		t.Fatalf("workshop = %+v", w)
	}

	// The .ics parses and says when.
	resp, err := http.Get(h.url + "/ics/" + w.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("GET ics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	cal, err := ical.ParseCalendar(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("ics has %d events", len(evs))
	}
	if start, err := evs[0].GetStartAt(); err != nil || !start.Equal(w.Start) {
		t.Errorf("ics start = %v, %v; want %v", start, err, w.Start)
	}
	if sum := evs[0].GetProperty(ical.ComponentPropertySummary); sum == nil || !strings.Contains(sum.Value, "Contoso") {
		t.Errorf("ics summary = %v", sum)
	}
	for _, bad := range []string{"nope", e.ID + ".guess", ""} {
		r, err := http.Get(h.url + "/ics/" + bad)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET /ics/%s = %s, want 404", bad, r.Status)
		}
	}

	// Held: not before the start; then both tasks are done, by Mo.
	if s := c.say(pat, "done 1699"); !strings.Contains(text(s), "1699") {
		t.Fatalf("done 1699: %v", s)
	}
	held := map[string]any{"engagement": e.ID, "task": playbook.WorkshopTogether}
	if s := cardText(t, c.click(mo, "workshopHeld", held).card(t)); !strings.Contains(s, "has not started yet") {
		t.Errorf("held before the start: %s", s)
	}
	clk.Set(w.End)
	if s := cardText(t, c.click(mo, "workshopHeld", held).card(t)); !strings.Contains(s, "marked held") || !strings.Contains(s, "1635") || !strings.Contains(s, "4027") {
		t.Errorf("held: %s", s)
	}
	e = c.engagement()
	for _, key := range []string{"workshop-imap", "hub-workshop"} {
		if st := e.State(key); st.Status != playbook.StatusDone || st.By != mo.id {
			t.Errorf("%s = %+v, want done by Mo", key, st)
		}
	}
	if w := e.Workshop(playbook.WorkshopTogether); w.Status != playbook.WorkshopHeld {
		t.Errorf("workshop = %+v, want held", w)
	}
}

// TestWorkshopCancelAndAdd: a scheduled workshop is cancelled and can be
// scheduled again; the credential review is added by hand.
func TestWorkshopCancelAndAdd(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	assessed(t, c)
	card := replyCard(t, c.say(vi, "workshops"))
	add := action(t, card, "workshopAdd", "credential-review")
	if s := cardText(t, c.click(vi, "workshopAdd", add).card(t)); !strings.Contains(s, "Review secure credential") {
		t.Errorf("after add: %s", s)
	}
	d := map[string]any{"engagement": c.engagement().ID, "task": "remote-connectivity"}
	slots := c.click(vi, "workshopSlots", withInputs(d, scheduleForm)).card(t)
	c.click(vi, "workshopPick", pickSlot(t, slots, "remote-connectivity", 0))
	if s := cardText(t, c.click(vi, "workshopCancel", d).card(t)); !strings.Contains(s, "is cancelled") {
		t.Errorf("cancel: %s", s)
	}
	w := c.engagement().Workshop("remote-connectivity")
	if w == nil || w.Status != playbook.WorkshopCancelled {
		t.Fatalf("workshop = %+v, want cancelled", w)
	}
	// The .ics now cancels the entry calendars have.
	resp, err := http.Get(h.url + "/ics/" + w.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cal, err := ical.ParseCalendar(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if m := cal.CalendarProperties; !strings.Contains(fmt.Sprint(m), "CANCEL") {
		t.Errorf("cancelled workshop's calendar properties %v lack METHOD:CANCEL", m)
	}
	if st := cal.Events()[0].GetProperty(ical.ComponentPropertyStatus); st == nil || st.Value != "CANCELLED" {
		t.Errorf("event status = %v, want CANCELLED", st)
	}
}

// TestWorkshopSlotsFromFreeBusy: with Graph, the slots avoid the
// organizer's and the contacts' busy times.
func TestWorkshopSlotsFromFreeBusy(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	assessed(t, c)
	var asked []string
	fake := &fakeWorkshops{t: t, ScheduleFn: func(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]playbook.Availability, error) {
		asked = people
		day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
		return []playbook.Availability{
			{Person: people[0], Busy: []playbook.Interval{{Start: day.Add(9 * time.Hour), End: day.Add(11 * time.Hour), Status: "busy"}},
				WorkingHours: &playbook.WorkingHours{Start: 9 * time.Hour, End: 17 * time.Hour, TimeZone: "UTC"}},
		}, nil
	}}
	h.srv.Handler = bot.Conversation{Engagements: h.db, Now: func() time.Time { return qNow }, Workshops: fake, Organizer: "mst@contoso.com"}
	d := map[string]any{"engagement": c.engagement().ID, "task": "hub-workshop"}
	s := cardText(t, c.click(mo, "workshopSlots", withInputs(d, scheduleForm)).card(t))
	if !strings.Contains(s, "Tue 24 Nov 2026 11:00–12:00") || strings.Contains(s, "Tue 24 Nov 2026 09:00") {
		t.Errorf("slots ignore the busy time: %s", s)
	}
	// The organizer first, then the members the roster gave an address,
	// the lead who set the engagement up among them.
	if want := []string{"mst@contoso.com", "pat@contoso.com", "mo@contoso.com", "cy@contoso.com", "vi@contoso.com"}; !slices.Equal(asked, want) {
		t.Errorf("free/busy asked for %v, want %v", asked, want)
	}
}
