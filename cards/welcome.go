package cards

// Installed greets a team, group chat or person when the bot is installed
// there. In a team or chat it explains setup; in the personal chat it
// explains next and how to add the bot where an engagement lives.
// bot is the bot's name as Teams shows it, the one people @mention.
func Installed(bot string, personal bool) *Card {
	if personal {
		c := New(
			Title("Welcome to "+bot),
			Text("I run the FastTrack data-migration onboarding playbook. Here, in our chat, **next** lists your tasks across every engagement you belong to, each with a Done button."),
			Text("An engagement lives in a team channel or group chat: add me there (**Apps** → **"+bot+"** → **Add to a team** or **Add to a chat**), then type **@"+bot+" setup**."),
		)
		c.Actions = []Element{quiet(Button("My next steps", VerbNext, ActionData{})), Execute("Help", VerbHelp, nil)}
		return c
	}
	c := New(
		Title("Welcome to "+bot),
		Text("I keep this migration engagement on track: who does what next, progress against the target dates, and the history of every change."),
		Text("To start, the partner (FRP), the MST or the MVM types **@"+bot+" setup** and fills in the customer, the sources and the dates; they become the lead and add the others with **@"+bot+" role @person ROLE**. Then everyone asks **@"+bot+" next**."),
	)
	c.Actions = []Element{Button("Set up the engagement", VerbSetup, ActionData{}), Execute("Help", VerbHelp, nil)}
	return c
}
