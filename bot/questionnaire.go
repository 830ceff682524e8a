package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// questionnaireCommands are the commands of this file (see Command).
var questionnaireCommands = []Command{
	{Name: "questionnaire", Usage: "questionnaire [show|diff|export]", Scopes: allScopes,
		Description: "Fill in the migration questionnaire (1034), or show, compare or export the latest version",
		Help: "**questionnaire** opens the form at the saved draft or the latest version: Next and Back move between sections, Save draft keeps your values unchecked, Submit checks everything and makes a new version. " +
			"The customer fills it in, the MST helps; the MVM (the MST without IMAP) validates it or asks for changes (1672). " +
			"**questionnaire show** is the latest version, **questionnaire diff** what changed from the one before, **questionnaire export** the answers as JSON and CSV. " +
			"Never put passwords or keys in it: they go through the secure credential process (3614).",
		Rank: 30,
		Run:  (*turn).questionnaireCommand},
}

// questionnaireButtons are the buttons of this file's cards (see Button).
var questionnaireButtons = []Button{
	{Verbs: []string{cards.VerbQuestionnaire, cards.VerbQuestionnaireNext, cards.VerbQuestionnaireBack, cards.VerbQuestionnaireGoto,
		cards.VerbQuestionnaireSave, cards.VerbQuestionnaireSubmit, cards.VerbQuestionnaireShow, cards.VerbQuestionnaireDiff},
		Run: func(t *turn, verb string, _ cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.questionnaireAction(verb, raw)
		}},
	{Verbs: []string{cards.VerbQuestionnaireValidate, cards.VerbQuestionnaireChanges},
		Run: func(t *turn, verb string, _ cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.questionnaireReview(verb, raw)
		}},
}

// The migration questionnaire (task 1034) in the conversation: the
// questionnaire command and its show, diff and export forms; the form's
// buttons (sections, drafts, submit); and the review of a submitted version
// (task 1672). The rules are playbook's (SaveDraft, SubmitQuestionnaire,
// AcceptQuestionnaire, RequestQuestionnaireChanges); this file decides
// which card answers and what is posted to the conversation.

// questionnaireForm are the verbs whose inputs are questionnaire answers,
// scanned field by field.
var questionnaireForm = map[string]bool{
	cards.VerbQuestionnaireNext: true, cards.VerbQuestionnaireBack: true, cards.VerbQuestionnaireGoto: true,
	cards.VerbQuestionnaireSave: true, cards.VerbQuestionnaireSubmit: true,
}

// maxExportBlock bounds each code block of questionnaire export, so that a
// message stays under Teams' limit of about 28 KB.
const maxExportBlock = 20 << 10

// questionnaireCommand answers "questionnaire [show|diff|export]".
func (t *turn) questionnaireCommand(args string) (answer, error) {
	sub, _ := splitCommand(args)
	switch sub {
	case "", "fill", "edit", "open":
		return t.questionnaireAction(cards.VerbQuestionnaire, nil)
	case "show":
		return t.questionnaireAction(cards.VerbQuestionnaireShow, nil)
	case "diff", "changes":
		return t.questionnaireAction(cards.VerbQuestionnaireDiff, nil)
	case "export":
		return t.questionnaireExport()
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "**questionnaire** opens the form; **questionnaire show**, **questionnaire diff** and **questionnaire export** show the latest version, what changed, and the answers as JSON and CSV.")
}

// questionnaireTaskOf is task 1034.
func questionnaireTaskOf() playbook.Task {
	task, _ := playbook.TaskByKey("questionnaire")
	return task
}

// canFill reports whether the person may open, save and submit the form:
// those who may mark 1034 done.
func (t *turn) canFill(e *playbook.Engagement) error {
	task := questionnaireTaskOf()
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionMarkDone, &task); err != nil {
		if _, member := e.Member(t.a.From.ID); member {
			return playbook.Errorf(playbook.EFORBIDDEN, "%s **questionnaire show** shows the latest version.", playbook.ErrorMessage(err))
		}
		return err
	}
	return nil
}

// member refuses people outside the engagement: the questionnaire holds
// the customer's contacts.
func (t *turn) member(e *playbook.Engagement) error {
	if _, ok := e.Member(t.a.From.ID); !ok {
		return playbook.Errorf(playbook.EFORBIDDEN, "Only the members of the %s engagement can see its questionnaire. The lead adds people with **role @person ROLE**.", markdown.Escape(e.Customer))
	}
	return nil
}

