package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// planCommands are the commands of this file (see Command).
var planCommands = []Command{
	{Name: "plan", Usage: "plan", Scopes: allScopes,
		Description: "Propose the migration schedule from the validated questionnaire, adjust it and accept it",
		Help: "The MVM (the MST where there is no IMAP) gets a card with the proposed pilot and velocity batches, why the batch size was chosen and the units per month. " +
			"Adjust the pilot size, the batch size, the most units per day and weekends, then Recalculate or Accept: each accepted plan is a new version, and events keep their numbers.",
		Rank: 180,
		Run:  func(t *turn, _ string) (answer, error) { return t.plan("", cards.ActionData{}, nil) }},
}

// planButtons are the buttons of this file's cards (see Button).
var planButtons = []Button{
	{Verbs: []string{cards.VerbPlanRecalc, cards.VerbPlanAccept},
		Run: (*turn).plan},
}

// The migration plan in the conversation (task 1871): plan proposes a
// schedule from the validated questionnaire (playbook.PlanInputFromAnswers,
// ProposeReplan, which keeps the events that started) on a card the MVM adjusts, recalculates and accepts
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
	// Mail and content move in separate events: a multi-source plan is
	// split by source, from the questionnaire's counts.
	v.Adjust.Split = playbook.SplitFromAnswers(q.Answers, e.Sources, in.Units)
	if p, ok := playbook.LatestPlan(e); ok {
		v.Accepted = &p
		v.Adjust.Concurrency = p.Concurrency
	}
	stale := false
	if verb != "" {
		f, err := cards.DecodePlan(raw, v.Adjust)
		if err != nil {
			return answer{}, err
		}
		if f.Questionnaire != q.N {
			v.Notice = fmt.Sprintf("The questionnaire changed since this card was made (now v%d): the proposal below is made from it.", q.N)
			stale = true
		}
		v.Adjust = f.Adjust
		if f.Problem != nil {
			v.Problem = playbook.ErrorMessage(f.Problem)
		}
	}
	in.PilotSize, in.PreferredBatch, in.MaxBatch, in.AllowWeekends = v.Adjust.PilotSize, v.Adjust.PreferredBatch, v.Adjust.MaxBatch, v.Adjust.AllowWeekends
	measurePace(e, &in, &v, t.now)
	if v.Problem == "" {
		p, err := playbook.ProposeReplan(e, in, t.now)
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

// measurePace sizes in's batches from the pace e's completed events
// measured, source by source, each at its tool's concurrency (the mail
// endpoint's, read from the Get-MigrationEndpoint output pasted on the
// card; Migration Manager's 50 tasks for the cloud sources), and shows
// that pace and when the accepted plan, and each source, ends at it.
func measurePace(e *playbook.Engagement, in *playbook.PlanInput, v *cards.PlanView, now time.Time) {
	in.Split, in.Concurrency = slices.Clone(v.Adjust.Split), v.Adjust.Concurrency
	for _, s := range e.Sources {
		tp := playbook.MeasuredThroughput(e, s)
		c := tp.Capacity(playbook.SourceConcurrency(s, v.Adjust.Concurrency))
		if tp.Events > 0 {
			v.Paces = append(v.Paces, cards.SourcePace{Source: s, Throughput: tp, Capacity: c})
		}
		if i := slices.IndexFunc(in.Split, func(x playbook.SourceUnits) bool { return x.Source == s }); i >= 0 {
			in.Split[i].Capacity = c
		} else if len(e.Sources) == 1 {
			in.Capacity = c
		}
	}
	if f, ok := playbook.ForecastAtPace(e, v.Adjust.Concurrency, now); ok {
		v.AtPace = &f
	}
	v.BySource = playbook.ForecastBySource(e, v.Adjust.Concurrency, now)
}
