package playbook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Escalations: anyone in the engagement raises one; it goes to the single
// point of contact the MVM role guide asks for (the MVM in an IMAP
// engagement, otherwise the MST lead), who acknowledges and resolves it. An
// escalation nobody acknowledged is reminded every so often (DueForReminder;
// the bot's reminder job calls RecordEscalationReminder).

// Actions of escalations. Stored: never rename one.
const (
	ActionEscalate         Action = "escalate"
	ActionEscalationAck    Action = "escalation_ack"
	ActionEscalationSolve  Action = "escalation_resolve"
	ActionEscalationRemind Action = "escalation_remind"
)

// BotActor is the actor of history entries the bot writes on its own (a
// reminder sent), not on a person's behalf.
const BotActor = "mvmbot"

// Severity says how bad an escalation is.
type Severity string

// Severities, least first. Stored: never rename one.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// ParseSeverity reads a severity as people type it: low, medium, high,
// critical, in any case, or sev4 to sev1 (sev1 is critical). "" is medium,
// the default of `escalate <text>`. Returns EINVALID otherwise.
func ParseSeverity(s string) (Severity, error) {
	switch squash(s) {
	case "", "medium", "med", "normal", "sev3", "3":
		return SeverityMedium, nil
	case "low", "minor", "sev4", "4":
		return SeverityLow, nil
	case "high", "major", "sev2", "2":
		return SeverityHigh, nil
	case "critical", "crit", "urgent", "sev1", "1":
		return SeverityCritical, nil
	}
	return "", Errorf(EINVALID, "%q is not a severity: low, medium, high or critical.", strings.TrimSpace(s))
}

// EscalationState is where an escalation stands.
type EscalationState string

// Escalation states. Stored: never rename one.
const (
	EscalationOpen         EscalationState = "open"
	EscalationAcknowledged EscalationState = "acknowledged"
	EscalationResolved     EscalationState = "resolved"
)

// Escalation is one tracked escalation.
type Escalation struct {
	ID       int             `json:"id"` // 1, 2, … in the engagement
	By       string          `json:"by"` // member id
	At       time.Time       `json:"at"`
	Severity Severity        `json:"severity"`
	State    EscalationState `json:"state"`
	Text     string          `json:"text"`
	// Issue is the post-migration issue escalated; 0 for none.
	Issue int `json:"issue,omitempty"`
	// Contact is the single point of contact when it was raised (member id;
	// "" when nobody held the role), ContactRole their role.
	Contact     string    `json:"contact,omitempty"`
	ContactRole Role      `json:"contactRole"`
	AckBy       string    `json:"ackBy,omitempty"`
	AckAt       time.Time `json:"ackAt,omitzero"`
	ResolvedBy  string    `json:"resolvedBy,omitempty"`
	ResolvedAt  time.Time `json:"resolvedAt,omitzero"`
	Resolution  string    `json:"resolution,omitempty"`
	Reminders   int       `json:"reminders,omitempty"`
	RemindedAt  time.Time `json:"remindedAt,omitzero"`
}

// SinglePointOfContact returns who takes escalations in e: the MVM in an
// IMAP engagement where someone holds it, else the MST lead (the MST member
// who leads the engagement, or the first MST member). False when nobody
// holds that role yet.
func SinglePointOfContact(e *Engagement) (Member, Role, bool) {
	r := Manager(e)
	hs := e.Holders(r)
	if len(hs) == 0 {
		return Member{}, r, false
	}
	for _, m := range hs {
		if m.Lead {
			return m, r, true
		}
	}
	return hs[0], r, true
}

// Escalate records an escalation by actorID, any member, and returns it,
// addressed to the single point of contact. sev "" is medium; issue names
// the post-migration issue escalated (0 for none). Returns ECONFLICT when e
// is closed, EFORBIDDEN for a non-member, EINVALID for an empty or long
// text, an unknown severity or issue.
func Escalate(e *Engagement, actorID string, sev Severity, text string, issue int, now time.Time) (Escalation, error) {
	if err := e.checkOpen(); err != nil {
		return Escalation{}, err
	}
	if err := Can(e, actorID, ActionEscalate, nil); err != nil {
		return Escalation{}, err
	}
	sev, err := ParseSeverity(string(sev))
	if err != nil {
		return Escalation{}, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Escalation{}, Errorf(EINVALID, "Say what is escalated: escalate <text>.")
	case len(text) > MaxReasonLen:
		return Escalation{}, Errorf(EINVALID, "An escalation is at most %d characters.", MaxReasonLen)
	}
	if issue != 0 {
		if _, err := e.issueIndex(issue); err != nil {
			return Escalation{}, err
		}
	}
	m, role, _ := SinglePointOfContact(e)
	x := Escalation{ID: len(e.Escalations) + 1, By: actorID, At: now.UTC(), Severity: sev, State: EscalationOpen,
		Text: text, Issue: issue, Contact: m.ID, ContactRole: role}
	e.Escalations = append(e.Escalations, x)
	if issue != 0 {
		e.touchIssue(issue) // the tracker's Escalated column
	}
	detail := fmt.Sprintf("#%d %s to the %s", x.ID, sev, role)
	if m.ID != "" {
		detail += " (" + m.display() + ")"
	}
	if issue != 0 {
		detail += fmt.Sprintf(", issue %d", issue)
	}
	e.audit(now, actorID, ActionEscalate, "", detail+": "+text)
	return x, nil
}

