package playbook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
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
	// OutcomeSkipped is an item's only (a file a report says was skipped
	// or filtered out); it counts in its unit's Skipped.
	OutcomeSkipped Outcome = "skipped"
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

// outcomeOf is what a status value of any status file means; false for a
// value none documents. Item rows carry their outcome as their status.
func outcomeOf(status string) (Outcome, bool) {
	if o, ok := migrationUserStatuses[status]; ok {
		return o, true
	}
	if o, ok := taskStatuses[status]; ok {
		return o, true
	}
	switch o := Outcome(status); o {
	case OutcomeMigrated, OutcomeInProgress, OutcomeFailed, OutcomeStopped, OutcomeSkipped:
		return o, true
	}
	return cloudOutcome(status)
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

// UnitStatus is one row of a status file: a unit's status (Item ""), or
// one item's of an item-level report, which counts towards its unit's.
type UnitStatus struct {
	Unit     string // Identity (the Microsoft 365 mailbox), or the task's source path
	Item     string // an item report's file or folder; "" for a unit's row
	Name     string // Migration Manager's display name of the source account, if any
	Status   string // Microsoft's status value, canonically spelled; an item's outcome
	Error    string // Microsoft's error text, if any
	Code     string // Microsoft's error or result code, if any
	LastSync string // LastSuccessfulSyncTime as the export wrote it
	Skipped  int    // SkippedItemCount; items not migrated
	Batch    string // BatchId
	// Bytes are the bytes migrated (BytesTransferred, Migrated bytes,
	// DataSuccessful), or an item's size; TotalBytes the unit's estimate
	// (EstimatedTotalTransferSize, Total bytes). Items and FailedItems
	// count files or mail items migrated and failed.
	Bytes       int64
	TotalBytes  int64
	Items       int
	FailedItems int
}

// UnitOutcome is a unit's latest status as recorded on its event.
type UnitOutcome struct {
	Unit        string        `json:"unit"`
	Status      string        `json:"status"` // Microsoft's value
	Outcome     Outcome       `json:"outcome"`
	Error       string        `json:"error,omitempty"`
	Code        string        `json:"code,omitempty"`       // Microsoft's error code
	KnownError  string        `json:"knownError,omitempty"` // the known error Error matched
	LastSync    string        `json:"lastSync,omitempty"`
	Skipped     int           `json:"skipped,omitempty"`
	Bytes       int64         `json:"bytes,omitempty"`      // migrated
	TotalBytes  int64         `json:"totalBytes,omitempty"` // estimated
	Items       int           `json:"items,omitempty"`      // migrated
	FailedItems int           `json:"failedItems,omitempty"`
	Failures    []ItemFailure `json:"failures,omitempty"` // the first failed items, from an item report
	Recorded    time.Time     `json:"recorded"`
}

// ItemFailure is one failed file or folder of a unit, from an item report.
type ItemFailure struct {
	Item       string `json:"item"`
	Code       string `json:"code,omitempty"`
	Error      string `json:"error,omitempty"`
	KnownError string `json:"knownError,omitempty"`
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
	{name: "bytestransferred"},
	{name: "estimatedtotaltransfersize"},
	{name: "totalitemstransferred", aliases: []string{"synceditemcount", "itemstransferred", "itemssynced"}},
}

var statusColumnNames = []string{"Identity", "Status", "Error", "LastSuccessfulSyncTime", "SkippedItemCount", "BatchId", "BytesTransferred", "EstimatedTotalTransferSize", "TotalItemsTransferred"}

// ParseMigrationUserCSV reads a CSV export of Get-MigrationUser or
// Get-MigrationUserStatistics (Export-Csv, with or without its "#TYPE"
// line): Identity and Status are required; Error (or ErrorSummary),
// LastSuccessfulSyncTime, SkippedItemCount, BatchId, and the statistics'
// BytesTransferred, EstimatedTotalTransferSize and TotalItemsTransferred
// (sizes as Exchange writes them, "1.5 GB (1,610,612,736 bytes)") are read
// when present; any other column is ignored. Status must be one of
// Microsoft's values (any case). All or nothing, with the file checks and
// row errors of ParseBatchFile.
func ParseMigrationUserCSV(data []byte) ([]UnitStatus, []RowError, error) {
	data = stripTypeLine(bytes.TrimPrefix(data, []byte("\uFEFF")))
	t, hdr, line, err := readBatchHeader(data, "migration status", "Identity, Status, and Error, LastSuccessfulSyncTime, SkippedItemCount, BatchId, BytesTransferred when present")
	if err != nil {
		return nil, nil, err
	}
	t.cols = pickColumns(hdr, statusColumns)
	if c, ok := missingColumn(t.cols, statusColumns, statusColumnNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column. Export the status with Get-MigrationUser (or Get-MigrationUserStatistics) | Export-Csv: it writes Identity and Status.", line, c)
	}
	var out []UnitStatus
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		u := UnitStatus{Unit: r[0], Error: r[2], LastSync: r[3], Batch: r[5]}
		if msg := checkReportUnit(u.Unit, "Identity"); msg != "" {
			return msg
		}
		i := slices.IndexFunc(MigrationUserStatuses(), func(s string) bool { return strings.EqualFold(s, r[1]) })
		if i < 0 {
			return fmt.Sprintf("status %q is not one of Get-MigrationUser's (%s)", truncateText(r[1], 40), strings.Join(MigrationUserStatuses(), ", "))
		}
		u.Status = MigrationUserStatuses()[i]
		var skipped, items int64
		if msg := counts([]string{r[4], r[6], r[7], r[8]}, []string{"SkippedItemCount", "BytesTransferred", "EstimatedTotalTransferSize", "TotalItemsTransferred"},
			&skipped, &u.Bytes, &u.TotalBytes, &items); msg != "" {
			return msg
		}
		u.Skipped, u.Items = int(min(skipped, 1<<31)), int(min(items, 1<<31))
		u.Error = truncateText(u.Error, MaxReasonLen)
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

// StatusSummary is an event's units by outcome after a status import.
type StatusSummary struct {
	Event      int
	Reported   int   // units the recorded file named (RecordStatus only)
	Bytes      int64 // migrated, as the status files report
	Migrated   int
	InProgress int
	Failed     int
	Stopped    int
	Unreported int // members no status file named yet
	// Failures are the failed units with the known error each matched.
	Failures []Remediation
}

// RecordStatus records migration status for event n, running or
// completed: each unit's new status replaces its earlier one. Rows of an
// item report (Item set) are summed into their unit's: the unit is the
// member the row names (by unit, source login, target, or, for a path, the
// member whose path holds the item's), failed when any of its items
// failed, in progress while any is, migrated otherwise; its bytes and items
// are its migrated items'. A failure's error (Microsoft's code and text) is
// matched against the known errors of the event's source (the
// engagement's sources when the event names none). All or nothing: returns
// EINVALID naming the units that are not members of the event, and the
// errors of every event transition.
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
	known := KnownErrors(e.Sources...)
	if ev.Source != "" {
		known = KnownErrors(ev.Source)
	}
	var strangers []string
	outs := map[int]*UnitOutcome{} // by member index
	var order []int
	for _, r := range rows {
		outcome, ok := outcomeOf(r.Status)
		if !ok {
			return StatusSummary{}, Errorf(EINVALID, "%s: %q is not a migration status.", r.Unit, r.Status)
		}
		i := ev.memberOf(r)
		if i < 0 {
			strangers = append(strangers, r.Unit)
			continue
		}
		o := outs[i]
		if o == nil {
			o = &UnitOutcome{Unit: ev.Members[i].Unit, Recorded: now.UTC()}
			outs[i] = o
			order = append(order, i)
		}
		if r.Item == "" {
			*o = UnitOutcome{Unit: o.Unit, Status: r.Status, Outcome: outcome, Error: strings.TrimSpace(r.Error), Code: strings.TrimSpace(r.Code),
				LastSync: r.LastSync, Skipped: r.Skipped, Bytes: r.Bytes, TotalBytes: r.TotalBytes, Items: r.Items, FailedItems: r.FailedItems, Recorded: o.Recorded}
			if text := strings.TrimSpace(o.Code + " " + o.Error); text != "" && (outcome == OutcomeFailed || outcome == OutcomeStopped) {
				if ke, ok := MatchKnownError(text, known); ok {
					o.KnownError = ke.ID
				}
			}
			continue
		}
		addItem(o, r, outcome, known)
	}
	if len(strangers) > 0 {
		return StatusSummary{}, Errorf(EINVALID, "%s not in event %d: %s. Nothing was recorded; export only this event's batch (Get-MigrationUser -BatchId), or the reports of its tasks.",
			nOf(len(strangers), "unit is", "units are"), n, listFirst(strangers, 5))
	}
	// A new slice, never the shared one changed in place (batch_apart.go).
	ev.Outcomes = slices.Clip(slices.Clone(ev.Outcomes))
	at := make(map[string]int, len(ev.Outcomes))
	for i, o := range ev.Outcomes {
		at[batchUnitKey(ev.MemberKind, o.Unit)] = i
	}
	for _, i := range order {
		o := *outs[i]
		k := batchUnitKey(ev.MemberKind, o.Unit)
		if j, ok := at[k]; ok {
			ev.Outcomes[j] = o
		} else {
			at[k] = len(ev.Outcomes)
			ev.Outcomes = append(ev.Outcomes, o)
		}
	}
	e.touchBatch(ev)
	s := statusSummary(*ev)
	s.Reported = len(order)
	e.audit(now, actorID, ActionEventStatus, "migration-events", fmt.Sprintf("event %d: %s reported; %s migrated, %s in progress, %s failed, %s stopped",
		n, nOf(len(order), "unit", "units"), countStr(s.Migrated), countStr(s.InProgress), countStr(s.Failed), countStr(s.Stopped)))
	return s, nil
}

// addItem counts an item report's row into its unit's outcome o.
func addItem(o *UnitOutcome, r UnitStatus, outcome Outcome, known []KnownError) {
	if o.Status == "" {
		o.Status, o.Outcome = string(OutcomeMigrated), OutcomeMigrated
	}
	switch outcome {
	case OutcomeMigrated:
		o.Items++
		o.Bytes += r.Bytes
	case OutcomeSkipped:
		o.Skipped++
	case OutcomeInProgress:
		if o.Outcome != OutcomeFailed {
			o.Status, o.Outcome = string(OutcomeInProgress), OutcomeInProgress
		}
	case OutcomeFailed, OutcomeStopped:
		o.FailedItems++
		o.Status, o.Outcome = string(OutcomeFailed), OutcomeFailed
		f := ItemFailure{Item: truncateText(r.Item, MaxUnitLen), Code: strings.TrimSpace(r.Code), Error: strings.TrimSpace(r.Error)}
		if ke, ok := MatchKnownError(strings.TrimSpace(f.Code+" "+f.Error), known); ok {
			f.KnownError = ke.ID
		}
		if o.Error == "" || (o.KnownError == "" && f.KnownError != "") {
			// The unit's error is its first failure's, or the first that a
			// known error explains.
			o.Error, o.Code, o.KnownError = f.Error, f.Code, f.KnownError
		}
		if len(o.Failures) < maxItemFailuresKept {
			o.Failures = append(o.Failures, f)
		}
	}
}

// memberOf returns the index of the member a status row is about, -1 for
// none: the member whose unit, source login or target the row names (or
// whose display name, Migration Manager's Name, or whose address its
// SourcePath "/ann@contoso.com" is); for an item of a paths
// event, the member whose path is the longest that holds the item's.
func (ev Event) memberOf(r UnitStatus) int {
	// Migration Manager's cloud SourcePath is the account's root, "/ann@contoso.com".
	for _, q := range []string{r.Unit, strings.Trim(r.Unit, "/"), r.Name} {
		if q == "" {
			continue
		}
		if i := slices.IndexFunc(ev.Members, func(m BatchMember) bool { return unitIs(ev.MemberKind, m, q) }); i >= 0 {
			return i
		}
	}
	if ev.MemberKind != BatchPaths {
		return -1
	}
	best, bestLen := -1, 0
	for _, q := range []string{r.Unit, r.Item} {
		k := batchUnitKey(BatchPaths, q)
		for i, m := range ev.Members {
			mk := batchUnitKey(BatchPaths, m.Unit)
			if len(mk) > bestLen && strings.HasPrefix(k, mk+"/") {
				best, bestLen = i, len(mk)
			}
		}
	}
	return best
}

func statusSummary(ev Event) StatusSummary {
	s := StatusSummary{Event: ev.N, Unreported: len(ev.Members) - len(ev.Outcomes)}
	for _, o := range ev.Outcomes {
		s.Bytes += o.Bytes
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
// status, those not already moved into a later event) into a new
// remediation event, in one step: the event is added to a new version of
// the plan (KindRemediation, its units outside the scope's total), dated
// the first day after today the plan allows (weekends and blackouts as the
// plan counts them), numbered after every event, of from's source, with
// the failed units as its members, keeping their source login and
// destination; it goes through pre-flight like any event. One history
// entry records it. Returns the new event; EINVALID when from has no
// failed units left to move; the errors of every event transition.
func RemediateFailures(e *Engagement, actorID string, from int, now time.Time) (Event, error) {
	src, err := e.event(actorID, ActionEventRemediate, from)
	if err != nil {
		return Event{}, err
	}
	var add []BatchMember
	for _, m := range src.Members {
		if src.failedUnit(m.Unit) && !e.rescheduled(from, src.MemberKind, m.Unit) {
			add = append(add, m)
		}
	}
	if len(add) == 0 {
		return Event{}, Errorf(EINVALID, "Event %d has no failed units to move (by its imported migration status), or they are already in a later event. Import its status first: its failed units are those Microsoft reports failed.", from)
	}
	p, ok := LatestPlan(e)
	if !ok {
		return Event{}, Errorf(ECONFLICT, "There is no accepted plan to add the remediation event to.")
	}
	loc := p.Location()
	d := todayIn(now, loc)
	for walked := 0; walked < 366; walked++ {
		d = d.AddDate(0, 0, 1)
		if (p.AllowWeekends || !weekendDay(d)) && !slices.ContainsFunc(p.Blackouts, func(b DateRange) bool { return b.Contains(d) }) {
			break
		}
	}
	n := 0
	for _, ev := range e.Events {
		n = max(n, ev.N)
	}
	for _, pe := range p.Events {
		n = max(n, pe.N)
	}
	n++
	p.Events = append(p.Events, PlannedEvent{N: n, Date: d, Kind: KindRemediation, Units: len(add), Source: src.Source})
	if err := validatePlan(e, &p, now); err != nil {
		return Event{}, err
	}
	p.Version = len(e.Plans) + 1
	p.AcceptedBy, p.AcceptedAt = actorID, now.UTC()
	p.Forecast = forecastOf(p.Events)
	ev := Event{N: n, Kind: KindRemediation, Date: d, Units: len(add), Source: src.Source, State: EventPlanned,
		MemberKind: src.MemberKind, Members: slices.Clone(add)}
	e.touchBatch(&ev)
	e.Plans = append(e.Plans, p)
	e.Events = append(e.Events, ev)
	e.audit(now, actorID, ActionEventRemediate, "migration-events", fmt.Sprintf("event %d (remediation, %s, plan v%d): %s failed in event %d",
		n, day(d), p.Version, nOf(len(add), "unit", "units"), from))
	return ev.clone(), nil
}

// RemediableFailures counts the units of event n whose latest imported
// status is failed and that no later event holds yet: what
// RemediateFailures would move. 0 for no such event.
func RemediableFailures(e *Engagement, n int) int {
	i, err := e.eventIndex(n)
	if err != nil {
		return 0
	}
	ev := e.Events[i]
	k := 0
	for _, o := range ev.Outcomes {
		if o.Outcome == OutcomeFailed && !e.rescheduled(n, ev.MemberKind, o.Unit) {
			k++
		}
	}
	return k
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
