package bot

import (
	"context"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/playbook"
)

// addressed returns posts as they can go to this conversation: in a
// personal chat, the people are named in bold instead of @mentioned (Teams
// mentions only members of the conversation).
func (t *turn) addressed(posts ...Outgoing) []Outgoing {
	if !t.personal() {
		return posts
	}
	out := make([]Outgoing, len(posts))
	for i, p := range posts {
		p.Entities = nil
		p.Text = strings.NewReplacer("<at>", "**", "</at>", "**").Replace(p.Text)
		out[i] = p
	}
	return out
}

// withPosts returns ans with posts to go out besides the answer: here,
// addressed as this conversation allows; and, when here is the personal
// chat, also to the engagement's channel or group chat with their
// @mentions, through its stored reference (as announce does), since the
// people they are for are there. Without a reference they stay here only.
func (t *turn) withPosts(e *playbook.Engagement, ans answer, posts ...Outgoing) answer {
	ans.posts = append(ans.posts, t.addressed(posts...)...)
	if !t.personal() {
		return ans
	}
	return t.toChannel(e, ans, posts...)
}

// toChannel adds to ans the jobs posting posts to e's channel or group
// chat, through its stored reference, read once. Without one (no Refs, an
// engagement never seen in its conversation, a failed read) nothing is
// posted there: a post is never worth refusing the change it tells of.
func (t *turn) toChannel(e *playbook.Engagement, ans answer, posts ...Outgoing) answer {
	if t.c.Refs == nil || e.Conversation == "" {
		return ans
	}
	ref, err := t.c.Refs.Ref(t.ctx, e.Conversation)
	if err != nil {
		return ans
	}
	for _, p := range posts {
		j, err := proactiveSend(ref, "", p)
		if err != nil {
			return ans
		}
		ans.jobs = append(ans.jobs, j)
	}
	return ans
}

// atTag is the <at> tag that mentions m in a message's text. The name in
// it is escaped like any user text in Markdown (a display name is typed by
// a person), and the mention entity carries the same tag as its text:
// Teams ignores a mention whose text is not found in the message's text
// (docs/conversation.md, "Text people typed, and mentions").
func atTag(m playbook.Member) string { return "<at>" + displayName(m) + "</at>" }

// mentionEntity is a Teams mention entity of m; at is the "<at>Name</at>" that
// the message text holds.
func mentionEntity(m playbook.Member, at string) map[string]any {
	return map[string]any{"type": "mention", "text": at, "mentioned": map[string]any{"id": m.ID, "name": plainName(m)}}
}

// refReader finds a stored conversation reference.
type refReader interface {
	Ref(ctx context.Context, key string) (playbook.ConversationRef, error)
}

// proactivePost is a KindSend job that posts act as a new message in e's
// channel or chat, through the reference its last inbound activity left.
func proactivePost(ctx context.Context, refs refReader, e *playbook.Engagement, key string, act Outgoing) (playbook.Job, error) {
	ref, err := refs.Ref(ctx, e.Conversation)
	if err != nil {
		return playbook.Job{}, err
	}
	return proactiveSend(ref, key, act)
}

// proactiveSend is the job sending act to the conversation of ref, paced
// by the sender's proactive rate limits; key "" for none.
func proactiveSend(ref playbook.ConversationRef, key string, act Outgoing) (playbook.Job, error) {
	return sendJob(key, sendArgs{Op: "send", ServiceURL: ref.ServiceURL, ConversationID: ref.Key, TenantID: ref.TenantID, Proactive: true, Activity: act})
}

// mentionAll is a message to the holders of role r: their <at> tags
// prefixed to text, with the mention entities.
func mentionAll(e *playbook.Engagement, r playbook.Role, text string) Outgoing {
	out := Outgoing{Type: string(schema.Message), TextFormat: "markdown"}
	var ats []string
	for _, m := range e.Holders(r) {
		at := atTag(m)
		ats = append(ats, at)
		out.Entities = append(out.Entities, mentionEntity(m, at))
	}
	if len(ats) > 0 {
		text = strings.Join(ats, ", ") + ": " + text
	}
	out.Text = text
	return out
}

// mentionText prefixes text with an @mention of each of ms (at most 10), so
// Teams notifies them.
func mentionText(ms []playbook.Member, text string) (string, []map[string]any) {
	var tags []string
	var ents []map[string]any
	for _, m := range ms {
		if len(tags) == 10 {
			break
		}
		tag := atTag(m)
		tags = append(tags, tag)
		ents = append(ents, mentionEntity(m, tag))
	}
	if len(tags) == 0 {
		return text, nil
	}
	return strings.Join(tags, ", ") + ": " + text, ents
}
