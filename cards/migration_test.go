package cards_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// migrationEngagement is an IMAP engagement with an MVM (Vi) and an MST
// (Mo) besides qEngagement's FRP and customer.
func migrationEngagement(t *testing.T) *playbook.Engagement {
	t.Helper()
	e := qEngagement(t, false, playbook.IMAP)
	for _, m := range []struct {
		m playbook.Member
		r playbook.Role
	}{{playbook.Member{ID: "29:vi", Name: "Vi"}, playbook.MVM}, {playbook.Member{ID: "29:mo", Name: "Mo"}, playbook.MST}} {
		if err := playbook.AssignRole(e, "29:fay", m.m, m.r, qNow); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// migrationCards are the cards of issue 8 (the MVM's work), each in its
// states, the worst case included, for TestEveryCardValidates.
func migrationCards(t *testing.T) map[string]*cards.Card {
	t.Helper()
	e := migrationEngagement(t)
	empty := cards.Escalations(e, cards.EscalationsView{})
	long := strings.Repeat("x", playbook.MaxReasonLen)
	for i := range 40 {
		sev := []playbook.Severity{"low", "medium", "high", "critical"}[i%4]
		if _, err := playbook.Escalate(e, "29:carol", sev, long, 0, qNow.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := playbook.AcknowledgeEscalation(e, "29:vi", 2, qNow); err != nil {
		t.Fatal(err)
	}
	if err := playbook.ResolveEscalation(e, "29:vi", 3, long, qNow); err != nil {
		t.Fatal(err)
	}
	list := playbook.Escalations(e, qNow.Add(72*time.Hour))

	// A plan over a long window with small batches: the most events.
	in := playbook.PlanInput{Units: 20000, VolumeGB: 90000, WindowStart: qNow.AddDate(0, 0, 7), WindowEnd: qNow.AddDate(1, 0, 0),
		PilotSize: 50, PreferredBatch: 100, PilotReviewDays: 2, TimeZone: time.UTC}
	plan, err := playbook.ProposePlan(in, qNow)
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := playbook.AcceptPlan(e, "29:vi", plan, qNow)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := playbook.AddNote(e, "29:vi", long, qNow); err != nil {
			t.Fatal(err)
		}
	}
	adj := cards.PlanAdjust{PilotSize: 50, PreferredBatch: 100}
	// Events in every state, the pilot with failed pre-flight units.
	var ms []playbook.BatchMember
	for i := range 50 {
		ms = append(ms, playbook.BatchMember{Unit: "user" + strings.Repeat("x", 60) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@contoso.com"})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(playbook.SetEventMembers(e, "29:vi", 2, playbook.BatchUsers, ms, qNow))
	must(playbook.StartPreflight(e, "29:vi", 2, qNow))
	var res []playbook.PreflightResult
	for i, m := range ms[:40] {
		res = append(res, playbook.PreflightResult{Unit: m.Unit, Passed: i%4 != 0, Reason: map[bool]string{true: "", false: "AUTHENTICATIONFAILED " + long[:300]}[i%4 != 0]})
	}
	_, err = playbook.RecordPreflight(e, "29:vi", 2, res, qNow)
	must(err)
	must(playbook.WaivePreflight(e, "29:vi", 1, long, qNow))
	must(playbook.StartEventAnyway(e, "29:vi", 1, long, qNow.AddDate(0, 0, 8)))
	must(playbook.WaivePreflight(e, "29:vi", 3, "r", qNow))
	_, err = playbook.CancelEvent(e, "29:vi", 4, long, qNow)
	must(err)
	may := func(playbook.Action) bool { return true }
	refused := cards.EventsView{May: may, Attention: true, Notice: "Nothing was imported for event 5.",
		Members: &cards.MembersForm{Event: 5, Raw: "user\nnot-an-address", Kind: playbook.BatchUsers, Error: "line 2: \"not-an-address\" is not an email address"}}
	split := cards.PlanCard(e, cards.PlanView{Questionnaire: 3, Plan: &accepted, Accepted: &accepted,
		Adjust: cards.PlanAdjust{PilotSize: 50, PreferredBatch: 100, Concurrency: 100, Split: []playbook.SourceUnits{{Source: playbook.IMAP, Units: 500}, {Source: playbook.Box, Units: 300}}},
		Paces:  []cards.SourcePace{{Source: playbook.IMAP, Throughput: playbook.Throughput{Events: 1, Units: 24, GB: 48, Days: 0.5}, Capacity: 200}},
		AtPace: &playbook.ForecastEnd{Remaining: 476, UnitsPerDay: 200, End: qNow.AddDate(0, 0, 10), PlannedEnd: qNow.AddDate(0, 0, 5)}})
	return map[string]*cards.Card{
		"events, every state for the MVM":       cards.Events(e, cards.EventsView{May: may, Notice: "Vi started event 1."}),
		"events, every state for anyone":        cards.Events(e, cards.EventsView{}),
		"events, none":                          cards.Events(qEngagement(t, false, playbook.IMAP), cards.EventsView{May: may}),
		"events, members refused":               cards.Events(e, refused),
		"close-out, in progress, for the MVM":   cards.Close(e, cards.CloseView{CanCheck: true, CanClose: true, Notice: "Vi checked \"issues\"."}),
		"close-out, for anyone":                 cards.Close(e, cards.CloseView{}),
		"close-out, settled":                    closeSettled(t),
		"survey":                                cards.Survey(e),
		"engagement picker":                     cards.Picker("workshops", []*playbook.Engagement{e, qEngagement(t, false, playbook.Box)}),
		"attached file, which event":            cards.FileEvents("batch.csv", 2, playbook.BatchUsers, "https://contoso-my.sharepoint.com/x", []cards.FileEvent{{Engagement: e, Event: playbook.Event{N: 1, Date: qNow}}, {Engagement: e, Event: playbook.Event{N: 2, Date: qNow, Members: []playbook.BatchMember{{Unit: "ann@contoso.com"}}}}}),
		"attached status file, which event":     cards.FileStatusEvents("status.csv", string(playbook.ReportMigrationUser), 2, "https://contoso-my.sharepoint.com/x", []cards.FileEvent{{Engagement: e, Event: playbook.Event{N: 1, Date: qNow, State: playbook.EventRunning}}}),
		"plan, proposed":                        cards.PlanCard(e, cards.PlanView{Questionnaire: 3, Adjust: adj, Plan: &plan}),
		"plan, accepted":                        cards.PlanCard(e, cards.PlanView{Questionnaire: 3, Adjust: adj, Plan: &accepted, Accepted: &accepted, Notice: "Plan v1 accepted."}),
		"plan, problem":                         cards.PlanCard(e, cards.PlanView{Questionnaire: 3, Adjust: adj, Problem: strings.Repeat("p", 600)}),
		"plan, split and measured":              split,
		"report, plan and everything":           cards.Report(e, playbook.WeeklyReport(e, qNow.AddDate(0, 2, 0)), picture(t, e, qNow.AddDate(0, 2, 0))),
		"report, new engagement":                cards.Report(qEngagement(t, false, playbook.Box), playbook.WeeklyReport(qEngagement(t, false, playbook.Box), qNow), picture(t, qEngagement(t, false, playbook.Box), qNow)),
		"report, no picture":                    cards.Report(e, playbook.WeeklyReport(e, qNow.AddDate(0, 2, 0)), cards.Picture{}),
		"escalations, none":                     empty,
		"escalations, 40 for the contact":       cards.Escalations(e, cards.EscalationsView{List: list, CanAct: true, Notice: "Vi acknowledged escalation #2."}),
		"escalations, 40 for anyone":            cards.Escalations(e, cards.EscalationsView{List: list}),
		"escalations, nobody holds the contact": cards.Escalations(qEngagement(t, false, playbook.Box), cards.EscalationsView{}),
	}
}

// closeSettled is the close-out card of an engagement whose every item is
// settled, then of it closed.
func closeSettled(t *testing.T) *cards.Card {
	t.Helper()
	e := migrationEngagement(t)
	// The credentials and the environment wait for the events item.
	if err := playbook.WaiveCloseItem(e, "29:vi", playbook.CloseEvents, "migrated by the customer", qNow); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{playbook.CloseCredentials, playbook.CloseEnvironment, playbook.CloseSurvey} {
		if err := playbook.CheckCloseItem(e, "29:vi", k, qNow); err != nil {
			t.Fatal(err)
		}
	}
	if err := playbook.WaiveCloseItem(e, "29:vi", playbook.CloseDNS, strings.Repeat("w", playbook.MaxReasonLen), qNow); err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.RecordSurvey(e, "29:carol", 9, "good", "", qNow); err != nil {
		t.Fatal(err)
	}
	return cards.Close(e, cards.CloseView{CanCheck: true, CanClose: true})
}
