package playbook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// ActionSubmitQuestionnaire names the history entry of a submitted
// questionnaire version. Stored: never rename it.
const ActionSubmitQuestionnaire Action = "questionnaire_submit"

// questionnaireTask is the key of task 1034, which a submitted version
// completes.
const questionnaireTask = "questionnaire"

// QuestionnaireVersion is one submitted questionnaire: immutable once made.
type QuestionnaireVersion struct {
	N       int       `json:"n"` // 1, 2, … in submission order
	Answers Answers   `json:"answers"`
	By      string    `json:"by"` // member id
	At      time.Time `json:"at"`
}

// QuestionnaireDraft is a questionnaire in progress: whatever the person has
// typed so far, capped and free of credentials, but not validated.
type QuestionnaireDraft struct {
	Answers Answers   `json:"answers"`
	By      string    `json:"by"` // who saved it last
	At      time.Time `json:"at"`
	// Base is how many versions were submitted when the draft was saved.
	// A draft kept apart from the engagement (see DraftFor) is current only
	// while Base is the number of versions: a submission supersedes it.
	Base int `json:"base,omitempty"`
	// Rev counts the saves of a draft kept apart from the engagement, so
	// that two people saving at once do not lose one another's page.
	Rev int `json:"rev,omitempty"`
}

// DraftFor returns d when it is e's current draft (saved since the last
// submitted version), else nil. A draft kept apart from the engagement
// record is not cleared by a submission, so this is how it stops counting.
func DraftFor(e *Engagement, d *QuestionnaireDraft) *QuestionnaireDraft {
	if d == nil || d.Base != len(e.Questionnaire) {
		return nil
	}
	c := *d
	c.Answers = d.Answers.Clone()
	return &c
}

func (v QuestionnaireVersion) clone() QuestionnaireVersion {
	v.Answers = v.Answers.Clone()
	return v
}

// cloneQuestionnaire gives c, a shallow copy of e, its own copy of the
// questionnaire's draft (for Engagement.Clone). The versions are shared:
// a version never changes once submitted, and a submission appends to a
// clipped slice, so neither engagement sees the other's (parts_apart.go).
func (c *Engagement) cloneQuestionnaire(e *Engagement) {
	c.Questionnaire = slices.Clip(e.Questionnaire)
	if e.QuestionnaireDraft != nil {
		d := *e.QuestionnaireDraft
		d.Answers = d.Answers.Clone()
		c.QuestionnaireDraft = &d
	}
}

// LatestQuestionnaire returns a copy of the last submitted version of e, and
// false when none has been submitted.
func LatestQuestionnaire(e *Engagement) (QuestionnaireVersion, bool) {
	if len(e.Questionnaire) == 0 {
		return QuestionnaireVersion{}, false
	}
	return e.Questionnaire[len(e.Questionnaire)-1].clone(), true
}

// QuestionnaireVersionN returns a copy of version n of e's questionnaire,
// and ENOTFOUND when there is no such version.
func QuestionnaireVersionN(e *Engagement, n int) (QuestionnaireVersion, error) {
	if n < 1 || n > len(e.Questionnaire) {
		if len(e.Questionnaire) == 0 {
			return QuestionnaireVersion{}, Errorf(ENOTFOUND, "The questionnaire has not been submitted yet.")
		}
		return QuestionnaireVersion{}, Errorf(ENOTFOUND, "There is no questionnaire v%d; the versions are v1 to v%d.", n, len(e.Questionnaire))
	}
	return e.Questionnaire[n-1].clone(), nil
}

// WorkingAnswers returns what the questionnaire card of e starts from: the
// draft when there is one, else the last version, else the fields' defaults
// and what the engagement already knows (customer, tenant domain). The map
// is the caller's.
func WorkingAnswers(e *Engagement) Answers {
	if e.QuestionnaireDraft != nil {
		a := e.QuestionnaireDraft.Answers.Clone()
		if a == nil {
			a = Answers{}
		}
		return a
	}
	if v, ok := LatestQuestionnaire(e); ok {
		return v.Answers
	}
	a := Answers{}
	for _, f := range Fields(e) {
		if f.Default != "" {
			a[f.ID] = f.Default
		}
	}
	if e.Customer != "" {
		a["customer-org"] = e.Customer
	}
	if e.TenantDomain != "" {
		a["tenant-domain"] = e.TenantDomain
	}
	return a
}

// questionnaireAllowed asks Can whether actorID may fill in e's
// questionnaire: those who may mark task 1034 done (the customer, the MST
// helping them, the lead or the MVM on the customer's behalf).
func questionnaireAllowed(e *Engagement, actorID string) error {
	t := table[byKey[questionnaireTask]]
	return Can(e, actorID, ActionMarkDone, &t)
}

