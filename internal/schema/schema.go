// Package schema validates documents mvmbot produces against the official
// JSON schemas it embeds: the Adaptive Card 1.5 schema (every card the bot
// sends) and the Teams app manifest schema (the app package).
//
// The two files are byte-identical copies of the upstream schemas (see
// README.md beside them). Two quirks of theirs are handled here rather than by
// editing the files: the manifest schema uses an ECMAScript regular expression
// that Go's RE2 cannot compile, so patterns run on regexp2; and it declares
// draft-04 while using draft-07 keywords (const, if/then), so it is compiled
// as draft-07 to enforce them. The card schema does not require the root
// "type" and "version", so ValidateCard checks those itself. And Teams
// documents card properties of its own that the strict card schema rejects;
// teamsCardExtensions adds them, here and nowhere else.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed adaptive-card-1.5.schema.json
var cardSchemaJSON []byte

//go:embed teams-manifest.schema.json
var manifestSchemaJSON []byte

const (
	cardURL     = "http://adaptivecards.io/schemas/adaptive-card.json"
	manifestURL = "https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
)

// ManifestVersion is the manifest schema version embedded here.
const ManifestVersion = "1.29"

// Compiled schemas are immutable, so they are compiled once on first use.
var (
	cardOnce, manifestOnce     sync.Once
	cardSchema, manifestSchema *jsonschema.Schema
	cardErr, manifestErr       error
)

type ecmaRegexp regexp2.Regexp

func (re *ecmaRegexp) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecmaRegexp) String() string { return (*regexp2.Regexp)(re).String() }

func compileECMA(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return (*ecmaRegexp)(re), nil
}

func compile(url string, raw []byte, draft07 bool) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", url, err)
	}
	if draft07 {
		doc.(map[string]any)["$schema"] = "http://json-schema.org/draft-07/schema#"
	}
	if url == cardURL {
		if err := teamsCardExtensions(doc); err != nil {
			return nil, err
		}
	}
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(compileECMA)
	c.AssertFormat()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("add schema %s: %w", url, err)
	}
	return c.Compile(url)
}

// toInstance turns v (a Go value or raw JSON bytes) into the generic form the
// validator reads.
func toInstance(v any) (any, error) {
	raw, ok := v.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

// ValidateCard reports whether card (a Go value or JSON bytes) is a valid
// Adaptive Card 1.5 with root type "AdaptiveCard" and a version.
func ValidateCard(card any) error {
	cardOnce.Do(func() { cardSchema, cardErr = compile(cardURL, cardSchemaJSON, false) })
	if cardErr != nil {
		return cardErr
	}
	inst, err := toInstance(card)
	if err != nil {
		return fmt.Errorf("card is not JSON: %w", err)
	}
	root, ok := inst.(map[string]any)
	if !ok || root["type"] != "AdaptiveCard" {
		return fmt.Errorf(`card root: type must be "AdaptiveCard"`)
	}
	if v, _ := root["version"].(string); v == "" {
		return fmt.Errorf("card root: version is missing")
	}
	return cardSchema.Validate(inst)
}

// ValidateManifest reports whether m (a Go value or JSON bytes) is a valid
// Teams app manifest. A *jsonschema.ValidationError names the JSON path of
// every violation.
func ValidateManifest(m any) error {
	manifestOnce.Do(func() { manifestSchema, manifestErr = compile(manifestURL, manifestSchemaJSON, true) })
	if manifestErr != nil {
		return manifestErr
	}
	inst, err := toInstance(m)
	if err != nil {
		return fmt.Errorf("manifest is not JSON: %w", err)
	}
	return manifestSchema.Validate(inst)
}

// teamsCardExtensions allows, on the root AdaptiveCard, the "msteams"
// object Teams documents for cards it renders: "width": "Full" (a card as
// wide as the message pane) and "entities" (the mention entities of
// <at> tags in the card's text). Sources: Microsoft Learn, "Format cards in
// Microsoft Teams", sections "Full width Adaptive Card" and "Mention support
// within Adaptive Cards". Nothing else is loosened: an unknown key inside
// "msteams", or another width, stays invalid.
func teamsCardExtensions(doc any) error {
	root, _ := doc.(map[string]any)
	defs, _ := root["definitions"].(map[string]any)
	card, _ := defs["AdaptiveCard"].(map[string]any)
	props, _ := card["properties"].(map[string]any)
	if props == nil {
		return fmt.Errorf("card schema: no definitions.AdaptiveCard.properties to extend")
	}
	props["msteams"] = map[string]any{
		"description":          "Teams' extension of a card (Microsoft Learn: Format cards in Microsoft Teams).",
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"width":    map[string]any{"enum": []any{"Full"}},
			"entities": map[string]any{"type": "array", "items": map[string]any{"type": "object"}},
		},
	}
	return nil
}
