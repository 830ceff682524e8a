package bot

import (
	"strings"

	"github.com/mvmbot/mvmbot/cards"
)

// Command is one entry of the command table: the help card, help for one
// command, and the Teams app manifest's command lists are all built from
// it, so they cannot drift from what the bot understands.
type Command struct {
	Name        string   // the first word, lower case
	Usage       string   // how to type it
	Description string   // one line, at most 128 characters (manifest limit)
	Scopes      []string // Teams scopes where it works: team, groupChat, personal
	Help        string   // what "help <name>" adds: details, examples, who may
}

var (
	allScopes   = []string{"team", "groupChat", "personal"}
	sharedScope = []string{"team", "groupChat"}
)

// Commands returns the command table, most useful first: the manifest's
// command menu takes at most 10 per scope, in this order, so the last ones
// of a scope past 10 are left out of the menu; help lists them all.
func Commands() []Command {
	return []Command{
		{Name: "next", Usage: "next steps", Scopes: allScopes,
			Description: "Your tasks now, each with a Done button, and what your other tasks wait for",
			Help: "In a channel or group chat: your tasks in its engagement, for your roles. In our personal chat: your tasks in every engagement you belong to. " +
				"Each person sees their own view of the card, and it stays current."},
		{Name: "done", Usage: "done <task id>", Scopes: allScopes,
			Description: "Mark a task done, e.g. done 1699",
			Help: "Name the task by its playbook id (1699) or, where an id names two tasks, by its key (workshop-box). " +
				"The task's owner role may do it; a helper role the playbook names (the MST for the customer's tasks) may do it on the owner's behalf. A task waits until the tasks it needs are settled. " +
				"Tasks with evidence complete through it, not through done: 1034 when the questionnaire is submitted, 1672 when it is validated, a workshop when it is marked held, 2979, 3615 and 3282 when the site is ready, 1871 when every event is completed or cancelled, 2323 by closing; done on one of them says how, with the button."},
		{Name: "questionnaire", Usage: "questionnaire [show|diff|export]", Scopes: allScopes,
			Description: "Fill in the migration questionnaire (1034), or show, compare or export the latest version",
			Help: "**questionnaire** opens the form at the saved draft or the latest version: Next and Back move between sections, Save draft keeps your values unchecked, Submit checks everything and makes a new version. " +
				"The customer fills it in, the MST helps; the MVM (the MST without IMAP) validates it or asks for changes (1672). " +
				"**questionnaire show** is the latest version, **questionnaire diff** what changed from the one before, **questionnaire export** the answers as JSON and CSV. " +
				"Never put passwords or keys in it: they go through the secure credential process (3614)."},
		{Name: "status", Usage: "status", Scopes: allScopes,
			Description: "Progress by phase, overdue tasks, the next milestone and the people",
			Help:        "Anyone in the engagement may look. Due dates come from the target start and end given at set-up."},
		{Name: "setup", Usage: "setup", Scopes: sharedScope,
			Description: "Set up this conversation's migration engagement, or see and edit it",
			Help: "Opens a form: customer, tenant domain, sources, on-premises Exchange, the customer's segment (Commercial, Government, Education, Nonprofit: an MVM is engaged for IMAP and outside Commercial), target dates and your own role (FRP, MST or MVM; the customer is invited later). " +
				"You become the lead. In a conversation that has an engagement, shows it with an Edit button for the lead and the MVM."},
		{Name: "roles", Usage: "roles", Scopes: allScopes,
			Description: "Who holds which role in the engagement",
			Help:        "Lists the members, their roles and the lead, and the roles nobody holds yet."},
		{Name: "role", Usage: "role @person FRP", Scopes: sharedScope,
			Description: "Give a person a role (FRP, Customer, MST, MVM), or take it away with -FRP",
			Help: "Mention the person: **role @Grace MST** gives the role, **role @Grace -MST** takes it away. The lead or the MVM may do it. " +
				"MVM exists only in IMAP engagements and for customers outside the commercial segment. The lead is an FRP, MST or MVM, never the customer; removing the last holder of a role with open tasks is the lead's decision."},
		{Name: "help", Usage: "help [command]", Scopes: allScopes,
			Description: "Show what mvmbot can do, or how one command works",
			Help:        "Commands work with or without @mvmbot in front, in any case."},
		{Name: "undo", Usage: "undo <task id>", Scopes: allScopes,
			Description: "Reopen a task marked done or not applicable",
			Help:        "Those who may mark the task may reopen it. A task cannot be reopened while a task that needs it is settled: reopen that first."},
		{Name: "na", Usage: "na <task id> <reason>", Scopes: allScopes,
			Description: "Mark an optional or conditional task not applicable, with the reason",
			Help: "Only optional and conditional tasks (3614, 3217, hybrid 3160, 1370) may be marked; the reason goes into the history. " +
				"Example: **na 3217 the customer has enough licenses**."},
		{Name: "history", Usage: "history", Scopes: allScopes,
			Description: "The last 20 changes to the engagement, who made them and when",
			Help:        "Every change is recorded, and nothing removes an entry."},
		{Name: "lead", Usage: "lead @person", Scopes: sharedScope,
			Description: "Hand the engagement's lead to another member",
			Help: "Mention the person: **lead @Grace**. The lead or the MVM may do it, and it is recorded in the history. " +
				"The new lead must already hold a role here (give one with **role @Grace MST** first); the old lead keeps their roles."},
		{Name: "note", Usage: "note <text>", Scopes: allScopes,
			Description: "Write a dated status note into the engagement's history",
			Help: "The MVM, the MST or the FRP may write notes; they are never edited nor removed. " +
				"A note that looks like it holds a password or key is refused."},
		{Name: "escalate", Usage: "escalate [low|medium|high|critical] <text>", Scopes: allScopes,
			Description: "Escalate a problem to the single point of contact (the MVM, else the MST lead)",
			Help: "Anyone in the engagement may escalate; the severity is medium unless the first word says otherwise. " +
				"The point of contact is @mentioned and reminded until they acknowledge it. Example: **escalate high pre-flight keeps failing for 40 mailboxes**."},
		{Name: "escalations", Usage: "escalations", Scopes: allScopes,
			Description: "The engagement's escalations with their age, to acknowledge and resolve",
			Help:        "Anyone may look; the point of contact gets Acknowledge and Resolve buttons."},
		{Name: "report", Usage: "report [csv|schedule <day> <hh:mm>]", Scopes: allScopes,
			Description: "The weekly status report now, the engagement as CSV, or when the report is posted",
			Help: "Units against the plan and this month's forecast, the next events, pre-flight failures, issues, escalations, overdue tasks, notes and the success metrics. " +
				"It is also posted every week, Monday 09:00 in the customer's time zone from the questionnaire unless **report schedule friday 16:00** (the MVM or the MST) says otherwise; **report schedule off** stops the post. **report csv** gives months, events, units, issues and tasks for a spreadsheet."},
		{Name: "workshops", Usage: "workshops", Scopes: sharedScope,
			Description: "The MST workshops with their state; schedule, reschedule, cancel or mark them held",
			Help: "Lists the migration workshop of each source, Migration Hub (4027), secure connectivity (3312), Power BI (4008) and, when the questionnaire asks for it or someone adds it, the credential review (3614). " +
				"**Schedule** asks for a duration, the earliest date and a daily window in the customer's time zone, then proposes slots; **Schedule together** books the migration and Migration Hub workshops as one meeting. " +
				"The MST, the MVM, the FRP and the lead may schedule; Mark held completes the workshop's tasks. " +
				"A workshop held outside mvmbot is recorded, as an override, with **workshop 1635 held elsewhere <where and when>**."},
		{Name: "plan", Usage: "plan", Scopes: allScopes,
			Description: "Propose the migration schedule from the validated questionnaire, adjust it and accept it",
			Help: "The MVM (the MST where there is no IMAP) gets a card with the proposed pilot and velocity batches, why the batch size was chosen and the units per month. " +
				"Adjust the pilot size, the batch size, the most units per day and weekends, then Recalculate or Accept: each accepted plan is a new version, and events keep their numbers."},
		{Name: "events", Usage: "events", Scopes: allScopes,
			Description: "The migration events with their state, pre-flight results and the next step of each",
			Help: "The MVM and the MST start pre-flight, paste its results as CSV (unit,result,reason), mark events ready, start and complete them; the MVM waives pre-flight or cancels, with a reason. " +
				"Failed units are matched to the known errors and their remediation is posted to the customer. Member lists come from **mvmbot import batch**. " +
				"An event starts once 1871's needs (3954, 3615, 3282, 4008) are done; the MVM (the MST without one) may start it before with **event 1 start anyway <reason>**, an override on record."},
		{Name: "site", Usage: "site", Scopes: sharedScope,
			Description: "The migration collaboration site: set it up (new or existing SharePoint site), see its links, repair it",
			Help: "The MST, the MVM or the lead uses the customer's existing SharePoint site or has mvmbot create one with a Microsoft 365 group. " +
				"mvmbot then makes the library Migration documents and the lists Migration issues and Known migration errors, and marks 2979, 3615 and 3282 done. " +
				"Repair makes whatever is missing again. Without Graph configured, the issue tracker is kept in mvmbot (issues export)."},
		{Name: "issue", Usage: "issue", Scopes: allScopes,
			Description: "Report a migration issue: what, source, affected user or path, error text, severity",
			Help: "Anyone in the engagement may report. The error text is checked against the known migration errors and the fix is shown at once; " +
				"the MST is mentioned, and the issue goes to the tracker list on the collaboration site."},
		{Name: "issues", Usage: "issues [export]", Scopes: allScopes,
			Description: "The open migration issues, ten per page, to assign, resolve or escalate; export gives CSV",
			Help: "The MVM and the MST assign; the MVM, the MST and the customer resolve; anyone escalates to the single point of contact (the MVM for IMAP, the MST otherwise). " +
				"**issues 2** is the second page, **issues export** every issue as CSV."},
		{Name: "feed", Usage: "feed [new|revoke <engagement id>]", Scopes: []string{"personal"},
			Description: "The read-only reporting feed for Power BI: create, rotate or revoke its key",
			Help: "In our personal chat only, since the key is shown once and to you alone. **feed** lists your engagements and whether their feed has a key; " +
				"**feed new <id>** makes a key (a new one replaces the old), **feed revoke <id>** closes the feed. The MVM (the MST without IMAP) may. " +
				"Power BI reads `/api/reports/<id>.json` or `.csv` with the key as `?key=` (docs/reporting.md)."},
		{Name: "close", Usage: "close", Scopes: allScopes,
			Description: "The close-out checklist (2323): check or waive each item, send the survey, then close",
			Help: "The MVM (the MST without IMAP) checks the items or waives them with a reason and sends the satisfaction survey to the customer; the lead or the MVM closes once every item is settled. " +
				"A closed engagement is read-only."},
	}
}

// lookupCommand returns the command named name (lower case).
func lookupCommand(name string) (Command, bool) {
	for _, c := range Commands() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

// splitCommand returns the first word of text, lower-cased, and the rest
// as typed.
func splitCommand(text string) (string, string) {
	name, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	return strings.ToLower(name), strings.TrimSpace(rest)
}

func helpCard() *cards.Card {
	cmds := Commands()
	lines := make([]cards.Command, len(cmds))
	for i, c := range cmds {
		lines[i] = cards.Command{Usage: c.Usage, Description: c.Description}
	}
	return cards.Help(lines)
}
