package playbook

import (
	"slices"
	"testing"
)

// TestVersionsSharedNotChanged: a clone shares its questionnaire versions,
// so nothing a clone goes through (a draft saved, versions submitted,
// reviewed, read, exported, their copies changed) may change the
// original's versions.
func TestVersionsSharedNotChanged(t *testing.T) {
	e := mustEngagement(t, false, Box)
	mustDoneThrough(t, e, "workshop-box")
	if _, _, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, nil); err != nil {
		t.Fatal(err)
	}
	before := mustJSON(t, e)
	c := e.Clone()
	if &c.Questionnaire[0] != &e.Questionnaire[0] {
		t.Error("the clone copied the versions")
	}
	if _, err := SaveDraft(c, idCustomer, WorkingAnswers(c).With(Answers{"notes": "draft"}), t0, nil); err != nil {
		t.Fatal(err)
	}
	w := WorkingAnswers(c)
	w["notes"] = "changed"
	if _, _, err := SubmitQuestionnaire(c, idCustomer, validAnswers(c).With(Answers{"pilot-size": "21"}), t0, nil); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() QuestionnaireVersion{
		func() QuestionnaireVersion { v, _ := LatestQuestionnaire(c); return v },
		func() QuestionnaireVersion { v, _ := QuestionnaireVersionN(c, 1); return v },
	} {
		v := get()
		v.Answers["pilot-size"] = "999"
		clear(v.Answers)
	}
	w = WorkingAnswers(c) // the latest version, with no draft
	w["notes"] = "changed"
	_ = Export(c, c.Questionnaire[0])
	if _, err := RequestQuestionnaireChanges(c, idMST, 2, "the pilot is too small", t0, nil); err != nil && ErrorCode(err) != EFORBIDDEN {
		t.Fatal(err)
	}
	if mustJSON(t, e) != before {
		t.Error("changing the clone's questionnaire changed the original")
	}
	if len(c.Questionnaire) != 2 || c.Questionnaire[1].Answers["pilot-size"] != "21" || c.Questionnaire[0].Answers["pilot-size"] == "999" {
		t.Errorf("the clone's versions: %d, v2 pilot %q", len(c.Questionnaire), c.Questionnaire[1].Answers["pilot-size"])
	}
}

// TestChangedIssues: the issues a store writes are the new and the changed
// ones, found by ID whatever their order; the gone ones are named.
func TestChangedIssues(t *testing.T) {
	issue := func(id int, title string) Issue { return Issue{ID: id, Title: title, State: IssueOpen, Rev: 1} }
	base := []Issue{issue(1, "a"), issue(2, "b"), issue(3, "c")}
	synced := slices.Clone(base)
	synced[1].SyncedRev, synced[1].ItemID = 1, "17"
	for _, tc := range []struct {
		name     string
		old, now []Issue
		changed  []int
		gone     []int
	}{
		{"none stored", nil, base, []int{1, 2, 3}, nil},
		{"unchanged", base, slices.Clone(base), nil, nil},
		{"one new", base, append(slices.Clone(base), issue(4, "d")), []int{4}, nil},
		{"sync bookkeeping only", base, synced, []int{2}, nil},
		{"out of order", base, []Issue{base[2], base[0], issue(2, "B")}, []int{2}, nil},
		{"one gone", base, []Issue{base[0], base[2]}, nil, []int{2}},
		{"all gone", base, nil, nil, []int{1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed, gone := ChangedIssues(tc.old, tc.now)
			var ids []int
			for _, x := range changed {
				ids = append(ids, x.ID)
			}
			if !slices.Equal(ids, tc.changed) || !slices.Equal(gone, tc.gone) {
				t.Errorf("changed %v, gone %v; want %v, %v", ids, gone, tc.changed, tc.gone)
			}
		})
	}
}
