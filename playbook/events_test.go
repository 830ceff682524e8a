package playbook

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// members makes n users for event ev: u<ev>-<i>@contoso.com.
func members(ev, n int) []BatchMember {
	ms := make([]BatchMember, n)
	for i := range ms {
		ms[i] = BatchMember{Unit: fmt.Sprintf("u%d-%d@contoso.com", ev, i+1)}
	}
	return ms
}

// walkTo moves event n forward to state want, by the MVM, with a member
// per planned unit, every pre-flight passed, and every unit migrated on the
// event's date.
func walkTo(tb testing.TB, e *Engagement, n int, want EventState) {
	tb.Helper()
	for {
		ev, err := GetEvent(e, n)
		if err != nil {
			tb.Fatal(err)
		}
		if ev.State == want {
			return
		}
		at := ev.Date.Add(17 * time.Hour)
		switch ev.State {
		case EventPlanned:
			if len(ev.Members) == 0 {
				mustOK(tb, SetEventMembers(e, idMVM, n, BatchUsers, members(n, ev.Units), at))
			}
			mustOK(tb, StartPreflight(e, idMVM, n, at))
		case EventPreflight:
			rs := make([]PreflightResult, len(ev.Members))
			for i, m := range ev.Members {
				rs[i] = PreflightResult{Unit: m.Unit, Passed: true}
			}
			if _, err := RecordPreflight(e, idMVM, n, rs, at); err != nil {
				tb.Fatal(err)
			}
			mustOK(tb, MarkReady(e, idMVM, n, at))
		case EventReady:
			mustNeedsDone(tb, e, "migration-events")
			mustOK(tb, StartEvent(e, idMVM, n, at))
		case EventRunning:
			if _, err := CompleteEvent(e, idMVM, n, ev.Size(), 0, at); err != nil {
				tb.Fatal(err)
			}
		default:
			tb.Fatalf("event %d is %s, cannot reach %s", n, ev.State, want)
		}
	}
}

func mustCancel(tb testing.TB, e *Engagement, n int) {
	tb.Helper()
	if _, err := CancelEvent(e, idMVM, n, "customer asked", t0); err != nil {
		tb.Fatal(err)
	}
}

