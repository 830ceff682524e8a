package playbook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Offboarding (task 2323): the close-out checklist. CloseOut closes the
// engagement only when every item is done or waived with a reason; Close
// (engagement.go) stays the plain close, for a cancelled engagement.

// Actions of the close-out checklist. Stored: never rename one.
const (
	ActionCloseCheck Action = "close_check"
	ActionCloseWaive Action = "close_waive"
)

// Close-out item keys. Stored: never rename one.
const (
	CloseEvents      = "events"
	CloseIssues      = "issues"
	CloseCredentials = "credentials"
	CloseEnvironment = "environment"
	CloseDNS         = "dns-mail-flow"
	CloseSurvey      = "survey"
)

// CloseCheckStatus says how an item was settled by a person.
type CloseCheckStatus string

// Close check statuses. Stored: never rename one.
const (
	CloseChecked CloseCheckStatus = "checked"
	CloseWaived  CloseCheckStatus = "waived"
)

// CloseCheck records who checked or waived a close-out item.
type CloseCheck struct {
	Status CloseCheckStatus `json:"status"`
	By     string           `json:"by"`
	At     time.Time        `json:"at"`
	Reason string           `json:"reason,omitempty"` // why waived
}

// CloseItem is one line of the close-out checklist.
type CloseItem struct {
	Key   string
	Title string
	// Auto items are decided by the engagement's state; the others are
	// checked by the MVM (the MST where nobody holds MVM).
	Auto bool
	// Done is true when the state says so (Auto) or a person checked it.
	Done bool
	// Detail says what is missing while the item is not done.
	Detail string
	// Check is the person's check or waiver; nil when none.
	Check *CloseCheck
	// Waits, when not empty, says why the item cannot be checked yet: the
	// credentials and the environment are still in use while migration
	// events run, so confirming them deleted before the events item is
	// settled would be untrue. A waiver (with its reason) stays possible.
	Waits string
}

// Settled reports whether the item lets the engagement close: done, or
// waived.
func (c CloseItem) Settled() bool {
	return c.Done || (c.Check != nil && c.Check.Status == CloseWaived)
}

var closeItemTitles = []struct{ key, title string }{
	{CloseEvents, "All migration events completed or cancelled"},
	{CloseIssues, "Open issues resolved or handed over"},
	{CloseCredentials, "Migration credentials deleted (confirmed by the MVM)"},
	{CloseEnvironment, "Migration environment decommissioned"},
	{CloseDNS, "DNS records and mail flow done (1370)"},
	{CloseSurvey, "Satisfaction survey sent"},
}

// afterMigration are the close-out items that only make sense once the
// migration is over: the events item must be settled before a person may
// check them.
var afterMigration = []string{CloseCredentials, CloseEnvironment}

// CloseChecklist returns e's close-out checklist in order. The DNS item is
// there only when mail is migrated.
func CloseChecklist(e *Engagement) []CloseItem {
	var out []CloseItem
	eventsSettled := true
	for _, it := range closeItemTitles {
		c := CloseItem{Key: it.key, Title: it.title}
		if ch, ok := e.CloseChecks[it.key]; ok {
			ch := ch
			c.Check = &ch
		}
		switch it.key {
		case CloseEvents:
			c.Auto = true
			// The same rule as 1871's evidence: no events is not "all done".
			c.Done = eventsFinished(e)
			var open []string
			for _, ev := range e.Events {
				if !ev.State.Terminal() {
					open = append(open, strconv.Itoa(ev.N))
				}
			}
			switch {
			case len(e.Events) == 0:
				c.Detail = "no migration events yet"
			case !c.Done:
				c.Detail = fmt.Sprintf("%s still to finish: %s", nOf(len(open), "event", "events"), listFirst(open, 10))
			}
			eventsSettled = c.Settled()
		case CloseIssues:
			c.Auto = true
			var open []string
			for _, x := range e.Issues {
				if x.State == IssueOpen {
					open = append(open, "#"+strconv.Itoa(x.ID))
				}
			}
			c.Done = len(open) == 0
			if !c.Done {
				c.Detail = fmt.Sprintf("%s open: %s", nOf(len(open), "issue", "issues"), listFirst(open, 10))
			}
		case CloseDNS:
			t, _ := TaskByKey("dns-mail-flow")
			if !Applies(e, t) {
				continue
			}
			c.Auto = true
			c.Done = e.State(t.Key).Status != StatusOpen
			if !c.Done {
				c.Detail = "1370 is open (the FRP's)"
			}
		case CloseSurvey:
			c.Done = len(e.Survey) > 0 || (c.Check != nil && c.Check.Status == CloseChecked)
			if !c.Done {
				c.Detail = "not sent yet"
			}
		default:
			c.Done = c.Check != nil && c.Check.Status == CloseChecked
			if !c.Done {
				c.Detail = "not confirmed yet"
				if !eventsSettled && slices.Contains(afterMigration, c.Key) {
					c.Waits = "migration events are still to finish; check it once the events item is settled"
					c.Detail = "waits for the migration events to finish"
				}
			}
		}
		out = append(out, c)
	}
	return out
}

