package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

var refTests = []test{
	{"Upsert", testRefUpsert},
	{"OrderedByKey", testRefsOrdered},
	{"Missing", testRefMissing},
	{"EmptyKeyInvalid", testRefEmptyKey},
	{"TurnRefreshesHourly", testRefTurnRefresh},
}

// testRefTurnRefresh: a turn's reference is written when new or changed,
// and an unchanged one only once it is an hour older than the stored one,
// so that a busy conversation does not rewrite it on every turn.
func testRefTurnRefresh(t *testing.T, e env) {
	t0 := e.clock.Now()
	ref := playbook.ConversationRef{Key: "k", ServiceURL: "https://one/", Type: "channel"}
	steps := []struct {
		name       string
		at         time.Duration
		serviceURL string
		want       time.Duration // the stored UpdatedAt, from t0
	}{
		{"new", 0, "https://one/", 0},
		{"unchanged, 10 minutes on", 10 * time.Minute, "https://one/", 0},
		{"changed", 20 * time.Minute, "https://two/", 20 * time.Minute},
		{"unchanged, 59 minutes on", 79 * time.Minute, "https://two/", 20 * time.Minute},
		{"unchanged, an hour on", 80 * time.Minute, "https://two/", 80 * time.Minute},
	}
	for i, s := range steps {
		r := ref
		r.ServiceURL, r.UpdatedAt = s.serviceURL, t0.Add(s.at)
		_, _, err := e.b.CommitTurn(e.ctx, playbook.Turn{DedupKey: fmt.Sprintf("turn-%d", i), Result: playbook.Result{Status: 200}, Ref: &r})
		must(t, err)
		got, err := e.b.Ref(e.ctx, "k")
		must(t, err)
		if got.ServiceURL != s.serviceURL {
			t.Errorf("%s: ServiceURL = %q, want %q", s.name, got.ServiceURL, s.serviceURL)
		}
		wantTime(t, s.name+": UpdatedAt", got.UpdatedAt, t0.Add(s.want))
	}
}

func testRefUpsert(t *testing.T, e env) {
	now := e.clock.Now()
	must(t, e.b.PutRef(e.ctx, playbook.ConversationRef{Key: "k", ServiceURL: "https://one/", Type: "channel"}))
	got, err := e.b.Ref(e.ctx, "k")
	must(t, err)
	if got.ServiceURL != "https://one/" || got.Type != "channel" {
		t.Errorf("Ref after insert = %+v", got)
	}
	wantTime(t, "UpdatedAt (zero given)", got.UpdatedAt, now)

	at := now.Add(time.Hour)
	must(t, e.b.PutRef(e.ctx, playbook.ConversationRef{Key: "k", ServiceURL: "https://two/", UpdatedAt: at}))
	got, err = e.b.Ref(e.ctx, "k")
	must(t, err)
	if got.ServiceURL != "https://two/" || got.Type != "" {
		t.Errorf("Ref after update = %+v, want the second value whole", got)
	}
	wantTime(t, "UpdatedAt (given)", got.UpdatedAt, at)
	refs, err := e.b.Refs(e.ctx)
	must(t, err)
	if len(refs) != 1 {
		t.Errorf("Refs = %d entries, want 1", len(refs))
	}
}

func testRefsOrdered(t *testing.T, e env) {
	refs, err := e.b.Refs(e.ctx)
	if err != nil || len(refs) != 0 {
		t.Fatalf("Refs on an empty store = %v, %v; want none, nil", refs, err)
	}
	for _, k := range []string{"b", "a:2", "c", "a:10"} {
		must(t, e.b.PutRef(e.ctx, playbook.ConversationRef{Key: k}))
	}
	refs, err = e.b.Refs(e.ctx)
	must(t, err)
	want := []string{"a:10", "a:2", "b", "c"}
	if len(refs) != len(want) {
		t.Fatalf("Refs = %d entries, want %d", len(refs), len(want))
	}
	for i, r := range refs {
		if r.Key != want[i] {
			t.Errorf("Refs[%d].Key = %q, want %q (byte order)", i, r.Key, want[i])
		}
	}
}

func testRefMissing(t *testing.T, e env) {
	_, err := e.b.Ref(e.ctx, "nope")
	wantCode(t, "Ref(missing)", err, playbook.ENOTFOUND)
}

func testRefEmptyKey(t *testing.T, e env) {
	err := e.b.PutRef(e.ctx, playbook.ConversationRef{ServiceURL: "https://x/"})
	wantCode(t, "PutRef without key", err, playbook.EINVALID)
}
