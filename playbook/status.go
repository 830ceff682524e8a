package playbook

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Per-unit migration status: an administrator exports Exchange Online's
// Get-MigrationUser or Get-MigrationUserStatistics to CSV, and the bot
// records each unit's status on its event, so that anyone can ask where a
// user is (FindUnit) and the failed ones carry Microsoft's error and the
// known error's fix. docs/schedule.md cites the status values.

// Actions of per-unit status. Stored: never rename one.
const (
	ActionEventStatus    Action = "event_status"    // imported migration status recorded
	ActionEventRemediate Action = "event_remediate" // failed units moved into another event
)

// Outcome is what a unit's Microsoft status means for the migration.
type Outcome string

// Outcomes. Stored: never rename one.
const (
	OutcomeMigrated   Outcome = "migrated"    // Completed, or Synced (incremental syncs keep it current)
	OutcomeInProgress Outcome = "in-progress" // queued, syncing, completing…
	OutcomeFailed     Outcome = "failed"      // Failed, IncrementalFailed, CompletionFailed, Corrupted
	OutcomeStopped    Outcome = "stopped"     // Stopped, IncrementalStopped
)

// migrationUserStatuses are Get-MigrationUser's -Status values, as
// Microsoft lists them, with what each means here.
var migrationUserStatuses = map[string]Outcome{
	"Completed": OutcomeMigrated, "CompletedWithWarnings": OutcomeMigrated,
	"Completing": OutcomeInProgress, "CompletionFailed": OutcomeFailed, "CompletionSynced": OutcomeMigrated,
	"Corrupted": OutcomeFailed, "Failed": OutcomeFailed,
	"IncrementalFailed": OutcomeFailed, "IncrementalStopped": OutcomeStopped,
	"IncrementalSynced": OutcomeMigrated, "IncrementalSyncing": OutcomeInProgress,
	"Provisioning": OutcomeInProgress, "ProvisionUpdating": OutcomeInProgress,
	"Queued": OutcomeInProgress, "Removing": OutcomeInProgress, "Starting": OutcomeInProgress,
	"Stopped": OutcomeStopped, "Stopping": OutcomeInProgress,
	"Synced": OutcomeMigrated, "Syncing": OutcomeInProgress, "Validating": OutcomeInProgress,
}

// taskStatuses are the task statuses of SPMT's SummaryReport.csv (the same
// task reports serve Migration Manager's file share migrations), as
// Microsoft lists them: "Status of each task (success, failure, in
// progress, not started)".
var taskStatuses = map[string]Outcome{
	"success": OutcomeMigrated, "failure": OutcomeFailed,
	"in progress": OutcomeInProgress, "not started": OutcomeInProgress,
}

// outcomeOf is what a status value of either export means; false for a
// value neither documents.
func outcomeOf(status string) (Outcome, bool) {
	if o, ok := migrationUserStatuses[status]; ok {
		return o, true
	}
	o, ok := taskStatuses[status]
	return o, ok
}

