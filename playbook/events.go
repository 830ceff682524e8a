package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Migration events (task 1871): each event of the accepted plan moves
//
//	planned → preflight → ready → running → completed
//
// and any event not completed may be cancelled. Pre-flight ends when every
// member has a result (MarkReady) or when the MVM waives it with a reason
// (WaivePreflight); a velocity batch starts only after the pilot is
// completed or cancelled. Every transition follows the package's contract:
// checks first, then one change and one history entry, or an *Error and
// nothing changed.

// EventState is where a migration event stands.
type EventState string

// Event states. Stored: never rename one.
const (
	EventPlanned   EventState = "planned"
	EventPreflight EventState = "preflight"
	EventReady     EventState = "ready"
	EventRunning   EventState = "running"
	EventCompleted EventState = "completed"
	EventCancelled EventState = "cancelled"
)

// describe is how a sentence names the state: "in pre-flight".
func (s EventState) describe() string {
	switch s {
	case EventPreflight:
		return "in pre-flight"
	case EventRunning:
		return "running"
	case EventPlanned, EventReady, EventCompleted, EventCancelled:
		return string(s)
	}
	return fmt.Sprintf("in state %q", string(s))
}

// Terminal reports whether nothing follows s.
func (s EventState) Terminal() bool {
	return s == EventCompleted || s == EventCancelled
}

// Actions of the migration events, as recorded in AuditEntry.Action.
// Stored: never rename one.
const (
	ActionEventMembers     Action = "event_members"
	ActionPreflightStart   Action = "event_preflight"
	ActionPreflightResults Action = "event_preflight_results"
	ActionPreflightWaive   Action = "event_preflight_waive"
	ActionEventReady       Action = "event_ready"
	ActionEventStart       Action = "event_start"
	ActionEventComplete    Action = "event_complete"
	ActionEventCancel      Action = "event_cancel"
)

// Event is one scheduled migration event and what happened to it. The
// planned fields (Kind, Date, Units, Source, EstimatedGB) come from the
// latest accepted plan.
type Event struct {
	N           int        `json:"n"`
	Kind        EventKind  `json:"kind"`
	Date        time.Time  `json:"date"`
	Units       int        `json:"units"`
	Source      Source     `json:"source,omitempty"`
	EstimatedGB float64    `json:"estimatedGb,omitempty"`
	State       EventState `json:"state"`

	// Members is the batch: users or paths, in file order.
	MemberKind BatchKind     `json:"memberKind,omitempty"`
	Members    []BatchMember `json:"members,omitempty"`
	// Preflight holds the latest pre-flight result of each unit checked, in
	// the order units were first checked.
	Preflight []PreflightResult `json:"preflight,omitempty"`
	// Waiver is set when the MVM let the event start without a complete
	// pre-flight.
	Waiver *Waiver `json:"waiver,omitempty"`
	// Outcomes hold the latest migration status of each unit an imported
	// status file named, in the order units were first reported
	// (RecordStatus).
	Outcomes []UnitOutcome `json:"outcomes,omitempty"`
	// BatchRev names the state of Members and Outcomes: every change to
	// them takes the engagement's next BatchSeq, so a store writes an
	// event's batch, kept apart from the engagement's record, only when
	// its BatchRev is not the one stored (see StoredForm).
	BatchRev int `json:"batchRev,omitempty"`
	// Override is set when the event started before 1871's needs were
	// settled (StartEventAnyway).
	Override *Waiver `json:"override,omitempty"`

	Started     time.Time `json:"started,omitzero"`
	Completed   time.Time `json:"completed,omitzero"`
	Migrated    int       `json:"migrated,omitempty"`
	Failed      int       `json:"failed,omitempty"`
	Cancelled   time.Time `json:"cancelled,omitzero"`
	CancelledBy string    `json:"cancelledBy,omitempty"`
	Reason      string    `json:"reason,omitempty"` // why cancelled
}

