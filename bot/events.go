package bot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// eventCommands are the commands of this file (see Command).
var eventCommands = []Command{
	{Name: "events", Usage: "events", Scopes: allScopes,
		Description: "The migration events with their state, pre-flight results and the next step of each",
		Help: "The MVM and the MST start pre-flight, paste its results as CSV (unit,result,reason), mark events ready, start and complete them; the MVM waives pre-flight or cancels, with a reason. " +
			"Failed units are matched to the known errors and their remediation is posted to the customer. Member lists are pasted on the event's card, or come from **mvmbot import batch**. " +
			"An event starts once 1871's needs (3954, 3615, 3282, 4008) are done; the MVM (the MST without one) may start it before with **event 1 start anyway** followed by the reason, an override on record.",
		Rank: 190,
		Run:  func(t *turn, _ string) (answer, error) { return t.events(cards.ActionData{}, "", false) }},
	{Name: "event", Usage: "event <n> start anyway <reason>", Scopes: allScopes,
		Description: "Start migration event n before 1871's needs are done, with the reason (an override on record)",
		Help: "The MVM (the MST without one) only. The override and its reason show in history, status, the weekly report and the feed. " +
			"Example: **event 1 start anyway the customer's deadline moved; 4008 follows next week**.",
		Rank: 195,
		Run:  (*turn).eventCommand},
}

// eventButtons are the buttons of this file's cards (see Button).
var eventButtons = []Button{
	{Verbs: []string{cards.VerbEvents},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.events(d, "", false)
		}},
	{Verbs: []string{cards.VerbEventPreflight, cards.VerbEventResults, cards.VerbEventReady, cards.VerbEventWaive,
		cards.VerbEventStart, cards.VerbEventComplete, cards.VerbEventCancel, cards.VerbEventIssue},
		Run: (*turn).eventButton},
	{Verbs: []string{cards.VerbEventMembers},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.eventMembers(d, raw)
		}},
	// units.go: migration status pasted on the card, and remediation.
	{Verbs: []string{cards.VerbEventStatus},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.eventStatus(d, raw)
		}},
	{Verbs: []string{cards.VerbEventRemediate},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.eventRemediate(d, raw)
		}},
}

// The migration events in the conversation (task 1871): the events card
// with a button per allowed next step, pre-flight results pasted as CSV
// (the failed units' remediations posted to the customer), waivers,
// completion with counts and the FRP's DNS reminder (1370). The rules are
// playbook's (events.go).

// maxRowErrors bounds the CSV row errors one answer lists.
const maxRowErrors = 15

// events answers the events card for the person asking.
func (t *turn) events(d cards.ActionData, notice string, attention bool) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	return answer{card: t.eventsCard(e, notice, attention)}, nil
}

func (t *turn) eventsCard(e *playbook.Engagement, notice string, attention bool) *cards.Card {
	who := t.a.From.ID
	return cards.Events(e, cards.EventsView{Notice: notice, Attention: attention,
		May: func(a playbook.Action) bool { return playbook.Can(e, who, a, nil) == nil }})
}

// eventButton runs the events card's buttons.
func (t *turn) eventButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := cards.DecodeRecord(raw, cards.EventKey, "event", "events")
	if err != nil {
		return answer{}, err
	}
	n, text := b.ID, b.Text
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	who := displayName(t.me())
	var notice string
	var posts []Outgoing
	var jobs []playbook.Job
	switch verb {
	case cards.VerbEventIssue:
		var x playbook.Issue
		if x, err = playbook.IssueFromEvent(e, t.a.From.ID, n, t.now); err == nil {
			notice = fmt.Sprintf("%s opened issue #%d for the failed units of event %d.", who, x.ID, n)
			posts = append(posts, mentionAll(e, playbook.MST, fmt.Sprintf("Issue **#%d**: %s. **issues** lists it.", x.ID, markdown.Escape(x.Title))))
			jobs, err = t.issueSyncJobs(e, x)
		}
	case cards.VerbEventPreflight:
		err = playbook.StartPreflight(e, t.a.From.ID, n, t.now)
		notice = fmt.Sprintf("%s started pre-flight of event %d.", who, n)
	case cards.VerbEventReady:
		err = playbook.MarkReady(e, t.a.From.ID, n, t.now)
		notice = fmt.Sprintf("%s marked event %d ready.", who, n)
	case cards.VerbEventStart:
		err = playbook.StartEvent(e, t.a.From.ID, n, t.now)
		notice = fmt.Sprintf("%s started event %d.", who, n)
	case cards.VerbEventWaive:
		var reason string
		if reason, err = text(cards.EventReasonInput(n)); err == nil {
			err = playbook.WaivePreflight(e, t.a.From.ID, n, reason, t.now)
			notice = fmt.Sprintf("%s waived pre-flight of event %d: %s", who, n, markdown.Escape(strings.TrimSpace(reason)))
		}
	case cards.VerbEventCancel:
		var reason string
		if reason, err = text(cards.CancelReasonInput(n)); err == nil {
			var out playbook.EventOutcome
			out, err = playbook.CancelEvent(e, t.a.From.ID, n, reason, t.now)
			notice = fmt.Sprintf("%s cancelled event %d: %s", who, n, markdown.Escape(strings.TrimSpace(reason)))
			if err == nil && out.RemindDNS {
				posts = append(posts, dnsReminder(e, out.DNSWaits))
			}
		}
	case cards.VerbEventComplete:
		var migrated, failed int
		if migrated, failed, err = cards.DecodeEventCompletion(raw, n); err != nil {
			return answer{}, err
		}
		var out playbook.EventOutcome
		out, err = playbook.CompleteEvent(e, t.a.From.ID, n, migrated, failed, t.now)
		notice = fmt.Sprintf("%s completed event %d: %d migrated, %d failed.", who, n, migrated, failed)
		if p, ok := playbook.LatestPlan(e); ok && err == nil {
			notice += forecastNotice(e, p.Concurrency, t.now)
		}
		if err == nil && out.RemindDNS {
			posts = append(posts, dnsReminder(e, out.DNSWaits))
		}
	case cards.VerbEventResults:
		var csv string
		if csv, err = text(cards.PreflightInput(n)); err != nil {
			return answer{}, err
		}
		results, rowErrs, perr := playbook.ParsePreflightFile([]byte(csv))
		if perr != nil {
			return answer{}, perr
		}
		if len(rowErrs) > 0 {
			return answer{}, playbook.Errorf(playbook.EINVALID, "Nothing was recorded: %d rows of the pre-flight results are wrong.\n\n%s", len(rowErrs), playbook.RowErrorsText(rowErrs, maxRowErrors))
		}
		var s playbook.PreflightSummary
		s, err = playbook.RecordPreflight(e, t.a.From.ID, n, results, t.now)
		notice = fmt.Sprintf("%s recorded pre-flight of event %d: %d passed, %d failed, %d unchecked.", who, n, s.Passed, s.Failed, s.Unchecked)
		if err == nil && len(s.Remediations) > 0 {
			posts = append(posts, remediationPost(e, s))
		}
	default:
		return answer{}, playbook.Errorf(playbook.EINVALID, "This button (%q) is not one I know.", truncate(verb, 40))
	}
	if err != nil {
		return answer{}, err
	}
	bump(e)
	return save(e, t.withPosts(e, answer{card: t.eventsCard(e, notice, false), jobs: jobs}, posts...)), nil
}

