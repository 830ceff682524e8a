package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// taskCommands are the commands of this file (see Command).
var taskCommands = []Command{
	{Name: "next", Usage: "next steps", Scopes: allScopes,
		Description: "Your tasks now, each with a Done button, and what your other tasks wait for",
		Help: "In a channel or group chat: your tasks in its engagement, for your roles. In our personal chat: your tasks in every engagement you belong to. " +
			"Each person sees their own view of the card, and it stays current.",
		Rank: 10,
		Run:  func(t *turn, _ string) (answer, error) { return t.next(cards.ActionData{}, "", false, nil) }},
	{Name: "done", Usage: "done <task id>", Scopes: allScopes,
		Description: "Mark a task done, e.g. done 1699",
		Help: "Name the task by its playbook id (1699) or, where an id names two tasks, by its key (workshop-box). " +
			"The task's owner role may do it; a helper role the playbook names (the MST for the customer's tasks) may do it on the owner's behalf. A task waits until the tasks it needs are settled. " +
			"Tasks with evidence complete through it, not through done: 1034 when the questionnaire is submitted, 1672 when it is validated, a workshop when it is marked held, 2979, 3615 and 3282 when the site is ready, 1871 when every event is completed or cancelled, 2323 by closing; done on one of them says how, with the button.",
		Rank: 20,
		Run:  func(t *turn, args string) (answer, error) { return t.taskCommand("done", args) }},
	{Name: "status", Usage: "status [user or path]", Scopes: allScopes,
		Description: "Progress by phase, overdue tasks, the next milestone and the people; or where one user or path is",
		Help: "Anyone in the engagement may look. Due dates come from the target start and end given at set-up. " +
			"**status ann@contoso.com** (the Microsoft 365 address, the source login or a path) says which migration event the unit is in, " +
			"its pre-flight result and its migration status from the imported Get-MigrationUser export (last sync, Microsoft's error, and the known error's fix).",
		Rank: 40,
		Run: func(t *turn, args string) (answer, error) {
			if strings.TrimSpace(args) != "" {
				return t.unitStatus(args)
			}
			return t.view(cards.VerbStatus, cards.ActionData{})
		}},
	{Name: "help", Aliases: []string{"?"}, Usage: "help [command]", Scopes: allScopes,
		Description: "Show what I can do, or how one command works",
		Help:        "Commands work with or without the @mention of me in front, in any case.",
		Rank:        80,
		Run:         (*turn).help},
	{Name: "undo", Usage: "undo <task id>", Scopes: allScopes,
		Description: "Reopen a task marked done or not applicable",
		Help:        "Those who may mark the task may reopen it. A task cannot be reopened while a task that needs it is settled: reopen that first.",
		Rank:        90,
		Run:         func(t *turn, args string) (answer, error) { return t.taskCommand("undo", args) }},
	{Name: "na", Usage: "na <task id> <reason>", Scopes: allScopes,
		Description: "Mark an optional or conditional task not applicable, with the reason",
		Help: "Only optional and conditional tasks (3614, 3217, hybrid 3160, 1370) may be marked; the reason goes into the history. " +
			"Example: **na 3217 the customer has enough licenses**.",
		Rank: 100,
		Run:  func(t *turn, args string) (answer, error) { return t.taskCommand("na", args) }},
	{Name: "history", Usage: "history", Scopes: allScopes,
		Description: "The last 20 changes to the engagement, who made them and when",
		Help:        "Every change is recorded, and nothing removes an entry.",
		Rank:        110,
		Run:         func(t *turn, _ string) (answer, error) { return t.view(cards.VerbHistory, cards.ActionData{}) }},
}

// taskButtons are the buttons of this file's cards (see Button).
var taskButtons = []Button{
	{Verbs: []string{cards.VerbHelp},
		Run: func(t *turn, _ string, _ cards.ActionData, _ json.RawMessage) (answer, error) {
			return answer{card: t.reg.helpCard(t.botName())}, nil
		}},
	{Verbs: []string{cards.VerbNext},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.next(d, "", false, nil)
		}},
	{Verbs: []string{cards.VerbDone, cards.VerbUndo, cards.VerbNA},
		Run: (*turn).taskButton},
	{Verbs: []string{cards.VerbHistory},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.history(d, raw)
		}},
	{Verbs: []string{cards.VerbStatus},
		Run: func(t *turn, verb string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			return t.view(verb, d)
		}},
}

// view answers status, roles and history.
func (t *turn) view(verb string, d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	switch verb {
	case cards.VerbStatus:
		return answer{card: cards.Status(e, t.now, progressPicture(e, t.now))}, nil
	case cards.VerbRoles:
		return answer{card: cards.Roles(e, "", t.a.From.ID)}, nil
	}
	c, err := historyCard(t.ctx, t.c.Engagements, e, 1)
	if err != nil {
		return answer{}, err
	}
	return answer{card: c}, nil
}

