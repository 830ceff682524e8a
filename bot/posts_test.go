package bot_test

import (
	"net/http"
	"strings"
	"testing"
)

// posts returns what the bot posted in answer to activity id, once every
// queued post has gone out.
func (h *harness) posts(id string) []map[string]any {
	h.t.Helper()
	h.drain()
	var out []map[string]any
	for _, c := range h.conn.Calls() {
		if c.Method == http.MethodPost && c.ActivityID == id {
			out = append(out, c.Activity())
		}
	}
	return out
}

// sent returns the new messages (not replies) the bot has posted to the
// conversation conv, the first skip left out.
func (h *harness) sent(conv string, skip int) []map[string]any {
	h.t.Helper()
	h.drain()
	var out []map[string]any
	for _, c := range h.conn.Calls() {
		if c.Method == http.MethodPost && c.ActivityID == "" && c.ConversationID == conv {
			out = append(out, c.Activity())
		}
	}
	return out[min(skip, len(out)):]
}

// TestAnnouncements: a change made by a button in the group chat is
// announced to the chat in one short post naming the person and the task,
// besides the invoke answer that updates the clicker's card. Typed
// commands (already seen by everyone), refused and stale clicks announce
// nothing. A change made in the personal chat, typed or clicked, is
// announced in the group chat instead (a proactive post, not a reply).
func TestAnnouncements(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	inPersonal := func(a map[string]any) map[string]any {
		a["conversation"] = map[string]any{"id": "a:personal-" + a["from"].(map[string]any)["id"].(string), "conversationType": "personal", "tenantId": "tenant-1"}
		delete(a, "entities")
		return a
	}

	type step struct {
		name string
		// act makes the activity from the current engagement's id and
		// version (the data of a fresh card).
		act func(id string, version int) map[string]any
		// want are the substrings of the one announcement, in order of
		// importance; nil: no announcement.
		want []string
		// typed: the answer is a message, not an invoke answer.
		typed bool
		// refused: the click is answered with an error and changes nothing.
		refused bool
		// personal: the announcement is a new message in the group chat,
		// not a reply.
		personal bool
	}
	click := func(p person, verb, task string, inputs map[string]any) func(string, int) map[string]any {
		return func(id string, version int) map[string]any {
			d := map[string]any{"engagement": id, "version": version, "task": task}
			for k, v := range inputs {
				d[k] = v
			}
			return h.groupInvoke(c.nextID(), p, verb, d)
		}
	}
	steps := []step{
		{name: "Done by the owner", act: click(pat, "done", "assessment", nil),
			want: []string{"Pat Partner marked **1699**", "done", "Contoso"}},
		{name: "Undo", act: click(pat, "undo", "assessment", nil),
			want: []string{"Pat Partner reopened **1699**"}},
		{name: "Done again by the owner", act: click(pat, "done", "assessment", nil),
			want: []string{"Pat Partner marked **1699**"}},
		{name: "Not applicable with the reason", act: click(vi, "na", "temporary-licenses", map[string]any{"reason-temporary-licenses": "enough licenses"}),
			want: []string{"Vi Velocity marked **3217**", "not applicable: enough licenses"}},
		{name: "refused click", refused: true, act: click(cy, "done", "core-onboarding", nil)},
		{name: "stale click", act: func(id string, version int) map[string]any {
			return h.groupInvoke(c.nextID(), pat, "done", map[string]any{"engagement": id, "version": version - 1, "task": "core-onboarding"})
		}},
		{name: "typed done", typed: true, act: func(string, int) map[string]any {
			return h.groupMessage(c.nextID(), pat, "done 3217")
		}},
		{name: "click in the personal chat", personal: true, act: func(id string, version int) map[string]any {
			return inPersonal(h.groupInvoke(c.nextID(), pat, "done", map[string]any{"engagement": id, "version": version, "task": "core-onboarding"}))
		}, want: []string{"Pat Partner marked **core-onboarding**"}},
		{name: "typed in the personal chat", personal: true, typed: true, act: func(string, int) map[string]any {
			return inPersonal(h.groupMessage(c.nextID(), pat, "undo core-onboarding"))
		}, want: []string{"Pat Partner reopened **core-onboarding**"}},
		{name: "refused in the personal chat", personal: true, typed: true, act: func(string, int) map[string]any {
			return inPersonal(h.groupMessage(c.nextID(), cy, "done core-onboarding"))
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := c.engagement()
			sentBefore := len(h.sent(groupChat, 0))
			a := s.act(before.ID, before.Version)
			id := a["id"].(string)
			posts := 0
			switch {
			case s.typed:
				c.post(a)
				posts = 1 // the answer itself
			case s.refused:
				if ans := c.invoke(a); ans.Type != refusalType {
					t.Errorf("refused click answered %d %s %s", ans.StatusCode, ans.Type, ans.Value)
				}
				assertUnchanged(t, c, before)
			default:
				c.invoke(a).card(t)
			}
			if s.want != nil && !s.personal {
				posts = 1
			}
			got := h.posts(id)
			if len(got) != posts {
				t.Fatalf("%d posts in answer to %s, want %d: %v", len(got), id, posts, got)
			}
			sent := h.sent(groupChat, sentBefore)
			if s.personal {
				got = sent
			} else if len(sent) != 0 {
				t.Errorf("a change in the group chat made %d new messages there: %v", len(sent), sent)
			}
			if s.want == nil {
				if s.personal && len(sent) != 0 {
					t.Errorf("%d messages in the group chat, want none: %v", len(sent), sent)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d announcements, want 1: %v", len(got), got)
			}
			msg := text(got[0])
			if _, card := got[0]["attachments"]; card || strings.Contains(msg, "\n") {
				t.Errorf("announcement is not one line of text: %v", got[0])
			}
			for _, w := range s.want {
				if !strings.Contains(msg, w) {
					t.Errorf("announcement %q lacks %q", msg, w)
				}
			}
		})
	}
}
