package bot_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// Issue 18: each way the record could be made untrue, tried through the
// endpoint (signed tokens, a real bbolt file, the fake connector). Each is
// refused, changes nothing, and says how the task completes.

// refusedDone sends "done ref" as p and checks the answer says how the task
// completes (and offers the button, verb), with nothing recorded.
func refusedDone(t *testing.T, c *conv, p person, ref, how, verb string) {
	t.Helper()
	before := c.engagement()
	card := cardText(t, replyCard(t, c.say(p, "done "+ref)))
	if !strings.Contains(card, "Not marked done") || !strings.Contains(card, how) || !strings.Contains(card, `"verb":"`+verb+`"`) {
		t.Errorf("done %s: %s", ref, card)
	}
	assertUnchanged(t, c, before)
	if st := c.engagement().State(mustTask(t, ref).Key); st.Status != playbook.StatusOpen {
		t.Errorf("%s is %s", ref, st.Status)
	}
}

func mustTask(t *testing.T, ref string) playbook.Task {
	t.Helper()
	ts, err := playbook.LookupTask(ref)
	if err != nil {
		t.Fatal(err)
	}
	return ts[0]
}

// TestNoDoneWithoutTheQuestionnaire: 1034 and 1672 without a questionnaire.
// The lead no longer acts for the customer or the MVM; the owners are told
// how the tasks complete.
func TestNoDoneWithoutTheQuestionnaire(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	readyForQuestionnaire(t, c)

	for _, tt := range []struct {
		p         person
		ref, want string
	}{
		{pat, "1034", "Only the Customer, or the MST on their behalf, can mark 1034 done. Your roles: FRP."},
		{pat, "1672", "Only the MVM can mark 1672 done. Your roles: FRP."},
	} {
		before := c.engagement()
		if s := text(c.say(tt.p, "done "+tt.ref)); !strings.Contains(s, tt.want) {
			t.Errorf("lead's done %s: %q", tt.ref, s)
		}
		assertUnchanged(t, c, before)
	}
	refusedDone(t, c, cy, "1034", "1034 completes when the customer submits the migration questionnaire", "questionnaire")

	e := c.engagement()
	settleNeedsExcept(t, e, "questionnaire-validation", "questionnaire")
	commit(t, c, e)
	// 1672 waits for 1034, which only a submitted questionnaire completes.
	before := c.engagement()
	if s := text(c.say(vi, "done 1672")); !strings.Contains(s, "1672 waits for 1034 Complete the migration questionnaire (Customer: Cy Customer)") {
		t.Errorf("done 1672: %q", s)
	}
	assertUnchanged(t, c, before)
}

// settleNeedsExcept is settleNeeds leaving skip (and what needs it) open:
// it settles what is ready among key's needs until nothing more is.
func settleNeedsExcept(t *testing.T, e *playbook.Engagement, key, skip string) {
	t.Helper()
	holder := map[playbook.Role]string{playbook.FRP: pat.id, playbook.Customer: cy.id, playbook.MST: mo.id, playbook.MVM: vi.id}
	goal, _ := playbook.TaskByKey(key)
	for {
		progress := false
		for _, s := range playbook.NextStepsForRoles(e, playbook.Roles()...).Ready {
			if s.Task.Key == key || s.Task.Key == skip || !needed(goal, s.Task.Key) || e.State(s.Task.Key).Status != playbook.StatusOpen {
				continue
			}
			if playbook.EvidenceOf(s.Task) == playbook.EvidenceWorkshop {
				if _, err := playbook.MarkHeldElsewhere(e, mo.id, s.Task.Key, "fixture", qNow); err != nil {
					t.Fatalf("%s: %v", s.Task.Key, err)
				}
			} else if _, err := playbook.MarkDone(e, holder[s.Owner], s.Task.Key, qNow); err != nil {
				continue // its evidence is missing: left open
			}
			progress = true
		}
		if !progress {
			return
		}
	}
}

