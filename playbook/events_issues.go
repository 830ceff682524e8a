package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Post-migration issues (task 2481), kept in the engagement as a plain
// list: what the weekly report counts and what close-out checks. The
// SharePoint issue tracker (3615) is the customer's view of the same
// issues; graph keeps it in step.

// Actions of post-migration issues. Stored: never rename one.
const (
	ActionIssueOpen     Action = "issue_open"
	ActionIssueResolve  Action = "issue_resolve"
	ActionIssueHandOver Action = "issue_handover"
	ActionIssueAssign   Action = "issue_assign"
)

// IssueState is where a post-migration issue stands.
type IssueState string

// Issue states. Stored: never rename one.
const (
	IssueOpen       IssueState = "open"
	IssueResolved   IssueState = "resolved"
	IssueHandedOver IssueState = "handed_over" // to support, at close-out
)

// Issue is one post-migration issue.
type Issue struct {
	ID       int        `json:"id"` // 1, 2, … in the engagement
	Title    string     `json:"title"`
	Unit     string     `json:"unit,omitempty"`  // the user or path, if one
	Event    int        `json:"event,omitempty"` // the event it came from; 0 for none
	State    IssueState `json:"state"`
	Opened   time.Time  `json:"opened"`
	OpenedBy string     `json:"openedBy"`
	Closed   time.Time  `json:"closed,omitzero"`
	ClosedBy string     `json:"closedBy,omitempty"`
	// Outcome is the resolution, or to whom and how it was handed over.
	Outcome string `json:"outcome,omitempty"`

	// What the issue card asks besides the title (issue 7).
	Source    Source   `json:"source,omitempty"`
	ErrorText string   `json:"errorText,omitempty"`
	Severity  Severity `json:"severity,omitempty"`
	Owner     string   `json:"owner,omitempty"` // member id it is assigned to
	// KnownError is the id of the known error the error text matched.
	KnownError string `json:"knownError,omitempty"`
	// EventFailures marks the issue opened for the failed units of its
	// event's completion (IssueFromEvent): one per event.
	EventFailures bool `json:"eventFailures,omitempty"`

	// Rev counts the issue's changes; SyncedRev is the one the tracker list
	// has, as item ItemID. The sync job writes issues whose Rev is ahead.
	Rev       int    `json:"rev,omitempty"`
	SyncedRev int    `json:"syncedRev,omitempty"`
	ItemID    string `json:"itemId,omitempty"`
	ItemURL   string `json:"itemUrl,omitempty"`
}

// IssueReport is a post-migration issue as reported.
type IssueReport struct {
	Title     string
	Source    Source // "" when it is not about one source
	Unit      string // the affected user or path
	ErrorText string
	Severity  Severity // "" is medium
	Event     int      // 0 for none
}

// MaxIssueTitleLen is the longest issue title: a list item's Title.
const MaxIssueTitleLen = 255

// MaxIssues caps the issues one engagement keeps.
const MaxIssues = 100_000

func (e *Engagement) issueIndex(id int) (int, error) {
	// Issues are numbered in order, so the id is usually the index + 1.
	if id >= 1 && id <= len(e.Issues) && e.Issues[id-1].ID == id {
		return id - 1, nil
	}
	i := slices.IndexFunc(e.Issues, func(x Issue) bool { return x.ID == id })
	if i < 0 {
		return -1, Errorf(ENOTFOUND, "There is no issue %d.", id)
	}
	return i, nil
}

// OpenIssue records a post-migration issue reported by actorID with only a
// title, unit and event; see ReportIssue.
func OpenIssue(e *Engagement, actorID, title, unit string, event int, now time.Time) (Issue, error) {
	return ReportIssue(e, actorID, IssueReport{Title: title, Unit: unit, Event: event}, now)
}

