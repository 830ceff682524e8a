package store

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// TestDump reads back every kind of record, leases dropped.
func TestDump(t *testing.T) {
	t.Parallel()
	clock := storetest.NewClock(storetest.Epoch)
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), &Options{Now: clock.Now})
	ctx := t.Context()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:c"}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, storetest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	jobs, _, err := db.CommitTurn(ctx, playbook.Turn{
		DedupKey: "act-1", Result: playbook.Result{Status: 200, Body: json.RawMessage(`{"ok":true}`)},
		Ref:        &playbook.ConversationRef{Key: "19:c", ServiceURL: "https://smba.example/"},
		Engagement: e,
		Jobs:       []playbook.Job{{Kind: "post", Key: "k"}, {Kind: "post"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Fail(ctx, jobs[1].ID, "gone"); err != nil {
		t.Fatal(err)
	}
	d, err := db.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Engagements) != 1 || d.Engagements[0].Customer != "Contoso" || d.Conversations["19:c"] != "e1" {
		t.Errorf("engagements %v, conversations %v", d.Engagements, d.Conversations)
	}
	if len(d.Refs) != 1 || d.Refs[0].ServiceURL != "https://smba.example/" {
		t.Errorf("refs %+v", d.Refs)
	}
	if len(d.Jobs) != 1 || d.Jobs[0].Key != "k" || d.Jobs[0].LeaseUntil != (time.Time{}) {
		t.Errorf("jobs %+v, want the keyed one, unleased", d.Jobs)
	}
	if len(d.Dead) != 1 || d.Dead[0].LastError != "gone" {
		t.Errorf("dead %+v", d.Dead)
	}
	if len(d.Processed) != 1 || string(d.Processed[0].KeyHash) != string(processedKey("act-1")) || string(d.Processed[0].Result.Body) != `{"ok":true}` {
		t.Errorf("processed %+v", d.Processed)
	}
}
