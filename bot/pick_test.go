package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// secondEngagement stores a Fabrikam engagement, in a chat of its own, with
// Mo as its MST.
func secondEngagement(t *testing.T, c *conv) *playbook.Engagement {
	t.Helper()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-fabrikam", Customer: "Fabrikam", TenantDomain: "fabrikam.onmicrosoft.com",
		Sources: []playbook.Source{playbook.Box}, Conversation: "19:fabrikam@thread.v2",
	}, playbook.Member{ID: mo.id, Name: mo.name, Roles: []playbook.Role{playbook.MST}}, qNow)
	if err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	if _, _, err := c.h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}
	return e
}

// inPersonal moves an activity to p's personal chat with the bot.
func inPersonal(a map[string]any, p person) map[string]any {
	a["from"] = map[string]any{"id": p.id, "name": p.name}
	a["conversation"] = map[string]any{"id": "a:personal-" + p.id, "conversationType": "personal", "tenantId": "tenant-1"}
	return a
}

// TestPersonalPicker: in the personal chat with two open engagements,
// workshops and status answer a picker with one button per engagement
// (they answered "type it in the group chat"), and each click runs the
// command for the engagement it names.
func TestPersonalPicker(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	contoso := c.engagement()
	fabrikam := secondEngagement(t, c)

	for _, tt := range []struct {
		command, want string
	}{
		{"workshops", "Workshops"},
		{"history", "History"},
	} {
		t.Run(tt.command, func(t *testing.T) {
			picker := replyCard(t, c.post(inPersonal(h.message(c.nextID(), tt.command), mo)))
			s := cardText(t, picker)
			if !strings.Contains(s, "Which engagement?") || !strings.Contains(s, `"title":"Contoso"`) || !strings.Contains(s, `"title":"Fabrikam"`) {
				t.Fatalf("%s in the personal chat: %s", tt.command, s)
			}
			for _, e := range []*playbook.Engagement{contoso, fabrikam} {
				data := pickData(picker, e.ID)
				if data == nil || data["command"] != tt.command {
					t.Fatalf("no pick button for %s: %s", e.Customer, s)
				}
				got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), mo, "pick", data), mo))
				if s := cardText(t, got.card(t)); !strings.Contains(s, e.Customer) || strings.Contains(s, "Which engagement?") {
					t.Errorf("%s for %s: %s", tt.command, e.Customer, s)
				}
			}
		})
	}

	// A button for an engagement the person is not in changes nothing.
	stranger := inPersonal(h.groupInvoke(c.nextID(), stranger, "pick", map[string]any{"engagement": contoso.ID, "command": "status"}), stranger)
	if got := c.invoke(stranger); got.StatusCode == 200 && strings.Contains(string(got.Value), "Contoso") {
		t.Errorf("a stranger's pick showed the engagement: %s", got.Value)
	}
	// A crafted button whose command is a pick runs no pick again.
	before := c.engagement()
	loop := inPersonal(h.groupInvoke(c.nextID(), mo, "pick", map[string]any{"engagement": contoso.ID, "command": "pick"}), mo)
	if got := c.invoke(loop); !strings.Contains(string(got.Value), `I don't know \"pick\"`) {
		t.Errorf("a pick of pick: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
}

// pickData is the data of the picker's button for engagement id; nil when
// there is none.
func pickData(card map[string]any, id string) map[string]any {
	return findData(card, "pick", func(d map[string]any) bool { return d["engagement"] == id })
}
