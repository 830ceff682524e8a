package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

// TestSetupLeadFromRoster: the person who sets the engagement up gets their
// address and Entra object id from the Teams roster, as a person given a
// role does, so the workshops invite them and their invitation mentions
// them.
func TestSetupLeadFromRoster(t *testing.T) {
	clk := &clock{now: qNow}
	h := newHarness(t, harnessOpts{auth: true, now: clk.Now})
	c := &conv{t: t, h: h}
	setUp(t, c)
	lead, _ := c.engagement().Lead()
	if lead.ID != pat.id || lead.Email != "pat@contoso.com" || lead.AADObjectID != pat.aad {
		t.Fatalf("lead = %+v, want Pat with the roster's address and object id", lead)
	}
	assessed(t, c)
	card := replyCard(t, c.say(mo, "workshops"))
	form := c.click(mo, "workshopSchedule", action(t, card, "workshopSchedule", "workshop-imap")).card(t)
	slots := c.click(mo, "workshopSlots", withInputs(action(t, form, "workshopSlots", "workshop-imap"), scheduleForm)).card(t)
	_, id := c.clickID(mo, "workshopPick", pickSlot(t, slots, "workshop-imap", 0))
	w := c.engagement().Workshop("workshop-imap")
	if w == nil || !slices.ContainsFunc(w.Attendees, func(a playbook.Attendee) bool { return a.Email == "pat@contoso.com" }) {
		t.Errorf("the lead is not invited: %+v", w)
	}
	if ids := mentionsOf(t, h.replyTo(id)); !slices.Contains(ids, pat.id) {
		t.Errorf("the invitation mentions %v, not the lead", ids)
	}
}

// roleWalk walks one engagement from setup to Close through the endpoint
// (signed tokens, real bbolt, fake connector, fake Graph for the site),
// every role through its own path: the FRP sets up and gives the roles,
// the customer fills and submits the questionnaire, the MVM validates, the
// MST schedules each workshop by picking a slot and marks it held on the
// card, the MST has the site created, the MVM proposes and accepts the
// plan, pastes each event's members in the event card and runs the events,
// and the MVM settles the close-out and closes. At each step a person who
// may not act is refused with a message, and nothing changes; at the
// milestones next, status, the workshops card and the report agree.
//
// Each kind of step is one helper below (walkSetup, walkDone,
// walkQuestionnaire, walkValidate, walkWorkshop, walkSite, walkEvents,
// walkClose), so that a step whose path changes is changed in one place.
type roleWalk struct {
	t       *testing.T
	c       *conv
	clk     *clock
	src     string
	segment string
	sites   *fakeSites
	sj      *bot.SiteJobs
	// siteJobs counts the site set-up jobs worked so far.
	siteJobs int
	// holder is who acts for each role.
	holder map[playbook.Role]person
}

func newRoleWalk(t *testing.T, src, segment string) *roleWalk {
	clk := &clock{now: qNow}
	h := newHarness(t, harnessOpts{auth: true, now: clk.Now})
	w := &roleWalk{t: t, c: &conv{t: t, h: h}, clk: clk, src: src, segment: segment, sites: newFakeSites(),
		holder: map[playbook.Role]person{playbook.FRP: pat, playbook.Customer: cy, playbook.MST: mo, playbook.MVM: vi}}
	h.srv.Handler = bot.Conversation{Engagements: h.db, Now: clk.Now, Sites: w.sites, Refs: h.db,
		Roster: &botframework.Connector{BaseDelay: time.Millisecond, MaxAttempts: 1}}
	w.sj = &bot.SiteJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: clk.Now, Runner: h.runner}, Graph: w.sites}
	return w
}

// later moves the conversation's clock on by d.
func (w *roleWalk) later(d time.Duration) { w.clk.Set(w.clk.Now().Add(d)) }

// refused clicks verb as p, which the playbook refuses: the answer is a
// message (saying want), and the engagement is unchanged.
func (w *roleWalk) refused(p person, verb string, data map[string]any, want string) {
	w.t.Helper()
	before := w.c.engagement()
	got := w.c.click(p, verb, data)
	if got.accepted() || got.Type != refusalType && got.StatusCode != 400 || len(got.Value) < 10 || !strings.Contains(string(got.Value), want) {
		w.t.Errorf("%s's %s: %d %s %s, want a refusal saying %q", p.name, verb, got.StatusCode, got.Type, got.Value, want)
	}
	assertUnchanged(w.t, w.c, before)
	w.t.Logf("refused %s's %s: %s", p.name, verb, got.Value)
}

