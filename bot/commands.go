package bot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mvmbot/mvmbot/cards"
)

// Command is one typed command. Help, help for one command, the Teams app
// manifest's command menu and dispatch all read the same values (as cmd/go's
// Command slice drives both "go help" and dispatch), so a command cannot be
// listed and not run, or run and not listed.
//
// A capability declares its commands in a var table next to its handlers
// (workshops.go's workshopCommands, ...), and capabilities
// lists the tables.
type Command struct {
	Name        string   // the first word, lower case
	Aliases     []string // other first words that run it, lower case
	Usage       string   // how to type it
	Description string   // one line, at most 128 characters (manifest limit)
	Scopes      []string // Teams scopes where it works: team, groupChat, personal
	Help        string   // what "help <name>" adds: details, examples, who may
	// Rank places the command in help and in the manifest's menu, lowest
	// first. The menu takes at most 10 per scope, in this order, so the
	// most useful commands rank lowest.
	Rank int
	// Run answers the command; args is the text after the first word, as
	// typed.
	Run func(t *turn, args string) (answer, error)
}

// Button is what a card's buttons do: the verbs (cards.Verb...) it answers
// and Run, which gets the verb, the data every button carries and the raw
// data with the card's inputs, which Run reads with the card's own decoder
// (cards.DecodeX), never by map lookups. A capability declares its buttons next to its handlers, as it
// does its commands.
type Button struct {
	Verbs []string
	Run   buttonFunc
}

var (
	allScopes   = []string{"team", "groupChat", "personal"}
	sharedScope = []string{"team", "groupChat"}
)

type buttonFunc func(t *turn, verb string, d cards.ActionData, raw json.RawMessage) (answer, error)

// capabilities are the command and button tables of the capability files,
// the one place a new file's tables are registered.
func capabilities() ([][]Command, [][]Button) {
	return [][]Command{taskCommands, setupCommands, roleCommands, questionnaireCommands, escalationCommands,
			reportCommands, workshopCommands, planCommands, eventCommands, siteCommands, feedCommands, closeCommands,
			unitStatusCommands},
		[][]Button{taskButtons, setupButtons, roleButtons, questionnaireButtons, escalationButtons,
			reportButtons, workshopButtons, planButtons, eventButtons, siteButtons, closeButtons, pickButtons, attachButtons}
}

// registry is the commands and buttons of every capability, indexed.
type registry struct {
	commands []Command           // by Rank
	byWord   map[string]*Command // names and aliases
	byVerb   map[string]buttonFunc
}

// newRegistry indexes the tables. A name, alias or verb claimed twice, or
// a command or button without Run, is a programming error, caught when the
// bot starts (and by the tests).
func newRegistry(cmdTables [][]Command, buttonTables [][]Button) *registry {
	r := &registry{commands: slices.Concat(cmdTables...), byWord: map[string]*Command{}, byVerb: map[string]buttonFunc{}}
	slices.SortStableFunc(r.commands, func(a, b Command) int { return cmp.Compare(a.Rank, b.Rank) })
	for i := range r.commands {
		c := &r.commands[i]
		if c.Run == nil {
			panic("bot: command " + c.Name + " has no Run")
		}
		for _, w := range append([]string{c.Name}, c.Aliases...) {
			if _, dup := r.byWord[w]; dup {
				panic(fmt.Sprintf("bot: command word %q registered twice", w))
			}
			r.byWord[w] = c
		}
	}
	for _, t := range buttonTables {
		for _, b := range t {
			if b.Run == nil {
				panic(fmt.Sprintf("bot: button %v has no Run", b.Verbs))
			}
			for _, v := range b.Verbs {
				if _, dup := r.byVerb[v]; dup {
					panic(fmt.Sprintf("bot: verb %q registered twice", v))
				}
				r.byVerb[v] = b.Run
			}
		}
	}
	return r
}

// theRegistry is built once, on first use: the tables are fixed at compile
// time, and building it on every turn would cost a map per turn.
var theRegistry = sync.OnceValue(func() *registry { return newRegistry(capabilities()) })

// Commands returns the command table, by Rank (see Command.Rank).
func Commands() []Command {
	return slices.Clone(theRegistry().commands)
}

// lookup returns the command named or aliased word (lower case).
func (r *registry) lookup(word string) (*Command, bool) {
	c, ok := r.byWord[word]
	return c, ok
}

// splitCommand returns the first word of text, lower-cased, and the rest
// as typed.
func splitCommand(text string) (string, string) {
	name, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	return strings.ToLower(name), strings.TrimSpace(rest)
}

func (r *registry) helpCard(bot string) *cards.Card {
	lines := make([]cards.Command, len(r.commands))
	for i, c := range r.commands {
		lines[i] = cards.Command{Usage: c.Usage, Description: c.Description}
	}
	return cards.Help(bot, lines)
}
