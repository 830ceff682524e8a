package bot

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// closeCommands are the commands of this file (see Command).
var closeCommands = []Command{
	{Name: "close", Aliases: []string{"close-out", "closeout"}, Usage: "close", Scopes: allScopes,
		Description: "The close-out checklist (2323): check or waive each item, send the survey, then close",
		Help: "The MVM (the MST without IMAP) checks the items or waives them with a reason and sends the satisfaction survey to the customer; the lead or the MVM closes once every item is settled. " +
			"A closed engagement is read-only.",
		Rank: 240,
		Run:  func(t *turn, _ string) (answer, error) { return t.closeCard(cards.ActionData{}) }},
}

// closeButtons are the buttons of this file's cards (see Button).
var closeButtons = []Button{
	{Verbs: []string{cards.VerbClose},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.closeCard(d) }},
	{Verbs: []string{cards.VerbCloseCheck, cards.VerbCloseWaive, cards.VerbSurveySend, cards.VerbCloseOut},
		Run: (*turn).closeButton},
	{Verbs: []string{cards.VerbSurveySubmit},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.surveySubmit(d, raw)
		}},
}

// Offboarding in the conversation (task 2323): the close-out checklist
// with Check, Waive and Close, and the satisfaction survey sent to the
// customer. The rules are playbook's (closeout.go, survey.go); a closed
// engagement refuses every change there, so it answers read-only.

// closeView is the close-out card's permissions for the person asking.
func (t *turn) closeView(e *playbook.Engagement, notice string) cards.CloseView {
	return cards.CloseView{Notice: notice,
		CanCheck: playbook.Can(e, t.a.From.ID, playbook.ActionCloseCheck, nil) == nil,
		CanClose: playbook.Can(e, t.a.From.ID, playbook.ActionClose, nil) == nil}
}

// closeCard answers the close-out checklist: with its buttons to the MVM
// (the MST without one) and whoever closes, read-only with who can act to
// anyone else in the engagement.
func (t *turn) closeCard(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: cards.Close(e, t.closeView(e, ""))}, nil
}

// closeButton runs Check, Waive, Send the survey and Close.
func (t *turn) closeButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	who := displayName(t.me())
	var notice string
	var posts []Outgoing
	switch verb {
	case cards.VerbCloseCheck:
		err = playbook.CheckCloseItem(e, t.a.From.ID, d.Task, t.now)
		notice = fmt.Sprintf("%s checked %q.", who, d.Task)
	case cards.VerbCloseWaive:
		var reason string
		if reason, err = cards.DecodeCloseWaive(raw, d.Task); err == nil {
			err = playbook.WaiveCloseItem(e, t.a.From.ID, d.Task, reason, t.now)
			notice = fmt.Sprintf("%s waived %q: %s", who, d.Task, markdown.Escape(strings.TrimSpace(reason)))
		}
	case cards.VerbSurveySend:
		// Sending the survey settles its item.
		if err = playbook.CheckCloseItem(e, t.a.From.ID, playbook.CloseSurvey, t.now); err == nil {
			notice = "The survey was sent to the customer."
			intro := mentionAll(e, playbook.Customer, "the migration is finishing: please tell us how it went (one question and a comment).")
			// One message, so that the mention and the card arrive together.
			survey := cardReply(cards.Survey(e))
			intro.Attachments, intro.Summary = survey.Attachments, survey.Summary
			posts = append(posts, intro)
		}
	case cards.VerbCloseOut:
		if d.Version != e.Version {
			return answer{card: cards.Close(e, t.closeView(e, "The engagement changed since this card was made, so it was not closed. Check the list and close again."))}, nil
		}
		var reason string
		if reason, err = cards.DecodeCloseReason(raw); err == nil {
			err = playbook.CloseOut(e, t.a.From.ID, reason, t.now)
			notice = fmt.Sprintf("%s closed the %s engagement. It is read-only now; thank you all.", who, markdown.Escape(e.Customer))
			posts = append(posts, textReply(notice))
		}
	}
	if err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, t.withPosts(e, answer{card: cards.Close(e, t.closeView(e, notice))}, posts...)), nil
}

// surveySubmit records a customer's survey answer.
func (t *turn) surveySubmit(d cards.ActionData, raw json.RawMessage) (answer, error) {
	sv, err := cards.DecodeSurvey(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if _, err := playbook.RecordSurvey(e, t.a.From.ID, sv.Score, sv.Comment, "", t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, answer{card: cards.Message("Thank you", fmt.Sprintf("Your answer (%d) was recorded. You may answer again: your latest answer counts.", sv.Score))}), nil
}