// MigrationUserStatuses returns Get-MigrationUser's status values, sorted.
func MigrationUserStatuses() []string {
	var out []string
	for s := range migrationUserStatuses {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// UnitStatus is one row of a status export.
type UnitStatus struct {
	Unit     string // Identity: the Microsoft 365 mailbox
	Status   string // Microsoft's status value, canonically spelled
	Error    string // Microsoft's error text, if any
	LastSync string // LastSuccessfulSyncTime as the export wrote it
	Skipped  int    // SkippedItemCount
	Batch    string // BatchId
}

// UnitOutcome is a unit's latest status as recorded on its event.
type UnitOutcome struct {
	Unit       string    `json:"unit"`
	Status     string    `json:"status"` // Microsoft's value
	Outcome    Outcome   `json:"outcome"`
	Error      string    `json:"error,omitempty"`
	KnownError string    `json:"knownError,omitempty"` // the known error Error matched
	LastSync   string    `json:"lastSync,omitempty"`
	Skipped    int       `json:"skipped,omitempty"`
	Recorded   time.Time `json:"recorded"`
}

// statusColumns are the export's columns the bot reads; Export-Csv writes
// many more, which are ignored.
var statusColumns = []batchColumn{
	{name: "identity", aliases: []string{"emailaddress", "mailboxidentifier", "identifier"}, required: true},
	{name: "status", required: true},
	{name: "error", aliases: []string{"errorsummary"}},
	{name: "lastsuccessfulsynctime", aliases: []string{"lastsuccessfulsyncdate", "lastsyncedtime"}},
	{name: "skippeditemcount", aliases: []string{"itemsskipped"}},
	{name: "batchid"},
}

// ParseMigrationUserCSV reads a CSV export of Get-MigrationUser or
// Get-MigrationUserStatistics (Export-Csv, with or without its "#TYPE"
// line): Identity and Status are required; Error (or ErrorSummary),
// LastSuccessfulSyncTime, SkippedItemCount and BatchId are read when
// present; any other column is ignored. Status must be one of Microsoft's
// values (any case). All or nothing, with the file checks and row errors of
// ParseBatchFile.
func ParseMigrationUserCSV(data []byte) ([]UnitStatus, []RowError, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if bytes.HasPrefix(data, []byte("#TYPE")) {
		// Windows PowerShell's Export-Csv without -NoTypeInformation: the
		// type line is blanked, not cut, so that line numbers stay right.
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = append(bytes.Repeat([]byte(" "), i), data[i:]...)
		}
	}
	t, hdr, line, err := readBatchHeader(data, "migration status", "Identity, Status, and Error, LastSuccessfulSyncTime, SkippedItemCount, BatchId when present")
	if err != nil {
		return nil, nil, err
	}
	t.cols = make([]int, len(statusColumns))
	for i := range t.cols {
		t.cols[i] = -1
	}
	for j, h := range hdr {
		n := squash(h)
		for i, c := range statusColumns {
			if (n == c.name || slices.Contains(c.aliases, n)) && t.cols[i] < 0 {
				t.cols[i] = j
			}
		}
	}
	for i, c := range statusColumns {
		if c.required && t.cols[i] < 0 {
			return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column. Export the status with Get-MigrationUser (or Get-MigrationUserStatistics) | Export-Csv: it writes Identity and Status.", line, statusColumns[i].name)
		}
	}
	var out []UnitStatus
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		u := UnitStatus{Unit: r[0], Error: r[2], LastSync: r[3], Batch: r[5]}
		if u.Unit == "" || utf8.RuneCountInString(u.Unit) > MaxUnitLen || strings.ContainsFunc(u.Unit, unicode.IsControl) {
			return "no Identity, or one too long or with control characters"
		}
		i := slices.IndexFunc(MigrationUserStatuses(), func(s string) bool { return strings.EqualFold(s, r[1]) })
		if i < 0 {
			return fmt.Sprintf("status %q is not one of Get-MigrationUser's (%s)", r[1], strings.Join(MigrationUserStatuses(), ", "))
		}
		u.Status = MigrationUserStatuses()[i]
		if r[4] != "" {
			n, err := strconv.Atoi(strings.ReplaceAll(r[4], ",", ""))
			if err != nil || n < 0 {
				return fmt.Sprintf("SkippedItemCount %q is not a count", r[4])
			}
			u.Skipped = n
		}
		if len(u.Error) > MaxReasonLen {
			u.Error = u.Error[:MaxReasonLen]
		}
		k := batchUnitKey(BatchUsers, u.Unit)
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", u.Unit, first)
		}
		seen[k] = line
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The status export has a header but no rows.")
}

// summaryReportColumns are the columns of SPMT's SummaryReport.csv the bot
// reads, by their documented names.
var summaryReportColumns = []batchColumn{
	{name: "source", required: true},
	{name: "destination", required: true},
	{name: "status", required: true},
	{name: "itemsnotmigratedincurrentround"},
	{name: "endtime"},
}