// next answers with the person's task card; notice and undo come from a
// change just made.
func (t *turn) next(d cards.ActionData, notice string, attention bool, undo *cards.ActionData) (answer, error) {
	v := cards.NextView{PersonID: t.a.From.ID, Name: t.a.From.Name, Notice: notice, Attention: attention, Undo: undo, Personal: t.personal()}
	if t.personal() && d.Engagement == "" {
		if err := t.needStore(); err != nil {
			return answer{}, err
		}
		var card *cards.Card
		v.Compact = true
		err := t.viewMine(func(es []*playbook.Engagement) {
			v.Sections = es
			card = cards.Next(v)
		})
		if err != nil {
			return answer{}, err
		}
		return answer{card: card}, nil
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if t.personal() {
		// A section of the personal card was clicked: show them all.
		if es, err := t.mine(); err == nil {
			v.Sections = es
			if !slices.ContainsFunc(es, func(x *playbook.Engagement) bool { return x.ID == e.ID }) {
				v.Sections = append(v.Sections, e)
			}
			return answer{card: cards.Next(v)}, nil
		}
	}
	v.Sections = []*playbook.Engagement{e}
	return answer{card: cards.Next(v)}, nil
}

// taskCommand runs done, undo and na typed as text.
func (t *turn) taskCommand(verb, args string) (answer, error) {
	ref, reason, _ := strings.Cut(args, " ")
	if ref == "" {
		c, _ := t.reg.lookup(verb)
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say which task: **%s**, e.g. %s.", c.Usage, strings.Replace(c.Usage, "<task id>", "1699", 1))
	}
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	task, err := t.apply(e, verb, ref, reason)
	if err != nil {
		if ans, ok := t.evidenceRefusal(e, ref, err); ok && verb == cards.VerbDone {
			return ans, nil
		}
		return answer{}, err
	}
	bump(e)
	ans := answer{text: t.doneText(e, verb, task, markdown.Escape(t.a.From.Name))}
	return save(e, t.announce(e, ans, t.doneText(e, verb, task, t.actorName(e)))), nil
}

// apply runs one task transition on e.
func (t *turn) apply(e *playbook.Engagement, verb, ref, reason string) (playbook.Task, error) {
	switch verb {
	case cards.VerbDone:
		return playbook.MarkDone(e, t.a.From.ID, ref, t.now)
	case cards.VerbUndo:
		return playbook.Reopen(e, t.a.From.ID, ref, t.now)
	}
	return playbook.MarkNotApplicable(e, t.a.From.ID, ref, reason, t.now)
}

// doneText says what a task transition recorded, with who as its subject
// ("You" when empty).
func (t *turn) doneText(e *playbook.Engagement, verb string, task playbook.Task, who string) string {
	if who == "" {
		who = "You"
	}
	var what string
	switch verb {
	case cards.VerbDone:
		what = "marked **" + task.Ref() + "** " + task.Title + " done"
		if st := e.State(task.Key); st.OnBehalfOf != "" {
			what += " on behalf of the " + string(st.OnBehalfOf)
		}
	case cards.VerbUndo:
		what = "reopened **" + task.Ref() + "** " + task.Title
	default:
		what = "marked **" + task.Ref() + "** " + task.Title + " not applicable: " + markdown.Escape(e.State(task.Key).Reason)
	}
	p := playbook.Progress(e)
	return fmt.Sprintf("%s %s. The %s engagement is %d%% done.", who, what, markdown.Escape(e.Customer), p.Overall.Percent())
}

// taskButton runs Done, Undo and Not applicable clicked on a task card.
// The card's version must be the engagement's: a stale card answers with
// the current state and changes nothing.
func (t *turn) taskButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	if d.Task == "" || d.Version == 0 {
		return answer{}, playbook.Errorf(playbook.EINVALID, "This button does not say which task or which version of the engagement it was made for, so nothing was changed. Type **next** for a current card.")
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if d.Version != e.Version {
		return t.next(cards.ActionData{Engagement: e.ID}, staleNotice(e, d), true, nil)
	}
	reason := ""
	if verb == cards.VerbNA {
		if reason, err = cards.DecodeNAReason(raw, d); err != nil {
			return answer{}, err
		}
	}
	task, err := t.apply(e, verb, d.Task, reason)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	notice := t.doneText(e, verb, task, markdown.Escape(t.a.From.Name))
	var undo *cards.ActionData
	if verb != cards.VerbUndo {
		undo = &cards.ActionData{Engagement: e.ID, Version: e.Version, Task: task.Key}
	}
	ans := answer{card: t.nextCard(e, notice, undo)}
	return save(e, t.announce(e, ans, t.doneText(e, verb, task, t.actorName(e)))), nil
}

// nextCard is the task card of e as it will be once saved.
func (t *turn) nextCard(e *playbook.Engagement, notice string, undo *cards.ActionData) *cards.Card {
	v := cards.NextView{PersonID: t.a.From.ID, Name: t.a.From.Name, Notice: notice, Undo: undo, Personal: t.personal(), Sections: []*playbook.Engagement{e}}
	if t.personal() {
		if es, err := t.mine(); err == nil {
			for i, x := range es {
				if x.ID == e.ID {
					es[i] = e
				}
			}
			v.Sections = es
		}
	}
	return cards.Next(v)
}

// staleNotice says why a click on an old card changed nothing.
func staleNotice(e *playbook.Engagement, d cards.ActionData) string {
	msg := "This card was out of date (the engagement changed since it was made), so nothing was changed. Here is the current state."
	if st := e.State(d.Task); st.Status != playbook.StatusOpen {
		by := st.By
		if m, ok := e.Member(st.By); ok && m.Name != "" {
			by = m.Name
		}
		ref := d.Task
		if ts, err := playbook.LookupTask(d.Task); err == nil && len(ts) == 1 {
			ref = ts[0].Ref()
		}
		msg = fmt.Sprintf("%s was already marked %s by %s on %s, so nothing was changed. Here is the current state.",
			ref, strings.ReplaceAll(string(st.Status), "_", " "), by, st.At.Format("2 Jan 15:04"))
	}
	return msg
}

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

// history answers the history card's buttons: data.page (1, the newest,
// when absent) of the audit history.
func (t *turn) history(d cards.ActionData, raw json.RawMessage) (answer, error) {
	page, err := cards.DecodePage(raw, 1, "This button does not say which page of the history it is for. Type **history** for a fresh card.")
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	c, err := historyCard(t.ctx, t.c.Engagements, e, page)
	if err != nil {
		return answer{}, err
	}
	return answer{card: c}, nil
}