// ReportIssue records a post-migration issue reported by actorID, any
// member, and returns it. Its error text is matched against the known
// errors of e's sources (KnownError names the match). Returns ECONFLICT
// when e is closed; EFORBIDDEN for a non-member; EINVALID for an empty or
// long title, a long unit or error text, a source e does not migrate, an
// unknown severity or event.
func ReportIssue(e *Engagement, actorID string, r IssueReport, now time.Time) (Issue, error) {
	if err := e.checkOpen(); err != nil {
		return Issue{}, err
	}
	if err := Can(e, actorID, ActionIssueOpen, nil); err != nil {
		return Issue{}, err
	}
	title, unit, errText := strings.TrimSpace(r.Title), strings.TrimSpace(r.Unit), strings.TrimSpace(r.ErrorText)
	switch {
	case title == "" || utf8.RuneCountInString(title) > MaxIssueTitleLen:
		return Issue{}, Errorf(EINVALID, "Describe the issue in a title of 1 to %d characters.", MaxIssueTitleLen)
	case len(unit) > MaxUnitLen:
		return Issue{}, Errorf(EINVALID, "The affected user or path is longer than %d characters.", MaxUnitLen)
	case len(errText) > MaxReasonLen:
		return Issue{}, Errorf(EINVALID, "The error text is longer than %d characters; paste its first lines.", MaxReasonLen)
	case r.Source != "" && !hasSource(e.Sources, r.Source):
		return Issue{}, Errorf(EINVALID, "This engagement does not migrate from %s.", r.Source)
	case len(e.Issues) >= MaxIssues:
		return Issue{}, Errorf(EINVALID, "This engagement already tracks %s issues; use the issue tracker list.", countStr(MaxIssues))
	}
	sev := SeverityMedium
	if r.Severity != "" {
		var err error
		if sev, err = ParseSeverity(string(r.Severity)); err != nil {
			return Issue{}, err
		}
	}
	if r.Event != 0 {
		if _, err := e.eventIndex(r.Event); err != nil {
			return Issue{}, err
		}
	}
	id := 1
	if n := len(e.Issues); n > 0 {
		id = e.Issues[n-1].ID + 1
	}
	x := Issue{ID: id, Title: title, Unit: unit, Event: r.Event, State: IssueOpen, Opened: now.UTC(), OpenedBy: actorID,
		Source: r.Source, ErrorText: errText, Severity: sev, Rev: 1}
	if errText != "" {
		known := KnownErrors(e.Sources...)
		if r.Source != "" {
			known = KnownErrors(r.Source)
		}
		if k, ok := MatchKnownError(errText, known); ok {
			x.KnownError = k.ID
		}
	}
	e.Issues = append(e.Issues, x)
	e.audit(now, actorID, ActionIssueOpen, "migration-issues", fmt.Sprintf("#%d: %s", id, title))
	return x, nil
}

// EventFailureIssue returns the issue opened for the failed units of event
// n, if there is one.
func EventFailureIssue(e *Engagement, n int) (Issue, bool) {
	for _, x := range e.Issues {
		if x.EventFailures && x.Event == n {
			return x, true
		}
	}
	return Issue{}, false
}

// IssueFromEvent opens the issue that tracks the units completed event n
// failed to migrate, by actorID (the MVM or the MST, who complete events),
// and returns it. Returns ECONFLICT when e is closed, the event is not
// completed or has no failures, or its issue exists (naming it);
// ENOTFOUND for no such event; EFORBIDDEN for other roles.
func IssueFromEvent(e *Engagement, actorID string, n int, now time.Time) (Issue, error) {
	if err := e.checkOpen(); err != nil {
		return Issue{}, err
	}
	if err := Can(e, actorID, ActionEventComplete, nil); err != nil {
		return Issue{}, err
	}
	i, err := e.eventIndex(n)
	if err != nil {
		return Issue{}, err
	}
	ev := e.Events[i]
	switch {
	case ev.State != EventCompleted || ev.Failed == 0:
		return Issue{}, Errorf(ECONFLICT, "Event %d has no failed units to track: only a completed event with failures has.", n)
	}
	if x, ok := EventFailureIssue(e, n); ok {
		return Issue{}, Errorf(ECONFLICT, "Issue #%d already tracks the failures of event %d.", x.ID, n)
	}
	x, err := ReportIssue(e, actorID, IssueReport{
		Title:    fmt.Sprintf("Event %d (%s, %s): %d of %d units failed to migrate", n, ev.Kind, ev.Date.Format("2 Jan 2006"), ev.Failed, ev.Migrated+ev.Failed),
		Source:   ev.Source,
		Severity: SeverityHigh,
		Event:    n,
	}, now)
	if err != nil {
		return Issue{}, err
	}
	e.Issues[len(e.Issues)-1].EventFailures = true
	x.EventFailures = true
	return x, nil
}

// AssignIssue makes memberID, a member of e, the owner of open issue id.
// The MVM or the MST may. Returns ECONFLICT when e is closed or the issue
// is not open; ENOTFOUND for no such issue; EINVALID for a non-member
// owner; EFORBIDDEN for other roles.
func AssignIssue(e *Engagement, actorID string, id int, memberID string, now time.Time) error {
	x, err := e.openIssueFor(actorID, id, ActionIssueAssign)
	if err != nil {
		return err
	}
	m, ok := e.Member(memberID)
	if !ok {
		return Errorf(EINVALID, "Issues are assigned to members of the engagement.")
	}
	if x.Owner == memberID {
		return Errorf(ECONFLICT, "Issue %d is already assigned to %s.", id, m.display())
	}
	x.Owner = memberID
	x.Rev++
	e.audit(now, actorID, ActionIssueAssign, "migration-issues", fmt.Sprintf("#%d to %s", id, m.display()))
	return nil
}