// refusedSay is refused for a typed command.
func (w *roleWalk) refusedSay(p person, cmd, want string, mentions ...person) {
	w.t.Helper()
	before := w.c.engagement()
	if s := text(w.c.say(p, cmd, mentions...)); !strings.Contains(s, want) {
		w.t.Errorf("%s's %q: %q, want a refusal saying %q", p.name, cmd, s, want)
	}
	assertUnchanged(w.t, w.c, before)
}

// outsider is someone in the engagement the playbook does not let do a on
// t (nil: no task), for the refusals; ok is false when everyone may.
func (w *roleWalk) outsider(a playbook.Action, t *playbook.Task) (person, bool) {
	e := w.c.engagement()
	for _, p := range []person{cy, pat, mo, vi, stranger} {
		if playbook.Can(e, p.id, a, t) != nil {
			return p, true
		}
	}
	return person{}, false
}

// may is who does a here: the MVM where one is engaged, else the MST or
// the lead, as the playbook says.
func (w *roleWalk) may(a playbook.Action) person {
	e := w.c.engagement()
	for _, p := range []person{vi, mo, pat} {
		if playbook.Can(e, p.id, a, nil) == nil {
			return p
		}
	}
	w.t.Fatalf("nobody may %s", a)
	return person{}
}

// walkSetup: the FRP sets the engagement up and gives the roles (the MVM
// where the segment and sources have one); the others may not.
func (w *roleWalk) walkSetup() {
	t, c := w.t, w.c
	t.Helper()
	c.h.conn.SetMembers(roster(pat, mo, cy, vi, stranger))
	card := replyCard(t, c.say(pat, "setup"))
	submit := map[string]any{"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": w.src,
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP", "segment": w.segment}
	for k, v := range action(t, card, "setupSave", "") {
		submit[k] = v
	}
	if s := cardText(t, c.click(pat, "setupSave", submit).card(t)); !strings.Contains(s, "you are its lead") {
		t.Fatalf("setup: %s", s)
	}
	// The customer, not yet in the engagement, may not give roles.
	w.refusedSay(cy, "role <at>Cy Customer</at> MVM", "not a member", cy)
	roles := []struct {
		p    person
		role string
	}{{mo, "MST"}, {cy, "customer"}}
	if playbook.MVMApplies(c.engagement()) {
		roles = append(roles, struct {
			p    person
			role string
		}{vi, "mvm"})
	} else {
		w.refusedSay(pat, "role <at>Vi Velocity</at> MVM", "exists only in IMAP engagements and for customers outside the commercial segment", vi)
	}
	for _, r := range roles {
		if s := cardText(t, replyCard(t, c.say(pat, "role <at>"+r.p.name+"</at> "+r.role, r.p))); !strings.Contains(s, r.p.name+" now holds") {
			t.Fatalf("role %s: %s", r.role, s)
		}
	}
	// Nor may the customer, now in it, hand themselves the lead.
	w.refusedSay(cy, "lead <at>Cy Customer</at>", "lead", cy)
	if e := c.engagement(); string(e.Segment) != w.segment {
		t.Fatalf("segment %q, want %s", e.Segment, w.segment)
	}
}

// walkDone: a task with no evidence, done by its owner with the Done
// button of their own next card, after a person who may not is refused.
func (w *roleWalk) walkDone(s playbook.Step) {
	t, c := w.t, w.c
	t.Helper()
	p := w.holder[s.Owner]
	next := replyCard(t, c.say(p, "next"))
	done := action(t, next, "done", s.Task.Key)
	if o, ok := w.outsider(playbook.ActionMarkDone, &s.Task); ok {
		w.refused(o, "done", done, "")
	}
	if s := cardText(t, c.click(p, "done", done).card(t)); !strings.Contains(s, "marked") && !strings.Contains(s, "done") {
		t.Errorf("done: %s", s)
	}
	if st := c.engagement().State(s.Task.Key); st.Status != playbook.StatusDone || st.By != p.id || st.Override {
		t.Fatalf("%s after Done: %+v", s.Task.Ref(), st)
	}
}

// boxAnswers is qAnswers for a Box engagement.
func sourceAnswers(src string) map[string]any {
	a := qAnswers()
	if src == "Box" {
		for k := range a {
			if strings.HasPrefix(k, "imap-") {
				delete(a, k)
			}
		}
		for k, v := range map[string]any{"box-enterprise-id": "123456", "box-admin": "box.admin@contoso.com", "box-users": "200", "box-volume-gb": "1000", "box-notes": "no"} {
			a[k] = v
		}
	}
	return a
}

// walkQuestionnaire: the customer fills the questionnaire from their next
// card and submits it; the FRP may not submit it.
func (w *roleWalk) walkQuestionnaire() {
	t, c := w.t, w.c
	t.Helper()
	form := c.click(cy, "questionnaire", action(t, replyCard(t, c.say(cy, "next")), "questionnaire", "")).card(t)
	submit := with(action(t, form, "questionnaireSubmit", ""), sourceAnswers(w.src))
	w.refused(pat, "questionnaireSubmit", submit, "")
	if s := cardText(t, c.click(cy, "questionnaireSubmit", submit).card(t)); !strings.Contains(s, "Submitted as v1") {
		t.Fatalf("submit: %s", s)
	}
}

// walkValidate: the MVM (the MST without one) validates from
// questionnaire show; someone who may not is refused.
func (w *roleWalk) walkValidate() {
	t, c := w.t, w.c
	t.Helper()
	by := w.may(playbook.ActionValidateQuestionnaire)
	validate := action(t, replyCard(t, c.say(by, "questionnaire show")), "questionnaireValidate", "")
	if o, ok := w.outsider(playbook.ActionValidateQuestionnaire, nil); ok {
		w.refused(o, "questionnaireValidate", validate, "Only the")
	}
	if s := cardText(t, c.click(by, "questionnaireValidate", validate).card(t)); !strings.Contains(s, "You validated v1") {
		t.Fatalf("validate: %s", s)
	}
}

// walkWorkshop: the MST schedules the workshop of task key by picking a
// slot, and marks it held on the workshops card once it has taken place;
// the customer may do neither.
func (w *roleWalk) walkWorkshop(key string) {
	t, c := w.t, w.c
	t.Helper()
	card := replyCard(t, c.say(mo, "workshops"))
	if !hasTask(card, "workshopSchedule", key) {
		card = c.click(mo, "workshopAdd", action(t, card, "workshopAdd", key)).card(t)
	}
	schedule := action(t, card, "workshopSchedule", key)
	w.refused(cy, "workshopSchedule", schedule, "can schedule workshops")
	form := c.click(mo, "workshopSchedule", schedule).card(t)
	earliest := w.clk.Now().AddDate(0, 0, 1).Format("2006-01-02")
	slots := c.click(mo, "workshopSlots", withInputs(action(t, form, "workshopSlots", key), map[string]any{"minutes": "60", "earliest": earliest, "fromHour": "9", "toHour": "17"})).card(t)
	if s := cardText(t, c.click(mo, "workshopPick", pickSlot(t, slots, key, 0)).card(t)); !strings.Contains(s, "The workshop is scheduled.") {
		t.Fatalf("pick: %s", s)
	}
	ws := c.engagement().Workshop(key)
	if ws == nil || ws.Status != playbook.WorkshopScheduled {
		t.Fatalf("workshop %s = %+v", key, ws)
	}
	if s := cardText(t, replyCard(t, c.say(cy, "workshops"))); !strings.Contains(s, "Scheduled") {
		t.Errorf("the customer's workshops card does not say Scheduled: %s", s)
	}
	w.clk.Set(ws.End.Add(time.Minute))
	held := map[string]any{"engagement": c.engagement().ID, "task": key}
	w.refused(cy, "workshopHeld", held, "can schedule workshops")
	if s := cardText(t, c.click(mo, "workshopHeld", held).card(t)); !strings.Contains(s, "marked held") {
		t.Fatalf("held: %s", s)
	}
	if st := c.engagement().State(key); st.Status != playbook.StatusDone || st.Override {
		t.Fatalf("%s after held: %+v", key, st)
	}
}

// hasTask reports whether card has a verb button for task.
func hasTask(card map[string]any, verb, task string) bool {
	return findData(card, verb, func(d map[string]any) bool { return d["task"] == task }) != nil
}

// walkSite: the MST has the collaboration site created (Graph faked); the
// customer may not.
func (w *roleWalk) walkSite() {
	t, c := w.t, w.c
	t.Helper()
	form := replyCard(t, c.say(mo, "site"))
	create := withInputs(action(t, form, "siteCreate", ""), map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": ""})
	w.refused(cy, "siteCreate", create, "can set up the collaboration site")
	if s := cardText(t, c.click(mo, "siteCreate", create).card(t)); !strings.Contains(s, "asked for the collaboration site") {
		t.Fatalf("site: %s", s)
	}
	w.siteJobs++
	job := deadJobs(t, c.h, bot.KindSiteSetup, w.siteJobs)[w.siteJobs-1]
	if err := w.sj.WorkSetup(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if s := c.engagement().Site; s == nil || s.State != playbook.SiteReady {
		t.Fatalf("site = %+v", s)
	}
}

// walkEvents: the MVM (the MST without one) proposes and accepts the
// plan, pastes each event's members in the event card; the MST runs the
// pilot's pre-flight, the MVM waives the batches' with a reason; the MVM
// starts and completes each. The customer may not start one.
func (w *roleWalk) walkEvents() {
	t, c := w.t, w.c
	t.Helper()
	vi := w.may(playbook.ActionAcceptPlan)
	if len(c.engagement().Events) == 0 {
		plan := replyCard(t, c.say(vi, "plan"))
		w.refused(cy, "planAccept", action(t, plan, "planAccept", ""), "")
		if s := cardText(t, c.click(vi, "planAccept", action(t, plan, "planAccept", "")).card(t)); !strings.Contains(s, "Plan v1 accepted") {
			t.Fatalf("accept: %s", s)
		}
	}
	for _, ev := range c.engagement().Events {
		n := ev.N
		in := func(k string) string { return fmt.Sprintf("%s-%d", k, n) }
		var rows strings.Builder
		rows.WriteString("user\ttarget\n")
		var units []string
		for i := range ev.Units {
			u := fmt.Sprintf("e%d-user%03d@contoso.com", n, i)
			units = append(units, u)
			fmt.Fprintf(&rows, "%s\t\n", u)
		}
		members := eventAction(t, replyCard(t, c.say(vi, "events")), "eventMembers", n)
		w.refused(cy, "eventMembers", with(members, map[string]any{in("members"): rows.String(), in("membersKind"): "user"}), "")
		if s := cardText(t, c.click(vi, "eventMembers", with(members, map[string]any{in("members"): rows.String(), in("membersKind"): "user"})).card(t)); !strings.Contains(s, fmt.Sprintf("set the members of event %d", n)) {
			t.Fatalf("members %d: %s", n, s)
		}
		card := replyCard(t, c.say(vi, "events"))
		if ev.Kind == playbook.KindPilot {
			card = c.click(mo, "eventPreflight", eventAction(t, card, "eventPreflight", n)).card(t)
			var b strings.Builder
			b.WriteString("unit,result,reason\n")
			for _, u := range units {
				fmt.Fprintf(&b, "%s,passed,\n", u)
			}
			card = c.click(mo, "eventResults", with(eventAction(t, card, "eventResults", n), map[string]any{in("preflight"): b.String()})).card(t)
			card = c.click(mo, "eventReady", eventAction(t, card, "eventReady", n)).card(t)
		} else {
			card = c.click(vi, "eventWaive", with(eventAction(t, card, "eventWaive", n), map[string]any{in("eventReason"): "same source as the pilot"})).card(t)
		}
		start := eventAction(t, card, "eventStart", n)
		w.refused(cy, "eventStart", start, "")
		card = c.click(vi, "eventStart", start).card(t)
		w.later(time.Hour)
		card = c.click(vi, "eventComplete", with(eventAction(t, card, "eventComplete", n), map[string]any{in("migrated"): strconv.Itoa(ev.Units), in("failed"): "0"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, fmt.Sprintf("completed event %d: %d migrated, 0 failed", n, ev.Units)) {
			t.Fatalf("complete %d: %s", n, s)
		}
	}
	e := c.engagement()
	for _, ev := range e.Events {
		if ev.State != playbook.EventCompleted || ev.Override != nil {
			t.Errorf("event %d = %s, override %v", ev.N, ev.State, ev.Override)
		}
	}
	if st := e.State("migration-events"); st.Status != playbook.StatusDone || st.Override {
		t.Errorf("1871 after the events: %+v", st)
	}
}

// walkClose: the MVM (the MST without one) checks the close-out items,
// sends the survey (the customer answers), and whoever the playbook lets
// closes: Close with every item settled completes 2323. Someone who may
// not close is refused.
func (w *roleWalk) walkClose() {
	t, c := w.t, w.c
	t.Helper()
	vi, closer := w.may(playbook.ActionCloseCheck), w.may(playbook.ActionClose)
	card := replyCard(t, c.say(vi, "close"))
	for _, it := range playbook.CloseChecklist(c.engagement()) {
		if it.Settled() || it.Auto || it.Key == playbook.CloseSurvey {
			continue
		}
		check := action(t, card, "closeCheck", it.Key)
		w.refused(cy, "closeCheck", check, "")
		card = c.click(vi, "closeCheck", check).card(t)
	}
	if !playbook.CloseChecklist(c.engagement())[len(playbook.CloseChecklist(c.engagement()))-1].Settled() || strings.Contains(cardText(t, card), `"verb":"surveySend"`) {
		ans, id := c.clickID(vi, "surveySend", action(t, card, "surveySend", ""))
		ans.card(t) // a card, valid against the schema
		submit := action(t, replyCard(t, c.h.replyTo(id)), "surveySubmit", "")
		if s := cardText(t, c.click(cy, "surveySubmit", with(submit, map[string]any{"score": "9", "comment": "smooth"})).card(t)); !strings.Contains(s, "Your answer (9) was recorded") {
			t.Errorf("survey: %s", s)
		}
		card = replyCard(t, c.say(vi, "close"))
	}
	if closer != vi {
		card = replyCard(t, c.say(closer, "close")) // Close is on the closer's card
	}
	closeOut := action(t, card, "closeOut", "")
	if o, ok := w.outsider(playbook.ActionClose, nil); ok {
		w.refused(o, "closeOut", closeOut, "")
	}
	if s := cardText(t, c.click(closer, "closeOut", closeOut).card(t)); strings.Contains(s, "still open") || !strings.Contains(s, "read-only now") {
		t.Fatalf("close: %s", s)
	}
	e := c.engagement()
	if st := e.State("decommission"); !e.IsClosed() || st.Status != playbook.StatusDone || st.Override {
		t.Fatalf("closed %v, 2323 %+v", e.IsClosed(), st)
	}
}

// agree checks that what each person sees says the same as the record:
// each one's next card lists their tasks to do now and offers no Done for
// a settled task; status, next and the report show the same overrides;
// the workshops card says each workshop's state.
func (w *roleWalk) agree() {
	t, c := w.t, w.c
	t.Helper()
	e := c.engagement()
	overrides := ""
	if n := len(playbook.Overrides(e)); n > 0 {
		overrides = fmt.Sprintf("Overrides (%d)", n)
	}
	for _, p := range []person{pat, cy, mo, vi} {
		if _, ok := e.Member(p.id); !ok {
			continue
		}
		next := replyCard(t, c.say(p, "next"))
		s := cardText(t, next)
		steps, _ := playbook.NextSteps(e, p.id)
		for _, st := range steps.Ready {
			if !strings.Contains(s, "**"+st.Task.Ref()+"**") {
				t.Errorf("%s's next lacks %s: %s", p.name, st.Task.Ref(), s)
			}
		}
		for key, st := range e.States {
			if st.Status != playbook.StatusOpen && findData(next, "done", func(d map[string]any) bool { return d["task"] == key }) != nil {
				t.Errorf("%s's next offers Done for settled %s", p.name, key)
			}
		}
		if overrides != "" && !strings.Contains(s, overrides) {
			t.Errorf("%s's next lacks %q", p.name, overrides)
		}
	}
	for _, cmd := range []string{"status", "report"} {
		if s := cardText(t, replyCard(t, c.say(cy, cmd))); overrides != "" && !strings.Contains(s, overrides) || overrides == "" && strings.Contains(s, "Overrides (") {
			t.Errorf("%s disagrees on %q: %s", cmd, overrides, s)
		}
	}
	ws := cardText(t, replyCard(t, c.say(cy, "workshops")))
	for _, x := range e.Workshops {
		want := map[playbook.WorkshopStatus]string{playbook.WorkshopHeld: "Held", playbook.WorkshopScheduled: "Scheduled"}[x.Status]
		if want != "" && !strings.Contains(ws, want) {
			t.Errorf("workshops card lacks %q for %s: %s", want, x.Key, ws)
		}
	}
}

// run walks the engagement from setup to Close: each time, the first task
// the playbook has ready, through its own path.
func (w *roleWalk) run() {
	t := w.t
	w.walkSetup()
	w.agree()
	for range 80 {
		e := w.c.engagement()
		ready := playbook.NextStepsForRoles(e, playbook.Roles()...).Ready
		if len(ready) == 0 {
			t.Fatalf("nothing ready, engagement open: %s", cardText(t, replyCard(t, w.c.say(vi, "status"))))
		}
		s := ready[0]
		t.Logf("%s (%s, %s)", s.Task.Ref(), s.Owner, playbook.EvidenceOf(s.Task))
		switch playbook.EvidenceOf(s.Task) {
		case playbook.EvidenceQuestionnaire:
			w.walkQuestionnaire()
		case playbook.EvidenceValidation:
			w.walkValidate()
		case playbook.EvidenceWorkshop:
			w.walkWorkshop(s.Task.Key)
		case playbook.EvidenceSite:
			w.walkSite()
		case playbook.EvidenceEvents:
			w.walkEvents()
			w.agree()
		case playbook.EvidenceClose:
			w.walkClose()
			w.agree()
			if e := w.c.engagement(); len(playbook.Overrides(e)) != 0 {
				t.Errorf("the walk needed overrides: %+v", playbook.Overrides(e))
			}
			return
		default:
			w.walkDone(s)
		}
		if e := w.c.engagement(); e.State(s.Task.Key).Status == playbook.StatusOpen {
			t.Fatalf("%s still open after its step", s.Task.Ref())
		}
	}
	t.Fatal("the walk did not reach the close")
}

// TestEveryRoleWalks: an IMAP and a Box engagement of a Government
// customer (each with an MVM), and a commercial customer's Box engagement
// (none: the MST acts for the MVM), from setup to Close, every role
// through its own path (see roleWalk).
func TestEveryRoleWalks(t *testing.T) {
	for _, tt := range []struct{ src, segment string }{{"IMAP", "Government"}, {"Box", "Government"}, {"Box", "Commercial"}} {
		t.Run(tt.src+" "+tt.segment, func(t *testing.T) { newRoleWalk(t, tt.src, tt.segment).run() })
	}
}

// TestCloseWithTasksOpenIsAnOverride: closing with a reason while tasks
// are open sets them aside, and status, next and the report list that as
// an override, as they list the others.
func TestCloseWithTasksOpenIsAnOverride(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	e := c.engagement()
	for _, it := range playbook.CloseChecklist(e) {
		if it.Settled() {
			continue
		}
		if err := playbook.WaiveCloseItem(e, vi.id, it.Key, "the customer cancelled", qNow); err != nil {
			t.Fatalf("waive %s: %v", it.Key, err)
		}
	}
	commit(t, c, e)
	closeOut := action(t, replyCard(t, c.say(vi, "close")), "closeOut", "")
	if s := cardText(t, c.click(vi, "closeOut", with(closeOut, map[string]any{"closeReason": "the customer cancelled"})).card(t)); !strings.Contains(s, "read-only now") {
		t.Fatalf("close: %s", s)
	}
	for _, cmd := range []string{"status", "report"} {
		if s := cardText(t, replyCard(t, c.say(cy, cmd))); !strings.Contains(s, "Overrides (1)") || !strings.Contains(s, "tasks set aside: the customer cancelled") {
			t.Errorf("%s after closing with tasks open: %s", cmd, s)
		}
	}
}
