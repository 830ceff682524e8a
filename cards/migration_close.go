package cards

import (
	"fmt"
	"strconv"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the close-out and survey cards. Stored in cards: never rename
// one.
const (
	VerbClose        = "close"        // the close-out checklist card
	VerbCloseCheck   = "closeCheck"   // check data.task, a close-out item
	VerbCloseWaive   = "closeWaive"   // waive data.task with its reason input
	VerbCloseOut     = "closeOut"     // close the engagement
	VerbSurveySend   = "surveySend"   // post the survey card to the customer
	VerbSurveySubmit = "surveySubmit" // a customer's answer
)

// Input ids of the close-out and survey cards.
const (
	SurveyScoreInput   = "score"
	SurveyCommentInput = "comment"
	CloseReasonInput   = "closeReason"
)

// CloseWaiveInput is the id of the waiver reason field of close-out item key.
func CloseWaiveInput(key string) string { return "waive-" + key }

// CloseView is what the close-out card shows, for one viewer.
type CloseView struct {
	Notice   string
	CanCheck bool // the viewer may check and waive items and send the survey
	CanClose bool // the viewer may close the engagement
}

// Close is the close-out checklist (task 2323): each item done, waived or
// open with what is missing; Check and Waive (with a reason) per open item,
// Send the survey, and Close once every item is settled.
func Close(e *playbook.Engagement, v CloseView) *Card {
	body := []Element{Title(customer(e) + ": close-out")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, false))
	}
	if e.IsClosed() {
		body = append(body, Notice("Closed on "+e.Closed.Format(day)+" by "+memberName(e, e.ClosedBy)+". The engagement is read-only now.", false))
	}
	items := playbook.CloseChecklist(e)
	settled := 0
	for _, c := range items {
		state := "open: " + c.Detail
		switch {
		case c.Check != nil && c.Check.Status == playbook.CloseWaived:
			state = "waived by " + truncate(memberName(e, c.Check.By), 40) + ": " + markdown.Escape(truncate(c.Check.Reason, 200))
		case c.Check != nil && c.Done:
			state = "checked by " + truncate(memberName(e, c.Check.By), 40) + " on " + c.Check.At.Format(day)
		case c.Done:
			state = "done"
		}
		if c.Settled() {
			settled++
		}
		mark := "☐"
		if c.Settled() {
			mark = "☑"
		}
		body = append(body, Element{{"type", "TextBlock"}, {"text", mark + " **" + c.Title + "**"}, {"wrap", true}, {"spacing", "Medium"}}, Subtle(state))
		if c.Settled() || !v.CanCheck || e.IsClosed() {
			continue
		}
		d := ActionData{Engagement: e.ID, Version: e.Version, Task: c.Key}
		var bs []Element
		if !c.Auto && c.Waits == "" {
			bs = append(bs, quiet(Button("Check", VerbCloseCheck, d)))
		}
		if c.Key == playbook.CloseSurvey {
			bs = append(bs, quiet(Button("Send the survey", VerbSurveySend, ActionData{Engagement: e.ID})))
		}
		bs = append(bs, showCard("Waive", TextInput(CloseWaiveInput(c.Key), InputOpts{Label: "Why this item is set aside", Required: true}, true, playbook.MaxReasonLen),
			Button("Waive", VerbCloseWaive, d)))
		body = append(body, Actions(bs...))
	}
	body = append(body, Text(fmt.Sprintf("%d of %d items settled.", settled, len(items))))
	if !v.CanCheck && !v.CanClose && !e.IsClosed() {
		body = append(body, Subtle("You can follow the close-out here. "+names(playbook.WhoMay(e, playbook.ActionCloseCheck))+
			" check or waive its items and send the survey; "+names(playbook.WhoMay(e, playbook.ActionClose))+" closes the engagement once every item is settled."))
	}
	if nps := playbook.NPS(e); nps.Responses > 0 {
		body = append(body, Subtle(fmt.Sprintf("Survey: NPS %d from %s.", nps.Score, Plural(nps.Responses, "response"))))
	}
	c := New(body...)
	c.Actions = []Element{quiet(Button("Refresh", VerbClose, ActionData{Engagement: e.ID}))}
	if v.CanClose && !e.IsClosed() && settled == len(items) {
		c.Actions = append(c.Actions, showCard("Close the engagement", TextInput(CloseReasonInput, InputOpts{Label: "Reason (needed while tasks are still open)"}, true, playbook.MaxReasonLen),
			Button("Close", VerbCloseOut, ActionData{Engagement: e.ID, Version: e.Version})))
	}
	return c
}

// Survey is the satisfaction survey: how likely the customer is to
// recommend the migration service, 0 to 10, and a comment.
func Survey(e *playbook.Engagement) *Card {
	choices := make([]Choice, 11)
	for i := range choices {
		s := strconv.Itoa(10 - i)
		choices[i] = Choice{s, s}
	}
	choices[0].Title, choices[10].Title = "10 (extremely likely)", "0 (not at all likely)"
	body := Body(
		One(Title("How did the migration go?")),
		One(Text("The "+customer(e)+" migration is finishing. How likely are you to recommend the migration service to a colleague?")),
		ChoiceInput(SurveyScoreInput, InputOpts{Label: "0 to 10", Required: true}, choices, false),
		TextInput(SurveyCommentInput, InputOpts{Label: "What should we keep or change? (optional)"}, true, playbook.MaxReasonLen),
	)
	c := New(body...)
	c.Actions = []Element{Button("Send", VerbSurveySubmit, ActionData{Engagement: e.ID})}
	return c
}