// SubmitQuestionnaire validates answers (see ValidateAnswers) and, when they
// are valid, appends them to e as a new immutable version (v1, v2, …) by
// actorID at now, clears the draft, records the submission in the history,
// and marks task 1034 done through MarkDone when it is open and its needs
// are settled (otherwise 1034 stays open and NextSteps says what it waits
// for; a later version does not reopen a done 1034 nor its validation,
// 1672). So a submission appends one history entry, or two when it also
// completes 1034.
//
// Returns ECONFLICT when e is closed; EINVALID with the FieldErrors when an
// answer is wrong (e unchanged: the caller keeps the answers, in a draft or
// a card); EFORBIDDEN for those who may not mark 1034 done (see Can);
// ECONFLICT when nothing changed since the last version (no empty version
// is made).
func SubmitQuestionnaire(e *Engagement, actorID string, answers Answers, now time.Time, find SecretFinder) (QuestionnaireVersion, FieldErrors, error) {
	if err := e.checkOpen(); err != nil {
		return QuestionnaireVersion{}, nil, err
	}
	clean, fe := ValidateAnswers(e, answers, now, find)
	if len(fe) > 0 {
		n := len(fe)
		if _, ok := fe[FormError]; ok {
			n--
		}
		msg := "The submission was refused; nothing was submitted."
		switch n {
		case 0:
		case 1:
			msg = "1 answer needs attention; nothing was submitted."
		default:
			msg = fmt.Sprintf("%d answers need attention; nothing was submitted.", n)
		}
		return QuestionnaireVersion{}, fe, Errorf(EINVALID, "%s", msg)
	}
	if err := questionnaireAllowed(e, actorID); err != nil {
		return QuestionnaireVersion{}, nil, err
	}
	last, had := LatestQuestionnaire(e)
	if had && maps.Equal(last.Answers, clean) {
		return QuestionnaireVersion{}, nil, Errorf(ECONFLICT, "Nothing changed since v%d, so no new version was made.", last.N)
	}
	v := QuestionnaireVersion{N: len(e.Questionnaire) + 1, Answers: clean, By: actorID, At: now.UTC()}
	detail := fmt.Sprintf("v%d, %d answers", v.N, len(clean))
	if had {
		detail = fmt.Sprintf("v%d, %d changes from v%d", v.N, len(Diff(last.Answers, clean)), last.N)
	}
	// Clip: a clone sharing the backing array never sees this append.
	e.Questionnaire = append(slices.Clip(e.Questionnaire), v)
	e.QuestionnaireDraft = nil
	e.audit(now, actorID, ActionSubmitQuestionnaire, questionnaireTask, detail)
	t := table[byKey[questionnaireTask]]
	if e.State(t.Key).Status == StatusOpen && len(openNeeds(e, t)) == 0 {
		// Cannot fail: e is open, the actor may, the task is open and
		// unblocked.
		_, _ = MarkDone(e, actorID, t.Key, now)
	}
	return v.clone(), nil, nil
}

// SaveDraft keeps answers as e's questionnaire draft, by actorID at now,
// without validating them: only fields of e are kept, each cut to its cap,
// and a value find flags as a credential is dropped. The returned
// FieldErrors say what was not kept, for the card. The draft replaces the
// previous one whole: pass WorkingAnswers(e).With(the section's inputs).
// A draft is unsent work, so it adds no history entry (Next and Back save
// one on every page); the submitted versions are the record.
//
// Returns ECONFLICT when e is closed, EFORBIDDEN for those who may not fill
// in the questionnaire (see SubmitQuestionnaire), EINVALID when answers are
// over MaxSubmitBytes (nothing saved).
func SaveDraft(e *Engagement, actorID string, answers Answers, now time.Time, find SecretFinder) (FieldErrors, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := questionnaireAllowed(e, actorID); err != nil {
		return nil, err
	}
	kept, fe := sanitize(e, answers, find)
	if answers.Size() > MaxSubmitBytes {
		return fe, Errorf(EINVALID, "%s", fe[FormError])
	}
	e.QuestionnaireDraft = &QuestionnaireDraft{Answers: kept, By: actorID, At: now.UTC(), Base: len(e.Questionnaire)}
	if len(fe) == 0 {
		return nil, nil
	}
	return fe, nil
}

// DiscardDraft drops e's questionnaire draft, so the card starts again from
// the last version. Returns the errors of SaveDraft, and ENOTFOUND when
// there is no draft.
func DiscardDraft(e *Engagement, actorID string) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := questionnaireAllowed(e, actorID); err != nil {
		return err
	}
	if e.QuestionnaireDraft == nil {
		return Errorf(ENOTFOUND, "There is no questionnaire draft.")
	}
	e.QuestionnaireDraft = nil
	return nil
}

