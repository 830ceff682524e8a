package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mvmbot/mvmbot/internal/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

const (
	testAppID   = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	testTeamsID = "0b9e8d7c-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
	testEntraID = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
)

// sampleCommands stands in for the bot's command table (owned by package
// bot), shaped like it: engagement commands in team and group chat, the
// engagement list in personal chat, help everywhere.
func sampleCommands() []Command {
	group := []string{ScopeTeam, ScopeGroupChat}
	return []Command{
		{Title: "next", Description: "What each role should do next in this engagement", Scopes: group},
		{Title: "status", Description: "Progress of the engagement by phase", Scopes: group},
		{Title: "questionnaire", Description: "Open the migration questionnaire", Scopes: group},
		{Title: "schedule", Description: "Schedule an MST workshop, e.g. schedule migration workshop", Scopes: group},
		{Title: "engagements", Description: "The engagements you belong to", Scopes: []string{ScopePersonal}},
		{Title: "help", Description: "What mvmbot can do"},
	}
}

func baseOptions() Options {
	return Options{
		AppID:    testAppID,
		Name:     "mvmbot",
		FullName: "mvmbot - FastTrack migration onboarding",
		Version:  "v1.4.2",
		Domains:  []string{"mvmbot.example.com"},
		Commands: sampleCommands(),
	}
}

// parsed is the subset of the manifest the tests read back.
type parsed struct {
	ID          string `json:"id"`
	Version     string `json:"version"`
	AccentColor string `json:"accentColor"`
	Name        struct{ Short, Full string }
	Icons       struct{ Outline, Color string }
	Bots        []struct {
		BotID         string   `json:"botId"`
		Scopes        []string `json:"scopes"`
		SupportsFiles *bool    `json:"supportsFiles"`
		CommandLists  []struct {
			Scopes   []string `json:"scopes"`
			Commands []struct{ Title, Description string }
		} `json:"commandLists"`
	} `json:"bots"`
	ValidDomains       []string         `json:"validDomains"`
	WebApplicationInfo *json.RawMessage `json:"webApplicationInfo"`
}

func mustParse(t *testing.T, raw []byte) parsed {
	t.Helper()
	var p parsed
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("manifest does not parse back: %v\n%s", err, raw)
	}
	return p
}

func titles(p parsed, scope string) []string {
	for _, l := range p.Bots[0].CommandLists {
		if len(l.Scopes) == 1 && l.Scopes[0] == scope {
			var ts []string
			for _, c := range l.Commands {
				ts = append(ts, c.Title)
			}
			return ts
		}
	}
	return nil
}

func manyCommands(n int, scope string) []Command {
	var cs []Command
	for i := range n {
		cs = append(cs, Command{Title: fmt.Sprintf("cmd%02d", i+1), Description: "command", Scopes: []string{scope}})
	}
	return cs
}