func latestN(e *playbook.Engagement) int { return len(e.Questionnaire) }

// atOnce is how close two submissions must be to count as made at the
// same moment. A card made before version n is stale only when n was
// submitted longer ago than this: people who press Submit on the same
// card within seconds of each other (Teams delivers their clicks in any
// order) all get their version, v1, v2, … in the order they land.
const atOnce = 10 * time.Second

// staleBy returns the first version after base that was submitted more
// than atOnce before now, and false when the card of base is current.
func staleBy(e *playbook.Engagement, base int, now time.Time) (playbook.QuestionnaireVersion, bool) {
	for n := base + 1; n <= latestN(e); n++ {
		v, err := playbook.QuestionnaireVersionN(e, n)
		if err == nil && v.At.Before(now.Add(-atOnce)) {
			return v, true
		}
	}
	return playbook.QuestionnaireVersion{}, false
}

// requestLine is the reviewer's pending change request, for the top of the
// form; empty when there is none.
func requestLine(e *playbook.Engagement) string {
	r, ok := playbook.ReviewOf(e)
	if !ok || r.Status != playbook.ReviewChangesRequested {
		return ""
	}
	return fmt.Sprintf("%s asked for changes to v%d: “%s”", memberName(e, r.By), r.Version, markdown.Escape(truncate(r.Comment, 600)))
}

func memberName(e *playbook.Engagement, id string) string {
	if m, ok := e.Member(id); ok && m.Name != "" {
		return markdown.Escape(m.Name)
	}
	return markdown.Escape(id)
}

// form is the questionnaire card of e at section.
func (t *turn) form(e *playbook.Engagement, section string, answers playbook.Answers, errs playbook.FieldErrors, notice, problem string) *cards.Card {
	if problem == "" && len(errs) == 0 {
		problem = requestLine(e)
	}
	return cards.QuestionnaireCard(e, section, answers, errs, cards.QuestionnaireOpts{
		Version: e.Version, Base: latestN(e), Notice: notice, Problem: problem,
	})
}

// shown is what a refused page shows: the answers with the page's inputs,
// each cut to its cap, without unknown fields and credentials (what a draft
// would keep), while e stays as it is.
func (t *turn) shown(e *playbook.Engagement, answers playbook.Answers) playbook.Answers {
	c := e.Clone()
	if _, err := playbook.SaveDraft(c, t.a.From.ID, answers, t.now, findSecret); err != nil || c.QuestionnaireDraft == nil {
		return playbook.WorkingAnswers(e)
	}
	return c.QuestionnaireDraft.Answers
}

// DraftStore keeps the questionnaire drafts apart from the engagement
// records (store.DB and pgstore.DB). Next, Back, Go to and Save draft save
// a draft on every click; written into the engagement, each would move its
// version and make every other open card of the engagement stale.
type DraftStore interface {
	// QuestionnaireDraft returns the draft kept for the engagement, nil
	// when none (whether it is current is playbook.DraftFor's to say).
	QuestionnaireDraft(ctx context.Context, engagementID string) (*playbook.QuestionnaireDraft, error)
	// PutQuestionnaireDraft keeps d when d.Rev is one more than the kept
	// draft's (1 for the first); ECONFLICT otherwise.
	PutQuestionnaireDraft(ctx context.Context, engagementID string, d playbook.QuestionnaireDraft) error
}

// errDraftMoved is a draft saved by someone else between this turn's read
// and its save: the page is done again on the new draft.
var errDraftMoved = errors.New("questionnaire draft moved")

// draftTries bounds how often a page is redone when the draft moves.
const draftTries = 3

// withDraft puts the draft kept apart from e into e (in memory only: e is
// saved only by a submission, which clears it) when it is current, and
// returns the kept draft's revision, which the next save builds on.
func (t *turn) withDraft(e *playbook.Engagement) (int, error) {
	if t.c.Drafts == nil {
		return 0, nil
	}
	d, err := t.c.Drafts.QuestionnaireDraft(t.ctx, e.ID)
	if err != nil || d == nil {
		return 0, err
	}
	if cur := playbook.DraftFor(e, d); cur != nil {
		e.QuestionnaireDraft = cur
	}
	return d.Rev, nil
}

