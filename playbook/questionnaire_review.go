package playbook

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The review of a submitted questionnaire (task 1672, "questionnaire
// completion and validation"): the MVM, or the MST where no source has an
// MVM (no IMAP), either validates the latest version, which marks 1672 done,
// or requests changes with a comment, which reopens 1034 for the customer.
// A review is recorded only in the history, one entry per decision (copied
// into Engagement.Kept, which ReviewOf reads), so it cannot be rewritten.

// Actions of the questionnaire review, as recorded in AuditEntry.Action.
// Stored: never rename one.
const (
	ActionValidateQuestionnaire Action = "questionnaire_validate"
	ActionRequestChanges        Action = "questionnaire_changes"
)

// validationTask is the key of task 1672.
const validationTask = "questionnaire-validation"

// MaxReviewComment bounds the comment of a change request, in characters.
const MaxReviewComment = 1000

// ReviewStatus is where the latest questionnaire version stands.
type ReviewStatus string

// The review statuses of a version.
const (
	ReviewPending          ReviewStatus = "pending"           // submitted, not reviewed
	ReviewValidated        ReviewStatus = "validated"         // validated by the reviewer
	ReviewChangesRequested ReviewStatus = "changes_requested" // sent back with a comment
)

// QuestionnaireReview is the review of one questionnaire version.
type QuestionnaireReview struct {
	Version int // the version reviewed
	Status  ReviewStatus
	By      string    // reviewer's member id; empty while pending
	At      time.Time // zero while pending
	Comment string    // the change request's comment
}

// ReviewOf returns the review of the latest questionnaire version of e, read
// from the history's kept entries (Engagement.Kept), and false when nothing
// has been submitted.
func ReviewOf(e *Engagement) (QuestionnaireReview, bool) {
	v, ok := LatestQuestionnaire(e)
	if !ok {
		return QuestionnaireReview{}, false
	}
	r := QuestionnaireReview{Version: v.N, Status: ReviewPending}
	for i := len(e.Kept) - 1; i >= 0; i-- {
		h := e.Kept[i]
		switch h.Action {
		case ActionSubmitQuestionnaire:
			return r, true
		case ActionValidateQuestionnaire, ActionRequestChanges:
			n, comment := parseReviewDetail(h.Detail)
			if n != v.N {
				continue
			}
			r.By, r.At = h.Actor, h.At
			if h.Action == ActionValidateQuestionnaire {
				r.Status = ReviewValidated
			} else {
				r.Status, r.Comment = ReviewChangesRequested, comment
			}
			return r, true
		}
	}
	return r, true
}

// reviewDetail is the history detail of a review: "v2" or "v2: comment".
func reviewDetail(n int, comment string) string {
	if comment == "" {
		return fmt.Sprintf("v%d", n)
	}
	return fmt.Sprintf("v%d: %s", n, comment)
}

func parseReviewDetail(d string) (int, string) {
	head, comment, _ := strings.Cut(d, ": ")
	var n int
	if _, err := fmt.Sscanf(head, "v%d", &n); err != nil {
		return 0, ""
	}
	return n, comment
}

// ValidationWaitsFor returns the tasks validating the questionnaire waits
// for now: the open needs of 1672 while it is open (validating marks it
// done), nil when Validate would succeed on that account. Cards show
// Validate only when it is empty.
func ValidationWaitsFor(e *Engagement) []Task {
	t := table[byKey[validationTask]]
	if e.State(t.Key).Status != StatusOpen {
		return nil
	}
	return openNeeds(e, t)
}

// reviewable checks what validating and requesting changes share: e open,
// the actor a reviewer, version n the latest, not already decided.
func reviewable(e *Engagement, actorID string, n int) (QuestionnaireVersion, error) {
	if err := e.checkOpen(); err != nil {
		return QuestionnaireVersion{}, err
	}
	if err := Can(e, actorID, ActionValidateQuestionnaire, nil); err != nil {
		return QuestionnaireVersion{}, err
	}
	v, ok := LatestQuestionnaire(e)
	if !ok {
		return QuestionnaireVersion{}, Errorf(ENOTFOUND, "The questionnaire has not been submitted yet, so there is nothing to review.")
	}
	if n != v.N {
		return QuestionnaireVersion{}, Errorf(ECONFLICT, "This card is for v%d, but v%d (by %s on %s) is the latest: nothing was recorded. Review v%d: type **questionnaire show**.",
			n, v.N, e.memberDisplay(v.By), v.At.UTC().Format("2 Jan 15:04"), v.N)
	}
	r, _ := ReviewOf(e)
	switch r.Status {
	case ReviewValidated:
		return QuestionnaireVersion{}, Errorf(ECONFLICT, "v%d was already validated by %s on %s.", v.N, e.memberDisplay(r.By), r.At.Format("2 Jan 15:04"))
	case ReviewChangesRequested:
		return QuestionnaireVersion{}, Errorf(ECONFLICT, "%s already asked for changes to v%d on %s; the customer's next version answers it.", e.memberDisplay(r.By), v.N, r.At.Format("2 Jan 15:04"))
	}
	return v, nil
}

func (e *Engagement) memberDisplay(id string) string {
	if m, ok := e.Member(id); ok {
		return m.display()
	}
	return id
}

// AcceptQuestionnaire validates version n of e's questionnaire (the latest)
// by actorID at now: it records the validation in the history and marks
// task 1672 done through MarkDone when it is open. A version submitted after
// 1672 is done can be validated too (recorded; 1672 stays done). Returns the
// version validated.
//
// Returns ECONFLICT when e is closed, when n is not the latest version (the
// card is stale) or the latest was already validated or sent back;
// EFORBIDDEN (see Can, ActionValidateQuestionnaire); ENOTFOUND when nothing was
// submitted; EINVALID naming the blockers while 1672 waits for other tasks
// (nothing is recorded: validate once they are settled).
func AcceptQuestionnaire(e *Engagement, actorID string, n int, now time.Time) (QuestionnaireVersion, error) {
	v, err := reviewable(e, actorID, n)
	if err != nil {
		return QuestionnaireVersion{}, err
	}
	t := table[byKey[validationTask]]
	open := e.State(t.Key).Status == StatusOpen
	if open {
		if bs := openNeeds(e, t); len(bs) > 0 {
			return QuestionnaireVersion{}, Errorf(EINVALID, "Validating v%d marks %s done, which waits for %s. Validate once those are done; nothing was recorded.", v.N, t.Ref(), e.describeBlockers(bs))
		}
	}
	e.audit(now, actorID, ActionValidateQuestionnaire, validationTask, reviewDetail(v.N, ""))
	if open {
		// Cannot fail: e is open, the reviewer owns 1672, and it is open
		// and unblocked.
		_, _ = MarkDone(e, actorID, t.Key, now)
	}
	return v, nil
}

// RequestQuestionnaireChanges sends version n of e's questionnaire (the
// latest) back to the customer with comment, by actorID at now: the
// comment goes into the history, and task 1034 is reopened when it is done
// and no settled task rests on it (the customer's decision does: then 1034
// stays done, and the next version answers the request). It reports
// whether 1034 was reopened. The next submitted version clears the request.
//
// Returns the errors of AcceptQuestionnaire except the blockers, and
// EINVALID for an empty comment, one over MaxReviewComment characters, one
// with control characters, or one that find flags as a credential (never
// stored; the message points to 3614).
func RequestQuestionnaireChanges(e *Engagement, actorID string, n int, comment string, now time.Time, find SecretFinder) (bool, error) {
	v, err := reviewable(e, actorID, n)
	if err != nil {
		return false, err
	}
	comment = strings.TrimSpace(comment)
	switch {
	case comment == "":
		return false, Errorf(EINVALID, "Say what should change; the customer gets the comment.")
	case !utf8.ValidString(comment) || strings.ContainsFunc(comment, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		return false, Errorf(EINVALID, "The comment has characters that are not text; nothing was recorded.")
	case utf8.RuneCountInString(comment) > MaxReviewComment:
		return false, Errorf(EINVALID, "The comment is %d characters; at most %d are kept. Shorten it; nothing was recorded.", utf8.RuneCountInString(comment), MaxReviewComment)
	}
	if find != nil {
		if rule, found := find(comment); found {
			return false, Errorf(EINVALID, "The comment looks like it holds a credential (%s), so it was not kept. Credentials go through the secure credential process (3614) with the MST, never in chat.", rule)
		}
	}
	t := table[byKey[questionnaireTask]]
	reopened := false
	if e.State(t.Key).Status != StatusOpen && len(settledDependents(e, t)) == 0 {
		delete(e.States, t.Key)
		reopened = true
	}
	e.audit(now, actorID, ActionRequestChanges, questionnaireTask, reviewDetail(v.N, comment))
	return reopened, nil
}