// TestNoDoneWhileTheWorkshopIsScheduled: 1635 while its workshop is
// scheduled for tomorrow.
func TestNoDoneWhileTheWorkshopIsScheduled(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	if s := text(c.say(pat, "done 1699")); !strings.Contains(s, "marked **1699**") {
		t.Fatalf("done 1699: %q", s)
	}
	e := c.engagement()
	start := qNow.Add(24 * time.Hour)
	if err := playbook.SetWorkshop(e, mo.id, playbook.Workshop{Key: "workshop-imap", Tasks: []string{"workshop-imap"}, Status: playbook.WorkshopScheduled, Start: start, End: start.Add(time.Hour)}, qNow); err != nil {
		t.Fatal(err)
	}
	commit(t, c, e)
	refusedDone(t, c, mo, "1635", "1635 completes when its workshop, scheduled for "+start.Format("2 Jan 2006 15:04")+" UTC, is marked held", "workshops")
	// Nor recorded as held elsewhere while mvmbot has it scheduled.
	before := c.engagement()
	if s := text(c.say(mo, "workshop 1635 held elsewhere a call")); !strings.Contains(s, "has a workshop scheduled on the workshops card") {
		t.Errorf("held elsewhere while scheduled: %q", s)
	}
	assertUnchanged(t, c, before)
	// The workshops card still says Scheduled, and status agrees: open.
	if s := cardText(t, replyCard(t, c.say(mo, "workshops"))); !strings.Contains(s, "Scheduled") {
		t.Errorf("workshops card: %s", s)
	}
}

// TestNoEventsOutOfOrder: an event does not start while 1871's needs are
// open (the walk tests the refusal by button and the override); 1871 is not
// done while events are planned.
func TestNoEventsOutOfOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	validatedQuestionnaire(t, c, true)
	card := replyCard(t, c.say(vi, "plan"))
	if s := cardText(t, c.click(vi, "planAccept", action(t, card, "planAccept", "")).card(t)); !strings.Contains(s, "Plan v1 accepted") {
		t.Fatalf("accept: %s", s)
	}
	e := c.engagement()
	if err := playbook.WaivePreflight(e, vi.id, 1, "same users as the test migration", qNow); err != nil {
		t.Fatal(err)
	}
	commit(t, c, e)
	before := c.engagement()
	ans := c.click(vi, "eventStart", eventAction(t, replyCard(t, c.say(vi, "events")), "eventStart", 1))
	if ans.StatusCode != http.StatusBadRequest || !strings.Contains(string(ans.Value), "migration events (1871) wait for 3954") {
		t.Errorf("start: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	e = c.engagement()
	settleNeeds(t, e, "migration-events")
	commit(t, c, e)
	refusedDone(t, c, vi, "1871", "1871 completes when every migration event is completed or cancelled", "events")
}

// TestCloseCompletesTheCloseOut: with every close-out item settled, Close
// closes and completes 2323 (it answered "1 tasks are still open: 2323").
func TestCloseCompletesTheCloseOut(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)
	e := c.engagement()
	for _, ev := range e.Events {
		if _, err := playbook.CancelEvent(e, vi.id, ev.N, "moved to a follow-up engagement", qNow); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.State("migration-events"); st.Status != playbook.StatusDone {
		t.Fatalf("1871 once every event is cancelled: %+v", st)
	}
	settleNeeds(t, e, "decommission")
	for _, item := range []string{playbook.CloseCredentials, playbook.CloseEnvironment, playbook.CloseSurvey} {
		if err := playbook.CheckCloseItem(e, vi.id, item, qNow); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, c, e)
	refusedDone(t, c, vi, "2323", "2323 completes when the engagement is closed", "close")

	card := replyCard(t, c.say(vi, "close"))
	closed := cardText(t, c.click(vi, "closeOut", action(t, card, "closeOut", "")).card(t))
	if strings.Contains(closed, "still open") {
		t.Errorf("close: %s", closed)
	}
	e = c.engagement()
	if !e.IsClosed() || e.State("decommission").Status != playbook.StatusDone {
		t.Errorf("closed %v, 2323 %+v", e.IsClosed(), e.State("decommission"))
	}
}

// TestGovernmentBoxHasAnMVM: the segment asked at setup decides whether the
// MVM applies; a Government customer's Box migration gets one, who reviews
// the questionnaire.
func TestGovernmentBoxHasAnMVM(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	c.h.conn.SetMembers(roster(pat, mo, cy, vi, stranger))
	card := replyCard(t, c.say(pat, "setup"))
	if s := cardText(t, card); !strings.Contains(s, `"id":"segment"`) || !strings.Contains(s, "Government") {
		t.Fatalf("setup form lacks the segment: %s", s)
	}
	submit := map[string]any{"customer": "Contoso", "tenantDomain": "contoso.gov", "sources": "Box", "onPremExchange": "false", "role": "FRP", "segment": "Government"}
	for k, v := range action(t, card, "setupSave", "") {
		submit[k] = v
	}
	if s := cardText(t, c.click(pat, "setupSave", submit).card(t)); !strings.Contains(s, "you are its lead") {
		t.Fatalf("setup: %s", s)
	}
	if s := cardText(t, replyCard(t, c.say(pat, "role <at>Vi Velocity</at> MVM", vi))); !strings.Contains(s, "Vi Velocity now holds MVM") {
		t.Errorf("MVM in a Government Box engagement: %s", s)
	}
	e := c.engagement()
	if e.Segment != playbook.SegmentGovernment || playbook.Manager(e) != playbook.MVM {
		t.Errorf("segment %q, manager %s", e.Segment, playbook.Manager(e))
	}
	if err := playbook.Can(e, vi.id, playbook.ActionValidateQuestionnaire, nil); err != nil {
		t.Errorf("the MVM reviews: %v", err)
	}
	// A commercial Box migration still has none.
	c2 := &conv{t: t, h: newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})}
	c2.h.conn.SetMembers(roster(pat, mo, cy, vi, stranger))
	card = replyCard(t, c2.say(pat, "setup"))
	submit["segment"] = "Commercial"
	for k, v := range action(t, card, "setupSave", "") {
		submit[k] = v
	}
	c2.click(pat, "setupSave", submit).card(t)
	before := c2.engagement()
	if s := text(c2.say(pat, "role <at>Vi Velocity</at> MVM", vi)); !strings.Contains(s, "exists only in IMAP engagements and for customers outside the commercial segment") {
		t.Errorf("MVM in a commercial Box engagement: %q", s)
	}
	assertUnchanged(t, c2, before)
}

