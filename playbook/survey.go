package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The satisfaction survey (CPE/NPS, the MVM role guide's customer-focus
// metric): how likely the customer is to recommend the service, 0 to 10,
// and a comment.

// ActionSurvey names a survey answer in the history. Stored: never rename
// it.
const ActionSurvey Action = "survey"

// SurveyResponse is one person's answer. A person's later answer replaces
// their earlier one in the score.
type SurveyResponse struct {
	By      string    `json:"by"`            // who recorded it
	For     string    `json:"for,omitempty"` // the respondent when someone else recorded it
	At      time.Time `json:"at"`
	Score   int       `json:"score"`             // 0–10 likelihood to recommend
	Comment string    `json:"comment,omitempty"` // free text
}

// Respondent is who answered.
func (r SurveyResponse) Respondent() string {
	if r.For != "" {
		return r.For
	}
	return r.By
}

// NPSCategory is the Net Promoter group of a score.
type NPSCategory string

// NPS categories.
const (
	Promoter  NPSCategory = "promoter"  // 9–10
	Passive   NPSCategory = "passive"   // 7–8
	Detractor NPSCategory = "detractor" // 0–6
)

// CategoryOf returns the NPS category of score (0–10).
func CategoryOf(score int) NPSCategory {
	switch {
	case score >= 9:
		return Promoter
	case score >= 7:
		return Passive
	}
	return Detractor
}

// RecordSurvey records a survey answer and returns it. The customer answers
// for themselves (respondent ""); the MVM (the MST where nobody holds MVM)
// may record an answer received another way, naming the respondent.
// Returns ECONFLICT when e is closed; EFORBIDDEN for other roles; EINVALID
// for a score outside 0–10 or a long comment.
func RecordSurvey(e *Engagement, actorID string, score int, comment, respondent string, now time.Time) (SurveyResponse, error) {
	if err := e.checkOpen(); err != nil {
		return SurveyResponse{}, err
	}
	if err := Can(e, actorID, ActionSurvey, nil); err != nil {
		return SurveyResponse{}, err
	}
	comment, respondent = strings.TrimSpace(comment), strings.TrimSpace(respondent)
	switch {
	case score < 0 || score > 10:
		return SurveyResponse{}, Errorf(EINVALID, "The score is 0 (not at all likely to recommend) to 10 (extremely likely), not %d.", score)
	case len(comment) > MaxReasonLen:
		return SurveyResponse{}, Errorf(EINVALID, "The comment is longer than %d characters.", MaxReasonLen)
	case len(respondent) > 200:
		return SurveyResponse{}, Errorf(EINVALID, "The respondent's name is longer than 200 characters.")
	}
	r := SurveyResponse{By: actorID, For: respondent, At: now.UTC(), Score: score, Comment: comment}
	if r.For == actorID {
		r.For = ""
	}
	e.Survey = append(e.Survey, r)
	e.audit(now, actorID, ActionSurvey, "decommission", fmt.Sprintf("%d (%s) from %s", score, CategoryOf(score), r.Respondent()))
	return r, nil
}

// NPSResult summarizes the survey: each respondent's latest answer counts.
type NPSResult struct {
	Responses  int `json:"responses"`
	Promoters  int `json:"promoters"`
	Passives   int `json:"passives"`
	Detractors int `json:"detractors"`
	// Score is the Net Promoter Score: the percentage of promoters minus
	// that of detractors, rounded toward zero, -100 to 100; meaningful only
	// when Responses > 0.
	Score  int              `json:"score"`
	Latest []SurveyResponse `json:"latest"` // each respondent's latest answer, newest first
}

// NPS computes e's Net Promoter Score.
func NPS(e *Engagement) NPSResult {
	var r NPSResult
	seen := map[string]bool{}
	for i := len(e.Survey) - 1; i >= 0; i-- {
		s := e.Survey[i]
		if seen[s.Respondent()] {
			continue
		}
		seen[s.Respondent()] = true
		r.Latest = append(r.Latest, s)
		switch CategoryOf(s.Score) {
		case Promoter:
			r.Promoters++
		case Passive:
			r.Passives++
		default:
			r.Detractors++
		}
	}
	r.Responses = len(r.Latest)
	if r.Responses > 0 {
		r.Score = (r.Promoters - r.Detractors) * 100 / r.Responses
	}
	slices.SortStableFunc(r.Latest, func(a, b SurveyResponse) int { return b.At.Compare(a.At) })
	return r
}
