package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// validatedQuestionnaire takes the harness's engagement through a
// submitted (Cy) and, when validate, validated (Vi) questionnaire v1.
func validatedQuestionnaire(t *testing.T, c *conv, validate bool) {
	t.Helper()
	readyForQuestionnaire(t, c)
	fill := action(t, replyCard(t, c.say(cy, "questionnaire")), "questionnaireSubmit", "")
	ans, id := c.clickID(cy, "questionnaireSubmit", with(fill, qAnswers()))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Submitted as v1") {
		t.Fatalf("submit: %s", s)
	}
	review := replyCard(t, c.h.replyTo(id))
	if !validate {
		return
	}
	if s := text(c.say(cy, "done migration-decision")); !strings.Contains(s, "marked") {
		t.Fatalf("decision: %q", s)
	}
	// The card posted at submission had no Validate (1672 waited for the
	// decision); questionnaire show gives the reviewer a current one.
	if s := cardText(t, review); strings.Contains(s, `"verb":"questionnaireValidate"`) || !strings.Contains(s, "Validation waits for migration-decision") {
		t.Errorf("review card before the decision: %s", s)
	}
	review = replyCard(t, c.say(vi, "questionnaire show"))
	if s := cardText(t, c.click(vi, "questionnaireValidate", action(t, review, "questionnaireValidate", "")).card(t)); !strings.Contains(s, "You validated v1") {
		t.Fatalf("validate: %s", s)
	}
}