// TestHistoryPages: the history is paged with Older and Newer and says
// each entry in words; a bad page is refused.
func TestHistoryPages(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	for i := range 30 {
		if _, err := playbook.AddNote(e, vi.id, "note "+strings.Repeat("x", i%3), qNow); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, c, e)
	n := len(c.engagement().History)
	first := replyCard(t, c.say(cy, "history"))
	if s := cardText(t, first); !strings.Contains(s, "Entries 1 to 20 of "+strconv.Itoa(n)) || !strings.Contains(s, "Vi Velocity wrote a note: note") || strings.Contains(s, `"title":"Newer"`) {
		t.Errorf("page 1: %s", s)
	}
	older := action(t, first, "history", "")
	for _, a := range first["actions"].([]any) {
		if m := a.(map[string]any); m["title"] == "Older" {
			older = m["data"].(map[string]any)
		}
	}
	second := cardText(t, c.click(cy, "history", older).card(t))
	if !strings.Contains(second, "Entries 21 to") || !strings.Contains(second, `"title":"Newer"`) || !strings.Contains(second, "Pat Partner set up the engagement") {
		t.Errorf("page 2: %s", second)
	}
	if got := c.click(cy, "history", map[string]any{"engagement": e.ID, "page": "two"}); got.StatusCode != http.StatusBadRequest {
		t.Errorf("bad page: %d %s", got.StatusCode, got.Value)
	}
}

// TestReinstallAnswersWithStatus: the bot added again to a conversation
// with an engagement answers with its status, not the set-up welcome.
func TestReinstallAnswersWithStatus(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	install := h.groupMessage(c.nextID(), pat, "")
	install["type"] = "conversationUpdate"
	install["membersAdded"] = []any{map[string]any{"id": "28:" + testAppID}}
	delete(install, "text")
	s := cardText(t, replyCard(t, c.post(install)))
	if !strings.Contains(s, "Contoso Onboarding is back in this conversation. The Contoso engagement continues") || strings.Contains(s, "Set up the engagement") || !strings.Contains(s, "Assessment") {
		t.Errorf("re-install: %s", s)
	}
}

// TestPersonalNextIsShort: in the personal chat, with two engagements,
// the tasks to do now come first and each engagement's waiting tasks are
// one line with a button that shows them.
func TestPersonalNextIsShort(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	personal := func(p person) map[string]any {
		a := h.message(c.nextID(), "next")
		a["from"] = map[string]any{"id": p.id, "name": p.name}
		a["conversation"] = map[string]any{"id": "a:personal-" + p.id, "conversationType": "personal", "tenantId": "tenant-1"}
		return a
	}
	card := replyCard(t, c.post(personal(mo)))
	s := cardText(t, card)
	if !strings.Contains(s, "waiting on other tasks: ") || !strings.Contains(s, "Show what they wait for") || strings.Contains(s, `"text":"Waiting"`) {
		t.Errorf("personal next: %s", s)
	}
	full := cardText(t, c.click(mo, "next", action(t, card, "next", "")).card(t))
	if !strings.Contains(full, "Waiting") || !strings.Contains(full, "waits for") {
		t.Errorf("expanded: %s", full)
	}
}

