package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/playbook"
)

// eventAction finds the Action.Execute with that verb for event n anywhere
// in card and returns its data.
func eventAction(t *testing.T, card map[string]any, verb string, n int) map[string]any {
	t.Helper()
	found := findData(card, verb, func(d map[string]any) bool { return d["event"] == float64(n) })
	if found == nil {
		t.Fatalf("no %s button for event %d in card %s", verb, n, mustJSON(t, card))
	}
	return found
}

// postedCard is the validated card of a post.
func postedCard(t *testing.T, post map[string]any) string {
	t.Helper()
	return cardText(t, replyCard(t, post))
}

// TestIMAPMigrationEndToEnd walks one IMAP engagement through the real
// endpoint (signed tokens, real bbolt, fake connector) from a validated
// questionnaire to its close: plan, a pilot with pre-flight failures and
// their remediation, two batches, the weekly report and an escalation
// reminder on a fake clock, an issue resolved, the reporting feed read with
// a key, the close-out checklist with the survey, and read-only after.
//
// The conversation's clock is qNow (before the questionnaire's window) up
// to the batches; from the weekly report on, it is jobsNow, a year ahead of
// the real clock, so that the harness's runner never claims the report and
// reminder jobs this test claims and works itself.
func TestIMAPMigrationEndToEnd(t *testing.T) { onBoth(t, testIMAPMigrationEndToEnd) }