// questionnaireAction runs the questionnaire's buttons (and the commands
// that open, show and compare it).
func (t *turn) questionnaireAction(verb string, raw json.RawMessage) (answer, error) {
	for range draftTries {
		ans, err := t.questionnairePage(verb, raw)
		if !errors.Is(err, errDraftMoved) {
			return ans, err
		}
	}
	return answer{}, playbook.Errorf(playbook.ECONFLICT, "Someone else is saving the questionnaire draft right now, so this page was not saved. Click again.")
}

func (t *turn) questionnairePage(verb string, raw json.RawMessage) (answer, error) {
	qa, inputs, err := cards.DecodeQuestionnaire(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(cards.ActionData{Engagement: qa.Engagement})
	if err != nil {
		return answer{}, err
	}
	rev, err := t.withDraft(e)
	if err != nil {
		return answer{}, err
	}
	switch verb {
	case cards.VerbQuestionnaireShow, cards.VerbQuestionnaireDiff:
		return t.questionnaireView(e, verb)
	}
	if err := t.canFill(e); err != nil {
		return answer{}, err
	}
	if verb == cards.VerbQuestionnaire {
		return answer{card: t.form(e, qa.Section, playbook.WorkingAnswers(e), nil, "", "")}, nil
	}
	if e.IsClosed() {
		return answer{}, playbook.Errorf(playbook.ECONFLICT, "The %s engagement is closed; its questionnaire can no longer change.", markdown.Escape(e.Customer))
	}
	answers := playbook.WorkingAnswers(e).With(inputs)
	if qa.Base > latestN(e) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was kept. Type **questionnaire** for a fresh card.")
	}
	if v, ok := staleBy(e, qa.Base, t.now); ok {
		// The card was made before a version submitted a while ago:
		// saving its page would quietly undo that version's answers.
		// Nothing is kept; the page comes back with the person's values
		// over the latest answers, on a current card.
		return answer{card: t.form(e, qa.Section, t.shown(e, answers), nil, "", fmt.Sprintf(
			"v%d was submitted by %s on %s after this card was made, so nothing was saved. Your values on this page are shown over the latest answers: check them, then save or submit again.",
			v.N, memberName(e, v.By), v.At.UTC().Format("2 Jan 15:04")))}, nil
	}
	if verb == cards.VerbQuestionnaireSubmit {
		return t.questionnaireSubmit(e, qa.Section, answers)
	}

	// Back, Next, Go to and Save draft keep the page as the draft,
	// unvalidated.
	fe, err := playbook.SaveDraft(e, t.a.From.ID, answers, t.now, findSecret)
	if err != nil {
		if !personError(err) {
			return answer{}, err
		}
		// Too large: nothing was saved.
		return answer{card: t.form(e, qa.Section, t.shown(e, answers), fe, "", playbook.ErrorMessage(err))}, nil
	}
	section, notice := qa.Section, "Draft saved."
	here := len(fe) > 0 // values were dropped: show why, on this page
	switch {
	case here:
		notice = ""
	case verb == cards.VerbQuestionnaireNext || verb == cards.VerbQuestionnaireBack:
		step := 1
		if verb == cards.VerbQuestionnaireBack {
			step = -1
		}
		if s, ok := playbook.AdjacentSection(e, qa.Section, step); ok {
			section = s.ID
		}
		notice = ""
	case verb == cards.VerbQuestionnaireGoto:
		section, notice = qa.To, ""
	}
	problem := ""
	if here {
		problem = "Some values were not kept (see below); the rest of the page is saved as the draft."
	}
	ans := answer{card: t.form(e, section, e.QuestionnaireDraft.Answers, fe, notice, problem)}
	if t.c.Drafts == nil {
		bump(e)
		return save(e, ans), nil
	}
	// Kept apart: the engagement and its version stay as they are, so the
	// others' open cards still work.
	d := *e.QuestionnaireDraft
	d.Rev = rev + 1
	if err := t.c.Drafts.PutQuestionnaireDraft(t.ctx, e.ID, d); err != nil {
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			return answer{}, errDraftMoved
		}
		return answer{}, err
	}
	return ans, nil
}