// maxRemediationsPosted bounds the failed units one post lists.
const maxRemediationsPosted = 20

// remediationPost tells the customer which units failed pre-flight and
// what fixes each: the customer remediates, never the FRP.
func remediationPost(e *playbook.Engagement, s playbook.PreflightSummary) Outgoing {
	var b strings.Builder
	fmt.Fprintf(&b, "%d units of event %d failed pre-flight. Please remediate them; the MST helps with platform issues, and a re-check that passes clears them.\n\n", s.Failed, s.Event)
	for i, r := range s.Remediations {
		if i == maxRemediationsPosted {
			fmt.Fprintf(&b, "- and %d more: **events** lists them.\n", len(s.Remediations)-i)
			break
		}
		fix := "no known error matches; the MST will look at it."
		if r.Matched {
			fix = r.Known.Meaning + " " + r.Known.Remediation
			if r.Known.Remediates != "" && r.Known.Remediates != playbook.Customer {
				fix += " (the " + string(r.Known.Remediates) + " does this)"
			}
		}
		fmt.Fprintf(&b, "- **%s**: %s → %s\n", truncate(r.Unit, 80), truncate(oneLine(r.Reason), 160), fix)
	}
	return mentionAll(e, playbook.Customer, b.String())
}

// dnsReminder tells the FRP that the mail events are done and 1370 is
// next: at once when nothing else holds it up, else what it waits for, so
// the post never offers a done the playbook refuses.
func dnsReminder(e *playbook.Engagement, waits []playbook.Task) Outgoing {
	const cutover = "the mail migration events are done: the DNS records and mail flow (**1370**) are yours now. Point the MX record at Microsoft 365 and wait for it to propagate; then the MVM stops syncing and removes the batches (Microsoft's order for a cut-over)."
	if len(waits) == 0 {
		return mentionAll(e, playbook.FRP, cutover+" Mark it with **done 1370** when mail flows to Exchange Online.")
	}
	ids := make([]string, len(waits))
	for i, w := range waits {
		ids[i] = "**" + w.Ref() + "** (" + w.Title + ")"
	}
	return mentionAll(e, playbook.FRP, cutover+" You can record **done 1370** once "+strings.Join(ids, ", ")+" is done: other migration events are still open.")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

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
		return who + " started event " + strconv.Itoa(n) + " before the playbook's order allows (an override): " + markdown.Escape(reason)
	}
	return save(e, t.announce(e, answer{text: msg("You")}, msg(t.actorName(e)))), nil
}

// eventMembers sets an event's members from the list pasted in the events
// card, CSV or tab-separated (as Excel copies), checked whole by
// playbook.ParseBatchCSV: a bad row refuses the list, which comes back as
// typed with every bad row under it, and nothing is imported.
func (t *turn) eventMembers(d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := cards.DecodeRecord(raw, cards.EventKey, "event", "events")
	if err != nil {
		return answer{}, err
	}
	n := b.ID
	list, err := b.Text(cards.MembersInput(n))
	if err != nil {
		return answer{}, err
	}
	kindText, err := b.Text(cards.MembersKindInput(n))
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
	bf, rowErrs, perr := playbook.ParseBatchFile(commaSeparated(list), kind)
	members := bf.Members
	switch {
	case len(rowErrs) > 0:
		// One row a paragraph: Teams' Markdown joins single line breaks.
		return refuse(playbook.RowErrorsText(rowErrs, maxRowErrors))
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
	notice := fmt.Sprintf("%s set the members of event %d: %s.", displayName(t.me()), n, cards.Plural(len(members), string(kind)))
	if dropped := bf.Notice(); dropped != "" {
		notice += " " + dropped
	}
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

// maxMembersEcho is the most of a refused member list the events card
// shows back: a card stays under Teams' 28 KB.
const maxMembersEcho = 4 << 10