func testIMAPMigrationEndToEnd(t *testing.T, postgres bool) {
	var clock atomic.Int64
	clock.Store(qNow.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	setClock := func(at time.Time) { clock.Store(at.UnixNano()) }
	h := newHarness(t, harnessOpts{auth: true, inline: true, now: now, postgres: postgres})
	c := &conv{t: t, h: h}
	ctx := context.Background()
	var e *playbook.Engagement

	// step runs one step of the walk, stopping the walk at its first failure.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	// events is the events card as the MVM sees it.
	events := func() map[string]any { return replyCard(t, c.say(vi, "events")) }

	step("validated questionnaire", func(t *testing.T) {
		validatedQuestionnaire(t, c, true)
		e = c.engagement()
		if lead, _ := e.Lead(); lead.ID != pat.id || !lead.Has(playbook.FRP) {
			t.Errorf("lead = %+v, want Pat as FRP", lead)
		}
		for p, r := range map[person]playbook.Role{vi: playbook.MVM, mo: playbook.MST, cy: playbook.Customer} {
			if m, _ := e.Member(p.id); !m.Has(r) {
				t.Errorf("%s = %+v, want %s", p.name, m, r)
			}
		}
		if q := e.Questionnaire; len(q) != 1 || q[0].Answers["users-in-scope"] != "250" {
			t.Errorf("questionnaire = %+v", q)
		}
	})

	step("plan accepted, events listed", func(t *testing.T) {
		card := replyCard(t, c.say(vi, "plan"))
		s := cardText(t, card)
		for _, want := range []string{"Contoso: migration plan", "questionnaire v1", "pilot, 20 units", "Monthly forecast", "planAccept"} {
			if !strings.Contains(s, want) {
				t.Errorf("plan card lacks %q: %s", want, s)
			}
		}
		if s := cardText(t, c.click(vi, "planAccept", action(t, card, "planAccept", "")).card(t)); !strings.Contains(s, "Plan v1 accepted") {
			t.Fatalf("accept: %s", s)
		}
		e = c.engagement()
		p, ok := playbook.LatestPlan(e)
		if !ok || p.AcceptedBy != vi.id || p.Units != 250 || len(e.Events) < 3 || e.Events[0].Kind != playbook.KindPilot || e.Events[0].Units != 20 || e.Events[1].Units != 50 {
			t.Fatalf("plan = %+v, events %+v", p, e.Events)
		}
		s = cardText(t, replyCard(t, c.say(cy, "events")))
		for _, want := range []string{"Event 1, ", "pilot, 20 units, planned", "Event 2, ", "batch, 50 units, planned"} {
			if !strings.Contains(s, want) {
				t.Errorf("events card lacks %q: %s", want, s)
			}
		}

		// The pilot's and the first two batches' members, as mvmbot import
		// batch stores them.
		for _, n := range []int{1, 2, 3} {
			var ms []playbook.BatchMember
			for i := range e.Events[n-1].Units {
				u := fmt.Sprintf("user%02d@contoso.com", i)
				if n > 1 {
					u = fmt.Sprintf("b%d-user%02d@contoso.com", n, i)
				}
				ms = append(ms, playbook.BatchMember{Unit: u})
			}
			if err := playbook.SetEventMembers(e, vi.id, n, playbook.BatchUsers, ms, now()); err != nil {
				t.Fatal(err)
			}
		}
		e.Version++
		if _, _, err := h.db.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
			t.Fatal(err)
		}
	})

	step("pilot", func(t *testing.T) {
		card := c.click(mo, "eventPreflight", eventAction(t, events(), "eventPreflight", 1)).card(t)
		if s := cardText(t, card); !strings.Contains(s, "Mo Support started pre-flight of event 1") {
			t.Errorf("pre-flight: %s", s)
		}
		var b strings.Builder
		b.WriteString("unit,result,reason\n")
		for i := range 20 {
			switch i {
			case 3:
				b.WriteString("user03@contoso.com,failed,We had trouble signing in to this account.\n")
			case 7:
				b.WriteString("user07@contoso.com,failed,mailbox folder tree looks odd\n")
			default:
				fmt.Fprintf(&b, "user%02d@contoso.com,passed,\n", i)
			}
		}
		results := eventAction(t, card, "eventResults", 1)
		ans, id := c.clickID(mo, "eventResults", with(results, map[string]any{"preflight-1": b.String()}))
		if s := cardText(t, ans.card(t)); !strings.Contains(s, "18 passed, 2 failed, 0 unchecked") {
			t.Errorf("results: %s", s)
		}
		post := h.replyTo(id)
		if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != cy.id {
			t.Errorf("remediation post mentions %v, want the customer", ids)
		}
		known, ok := playbook.MatchKnownError("We had trouble signing in to this account.", playbook.KnownErrors(playbook.IMAP))
		if !ok {
			t.Fatal("Microsoft's sign-in error matches no known IMAP error")
		}
		s := text(post)
		for _, want := range []string{"2 units of event 1 failed pre-flight", "user03@contoso.com", known.Remediation, "user07@contoso.com", "the MST will look at it"} {
			if !strings.Contains(s, want) {
				t.Errorf("remediation post lacks %q: %q", want, s)
			}
		}

		// The customer fixes user03's credentials: the re-check passes it.
		card = c.click(mo, "eventResults", with(results, map[string]any{"preflight-1": "unit,result,reason\nuser03@contoso.com,passed,\n"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "19 passed, 1 failed, 0 unchecked") {
			t.Errorf("re-check: %s", s)
		}
		if f := c.engagement().Events[0].PreflightFailures(); len(f) != 1 || f[0].Unit != "user07@contoso.com" {
			t.Errorf("failures after the re-check = %+v", f)
		}

		card = c.click(mo, "eventReady", eventAction(t, card, "eventReady", 1)).card(t)
		// 1871's needs (the handover, the tracker, the known errors, the
		// Power BI workshop) are open: Start is refused and says why; the
		// MVM starts it anyway with a reason, an override on record.
		before := c.engagement()
		if ans := c.click(vi, "eventStart", eventAction(t, card, "eventStart", 1)); ans.StatusCode != http.StatusBadRequest ||
			!strings.Contains(string(ans.Value), "Event 1 cannot start yet: migration events (1871) wait for 3954") || !strings.Contains(string(ans.Value), "start anyway") {
			t.Errorf("start before 1871's needs: %d %s", ans.StatusCode, ans.Value)
		}
		assertUnchanged(t, c, before)
		if s := text(c.say(mo, "event 1 start anyway the pilot users are waiting")); !strings.Contains(s, "Only the MVM can override") {
			t.Errorf("the MST's override where an MVM is engaged: %q", s)
		}
		if s := text(c.say(vi, "event 1 start anyway the pilot users are waiting")); !strings.Contains(s, "started event 1 before the playbook's order allows (an override): the pilot users are waiting") {
			t.Errorf("override: %q", s)
		}
		if ev := c.engagement().Events[0]; ev.State != playbook.EventRunning || ev.Override == nil {
			t.Errorf("event 1 after the override: %+v", ev)
		}
		// The override shows in status, history and next, for anyone.
		for _, cmd := range []string{"status", "history", "next"} {
			if s := cardText(t, replyCard(t, c.say(cy, cmd))); !strings.Contains(strings.ToLower(s), "override") || !strings.Contains(s, "the pilot users are waiting") {
				t.Errorf("%s lacks the override: %s", cmd, s)
			}
		}
		card = replyCard(t, c.say(vi, "events"))
		card = c.click(vi, "eventComplete", with(eventAction(t, card, "eventComplete", 1), map[string]any{"migrated-1": "19", "failed-1": "1"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "completed event 1: 19 migrated, 1 failed") {
			t.Errorf("complete: %s", s)
		}
		card = c.click(vi, "eventIssue", eventAction(t, card, "eventIssue", 1)).card(t)
		if s := cardText(t, card); !strings.Contains(s, "opened issue #1 for the failed units of event 1") {
			t.Errorf("track failures: %s", s)
		}
		e = c.engagement()
		if ev := e.Events[0]; ev.State != playbook.EventCompleted || ev.Migrated != 19 || ev.Failed != 1 {
			t.Errorf("pilot = %+v", ev)
		}
		if x := e.Issues; len(x) != 1 || !x[0].EventFailures || x[0].Event != 1 || !strings.Contains(x[0].Title, "1 of 20 units failed") {
			t.Errorf("issues = %+v", x)
		}
	})

	step("two batches", func(t *testing.T) {
		// The rest of 1871's needs are done by their owners (each has its
		// own tests); the batches then start without an override.
		e := c.engagement()
		settleNeeds(t, e, "migration-events")
		commit(t, c, e)
		// Batch 2: pre-flight waived by the MVM, with a reason.
		waive := eventAction(t, events(), "eventWaive", 2)
		card := c.click(vi, "eventWaive", with(waive, map[string]any{"eventReason-2": "same mail server as the pilot"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "waived pre-flight of event 2: same mail server") {
			t.Errorf("waive: %s", s)
		}
		card = c.click(vi, "eventStart", eventAction(t, card, "eventStart", 2)).card(t)
		card = c.click(vi, "eventComplete", with(eventAction(t, card, "eventComplete", 2), map[string]any{"migrated-2": "50", "failed-2": "0"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "completed event 2: 50 migrated, 0 failed") {
			t.Errorf("complete 2: %s", s)
		}

		// Batch 3: a clean pre-flight.
		card = c.click(mo, "eventPreflight", eventAction(t, events(), "eventPreflight", 3)).card(t)
		var b strings.Builder
		b.WriteString("unit,result,reason\n")
		for i := range 50 {
			fmt.Fprintf(&b, "b3-user%02d@contoso.com,passed,\n", i)
		}
		card = c.click(mo, "eventResults", with(eventAction(t, card, "eventResults", 3), map[string]any{"preflight-3": b.String()})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "50 passed, 0 failed, 0 unchecked") {
			t.Errorf("results 3: %s", s)
		}
		card = c.click(mo, "eventReady", eventAction(t, card, "eventReady", 3)).card(t)
		card = c.click(vi, "eventStart", eventAction(t, card, "eventStart", 3)).card(t)
		card = c.click(vi, "eventComplete", with(eventAction(t, card, "eventComplete", 3), map[string]any{"migrated-3": "50", "failed-3": "0"})).card(t)
		if s := cardText(t, card); !strings.Contains(s, "completed event 3: 50 migrated, 0 failed") {
			t.Errorf("complete 3: %s", s)
		}
		e = c.engagement()
		migrated := 0
		for _, ev := range e.Events[:3] {
			if ev.State != playbook.EventCompleted {
				t.Errorf("event %d is %s", ev.N, ev.State)
			}
			migrated += ev.Migrated
		}
		if w := e.Events[1].Waiver; migrated != 119 || w == nil || w.By != vi.id || w.Reason != "same mail server as the pilot" {
			t.Errorf("migrated %d, batch 2's waiver %+v", migrated, w)
		}
	})

	// From here on the clock is a year ahead of the real one.
	jobs := &bot.MigrationJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: now, Runner: h.runner}}
	setClock(jobsNow())
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}

	step("weekly report", func(t *testing.T) {
		if err := jobs.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		slot := bot.NextSlot(now(), bot.DefaultReportTime, london)
		due := claim(t, h, slot, bot.KindReportWeekly)
		if len(due) != 1 || !due[0].RunAt.Equal(slot) {
			t.Fatalf("report jobs = %+v, want one at %s", due, slot)
		}
		setClock(slot)
		if err := jobs.WorkReport(ctx, due[0]); err != nil {
			t.Fatal(err)
		}
		complete(t, h, due[0])
		s := postedCard(t, proactivePost(t, h, "weekly status"))
		for _, want := range []string{"Contoso: weekly status", "Overrides (6)", "the pilot users are waiting", `"Migrated","value":"119 of 250 (47%)`, `"Failed","value":"1"`, "3 completed", "Event 4, ", "1 open (0 escalated)"} {
			if !strings.Contains(s, want) {
				t.Errorf("weekly report lacks %q: %s", want, s)
			}
		}

		if s := text(c.say(vi, "report schedule friday 16:00")); !strings.Contains(s, "set the weekly report to Friday 16:00") {
			t.Errorf("report schedule: %q", s)
		}
		friday := bot.NextSlot(now(), bot.WeeklyTime{Day: time.Friday, Hour: 16}, london)
		var moved int
		for _, j := range claim(t, h, friday, bot.KindReportWeekly) {
			if j.RunAt.Equal(friday) {
				moved++
			}
		}
		if moved != 1 {
			t.Errorf("%d report jobs at Friday 16:00 (%s), want 1", moved, friday)
		}
	})

	step("escalation with reminder", func(t *testing.T) {
		raised := now().Add(time.Hour)
		setClock(raised)
		r := c.say(cy, "escalate high batch 4 users cannot sign in")
		if ids := mentionsOf(t, r); len(ids) != 1 || ids[0] != vi.id {
			t.Errorf("escalate mentions %v, want Vi: %v", ids, r)
		}
		if s := text(r); !strings.Contains(s, "Escalation **#1** (high) raised by Cy Customer") {
			t.Errorf("escalate: %q", s)
		}
		if err := jobs.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		at := raised.Add(bot.DefaultRemindAfter + time.Hour)
		due := claim(t, h, at, bot.KindEscalationRemind)
		if len(due) != 1 {
			t.Fatalf("reminder jobs = %+v", due)
		}
		setClock(at)
		if err := jobs.WorkRemind(ctx, due[0]); err != nil {
			t.Fatal(err)
		}
		complete(t, h, due[0])
		post := proactivePost(t, h, "Reminder 1")
		if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != vi.id {
			t.Errorf("reminder mentions %v, want Vi: %v", ids, post)
		}
		if s := text(post); !strings.Contains(s, "escalation **#1** (high) has waited 25 hours") {
			t.Errorf("reminder: %q", s)
		}
		ack := action(t, replyCard(t, c.say(vi, "escalations")), "escalationAck", "")
		if s := cardText(t, c.click(vi, "escalationAck", ack).card(t)); !strings.Contains(s, "Vi Velocity acknowledged escalation #1") {
			t.Errorf("acknowledge: %s", s)
		}
		if x := c.engagement().Escalations; len(x) != 1 || x[0].State != playbook.EscalationAcknowledged || x[0].Reminders != 1 {
			t.Errorf("escalations = %+v", x)
		}
	})

	step("issue resolved, note", func(t *testing.T) {
		res := action(t, replyCard(t, c.say(vi, "issues")), "issueResolve", "")
		if res["issue"] != float64(1) {
			t.Fatalf("Resolve is for issue %v, want 1", res["issue"])
		}
		res["issueResolution-1"] = "user07's folders repaired, re-migrated in batch 3"
		if s := cardText(t, c.click(vi, "issueResolve", res).card(t)); !strings.Contains(s, "Vi Velocity resolved issue #1: user07") {
			t.Errorf("resolve: %s", s)
		}
		if s := text(c.say(vi, "note batches 1-3 done, 119 of 250 users migrated")); !strings.Contains(s, "Noted in the Contoso engagement's history") {
			t.Errorf("note: %q", s)
		}
		e = c.engagement()
		if x := e.Issues[0]; x.State != playbook.IssueResolved {
			t.Errorf("issue #1 = %+v", x)
		}
		if n := playbook.Notes(e, 0); len(n) != 1 || n[0].By != vi.id {
			t.Errorf("notes = %+v", n)
		}
	})

	step("feed", func(t *testing.T) {
		m := h.message(c.nextID(), "feed new "+e.ID)
		m["from"] = map[string]any{"id": vi.id, "name": vi.name, "aadObjectId": vi.aad}
		m["conversation"] = map[string]any{"id": "a:vi-personal", "conversationType": "personal", "tenantId": "tenant-1"}
		km := regexp.MustCompile("`(mvmf_[A-Za-z0-9_-]+)`").FindStringSubmatch(text(c.post(m)))
		if km == nil {
			t.Fatal("no key in the reply")
		}
		get := func(key string) (int, string) {
			t.Helper()
			resp, err := http.Get(h.url + "/api/reports/" + e.ID + ".json?key=" + key)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		status, body := get(km[1])
		var feed struct {
			Customer string
			Units    struct{ InScope, Migrated, Failed int }
			Issues   struct{ Open, Resolved int }
		}
		if err := json.Unmarshal([]byte(body), &feed); status != http.StatusOK || err != nil {
			t.Fatalf("feed: %d %v %.500s", status, err, body)
		}
		if feed.Customer != "Contoso" || feed.Units.InScope != 250 || feed.Units.Migrated != 119 || feed.Units.Failed != 1 || feed.Issues.Open != 0 || feed.Issues.Resolved != 1 {
			t.Errorf("feed = %+v", feed)
		}
		stored, err := h.db.Engagement(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if raw, _ := json.Marshal(stored); strings.Contains(string(raw), km[1]) {
			t.Error("the feed key is stored as given")
		}
		if status, _ := get("mvmf_wrong"); status != http.StatusUnauthorized {
			t.Errorf("wrong key: %d, want 401", status)
		}
	})

	step("close with survey", func(t *testing.T) {
		card := replyCard(t, c.say(vi, "close"))
		if s := cardText(t, card); !strings.Contains(s, "open: 3 events still to finish: 4, 5, 6") || strings.Contains(s, `"verb":"closeOut"`) {
			t.Errorf("close card: %s", s)
		}
		// The credentials and the environment wait for the events item.
		for item, reason := range map[string]string{
			playbook.CloseEvents: "batches 4-6 move to a follow-up engagement",
			playbook.CloseDNS:    "MX records switch with the follow-up engagement",
		} {
			card = c.click(vi, "closeWaive", with(action(t, card, "closeWaive", item), map[string]any{"waive-" + item: reason})).card(t)
		}
		for _, item := range []string{playbook.CloseCredentials, playbook.CloseEnvironment} {
			card = c.click(vi, "closeCheck", action(t, card, "closeCheck", item)).card(t)
		}
		ans, id := c.clickID(vi, "surveySend", action(t, card, "surveySend", ""))
		ans.card(t)
		post := h.replyTo(id)
		if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != cy.id {
			t.Errorf("survey post mentions %v, want Cy", ids)
		}
		submit := action(t, replyCard(t, post), "surveySubmit", "")
		if s := cardText(t, c.click(cy, "surveySubmit", with(submit, map[string]any{"score": "9", "comment": "smooth pilot"})).card(t)); !strings.Contains(s, "Your answer (9) was recorded") {
			t.Errorf("survey answer: %s", s)
		}
		card = replyCard(t, c.say(vi, "close"))
		if s := cardText(t, card); !strings.Contains(s, "6 of 6 items settled") || !strings.Contains(s, "NPS 100") {
			t.Errorf("close card after the survey: %s", s)
		}
		closeOut := action(t, card, "closeOut", "")
		ans, id = c.clickID(vi, "closeOut", with(closeOut, map[string]any{"closeReason": "the remaining batches move to a follow-up engagement"}))
		if s := cardText(t, ans.card(t)); !strings.Contains(s, "read-only now") {
			t.Errorf("closed card: %s", s)
		}
		if s := text(h.replyTo(id)); !strings.Contains(s, "Vi Velocity closed the Contoso engagement") {
			t.Errorf("close post: %q", s)
		}
		e = c.engagement()
		if nps := playbook.NPS(e); !e.IsClosed() || nps.Responses != 1 || nps.Promoters != 1 {
			t.Fatalf("closed %v, NPS %+v", e.IsClosed(), nps)
		}
		before := c.engagement()
		if s := text(c.say(vi, "note one more thing")); !strings.Contains(s, "no longer changes") {
			t.Errorf("note after close: %q", s)
		}
		assertUnchanged(t, c, before)
	})
}