// TestPlan: the MVM's plan card is proposed from the validated
// questionnaire, adjusted, recalculated and accepted (plan v1 and its
// events); others are refused; no plan without a validated questionnaire.
func TestPlan(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	if s := text(c.say(vi, "plan")); !strings.Contains(s, "No questionnaire has been submitted yet") {
		t.Errorf("plan without a questionnaire: %q", s)
	}
	// A fresh chat for each state of the questionnaire.
	h = newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c = &conv{t: t, h: h}
	validatedQuestionnaire(t, c, false)
	if s := text(c.say(vi, "plan")); !strings.Contains(s, "Questionnaire v1 is not validated yet (pending)") {
		t.Errorf("plan before validation: %q", s)
	}

	h = newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c = &conv{t: t, h: h}
	validatedQuestionnaire(t, c, true)
	for _, p := range []person{cy, pat, mo} {
		if s := text(c.say(p, "plan")); !strings.Contains(s, "Only the MVM can accept the migration plan") {
			t.Errorf("plan by %s: %q", p.name, s)
		}
	}
	card := replyCard(t, c.say(vi, "plan"))
	s := cardText(t, card)
	for _, want := range []string{"Contoso: migration plan", "questionnaire v1", "Europe/London", "pilot, 20 units", "Monthly forecast", `"id":"pilotSize"`, `"value":20`, `"value":50`, "planAccept"} {
		if !strings.Contains(s, want) {
			t.Errorf("plan card lacks %s: %s", want, s)
		}
	}

	// Recalculate with a bigger batch: fewer events; bad input says why.
	recalc := action(t, card, "planRecalc", "")
	bigger := c.click(vi, "planRecalc", with(recalc, map[string]any{"pilotSize": "10", "batchSize": "115", "maxBatch": "0", "weekends": "false"})).card(t)
	if s := cardText(t, bigger); !strings.Contains(s, "pilot, 10 units") || !strings.Contains(s, `"value":115`) {
		t.Errorf("recalculated card: %s", s)
	}
	bad := c.click(vi, "planRecalc", with(recalc, map[string]any{"batchSize": "lots"})).card(t)
	if s := cardText(t, bad); !strings.Contains(s, "The batch size must be a whole number") || strings.Contains(s, "planAccept") {
		t.Errorf("bad batch size: %s", s)
	}
	before := c.engagement()
	if ans := c.click(cy, "planAccept", with(recalc, map[string]any{"batchSize": "115"})); ans.StatusCode != refusal {
		t.Errorf("customer accepts: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// Accept the bigger batches: plan v1, events planned.
	accept := action(t, bigger, "planAccept", "")
	done := c.click(vi, "planAccept", with(accept, map[string]any{"pilotSize": "10", "batchSize": "115", "maxBatch": "0", "weekends": "false"})).card(t)
	if s := cardText(t, done); !strings.Contains(s, "Plan v1 accepted") {
		t.Errorf("accept: %s", s)
	}
	e := c.engagement()
	p, ok := playbook.LatestPlan(e)
	if !ok || p.Version != 1 || p.AcceptedBy != vi.id || len(e.Events) != len(p.Events) || e.Events[0].Units != 10 || p.Units != 250 {
		t.Fatalf("plan = %+v, %d events", p, len(e.Events))
	}
	// The same Accept again is stale: nothing more is accepted.
	again := c.click(vi, "planAccept", with(accept, map[string]any{"pilotSize": "10", "batchSize": "115"})).card(t)
	if s := cardText(t, again); !strings.Contains(s, "nothing was accepted") {
		t.Errorf("stale accept: %s", s)
	}
	if e2 := c.engagement(); len(e2.Plans) != 1 {
		t.Errorf("stale accept made plan v%d", len(e2.Plans))
	}
}

// TestPlanAtMeasuredPace: once the pilot completed, the plan card shows
// its pace and when the plan ends at it, and caps the batches at what a
// batch day takes at that pace, scaled to the endpoint's concurrency.
func TestPlanAtMeasuredPace(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)
	e := c.engagement()
	// The pilot's 20 users ran 12 hours; the imported status: 16 migrated.
	pilot := &e.Events[0]
	pilot.State, pilot.Started, pilot.Completed, pilot.Migrated = playbook.EventCompleted, qNow, qNow.Add(12*time.Hour), 20
	for i, m := range pilot.Members {
		o := playbook.UnitOutcome{Unit: m.Unit, Status: "Completed", Outcome: playbook.OutcomeMigrated, Recorded: qNow}
		if i >= 16 {
			o.Status, o.Outcome = "Failed", playbook.OutcomeFailed
		}
		pilot.Outcomes = append(pilot.Outcomes, o)
	}
	e.BatchSeq++ // a changed batch takes a new revision, or the store keeps the old one
	pilot.BatchRev = e.BatchSeq
	commit(t, c, e)

	card := replyCard(t, c.say(vi, "plan"))
	s := cardText(t, card)
	for _, want := range []string{"Measured pace", "16 units in 1 event (12 hours), 32.0 units", "a batch day takes up to 32", "the 234 units left are migrated by", "capped at 32 units", `"id":"endpoint"`, "Mail endpoint: Not imported"} {
		if !strings.Contains(s, want) {
			t.Errorf("plan card lacks %q: %s", want, s)
		}
	}
	// The endpoint runs 100 at once, as Get-MigrationEndpoint pasted on the
	// card says: the pilot's 20 left slots idle, so a batch day takes
	// 32 × 100/16 = 200 and the preferred 50 stands.
	recalc := action(t, card, "planRecalc", "")
	endpoint := "\nIdentity                      : IMAP_Endpoint\nEndpointType                  : IMAP\nRemoteServer                  : imap.contoso.com\nMaxConcurrentMigrations       : 100\nMaxConcurrentIncrementalSyncs : 20\n"
	s = cardText(t, c.click(vi, "planRecalc", with(recalc, map[string]any{"endpoint": endpoint})).card(t))
	if !strings.Contains(s, "a batch day takes up to 200") || strings.Contains(s, "capped at") || !strings.Contains(s, "100 concurrent migrations, read from IMAP_Endpoint (IMAP, imap.contoso.com)") {
		t.Errorf("at 100 concurrent: %s", s)
	}
	// Accepted, the plan records the concurrency; the next card starts
	// from it.
	accept := action(t, card, "planAccept", "")
	if s := cardText(t, c.click(vi, "planAccept", with(accept, map[string]any{"endpoint": endpoint})).card(t)); !strings.Contains(s, "Plan v2 accepted") {
		t.Fatalf("accept: %s", s)
	}
	if p, _ := playbook.LatestPlan(c.engagement()); p.Concurrency != 100 {
		t.Errorf("plan v%d concurrency %d", p.Version, p.Concurrency)
	}
	card = replyCard(t, c.say(vi, "plan"))
	if s := cardText(t, card); !strings.Contains(s, "a batch day takes up to 200") {
		t.Errorf("plan card after accepting at 100 concurrent: %s", s)
	}
	// A listing that is not Format-List's is refused, the text kept.
	recalc = action(t, card, "planRecalc", "")
	table := "Identity      EndpointType\n--------      ------------\nIMAP_Endpoint IMAP"
	s = cardText(t, c.click(vi, "planRecalc", with(recalc, map[string]any{"endpoint": table})).card(t))
	if !strings.Contains(s, "not the table Get-MigrationEndpoint prints by default") || !strings.Contains(s, "IMAP_Endpoint IMAP") {
		t.Errorf("a table pasted: %s", s)
	}
}

// TestPlanBySource: an engagement that moves mail and content gets a plan
// split by source, from the questionnaire's counts: every event has its
// source, each source its pilot, and the units inputs re-split it.
func TestPlanBySource(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	validatedQuestionnaire(t, c, true)
	// The customer's Box moves too (as a setup edit would record); the
	// questionnaire has no box-users, so Box starts at the users in scope.
	e := c.engagement()
	e.Sources = []playbook.Source{playbook.IMAP, playbook.Box}
	commit(t, c, e)

	card := replyCard(t, c.say(vi, "plan"))
	s := cardText(t, card)
	for _, want := range []string{`"id":"unitsIMAP"`, `"value":240`, `"id":"unitsBox"`, `"value":250`, "pilot, 10 units, IMAP", "pilot, 10 units, Box", "IMAP: ", "Box: "} {
		if !strings.Contains(s, want) {
			t.Errorf("plan card lacks %q: %s", want, s)
		}
	}
	accept := action(t, card, "planAccept", "")
	bad := c.click(vi, "planRecalc", with(accept, map[string]any{"unitsBox": "some"})).card(t)
	if s := cardText(t, bad); !strings.Contains(s, "The units from Box must be a whole number") || strings.Contains(s, "planAccept") {
		t.Errorf("units not a count: %s", s)
	}
	done := c.click(vi, "planAccept", with(accept, map[string]any{"unitsBox": "100"})).card(t)
	if s := cardText(t, done); !strings.Contains(s, "Plan v1 accepted") {
		t.Fatalf("accept: %s", s)
	}
	e = c.engagement()
	units := map[playbook.Source]int{}
	pilots := 0
	for _, ev := range e.Events {
		units[ev.Source] += ev.Units
		if ev.Kind == playbook.KindPilot {
			pilots++
		}
	}
	if units[playbook.IMAP] != 240 || units[playbook.Box] != 100 || len(units) != 2 || pilots != 2 {
		t.Errorf("events by source %v, %d pilots", units, pilots)
	}
}
