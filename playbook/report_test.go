package playbook

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"
)

// reportFixture: an IMAP engagement on Friday 14 March 2025, evening: the
// pilot and two batches done, event 4 in pre-flight with two failures,
// issues, an escalation, notes.
func reportFixture(tb testing.TB) (*Engagement, time.Time) {
	e, _ := mustPlanned(tb)
	for n := 1; n <= 3; n++ {
		walkTo(tb, e, n, EventCompleted)
	}
	walkTo(tb, e, 4, EventPreflight)
	ev, _ := GetEvent(e, 4)
	if _, err := RecordPreflight(e, idMST, 4, []PreflightResult{
		{Unit: ev.Members[0].Unit, Reason: "This mailbox is full. Please free up some space so that email can be downloaded."},
		{Unit: ev.Members[1].Unit, Reason: "odd"},
		{Unit: ev.Members[2].Unit, Passed: true},
	}, d(14)); err != nil {
		tb.Fatal(err)
	}
	for i, title := range []string{"Calendar missing", "=HYPERLINK(\"http://evil\")", "Slow Outlook", "Folder lost"} {
		if _, err := OpenIssue(e, idCustomer, title, "", 0, d(10+i)); err != nil {
			tb.Fatal(err)
		}
	}
	mustOK(tb, ResolveIssue(e, idMST, 1, "exported by hand", d(13)))
	if _, err := Escalate(e, idCustomer, SeverityHigh, "Folder lost for the CFO", 4, d(14)); err != nil {
		tb.Fatal(err)
	}
	if _, err := AddNote(e, idMVM, "Pilot went well", t0); err != nil {
		tb.Fatal(err)
	}
	if _, err := AddNote(e, idFRP, "Batch 2 done", d(13).Add(18*time.Hour)); err != nil {
		tb.Fatal(err)
	}
	return e, d(14).Add(20 * time.Hour)
}

func TestWeeklyReport(t *testing.T) {
	e, now := reportFixture(t)
	r := WeeklyReport(e, now)
	if r.PlanVersion != 1 || r.Units != (UnitsSummary{InScope: 10_000, PlannedToDate: 2_100, Migrated: 2_100, MigratedThisWeek: 2_100}) {
		t.Errorf("units = %+v", r.Units)
	}
	if r.ThisMonth != (MonthProgress{"2025-03", 10_000, 2_100}) || r.Metrics.MonthAlignedPercent != 21 || r.Metrics.UnitsCompletePercent != 21 {
		t.Errorf("month = %+v, metrics %+v", r.ThisMonth, r.Metrics)
	}
	if r.Events != (EventCounts{Total: 11, Planned: 7, Preflight: 1, Completed: 3}) {
		t.Errorf("events = %+v", r.Events)
	}
	if len(r.NextEvents) != ReportNextEvents || r.NextEvents[0].N != 4 || r.NextEvents[0].Failing != 2 {
		t.Errorf("next = %+v", r.NextEvents)
	}
	if r.PreflightFailed != 2 || len(r.Preflight) != 1 || r.Preflight[0].Remediations[0].Known.ID != "mailbox-over-quota" {
		t.Errorf("pre-flight = %+v", r.Preflight)
	}
	if r.Issues != (IssueCounts{Total: 4, Open: 3, Escalated: 1, Resolved: 1, OpenedThisWeek: 4, ClosedThisWeek: 1}) || r.EscalatedIssues[0].ID != 4 {
		t.Errorf("issues = %+v", r.Issues)
	}
	if len(r.Escalations) != 1 || r.Escalations[0].Age != 20*time.Hour {
		t.Errorf("escalations = %+v", r.Escalations)
	}
	for _, o := range r.Overdue { // events start once 1871's needs are done
		if e.State(o.Task.Key).Status != StatusOpen {
			t.Errorf("overdue = %+v", r.Overdue)
		}
	}
	if len(r.Notes) != 2 || r.Notes[0].Text != "Batch 2 done" || r.Metrics.NotesThisWeek != 1 || r.Metrics.NoteWeeks != 2 || r.Metrics.Weeks != 2 {
		t.Errorf("notes = %+v, metrics %+v", r.Notes, r.Metrics)
	}
	if r.Metrics.Milestones != 6 || r.Metrics.MandatoryTasks.Applicable == 0 || r.Metrics.EscalationsOpened != 1 {
		t.Errorf("metrics = %+v", r.Metrics)
	}

	md := r.Markdown(e)
	for _, want := range []string{"**Contoso: weekly status, 14 Mar 2025**", "2,100 of 10,000 migrated (21%)", "- 4, 17 Mar 2025: batch, 1,000 units, in pre-flight",
		"**Pre-flight failures awaiting remediation**: 2", "3 open (1 escalated)", "#1 high, open, 20 hours old: Folder lost for the CFO",
		"Batch 2 done", "weeks with a status note 2/2"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	// Months aligned: March short of its forecast counts once it is past.
	if m := WeeklyReport(e, ymd("2025-04-02")).Metrics; m.PastMonths != 1 || m.AlignedMonths != 0 {
		t.Errorf("April metrics = %+v", m)
	}
	// No plan: nothing breaks.
	if r := WeeklyReport(mustEngagement(t, false, Box), now); r.PlanVersion != 0 || r.Metrics.MonthAlignedPercent != 100 ||
		!strings.Contains(r.Markdown(nil), "No migration plan accepted yet") {
		t.Errorf("empty report = %+v", r)
	}
}

func TestReportCSV(t *testing.T) {
	e, _ := reportFixture(t)
	out := ReportCSV(e)
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range rows[1:] {
		if len(r) != len(ReportCSVHeader) {
			t.Fatalf("row %v", r)
		}
		count[r[0]]++
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("formula cell %q", c)
			}
		}
	}
	if strings.Join(rows[0], ",") != "record,id,date,state,name,units,migrated,failed,detail" {
		t.Errorf("header %v", rows[0])
	}
	ev4, _ := GetEvent(e, 4)
	if count["month"] != 1 || count["event"] != 11 || count["unit"] != 100+1000+1000+len(ev4.Members) || count["issue"] != 4 || count["task"] != len(Applicable(e)) {
		t.Errorf("rows = %v", count)
	}
	for _, want := range []string{`"issue","2","2025-03-11","open","'=HYPERLINK(""http://evil"")"`, `"event","1","2025-03-10","completed","pilot IMAP","100","100","0",""`,
		`"unit","4","","failed","` + ev4.Members[0].Unit + `","","","","This mailbox is full. Please free up some space so that email can be downloaded. [mailbox-over-quota]"`, `"month","2025-03","","","","10000","2100","",""`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("CSV lacks %q", want)
		}
	}
}

