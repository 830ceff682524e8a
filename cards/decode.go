package cards

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// The decoders of the forms whose inputs are one text or one choice, and
// of the plan card. Like DecodeAction they return EINVALID, with a sentence
// a person can read, for data of the wrong shape; an absent input is "".

// textInput reads the input key of a card's data: "" when absent, refusal
// when it is there and not text.
func textInput(raw json.RawMessage, key, refusal string) (string, error) {
	m, err := object(raw)
	if err != nil {
		return "", err
	}
	v, present := m[key]
	s, ok := v.(string)
	if present && !ok {
		return "", playbook.Errorf(playbook.EINVALID, "%s", refusal)
	}
	return s, nil
}

// DecodeNAReason reads the reason typed on the card of d's task to mark it
// not applicable (ReasonInput, or the older name Reason also reads).
func DecodeNAReason(raw json.RawMessage, d ActionData) (string, error) {
	m, err := object(raw)
	if err != nil {
		return "", err
	}
	v, present := Reason(m, d)
	s, ok := v.(string)
	if present && !ok {
		return "", playbook.Errorf(playbook.EINVALID, "The reason must be text; nothing was changed.")
	}
	return s, nil
}

// DecodeLead reads the member chosen on the roles card to take over the
// lead (LeadInput), spaces trimmed.
func DecodeLead(raw json.RawMessage) (string, error) {
	id, err := textInput(raw, LeadInput, "The new lead must be chosen from the list; nothing was changed.")
	return strings.TrimSpace(id), err
}

// DecodeResolution reads the resolution typed for escalation id
// (ResolutionInput).
func DecodeResolution(raw json.RawMessage, id int) (string, error) {
	return textInput(raw, ResolutionInput(id), "The resolution must be text; nothing was changed.")
}

// DecodeCloseWaive reads the reason typed to waive close-out item
// (CloseWaiveInput).
func DecodeCloseWaive(raw json.RawMessage, item string) (string, error) {
	return textInput(raw, CloseWaiveInput(item), "The field must be text; nothing was changed.")
}

// DecodeCloseReason reads the reason typed to close the engagement
// (CloseReasonInput).
func DecodeCloseReason(raw json.RawMessage) (string, error) {
	return textInput(raw, CloseReasonInput, "The field must be text; nothing was changed.")
}

// PlanForm is what the plan card sends.
type PlanForm struct {
	Questionnaire int        // the questionnaire version the card was made from (PlanKey); 0 when absent
	Adjust        PlanAdjust // the adjustments, over the base given to DecodePlan
	// Problem is an adjustment that does not read (EINVALID, with the
	// sentence to show on the card); Adjust keeps the base for it.
	Problem error
}

// DecodePlan reads the plan card's data: the adjustments typed over base
// (an input left out keeps base's value). Only data that is not an object
// is an error; an input that does not read is the form's Problem, for the
// card to show.
func DecodePlan(raw json.RawMessage, base PlanAdjust) (PlanForm, error) {
	m, err := object(raw)
	if err != nil {
		return PlanForm{}, err
	}
	f := PlanForm{Adjust: base}
	f.Questionnaire, _, _ = intInput(m, PlanKey)
	f.Problem = readAdjust(m, &f.Adjust)
	return f, nil
}

// readAdjust reads the plan card's inputs into a; absent ones keep their
// value.
func readAdjust(m map[string]any, a *PlanAdjust) error {
	for _, f := range []struct {
		key, what string
		dst       *int
	}{
		{PlanPilotInput, "The pilot size", &a.PilotSize},
		{PlanBatchInput, "The batch size", &a.PreferredBatch},
		{PlanMaxBatchInput, "The most units per batch day", &a.MaxBatch},
	} {
		n, present, err := intInput(m, f.key)
		if !present {
			continue
		}
		if err != nil || n < 0 {
			return playbook.Errorf(playbook.EINVALID, "%s must be a whole number, 0 or more.", f.what)
		}
		*f.dst = n
	}
	if v, ok := m[PlanEndpointInput].(string); ok && strings.TrimSpace(v) != "" {
		a.Endpoint = v
		eps, err := playbook.ParseMigrationEndpoint([]byte(v))
		if err != nil {
			return err
		}
		a.Endpoints, a.Concurrency = eps, playbook.EndpointConcurrency(eps)
	}
	split := slices.Clone(a.Split)
	for i, su := range split {
		n, present, err := intInput(m, PlanSourceInput(su.Source))
		if !present {
			continue
		}
		if err != nil || n < 0 {
			return playbook.Errorf(playbook.EINVALID, "The units from %s must be a whole number, 0 or more.", su.Source)
		}
		split[i].Units = n
	}
	a.Split = split
	if w, ok := m[PlanWeekendsInput]; ok {
		switch w {
		case "true", true:
			a.AllowWeekends = true
		case "false", false, "":
			a.AllowWeekends = false
		default:
			return playbook.Errorf(playbook.EINVALID, "Weekends must be on or off.")
		}
	}
	return nil
}

