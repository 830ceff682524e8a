package playbook

import (
	"strings"
	"testing"
	"time"
)

func TestFeedKey(t *testing.T) {
	now := time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
	e, err := NewEngagement(NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com", Sources: []Source{IMAP}},
		Member{ID: "29:frp", Name: "Pat", Roles: []Role{FRP}}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.Members = append(e.Members, Member{ID: "29:mvm", Name: "Vi", Roles: []Role{MVM}})
	key := strings.Repeat("k", MinFeedKeyLength)

	if FeedKeyValid(e, key) {
		t.Fatal("a key opens a feed that has none")
	}
	if err := SetFeedKey(e, "29:frp", key, now); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("FRP sets the feed key: %v, want EFORBIDDEN", err)
	}
	if err := SetFeedKey(e, "29:mvm", key, now); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Feed.Hash, key) || e.Feed.Hash == key {
		t.Fatal("the key is stored as given")
	}
	if !FeedKeyValid(e, key) || FeedKeyValid(e, key+"x") || FeedKeyValid(e, "") {
		t.Error("FeedKeyValid does not tell the key from others")
	}
	rotated := strings.Repeat("r", MinFeedKeyLength)
	if err := SetFeedKey(e, "29:mvm", rotated, now); err != nil {
		t.Fatal(err)
	}
	if FeedKeyValid(e, key) || !FeedKeyValid(e, rotated) {
		t.Error("rotation left the old key working or the new one not")
	}
	if c := e.Clone(); c.Feed == e.Feed {
		t.Error("Clone shares the feed key record")
	}
	if err := RevokeFeedKey(e, "29:mvm", now); err != nil {
		t.Fatal(err)
	}
	if FeedKeyValid(e, rotated) {
		t.Error("a revoked key still opens the feed")
	}
	if err := RevokeFeedKey(e, "29:mvm", now); ErrorCode(err) != ENOTFOUND {
		t.Errorf("revoking twice: %v, want ENOTFOUND", err)
	}
	var n int
	for _, h := range e.History {
		if h.Action == ActionFeedKey {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d feed key entries in the history, want 3 (create, rotate, revoke)", n)
	}
}
