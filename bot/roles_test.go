package bot_test

import (
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestLeadHandover: "lead @person" hands the lead to a member, recorded in
// the history and shown on the roles card; every refusal says why and
// leaves the engagement as it was.
func TestLeadHandover(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	personal := func(p person, text string) map[string]any {
		a := h.message(c.nextID(), text)
		a["from"] = map[string]any{"id": p.id, "name": p.name}
		a["conversation"] = map[string]any{"id": "a:personal-" + p.id, "conversationType": "personal", "tenantId": "tenant-1"}
		return a
	}

	refusals := []struct {
		name   string
		act    func() map[string]any
		roster []person // the conversation's members for this case; nil: everyone
		want   string
	}{
		{name: "not the lead", act: func() map[string]any {
			return h.groupMessage(c.nextID(), cy, "lead <at>Mo Support</at>", mo)
		}, want: "Only the lead (Pat Partner) or the MVM can hand over the lead"},
		// Issue 18: the lead is never a customer (she could then remove the
		// partner's role and mark FRP tasks done on their behalf).
		{name: "to a customer", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Cy Customer</at>", cy)
		}, want: "never the customer, so Cy Customer cannot lead"},
		{name: "not in the engagement", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Sam Stranger</at>", stranger)
		}, want: "Sam Stranger is not a member of the Contoso engagement"},
		{name: "no longer in the conversation", roster: []person{pat, cy, vi}, act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Mo Support</at>", mo)
		}, want: "not a member of this conversation, so I cannot hand them the lead"},
		{name: "no mention", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead Mo")
		}, want: "Mention the one person"},
		{name: "two people", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Mo Support</at> <at>Cy Customer</at>", mo, cy)
		}, want: "Mention the one person"},
		{name: "words besides the mention", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Mo Support</at> MST", mo)
		}, want: "Mention the one person"},
		{name: "already the lead", act: func() map[string]any {
			return h.groupMessage(c.nextID(), pat, "lead <at>Pat Partner</at>", pat)
		}, want: "already leads"},
		{name: "personal chat", act: func() map[string]any { return personal(pat, "lead Mo") }, want: "channel or group chat"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			if tt.roster != nil {
				h.conn.SetMembers(roster(tt.roster...))
				defer h.conn.SetMembers(roster(pat, mo, cy, vi, stranger))
			}
			before := c.engagement()
			reply := c.post(tt.act())
			if got := text(reply); !strings.Contains(got, tt.want) {
				t.Errorf("reply %q, want it to contain %q", got, tt.want)
			}
			assertUnchanged(t, c, before)
			if l, _ := c.engagement().Lead(); l.ID != pat.id {
				t.Errorf("lead is %s, want Pat still", l.ID)
			}
		})
	}

	handovers := []struct {
		name     string
		by, to   person
		wantCard string // on the roles card answered
	}{
		{"the lead hands over", pat, mo, `"Mo Support now leads the engagement."`},
		{"the MVM hands over", vi, vi, `"Vi Velocity now leads the engagement."`},
		{"the new lead hands back", vi, pat, `"Pat Partner now leads the engagement."`},
	}
	for _, tt := range handovers {
		t.Run(tt.name, func(t *testing.T) {
			before := c.engagement()
			card := cardText(t, replyCard(t, c.say(tt.by, "lead <at>"+tt.to.name+"</at>", tt.to)))
			if !strings.Contains(card, tt.wantCard) {
				t.Errorf("roles card lacks %s: %s", tt.wantCard, card)
			}
			after := c.engagement()
			if after.Version != before.Version+1 || len(after.History) != len(before.History)+1 {
				t.Fatalf("v%d -> v%d, history %d -> %d; want one change", before.Version, after.Version, len(before.History), len(after.History))
			}
			last := after.History[len(after.History)-1]
			if last.Action != playbook.ActionSetLead || last.Actor != tt.by.id || !strings.Contains(last.Detail, tt.to.id) {
				t.Errorf("history entry %+v, want set_lead by %s to %s", last, tt.by.id, tt.to.id)
			}
			if l, _ := after.Lead(); l.ID != tt.to.id {
				t.Errorf("lead is %s, want %s", l.ID, tt.to.id)
			}
			// The old lead keeps their roles.
			if o, _ := before.Lead(); o.ID != tt.to.id {
				if m, _ := after.Member(o.ID); len(m.Roles) == 0 {
					t.Errorf("the old lead %s lost their roles", o.ID)
				}
			}
			// Anyone's roles card shows the new lead.
			roles := cardText(t, replyCard(t, c.say(stranger, "roles")))
			m, _ := after.Member(tt.to.id)
			if want := string(m.Roles[0]) + ` (lead)`; !strings.Contains(roles, want) || strings.Count(roles, "(lead)") != 1 {
				t.Errorf("roles card does not show %s as the one lead: %s", tt.to.name, roles)
			}
		})
	}

	// The old lead no longer may.
	c.say(pat, "lead <at>Mo Support</at>", mo)
	before := c.engagement()
	if s := text(c.say(pat, "lead <at>Vi Velocity</at>", vi)); !strings.Contains(s, "Only the lead (Mo Support)") {
		t.Errorf("old lead handing over: %q", s)
	}
	assertUnchanged(t, c, before)
}

