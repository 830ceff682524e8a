package playbook

import "strings"

// Segment is the customer's market segment. The seeds make it matter: "The
// Migration Velocity Manager (MVM) role is no longer applicable for
// Commercial Customer migrations (except IMAP)". The segments offered are
// those Microsoft 365 is sold and FastTrack is offered under (commercial,
// government, education, nonprofit plans); docs/playbook.md says where the
// list comes from.
type Segment string

// The segments. Stored: never rename one. SegmentUnknown is an engagement
// set up before the bot asked (or whose setter did not know): it behaves as
// Commercial, the rule before segments existed, so stored engagements keep
// their owners.
const (
	SegmentUnknown    Segment = ""
	SegmentCommercial Segment = "Commercial"
	SegmentGovernment Segment = "Government"
	SegmentEducation  Segment = "Education"
	SegmentNonprofit  Segment = "Nonprofit"
)

var segments = []Segment{SegmentCommercial, SegmentGovernment, SegmentEducation, SegmentNonprofit}

// Segments returns the segments a person may choose, in the order setup
// offers them. The slice is the caller's.
func Segments() []Segment {
	return append([]Segment(nil), segments...)
}

// Valid reports whether s is a known segment or SegmentUnknown.
func (s Segment) Valid() bool {
	return s == SegmentUnknown || hasSegment(s)
}

func hasSegment(s Segment) bool {
	for _, x := range segments {
		if x == s {
			return true
		}
	}
	return false
}

// String is the segment as a person reads it; "not recorded" when unknown.
func (s Segment) String() string {
	if s == SegmentUnknown {
		return "not recorded"
	}
	return string(s)
}

// ParseSegment reads a segment as people type it, case-insensitive:
// "commercial", "gov", "government", "gcc", "edu", "education",
// "nonprofit", "non-profit", "npo". "" and "unknown" are SegmentUnknown.
// Returns EINVALID naming the segments otherwise.
func ParseSegment(s string) (Segment, error) {
	switch squash(s) {
	case "", "unknown":
		return SegmentUnknown, nil
	case "commercial", "enterprise", "business":
		return SegmentCommercial, nil
	case "government", "gov", "public", "publicsector", "gcc":
		return SegmentGovernment, nil
	case "education", "edu", "academic":
		return SegmentEducation, nil
	case "nonprofit", "npo", "charity":
		return SegmentNonprofit, nil
	}
	names := make([]string, len(segments))
	for i, x := range segments {
		names[i] = string(x)
	}
	return "", Errorf(EINVALID, "%q is not a customer segment. Segments: %s.", strings.TrimSpace(s), strings.Join(names, ", "))
}

// MVMApplies reports whether the MVM role exists in e: an engagement with an
// IMAP source, or one for a customer outside the commercial segment. It is
// the one rule every question about the MVM asks (ownership, permissions,
// questionnaire review, escalation contact, reports); an unknown segment
// counts as commercial.
func MVMApplies(e *Engagement) bool {
	return e.hasIMAP() || mvmSegment(e.Segment)
}

func mvmSegment(s Segment) bool {
	return s != SegmentUnknown && s != SegmentCommercial
}

// Manager is the role that holds the MVM's tasks in e and runs its migration
// programme: the MVM where the role applies (MVMApplies) and someone holds
// it, else the MST. So an engagement waiting for its MVM is never stranded:
// the MST acts until the MVM joins.
func Manager(e *Engagement) Role {
	if MVMApplies(e) && e.held(MVM) {
		return MVM
	}
	return MST
}

// held reports whether anyone holds r; unlike Holders it copies nothing,
// as OwnerOf asks it for every task on every next-steps question.
func (e *Engagement) held(r Role) bool {
	for _, m := range e.Members {
		if m.Has(r) {
			return true
		}
	}
	return false
}

func errMVMNotApplicable(e *Engagement) error {
	return Errorf(EINVALID, "The MVM role exists only in IMAP engagements and for customers outside the commercial segment; this engagement migrates %s for a customer whose segment is %s, so the MST does the MVM's tasks.",
		joinSources(e.Sources), strings.ToLower(e.Segment.String()))
}
