package cards

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the questionnaire cards' buttons. Cards already sent carry them:
// never rename one.
const (
	VerbQuestionnaire       = "questionnaire"       // open the card at data.section, else the first section
	VerbQuestionnaireNext   = "questionnaireNext"   // keep this section's inputs as the draft, show the next section
	VerbQuestionnaireBack   = "questionnaireBack"   // the same, previous section
	VerbQuestionnaireGoto   = "questionnaireGoto"   // the same, section data.to (from the error summary)
	VerbQuestionnaireSave   = "questionnaireSave"   // keep this section's inputs as the draft, stay
	VerbQuestionnaireSubmit = "questionnaireSubmit" // draft plus this section's inputs, validated, as a new version
	VerbQuestionnaireShow   = "questionnaireShow"   // the latest version, read-only
	VerbQuestionnaireDiff   = "questionnaireDiff"   // what changed between the last two versions

	// The review of a submitted version (task 1672): data.engagement and
	// data.n, the questionnaire version reviewed; Request changes also
	// sends the ReviewCommentInput.
	VerbQuestionnaireValidate = "questionnaireValidate"
	VerbQuestionnaireChanges  = "questionnaireChanges"
)

// ReviewCommentInput is the id of the change request's comment field.
const ReviewCommentInput = "comment"

// QuestionnaireOpts are what a questionnaire card needs besides the
// engagement and the answers.
type QuestionnaireOpts struct {
	// Version is the engagement's version the card is built from; buttons
	// carry it, so a click on an older card is detected.
	Version int
	// Notice is a line at the top saying what just happened ("Draft
	// saved."); empty for none.
	Notice string
	// Problem is a line at the top, in the attention colour, saying why
	// nothing was kept or what the reviewer asked for; empty for none.
	Problem string
	// Base is the number of the latest submitted version when the card is
	// built (0: none yet). Buttons carry it as data.base, so a click on a
	// card made before a later version was submitted is detected.
	Base int
}

// QuestionnaireCard is one section of e's questionnaire as a form: every
// field of the section, showing answers (the values the person typed, or
// the draft), each wrong one followed by its message from errs, and a
// summary at the top when errs is not empty (naming the other sections with
// errors, with a button to each). Back and Next move between sections,
// Save draft keeps the values unvalidated, Submit validates everything. An
// unknown section shows the first.
//
// Inputs are not marked isRequired, and numbers carry no min or max:
// Teams checks those before sending, which would stop Save draft and Back
// on an unfinished page. The playbook validates on submit instead; a field
// is required unless its label ends in "(optional)".
func QuestionnaireCard(e *playbook.Engagement, section string, answers playbook.Answers, errs playbook.FieldErrors, o QuestionnaireOpts) *Card {
	sections := playbook.Sections(e)
	idx := 0
	for i, s := range sections {
		if s.ID == section {
			idx = i
		}
	}
	sec := sections[idx]
	body := []Element{
		Title("Migration questionnaire — " + customer(e)),
		Subtle(fmt.Sprintf("Section %d of %d. %s", idx+1, len(sections), draftLine(e))),
	}
	if o.Notice != "" {
		body = append(body, Element{{"type", "TextBlock"}, {"text", o.Notice}, {"wrap", true}, {"weight", "Bolder"}, {"color", "Good"}})
	}
	if o.Problem != "" {
		body = append(body, Notice(o.Problem, true))
	}
	data := func(extra ...string) map[string]any {
		d := map[string]any{"engagement": e.ID, "section": sec.ID, "base": o.Base}
		if o.Version != 0 {
			d["version"] = o.Version
		}
		for i := 0; i+1 < len(extra); i += 2 {
			d[extra[i]] = extra[i+1]
		}
		return d
	}
	if len(errs) > 0 {
		body = append(body, errorSummary(e, sections, sec, errs, data)...)
	}
	body = append(body, sectionHeading(sec.Title), Subtle(sec.Intro))
	for _, f := range playbook.SectionFields(e, sec.ID) {
		body = append(body, fieldInput(f, answers[f.ID], errs[f.ID])...)
	}
	c := New(body...)
	if idx > 0 {
		c.Actions = append(c.Actions, Execute("Back", VerbQuestionnaireBack, data()))
	}
	if idx < len(sections)-1 {
		c.Actions = append(c.Actions, Execute("Next", VerbQuestionnaireNext, data()))
	}
	c.Actions = append(c.Actions,
		Execute("Save draft", VerbQuestionnaireSave, data()),
		Execute("Submit", VerbQuestionnaireSubmit, data()))
	c.Actions[len(c.Actions)-1].Set("style", "positive")
	return c
}

