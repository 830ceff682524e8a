package bot_test

import (
	"slices"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestSetupLeadFromRoster: the person who sets the engagement up gets their
// address and Entra object id from the Teams roster, as a person given a
// role does, so the workshops invite them and their invitation mentions
// them.
func TestSetupLeadFromRoster(t *testing.T) {
	clk := &clock{now: qNow}
	h := newHarness(t, harnessOpts{auth: true, now: clk.Now})
	c := &conv{t: t, h: h}
	setUp(t, c)
	lead, _ := c.engagement().Lead()
	if lead.ID != pat.id || lead.Email != "pat@contoso.com" || lead.AADObjectID != pat.aad {
		t.Fatalf("lead = %+v, want Pat with the roster's address and object id", lead)
	}
	assessed(t, c)
	card := replyCard(t, c.say(mo, "workshops"))
	form := c.click(mo, "workshopSchedule", action(t, card, "workshopSchedule", "workshop-imap")).card(t)
	slots := c.click(mo, "workshopSlots", withInputs(action(t, form, "workshopSlots", "workshop-imap"), scheduleForm)).card(t)
	_, id := c.clickID(mo, "workshopPick", pickSlot(t, slots, "workshop-imap", 0))
	w := c.engagement().Workshop("workshop-imap")
	if w == nil || !slices.ContainsFunc(w.Attendees, func(a playbook.Attendee) bool { return a.Email == "pat@contoso.com" }) {
		t.Errorf("the lead is not invited: %+v", w)
	}
	if ids := mentionsOf(t, h.replyTo(id)); !slices.Contains(ids, pat.id) {
		t.Errorf("the invitation mentions %v, not the lead", ids)
	}
}
