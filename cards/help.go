package cards

import "strings"

// Command is one line of the help card.
type Command struct {
	Usage       string // what to type, e.g. "next steps"
	Description string
}

// VerbHelp is the verb of the help card's refresh button.
const VerbHelp = "help"

// Help lists what a person can type. bot is the bot's name as Teams shows
// it, the one people @mention.
func Help(bot string, commands []Command) *Card {
	facts := make([]Fact, len(commands))
	for i, c := range commands {
		facts[i] = Fact{Title: literal(c.Usage), Value: c.Description}
	}
	c := New(
		Title(bot+" — FastTrack migration onboarding"),
		Text("I run the data-migration onboarding playbook for partners, customers and the Migration Support Team. Type one of these (in a channel, @mention me first):"),
		Facts(facts...),
	)
	c.Actions = []Element{Execute("Show this again", VerbHelp, nil)}
	return c
}

// literal escapes the placeholders of a usage line ("done <task id>"),
// which CommonMark reads as HTML tags (or "<hh:mm>" as a link) and Teams
// drops. Only for the bot's own, static text: what people type goes
// through internal/markdown.
func literal(usage string) string {
	return strings.NewReplacer("<", `\<`, ">", `\>`).Replace(usage)
}

// Welcome greets a team, chat or person when the bot is added; bot is its
// name as Teams shows it.
func Welcome(bot string, personal bool) *Card {
	text := "Hi! I keep this migration engagement on track: who does what next, the questionnaire, the MST workshops and the collaboration site. Type **help** to see what I can do."
	if personal {
		text = "Hi! Here you see the migration engagements you belong to. To start one, add me to the engagement's team channel or group chat. Type **help** to see what I can do."
	}
	c := New(Title("Welcome to "+bot), Text(text))
	c.Actions = []Element{Execute("Help", VerbHelp, nil)}
	return c
}

// Message is a card that says one thing, for answers to card actions.
func Message(title, text string) *Card {
	return New(Title(title), Text(text))
}