// TestLeadButton: the roles card's "Hand over the lead…" hands the lead to
// the member chosen and announces it to the chat; stale, refused and
// malformed clicks change nothing and announce nothing; from the personal
// chat the announcement goes to the group chat.
func TestLeadButton(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	form := action(t, replyCard(t, c.say(pat, "roles")), "lead", "")
	if form["version"] != float64(c.engagement().Version) {
		t.Fatalf("Make lead data %v, want the engagement's version", form)
	}
	click := func(p person, version int, choice any, personal bool) func() map[string]any {
		return func() map[string]any {
			d := map[string]any{"engagement": c.engagement().ID, "version": version}
			if choice != nil {
				d["lead"] = choice
			}
			a := h.groupInvoke(c.nextID(), p, "lead", d)
			if personal {
				a["conversation"] = map[string]any{"id": "a:personal-" + p.id, "conversationType": "personal", "tenantId": "tenant-1"}
			}
			return a
		}
	}
	cur := func() int { return c.engagement().Version }
	steps := []struct {
		name     string
		act      func() map[string]any
		wantCode int    // an error answer's statusCode; 0: a card
		want     string // in the card or the error
		lead     person // who leads afterwards
		announce string // the announcement; "": none
		personal bool   // the announcement is a new message in the group chat
	}{
		{name: "not the lead", act: click(cy, cur(), mo.id, false), wantCode: refusal, want: "Only the lead", lead: pat},
		{name: "nobody chosen", act: click(pat, cur(), nil, false), wantCode: 400, want: "Choose who", lead: pat},
		{name: "choice not text", act: click(pat, cur(), 7, false), wantCode: 400, want: "chosen from the list", lead: pat},
		{name: "not a member", act: click(pat, cur(), stranger.id, false), wantCode: 400, want: "not a member of the Contoso engagement", lead: pat},
		{name: "Make lead", act: click(pat, cur(), mo.id, false), want: "Mo Support now leads the engagement.", lead: mo,
			announce: "Pat Partner handed the lead of the Contoso engagement to Mo Support."},
		{name: "the same card again", act: click(pat, cur(), vi.id, false), want: "out of date", lead: mo},
		{name: "to a customer", act: func() map[string]any { return click(mo, cur(), cy.id, false)() }, wantCode: 400, want: "never the customer", lead: mo},
		{name: "from the personal chat", act: func() map[string]any { return click(vi, cur(), pat.id, true)() }, want: "Pat Partner now leads the engagement.", lead: pat,
			announce: "Vi Velocity handed the lead of the Contoso engagement to Pat Partner.", personal: true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := c.engagement()
			sentBefore := len(h.sent(groupChat, 0))
			a := s.act()
			ans := c.invoke(a)
			if s.wantCode == 0 {
				if card := cardText(t, ans.card(t)); !strings.Contains(card, s.want) {
					t.Errorf("card lacks %q: %s", s.want, card)
				}
			} else if ans.StatusCode != s.wantCode || !strings.Contains(string(ans.Value), s.want) {
				t.Errorf("answer %d %s, want %d with %q", ans.StatusCode, ans.Value, s.wantCode, s.want)
			}
			after := c.engagement()
			if l, _ := after.Lead(); l.ID != s.lead.id {
				t.Errorf("lead is %s, want %s", l.ID, s.lead.id)
			}
			if s.announce == "" {
				assertUnchanged(t, c, before)
			} else if last := after.History[len(after.History)-1]; after.Version != before.Version+1 || last.Action != playbook.ActionSetLead {
				t.Errorf("v%d -> v%d, last entry %+v; want one set_lead", before.Version, after.Version, last)
			}
			var got []map[string]any
			replies, sent := h.posts(a["id"].(string)), h.sent(groupChat, sentBefore)
			if s.personal {
				got = sent
				if len(replies) != 0 {
					t.Errorf("%d posts in the personal chat, want none", len(replies))
				}
			} else {
				got = replies
				if len(sent) != 0 {
					t.Errorf("%d new messages in the group chat, want none", len(sent))
				}
			}
			switch {
			case s.announce == "" && len(got) != 0:
				t.Errorf("announced %v, want nothing", got)
			case s.announce != "" && (len(got) != 1 || text(got[0]) != s.announce):
				t.Errorf("announced %v, want %q", got, s.announce)
			}
		})
	}
	// Typed, the answer is the announcement: nothing more is posted.
	id := c.nextID()
	c.post(h.groupMessage(id, cy, "lead <at>Pat Partner</at>", pat))
	if n := len(h.posts(id)); n != 1 {
		t.Errorf("typed lead made %d posts, want the answer alone", n)
	}
}