func draftLine(e *playbook.Engagement) string {
	var s []string
	if d := e.QuestionnaireDraft; d != nil {
		s = append(s, fmt.Sprintf("Draft saved by %s on %s.", personName(e, d.By), d.At.UTC().Format(dayTime)))
	}
	if v, ok := playbook.LatestQuestionnaire(e); ok {
		s = append(s, fmt.Sprintf("Last submitted: v%d by %s on %s.", v.N, personName(e, v.By), v.At.UTC().Format(dayTime)))
	} else {
		s = append(s, "Not submitted yet.")
	}
	return strings.Join(s, " ")
}

// errorSummary is the attention block at the top of a refused form.
func errorSummary(e *playbook.Engagement, sections []playbook.Section, sec playbook.Section, errs playbook.FieldErrors, data func(...string) map[string]any) []Element {
	here, elsewhere := 0, map[string]int{}
	for id := range errs {
		if id == playbook.FormError {
			continue
		}
		f, ok := playbook.FieldByID(id)
		switch {
		case !ok:
		case f.Section == sec.ID:
			here++
		default:
			elsewhere[f.Section]++
		}
	}
	n := here
	for _, k := range elsewhere {
		n += k
	}
	var lines []string
	switch n {
	case 0:
	case 1:
		lines = append(lines, "1 answer needs attention.")
	default:
		lines = append(lines, fmt.Sprintf("%d answers need attention.", n))
	}
	if here > 0 && len(elsewhere) > 0 {
		lines = append(lines, fmt.Sprintf("%d on this page, marked below.", here))
	}
	var buttons []Element
	var others []string
	for _, s := range sections {
		if k := elsewhere[s.ID]; k > 0 {
			others = append(others, fmt.Sprintf("%s (%d)", s.Title, k))
			if len(buttons) < 5 {
				buttons = append(buttons, Execute("Go to "+s.Title, VerbQuestionnaireGoto, data("to", s.ID)))
			}
		}
	}
	if len(others) > 0 {
		lines = append(lines, "Also in: "+strings.Join(others, ", ")+".")
	}
	if m := errs[playbook.FormError]; m != "" {
		lines = append(lines, m)
	}
	out := []Element{{{"type", "TextBlock"}, {"text", strings.Join(lines, " ")}, {"wrap", true}, {"weight", "Bolder"}, {"color", "Attention"}}}
	if len(buttons) > 0 {
		out = append(out, Actions(buttons...))
	}
	return out
}

func sectionHeading(text string) Element {
	return Element{{"type", "TextBlock"}, {"text", text}, {"wrap", true}, {"weight", "Bolder"}, {"size", "Medium"}, {"spacing", "Medium"}}
}

// fieldInput is one field as card elements: the input, its error, its help.
func fieldInput(f playbook.Field, value, msg string) []Element {
	label := f.Label
	if !f.Required && f.Type != playbook.TypeBool {
		label += " (optional)"
	}
	o := InputOpts{Label: label, Placeholder: f.Placeholder, Value: value, Error: msg}
	var els []Element
	switch f.Type {
	case playbook.TypeText, playbook.TypeDomain, playbook.TypeDates:
		els = TextInput(f.ID, o, false, f.MaxLength())
	case playbook.TypeLongText:
		els = TextInput(f.ID, o, true, f.MaxLength())
	case playbook.TypeEmail:
		els = TextInput(f.ID, o, false, f.MaxLength())
		els[0].Set("style", "Email")
	case playbook.TypePhone:
		els = TextInput(f.ID, o, false, f.MaxLength())
		els[0].Set("style", "Tel")
	case playbook.TypeNumber, playbook.TypeInteger:
		if value != "" && !finite(value) {
			// Input.Number cannot show what is not a number: say it in
			// the message instead, so nothing typed is lost from view.
			o.Value = ""
			o.Error = withTyped(o.Error, value)
		}
		els = NumberInput(f.ID, o, nil, nil)
	case playbook.TypeDate:
		if _, err := time.Parse("2006-01-02", value); value != "" && err != nil {
			o.Value = ""
			o.Error = withTyped(o.Error, value)
		}
		els = DateInput(f.ID, o)
	case playbook.TypeChoice, playbook.TypeMultiChoice:
		cs := make([]Choice, len(f.Options))
		for i, x := range f.Options {
			cs[i] = Choice{Title: x.Title, Value: x.Value}
		}
		els = ChoiceInput(f.ID, o, cs, f.Type == playbook.TypeMultiChoice)
	case playbook.TypeBool:
		o.Label = ""
		els = ToggleInput(f.ID, o, f.Label)
	case playbook.TypeTimeZone:
		zs := playbook.TimeZones()
		cs := make([]Choice, len(zs))
		for i, z := range zs {
			cs[i] = Choice{Title: strings.ReplaceAll(z, "_", " "), Value: z}
		}
		// A compact drop-down: the 1.5 schema has no "filtered" style.
		els = ChoiceInput(f.ID, o, cs, false)
	default:
		els = TextInput(f.ID, o, false, f.MaxLength())
	}
	if f.Help != "" {
		els = append(els, Element{{"type", "TextBlock"}, {"text", f.Help}, {"wrap", true}, {"isSubtle", true}, {"size", "Small"}, {"spacing", "None"}})
	}
	return els
}