// bigEngagement: 200 events (half completed, ten in pre-flight with
// failures), 5,000 issues (a tenth open, some escalated), 100 escalations,
// 200 notes. Issues are the engagement's own list (Engagement.Issues).
func bigEngagement(tb testing.TB) (*Engagement, time.Time) {
	e := mustEngagement(tb, false, IMAP)
	in := PlanInput{Units: 20_000, WindowStart: d(10), WindowEnd: ymd("2025-12-31"), PilotSize: 100, PreferredBatch: 100, AllowWeekends: true}
	p, err := ProposePlan(in, t0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
		tb.Fatal(err)
	}
	if len(e.Events) != 200 {
		tb.Fatalf("%d events", len(e.Events))
	}
	for i := range e.Events {
		ev := &e.Events[i]
		switch {
		case i < 100:
			ev.State, ev.Migrated, ev.Failed, ev.Completed = EventCompleted, 95, 5, ev.Date.Add(18*time.Hour)
		case i < 110:
			ev.State, ev.MemberKind, ev.Members = EventPreflight, BatchUsers, members(ev.N, 100)
			for j, m := range ev.Members {
				ev.Preflight = append(ev.Preflight, PreflightResult{Unit: m.Unit, Passed: j%10 != 0, Reason: "Mailbox quota exceeded", KnownError: "mailbox-over-quota"})
			}
		}
	}
	now := e.Events[100].Date.Add(9 * time.Hour)
	for i := range 5_000 {
		x := Issue{ID: i + 1, Title: fmt.Sprintf("issue %d", i+1), State: IssueResolved, Opened: now.Add(-time.Duration(i) * time.Hour), OpenedBy: idCustomer}
		if i%10 == 0 {
			x.State = IssueOpen
		} else {
			x.Closed, x.ClosedBy, x.Outcome = now, idMST, "fixed"
		}
		e.Issues = append(e.Issues, x)
	}
	for i := range 100 {
		if _, err := Escalate(e, idCustomer, SeverityHigh, "help", i*10+1, now.Add(-time.Duration(i)*time.Hour)); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range 200 {
		if _, err := AddNote(e, idMVM, "status", now.Add(-time.Duration(i)*24*time.Hour)); err != nil {
			tb.Fatal(err)
		}
	}
	return e, now
}

func BenchmarkWeeklyReport(b *testing.B) {
	e, now := bigEngagement(b)
	r := WeeklyReport(e, now)
	if r.Events.Total != 200 || r.Issues.Total != 5_000 || r.Issues.Escalated != 100 || r.PreflightFailed != 100 {
		b.Fatalf("fixture: %+v %+v", r.Events, r.Issues)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = WeeklyReport(e, now)
	}
}

func BenchmarkReportCSV(b *testing.B) {
	e, _ := bigEngagement(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = ReportCSV(e)
	}
}
