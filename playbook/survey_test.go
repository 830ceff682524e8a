package playbook

import "testing"

func TestSurvey(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	if r := NPS(e); r.Responses != 0 || r.Score != 0 {
		t.Errorf("empty NPS = %+v", r)
	}
	steps := []struct {
		actor, respondent string
		score             int
	}{
		{idCustomer, "", 6},     // Carol, detractor…
		{idCustomer, "", 10},    // …changes her mind: promoter
		{idMVM, "Dan (CIO)", 8}, // passive, recorded by the MVM
		{idMVM, "Erin (IT)", 3}, // detractor
		{idMVM, "Finn (HR)", 9}, // promoter
		{idMVM, idCustomer, 9},  // for Carol herself, by the MVM: replaces her 10
	}
	for i, s := range steps {
		if _, err := RecordSurvey(e, s.actor, s.score, "comment", s.respondent, t0.AddDate(0, 0, i)); err != nil {
			t.Fatal(err)
		}
	}
	r := NPS(e)
	if r.Responses != 4 || r.Promoters != 2 || r.Passives != 1 || r.Detractors != 1 || r.Score != 25 || r.Latest[0].Respondent() != idCustomer {
		t.Errorf("NPS = %+v", r)
	}
	for score, want := range map[int]NPSCategory{0: Detractor, 6: Detractor, 7: Passive, 8: Passive, 9: Promoter, 10: Promoter} {
		if got := CategoryOf(score); got != want {
			t.Errorf("CategoryOf(%d) = %s", score, got)
		}
	}
	for _, tt := range []struct {
		actor string
		score int
		code  string
		want  string
	}{
		{idCustomer, 11, EINVALID, "0 (not at all likely to recommend) to 10"},
		{idCustomer, -1, EINVALID, "not -1"},
		{idFRP, 5, EFORBIDDEN, "Only the MVM or the customer can record the satisfaction survey"},
	} {
		before := e.Clone()
		_, err := RecordSurvey(e, tt.actor, tt.score, "", "", t0)
		wantErr(t, err, tt.code, tt.want)
		refusalUnchanged(t, before, e)
	}
}