// finite reports whether s is a number Input.Number can show (and JSON can
// carry: not NaN, not infinite).
func finite(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

func withTyped(msg, typed string) string {
	t := fmt.Sprintf("You typed “%s”.", markdown.Escape(truncateText(typed, 80)))
	if msg == "" {
		return t
	}
	return msg + " " + t
}

// QuestionnaireView is version v of e's questionnaire, read-only: each
// section's answers as facts, long answers shortened (the export has them
// whole). Buttons: edit, and what changed when there is an earlier version.
func QuestionnaireView(e *playbook.Engagement, v playbook.QuestionnaireVersion, version int) *Card {
	body := []Element{
		Title(fmt.Sprintf("Migration questionnaire v%d — %s", v.N, customer(e))),
		Subtle(fmt.Sprintf("Submitted by %s on %s. %d answers; versions: %d.", personName(e, v.By), v.At.UTC().Format(dayTime), len(v.Answers), len(e.Questionnaire))),
	}
	shown := map[string]bool{}
	for _, s := range playbook.Sections(e) {
		var facts []Fact
		for _, f := range playbook.SectionFields(e, s.ID) {
			if a, ok := v.Answers[f.ID]; ok {
				facts = append(facts, Fact{Title: f.Label, Value: markdown.Escape(truncateText(f.Display(a), viewMax(f)))})
				shown[f.ID] = true
			}
		}
		if len(facts) > 0 {
			body = append(body, sectionHeading(s.Title), Facts(facts...))
		}
	}
	// Answers of sources the engagement no longer has were submitted all
	// the same: show them apart.
	var rest []Fact
	for _, c := range playbook.Diff(nil, v.Answers) {
		if !shown[c.Field] {
			f, _ := playbook.FieldByID(c.Field)
			rest = append(rest, Fact{Title: c.Label, Value: markdown.Escape(truncateText(f.Display(c.To), 300))})
		}
	}
	if len(rest) > 0 {
		body = append(body, sectionHeading("No longer asked (sources or Exchange changed)"), Facts(rest...))
	}
	c := New(body...)
	d := map[string]any{"engagement": e.ID}
	if version != 0 {
		d["version"] = version
	}
	c.Actions = []Element{Execute("Edit", VerbQuestionnaire, d)}
	if v.N > 1 {
		c.Actions = append(c.Actions, Execute(fmt.Sprintf("Changes from v%d", v.N-1), VerbQuestionnaireDiff, d))
	}
	return c
}

func viewMax(f playbook.Field) int {
	if f.Type == playbook.TypeLongText {
		return 500
	}
	return 300
}

// QuestionnaireDiff says what changed from version a to version b of e's
// questionnaire, one fact per changed answer: "old → new".
func QuestionnaireDiff(e *playbook.Engagement, a, b playbook.QuestionnaireVersion) *Card {
	changes := playbook.Diff(a.Answers, b.Answers)
	body := []Element{
		Title(fmt.Sprintf("Questionnaire v%d → v%d — %s", a.N, b.N, customer(e))),
		Subtle(fmt.Sprintf("v%d by %s on %s; v%d by %s on %s.",
			a.N, personName(e, a.By), a.At.UTC().Format(dayTime), b.N, personName(e, b.By), b.At.UTC().Format(dayTime))),
	}
	if len(changes) == 0 {
		body = append(body, Text("No answer changed."))
	} else {
		facts := make([]Fact, len(changes))
		for i, c := range changes {
			f, _ := playbook.FieldByID(c.Field)
			facts[i] = Fact{Title: c.Label, Value: shownValue(f, c.From, 200) + " → " + shownValue(f, c.To, 200)}
		}
		body = append(body, Text(fmt.Sprintf("%d answers changed:", len(changes))), Facts(facts...))
	}
	return New(body...)
}

// shownValue is an answer in a diff, escaped and cut to n characters;
// "(empty)" when there is none.
func shownValue(f playbook.Field, v string, n int) string {
	if v == "" {
		return "(empty)"
	}
	return markdown.Escape(truncateText(f.Display(v), n))
}

// QuestionnaireAction is what a questionnaire button carries, besides the
// card's inputs.
type QuestionnaireAction struct {
	Engagement string
	Version    int    // the engagement's version the card was built from; 0 if absent
	Section    string // the section the card showed
	To         string // the section to go to (VerbQuestionnaireGoto)
	// Base is the latest version's number when the card was built (see
	// QuestionnaireOpts.Base); 0 when there was none, or the card did not
	// say.
	Base int
}

// maxSubmitKeys bounds the keys of one submission: a section has a dozen
// inputs.
const maxSubmitKeys = 200

// DecodeQuestionnaire reads a questionnaire button's data: the action fields
// (engagement, version, base, section, to) and the card's inputs as answers.
// Inputs arrive as strings; numbers and booleans (which some clients send)
// are turned into their text. Returns EINVALID, with a message a person can
// read, for data that is not an object, action fields of the wrong type, an
// input that is an object, array or null, or more than 200 keys. The answers
// are not validated here: playbook.SaveDraft and playbook.SubmitQuestionnaire
// do that, unknown fields and sizes included.
func DecodeQuestionnaire(raw json.RawMessage) (QuestionnaireAction, playbook.Answers, error) {
	var m map[string]any
	if len(raw) == 0 || string(raw) == "null" {
		return QuestionnaireAction{}, playbook.Answers{}, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return QuestionnaireAction{}, nil, badData()
	}
	if len(m) > maxSubmitKeys {
		return QuestionnaireAction{}, nil, playbook.Errorf(playbook.EINVALID, "This card sent %d values; a questionnaire page has far fewer, so nothing was kept.", len(m))
	}
	var a QuestionnaireAction
	answers := playbook.Answers{}
	for k, v := range m {
		switch k {
		case "verb", "task":
			// cards.ActionData's fields: not the questionnaire's.
		case "engagement", "section", "to":
			s, ok := v.(string)
			if !ok && v != nil {
				return QuestionnaireAction{}, nil, badData()
			}
			switch k {
			case "engagement":
				a.Engagement = strings.TrimSpace(s)
			case "section":
				a.Section = strings.TrimSpace(s)
			case "to":
				a.To = strings.TrimSpace(s)
			}
		case "version", "base":
			f, ok := v.(float64)
			if v != nil && (!ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32) {
				return QuestionnaireAction{}, nil, badData()
			}
			if k == "version" {
				a.Version = int(f)
			} else {
				a.Base = int(f)
			}
		default:
			switch x := v.(type) {
			case string:
				answers[k] = x
			case float64:
				answers[k] = strconv.FormatFloat(x, 'f', -1, 64)
			case bool:
				answers[k] = strconv.FormatBool(x)
			default:
				name := k
				if f, ok := playbook.FieldByID(k); ok {
					name = f.Label
				} else {
					name = truncateText(name, 40)
				}
				return QuestionnaireAction{}, nil, playbook.Errorf(playbook.EINVALID, "The answer to %q is not text, so nothing was kept. Type **questionnaire** for a fresh card.", name)
			}
		}
	}
	return a, answers, nil
}

func badData() error {
	return playbook.Errorf(playbook.EINVALID, "This card's data is malformed, so nothing was kept. Type **questionnaire** for a fresh card.")
}

// personName is how the questionnaire cards name a member.
func personName(e *playbook.Engagement, id string) string { return memberName(e, id) }

// truncateText shortens s to n characters with an ellipsis.
func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// dayTime is how the questionnaire cards show a moment.
const dayTime = "2 Jan 2006 15:04 UTC"

// maxReviewChanges bounds the changes a review card lists; the diff card
// (Changes from vN) has them all.
const maxReviewChanges = 10

// QuestionnaireReviewCard tells the reviewers (the MVM, or the MST where no
// source has an MVM) that version v of e's questionnaire was submitted:
// who and when, how many answers, what changed from prev (nil for v1), and
// where the review stands (r). While r is pending and open is true, it
// offers Validate and Request changes… (a comment for the customer);
// otherwise it says what was decided. Show answers opens the version.
func QuestionnaireReviewCard(e *playbook.Engagement, v playbook.QuestionnaireVersion, prev *playbook.QuestionnaireVersion, r playbook.QuestionnaireReview, notice string) *Card {
	body := []Element{
		Title(fmt.Sprintf("Questionnaire v%d submitted — %s", v.N, customer(e))),
		Subtle(fmt.Sprintf("By %s on %s; %d answers.", personName(e, v.By), v.At.UTC().Format(dayTime), len(v.Answers))),
	}
	if notice != "" {
		body = append(body, Notice(notice, false))
	}
	if prev != nil {
		changes := playbook.Diff(prev.Answers, v.Answers)
		switch len(changes) {
		case 0:
			body = append(body, Text(fmt.Sprintf("No answer changed from v%d.", prev.N)))
		default:
			body = append(body, Text(fmt.Sprintf("%d changes from v%d:", len(changes), prev.N)))
			var facts []Fact
			for i, c := range changes {
				if i == maxReviewChanges {
					facts = append(facts, Fact{Title: "…", Value: fmt.Sprintf("and %d more: see Changes from v%d", len(changes)-i, prev.N)})
					break
				}
				f, _ := playbook.FieldByID(c.Field)
				facts = append(facts, Fact{Title: c.Label, Value: shownValue(f, c.From, 120) + " → " + shownValue(f, c.To, 120)})
			}
			body = append(body, Facts(facts...))
		}
	}
	d := map[string]any{"engagement": e.ID, "n": v.N}
	actions := []Element{Execute("Show answers", VerbQuestionnaireShow, map[string]any{"engagement": e.ID})}
	if prev != nil {
		actions = append(actions, Execute(fmt.Sprintf("Changes from v%d", prev.N), VerbQuestionnaireDiff, map[string]any{"engagement": e.ID}))
	}
	switch {
	case r.Version != v.N:
		body = append(body, Subtle(fmt.Sprintf("A later version was submitted since: type **questionnaire show** for v%d.", r.Version)))
	case r.Status == playbook.ReviewValidated:
		body = append(body, Notice(fmt.Sprintf("Validated by %s on %s.", personName(e, r.By), r.At.UTC().Format(dayTime)), false))
	case r.Status == playbook.ReviewChangesRequested:
		body = append(body, Notice(fmt.Sprintf("%s asked for changes on %s:", personName(e, r.By), r.At.UTC().Format(dayTime)), true),
			Text(markdown.Escape(truncateText(r.Comment, 1000))))
	default:
		body = append(body, Text(reviewerLine(e)))
		waits := playbook.ValidationWaitsFor(e)
		if len(waits) > 0 {
			refs := make([]string, len(waits))
			for i, w := range waits {
				refs[i] = w.Ref()
			}
			body = append(body, Notice("Validation waits for "+strings.Join(refs, ", ")+": **Validate** appears once they are done. Changes can be requested now.", true))
		}
		ask := Element{
			{"type", "AdaptiveCard"},
			{"body", []Element{{
				{"type", "Input.Text"}, {"id", ReviewCommentInput}, {"label", "What should the customer change?"}, {"isMultiline", true},
				{"isRequired", true}, {"errorMessage", "Say what should change."}, {"maxLength", playbook.MaxReviewComment},
			}}},
			{"actions", []Element{Execute("Send to the customer", VerbQuestionnaireChanges, d)}},
		}
		review := []Element{{{"type", "Action.ShowCard"}, {"title", "Request changes…"}, {"card", ask}}}
		if len(waits) == 0 {
			validate := Execute("Validate", VerbQuestionnaireValidate, d)
			validate.Set("style", "positive")
			validate.Set("associatedInputs", "none")
			review = append([]Element{validate}, review...)
		}
		actions = append(review, actions...)
	}
	c := New(body...)
	c.Actions = actions
	return c
}

// reviewerLine names who reviews: the manager (playbook.Manager), the MVM
// where one is engaged, else the MST.
func reviewerLine(e *playbook.Engagement) string {
	role := playbook.Manager(e)
	return fmt.Sprintf("For review by the %s (%s): **Validate** marks 1672 done; **Request changes** sends your comment to the customer and reopens 1034.", role, names(e.Holders(role)))
}