// Waiver records a rule set aside by a person, with the reason.
type Waiver struct {
	By     string    `json:"by"` // member id
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// PreflightResult is one unit's pre-flight check.
type PreflightResult struct {
	Unit   string `json:"unit"`
	Passed bool   `json:"passed"`
	Reason string `json:"reason,omitempty"` // why it failed (or a remark)
	// KnownError is the id of the known error the reason matched when the
	// result was recorded; "" when none did.
	KnownError string `json:"knownError,omitempty"`
}

// clone copies ev, sharing its batch (Members and Outcomes): a batch is
// never changed in place, only replaced (see batch_apart.go), so a copy
// costs nothing however many rows the batch holds.
func (ev Event) clone() Event {
	ev.Preflight = slices.Clone(ev.Preflight)
	if ev.Waiver != nil {
		w := *ev.Waiver
		ev.Waiver = &w
	}
	if ev.Override != nil {
		w := *ev.Override
		ev.Override = &w
	}
	return ev
}

// Size is the event's units: its members when the batch is known, else the
// planned units.
func (ev Event) Size() int {
	if len(ev.Members) > 0 {
		return len(ev.Members)
	}
	return ev.Units
}

// PreflightFailures returns the units whose latest pre-flight result failed.
func (ev Event) PreflightFailures() []PreflightResult {
	var out []PreflightResult
	for _, r := range ev.Preflight {
		if !r.Passed {
			out = append(out, r)
		}
	}
	return out
}

// unchecked returns the members with no pre-flight result yet.
func (ev Event) unchecked() []string {
	done := make(map[string]bool, len(ev.Preflight))
	for _, r := range ev.Preflight {
		done[batchUnitKey(ev.MemberKind, r.Unit)] = true
	}
	var out []string
	for _, m := range ev.Members {
		if !done[batchUnitKey(ev.MemberKind, m.Unit)] {
			out = append(out, m.Unit)
		}
	}
	return out
}

// cloneMigration gives c, a shallow copy of e, its own copies of the
// migration records (for Engagement.Clone).
func (c *Engagement) cloneMigration(e *Engagement) {
	if e.Plans != nil {
		c.Plans = make([]Plan, len(e.Plans))
		for i, p := range e.Plans {
			c.Plans[i] = p.clone()
		}
	}
	if e.Events != nil {
		c.Events = make([]Event, len(e.Events))
		for i, ev := range e.Events {
			c.Events[i] = ev.clone()
		}
	}
	c.Issues = slices.Clone(e.Issues)
	c.Escalations = slices.Clone(e.Escalations)
	if e.CloseChecks != nil {
		c.CloseChecks = make(map[string]CloseCheck, len(e.CloseChecks))
		for k, v := range e.CloseChecks {
			c.CloseChecks[k] = v
		}
	}
	c.Survey = slices.Clone(e.Survey)
}

// GetEvent returns a copy of event n of e, and ENOTFOUND when there is none.
func GetEvent(e *Engagement, n int) (Event, error) {
	i, err := e.eventIndex(n)
	if err != nil {
		return Event{}, err
	}
	return e.Events[i].clone(), nil
}

func (e *Engagement) eventIndex(n int) (int, error) {
	if len(e.Events) == 0 {
		return -1, Errorf(ENOTFOUND, "There are no migration events yet: accept a plan first.")
	}
	i := slices.IndexFunc(e.Events, func(ev Event) bool { return ev.N == n })
	if i < 0 {
		return -1, Errorf(ENOTFOUND, "There is no event %d; this engagement's events are numbered %d to %d.", n, e.Events[0].N, e.Events[len(e.Events)-1].N)
	}
	return i, nil
}

// event runs the checks every event transition starts with: engagement
// open, permission, event found.
func (e *Engagement) event(actorID string, a Action, n int) (*Event, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := Can(e, actorID, a, nil); err != nil {
		return nil, err
	}
	i, err := e.eventIndex(n)
	if err != nil {
		return nil, err
	}
	return &e.Events[i], nil
}

// errState refuses a move out of order, saying what comes next.
func errEventState(ev *Event, want string) error {
	next := map[EventState]string{
		EventPlanned:   "next comes pre-flight (or a waiver of it)",
		EventPreflight: "it becomes ready once every unit has a pre-flight result, or pre-flight is waived",
		EventReady:     "next it starts",
		EventRunning:   "next it completes, with the units migrated and failed",
		EventCompleted: "it no longer changes",
		EventCancelled: "it no longer changes",
	}[ev.State]
	return Errorf(ECONFLICT, "Event %d is %s, so it cannot %s; %s.", ev.N, ev.State.describe(), want, next)
}

// SetEventMembers records the batch of event n: the users or paths it
// moves, as ParseBatchCSV read them. A unit may be in one event that is not
// cancelled. Returns ECONFLICT when e is closed or the event is past
// pre-flight or already has pre-flight results; EINVALID for an empty or
// oversized list, an unknown kind, a duplicate, or units already in another
// event (naming them); ENOTFOUND for no such event; EFORBIDDEN unless the
// actor is the MVM or the MST.
func SetEventMembers(e *Engagement, actorID string, n int, kind BatchKind, members []BatchMember, now time.Time) error {
	ev, err := e.event(actorID, ActionEventMembers, n)
	if err != nil {
		return err
	}
	if ev.State != EventPlanned && ev.State != EventPreflight {
		return errEventState(ev, "take a new member list")
	}
	if len(ev.Preflight) > 0 {
		return Errorf(ECONFLICT, "Event %d already has pre-flight results for %s; a new member list would leave them behind. Cancel the event and plan a new one instead.", ev.N, nOf(len(ev.Preflight), "unit", "units"))
	}
	if kind != BatchUsers && kind != BatchPaths {
		return Errorf(EINVALID, "%q is not a kind of batch; use %s or %s.", kind, BatchUsers, BatchPaths)
	}
	if len(members) == 0 {
		return Errorf(EINVALID, "The member list of event %d is empty.", n)
	}
	if len(members) > MaxBatchRows {
		return Errorf(EINVALID, "%s members is more than one event takes (%s); split them over several events.", countStr(len(members)), countStr(MaxBatchRows))
	}
	seen := make(map[string]int, len(members))
	for i, m := range members {
		if msg := checkBatchUnit(kind, m.Unit); msg != "" {
			return Errorf(EINVALID, "Member %d: %s", i+1, msg)
		}
		if msg := checkIMAPText("login", m.Login, false) + checkIMAPText("user root", m.UserRoot, false); msg != "" {
			return Errorf(EINVALID, "Member %d: %s", i+1, msg)
		}
		k := memberKey(kind, m)
		if j, dup := seen[k]; dup {
			return Errorf(EINVALID, "Members %d and %d are the same %s (%s).", j+1, i+1, kind, m.Unit)
		}
		seen[k] = i
	}
	var clash []string
	for _, o := range e.Events {
		if o.N == n || o.State == EventCancelled {
			continue
		}
		for _, m := range o.Members {
			if o.failedUnit(m.Unit) {
				continue // a unit that failed there may move again
			}
			if _, ok := seen[memberKey(kind, m)]; ok {
				clash = append(clash, fmt.Sprintf("%s (event %d)", m.Unit, o.N))
			}
		}
	}
	if len(clash) > 0 {
		return Errorf(EINVALID, "%s already in another event: %s. A unit moves in one event; cancel or change the other event first.",
			nOf(len(clash), "unit is", "units are"), listFirst(clash, 5))
	}
	ev.MemberKind = kind
	ev.Members = slices.Clone(members)
	e.touchBatch(ev)
	detail := fmt.Sprintf("event %d: %s", n, nOf(len(members), string(kind), string(kind)+"s"))
	if len(members) != ev.Units {
		detail += fmt.Sprintf(" (planned %s)", countStr(ev.Units))
	}
	e.audit(now, actorID, ActionEventMembers, "migration-events", detail)
	return nil
}

// firstFew joins the first n items and counts the rest: "a, b, c and 4
// more".
func listFirst(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %s more", countStr(len(s)-n))
}

// StartPreflight moves event n from planned to pre-flight: the checks of its
// members begin. The event needs its member list first. Returns the errors
// of every event transition (see SetEventMembers) and EINVALID without
// members.
func StartPreflight(e *Engagement, actorID string, n int, now time.Time) error {
	ev, err := e.event(actorID, ActionPreflightStart, n)
	if err != nil {
		return err
	}
	if ev.State != EventPlanned {
		return errEventState(ev, "start pre-flight")
	}
	if len(ev.Members) == 0 {
		return Errorf(EINVALID, "Event %d has no member list yet: import its users or paths before pre-flight.", n)
	}
	ev.State = EventPreflight
	e.audit(now, actorID, ActionPreflightStart, "migration-events", fmt.Sprintf("event %d: %s to check", n, nOf(len(ev.Members), "unit", "units")))
	return nil
}

// PreflightSummary is the state of an event's pre-flight after results are
// recorded.
type PreflightSummary struct {
	Event     int
	Checked   int // units with a result
	Passed    int
	Failed    int
	Unchecked int // members without a result yet
	// Remediations are the failed units with what to do about each.
	Remediations []Remediation
}

// Remediation is a failed unit with the known error its reason matched.
type Remediation struct {
	Unit   string `json:"unit"`
	Reason string `json:"reason"`
	// Known is the matched known error; Matched is false when the reason
	// matches none, and the MST should look at it.
	Known   KnownError `json:"known"`
	Matched bool       `json:"matched"`
}

// RecordPreflight records pre-flight results for event n, in pre-flight or
// ready: a unit's new result replaces its earlier one (a re-check after
// remediation). Failed results are matched against the known errors
// of the engagement's sources. All or nothing: returns EINVALID naming the
// units that are not members of the event, a failure without a reason, or a
// unit listed twice; and the errors of every event transition.
func RecordPreflight(e *Engagement, actorID string, n int, results []PreflightResult, now time.Time) (PreflightSummary, error) {
	ev, err := e.event(actorID, ActionPreflightResults, n)
	if err != nil {
		return PreflightSummary{}, err
	}
	if ev.State != EventPreflight && ev.State != EventReady {
		return PreflightSummary{}, errEventState(ev, "take pre-flight results")
	}
	if len(results) == 0 {
		return PreflightSummary{}, Errorf(EINVALID, "No pre-flight results to record.")
	}
	members := make(map[string]string, len(ev.Members))
	for _, m := range ev.Members {
		members[batchUnitKey(ev.MemberKind, m.Unit)] = m.Unit
	}
	seen := make(map[string]int, len(results))
	var strangers []string
	for i, r := range results {
		k := batchUnitKey(ev.MemberKind, r.Unit)
		if _, ok := members[k]; !ok {
			strangers = append(strangers, r.Unit)
			continue
		}
		if j, dup := seen[k]; dup {
			return PreflightSummary{}, Errorf(EINVALID, "Results %d and %d are both for %s; give one result a unit.", j+1, i+1, r.Unit)
		}
		seen[k] = i
		if !r.Passed && strings.TrimSpace(r.Reason) == "" {
			return PreflightSummary{}, Errorf(EINVALID, "Result %d: %s failed without a reason; the reason picks the remediation.", i+1, r.Unit)
		}
		if len(r.Reason) > MaxReasonLen {
			return PreflightSummary{}, Errorf(EINVALID, "Result %d: the reason for %s is longer than %d characters.", i+1, r.Unit, MaxReasonLen)
		}
	}
	if len(strangers) > 0 {
		return PreflightSummary{}, Errorf(EINVALID, "%s not in event %d: %s. Nothing was recorded.", nOf(len(strangers), "unit is", "units are"), n, listFirst(strangers, 5))
	}
	known := KnownErrors(e.Sources...)
	at := make(map[string]int, len(ev.Preflight))
	for i, r := range ev.Preflight {
		at[batchUnitKey(ev.MemberKind, r.Unit)] = i
	}
	passed, failed := 0, 0
	for _, r := range results {
		k := batchUnitKey(ev.MemberKind, r.Unit)
		r.Unit = members[k]
		r.Reason = strings.TrimSpace(r.Reason)
		r.KnownError = ""
		if r.Passed {
			passed++
		} else {
			failed++
			if ke, ok := MatchKnownError(r.Reason, known); ok {
				r.KnownError = ke.ID
			}
		}
		if i, ok := at[k]; ok {
			ev.Preflight[i] = r
		} else {
			at[k] = len(ev.Preflight)
			ev.Preflight = append(ev.Preflight, r)
		}
	}
	e.audit(now, actorID, ActionPreflightResults, "migration-events", fmt.Sprintf("event %d: %s passed, %s failed", n, countStr(passed), countStr(failed)))
	return preflightSummary(*ev), nil
}

func preflightSummary(ev Event) PreflightSummary {
	s := PreflightSummary{Event: ev.N, Checked: len(ev.Preflight), Unchecked: len(ev.unchecked())}
	for _, r := range ev.Preflight {
		if r.Passed {
			s.Passed++
			continue
		}
		s.Failed++
		s.Remediations = append(s.Remediations, remediationOf(r))
	}
	return s
}

func remediationOf(r PreflightResult) Remediation {
	rm := Remediation{Unit: r.Unit, Reason: r.Reason}
	if r.KnownError != "" {
		rm.Known, rm.Matched = KnownErrorByID(r.KnownError)
	}
	return rm
}

// Preflight returns the pre-flight state of event n: counts and the
// remediation of every failed unit. Returns ENOTFOUND for no such event.
func Preflight(e *Engagement, n int) (PreflightSummary, error) {
	i, err := e.eventIndex(n)
	if err != nil {
		return PreflightSummary{}, err
	}
	return preflightSummary(e.Events[i]), nil
}

// MarkReady ends pre-flight of event n: every member has a result. Failed
// units stay listed as awaiting remediation until a re-check passes them
// (RecordPreflight takes results until the event starts). Returns EINVALID
// naming the units still unchecked, and the errors of every event
// transition.
func MarkReady(e *Engagement, actorID string, n int, now time.Time) error {
	ev, err := e.event(actorID, ActionEventReady, n)
	if err != nil {
		return err
	}
	if ev.State != EventPreflight {
		return errEventState(ev, "become ready")
	}
	if un := ev.unchecked(); len(un) > 0 {
		return Errorf(EINVALID, "Pre-flight of event %d is not done: %s of %s have no result (%s). Record them, or waive pre-flight with a reason.",
			n, countStr(len(un)), nOf(len(ev.Members), "unit", "units"), listFirst(un, 3))
	}
	ev.State = EventReady
	detail := fmt.Sprintf("event %d", n)
	if f := len(ev.PreflightFailures()); f > 0 {
		detail += fmt.Sprintf(": %s failed pre-flight", nOf(f, "unit", "units"))
	}
	e.audit(now, actorID, ActionEventReady, "migration-events", detail)
	return nil
}

// WaivePreflight makes event n ready without a complete pre-flight, for the
// reason given (recorded on the event and in the history). Only the MVM
// (the MST where nobody holds MVM) may. Returns EINVALID without a reason,
// ECONFLICT unless the event is planned or in pre-flight, and the errors of
// every event transition.
func WaivePreflight(e *Engagement, actorID string, n int, reason string, now time.Time) error {
	ev, err := e.event(actorID, ActionPreflightWaive, n)
	if err != nil {
		return err
	}
	if ev.State != EventPlanned && ev.State != EventPreflight {
		return errEventState(ev, "have pre-flight waived")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Errorf(EINVALID, "Say why event %d may start without a complete pre-flight; the reason goes into the history.", n)
	}
	if len(reason) > MaxReasonLen {
		return Errorf(EINVALID, "The reason is longer than %d characters.", MaxReasonLen)
	}
	ev.State = EventReady
	ev.Waiver = &Waiver{By: actorID, At: now.UTC(), Reason: reason}
	e.audit(now, actorID, ActionPreflightWaive, "migration-events", fmt.Sprintf("event %d: %s", n, reason))
	return nil
}

// StartEvent moves event n from ready to running. A velocity batch waits for
// the pilot to be completed or cancelled, and every event waits for the
// needs of 1871 (the handover, the issue tracker, the known errors, the
// reporting workshop): StartEventAnyway lets the migration manager start it
// regardless, with a reason. Returns EINVALID while the pilot is open or a
// need of 1871 is, and the errors of every event transition.
func StartEvent(e *Engagement, actorID string, n int, now time.Time) error {
	return startEvent(e, actorID, n, "", now)
}

// StartEventAnyway is StartEvent for the migration manager (Manager: the
// MVM, the MST without one) when 1871's needs are still open: the event
// starts, and the history, the event and the report record the override
// with its reason. It refuses what StartEvent refuses but those needs, and
// EINVALID without a reason; EFORBIDDEN (see Can, ActionOverride).
func StartEventAnyway(e *Engagement, actorID string, n int, reason string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxReasonLen {
		return Errorf(EINVALID, "Say why event %d starts before the playbook's order allows, in at most %d characters; the reason is recorded as an override.", n, MaxReasonLen)
	}
	if err := Can(e, actorID, ActionOverride, nil); err != nil {
		return err
	}
	return startEvent(e, actorID, n, reason, now)
}

func startEvent(e *Engagement, actorID string, n int, override string, now time.Time) error {
	ev, err := e.event(actorID, ActionEventStart, n)
	if err != nil {
		return err
	}
	switch ev.State {
	case EventReady:
	case EventPlanned, EventPreflight:
		return Errorf(EINVALID, "Event %d cannot start: it is %s, and an event starts only once pre-flight is done or waived by the MVM.", n, ev.State.describe())
	default:
		return errEventState(ev, "start")
	}
	if ev.Kind != KindPilot {
		for _, o := range e.Events {
			// A batch waits for its own source's pilot: in a plan split by
			// source, the content pilot does not hold mail batches back.
			if o.Kind == KindPilot && o.Source == ev.Source && !o.State.Terminal() {
				what := "a velocity batch"
				if ev.Kind == KindRemediation {
					what = "a remediation event"
				}
				return Errorf(EINVALID, "Event %d is %s; it starts after the pilot (event %d, %s) is completed or cancelled.", n, what, o.N, o.State.describe())
			}
		}
	}
	t := table[byKey[eventsTask]]
	bs := openNeeds(e, t)
	if len(bs) > 0 && override == "" {
		return Errorf(EINVALID, "Event %d cannot start yet: migration events (%s) wait for %s. Once those are done it can start; the %s may start it anyway with a reason: **event %d start anyway** followed by the reason.",
			n, t.Ref(), e.describeBlockers(bs), Manager(e), n)
	}
	ev.State = EventRunning
	ev.Started = now.UTC()
	detail := fmt.Sprintf("event %d: %s", n, nOf(ev.Size(), "unit", "units"))
	if len(bs) > 0 {
		ev.Override = &Waiver{By: actorID, At: now.UTC(), Reason: override}
		e.audit(now, actorID, ActionOverride, eventsTask, fmt.Sprintf("event %d started before %s: %s", n, refs(bs), override))
	}
	e.audit(now, actorID, ActionEventStart, eventsTask, detail)
	return nil
}

// finishEvents completes 1871, by actorID, when the last event has
// finished and its needs allow.
func (e *Engagement) finishEvents(actorID string, now time.Time) {
	e.completeByEvidence(table[byKey[eventsTask]], actorID, now)
	e.completeWaiting(now)
}

// EventOutcome is what completing or cancelling an event leads to.
type EventOutcome struct {
	Event Event
	// RemindDNS is true when this change completed the engagement's mail
	// events (events whose source is IMAP) while the DNS records and mail
	// flow task (1370) is open: the bot reminds the FRP. Microsoft's order
	// for a mail cut-over: point MX at Microsoft 365, then stop syncing and
	// delete the batch (docs/schedule.md).
	RemindDNS bool
	// DNSWaits are the tasks 1370 still waits for when RemindDNS is set
	// (1871 while other events run): the FRP can point MX now, but records
	// 1370 done only once these are.
	DNSWaits []Task
}

// withDNSWaits fills out.DNSWaits once the change is recorded.
func (e *Engagement) withDNSWaits(out EventOutcome) EventOutcome {
	if t, ok := TaskByKey("dns-mail-flow"); ok && out.RemindDNS {
		out.DNSWaits = openNeeds(e, t)
	}
	return out
}

// CompleteEvent records that event n, running, finished: migrated units
// moved, failed did not. Their sum may be less than the event's size (units
// skipped), never more. Returns EINVALID for negative or excessive counts,
// and the errors of every event transition.
func CompleteEvent(e *Engagement, actorID string, n, migrated, failed int, now time.Time) (EventOutcome, error) {
	ev, err := e.event(actorID, ActionEventComplete, n)
	if err != nil {
		return EventOutcome{}, err
	}
	if ev.State != EventRunning {
		return EventOutcome{}, errEventState(ev, "complete")
	}
	switch {
	case migrated < 0 || failed < 0:
		return EventOutcome{}, Errorf(EINVALID, "Units migrated and failed are counts: zero or more.")
	case migrated+failed > ev.Size():
		return EventOutcome{}, Errorf(EINVALID, "Event %d has %s, but %s migrated and %s failed make %s.", n, nOf(ev.Size(), "unit", "units"), countStr(migrated), countStr(failed), countStr(migrated+failed))
	}
	before := DNSReminderDue(e)
	ev.State = EventCompleted
	ev.Completed = now.UTC()
	ev.Migrated, ev.Failed = migrated, failed
	out := EventOutcome{Event: ev.clone(), RemindDNS: !before && DNSReminderDue(e)}
	e.audit(now, actorID, ActionEventComplete, "migration-events", fmt.Sprintf("event %d: %s migrated, %s failed", n, countStr(migrated), countStr(failed)))
	e.finishEvents(actorID, now)
	return e.withDNSWaits(out), nil
}

// CancelEvent cancels event n, which is not completed, for the reason
// given. A cancelled event keeps its number, which no later plan reuses.
// Returns EINVALID without a reason, ECONFLICT for a completed or cancelled
// event, and the errors of every event transition.
func CancelEvent(e *Engagement, actorID string, n int, reason string, now time.Time) (EventOutcome, error) {
	ev, err := e.event(actorID, ActionEventCancel, n)
	if err != nil {
		return EventOutcome{}, err
	}
	if ev.State.Terminal() {
		return EventOutcome{}, errEventState(ev, "be cancelled")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return EventOutcome{}, Errorf(EINVALID, "Say why event %d is cancelled; the reason goes into the history.", n)
	}
	if len(reason) > MaxReasonLen {
		return EventOutcome{}, Errorf(EINVALID, "The reason is longer than %d characters.", MaxReasonLen)
	}
	before := DNSReminderDue(e)
	was := ev.State
	ev.State = EventCancelled
	ev.Cancelled, ev.CancelledBy, ev.Reason = now.UTC(), actorID, reason
	out := EventOutcome{Event: ev.clone(), RemindDNS: !before && DNSReminderDue(e)}
	e.audit(now, actorID, ActionEventCancel, "migration-events", fmt.Sprintf("event %d (was %s): %s", n, was, reason))
	e.finishEvents(actorID, now)
	return e.withDNSWaits(out), nil
}

// isMailEvent reports whether ev moves mail: its source is a mail source.
// An event stored without a source (before plans named one) moves mail only
// when every source of the engagement is mail; in an engagement that also
// moves content it could be a content event, and a content pilot must not
// remind anyone to point MX records at Microsoft 365.
func (e *Engagement) isMailEvent(ev Event) bool {
	if ev.Source != "" {
		return ev.Source.Mail()
	}
	return len(e.Sources) > 0 && !slices.ContainsFunc(e.Sources, func(s Source) bool { return !s.Mail() })
}

// DNSReminderDue reports whether the FRP should now do the DNS records and
// mail flow (1370): the task applies and is open, at least one mail event
// completed, and no mail event is still to run.
func DNSReminderDue(e *Engagement) bool {
	t, ok := TaskByKey("dns-mail-flow")
	if !ok || !Applies(e, t) || e.State(t.Key).Status != StatusOpen {
		return false
	}
	done := false
	for _, ev := range e.Events {
		if !e.isMailEvent(ev) {
			continue
		}
		if !ev.State.Terminal() {
			return false
		}
		done = done || ev.State == EventCompleted
	}
	return done
}

// MonthProgress is one month of the schedule: units the accepted plan
// forecast, and units actually migrated (by completion date, in the plan's
// time zone).
type MonthProgress struct {
	Month    string `json:"month"` // "2027-03"
	Forecast int    `json:"forecast"`
	Actual   int    `json:"actual"`
}

// ForecastVsActual returns, month by month from the first month of either
// to the last, the latest plan's forecast and the units migrated. Nil when
// there is no plan.
func ForecastVsActual(e *Engagement) []MonthProgress {
	p, ok := LatestPlan(e)
	if !ok {
		return nil
	}
	loc := p.Location()
	by := map[string]*MonthProgress{}
	var keys []string
	get := func(m string) *MonthProgress {
		if x, ok := by[m]; ok {
			return x
		}
		x := &MonthProgress{Month: m}
		by[m] = x
		keys = append(keys, m)
		return x
	}
	for _, f := range p.Forecast {
		get(f.Month).Forecast += f.Units
	}
	for _, ev := range e.Events {
		if ev.State == EventCompleted {
			m, _ := ev.UnitCounts()
			get(monthOf(ev.Completed.In(loc))).Actual += m
		}
	}
	slices.Sort(keys)
	// Fill the months in between, so a chart has no holes.
	out := make([]MonthProgress, 0, len(keys))
	if len(keys) == 0 {
		return out
	}
	first, _ := time.Parse("2006-01", keys[0])
	last, _ := time.Parse("2006-01", keys[len(keys)-1])
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		if x, ok := by[monthOf(m)]; ok {
			out = append(out, *x)
		} else {
			out = append(out, MonthProgress{Month: monthOf(m)})
		}
	}
	return out
}

// MaxReasonLen caps reasons, notes and comments, in bytes.
const MaxReasonLen = 2000
