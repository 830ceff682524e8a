package playbook

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A status export with every documented status value updates every unit,
// and FindUnit answers for each: its event, its status, its last sync, and
// for a failure Microsoft's error with the known error's fix.
func TestRecordStatusEveryValue(t *testing.T) {
	rows, rowErrs, err := ParseMigrationUserCSV(readMicrosoft(t, "get-migrationuser.csv"))
	if err != nil || rowErrs != nil {
		t.Fatal(err, rowErrs)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Status)
	}
	slices.Sort(got)
	if !slices.Equal(got, MigrationUserStatuses()) || len(got) != 21 {
		t.Fatalf("statuses %v", got)
	}
	if rows[1] != (UnitStatus{Unit: "user02@contoso.edu", Status: "CompletedWithWarnings", Skipped: 1, LastSync: "3/2/2027 6:01:00 AM", Batch: "IMAPBatch1"}) {
		t.Errorf("row 2 = %+v", rows[1])
	}

	e, _ := mustPlanned(t)
	var ms []BatchMember
	for _, r := range rows {
		ms = append(ms, BatchMember{Unit: r.Unit, Login: strings.TrimSuffix(r.Unit, "@contoso.edu") + "*mailadmin"})
	}
	mustOK(t, SetEventMembers(e, idMVM, 1, BatchUsers, ms, t0))
	if _, err := RecordStatus(e, idMVM, 1, rows, t0); ErrorCode(err) != ECONFLICT {
		t.Errorf("status before the event runs: %v", err)
	}
	walkTo(t, e, 1, EventRunning)
	if _, err := RecordStatus(e, idCustomer, 1, rows, t0); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("the customer records status: %v", err)
	}
	stranger := append(slices.Clone(rows), UnitStatus{Unit: "eve@fabrikam.com", Status: "Synced"})
	if _, err := RecordStatus(e, idMVM, 1, stranger, t0); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "eve@fabrikam.com") {
		t.Errorf("a unit of another batch: %v", err)
	}
	s, err := RecordStatus(e, idMVM, 1, rows, t0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Migrated != 5 || s.Failed != 4 || s.Stopped != 2 || s.InProgress != 10 || s.Unreported != 0 || len(s.Failures) != 4 {
		t.Errorf("summary %+v", s)
	}
	// The report and the feed count units from the outcomes, not only from
	// typed totals: the running pilot already has 5 migrated, 4 failed.
	if r := WeeklyReport(e, t0); r.Units.Migrated != 5 || r.Units.Failed != 4 || r.Units.MigratedThisWeek != 5 {
		t.Errorf("report units %+v", r.Units)
	}
	if m, f := mustEvent(t, e, 1).UnitCounts(); m != 5 || f != 4 {
		t.Errorf("UnitCounts = %d, %d", m, f)
	}
	for _, r := range rows {
		w := FindUnit(e, strings.ToUpper(r.Unit))
		if len(w) != 1 || w[0].Event != 1 || w[0].Outcome == nil || w[0].Outcome.Status != r.Status || w[0].Outcome.LastSync != r.LastSync {
			t.Errorf("%s: %+v", r.Unit, w)
			continue
		}
		if failed := migrationUserStatuses[r.Status] == OutcomeFailed; failed != (w[0].Known != nil) {
			t.Errorf("%s (%s): known error %v", r.Unit, r.Status, w[0].Known)
		}
	}
	w := FindUnit(e, "user07*mailadmin") // by the source login
	if len(w) != 1 || w[0].Outcome.Status != "Failed" || w[0].Known.ID != "imap-auth-failed" || !strings.Contains(w[0].Outcome.Error, "We had trouble signing in") {
		t.Errorf("by login: %+v", w)
	}
	if FindUnit(e, "nobody@contoso.edu") != nil || FindUnit(e, " ") != nil {
		t.Error("found a stranger")
	}
	// The failed units move into a new remediation event in one step,
	// their source logins kept, added to a new plan version and recorded
	// in the history; the report counts each unit once, where it stands now.
	if _, err := RemediateFailures(e, idCustomer, 1, t0); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("the customer remediates: %v", err)
	}
	plans, events, history := len(e.Plans), len(e.Events), len(e.History)
	rem, err := RemediateFailures(e, idMVM, 1, t0)
	if err != nil || len(rem.Members) != 4 || rem.Kind != KindRemediation || rem.State != EventPlanned || rem.Members[0].Login == "" {
		t.Fatalf("remediation event %+v, %v", rem, err)
	}
	if len(e.Plans) != plans+1 || len(e.Events) != events+1 || len(e.History) != history+1 || e.History[history].Action != ActionEventRemediate {
		t.Errorf("plans %d, events %d, history %v", len(e.Plans), len(e.Events), e.History[history:])
	}
	p, _ := LatestPlan(e)
	if last := p.Events[len(p.Events)-1]; last.N != rem.N || last.Kind != KindRemediation || last.Units != 4 || p.Units != mustPlanUnits(t, e) {
		t.Errorf("plan v%d: %+v, units %d", p.Version, last, p.Units)
	}
	if !rem.Date.After(t0) || rem.N != events+1 {
		t.Errorf("remediation event %d on %s", rem.N, day(rem.Date))
	}
	if _, err := RemediateFailures(e, idMVM, 1, t0); ErrorCode(err) != EINVALID {
		t.Errorf("moved twice: %v", err)
	}
	if r := WeeklyReport(e, t0); r.Units.Migrated != 5 || r.Units.Failed != 0 {
		t.Errorf("report after remediation %+v", r.Units)
	}
	if err := SetEventMembers(e, idMVM, 3, BatchUsers, rem.Members[:1], t0); ErrorCode(err) != EINVALID {
		t.Errorf("a moved unit in a third event: %v", err)
	}
	// A re-plan keeps the remediation event, outside the scope's units.
	if _, err := AcceptPlan(e, idMVM, p, t0); err != nil {
		t.Errorf("the plan with its remediation event accepted again: %v", err)
	}
	q, err := ProposeReplan(e, PlanInput{Units: p.Units, WindowStart: p.Window.Start, WindowEnd: p.Window.End, PreferredBatch: 50, MaxBatch: p.Units}, t0)
	if err != nil || !slices.ContainsFunc(q.Events, func(pe PlannedEvent) bool { return pe.N == rem.N && pe.Kind == KindRemediation && pe.Units == 4 }) || q.Units != p.Units {
		t.Errorf("re-plan: %+v, %v", q, err)
	}
	// A later export replaces a unit's status.
	if _, err := RecordStatus(e, idMVM, 1, []UnitStatus{{Unit: "user07@contoso.edu", Status: "Synced"}}, t0); err != nil {
		t.Fatal(err)
	}
	if s, _ := EventStatus(e, 1); s.Failed != 3 || s.Migrated != 6 {
		t.Errorf("after a re-export: %+v", s)
	}
}