// ParseStatusFile reads a status export in either form the tools write:
// Get-MigrationUser's (ParseMigrationUserCSV), or SPMT's and Migration
// Manager's SummaryReport.csv (Source, Destination, Status, and Items not
// migrated in current round and End time when present; one row a task,
// whose Source is the unit and whose Status is one of success, failure, in
// progress, not started). It tells them apart by the header's Identity or
// Source column.
func ParseStatusFile(data []byte) ([]UnitStatus, []RowError, error) {
	t, hdr, line, err := readBatchHeader(bytes.TrimPrefix(data, []byte("\uFEFF")), "status", "Identity and Status (Get-MigrationUser), or Source, Destination and Status (SummaryReport.csv)")
	if err != nil || slices.ContainsFunc(hdr, func(h string) bool { return squash(h) == "identity" }) || !slices.ContainsFunc(hdr, func(h string) bool { return squash(h) == "source" }) {
		return ParseMigrationUserCSV(data)
	}
	t.cols = make([]int, len(summaryReportColumns))
	for i := range t.cols {
		t.cols[i] = -1
	}
	for j, h := range hdr {
		if i := slices.IndexFunc(summaryReportColumns, func(c batchColumn) bool { return c.name == squash(h) }); i >= 0 && t.cols[i] < 0 {
			t.cols[i] = j
		}
	}
	for i, c := range summaryReportColumns {
		if c.required && t.cols[i] < 0 {
			return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; SPMT's SummaryReport.csv has Source, Destination and Status.", line, strings.ToUpper(c.name[:1])+c.name[1:])
		}
	}
	var out []UnitStatus
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		if r[0] == "" || utf8.RuneCountInString(r[0]) > MaxUnitLen || strings.ContainsFunc(r[0], unicode.IsControl) {
			return "no Source, or one too long or with control characters"
		}
		st := strings.ToLower(strings.Join(strings.Fields(r[2]), " "))
		if _, ok := taskStatuses[st]; !ok {
			return fmt.Sprintf("status %q is not one of SummaryReport.csv's (success, failure, in progress, not started)", r[2])
		}
		u := UnitStatus{Unit: r[0], Status: st, LastSync: r[4]}
		if r[3] != "" {
			n, err := strconv.Atoi(strings.ReplaceAll(r[3], ",", ""))
			if err != nil || n < 0 {
				return fmt.Sprintf("Items not migrated in current round %q is not a count", r[3])
			}
			u.Skipped = n
		}
		k := batchUnitKey(BatchPaths, u.Unit) + "\x00" + strings.ToLower(r[1])
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s to %s repeats line %d", u.Unit, r[1], first)
		}
		seen[k] = line
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The summary report has a header but no rows.")
}

// StatusSummary is an event's units by outcome after a status import.
type StatusSummary struct {
	Event      int
	Migrated   int
	InProgress int
	Failed     int
	Stopped    int
	Unreported int // members no status file named yet
	// Failures are the failed units with the known error each matched.
	Failures []Remediation
}

// RecordStatus records migration status for event n, running or
// completed: each unit's new status replaces its earlier one. A failed
// unit's error is matched against the known errors of the event's source
// (the engagement's sources when the event names none). All or nothing:
// returns EINVALID naming the units that are not members of the event,
// and the errors of every event transition.
func RecordStatus(e *Engagement, actorID string, n int, rows []UnitStatus, now time.Time) (StatusSummary, error) {
	ev, err := e.event(actorID, ActionEventStatus, n)
	if err != nil {
		return StatusSummary{}, err
	}
	if ev.State != EventRunning && ev.State != EventCompleted {
		return StatusSummary{}, Errorf(ECONFLICT, "Event %d is %s; migration status is recorded once it runs.", n, ev.State.describe())
	}
	if len(rows) == 0 {
		return StatusSummary{}, Errorf(EINVALID, "No migration status to record.")
	}
	members := make(map[string]string, len(ev.Members))
	for _, m := range ev.Members {
		members[batchUnitKey(ev.MemberKind, m.Unit)] = m.Unit
	}
	var strangers []string
	for _, r := range rows {
		if _, ok := members[batchUnitKey(ev.MemberKind, r.Unit)]; !ok {
			strangers = append(strangers, r.Unit)
		}
		if _, ok := outcomeOf(r.Status); !ok {
			return StatusSummary{}, Errorf(EINVALID, "%s: %q is not a migration status.", r.Unit, r.Status)
		}
	}
	if len(strangers) > 0 {
		return StatusSummary{}, Errorf(EINVALID, "%s not in event %d: %s. Nothing was recorded; export only this event's batch (Get-MigrationUser -BatchId).",
			nOf(len(strangers), "unit is", "units are"), n, listFirst(strangers, 5))
	}
	known := KnownErrors(e.Sources...)
	if ev.Source != "" {
		known = KnownErrors(ev.Source)
	}
	at := make(map[string]int, len(ev.Outcomes))
	for i, o := range ev.Outcomes {
		at[batchUnitKey(ev.MemberKind, o.Unit)] = i
	}
	for _, r := range rows {
		k := batchUnitKey(ev.MemberKind, r.Unit)
		outcome, _ := outcomeOf(r.Status)
		o := UnitOutcome{Unit: members[k], Status: r.Status, Outcome: outcome, Error: strings.TrimSpace(r.Error),
			LastSync: r.LastSync, Skipped: r.Skipped, Recorded: now.UTC()}
		if o.Error != "" {
			if ke, ok := MatchKnownError(o.Error, known); ok {
				o.KnownError = ke.ID
			}
		}
		if i, ok := at[k]; ok {
			ev.Outcomes[i] = o
		} else {
			at[k] = len(ev.Outcomes)
			ev.Outcomes = append(ev.Outcomes, o)
		}
	}
	s := statusSummary(*ev)
	e.audit(now, actorID, ActionEventStatus, "migration-events", fmt.Sprintf("event %d: %s reported; %s migrated, %s in progress, %s failed, %s stopped",
		n, countStr(len(rows)), countStr(s.Migrated), countStr(s.InProgress), countStr(s.Failed), countStr(s.Stopped)))
	return s, nil
}