// questionnaireSubmit validates the draft with the page's inputs. Refused:
// the page comes back with what was typed and why, and nothing changes.
// Accepted: a new version, the submitter sees it, and the reviewers get a
// card in the conversation.
func (t *turn) questionnaireSubmit(e *playbook.Engagement, section string, answers playbook.Answers) (answer, error) {
	was := e.State("questionnaire").Status
	prev, hadPrev := playbook.LatestQuestionnaire(e)
	v, fe, err := playbook.SubmitQuestionnaire(e, t.a.From.ID, answers, t.now, findSecret)
	if err != nil {
		if !personError(err) || playbook.ErrorCode(err) == playbook.EFORBIDDEN {
			return answer{}, err
		}
		problem := ""
		if len(fe) == 0 {
			problem = playbook.ErrorMessage(err) // else the card's error summary says it
		}
		return answer{card: t.form(e, section, t.shown(e, answers), fe, "", problem)}, nil
	}
	bump(e)
	notice := fmt.Sprintf("Submitted as v%d.", v.N)
	switch st := e.State("questionnaire").Status; {
	case was == playbook.StatusOpen && st == playbook.StatusDone:
		notice += " 1034 is done."
	case st == playbook.StatusOpen:
		notice += " 1034 is marked done once the tasks it waits for are: **next** shows them."
	}
	card := cards.QuestionnaireView(e, v, e.Version)
	card.Body = slices.Insert(card.Body, 1, cards.Notice(notice, false))

	var p *playbook.QuestionnaireVersion
	if hadPrev {
		p = &prev
	}
	r, _ := playbook.ReviewOf(e)
	reviewers := e.Holders(reviewerRole(e))
	post := cardReply(cards.QuestionnaireReviewCard(e, v, p, r, ""))
	post.Text, post.Entities = mentionText(reviewers, fmt.Sprintf("%s submitted the migration questionnaire v%d: please review it.", memberName(e, t.a.From.ID), v.N))
	post.TextFormat = "markdown"
	return save(e, answer{card: card, posts: []Outgoing{post}}), nil
}

// reviewerRole is who validates the questionnaire (1672): the MVM where a
// source is IMAP, else the MST.
func reviewerRole(e *playbook.Engagement) playbook.Role {
	if slices.Contains(e.Sources, playbook.IMAP) {
		return playbook.MVM
	}
	return playbook.MST
}

// questionnaireView answers show and diff.
func (t *turn) questionnaireView(e *playbook.Engagement, verb string) (answer, error) {
	if err := t.member(e); err != nil {
		return answer{}, err
	}
	v, ok := playbook.LatestQuestionnaire(e)
	if !ok {
		return answer{text: "The questionnaire has not been submitted yet. The customer (or the MST helping them) types **questionnaire** to fill it in."}, nil
	}
	if verb == cards.VerbQuestionnaireShow {
		// The reviewer gets the review buttons whenever the review is
		// pending: the card posted at submission may predate what
		// validation waited for.
		if r, _ := playbook.ReviewOf(e); r.Status == playbook.ReviewPending && playbook.Can(e, t.a.From.ID, playbook.ActionValidateQuestionnaire, nil) == nil {
			return answer{card: cards.QuestionnaireReviewCard(e, v, previous(e, v), r, "")}, nil
		}
		return answer{card: cards.QuestionnaireView(e, v, e.Version)}, nil
	}
	if v.N < 2 {
		return answer{text: "Only v1 has been submitted, so there is nothing to compare yet. **questionnaire show** shows it."}, nil
	}
	a, err := playbook.QuestionnaireVersionN(e, v.N-1)
	if err != nil {
		return answer{}, err
	}
	return answer{card: cards.QuestionnaireDiff(e, a, v)}, nil
}

// questionnaireExport posts the latest version as JSON and as CSV, each in
// a code block: Teams lets a bot send files only in personal chat and
// after a consent card, so a channel gets text to copy.
func (t *turn) questionnaireExport() (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	if err := t.member(e); err != nil {
		return answer{}, err
	}
	v, ok := playbook.LatestQuestionnaire(e)
	if !ok {
		return answer{text: "The questionnaire has not been submitted yet, so there is nothing to export."}, nil
	}
	js, err := playbook.ExportJSON(e, v)
	if err != nil {
		return answer{}, err
	}
	csv, err := playbook.ExportCSV(e, v)
	if err != nil {
		return answer{}, err
	}
	intro := fmt.Sprintf("Questionnaire v%d of %s, submitted by %s on %s. Teams lets me attach files only in our personal chat, "+
		"so here are the answers as JSON and as CSV: copy each block into a .json or .csv file. "+
		"An operator can also write them to files with `mvmbot export questionnaire --engagement %s`.",
		v.N, markdown.Escape(e.Customer), memberName(e, v.By), v.At.UTC().Format("2 Jan 2006 15:04 UTC"), e.ID)
	return answer{posts: []Outgoing{
		textReply(intro + "\n\n**JSON**\n\n" + codeBlock(string(js), "json", e.ID)),
		// Line ends as a chat shows them; a spreadsheet reads either.
		textReply("**CSV**\n\n" + codeBlock(strings.ReplaceAll(string(csv), "\r\n", "\n"), "csv", e.ID)),
	}}, nil
}