func TestEventLifecycle(t *testing.T) {
	e, _ := mustPlanned(t)
	ms := members(1, 100)
	mustOK(t, SetEventMembers(e, idMST, 1, BatchUsers, ms, t0))
	mustOK(t, StartPreflight(e, idMVM, 1, t0))

	// Half the results, two failures: one known, one not.
	var rs []PreflightResult
	for i, m := range ms[:50] {
		rs = append(rs, PreflightResult{Unit: m.Unit, Passed: i >= 2})
	}
	rs[0].Reason = "We had trouble signing in to this account. Confirm that you're using the correct user name and password."
	rs[1].Reason = "something odd"
	sum, err := RecordPreflight(e, idMST, 1, rs, t0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 50 || sum.Passed != 48 || sum.Failed != 2 || sum.Unchecked != 50 || len(sum.Remediations) != 2 {
		t.Fatalf("summary = %+v", sum)
	}
	if r := sum.Remediations[0]; !r.Matched || r.Known.ID != "imap-auth-failed" || r.Known.Remediates != Customer {
		t.Errorf("remediation 0 = %+v", r)
	}
	if sum.Remediations[1].Matched {
		t.Errorf("remediation 1 matched %+v", sum.Remediations[1])
	}

	before := e.Clone()
	wantErr(t, MarkReady(e, idMVM, 1, t0), EINVALID, "Pre-flight of event 1 is not done: 50 of 100 units have no result (u1-51@contoso.com, u1-52@contoso.com, u1-53@contoso.com and 47 more)")
	refusalUnchanged(t, before, e)

	// The rest, and a re-check of the first failure (remediated), in
	// different case.
	rs = nil
	for _, m := range ms[50:] {
		rs = append(rs, PreflightResult{Unit: m.Unit, Passed: true})
	}
	rs = append(rs, PreflightResult{Unit: "U1-1@CONTOSO.COM", Passed: true})
	if sum, err = RecordPreflight(e, idMVM, 1, rs, t0); err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 100 || sum.Failed != 1 || sum.Unchecked != 0 {
		t.Errorf("summary = %+v", sum)
	}
	ev, _ := GetEvent(e, 1)
	if ev.Preflight[0].Unit != "u1-1@contoso.com" || !ev.Preflight[0].Passed {
		t.Errorf("re-check not applied: %+v", ev.Preflight[0])
	}
	mustOK(t, MarkReady(e, idMVM, 1, t0))
	// Still ready for re-checks.
	if _, err := RecordPreflight(e, idMVM, 1, []PreflightResult{{Unit: ms[1].Unit, Passed: true}}, t0); err != nil {
		t.Fatal(err)
	}
	// 1871's needs are open: the event waits, unless the MVM overrides.
	before = e.Clone()
	wantErr(t, StartEvent(e, idMVM, 1, t0), EINVALID, "Event 1 cannot start yet: migration events (1871) wait for 3954", "**event 1 start anyway** followed by the reason")
	wantErr(t, StartEventAnyway(e, idMVM, 1, " ", t0), EINVALID, "Say why event 1 starts")
	wantErr(t, StartEventAnyway(e, idMST, 1, "pilot agreed", t0), EFORBIDDEN, "Only the MVM can override")
	refusalUnchanged(t, before, e)
	mustOK(t, StartEventAnyway(e, idMVM, 1, "the customer's deadline", t0))
	if ev, _ := GetEvent(e, 1); ev.Override == nil || ev.Override.Reason != "the customer's deadline" || ev.State != EventRunning {
		t.Errorf("started anyway: %+v", ev)
	}
	if o := Overrides(e); len(o) != 1 || !strings.Contains(o[0].Detail, "event 1 started before 3954, 3615, 3282, 4008: the customer's deadline") {
		t.Errorf("overrides = %+v", o)
	}
	out, err := CompleteEvent(e, idMVM, 1, 97, 3, d(10).Add(20*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if out.Event.State != EventCompleted || out.Event.Migrated != 97 || out.Event.Failed != 3 || out.RemindDNS {
		t.Errorf("outcome = %+v", out)
	}
	if got := e.History[len(e.History)-1]; got.Action != ActionEventComplete || got.Detail != "event 1: 97 migrated, 3 failed" {
		t.Errorf("history = %+v", got)
	}
	// The failures as one issue, once; not for an event without any.
	before = e.Clone()
	wantErr(t, func() error { _, err := IssueFromEvent(e, idCustomer, 1, t0); return err }(), EFORBIDDEN, "")
	wantErr(t, func() error { _, err := IssueFromEvent(e, idMVM, 2, t0); return err }(), ECONFLICT, "no failed units")
	wantErr(t, func() error { _, err := IssueFromEvent(e, idMVM, 99, t0); return err }(), ENOTFOUND, "")
	wantUnchanged(t, before, e)
	x, err := IssueFromEvent(e, idMVM, 1, t0)
	if err != nil || !x.EventFailures || x.Event != 1 || x.Severity != SeverityHigh || x.Title != "Event 1 (pilot, "+ev.Date.Format("2 Jan 2006")+"): 3 of 100 units failed to migrate" {
		t.Fatalf("issue = %+v, %v", x, err)
	}
	wantErr(t, func() error { _, err := IssueFromEvent(e, idMVM, 1, t0); return err }(), ECONFLICT, "Issue #1 already tracks")

	// A waiver lets event 2 skip pre-flight.
	mustOK(t, WaivePreflight(e, idMVM, 2, "same users as the test migration", t0))
	ev, _ = GetEvent(e, 2)
	if ev.State != EventReady || ev.Waiver == nil || ev.Waiver.By != idMVM || ev.Waiver.Reason != "same users as the test migration" {
		t.Errorf("event 2 = %+v", ev)
	}
	// Once 1871's needs are done, events start without an override.
	mustNeedsDone(t, e, "migration-events")
	mustOK(t, StartEvent(e, idMVM, 2, t0))
}

func TestEventRefusals(t *testing.T) {
	e, _ := mustPlanned(t)
	walkTo(t, e, 2, EventReady) // the pilot is still planned
	walkTo(t, e, 3, EventPreflight)
	mustOK(t, SetEventMembers(e, idMVM, 4, BatchUsers, members(4, 10), t0))
	c := e.Clone()
	walkTo(t, c, 1, EventCompleted)
	walkTo(t, c, 2, EventRunning)

	tests := []struct {
		name string
		e    *Engagement
		do   func(e *Engagement) error
		code string
		want []string
	}{
		{"start a planned event", e, func(e *Engagement) error { return StartEvent(e, idMVM, 1, t0) }, EINVALID,
			[]string{"Event 1 cannot start: it is planned, and an event starts only once pre-flight is done or waived"}},
		{"start in pre-flight", e, func(e *Engagement) error { return StartEvent(e, idMVM, 3, t0) }, EINVALID, []string{"it is in pre-flight"}},
		{"batch before the pilot", e, func(e *Engagement) error { return StartEvent(e, idMVM, 2, t0) }, EINVALID,
			[]string{"Event 2 is a velocity batch; it starts after the pilot (event 1, planned) is completed or cancelled"}},
		{"complete a ready event", e, func(e *Engagement) error { _, err := CompleteEvent(e, idMVM, 2, 1, 0, t0); return err }, ECONFLICT,
			[]string{"Event 2 is ready, so it cannot complete; next it starts"}},
		{"pre-flight twice", e, func(e *Engagement) error { return StartPreflight(e, idMVM, 3, t0) }, ECONFLICT,
			[]string{"Event 3 is in pre-flight, so it cannot start pre-flight"}},
		{"pre-flight without members", e, func(e *Engagement) error { return StartPreflight(e, idMVM, 5, t0) }, EINVALID,
			[]string{"Event 5 has no member list yet"}},
		{"ready while planned", e, func(e *Engagement) error { return MarkReady(e, idMVM, 4, t0) }, ECONFLICT, []string{"Event 4 is planned, so it cannot become ready"}},
		{"results while planned", e, func(e *Engagement) error {
			_, err := RecordPreflight(e, idMVM, 4, []PreflightResult{{Unit: "u4-1@contoso.com", Passed: true}}, t0)
			return err
		}, ECONFLICT, []string{"Event 4 is planned, so it cannot take pre-flight results"}},
		{"results for strangers", e, func(e *Engagement) error {
			_, err := RecordPreflight(e, idMVM, 3, []PreflightResult{{Unit: "u3-1@contoso.com", Passed: true}, {Unit: "eve@fabrikam.com", Passed: true}}, t0)
			return err
		}, EINVALID, []string{"1 unit is not in event 3: eve@fabrikam.com. Nothing was recorded"}},
		{"failure without reason", e, func(e *Engagement) error {
			_, err := RecordPreflight(e, idMVM, 3, []PreflightResult{{Unit: "u3-1@contoso.com"}}, t0)
			return err
		}, EINVALID, []string{"failed without a reason"}},
		{"result twice", e, func(e *Engagement) error {
			_, err := RecordPreflight(e, idMVM, 3, []PreflightResult{{Unit: "u3-1@contoso.com", Passed: true}, {Unit: "U3-1@contoso.com", Passed: true}}, t0)
			return err
		}, EINVALID, []string{"Results 1 and 2 are both for U3-1@contoso.com"}},
		{"waive without reason", e, func(e *Engagement) error { return WaivePreflight(e, idMVM, 4, " ", t0) }, EINVALID, []string{"Say why event 4"}},
		{"waive by the MST", e, func(e *Engagement) error { return WaivePreflight(e, idMST, 4, "fine", t0) }, EFORBIDDEN,
			[]string{"Only the MVM can waive pre-flight", "Your roles: MST"}},
		{"waive a ready event", e, func(e *Engagement) error { return WaivePreflight(e, idMVM, 2, "fine", t0) }, ECONFLICT, []string{"cannot have pre-flight waived"}},
		{"customer starts", e, func(e *Engagement) error { return StartEvent(e, idCustomer, 2, t0) }, EFORBIDDEN, []string{"Only the MVM or the MST can start an event"}},
		{"no such event", e, func(e *Engagement) error { return StartEvent(e, idMVM, 99, t0) }, ENOTFOUND, []string{"There is no event 99; this engagement's events are numbered 1 to 11"}},
		{"members of a ready event", e, func(e *Engagement) error { return SetEventMembers(e, idMVM, 2, BatchUsers, members(2, 5), t0) }, ECONFLICT,
			[]string{"Event 2 is ready, so it cannot take a new member list"}},
		{"members with results", e, func(e *Engagement) error {
			x := e.Clone() // give event 3 a result first, on a copy
			if _, err := RecordPreflight(x, idMVM, 3, []PreflightResult{{Unit: "u3-1@contoso.com", Passed: true}}, t0); err != nil {
				return err
			}
			*e = *x
			return SetEventMembers(e, idMVM, 3, BatchUsers, members(3, 5), t0)
		}, ECONFLICT, []string{"already has pre-flight results for 1 unit"}},
		{"members in two events", e, func(e *Engagement) error {
			return SetEventMembers(e, idMVM, 5, BatchUsers, append(members(5, 2), BatchMember{Unit: "U3-7@contoso.com"}), t0)
		}, EINVALID, []string{"1 unit is already in another event: u3-7@contoso.com (event 3)"}},
		{"duplicate members", e, func(e *Engagement) error {
			return SetEventMembers(e, idMVM, 5, BatchUsers, []BatchMember{{Unit: "a@contoso.com"}, {Unit: "A@contoso.com"}}, t0)
		}, EINVALID, []string{"Members 1 and 2 are the same user"}},
		{"bad member", e, func(e *Engagement) error {
			return SetEventMembers(e, idMVM, 5, BatchUsers, []BatchMember{{Unit: "not an address"}}, t0)
		}, EINVALID, []string{"Member 1:", "not an email address"}},
		{"empty members", e, func(e *Engagement) error { return SetEventMembers(e, idMVM, 5, BatchUsers, nil, t0) }, EINVALID, []string{"empty"}},
		{"unknown kind", e, func(e *Engagement) error { return SetEventMembers(e, idMVM, 5, "mailbox", members(5, 1), t0) }, EINVALID, []string{"not a kind of batch"}},
		{"too many counted", c, func(e *Engagement) error { _, err := CompleteEvent(e, idMVM, 2, 900, 101, t0); return err }, EINVALID,
			[]string{"Event 2 has 1,000 units, but 900 migrated and 101 failed make 1,001"}},
		{"negative count", c, func(e *Engagement) error { _, err := CompleteEvent(e, idMVM, 2, -1, 0, t0); return err }, EINVALID, []string{"zero or more"}},
		{"complete twice", c, func(e *Engagement) error { _, err := CompleteEvent(e, idMVM, 1, 1, 0, t0); return err }, ECONFLICT,
			[]string{"Event 1 is completed, so it cannot complete; it no longer changes"}},
		{"cancel a completed event", c, func(e *Engagement) error { _, err := CancelEvent(e, idMVM, 1, "oops", t0); return err }, ECONFLICT,
			[]string{"cannot be cancelled"}},
		{"cancel without reason", c, func(e *Engagement) error { _, err := CancelEvent(e, idMVM, 2, "", t0); return err }, EINVALID, []string{"Say why event 2 is cancelled"}},
		{"MST cancels", c, func(e *Engagement) error { _, err := CancelEvent(e, idMST, 2, "x", t0); return err }, EFORBIDDEN, []string{"Only the MVM can cancel an event"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.e.Clone()
			err := tt.do(x)
			wantErr(t, err, tt.code, tt.want...)
			if tt.name != "members with results" {
				refusalUnchanged(t, tt.e, x)
			}
		})
	}

	t.Run("no events yet", func(t *testing.T) {
		x := mustEngagement(t, false, IMAP)
		wantErr(t, StartEvent(x, idMVM, 1, t0), ENOTFOUND, "There are no migration events yet: accept a plan first")
	})
	t.Run("closed", func(t *testing.T) {
		x := e.Clone()
		mustOK(t, Close(x, idMVM, "customer left", t0))
		before := x.Clone()
		wantErr(t, StartPreflight(x, idMVM, 4, t0), ECONFLICT, "was closed")
		refusalUnchanged(t, before, x)
	})
}

// The FRP is reminded of DNS and mail flow once the last mail event
// finishes, and only then.
func TestDNSReminder(t *testing.T) {
	t.Run("IMAP", func(t *testing.T) {
		e, _ := mustPlanned(t)
		for n := 1; n <= 9; n++ {
			walkTo(t, e, n, EventCompleted)
		}
		if DNSReminderDue(e) {
			t.Fatal("due with two events left")
		}
		walkTo(t, e, 10, EventRunning)
		out, err := CancelEvent(e, idMVM, 11, "folded into event 10", t0)
		if err != nil || out.RemindDNS {
			t.Fatalf("cancel: %+v, %v", out, err)
		}
		out, err = CompleteEvent(e, idMVM, 10, 1000, 0, d(25).Add(18*time.Hour))
		if err != nil || !out.RemindDNS || !DNSReminderDue(e) || len(out.DNSWaits) != 0 {
			t.Fatalf("complete last: %+v, %v", out, err)
		}
		if st := e.State("migration-events"); st.Status != StatusDone || st.By != idMVM {
			t.Errorf("1871 once every event finished: %+v", st)
		}
		mustDone(t, e, "dns-mail-flow")
		if DNSReminderDue(e) {
			t.Error("still due with 1370 done")
		}
	})
	t.Run("no mail", func(t *testing.T) {
		e, _ := mustPlanned(t, Box)
		for _, ev := range e.Events {
			e.Events[ev.N-1].State = EventCompleted
		}
		if DNSReminderDue(e) {
			t.Error("due for Box")
		}
	})
	t.Run("content pilot of a mail and content engagement", func(t *testing.T) {
		// Events that name no source (stored before plans named one) are
		// not mail in an engagement that also moves content: completing a
		// Box pilot must not remind the FRP to point MX at Microsoft 365.
		e := mustEngagement(t, false, IMAP, Box)
		p, err := ProposePlan(baseInput(), t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(e.Events); i++ {
			e.Events[i].State = EventCancelled
		}
		walkTo(t, e, 1, EventRunning)
		out, err := CompleteEvent(e, idMVM, 1, 10, 0, t0)
		if err != nil || out.RemindDNS || DNSReminderDue(e) {
			t.Errorf("a sourceless pilot of an IMAP and Box engagement reminded of DNS: %+v, %v", out, err)
		}
	})
	t.Run("a single source names every event", func(t *testing.T) {
		e, _ := mustPlanned(t)
		for _, ev := range e.Events {
			if ev.Source != IMAP {
				t.Fatalf("event %d of an IMAP engagement has source %q", ev.N, ev.Source)
			}
		}
		b, _ := mustPlanned(t, Box)
		if b.Events[0].Source != Box || b.Plans[0].Events[0].Source != Box {
			t.Errorf("Box plan: event source %q, plan %q", b.Events[0].Source, b.Plans[0].Events[0].Source)
		}
	})
	t.Run("mail events named by source", func(t *testing.T) {
		e := mustEngagement(t, false, IMAP, Box)
		p, err := ProposePlan(baseInput(), t0)
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Events {
			p.Events[i].Source = Box
		}
		p.Events[1].Source = IMAP
		if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
			t.Fatal(err)
		}
		walkTo(t, e, 1, EventCompleted)
		walkTo(t, e, 2, EventRunning)
		out, err := CompleteEvent(e, idMVM, 2, 1000, 0, t0)
		if err != nil || !out.RemindDNS {
			t.Errorf("the only IMAP event completed: %+v, %v", out, err)
		}
		// Box events still run, so 1871 is open and 1370 waits for it: the
		// reminder must say so rather than offer a done that is refused.
		if len(out.DNSWaits) != 1 || out.DNSWaits[0].Key != "migration-events" {
			t.Errorf("1370 waits for %v, want 1871", out.DNSWaits)
		}
		if _, err := MarkDone(e, idFRP, "1370", t0); err == nil {
			t.Error("done 1370 taken while 1871 is open")
		}
	})
}

func TestForecastVsActual(t *testing.T) {
	e, _ := mustPlanned(t)
	if got := ForecastVsActual(mustEngagement(t, false, IMAP)); got != nil {
		t.Errorf("no plan: %v", got)
	}
	walkTo(t, e, 1, EventCompleted)
	walkTo(t, e, 2, EventRunning)
	if _, err := CompleteEvent(e, idMVM, 2, 900, 100, ymd("2025-04-02")); err != nil {
		t.Fatal(err)
	}
	want := []MonthProgress{{"2025-03", 10_000, 100}, {"2025-04", 0, 900}}
	if got := ForecastVsActual(e); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestCloneMigration(t *testing.T) {
	e, _ := mustPlanned(t)
	walkTo(t, e, 1, EventReady)
	mustOK(t, WaivePreflight(e, idMVM, 2, "known users", t0))
	if _, err := OpenIssue(e, idCustomer, "calendar missing", "u1-1@contoso.com", 1, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := Escalate(e, idCustomer, "", "slow", 0, t0); err != nil {
		t.Fatal(err)
	}
	mustOK(t, WaiveCloseItem(e, idMVM, CloseCredentials, "the customer's IT deletes them", t0))
	if _, err := RecordSurvey(e, idCustomer, 9, "great", "", t0); err != nil {
		t.Fatal(err)
	}
	before := mustJSON(t, e)
	c := e.Clone()
	if mustJSON(t, c) != before {
		t.Fatal("clone differs")
	}
	c.Plans[0].Events[0].Units = 1
	c.Plans[0].Forecast[0].Units = 1
	c.Events[0].Preflight[0].Reason = "x"
	c.Events[1].Waiver.Reason = "x"
	c.Issues[0].Title = "x"
	c.Escalations[0].Text = "x"
	c.CloseChecks[CloseCredentials] = CloseCheck{}
	c.Survey[0].Score = 0
	if mustJSON(t, e) != before {
		t.Error("changing the clone changed the original")
	}
}