func (e *Engagement) escalationIndex(id int) (int, error) {
	i := slices.IndexFunc(e.Escalations, func(x Escalation) bool { return x.ID == id })
	if i < 0 {
		return -1, Errorf(ENOTFOUND, "There is no escalation #%d; `escalations` lists them.", id)
	}
	return i, nil
}

// AcknowledgeEscalation records that the single point of contact has taken
// escalation id. Returns ECONFLICT when e is closed or the escalation is not
// open, EFORBIDDEN unless the actor holds the contact role (the MVM, else
// the MST), ENOTFOUND for no such escalation.
func AcknowledgeEscalation(e *Engagement, actorID string, id int, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionEscalationAck, nil); err != nil {
		return err
	}
	i, err := e.escalationIndex(id)
	if err != nil {
		return err
	}
	x := &e.Escalations[i]
	if x.State != EscalationOpen {
		return Errorf(ECONFLICT, "Escalation #%d is already %s.", id, x.State)
	}
	x.State, x.AckBy, x.AckAt = EscalationAcknowledged, actorID, now.UTC()
	e.audit(now, actorID, ActionEscalationAck, "", fmt.Sprintf("#%d", id))
	return nil
}

// ResolveEscalation closes escalation id, open or acknowledged, with what
// was done. Returns EINVALID without a resolution, ECONFLICT when e is
// closed or the escalation already resolved, and the refusals of
// AcknowledgeEscalation.
func ResolveEscalation(e *Engagement, actorID string, id int, resolution string, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionEscalationSolve, nil); err != nil {
		return err
	}
	i, err := e.escalationIndex(id)
	if err != nil {
		return err
	}
	x := &e.Escalations[i]
	if x.State == EscalationResolved {
		return Errorf(ECONFLICT, "Escalation #%d was already resolved on %s.", id, day(x.ResolvedAt))
	}
	resolution = strings.TrimSpace(resolution)
	if resolution == "" || len(resolution) > MaxReasonLen {
		return Errorf(EINVALID, "Say how escalation #%d was resolved, in at most %d characters.", id, MaxReasonLen)
	}
	if x.State == EscalationOpen {
		x.AckBy, x.AckAt = actorID, now.UTC()
	}
	x.State, x.ResolvedBy, x.ResolvedAt, x.Resolution = EscalationResolved, actorID, now.UTC(), resolution
	if x.Issue != 0 {
		e.touchIssue(x.Issue)
	}
	e.audit(now, actorID, ActionEscalationSolve, "", fmt.Sprintf("#%d: %s", id, resolution))
	return nil
}

// DueForReminder returns the open (unacknowledged) escalations of e that
// have waited at least after since they were raised or last reminded,
// oldest first. Nil when e is closed or after is not positive.
func DueForReminder(e *Engagement, now time.Time, after time.Duration) []Escalation {
	if e.IsClosed() || after <= 0 {
		return nil
	}
	var out []Escalation
	for _, x := range e.Escalations {
		last := x.At
		if x.RemindedAt.After(last) {
			last = x.RemindedAt
		}
		if x.State == EscalationOpen && now.Sub(last) >= after {
			out = append(out, x)
		}
	}
	return out
}

// RecordEscalationReminder records, as BotActor, that the bot reminded the
// contact of open escalation id now. Returns ECONFLICT when e is closed or
// the escalation is no longer open, ENOTFOUND for no such escalation.
func RecordEscalationReminder(e *Engagement, id int, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	i, err := e.escalationIndex(id)
	if err != nil {
		return err
	}
	x := &e.Escalations[i]
	if x.State != EscalationOpen {
		return Errorf(ECONFLICT, "Escalation #%d is %s; it needs no reminder.", id, x.State)
	}
	x.Reminders++
	x.RemindedAt = now.UTC()
	e.audit(now, BotActor, ActionEscalationRemind, "", fmt.Sprintf("#%d, reminder %d", id, x.Reminders))
	return nil
}

// EscalationView is an escalation as `escalations` lists it.
type EscalationView struct {
	Escalation
	// Age is since raised, until resolved. JSON has it as ageSeconds, whole
	// seconds (MarshalJSON).
	Age time.Duration `json:"-"`
}

// MarshalJSON writes the view as the reporting feed shows it: the
// escalation's own fields, as stored, and ageSeconds, Age in whole seconds
// (not a time.Duration's nanoseconds).
func (v EscalationView) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Escalation
		AgeSeconds int64 `json:"ageSeconds"`
	}{v.Escalation, int64(v.Age / time.Second)})
}

// Escalations lists e's escalations with their age at now: unresolved
// first, most severe then oldest first; then the resolved, most recent
// first.
func Escalations(e *Engagement, now time.Time) []EscalationView {
	out := make([]EscalationView, len(e.Escalations))
	for i, x := range e.Escalations {
		end := now
		if x.State == EscalationResolved {
			end = x.ResolvedAt
		}
		out[i] = EscalationView{Escalation: x, Age: end.Sub(x.At)}
	}
	slices.SortStableFunc(out, func(a, b EscalationView) int {
		ar, br := a.State == EscalationResolved, b.State == EscalationResolved
		switch {
		case ar != br:
			if ar {
				return 1
			}
			return -1
		case ar:
			return b.ResolvedAt.Compare(a.ResolvedAt)
		}
		if d := slices.Index(severities, b.Severity) - slices.Index(severities, a.Severity); d != 0 {
			return d
		}
		return a.At.Compare(b.At)
	})
	return out
}
