package bot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// The paths of issue 18 (the engagement's record stays true): a task that
// completes through its evidence answers "done" with how, and the
// overrides the playbook allows are typed with their reason.

// evidenceRefusal is the answer to "done" on a task whose evidence is
// missing: how it completes, with the button that leads there. ok is false
// when err is not such a refusal.
func (t *turn) evidenceRefusal(e *playbook.Engagement, ref string, err error) (answer, bool) {
	if playbook.ErrorCode(err) != playbook.EINVALID {
		return answer{}, false
	}
	task, rerr := playbook.ResolveTask(e, ref)
	if rerr != nil {
		return answer{}, false
	}
	c := playbook.HowCompletes(e, task)
	if c.Evidence == playbook.EvidenceNone || c.Present || playbook.ErrorMessage(err) != c.How {
		return answer{}, false
	}
	return answer{card: cards.HowCompletes(e, task, c)}, true
}

// workshopCommand answers "workshop <task> held elsewhere <reason>": a
// workshop held elsewhere, recorded as an override. Plain "workshop"
// is the workshops card.
func (t *turn) workshopCommand(args string) (answer, error) {
	ref, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	const held = "held elsewhere"
	if !strings.HasPrefix(strings.ToLower(rest), held) {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say **workshop** and the task, **held elsewhere** and where and when, e.g. **workshop 1635 held elsewhere Teams call with the customer on 2 March**; or type **workshops** for the card.")
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	task, err := playbook.MarkHeldElsewhere(e, t.a.From.ID, ref, rest[len(held):], t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	msg := func(who string) string {
		return who + " recorded **" + task.Ref() + "** " + task.Title + " as held elsewhere (an override): " + strings.TrimPrefix(e.State(task.Key).Reason, "held elsewhere: ")
	}
	return save(e, t.announce(e, answer{text: msg("You")}, msg(t.actorName(e)))), nil
}

// eventCommand answers "event <n> start anyway <reason>": the migration
// manager starts an event before 1871's needs are done, recorded as an
// override.
func (t *turn) eventCommand(args string) (answer, error) {
	f := strings.Fields(args)
	usage := playbook.Errorf(playbook.EINVALID, "Say **event**, its number, **start anyway** and the reason, e.g. **event 1 start anyway the customer's deadline**; or type **events** for the card.")
	if len(f) < 3 || !strings.EqualFold(f[1], "start") || !strings.EqualFold(f[2], "anyway") {
		return answer{}, usage
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return answer{}, usage
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	reason := strings.Join(f[3:], " ")
	if err := playbook.StartEventAnyway(e, t.a.From.ID, n, reason, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	msg := func(who string) string {
		return who + " started event " + strconv.Itoa(n) + " before the playbook's order allows (an override): " + reason
	}
	return save(e, t.announce(e, answer{text: msg("You")}, msg(t.actorName(e)))), nil
}

// history answers the history card's buttons: data.page (1, the newest,
// when absent) of the audit history.
func (t *turn) history(d cards.ActionData, raw json.RawMessage) (answer, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return answer{}, err
	}
	page := 1
	if v, ok := m["page"]; ok && v != nil {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
			return answer{}, playbook.Errorf(playbook.EINVALID, "This button does not say which page of the history it is for. Type **history** for a fresh card.")
		}
		page = int(f)
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: cards.History(e, page)}, nil
}

// reinstalled is the answer to the bot being added again to a channel or
// group chat that already has an engagement: its status, not the welcome
// that asks to set one up. Nil when there is none (or it cannot be read:
// the welcome is the safe answer then).
func (t *turn) reinstalled() *cards.Card {
	if t.personal() || t.c.Engagements == nil {
		return nil
	}
	e, err := t.c.Engagements.EngagementByConversation(t.ctx, t.a.ConversationKey())
	if err != nil {
		return nil
	}
	c := cards.Status(e, t.now, progressPicture(e, t.now))
	c.Body = append([]cards.Element{c.Body[0], cards.Notice(t.botName()+" is back in this conversation. The "+markdown.Escape(e.Customer)+" engagement continues where it was: here is its status.", false)}, c.Body[1:]...)
	return c
}

// maxMembersEcho is the most of a refused member list the events card
// shows back: a card stays under Teams' 28 KB.
const maxMembersEcho = 4 << 10

// eventMembers sets an event's members from the list pasted in the events
// card, CSV or tab-separated (as Excel copies), checked whole by
// playbook.ParseBatchCSV: a bad row refuses the list, which comes back as
// typed with every bad row under it, and nothing is imported.
func (t *turn) eventMembers(d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := decodeButton(raw, cards.EventKey, "event", "events")
	if err != nil {
		return answer{}, err
	}
	n := b.id
	list, err := b.text(cards.MembersInput(n))
	if err != nil {
		return answer{}, err
	}
	kindText, err := b.text(cards.MembersKindInput(n))
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := playbook.Can(e, t.a.From.ID, playbook.ActionEventMembers, nil); err != nil {
		return answer{}, err
	}
	kind := playbook.BatchKind(strings.TrimSpace(kindText))
	refuse := func(msg string) (answer, error) {
		f := &cards.MembersForm{Event: n, Raw: list, Kind: kind, Error: msg}
		if len(list) > maxMembersEcho {
			f.Raw = ""
			f.Error += " (The list is too long to show back here: fix it where you copied it from and paste it again.)"
		}
		who := t.a.From.ID
		return answer{card: cards.Events(e, cards.EventsView{Notice: fmt.Sprintf("Nothing was imported for event %d.", n), Attention: true, Members: f,
			May: func(a playbook.Action) bool { return playbook.Can(e, who, a, nil) == nil }})}, nil
	}
	members, rowErrs, perr := playbook.ParseBatchCSV(commaSeparated(list), kind)
	switch {
	case len(rowErrs) > 0:
		// One row a paragraph: Teams' Markdown joins single line breaks.
		return refuse(strings.ReplaceAll(strings.TrimSpace(playbook.RowErrorsText(rowErrs, maxRowErrors)), "\n", "\n\n"))
	case perr != nil:
		if !personError(perr) {
			return answer{}, perr
		}
		return refuse(playbook.ErrorMessage(perr))
	}
	if err := playbook.SetEventMembers(e, t.a.From.ID, n, kind, members, t.now); err != nil {
		if !personError(err) {
			return answer{}, err
		}
		return refuse(playbook.ErrorMessage(err))
	}
	bump(e)
	notice := fmt.Sprintf("%s set the members of event %d: %d %s.", displayName(t.me()), n, len(members), kind)
	return save(e, answer{card: t.eventsCard(e, notice, false)}), nil
}

// commaSeparated turns a tab-separated paste (Excel copies cells so) into
// CSV for the batch parser; a list whose first line has no tab is CSV
// already and is returned as it is.
func commaSeparated(s string) []byte {
	first, _, _ := strings.Cut(s, "\n")
	if !strings.Contains(first, "\t") {
		return []byte(s)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for line := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteByte('\n') // kept, so that row errors name the pasted lines
			continue
		}
		_ = w.Write(strings.Split(line, "\t")) // a bytes.Buffer does not fail
		w.Flush()
	}
	return b.Bytes()
}
