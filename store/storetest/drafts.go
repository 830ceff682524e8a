package storetest

import (
	"context"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// DraftBackend keeps the questionnaire drafts apart from the engagement
// records (see store.DB.PutQuestionnaireDraft). Every backend given to Run
// must implement it.
type DraftBackend interface {
	QuestionnaireDraft(ctx context.Context, id string) (*playbook.QuestionnaireDraft, error)
	PutQuestionnaireDraft(ctx context.Context, id string, d playbook.QuestionnaireDraft) error
}

var draftTests = []test{
	{"SaveReadReplace", testDraftSave},
	{"PurgedWithItsEngagement", testDraftPurged},
}

// testDraftPurged: purging a closed engagement deletes its draft too.
func testDraftPurged(t *testing.T, e env) {
	b, ok := e.b.(DraftBackend)
	if !ok {
		t.Fatal("the backend keeps no questionnaire drafts")
	}
	eng := engagement(t, "e-gone", "19:gone", Epoch)
	must(t, save(e, "g0", eng, 0))
	must(t, b.PutQuestionnaireDraft(e.ctx, eng.ID, playbook.QuestionnaireDraft{Answers: playbook.Answers{"pilot-size": "30"}, By: "29:cy", At: Epoch, Rev: 1}))
	c := eng.Clone()
	must(t, playbook.Close(c, "29:lead", "cancelled by the customer", Epoch))
	c.Version = eng.Version + 1
	must(t, save(e, "g1", c, eng.Version))
	if _, err := e.b.PurgeClosed(e.ctx, Epoch.AddDate(0, 1, 0), false); err != nil {
		t.Fatal(err)
	}
	if d, err := b.QuestionnaireDraft(e.ctx, eng.ID); err != nil || d != nil {
		t.Errorf("draft after purge = %+v, %v", d, err)
	}
}

// testDraftSave saves a draft and replaces it: none at first, rev 1 then 2;
// a save made from an old revision is refused and changes nothing; the
// engagement's version does not move.
func testDraftSave(t *testing.T, e env) {
	b, ok := e.b.(DraftBackend)
	if !ok {
		t.Fatal("the backend keeps no questionnaire drafts")
	}
	eng := engagement(t, "e-draft", "19:draft", Epoch)
	must(t, save(e, "d0", eng, 0))
	if d, err := b.QuestionnaireDraft(e.ctx, eng.ID); err != nil || d != nil {
		t.Fatalf("draft before any save = %+v, %v", d, err)
	}
	d1 := playbook.QuestionnaireDraft{Answers: playbook.Answers{"pilot-size": "30"}, By: "29:cy", At: Epoch, Rev: 1}
	must(t, b.PutQuestionnaireDraft(e.ctx, eng.ID, d1))
	d2 := d1
	d2.Answers, d2.Rev = playbook.Answers{"pilot-size": "40"}, 2
	must(t, b.PutQuestionnaireDraft(e.ctx, eng.ID, d2))
	stale := d1
	stale.Answers, stale.Rev = playbook.Answers{"pilot-size": "99"}, 2
	if err := b.PutQuestionnaireDraft(e.ctx, eng.ID, stale); errorCode(err) != playbook.ECONFLICT {
		t.Errorf("save from an old revision: %v, want ECONFLICT", err)
	}
	if err := b.PutQuestionnaireDraft(e.ctx, eng.ID, d1); errorCode(err) != playbook.ECONFLICT {
		t.Errorf("a second first save: %v, want ECONFLICT", err)
	}
	got, err := b.QuestionnaireDraft(e.ctx, eng.ID)
	must(t, err)
	if got == nil || got.Rev != 2 || got.Answers["pilot-size"] != "40" || got.By != "29:cy" || !got.At.Equal(Epoch) {
		t.Errorf("draft = %+v, want rev 2 with 40", got)
	}
	after, err := e.b.Engagement(e.ctx, eng.ID)
	must(t, err)
	if after.Version != eng.Version || after.QuestionnaireDraft != nil {
		t.Errorf("engagement after drafts: version %d (was %d), draft %+v", after.Version, eng.Version, after.QuestionnaireDraft)
	}
}
