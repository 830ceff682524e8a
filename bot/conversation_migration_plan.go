package bot

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// The migration plan in the conversation (task 1871): plan proposes a
// schedule from the validated questionnaire (playbook.PlanInputFromAnswers,
// ProposePlan) on a card the MVM adjusts, recalculates and accepts
// (AcceptPlan). The proposal is always made again from the stored
// questionnaire and the card's adjustments: a plan in card data is never
// trusted.

// plan answers the plan card: typed (verb ""), Recalculate or Accept.
func (t *turn) plan(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionAcceptPlan, nil); err != nil {
		return answer{}, err
	}
	q, ok := playbook.LatestQuestionnaire(e)
	if !ok {
		return answer{}, playbook.Errorf(playbook.EINVALID, "No questionnaire has been submitted yet, so there is nothing to plan from. The customer fills it in with **questionnaire**; once it is validated, **plan** proposes the schedule.")
	}
	if r, _ := playbook.ReviewOf(e); r.Status != playbook.ReviewValidated {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Questionnaire v%d is not validated yet (%s), so no plan is proposed from it. Validate it first: **questionnaire show** has the buttons.",
			q.N, strings.ReplaceAll(string(r.Status), "_", " "))
	}
	in, err := playbook.PlanInputFromAnswers(q.Answers, 0)
	if err != nil {
		return answer{}, err
	}
	v := cards.PlanView{Questionnaire: q.N, Adjust: cards.PlanAdjust{PilotSize: in.PilotSize, PreferredBatch: in.PreferredBatch, MaxBatch: in.MaxBatch}}
	if p, ok := playbook.LatestPlan(e); ok {
		v.Accepted = &p
	}
	stale := false
	if verb != "" {
		m, err := decodeObject(raw)
		if err != nil {
			return answer{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was changed. Type **plan** for a fresh card.")
		}
		if n, _, _ := intValue(m, cards.PlanKey); n != q.N {
			v.Notice = fmt.Sprintf("The questionnaire changed since this card was made (now v%d): the proposal below is made from it.", q.N)
			stale = true
		}
		if err := readAdjust(m, &v.Adjust); err != nil {
			v.Problem = playbook.ErrorMessage(err)
		}
	}
	in.PilotSize, in.PreferredBatch, in.MaxBatch, in.AllowWeekends = v.Adjust.PilotSize, v.Adjust.PreferredBatch, v.Adjust.MaxBatch, v.Adjust.AllowWeekends
	if v.Problem == "" {
		p, err := playbook.ProposePlan(in, t.now)
		switch {
		case playbook.ErrorCode(err) == playbook.EINVALID:
			v.Problem = playbook.ErrorMessage(err)
		case err != nil:
			return answer{}, err
		default:
			v.Plan = &p
		}
	}
	if verb != cards.VerbPlanAccept || v.Plan == nil || stale {
		return answer{card: cards.PlanCard(e, v)}, nil
	}
	if d.Version != e.Version {
		v.Notice = "The engagement changed since this card was made, so nothing was accepted. Here is the proposal on the current state: check it and accept again."
		return answer{card: cards.PlanCard(e, v)}, nil
	}
	p, err := playbook.AcceptPlan(e, t.a.From.ID, *v.Plan, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	v.Accepted, v.Plan = &p, &p
	v.Notice = fmt.Sprintf("Plan v%d accepted: %d events from %s, %s units. **events** lists them.", p.Version, len(p.Events), p.Events[0].Date.Format("2 Jan 2006"), strconv.Itoa(p.Units))
	return save(e, answer{card: cards.PlanCard(e, v)}), nil
}

// readAdjust reads the plan card's inputs into a; absent ones keep their
// value.
func readAdjust(m map[string]any, a *cards.PlanAdjust) error {
	for _, f := range []struct {
		key, what string
		dst       *int
	}{
		{cards.PlanPilotInput, "The pilot size", &a.PilotSize},
		{cards.PlanBatchInput, "The batch size", &a.PreferredBatch},
		{cards.PlanMaxBatchInput, "The most units per batch day", &a.MaxBatch},
	} {
		n, present, err := intValue(m, f.key)
		if !present {
			continue
		}
		if err != nil || n < 0 {
			return playbook.Errorf(playbook.EINVALID, "%s must be a whole number, 0 or more.", f.what)
		}
		*f.dst = n
	}
	if w, ok := m[cards.PlanWeekendsInput]; ok {
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

// intValue reads a whole number that a card sent as a number or as text.
func intValue(m map[string]any, key string) (n int, present bool, err error) {
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