// FieldChange is one difference between two versions' answers. From or To
// is empty when the field was added or removed.
type FieldChange struct {
	Field   string // field id
	Label   string // the field's label, or its id for a field no longer defined
	Section string
	From    string
	To      string
}

// Diff returns what changed from a to b, in questionnaire order (ids no
// longer defined last, by id).
func Diff(a, b Answers) []FieldChange {
	var ids []string
	for k := range a {
		ids = append(ids, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ids = append(ids, k)
		}
	}
	slices.SortFunc(ids, compareFieldIDs)
	var out []FieldChange
	for _, id := range ids {
		if a[id] == b[id] {
			continue
		}
		c := FieldChange{Field: id, Label: id, From: a[id], To: b[id]}
		if f, ok := FieldByID(id); ok {
			c.Label, c.Section = f.Label, f.Section
		}
		out = append(out, c)
	}
	return out
}

// compareFieldIDs orders ids as the questionnaire does, unknown ones last.
func compareFieldIDs(x, y string) int {
	i, okx := qByID[x]
	j, oky := qByID[y]
	switch {
	case okx && oky:
		return i - j
	case okx:
		return -1
	case oky:
		return 1
	}
	if x < y {
		return -1
	} else if x > y {
		return 1
	}
	return 0
}

// ExportedAnswer is one answer of an export.
type ExportedAnswer struct {
	Section string `json:"section"`
	Field   string `json:"field"`
	Label   string `json:"label"`
	Type    string `json:"type"`
	Value   string `json:"value"`   // as stored
	Display string `json:"display"` // as a person reads it (option titles)
}

// QuestionnaireExport is the JSON form of one version.
type QuestionnaireExport struct {
	Engagement      string           `json:"engagement"`
	Customer        string           `json:"customer"`
	TenantDomain    string           `json:"tenantDomain"`
	Sources         []Source         `json:"sources"`
	OnPremExchange  bool             `json:"onPremExchange"`
	Version         int              `json:"version"`
	SubmittedBy     string           `json:"submittedBy"`
	SubmittedByName string           `json:"submittedByName,omitempty"`
	SubmittedAt     time.Time        `json:"submittedAt"`
	Answers         []ExportedAnswer `json:"answers"`
}

// Export returns version v of e's questionnaire as plain data, answers in
// questionnaire order.
func Export(e *Engagement, v QuestionnaireVersion) QuestionnaireExport {
	x := QuestionnaireExport{
		Engagement: e.ID, Customer: e.Customer, TenantDomain: e.TenantDomain,
		Sources: slices.Clone(e.Sources), OnPremExchange: e.OnPremExchange,
		Version: v.N, SubmittedBy: v.By, SubmittedAt: v.At.UTC(), Answers: []ExportedAnswer{},
	}
	if m, ok := e.Member(v.By); ok {
		x.SubmittedByName = m.Name
	}
	ids := slices.SortedFunc(maps.Keys(v.Answers), compareFieldIDs)
	for _, id := range ids {
		a := ExportedAnswer{Field: id, Label: id, Value: v.Answers[id], Display: v.Answers[id]}
		if f, ok := FieldByID(id); ok {
			a.Section, a.Label, a.Type, a.Display = f.Section, f.Label, string(f.Type), f.Display(a.Value)
		}
		x.Answers = append(x.Answers, a)
	}
	return x
}

// ExportJSON returns version v of e's questionnaire as indented JSON, in a
// stable order.
func ExportJSON(e *Engagement, v QuestionnaireVersion) ([]byte, error) {
	b, err := json.MarshalIndent(Export(e, v), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// CSVHeader is the first row of ExportCSV.
var CSVHeader = []string{"version", "submitted_at", "submitted_by", "section", "field", "label", "value", "display"}

// ExportCSV returns version v of e's questionnaire as CSV (RFC 4180, CRLF
// line ends), one row per answer in questionnaire order under CSVHeader.
// Every cell is quoted, and one a spreadsheet would read as a formula is
// prefixed with an apostrophe, as OWASP's CSV-injection rules say
// (csvsafe.go).
func ExportCSV(e *Engagement, v QuestionnaireVersion) ([]byte, error) {
	x := Export(e, v)
	w := &csvWriter{crlf: true}
	by := x.SubmittedBy
	if x.SubmittedByName != "" {
		by = x.SubmittedByName + " (" + x.SubmittedBy + ")"
	}
	w.Write(CSVHeader...)
	for _, a := range x.Answers {
		w.Write(strconv.Itoa(x.Version), x.SubmittedAt.Format(time.RFC3339), by, a.Section, a.Field, a.Label, a.Value, a.Display)
	}
	return w.Bytes(), nil
}