func statusSummary(ev Event) StatusSummary {
	s := StatusSummary{Event: ev.N, Unreported: len(ev.Members) - len(ev.Outcomes)}
	for _, o := range ev.Outcomes {
		switch o.Outcome {
		case OutcomeMigrated:
			s.Migrated++
		case OutcomeInProgress:
			s.InProgress++
		case OutcomeFailed:
			s.Failed++
			s.Failures = append(s.Failures, remediationOf(PreflightResult{Unit: o.Unit, Reason: o.Error, KnownError: o.KnownError}))
		case OutcomeStopped:
			s.Stopped++
		}
	}
	return s
}

// UnitCounts is the units of ev migrated and failed: from the imported
// migration status when there is any (each unit's latest outcome), else the
// totals typed when the event completed.
func (ev Event) UnitCounts() (migrated, failed int) {
	if len(ev.Outcomes) == 0 {
		return ev.Migrated, ev.Failed
	}
	s := statusSummary(ev)
	return s.Migrated, s.Failed
}

// migratedSince counts the units whose migrated status was recorded at or
// after since.
func (ev Event) migratedSince(since time.Time) int {
	n := 0
	for _, o := range ev.Outcomes {
		if o.Outcome == OutcomeMigrated && !o.Recorded.Before(since) {
			n++
		}
	}
	return n
}

// EventStatus returns event n's units by outcome. ENOTFOUND for no such
// event.
func EventStatus(e *Engagement, n int) (StatusSummary, error) {
	i, err := e.eventIndex(n)
	if err != nil {
		return StatusSummary{}, err
	}
	return statusSummary(e.Events[i]), nil
}

// UnitWhere is where a unit is: its event, its member record, and what is
// known of it.
type UnitWhere struct {
	Event     int
	Kind      EventKind
	State     EventState
	Date      time.Time
	Member    BatchMember
	Preflight *PreflightResult // its latest pre-flight result, if any
	Outcome   *UnitOutcome     // its latest migration status, if any
	Known     *KnownError      // the known error of its failure, if any
}

// FindUnit answers "where is ann@contoso.com?": every event (cancelled
// ones last) that has a member whose unit, source login or target is q,
// ignoring case (and, for paths, slash direction and a trailing slash).
func FindUnit(e *Engagement, q string) []UnitWhere {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	var out []UnitWhere
	for _, ev := range e.Events {
		for _, m := range ev.Members {
			if !unitIs(ev.MemberKind, m, q) {
				continue
			}
			w := UnitWhere{Event: ev.N, Kind: ev.Kind, State: ev.State, Date: ev.Date, Member: m}
			key := batchUnitKey(ev.MemberKind, m.Unit)
			for i := range ev.Preflight {
				if batchUnitKey(ev.MemberKind, ev.Preflight[i].Unit) == key {
					p := ev.Preflight[i]
					w.Preflight = &p
				}
			}
			for i := range ev.Outcomes {
				if batchUnitKey(ev.MemberKind, ev.Outcomes[i].Unit) == key {
					o := ev.Outcomes[i]
					w.Outcome = &o
				}
			}
			id := ""
			switch {
			case w.Outcome != nil && w.Outcome.Outcome == OutcomeFailed:
				id = w.Outcome.KnownError
			case w.Preflight != nil && !w.Preflight.Passed:
				id = w.Preflight.KnownError
			}
			if k, ok := KnownErrorByID(id); ok {
				w.Known = &k
			}
			out = append(out, w)
		}
	}
	slices.SortStableFunc(out, func(a, b UnitWhere) int {
		ac, bc := a.State == EventCancelled, b.State == EventCancelled
		switch {
		case ac && !bc:
			return 1
		case bc && !ac:
			return -1
		}
		return 0
	})
	return out
}

