package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// WithParts gives eng versions submitted questionnaire versions (an answer
// for each of its fields, as a whole questionnaire has) and issues open
// issues, as playbook would number them.
func WithParts(eng *playbook.Engagement, versions, issues int, at time.Time) {
	fields := playbook.Fields(eng)
	for n := len(eng.Questionnaire) + 1; n <= versions; n++ {
		a := playbook.Answers{}
		for _, f := range fields {
			a[f.ID] = fmt.Sprintf("answer %d to %s", n, f.ID)
		}
		eng.Questionnaire = append(eng.Questionnaire, playbook.QuestionnaireVersion{N: n, Answers: a, By: "29:lead", At: at})
	}
	for id := len(eng.Issues) + 1; id <= issues; id++ {
		eng.Issues = append(eng.Issues, playbook.Issue{ID: id, Title: fmt.Sprintf("mailbox %d did not sync its calendar", id),
			Unit: fmt.Sprintf("user%d@contoso.com", id), State: playbook.IssueOpen, Opened: at, OpenedBy: "29:lead",
			Source: playbook.IMAP, Severity: playbook.SeverityMedium, Rev: 1})
	}
}

// testPartsApart: questionnaire versions and issues are stored apart but
// every read path returns them whole and in order; a new version and a
// changed issue are read back, and an issue's sync bookkeeping alone is a
// change.
func testPartsApart(t *testing.T, e env) {
	eng := engagement(t, "e-parts", "19:parts", e.clock.Now())
	WithParts(eng, 12, 30, e.clock.Now()) // past 9 and 10: the order is numeric
	must(t, save(e, "p0", eng, 0))
	reads := func(want *playbook.Engagement, what string) {
		t.Helper()
		got, err := e.b.Engagement(e.ctx, "e-parts")
		must(t, err)
		sameEngagement(t, what+": Engagement", got, want)
		got, err = e.b.EngagementByConversation(e.ctx, "19:parts")
		must(t, err)
		sameEngagement(t, what+": EngagementByConversation", got, want)
		es, err := e.b.EngagementsOf(e.ctx, "29:lead")
		must(t, err)
		if len(es) != 1 {
			t.Fatalf("%s: EngagementsOf: %d engagements", what, len(es))
		}
		sameEngagement(t, what+": EngagementsOf", es[0], want)
		for i, v := range got.Questionnaire {
			if v.N != i+1 {
				t.Fatalf("%s: version %d of the questionnaire is v%d", what, i+1, v.N)
			}
		}
	}
	reads(eng, "after the first save")

	cur, err := e.b.Engagement(e.ctx, "e-parts")
	must(t, err)
	noted, err := note(t, e, "p1", cur, "a note")
	must(t, err)
	noted.History = nil
	noted.HistoryBase = cur.HistoryBase + 1
	reads(noted, "after a note")

	changed := noted.Clone()
	WithParts(changed, 13, 31, e.clock.Now())
	changed.Issues[4].Owner = "29:lead"
	changed.Issues[4].Rev++
	changed.Issues[7].SyncedRev, changed.Issues[7].ItemID = 1, "item-8"
	changed.Version++
	must(t, save(e, "p2", changed, noted.Version))
	reads(changed, "after a version, an issue, an assignment and a sync")
}

// testPartsStale: a save from a stale version is refused before anything
// is written: neither its new version nor its changed issue is stored.
func testPartsStale(t *testing.T, e env) {
	eng := engagement(t, "e-stale", "19:stale", e.clock.Now())
	WithParts(eng, 2, 3, e.clock.Now())
	must(t, save(e, "s0", eng, 0))
	read, err := e.b.Engagement(e.ctx, "e-stale")
	must(t, err)
	won, err := note(t, e, "s1", read, "first")
	must(t, err)
	stale := read.Clone()
	WithParts(stale, 3, 4, e.clock.Now())
	stale.Issues[0].Title = "stale title"
	stale.Version = read.Version + 1
	if err := save(e, "s2", stale, read.Version); errorCode(err) != playbook.ECONFLICT {
		t.Fatalf("stale save: %v, want ECONFLICT", err)
	}
	got, err := e.b.Engagement(e.ctx, "e-stale")
	must(t, err)
	won.History = nil
	won.HistoryBase = read.HistoryBase + 1
	sameEngagement(t, "after a stale save", got, won)
}

// PartsUntouched checks that a turn that does not change an issue or a
// version does not write it: the engagement is read, tamper then rewrites,
// behind the store's back, the title of issue 2 and the "notes" answer of
// version 1 of engagement id to "tampered", a note is saved from what was
// read, and stored, which reads those two from the backend's storage past
// any cache, must still give "tampered": a store that rewrote them would
// have put the read ones back.
func PartsUntouched(t *testing.T, b Backend, tamper func(id string), stored func(id string) (title, notes string)) {
	ctx := context.Background()
	clock := NewClock(Epoch)
	e := env{b: b, clock: clock, ctx: ctx}
	eng := engagement(t, "e-untouched", "19:untouched", Epoch)
	WithParts(eng, 2, 3, Epoch)
	must(t, save(e, "u0", eng, 0))
	cur, err := b.Engagement(ctx, "e-untouched")
	must(t, err)
	if len(cur.Issues) != 3 || len(cur.Questionnaire) != 2 {
		t.Fatalf("read %d issues, %d versions; want 3, 2", len(cur.Issues), len(cur.Questionnaire))
	}
	tamper("e-untouched")
	tampered := func(what string) {
		t.Helper()
		if title, notes := stored("e-untouched"); title != "tampered" || notes != "tampered" {
			t.Errorf("%s: issue 2 is %q, v1's notes %q; want both tampered", what, title, notes)
		}
	}
	tampered("before the note (the test's tamper)")
	if _, err := note(t, e, "u1", cur, "a note"); err != nil {
		t.Fatal(err)
	}
	tampered("after a note: the unchanged parts were rewritten")
}
