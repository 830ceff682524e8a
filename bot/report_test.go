package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/playbook"
)

// proactivePost waits for a plain send (not a reply) to the group chat
// whose body contains want, and returns it.
func proactivePost(t *testing.T, h *harness, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, c := range h.conn.Calls() {
			if c.Method == http.MethodPost && c.ActivityID == "" && c.ConversationID == groupChat && strings.Contains(string(c.Body), want) {
				return c.Activity()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no proactive post with %q", want)
	return nil
}

// claim leases the jobs due at at, of kind.
func claim(t *testing.T, h *harness, at time.Time, kind string) []playbook.Job {
	t.Helper()
	jobs, err := h.db.ClaimDue(context.Background(), at, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []playbook.Job
	for _, j := range jobs {
		if j.Kind == kind {
			out = append(out, j)
		}
	}
	return out
}

// complete reports a claimed job done, as the runner does.
func complete(t *testing.T, h *harness, j playbook.Job) {
	t.Helper()
	if err := h.db.Complete(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
}

// TestReportCommand: anyone in the engagement gets the report card, its
// Refresh and the CSV.
func TestReportCommand(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	c.say(vi, "note test migration passed")
	c.say(cy, "escalate critical the source server is throttling")

	card := cardText(t, replyCard(t, c.say(cy, "report")))
	for _, want := range []string{"Contoso: weekly status", "No migration plan accepted yet", "Unresolved escalations (1)", "#1 critical", "test migration passed", "Success metrics", `"verb":"report"`} {
		if !strings.Contains(card, want) {
			t.Errorf("report card lacks %q: %s", want, card)
		}
	}
	refresh := action(t, replyCard(t, c.say(pat, "report")), "report", "")
	if s := cardText(t, c.click(mo, "report", refresh).card(t)); !strings.Contains(s, "weekly status") {
		t.Errorf("Refresh: %s", s)
	}
	if s := text(c.say(pat, "report csv")); !strings.Contains(s, "```\n\"record\",\"id\",\"date\",\"state\",\"name\",\"units\",\"migrated\",\"failed\",\"detail\"\n") || !strings.Contains(s, `"task","1699"`) {
		t.Errorf("report csv: %q", s)
	}
	if s := text(c.say(pat, "report pdf")); !strings.Contains(s, "is none of those") {
		t.Errorf("report pdf: %q", s)
	}
}

// TestWeeklyReportJob: Reconcile queues one report job per engagement at
// Monday 09:00 in the customer's zone, however often it runs; the job posts
// the card to the conversation and queues the next week.
// jobsNow is the clock of the job tests: a year ahead of the real one, so
// that the harness's runner (on the real clock) never claims their jobs.
func jobsNow() time.Time {
	return time.Now().UTC().AddDate(1, 0, 0).Truncate(time.Hour)
}

func TestWeeklyReportJob(t *testing.T) {
	now := jobsNow()
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return now }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()

	m := &bot.MigrationJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return now }, Runner: h.runner}}
	for range 3 {
		if err := m.Reconcile(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	slot := bot.NextSlot(now, bot.DefaultReportTime, time.UTC)
	if slot.Weekday() != time.Monday || slot.Hour() != 9 || !slot.After(now) || slot.Sub(now) > 7*24*time.Hour {
		t.Fatalf("slot %s after %s", slot, now)
	}
	if jobs := claim(t, h, slot.Add(-time.Second), bot.KindReportWeekly); len(jobs) != 0 {
		t.Fatalf("report job due before its slot: %+v", jobs)
	}
	jobs := claim(t, h, slot, bot.KindReportWeekly)
	if len(jobs) != 1 || !jobs[0].RunAt.Equal(slot) || !strings.Contains(jobs[0].Key, e.ID) {
		t.Fatalf("report jobs = %+v, want one at %s", jobs, slot)
	}

	m.Now = func() time.Time { return slot }
	if err := m.WorkReport(context.Background(), jobs[0]); err != nil {
		t.Fatal(err)
	}
	complete(t, h, jobs[0])
	post := proactivePost(t, h, "weekly status")
	atts, _ := post["attachments"].([]any)
	raw, _ := json.Marshal(atts[0].(map[string]any)["content"])
	checkCard(t, raw)
	if next := claim(t, h, slot.AddDate(0, 0, 7), bot.KindReportWeekly); len(next) != 1 || !next[0].RunAt.Equal(slot.AddDate(0, 0, 7)) {
		t.Errorf("next week's report = %+v", next)
	}
	// A closed or vanished engagement: the job ends quietly.
	args, _ := json.Marshal(map[string]any{"engagement": "e-gone", "slot": slot})
	if err := m.WorkReport(context.Background(), playbook.Job{Kind: bot.KindReportWeekly, Args: args}); err != nil {
		t.Errorf("report for a vanished engagement: %v", err)
	}
	if err := m.WorkReport(context.Background(), playbook.Job{Kind: bot.KindReportWeekly, Args: []byte(`{"engagement":1}`)}); err == nil {
		t.Error("malformed args accepted")
	}
}

// TestEscalationReminderJob: an escalation nobody acknowledged is reminded
// after a day, the MVM @mentioned, recorded in the engagement, and again a
// day later; once acknowledged, no more reminders.
func TestEscalationReminderJob(t *testing.T) {
	qNow := jobsNow()
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	c.say(cy, "escalate high pre-flight fails for 40 mailboxes")

	m := &bot.MigrationJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}}
	if err := m.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if jobs := claim(t, h, qNow.Add(23*time.Hour), bot.KindEscalationRemind); len(jobs) != 0 {
		t.Fatalf("reminder due before a day: %+v", jobs)
	}
	at := qNow.Add(25 * time.Hour)
	jobs := claim(t, h, at, bot.KindEscalationRemind)
	if len(jobs) != 1 {
		t.Fatalf("reminder jobs = %+v", jobs)
	}
	m.Now = func() time.Time { return at }
	if err := m.WorkRemind(context.Background(), jobs[0]); err != nil {
		t.Fatal(err)
	}
	complete(t, h, jobs[0])
	post := proactivePost(t, h, "Reminder 1")
	if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != vi.id {
		t.Errorf("reminder mentions %v, want Vi: %v", ids, post)
	}
	if s := text(post); !strings.Contains(s, "escalation **#1** (high) has waited 25 hours") {
		t.Errorf("reminder text: %q", s)
	}
	e := c.engagement()
	if x := e.Escalations[0]; x.Reminders != 1 || !x.RemindedAt.Equal(at) || e.History[len(e.History)-1].Action != playbook.ActionEscalationRemind {
		t.Errorf("after the reminder: %+v", x)
	}
	// The same job again (a retry after a crash) sends nothing more.
	if err := m.WorkRemind(context.Background(), jobs[0]); err != nil {
		t.Fatal(err)
	}
	if e2 := c.engagement(); e2.Version != e.Version {
		t.Errorf("a repeated reminder job changed the engagement")
	}
	// The next one is queued a day later; acknowledged meanwhile, it does nothing.
	next := claim(t, h, at.Add(24*time.Hour), bot.KindEscalationRemind)
	if len(next) != 1 || !next[0].RunAt.Equal(at.Add(24*time.Hour)) {
		t.Fatalf("next reminder = %+v", next)
	}
	ack := action(t, replyCard(t, c.say(vi, "escalations")), "escalationAck", "")
	c.click(vi, "escalationAck", ack).card(t)
	before := c.engagement()
	m.Now = func() time.Time { return at.Add(24 * time.Hour) }
	if err := m.WorkRemind(context.Background(), next[0]); err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, c, before)
}

