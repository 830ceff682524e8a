package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
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
}

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

// OpenIssue records a post-migration issue reported by actorID, any member,
// and returns it. unit and event (0: none) say where it came from. Returns
// ECONFLICT when e is closed; EFORBIDDEN for a non-member; EINVALID for an
// empty or long title or an unknown event.
func OpenIssue(e *Engagement, actorID, title, unit string, event int, now time.Time) (Issue, error) {
	if err := e.checkOpen(); err != nil {
		return Issue{}, err
	}
	if err := canMigration(e, actorID, ActionIssueOpen); err != nil {
		return Issue{}, err
	}
	title, unit = strings.TrimSpace(title), strings.TrimSpace(unit)
	switch {
	case title == "" || len(title) > MaxReasonLen:
		return Issue{}, Errorf(EINVALID, "Describe the issue in 1 to %d characters.", MaxReasonLen)
	case len(unit) > MaxUnitLen:
		return Issue{}, Errorf(EINVALID, "The unit is longer than %d characters.", MaxUnitLen)
	case len(e.Issues) >= MaxIssues:
		return Issue{}, Errorf(EINVALID, "This engagement already tracks %s issues; use the issue tracker list.", countStr(MaxIssues))
	}
	if event != 0 {
		if _, err := e.eventIndex(event); err != nil {
			return Issue{}, err
		}
	}
	id := 1
	if n := len(e.Issues); n > 0 {
		id = e.Issues[n-1].ID + 1
	}
	x := Issue{ID: id, Title: title, Unit: unit, Event: event, State: IssueOpen, Opened: now.UTC(), OpenedBy: actorID}
	e.Issues = append(e.Issues, x)
	e.audit(now, actorID, ActionIssueOpen, "migration-issues", fmt.Sprintf("#%d: %s", id, title))
	return x, nil
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
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := canMigration(e, actorID, a); err != nil {
		return err
	}
	i, err := e.issueIndex(id)
	if err != nil {
		return err
	}
	x := &e.Issues[i]
	if x.State != IssueOpen {
		return Errorf(ECONFLICT, "Issue %d is already %s.", id, strings.ReplaceAll(string(x.State), "_", " "))
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
	e.audit(now, actorID, a, "migration-issues", fmt.Sprintf("#%d: %s", id, outcome))
	return nil
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
