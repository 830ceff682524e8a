package storetest

import (
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

var refTests = []test{
	{"Upsert", testRefUpsert},
	{"OrderedByKey", testRefsOrdered},
	{"Missing", testRefMissing},
	{"EmptyKeyInvalid", testRefEmptyKey},
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