// TestBuildValidatesEveryCombination crosses the options that change the
// manifest's shape and checks each result against the official schema.
func TestBuildValidatesEveryCombination(t *testing.T) {
	domainSets := map[string][]string{
		"no-domain":   nil,
		"one-domain":  {"mvmbot.example.com"},
		"two-domains": {"MVMBOT.example.com.", "*.azurecontainerapps.io", "mvmbot.example.com"},
	}
	webApps := map[string]*WebApplicationInfo{
		"no-webapp":      nil,
		"webapp":         {ID: testEntraID, Resource: "api://botid-" + testAppID},
		"webapp-id-only": {ID: testEntraID},
	}
	commandSets := map[string][]Command{
		"no-commands":   nil,
		"one-per-scope": {{Title: "next", Scopes: []string{ScopeTeam}}, {Title: "next", Scopes: []string{ScopeGroupChat}}, {Title: "engagements", Scopes: []string{ScopePersonal}}},
		"all-scopes":    {{Title: "help", Description: "What mvmbot can do"}},
		"many":          sampleCommands(),
		"over-limit":    append(manyCommands(12, ScopeTeam), manyCommands(11, ScopePersonal)...),
	}
	for dName, domains := range domainSets {
		for wName, web := range webApps {
			for cName, cmds := range commandSets {
				for _, files := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/%s/files=%v", dName, wName, cName, files)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						opts := baseOptions()
						opts.Domains, opts.WebApplicationInfo, opts.Commands, opts.SupportsFiles = domains, web, cmds, files
						raw, err := Build(opts)
						if err != nil {
							t.Fatalf("Build: %v", err)
						}
						// Build validates too; checking here keeps the test
						// honest if Build's own check were ever skipped.
						if err := schema.ValidateManifest(raw); err != nil {
							t.Fatalf("schema: %v", err)
						}
						p := mustParse(t, raw)
						if len(p.Bots) != 1 || p.Bots[0].BotID != testAppID || p.ID != testAppID {
							t.Fatalf("bot id / app id wrong: %+v", p)
						}
						if want := []string{ScopeTeam, ScopeGroupChat, ScopePersonal}; !reflect.DeepEqual(p.Bots[0].Scopes, want) {
							t.Errorf("scopes = %v, want %v", p.Bots[0].Scopes, want)
						}
						for _, l := range p.Bots[0].CommandLists {
							if len(l.Commands) == 0 || len(l.Commands) > MaxCommandsPerScope {
								t.Errorf("scope %v has %d commands, want 1..%d", l.Scopes, len(l.Commands), MaxCommandsPerScope)
							}
						}
						if got := p.Bots[0].SupportsFiles != nil; got != files {
							t.Errorf("supportsFiles present = %v, want %v", got, files)
						}
						if (p.WebApplicationInfo != nil) != (web != nil) {
							t.Errorf("webApplicationInfo present = %v, want %v", p.WebApplicationInfo != nil, web != nil)
						}
						hasToken := false
						for _, d := range p.ValidDomains {
							hasToken = hasToken || d == botFrameworkTokenDomain
							if d != strings.ToLower(d) {
								t.Errorf("domain %q not normalized", d)
							}
						}
						if hasToken != (web != nil) {
							t.Errorf("validDomains %v: token domain present = %v, want %v", p.ValidDomains, hasToken, web != nil)
						}
					})
				}
			}
		}
	}
}

func TestCommandListsPerScope(t *testing.T) {
	tests := []struct {
		name                      string
		cmds                      []Command
		team, groupChat, personal []string
	}{
		{"none", nil, nil, nil, nil},
		{"sample table", sampleCommands(),
			[]string{"next", "status", "questionnaire", "schedule", "help"},
			[]string{"next", "status", "questionnaire", "schedule", "help"},
			[]string{"engagements", "help"}},
		{"empty scopes means all", []Command{{Title: "help"}}, []string{"help"}, []string{"help"}, []string{"help"}},
		{"first ten kept in table order", manyCommands(12, ScopeTeam),
			[]string{"cmd01", "cmd02", "cmd03", "cmd04", "cmd05", "cmd06", "cmd07", "cmd08", "cmd09", "cmd10"}, nil, nil},
		{"titles trimmed", []Command{{Title: "  next ", Scopes: []string{ScopePersonal}}}, nil, nil, []string{"next"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			opts.Commands = tt.cmds
			raw, err := Build(opts)
			if err != nil {
				t.Fatal(err)
			}
			p := mustParse(t, raw)
			for scope, want := range map[string][]string{ScopeTeam: tt.team, ScopeGroupChat: tt.groupChat, ScopePersonal: tt.personal} {
				if got := titles(p, scope); !reflect.DeepEqual(got, want) {
					t.Errorf("%s commands = %v, want %v", scope, got, want)
				}
			}
			// One list per scope, in the bot's scope order.
			var order []string
			for _, l := range p.Bots[0].CommandLists {
				order = append(order, l.Scopes...)
			}
			for i := 1; i < len(order); i++ {
				if scopeIndex(order[i-1]) >= scopeIndex(order[i]) {
					t.Errorf("command list scopes out of order: %v", order)
				}
			}
		})
	}
}

func scopeIndex(s string) int {
	for i, v := range scopes {
		if v == s {
			return i
		}
	}
	return -1
}

func TestBuildOptionsErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string // fragment of the error message
	}{
		{"app id not a GUID", func(o *Options) { o.AppID = "mvmbot" }, `app id "mvmbot" is not a GUID`},
		{"app id with braces", func(o *Options) { o.AppID = "{" + testAppID + "}" }, "is not a GUID"},
		{"app id missing", func(o *Options) { o.AppID = " " }, "app id is missing"},
		{"app id nil GUID", func(o *Options) { o.AppID = "00000000-0000-0000-0000-000000000000" }, "nil GUID"},
		{"teams app id not a GUID", func(o *Options) { o.TeamsAppID = "abc" }, `Teams app id "abc" is not a GUID`},
		{"name missing", func(o *Options) { o.Name = "" }, "name is missing"},
		{"version missing", func(o *Options) { o.Version = "" }, "version is missing"},
		{"version dev", func(o *Options) { o.Version = "dev" }, `version "dev" is not MAJOR.MINOR.PATCH`},
		{"version two parts", func(o *Options) { o.Version = "1.2" }, "is not MAJOR.MINOR.PATCH"},
		{"version leading zero", func(o *Options) { o.Version = "1.02.3" }, "is not MAJOR.MINOR.PATCH"},
		{"domain with scheme", func(o *Options) { o.Domains = []string{"https://bot.example.com"} }, "without scheme"},
		{"domain with path", func(o *Options) { o.Domains = []string{"bot.example.com/api/messages"} }, "without scheme, port or path"},
		{"domain with port", func(o *Options) { o.Domains = []string{"localhost:3978"} }, "without scheme, port or path"},
		{"domain empty", func(o *Options) { o.Domains = []string{""} }, `domain "" is empty`},
		{"wildcard TLD", func(o *Options) { o.Domains = []string{"*.com"} }, "wildcards must cover a registered domain"},
		{"wildcard inside", func(o *Options) { o.Domains = []string{"bot.*.example.com"} }, "wildcard only as a leading"},
		{"http privacy URL", func(o *Options) { o.Developer.PrivacyURL = "http://example.com/privacy" }, "privacy URL \"http://example.com/privacy\" is not an absolute https:// URL"},
		{"relative website URL", func(o *Options) { o.Developer.WebsiteURL = "example.com" }, "developer website URL"},
		{"unknown scope", func(o *Options) { o.Commands = []Command{{Title: "next", Scopes: []string{"channel"}}} }, `command "next" has unknown scope "channel"`},
		{"empty title", func(o *Options) { o.Commands = []Command{{Title: "next"}, {Title: " "}} }, "command 2 has no title"},
		{"duplicate title", func(o *Options) {
			o.Commands = []Command{{Title: "next"}, {Title: "Next", Scopes: []string{ScopeTeam}}}
		}, `command "Next" appears twice in scope team`},
		{"web app id bad", func(o *Options) { o.WebApplicationInfo = &WebApplicationInfo{ID: "x"} }, `webApplicationInfo id "x" is not a GUID`},
		{"web app resource relative", func(o *Options) {
			o.WebApplicationInfo = &WebApplicationInfo{ID: testEntraID, Resource: "botid-x"}
		}, "is not an absolute URI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			tt.mutate(&opts)
			raw, err := Build(opts)
			if err == nil {
				t.Fatalf("Build succeeded, want error containing %q\n%s", tt.want, raw)
			}
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("errors.Is(err, ErrInvalidOptions) = false for %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBuildReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Build(Options{AppID: "nope"})
	var oe *OptionsError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want *OptionsError", err)
	}
	want := []string{"app id", "name is missing", "version is missing"}
	if len(oe.Problems) != len(want) {
		t.Fatalf("problems = %q, want %d of them", oe.Problems, len(want))
	}
	for i, w := range want {
		if !strings.Contains(oe.Problems[i], w) {
			t.Errorf("problem %d = %q, want it to mention %q", i, oe.Problems[i], w)
		}
	}
}

// TestBuildSchemaErrors covers values only the schema knows are wrong: the
// error must name the JSON path so a person can find the option.
func TestBuildSchemaErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*Options)
		path     string
		fragment string
	}{
		{"short name too long", func(o *Options) { o.Name = strings.Repeat("m", 31) }, "/name/short", "maxLength"},
		{"full name too long", func(o *Options) { o.FullName = strings.Repeat("m", 101) }, "/name/full", "maxLength"},
		{"short description too long", func(o *Options) { o.ShortDescription = strings.Repeat("d", 81) }, "/description/short", "maxLength"},
		{"accent colour not hex", func(o *Options) { o.AccentColor = "teal" }, "/accentColor", "does not match pattern"},
		{"developer name too long", func(o *Options) { o.Developer.Name = strings.Repeat("x", 33) }, "/developer/name", "maxLength"},
		{"command title too long", func(o *Options) {
			o.Commands = []Command{{Title: strings.Repeat("t", 129), Scopes: []string{ScopePersonal}}}
		}, "/bots/0/commandLists/0/commands/0/title", "maxLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			tt.mutate(&opts)
			_, err := Build(opts)
			var se *SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SchemaError", err)
			}
			found := false
			for _, v := range se.Violations {
				found = found || (v.Path == tt.path && strings.Contains(v.Message, tt.fragment))
			}
			if !found {
				t.Errorf("violations = %+v, want %s: …%s…", se.Violations, tt.path, tt.fragment)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.path+": ") || !strings.Contains(msg, "schema v"+schema.ManifestVersion) {
				t.Errorf("message does not name the path and schema:\n%s", msg)
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("the validator's error is not reachable through Unwrap")
			}
			if errors.Is(err, ErrInvalidOptions) {
				t.Errorf("a schema error must not look like an options error")
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.2.3", "1.2.3"},
		{"v1.2.3", "1.2.3"},
		{" v0.1.0 ", "0.1.0"},
		{"v1.2.3-rc.1", "1.2.3"},
		{"v0.3.1-5-gabcdef0", "0.3.1"},
		{"1.2.3+build.7", "1.2.3"},
		{"v0.0.0-20250101000000-abcdefabcdef", "0.0.0"},
		{"10.20.30", "10.20.30"},
	}
	for _, tt := range tests {
		opts := baseOptions()
		opts.Version = tt.in
		raw, err := Build(opts)
		if err != nil {
			t.Errorf("Version %q: %v", tt.in, err)
			continue
		}
		if got := mustParse(t, raw).Version; got != tt.want {
			t.Errorf("Version %q -> %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	opts := baseOptions()
	opts.TeamsAppID = testTeamsID
	opts.Developer = Developer{Name: "Contoso IT", PrivacyURL: "https://contoso.example/privacy"}
	raw, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	var m manifestJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != testTeamsID || m.Bots[0].BotID != testAppID {
		t.Errorf("id = %s, botId = %s; want the Teams app id and the bot id apart", m.ID, m.Bots[0].BotID)
	}
	want := developerJSON{Name: "Contoso IT", WebsiteURL: DefaultWebsiteURL, PrivacyURL: "https://contoso.example/privacy", TermsOfUseURL: DefaultTermsOfUseURL}
	if m.Developer != want {
		t.Errorf("developer = %+v, want %+v (defaults filled field by field)", m.Developer, want)
	}
	if m.AccentColor != DefaultAccentColor || m.Description.Short != DefaultShortDescription || m.Description.Full != DefaultFullDescription {
		t.Errorf("defaults not applied: %+v %+v", m.AccentColor, m.Description)
	}
	if len(DefaultShortDescription) > 80 || len(DefaultFullDescription) > 4000 || len(DefaultDeveloperName) > 32 {
		t.Errorf("a default exceeds its schema limit")
	}
	if bytes.Contains(raw, []byte(`\u0026`)) {
		t.Errorf("HTML escaping leaked into the manifest")
	}
}

// TestGolden pins the whole manifest for one realistic configuration; run
// `go test ./manifest -update` after an intended change and review the diff.
func TestGolden(t *testing.T) {
	opts := baseOptions()
	opts.WebApplicationInfo = &WebApplicationInfo{ID: testAppID, Resource: "api://botid-" + testAppID}
	got, err := Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "manifest.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./manifest -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("manifest differs from %s (run go test ./manifest -update if intended)\ngot:\n%s", golden, got)
	}
	if err := schema.ValidateManifest(want); err != nil {
		t.Errorf("golden file itself does not validate: %v", err)
	}
}
