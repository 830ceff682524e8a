package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestStatusImportWalk walks a pilot's migration status through the real
// endpoint: the batch pasted as Microsoft's IMAP migration CSV (its
// passwords dropped, never stored), a status file pasted on the events card (a bad one comes back
// as typed, nothing imported), a failed user found by name with
// Microsoft's error and the known error's fix, the failures put into a new
// remediation event with one click (a new plan version, one history
// entry), the remediation event run and its status imported, and the
// report's numbers equal to the units' outcomes throughout.
func TestStatusImportWalk(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)

	// The pilot's batch as Microsoft's IMAP migration CSV: EmailAddress is
	// the Microsoft 365 mailbox, UserName the source login, Password never
	// kept (3614).
	var imap strings.Builder
	imap.WriteString("EmailAddress,UserName,Password\n")
	for i := range 20 {
		fmt.Fprintf(&imap, "user%02d@contoso.com,user%02d,Pw-%02d-secret\n", i, i, i)
	}
	set := eventAction(t, replyCard(t, c.say(vi, "events")), "eventMembers", 1)
	s := cardText(t, c.click(vi, "eventMembers", with(set, map[string]any{"members-1": imap.String(), "membersKind-1": "user"})).card(t))
	if !strings.Contains(s, "Password column") || strings.Contains(s, "-secret") {
		t.Errorf("IMAP CSV pasted: %s", s)
	}
	e := c.engagement()
	if m := e.Events[0].Members; len(m) != 20 || m[4].Unit != "user04@contoso.com" || m[4].Login != "user04" || strings.Contains(mustJSON(t, e), "-secret") {
		t.Fatalf("members from the IMAP CSV: %+v", m)
	}
	if err := playbook.WaivePreflight(e, vi.id, 1, "same server as the test migration", qNow); err != nil {
		t.Fatal(err)
	}
	if err := playbook.StartEvent(e, vi.id, 1, qNow); err != nil {
		t.Fatal(err)
	}
	commit(t, c, e)

	// Get-MigrationUserStatistics | Export-Csv: 16 synced (1 GiB each), 3
	// failed signing in, 1 still syncing.
	var b strings.Builder
	b.WriteString("#TYPE Microsoft.Exchange.Migration.MigrationUserStatistics\n\"Identity\",\"Status\",\"BytesTransferred\",\"Error\"\n")
	for i := range 20 {
		switch {
		case i >= 3 && i < 6:
			fmt.Fprintf(&b, "\"user%02d@contoso.com\",\"Failed\",\"0 B (0 bytes)\",\"We had trouble signing in to this account. Confirm that you're using the correct user name and password.\"\n", i)
		case i == 19:
			fmt.Fprintf(&b, "\"user%02d@contoso.com\",\"Syncing\",\"\",\"\"\n", i)
		default:
			fmt.Fprintf(&b, "\"user%02d@contoso.com\",\"Synced\",\"1 GB (1,073,741,824 bytes)\",\"\"\n", i)
		}
	}
	good := b.String()

	card := replyCard(t, c.say(vi, "events"))
	paste := eventAction(t, card, "eventStatus", 1)
	if got := c.click(cy, "eventStatus", with(paste, map[string]any{"status-1": good})); got.StatusCode != refusal {
		t.Errorf("the customer imports status: %d %s", got.StatusCode, got.Value)
	}
	before := c.engagement()
	bad := strings.Replace(good, `"Syncing"`, `"Teleporting"`, 1)
	s = cardText(t, c.click(vi, "eventStatus", with(paste, map[string]any{"status-1": bad})).card(t))
	for _, want := range []string{"Nothing was imported for event 1", "line 22", "Teleporting", "user19@contoso.com"} {
		if !strings.Contains(s, want) {
			t.Errorf("refused paste lacks %q: %s", want, s)
		}
	}
	assertUnchanged(t, c, before)

	card = c.click(vi, "eventStatus", with(paste, map[string]any{"status-1": good})).card(t)
	s = cardText(t, card)
	if !strings.Contains(s, "imported Get-MigrationUser for event 1: 16 migrated, 1 in progress, 3 failed") || !strings.Contains(s, "16.0 GB reported migrated") {
		t.Errorf("after import: %s", s)
	}

	// Where is user04? The help desk's first question.
	k, _ := playbook.KnownErrorByID("imap-auth-failed")
	if s := text(c.say(cy, "status user04@contoso.com")); !strings.Contains(s, "Migration status **Failed**") || !strings.Contains(s, k.Remediation) {
		t.Errorf("status user04: %q", s)
	}

	if s := text(c.say(cy, "status user00@contoso.com")); !strings.Contains(s, "Migration status **Synced** (migrated), 0 items and 1.0 GB migrated") {
		t.Errorf("status user00: %q", s)
	}

	// A note leaves the event's batch as stored (it is not rewritten), and
	// the next read still has every member and outcome.
	if s := text(c.say(vi, "note checked the three sign-in failures")); !strings.Contains(s, "Noted") {
		t.Errorf("note: %q", s)
	}
	if s := text(c.say(cy, "status user04@contoso.com")); !strings.Contains(s, "Migration status **Failed**") {
		t.Errorf("status user04 after a note: %q", s)
	}
	if ev := c.engagement().Events[0]; len(ev.Members) != 20 || len(ev.Outcomes) != 20 {
		t.Errorf("event 1 after a note: %d members, %d outcomes; want 20, 20", len(ev.Members), len(ev.Outcomes))
	}

	// One click: a new remediation event with the three failures.
	remediate := eventAction(t, card, "eventRemediate", 1)
	if got := c.click(cy, "eventRemediate", remediate); got.StatusCode != refusal {
		t.Errorf("the customer remediates: %d %s", got.StatusCode, got.Value)
	}
	plans, history := len(c.engagement().Plans), len(c.engagement().History)
	s = cardText(t, c.click(vi, "eventRemediate", remediate).card(t))
	e = c.engagement()
	rem := e.Events[len(e.Events)-1]
	if rem.Kind != playbook.KindRemediation || len(rem.Members) != 3 || rem.Members[0].Unit != "user03@contoso.com" || len(e.Plans) != plans+1 || len(e.History) != history+1 {
		t.Fatalf("remediation event %+v; plans %d, history %d", rem, len(e.Plans), len(e.History))
	}
	if !strings.Contains(s, fmt.Sprintf("into the new remediation event %d", rem.N)) || strings.Contains(s, `"verb":"eventRemediate"`) {
		t.Errorf("after remediate: %s", s)
	}
	if s := text(c.say(cy, "status user04@contoso.com")); !strings.Contains(s, fmt.Sprintf("event %d (remediation", rem.N)) {
		t.Errorf("status after remediation: %q", s)
	}

	// The report counts the units' outcomes: 16 migrated; the failures are
	// now the remediation event's, not failed twice.
	r := playbook.WeeklyReport(e, qNow)
	st, _ := playbook.EventStatus(e, 1)
	if r.Units.Migrated != st.Migrated || r.Units.Migrated != 16 || r.Units.Failed != 0 {
		t.Errorf("report units %+v, event status %+v", r.Units, st)
	}
	if s := cardText(t, replyCard(t, c.say(vi, "report"))); !strings.Contains(s, "16") {
		t.Errorf("report card: %s", s)
	}

	// The pilot ends; the customer fixed the sign-ins (the known error's
	// fix); the remediation event runs and its status says all three
	// migrated.
	e = c.engagement()
	if _, err := playbook.CompleteEvent(e, vi.id, 1, 16, 3, qNow); err != nil {
		t.Fatal(err)
	}
	if err := playbook.WaivePreflight(e, vi.id, rem.N, "the three sign-ins were fixed and checked by hand", qNow); err != nil {
		t.Fatal(err)
	}
	if err := playbook.StartEvent(e, vi.id, rem.N, qNow); err != nil {
		t.Fatal(err)
	}
	commit(t, c, e)
	var fixed strings.Builder
	fixed.WriteString("#TYPE Microsoft.Exchange.Migration.MigrationUserStatistics\n\"Identity\",\"Status\",\"BytesTransferred\",\"Error\"\n")
	for i := 3; i < 6; i++ {
		fmt.Fprintf(&fixed, "\"user%02d@contoso.com\",\"Synced\",\"1 GB (1,073,741,824 bytes)\",\"\"\n", i)
	}
	card = replyCard(t, c.say(vi, "events"))
	s = cardText(t, c.click(vi, "eventStatus", with(eventAction(t, card, "eventStatus", rem.N), map[string]any{fmt.Sprintf("status-%d", rem.N): fixed.String()})).card(t))
	if !strings.Contains(s, fmt.Sprintf("for event %d: 3 migrated", rem.N)) {
		t.Errorf("remediation status: %s", s)
	}
	if s := text(c.say(cy, "status user04@contoso.com")); !strings.Contains(s, "Migration status **Synced**") {
		t.Errorf("status user04 after the remediation: %q", s)
	}
	e = c.engagement()
	r = playbook.WeeklyReport(e, qNow)
	if r.Units.Migrated != 19 || r.Units.Failed != 0 {
		t.Errorf("report units after the remediation %+v, want 19 migrated (16 + 3), 0 failed, 1 still syncing", r.Units)
	}
}