func TestParseMigrationUserCSVRefusals(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no status column", "Identity,Error\na@contoso.com,x\n", "no Status column"},
		{"unknown status", "Identity,Status\na@contoso.com,Done\n", `status "Done" is not one of Get-MigrationUser's`},
		{"bad count", "Identity,Status,SkippedItemCount\na@contoso.com,Synced,many\n", "is not a count"},
		{"twice", "Identity,Status\na@contoso.com,Synced\nA@contoso.com,Failed\n", "repeats line 2"},
		{"utf-16", "\xff\xfeI\x00", "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rowErrs, err := ParseMigrationUserCSV([]byte(tt.in))
			if rows != nil || ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err)+fmt.Sprint(rowErrs), tt.want) {
				t.Errorf("%v %v %v; want %q", rows, rowErrs, err, tt.want)
			}
		})
	}
	// Other columns of Export-Csv are ignored; statuses take any case.
	rows, _, err := ParseMigrationUserCSV([]byte("Identity,Guid,Status,StatusSummary\nann@contoso.com,1,synced,Synced\n"))
	if err != nil || len(rows) != 1 || rows[0].Status != "Synced" {
		t.Errorf("%v %v", rows, err)
	}
}

func mustEvent(t *testing.T, e *Engagement, n int) Event {
	t.Helper()
	ev, err := GetEvent(e, n)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// SPMT's SummaryReport.csv (also Migration Manager's for file shares)
// gives each task's status; the file-share event records it per path, and
// FindUnit answers for a path with either slash direction.
func TestRecordStatusSummaryReport(t *testing.T) {
	rows, rowErrs, err := ParseStatusFile(readMicrosoft(t, "spmt-summaryreport.csv"))
	if err != nil || rowErrs != nil || len(rows) != 4 {
		t.Fatal(rows, rowErrs, err)
	}
	if rows[1] != (UnitStatus{Unit: `\\fs01\hr`, Status: "failure", Skipped: 12, LastSync: "3/1/2027 9:10:00 PM", Bytes: 1048576, TotalBytes: 1048576}) {
		t.Errorf("row 2 = %+v", rows[1])
	}
	e, _ := mustPlanned(t, FileShare)
	var ms []BatchMember
	for _, r := range rows {
		ms = append(ms, BatchMember{Unit: r.Unit, Target: "https://contoso.sharepoint.com/sites/x", TargetList: "Documents"})
	}
	mustOK(t, SetEventMembers(e, idMST, 1, BatchPaths, ms, t0))
	mustOK(t, WaivePreflight(e, idMST, 1, "shares scanned by the agent", t0))
	mustNeedsDone(t, e, "migration-events")
	mustOK(t, StartEvent(e, idMST, 1, t0))
	s, err := RecordStatus(e, idMST, 1, rows, t0)
	if err != nil || s.Migrated != 1 || s.Failed != 1 || s.InProgress != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	if w := FindUnit(e, "//FS01/HR/"); len(w) != 1 || w[0].Outcome == nil || w[0].Outcome.Outcome != OutcomeFailed || w[0].Outcome.Skipped != 12 {
		t.Errorf("hr: %+v", w)
	}
	// A Get-MigrationUser export still reads as one; bad values are refused.
	if rows, _, err := ParseStatusFile([]byte("Identity,Status\nann@contoso.com,Synced\n")); err != nil || rows[0].Status != "Synced" {
		t.Errorf("Get-MigrationUser through ParseStatusFile: %v %v", rows, err)
	}
	_, rowErrs, err = ParseStatusFile([]byte("Source,Destination,Status\n\\\\fs\\a,https://c/x,done\n"))
	if ErrorCode(err) != EINVALID || len(rowErrs) != 1 || !strings.Contains(rowErrs[0].Message, "success, failure, in progress, not started") {
		t.Errorf("bad status: %v %v", rowErrs, err)
	}
	if _, _, err := ParseStatusFile([]byte("Source,Status\n\\\\fs\\a,success\n")); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "no Destination column") {
		t.Errorf("no destination: %v", err)
	}
}

// mustPlanUnits is the units of the first plan: a remediation event adds
// none.
func mustPlanUnits(t *testing.T, e *Engagement) int {
	t.Helper()
	p, err := PlanVersion(e, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p.Units
}
