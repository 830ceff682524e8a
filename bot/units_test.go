package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestUnitStatus: "status <user>" through the endpoint answers where a
// user is: event, Microsoft's status, last sync, error and the known
// error's fix; a unit in no event, and a stranger, get a clear answer; a
// bare "status" is still the engagement's card.
func TestUnitStatus(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)
	e := c.engagement()
	for _, step := range []func() error{
		func() error { return playbook.WaivePreflight(e, vi.id, 1, "same server as the test migration", qNow) },
		func() error { return playbook.StartEvent(e, vi.id, 1, qNow) },
		func() error {
			_, err := playbook.RecordStatus(e, vi.id, 1, []playbook.UnitStatus{
				{Unit: "user03@contoso.com", Status: "Failed", Error: "We had trouble signing in to this account. Confirm that you're using the correct user name and password."},
				{Unit: "user04@contoso.com", Status: "Synced", LastSync: "3/1/2027 6:00:00 AM"},
			}, qNow)
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	e.Version++
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		t.Fatal(err)
	}

	s := text(c.say(cy, "status USER03@contoso.com"))
	k, _ := playbook.KnownErrorByID("imap-auth-failed")
	for _, want := range []string{"**user03@contoso.com**: event 1 (pilot", "running", "Migration status **Failed** (failed)", "Error: We had trouble signing in", "Known error **imap-auth-failed**", k.Remediation, k.Doc} {
		if !strings.Contains(s, want) {
			t.Errorf("failed user: %q lacks %q", s, want)
		}
	}
	if s := text(c.say(mo, "status user04@contoso.com")); !strings.Contains(s, "Migration status **Synced** (migrated), last successful sync 3/1/2027 6:00:00 AM") || strings.Contains(s, "Known error") {
		t.Errorf("synced user: %q", s)
	}
	if s := text(c.say(mo, "status user05@contoso.com")); !strings.Contains(s, "No pre-flight result or migration status yet") {
		t.Errorf("unreported user: %q", s)
	}
	if s := text(c.say(mo, "status nobody@contoso.com")); !strings.Contains(s, "is in none of the Contoso engagement's migration events") {
		t.Errorf("unknown user: %q", s)
	}
	// The failure moves into a new remediation event in one step; status
	// then names both.
	if s := text(c.say(cy, "remediate 1")); !strings.Contains(s, "Only the MVM or the MST can put failed units into a remediation event") {
		t.Errorf("customer remediates: %q", s)
	}
	n := len(c.engagement().Events) + 1
	if s := text(c.say(vi, "remediate 1")); !strings.Contains(s, fmt.Sprintf("put the 1 failed unit of event 1 into the new remediation event %d", n)) {
		t.Errorf("remediate: %q", s)
	}
	if s := text(c.say(vi, "remediate one")); !strings.Contains(s, "remediate 1") {
		t.Errorf("bad remediate: %q", s)
	}
	if s := text(c.say(cy, "status user03@contoso.com")); !strings.Contains(s, "event 1 (pilot") || !strings.Contains(s, fmt.Sprintf("event %d (remediation", n)) {
		t.Errorf("status after remediation: %q", s)
	}
	if s := text(c.say(stranger, "status user03@contoso.com")); strings.Contains(s, "user03") || !strings.Contains(s, "not a member") {
		t.Errorf("stranger: %q", s)
	}
	if s := cardText(t, replyCard(t, c.say(cy, "status"))); !strings.Contains(s, "Contoso") {
		t.Errorf("bare status: %s", s)
	}
}