// openIssueFor returns open issue id for actorID to take action a on:
// ECONFLICT when e is closed or the issue is not open, EFORBIDDEN when the
// actor may not, ENOTFOUND for no such issue.
func (e *Engagement) openIssueFor(actorID string, id int, a Action) (*Issue, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := Can(e, actorID, a, nil); err != nil {
		return nil, err
	}
	i, err := e.issueIndex(id)
	if err != nil {
		return nil, err
	}
	x := &e.Issues[i]
	if x.State != IssueOpen {
		return nil, Errorf(ECONFLICT, "Issue %d is already %s.", id, strings.ReplaceAll(string(x.State), "_", " "))
	}
	return x, nil
}

// GetIssue returns a copy of issue id of e, and ENOTFOUND when there is
// none.
func GetIssue(e *Engagement, id int) (Issue, error) {
	i, err := e.issueIndex(id)
	if err != nil {
		return Issue{}, err
	}
	return e.Issues[i], nil
}

// EscalateIssue escalates open issue id to the single point of contact, at
// the issue's severity, by actorID (anyone in the engagement), and returns
// the escalation. Errors as Escalate, and ECONFLICT when the issue is not
// open.
func EscalateIssue(e *Engagement, actorID string, id int, now time.Time) (Escalation, error) {
	x, err := e.openIssueFor(actorID, id, ActionEscalate)
	if err != nil {
		if ErrorCode(err) == ECONFLICT && !e.IsClosed() {
			err = Errorf(ECONFLICT, "Issue %d is no longer open, so it was not escalated.", id)
		}
		return Escalation{}, err
	}
	return Escalate(e, actorID, x.Severity, fmt.Sprintf("Issue #%d: %s", x.ID, x.Title), id, now)
}

// touchIssue marks issue id changed for the tracker (an escalation).
func (e *Engagement) touchIssue(id int) {
	if i, err := e.issueIndex(id); err == nil {
		e.Issues[i].Rev++
	}
}

// ResolveIssue closes open issue id with its resolution. The MVM, the MST
// or the customer (who remediates) may. Returns ECONFLICT when e is closed
// or the issue is not open; EINVALID without a resolution; ENOTFOUND for no
// such issue; EFORBIDDEN for other roles.
func ResolveIssue(e *Engagement, actorID string, id int, resolution string, now time.Time) error {
	return e.closeIssue(actorID, id, ActionIssueResolve, IssueResolved, resolution, now)
}

// HandOverIssue closes open issue id by handing it over, typically to
// Microsoft support or the customer's service desk at close-out; to says to
// whom and the reference. The MVM or the MST may. Errors as ResolveIssue.
func HandOverIssue(e *Engagement, actorID string, id int, to string, now time.Time) error {
	return e.closeIssue(actorID, id, ActionIssueHandOver, IssueHandedOver, to, now)
}

func (e *Engagement) closeIssue(actorID string, id int, a Action, st IssueState, outcome string, now time.Time) error {
	x, err := e.openIssueFor(actorID, id, a)
	if err != nil {
		return err
	}
	outcome = strings.TrimSpace(outcome)
	if outcome == "" || len(outcome) > MaxReasonLen {
		what := "how it was resolved"
		if st == IssueHandedOver {
			what = "to whom it is handed over, with their reference"
		}
		return Errorf(EINVALID, "Say %s, in at most %d characters.", what, MaxReasonLen)
	}
	x.State, x.Closed, x.ClosedBy, x.Outcome = st, now.UTC(), actorID, outcome
	x.Rev++
	e.audit(now, actorID, a, "migration-issues", fmt.Sprintf("#%d: %s", id, outcome))
	return nil
}

// issueEscalated reports whether issue id has an unresolved escalation
// (escalatedIssues for one issue, without building the set).
func issueEscalated(e *Engagement, id int) bool {
	return slices.ContainsFunc(e.Escalations, func(x Escalation) bool { return x.Issue == id && x.State != EscalationResolved })
}

// escalatedIssues returns the ids of issues with an unresolved escalation.
func escalatedIssues(e *Engagement) map[int]bool {
	m := map[int]bool{}
	for _, x := range e.Escalations {
		if x.Issue != 0 && x.State != EscalationResolved {
			m[x.Issue] = true
		}
	}
	return m
}