func unitIs(kind BatchKind, m BatchMember, q string) bool {
	k := batchUnitKey(kind, q)
	return batchUnitKey(kind, m.Unit) == k || (m.Login != "" && strings.EqualFold(m.Login, q)) || (m.Target != "" && batchUnitKey(kind, m.Target) == k)
}

// failedUnit reports whether unit's latest imported status in ev is failed.
func (ev Event) failedUnit(unit string) bool {
	k := batchUnitKey(ev.MemberKind, unit)
	for _, o := range ev.Outcomes {
		if batchUnitKey(ev.MemberKind, o.Unit) == k {
			return o.Outcome == OutcomeFailed
		}
	}
	return false
}

// RemediateFailures puts the failed units of event from (by its imported
// status) into event to, planned or in pre-flight without results, in one
// step: they are added to its members, keeping their source login and
// destination, so the remediated units move again there. It returns how
// many were added. Returns EINVALID when from has no failed units, the
// kinds or sources differ, or to would hold more than MaxBatchRows; and
// the errors of every event transition.
func RemediateFailures(e *Engagement, actorID string, from, to int, now time.Time) (int, error) {
	dst, err := e.event(actorID, ActionEventRemediate, to)
	if err != nil {
		return 0, err
	}
	i, err := e.eventIndex(from)
	if err != nil {
		return 0, err
	}
	src := e.Events[i]
	switch {
	case from == to:
		return 0, Errorf(EINVALID, "Move the failed units of event %d into another event, not into itself.", from)
	case dst.State != EventPlanned && dst.State != EventPreflight:
		return 0, errEventState(dst, "take more members")
	case len(dst.Preflight) > 0:
		return 0, Errorf(ECONFLICT, "Event %d already has pre-flight results; the failed units would miss pre-flight. Choose an event that has none.", to)
	case dst.Source != "" && src.Source != "" && dst.Source != src.Source:
		return 0, Errorf(EINVALID, "Event %d moves %s and event %d %s; failed units move again from the same source.", from, src.Source, to, dst.Source)
	case len(dst.Members) > 0 && dst.MemberKind != src.MemberKind:
		return 0, Errorf(EINVALID, "Event %d moves %ss and event %d %ss.", from, src.MemberKind, to, dst.MemberKind)
	}
	have := make(map[string]bool, len(dst.Members))
	for _, m := range dst.Members {
		have[memberKey(src.MemberKind, m)] = true
	}
	var add []BatchMember
	for _, m := range src.Members {
		if src.failedUnit(m.Unit) && !have[memberKey(src.MemberKind, m)] {
			add = append(add, m)
		}
	}
	switch {
	case len(add) == 0:
		return 0, Errorf(EINVALID, "Event %d has no failed units to move (by its imported migration status), or event %d already has them.", from, to)
	case len(dst.Members)+len(add) > MaxBatchRows:
		return 0, Errorf(EINVALID, "Event %d would hold %s units, more than an event takes (%s).", to, countStr(len(dst.Members)+len(add)), countStr(MaxBatchRows))
	}
	dst.MemberKind = src.MemberKind
	dst.Members = append(slices.Clone(dst.Members), add...)
	e.audit(now, actorID, ActionEventRemediate, "migration-events", fmt.Sprintf("event %d: %s failed in event %d added", to, nOf(len(add), "unit", "units"), from))
	return len(add), nil
}

// rescheduled reports whether unit, failed in event n, is a member of a
// later event that is not cancelled: its failure is being remediated.
func (e *Engagement) rescheduled(n int, kind BatchKind, unit string) bool {
	k := batchUnitKey(kind, unit)
	for _, o := range e.Events {
		if o.N <= n || o.State == EventCancelled {
			continue
		}
		if slices.ContainsFunc(o.Members, func(m BatchMember) bool { return batchUnitKey(o.MemberKind, m.Unit) == k }) {
			return true
		}
	}
	return false
}

// unitCounts is ev's UnitCounts without the failures moved into a later
// event, which count there: a unit is counted once, where it stands now.
func (e *Engagement) unitCounts(ev Event) (migrated, failed int) {
	migrated, failed = ev.UnitCounts()
	for _, o := range ev.Outcomes {
		if o.Outcome == OutcomeFailed && e.rescheduled(ev.N, ev.MemberKind, o.Unit) {
			failed--
		}
	}
	return migrated, failed
}