// TestEventMembersPasted: the MVM pastes an event's batch in the events
// card, tab-separated as Excel copies it; a list with bad rows comes back
// as typed with every bad row under it, and nothing is imported.
func TestEventMembersPasted(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	validatedQuestionnaire(t, c, true)
	card := replyCard(t, c.say(vi, "plan"))
	if s := cardText(t, c.click(vi, "planAccept", action(t, card, "planAccept", "")).card(t)); !strings.Contains(s, "Plan v1 accepted") {
		t.Fatalf("accept: %s", s)
	}
	events := replyCard(t, c.say(vi, "events"))
	if s := cardText(t, events); !strings.Contains(s, "Set members") || !strings.Contains(s, `"id":"members-1"`) {
		t.Fatalf("events card lacks the member list form: %s", s)
	}
	set := eventAction(t, events, "eventMembers", 1)

	bad := "user\ttarget\nann@contoso.com\t\nnot-an-address\t\nann@contoso.com\t\n"
	before := c.engagement()
	s := cardText(t, c.click(vi, "eventMembers", with(set, map[string]any{"members-1": bad, "membersKind-1": "user"})).card(t))
	for _, want := range []string{"Nothing was imported for event 1", `line 3: \"not-an-address\" is not an email address`, `\n\nline 4: ann@contoso.com repeats line 2`} {
		if !strings.Contains(s, want) {
			t.Errorf("refused list lacks %q: %s", want, s)
		}
	}
	if !strings.Contains(s, `"value":"user\ttarget\nann@contoso.com`) {
		t.Errorf("the list is not kept as typed: %s", s)
	}
	assertUnchanged(t, c, before)

	good := "user\ttarget\r\nann@contoso.com\tann@contoso.onmicrosoft.com\r\nbob@contoso.com\t\r\n"
	s = cardText(t, c.click(vi, "eventMembers", with(set, map[string]any{"members-1": good, "membersKind-1": "user"})).card(t))
	if !strings.Contains(s, "set the members of event 1: 2 user") {
		t.Errorf("set: %s", s)
	}
	if ev := c.engagement().Events[0]; len(ev.Members) != 2 || ev.Members[0].Target != "ann@contoso.onmicrosoft.com" {
		t.Errorf("members = %+v", ev.Members)
	}
	// The customer may not.
	before = c.engagement()
	if got := c.click(cy, "eventMembers", with(set, map[string]any{"members-1": good, "membersKind-1": "user"})); got.StatusCode != refusal {
		t.Errorf("customer: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
}

// assessed marks 1699 done, as the FRP: the migration workshops wait for
// the assessment before they are scheduled.
func assessed(t *testing.T, c *conv) {
	t.Helper()
	if s := text(c.say(pat, "done 1699")); !strings.Contains(s, "marked **1699**") {
		t.Fatalf("done 1699: %q", s)
	}
}

// TestWorkshopWaitsForTheAssessment: scheduling a migration workshop asks
// the playbook as done does: it waits for 1699.
func TestWorkshopWaitsForTheAssessment(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	card := replyCard(t, c.say(mo, "workshops"))
	before := c.engagement()
	got := c.click(mo, "workshopSchedule", action(t, card, "workshopSchedule", "workshop-imap"))
	if got.StatusCode != http.StatusBadRequest || !strings.Contains(string(got.Value), "This workshop waits for 1699") {
		t.Errorf("schedule before 1699: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
}

// TestHeldElsewhereAgrees: a workshop recorded as held elsewhere reads
// the same on the workshops card, status and history: done, as an
// override, with the reason.
func TestHeldElsewhereAgrees(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	assessed(t, c)
	if s := text(c.say(mo, "workshop 1635 held elsewhere Teams call on 20 Nov")); !strings.Contains(s, "as held elsewhere (an override): Teams call on 20 Nov") {
		t.Fatalf("held elsewhere: %q", s)
	}
	ws := cardText(t, replyCard(t, c.say(cy, "workshops")))
	if !strings.Contains(ws, "Held elsewhere (an override): Teams call on 20 Nov") {
		t.Errorf("workshops card: %s", ws)
	}
	for _, cmd := range []string{"status", "history"} {
		if s := cardText(t, replyCard(t, c.say(cy, cmd))); !strings.Contains(s, "held elsewhere: Teams call on 20 Nov") {
			t.Errorf("%s: %s", cmd, s)
		}
	}
	if st := c.engagement().State("workshop-imap"); st.Status != playbook.StatusDone || !st.Override {
		t.Errorf("1635 = %+v", st)
	}
}