// TestReportSchedule: the MVM moves the weekly report; the new slot's job
// is queued with the change, the old slot's job posts nothing, and "off"
// leaves no report to queue.
func TestReportSchedule(t *testing.T) {
	now := jobsNow()
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return now }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	m := &bot.MigrationJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return now }, Runner: h.runner}}
	if err := m.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	old := bot.NextSlot(now, bot.DefaultReportTime, time.UTC)

	for _, tc := range []struct {
		who       person
		say, want string
	}{
		{pat, "report schedule", "Monday 09:00 (the default)"},
		{cy, "report schedule friday 16:30", "Only the MVM or the MST"},
		{vi, "report schedule someday 25:00", "Say a weekday and a time"},
		{vi, "report schedule fri 16:30", "set the weekly report to Friday 16:30"},
		{pat, "report schedule", "Friday 16:30, UTC time"},
	} {
		if s := text(c.say(tc.who, tc.say)); !strings.Contains(s, tc.want) {
			t.Errorf("%s %q: %q, want %q", tc.who.name, tc.say, s, tc.want)
		}
	}
	friday := bot.NextSlot(now, bot.WeeklyTime{Day: time.Friday, Hour: 16, Minute: 30}, time.UTC)
	var moved, stale []playbook.Job
	for _, j := range claim(t, h, now.AddDate(0, 0, 8), bot.KindReportWeekly) {
		switch {
		case j.RunAt.Equal(friday):
			moved = append(moved, j)
		case j.RunAt.Equal(old):
			stale = append(stale, j)
		}
	}
	if len(moved) != 1 || len(stale) != 1 {
		t.Fatalf("report jobs: %d at the new slot, %d at the old; want 1 and 1", len(moved), len(stale))
	}
	m.Now = func() time.Time { return old }
	before := len(h.conn.Calls())
	if err := m.WorkReport(context.Background(), stale[0]); err != nil {
		t.Fatal(err)
	}
	complete(t, h, stale[0])
	complete(t, h, moved[0])
	time.Sleep(50 * time.Millisecond)
	if n := len(h.conn.Calls()); n != before {
		t.Errorf("the old slot's job posted %d activities", n-before)
	}

	if s := text(c.say(vi, "report schedule off")); !strings.Contains(s, "turned the weekly report off") {
		t.Errorf("off: %q", s)
	}
	m.Now = func() time.Time { return now }
	if err := m.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if jobs := claim(t, h, now.AddDate(0, 0, 8), bot.KindReportWeekly); len(jobs) != 0 {
		t.Errorf("report jobs queued while off: %+v", jobs)
	}
}
