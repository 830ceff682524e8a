// Package cards builds the Adaptive Cards mvmbot sends and decodes what
// people submit from them.
//
// Every card is Adaptive Card 1.5 (what Teams renders, and the version
// Universal Actions' refresh needs) and must validate against the official
// schema: the tests walk every builder through internal/schema. Buttons are
// Action.Execute, so that a click reaches the bot as an adaptiveCard/action
// invoke and the card can be replaced in place; each carries a verb the bot
// routes on.
//
// Teams' layout is applied when a card is written (Card.Laid): buttons past
// one row at Teams' narrowest width (360 px) become "secondary" (the "…"
// menu), and a card holding facts, lists or columns gets Teams' full width
// (msteams.width, which internal/schema allows as Teams documents it).
// scripts/cardcheck renders every card in Microsoft's renderer to keep it
// so.
//
// Cards are plain values (a Card is a struct, an Element an ordered list of
// Props written to JSON in that order by the card's own encoder), built
// fresh for every message; nothing here is shared or mutated after return.
// The package imports only playbook.
package cards