// intInput reads a whole number that a card sent as a number or as text.
func intInput(m map[string]any, key string) (n int, present bool, err error) {
	v, ok := m[key]
	if !ok || v == nil {
		return 0, false, nil
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		s := strings.ReplaceAll(strings.TrimSpace(x), ",", "")
		if s == "" {
			return 0, false, nil
		}
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, true, err
		}
	default:
		return 0, true, fmt.Errorf("%s is not a number", key)
	}
	if f != math.Trunc(f) || math.Abs(f) > playbook.MaxPlanUnits {
		return 0, true, fmt.Errorf("%s is not a whole number in range", key)
	}
	return int(f), true, nil
}

// DecodeEventCompletion reads the units migrated and failed typed to
// complete event n (MigratedInput, FailedInput); absent ones are 0.
func DecodeEventCompletion(raw json.RawMessage, n int) (migrated, failed int, err error) {
	m, err := object(raw)
	if err != nil {
		return 0, 0, err
	}
	migrated, _, err1 := intInput(m, MigratedInput(n))
	failed, _, err2 := intInput(m, FailedInput(n))
	if err1 != nil || err2 != nil {
		return 0, 0, playbook.Errorf(playbook.EINVALID, "Units migrated and failed are whole numbers; nothing was changed.")
	}
	return migrated, failed, nil
}

// Record is the data of a button that names one record by a whole number
// (an event, an issue, an escalation) beside the card's inputs.
type Record struct {
	ID     int
	inputs map[string]any
}

// DecodeRecord reads the data of a button naming its record under key;
// what names the record and command its list, for the refusal a person
// reads when the data is malformed or names no record.
func DecodeRecord(raw json.RawMessage, key, what, command string) (Record, error) {
	m, err := object(raw)
	if err != nil {
		return Record{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was changed. Type **%s** for a fresh card.", command)
	}
	id, ok := wholeNumber(m[key], 1)
	if !ok {
		return Record{}, playbook.Errorf(playbook.EINVALID, "This button does not say which %s it is for, so nothing was changed. Type **%s** for a fresh card.", what, command)
	}
	return Record{ID: id, inputs: m}, nil
}

// Text is the card input key: "" when absent, EINVALID when not text.
func (r Record) Text(key string) (string, error) {
	v, present := r.inputs[key]
	s, ok := v.(string)
	if present && !ok {
		return "", playbook.Errorf(playbook.EINVALID, "The field must be text; nothing was changed.")
	}
	return s, nil
}

// DecodePage reads the page a paging button sends under PageKey: first
// when absent, EINVALID (with refusal) when it is not a whole number from
// first on.
func DecodePage(raw json.RawMessage, first int, refusal string) (int, error) {
	m, err := object(raw)
	if err != nil {
		return 0, err
	}
	v, present := m[PageKey]
	if !present || v == nil {
		return first, nil
	}
	p, ok := wholeNumber(v, first)
	if !ok {
		return 0, playbook.Errorf(playbook.EINVALID, "%s", refusal)
	}
	return p, nil
}

// SurveyAnswer is what the satisfaction survey card sends.
type SurveyAnswer struct {
	Score   int // 0 to 10
	Comment string
}

// DecodeSurvey reads the survey card's score (SurveyScoreInput, a choice
// sent as text) and comment (SurveyCommentInput).
func DecodeSurvey(raw json.RawMessage) (SurveyAnswer, error) {
	m, err := object(raw)
	if err != nil {
		return SurveyAnswer{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was recorded.")
	}
	s, _ := m[SurveyScoreInput].(string)
	score, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return SurveyAnswer{}, playbook.Errorf(playbook.EINVALID, "Choose a score from 0 to 10; nothing was recorded.")
	}
	comment, _ := m[SurveyCommentInput].(string)
	return SurveyAnswer{Score: score, Comment: comment}, nil
}

// wholeNumber is v as a whole JSON number from min to MaxInt32.
func wholeNumber(v any, min int) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < float64(min) || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}