func (e *Engagement) closeItem(key string) (CloseItem, error) {
	list := CloseChecklist(e)
	i := slices.IndexFunc(list, func(c CloseItem) bool { return c.Key == strings.ToLower(strings.TrimSpace(key)) })
	if i < 0 {
		keys := make([]string, len(list))
		for j, c := range list {
			keys[j] = c.Key
		}
		return CloseItem{}, Errorf(ENOTFOUND, "%q is not a close-out item of this engagement. Items: %s.", key, strings.Join(keys, ", "))
	}
	return list[i], nil
}

// CheckCloseItem records that the actor confirms close-out item key (one
// that is not Auto: credentials, environment, survey). Returns ECONFLICT
// when e is closed, the item is already done or waived, or it Waits for
// the migration events; EINVALID for an
// item the engagement's state decides; ENOTFOUND for an unknown item;
// EFORBIDDEN unless the actor is the MVM (the MST where nobody holds it).
func CheckCloseItem(e *Engagement, actorID, key string, now time.Time) error {
	c, err := e.prepareCloseItem(actorID, key)
	if err != nil {
		return err
	}
	if c.Auto {
		return Errorf(EINVALID, "%q checks itself from the engagement's state (%s); waive it with a reason if it must be set aside.", c.Title, c.Detail)
	}
	if c.Waits != "" {
		return Errorf(ECONFLICT, "%q cannot be checked yet: %s. Waive it with a reason if it is settled another way.", c.Title, c.Waits)
	}
	e.setCloseCheck(c.Key, CloseCheck{Status: CloseChecked, By: actorID, At: now.UTC()})
	e.audit(now, actorID, ActionCloseCheck, "decommission", c.Key)
	return nil
}

// WaiveCloseItem sets close-out item key aside for the reason given.
// Returns EINVALID without a reason, and the refusals of CheckCloseItem but
// the one for Auto items.
func WaiveCloseItem(e *Engagement, actorID, key, reason string, now time.Time) error {
	c, err := e.prepareCloseItem(actorID, key)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxReasonLen {
		return Errorf(EINVALID, "Say why %q is waived, in at most %d characters; the reason goes into the history.", c.Title, MaxReasonLen)
	}
	e.setCloseCheck(c.Key, CloseCheck{Status: CloseWaived, By: actorID, At: now.UTC(), Reason: reason})
	e.audit(now, actorID, ActionCloseWaive, "decommission", c.Key+": "+reason)
	return nil
}

func (e *Engagement) prepareCloseItem(actorID, key string) (CloseItem, error) {
	if err := e.checkOpen(); err != nil {
		return CloseItem{}, err
	}
	if err := Can(e, actorID, ActionCloseCheck, nil); err != nil {
		return CloseItem{}, err
	}
	c, err := e.closeItem(key)
	if err != nil {
		return CloseItem{}, err
	}
	switch {
	case c.Check != nil && c.Check.Status == CloseWaived:
		return CloseItem{}, Errorf(ECONFLICT, "%q was already waived on %s: %q.", c.Title, day(c.Check.At), c.Check.Reason)
	case c.Done:
		return CloseItem{}, Errorf(ECONFLICT, "%q is already done.", c.Title)
	}
	return c, nil
}

func (e *Engagement) setCloseCheck(key string, c CloseCheck) {
	if e.CloseChecks == nil {
		e.CloseChecks = map[string]CloseCheck{}
	}
	e.CloseChecks[key] = c
}

// CloseOut closes e once every close-out item is done or waived, then as
// Close does: reason may be empty when every task is settled, and is
// required (and recorded) while tasks remain open. A closed engagement is
// read-only. Returns ECONFLICT when e is closed; EFORBIDDEN (see Can); and
// EINVALID naming the items still open, or as Close does.
func CloseOut(e *Engagement, actorID, reason string, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionClose, nil); err != nil {
		return err
	}
	var open []string
	for _, c := range CloseChecklist(e) {
		if !c.Settled() {
			open = append(open, fmt.Sprintf("%s (%s)", c.Title, c.Detail))
		}
	}
	if len(open) > 0 {
		return Errorf(EINVALID, "Close-out is not complete: %s. Check each item, or waive it with a reason.", strings.Join(open, "; "))
	}
	return Close(e, actorID, reason, now)
}