// codeBlock fences s as a Markdown code block, cut to maxExportBlock with a
// note when longer; the fence is longer than any run of backticks in s.
func codeBlock(s, lang, id string) string {
	note := ""
	if len(s) > maxExportBlock {
		cut := maxExportBlock
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut-- // not inside a UTF-8 sequence
		}
		s = s[:cut]
		note = fmt.Sprintf("\n\nCut at %d KB to fit a Teams message; `mvmbot export questionnaire --engagement %s` writes it whole.", maxExportBlock>>10, id)
	}
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + strings.TrimRight(s, "\r\n") + "\n" + fence + note
}

// reviewData is what the review card's buttons carry.
type reviewData struct {
	Engagement string
	N          int
	Comment    string
}

func decodeReview(raw json.RawMessage) (reviewData, error) {
	var d struct {
		Engagement *string `json:"engagement"`
		N          *int    `json:"n"`
		Comment    *string `json:"comment"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.Engagement == nil || d.N == nil {
		return reviewData{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was recorded. Type **questionnaire show** for the latest version.")
	}
	r := reviewData{Engagement: *d.Engagement, N: *d.N}
	if d.Comment != nil {
		r.Comment = *d.Comment
	}
	return r, nil
}

// questionnaireReview runs Validate and Request changes on the review
// card.
func (t *turn) questionnaireReview(verb string, raw json.RawMessage) (answer, error) {
	d, err := decodeReview(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(cards.ActionData{Engagement: d.Engagement})
	if err != nil {
		return answer{}, err
	}
	var post Outgoing
	var notice string
	if verb == cards.VerbQuestionnaireValidate {
		_, err = playbook.AcceptQuestionnaire(e, t.a.From.ID, d.N, t.now)
		notice = fmt.Sprintf("You validated v%d.", d.N)
		if e.State("questionnaire-validation").Status == playbook.StatusDone {
			notice += " 1672 is done."
		}
		post = textReply(fmt.Sprintf("%s validated the migration questionnaire v%d; 1672 is done. Type **next** for what comes next.", memberName(e, t.a.From.ID), d.N))
	} else {
		var reopened bool
		reopened, err = playbook.RequestQuestionnaireChanges(e, t.a.From.ID, d.N, d.Comment, t.now, findSecret)
		notice = "Your comment was sent to the customer."
		what := "Type **questionnaire** to change the answers and submit again."
		if reopened {
			what = "1034 is open again: type **questionnaire** to change the answers and submit again."
		}
		r, _ := playbook.ReviewOf(e)
		var tx string
		tx, post.Entities = mentionText(e.Holders(playbook.Customer), fmt.Sprintf("%s asked for changes to the migration questionnaire v%d: “%s”\n\n%s",
			memberName(e, t.a.From.ID), d.N, markdown.Escape(r.Comment), what))
		post.Type, post.Text, post.TextFormat = "message", tx, "markdown"
	}
	if err != nil {
		if playbook.ErrorCode(err) != playbook.ECONFLICT {
			return answer{}, err
		}
		// Stale or decided meanwhile: the card shows where the latest
		// version stands.
		v, ok := playbook.LatestQuestionnaire(e)
		if !ok {
			return answer{}, err
		}
		r, _ := playbook.ReviewOf(e)
		c := cards.QuestionnaireReviewCard(e, v, previous(e, v), r, "")
		c.Body = slices.Insert(c.Body, 1, cards.Notice(playbook.ErrorMessage(err), true))
		return answer{card: c}, nil
	}
	bump(e)
	v, _ := playbook.LatestQuestionnaire(e)
	r, _ := playbook.ReviewOf(e)
	return save(e, answer{card: cards.QuestionnaireReviewCard(e, v, previous(e, v), r, notice), posts: []Outgoing{post}}), nil
}

// previous is the version before v, or nil for v1.
func previous(e *playbook.Engagement, v playbook.QuestionnaireVersion) *playbook.QuestionnaireVersion {
	p, err := playbook.QuestionnaireVersionN(e, v.N-1)
	if err != nil {
		return nil
	}
	return &p
}
