package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/mvmbot/mvmbot/internal/schema"
)

// Bot scopes, spelled as the manifest spells them. The bot is installed in
// all three: an engagement lives in a team channel or a group chat, and
// personal chat lists a person's engagements.
const (
	ScopeTeam      = "team"
	ScopeGroupChat = "groupChat"
	ScopePersonal  = "personal"
)

// scopes is the order of the bot's scopes and of its command lists.
var scopes = []string{ScopeTeam, ScopeGroupChat, ScopePersonal}

// MaxCommandsPerScope is how many commands Teams shows in one scope's command
// menu. The schema allows 12, but Teams documents and enforces 10.
const MaxCommandsPerScope = 10

// File names inside the app package; the manifest refers to the icons by
// these names.
const (
	ManifestFile    = "manifest.json"
	ColorIconFile   = "color.png"
	OutlineIconFile = "outline.png"
)

// Project defaults, used when the corresponding Options field is empty. The
// privacy and terms URLs point at sections of docs/deploy.md; an organization
// publishing to its catalog should point them at its own policies.
const (
	DefaultAccentColor      = "#0E7C86"
	DefaultDeveloperName    = "mvmbot open-source project"
	DefaultWebsiteURL       = "https://github.com/mvmbot/mvmbot"
	DefaultPrivacyURL       = "https://github.com/mvmbot/mvmbot/blob/main/docs/deploy.md#privacy"
	DefaultTermsOfUseURL    = "https://github.com/mvmbot/mvmbot/blob/main/docs/deploy.md#terms-of-use"
	DefaultShortDescription = "Runs the FastTrack data-migration onboarding playbook in Teams"
	DefaultFullDescription  = "mvmbot coordinates a FastTrack data-migration onboarding " +
		"(IMAP, Box, Dropbox, Google Drive or file share to Microsoft 365) from the Teams " +
		"channel or group chat of the engagement. It knows the onboarding playbook and keeps " +
		"the state of each engagement, tells the FastTrack Ready Partner, the customer, the " +
		"Migration Support Team and the Migration Velocity Manager what to do next, takes the " +
		"migration questionnaire through an Adaptive Card, schedules the Migration Support Team " +
		"workshops as Teams meetings, opens the migration collaboration site, and reports " +
		"progress, escalations and offboarding. In personal chat it lists the engagements you " +
		"belong to.\n\nmvmbot is an independent open-source project; it is not a Microsoft " +
		"product and is not operated by Microsoft FastTrack."
)

// Command is one bot command as the command menu shows it. cmd/mvmbot builds
// these from the bot's command table, so the menu lists what the bot answers.
type Command struct {
	// Title is what the user types after mentioning the bot, e.g. "next".
	Title string
	// Description is the menu's hint; an example of the syntax works well.
	Description string
	// Scopes lists where the command is offered: ScopeTeam, ScopeGroupChat,
	// ScopePersonal. Empty means all three.
	Scopes []string
}

// Developer is the publisher shown on the app's details page. Empty fields
// take the project defaults (DefaultDeveloperName and the Default…URL
// constants).
type Developer struct {
	Name          string
	WebsiteURL    string
	PrivacyURL    string
	TermsOfUseURL string
}

// WebApplicationInfo is the Entra app Teams should fetch tokens for. mvmbot
// calls Graph with application permissions and needs none of this; set it
// only when adding bot SSO (OAuth card token exchange) or resource-specific
// consent.
type WebApplicationInfo struct {
	// ID is the Entra application (client) id, a GUID.
	ID string
	// Resource is the Application ID URI, e.g. "api://botid-<app id>".
	// Optional.
	Resource string
}

// Options are the deployment-specific values of the manifest.
type Options struct {
	// AppID is the bot's Microsoft App ID (MicrosoftAppId), a GUID. Required.
	AppID string
	// TeamsAppID is the manifest "id". Empty means AppID, which is what a
	// hand-made package uses; the Agents Toolkit registers a separate id
	// (TEAMS_APP_ID) and passes it here.
	TeamsAppID string
	// Name is the short app name, at most 30 characters. Required.
	Name string
	// FullName is shown where there is room; at most 100 characters.
	FullName string
	// ShortDescription (at most 80 characters) and FullDescription (at most
	// 4000) default to DefaultShortDescription and DefaultFullDescription.
	ShortDescription string
	FullDescription  string
	// Version is the build's version, MAJOR.MINOR.PATCH with an optional "v"
	// prefix and suffix (dropped, see the package caveats). Required.
	Version string
	// Domains are host names (no scheme, no path; "*.example.com" allowed)
	// for validDomains, usually the host of the messaging endpoint.
	Domains []string
	// Developer overrides the project's publisher details field by field.
	Developer Developer
	// AccentColor is "#RRGGBB"; default DefaultAccentColor.
	AccentColor string
	// Commands is the bot's command table in order of importance.
	Commands []Command
	// SupportsFiles declares that the bot sends or receives files in personal
	// chat (file consent cards). Leave false unless the bot does.
	SupportsFiles bool
	// WebApplicationInfo is emitted only when set.
	WebApplicationInfo *WebApplicationInfo
}

// ErrInvalidOptions matches (errors.Is) every *OptionsError.
var ErrInvalidOptions = errors.New("invalid manifest options")

// OptionsError is returned by Build when Options lack a required value or
// hold one Teams cannot accept. Problems are sentences for a person, one per
// wrong field, all reported at once so one run finds them all.
type OptionsError struct {
	Problems []string
}

func (e *OptionsError) Error() string {
	return "manifest: invalid options:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Is makes errors.Is(err, ErrInvalidOptions) true.
func (e *OptionsError) Is(target error) bool { return target == ErrInvalidOptions }

// Violation is one schema failure: where in the manifest, and what.
type Violation struct {
	// Path is a JSON pointer into the manifest, e.g. "/name/short"; "" is the
	// root.
	Path    string
	Message string
}

// SchemaError is returned when the generated manifest does not validate
// against the official Teams manifest schema. Usually an option value is
// out of range (a name too long, an accent colour that is not #RRGGBB).
type SchemaError struct {
	Violations []Violation
	err        error
}

func (e *SchemaError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "manifest: does not match the Teams manifest schema v%s:", schema.ManifestVersion)
	for _, v := range e.Violations {
		path := v.Path
		if path == "" {
			path = "(root)"
		}
		fmt.Fprintf(&b, "\n  %s: %s", path, v.Message)
	}
	return b.String()
}

// Unwrap returns the validator's own error (a *jsonschema.ValidationError
// when the schema check ran) for callers that want every detail.
func (e *SchemaError) Unwrap() error { return e.err }

// Build returns the manifest.json bytes for opts, validated against the
// embedded Teams manifest schema. Errors are *OptionsError (checked before
// building) or *SchemaError (the result does not validate).
func Build(opts Options) ([]byte, error) {
	m, err := newManifest(opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Descriptions and URLs are read by people in the zip; "&" stays "&".
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("manifest: encode: %w", err)
	}
	if err := validate(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The manifest as JSON. Field order is the order of the file, kept close to
// Microsoft's samples so a reader finds things where they expect them.
type manifestJSON struct {
	Schema                 string              `json:"$schema"`
	ManifestVersion        string              `json:"manifestVersion"`
	Version                string              `json:"version"`
	ID                     string              `json:"id"`
	Developer              developerJSON       `json:"developer"`
	Name                   nameJSON            `json:"name"`
	Description            descriptionJSON     `json:"description"`
	Icons                  iconsJSON           `json:"icons"`
	AccentColor            string              `json:"accentColor"`
	Bots                   []botJSON           `json:"bots"`
	ValidDomains           []string            `json:"validDomains,omitempty"`
	WebApplicationInfo     *webAppJSON         `json:"webApplicationInfo,omitempty"`
	DefaultInstallScope    string              `json:"defaultInstallScope"`
	DefaultGroupCapability groupCapabilityJSON `json:"defaultGroupCapability"`
}

type developerJSON struct {
	Name          string `json:"name"`
	WebsiteURL    string `json:"websiteUrl"`
	PrivacyURL    string `json:"privacyUrl"`
	TermsOfUseURL string `json:"termsOfUseUrl"`
}

type nameJSON struct {
	Short string `json:"short"`
	Full  string `json:"full,omitempty"`
}

type descriptionJSON struct {
	Short string `json:"short"`
	Full  string `json:"full"`
}

type iconsJSON struct {
	Outline string `json:"outline"`
	Color   string `json:"color"`
}

type botJSON struct {
	BotID         string            `json:"botId"`
	Scopes        []string          `json:"scopes"`
	SupportsFiles bool              `json:"supportsFiles,omitempty"`
	CommandLists  []commandListJSON `json:"commandLists,omitempty"`
}

type commandListJSON struct {
	Scopes   []string      `json:"scopes"`
	Commands []commandJSON `json:"commands"`
}

type commandJSON struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type webAppJSON struct {
	ID       string `json:"id"`
	Resource string `json:"resource,omitempty"`
}

// groupCapabilityJSON makes "Add" in a team or group chat install the bot
// rather than ask which capability; the bot is the only one there is.
type groupCapabilityJSON struct {
	Team      string `json:"team"`
	GroupChat string `json:"groupchat"`
}

// botFrameworkTokenDomain must be a valid domain for the OAuth card token
// exchange that bot SSO uses.
const botFrameworkTokenDomain = "token.botframework.com"

func newManifest(opts Options) (*manifestJSON, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	appID := strings.TrimSpace(opts.AppID)
	if msg := checkGUID(appID); msg != "" {
		bad("app id %s; pass the bot's Microsoft App ID (MicrosoftAppId) from its Azure Bot registration", msg)
	}
	teamsAppID := strings.TrimSpace(opts.TeamsAppID)
	if teamsAppID == "" {
		teamsAppID = appID
	} else if msg := checkGUID(teamsAppID); msg != "" {
		bad("Teams app id %s", msg)
	}
	name := strings.TrimSpace(opts.Name)
	if name == "" {
		bad("name is missing: give the app's short name as Teams should show it (at most 30 characters)")
	}
	version, msg := normalizeVersion(opts.Version)
	if msg != "" {
		bad("%s", msg)
	}

	dev := developerJSON{
		Name:          orDefault(opts.Developer.Name, DefaultDeveloperName),
		WebsiteURL:    orDefault(opts.Developer.WebsiteURL, DefaultWebsiteURL),
		PrivacyURL:    orDefault(opts.Developer.PrivacyURL, DefaultPrivacyURL),
		TermsOfUseURL: orDefault(opts.Developer.TermsOfUseURL, DefaultTermsOfUseURL),
	}
	for _, u := range []struct{ what, v string }{
		{"developer website URL", dev.WebsiteURL},
		{"privacy URL", dev.PrivacyURL},
		{"terms of use URL", dev.TermsOfUseURL},
	} {
		// The schema accepts http://, but Teams app validation wants https.
		if p, err := url.Parse(u.v); err != nil || p.Scheme != "https" || p.Host == "" {
			bad("%s %q is not an absolute https:// URL", u.what, u.v)
		}
	}

	var domains []string
	seen := map[string]bool{}
	addDomain := func(d string) {
		if !seen[d] {
			seen[d] = true
			domains = append(domains, d)
		}
	}
	for _, d := range opts.Domains {
		host, msg := checkDomain(d)
		if msg != "" {
			bad("domain %q %s", d, msg)
			continue
		}
		addDomain(host)
	}

	var webApp *webAppJSON
	if w := opts.WebApplicationInfo; w != nil {
		id := strings.TrimSpace(w.ID)
		if msg := checkGUID(id); msg != "" {
			bad("webApplicationInfo id %s; pass the Entra application (client) id", msg)
		}
		res := strings.TrimSpace(w.Resource)
		if res != "" {
			if p, err := url.Parse(res); err != nil || p.Scheme == "" {
				bad("webApplicationInfo resource %q is not an absolute URI such as api://botid-%s", res, id)
			}
		}
		webApp = &webAppJSON{ID: id, Resource: res}
		addDomain(botFrameworkTokenDomain)
	}

	lists, cmdProblems := commandLists(opts.Commands)
	problems = append(problems, cmdProblems...)

	if len(problems) > 0 {
		return nil, &OptionsError{Problems: problems}
	}
	return &manifestJSON{
		Schema:          "https://developer.microsoft.com/json-schemas/teams/v" + schema.ManifestVersion + "/MicrosoftTeams.schema.json",
		ManifestVersion: schema.ManifestVersion,
		Version:         version,
		ID:              teamsAppID,
		Developer:       dev,
		Name:            nameJSON{Short: name, Full: strings.TrimSpace(opts.FullName)},
		Description: descriptionJSON{
			Short: orDefault(opts.ShortDescription, DefaultShortDescription),
			Full:  orDefault(opts.FullDescription, DefaultFullDescription),
		},
		Icons:       iconsJSON{Outline: OutlineIconFile, Color: ColorIconFile},
		AccentColor: orDefault(opts.AccentColor, DefaultAccentColor),
		Bots: []botJSON{{
			BotID:         appID,
			Scopes:        scopes,
			SupportsFiles: opts.SupportsFiles,
			CommandLists:  lists,
		}},
		ValidDomains:           domains,
		WebApplicationInfo:     webApp,
		DefaultInstallScope:    ScopeTeam,
		DefaultGroupCapability: groupCapabilityJSON{Team: "bot", GroupChat: "bot"},
	}, nil
}

// commandLists groups cmds into one list per scope, in table order, keeping
// at most MaxCommandsPerScope per scope.
func commandLists(cmds []Command) ([]commandListJSON, []string) {
	var problems []string
	byScope := map[string][]commandJSON{}
	titles := map[string]map[string]bool{}
	for i, c := range cmds {
		title := strings.TrimSpace(c.Title)
		if title == "" {
			problems = append(problems, fmt.Sprintf("command %d has no title", i+1))
			continue
		}
		cs := c.Scopes
		if len(cs) == 0 {
			cs = scopes
		}
		for _, s := range cs {
			if !validScope(s) {
				problems = append(problems, fmt.Sprintf("command %q has unknown scope %q (want %s)", title, s, strings.Join(scopes, ", ")))
				continue
			}
			key := strings.ToLower(title)
			if titles[s] == nil {
				titles[s] = map[string]bool{}
			}
			if titles[s][key] {
				problems = append(problems, fmt.Sprintf("command %q appears twice in scope %s", title, s))
				continue
			}
			titles[s][key] = true
			// Commands past the limit are dropped on purpose, not reported:
			// the caller orders the table by importance, and the bot still
			// answers commands that are missing from the menu.
			if len(byScope[s]) < MaxCommandsPerScope {
				byScope[s] = append(byScope[s], commandJSON{Title: title, Description: strings.TrimSpace(c.Description)})
			}
		}
	}
	var lists []commandListJSON
	for _, s := range scopes {
		if len(byScope[s]) > 0 {
			lists = append(lists, commandListJSON{Scopes: []string{s}, Commands: byScope[s]})
		}
	}
	return lists, problems
}

func validScope(s string) bool {
	for _, v := range scopes {
		if s == v {
			return true
		}
	}
	return false
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

// checkGUID returns "" for a usable GUID, else the end of a sentence saying
// what is wrong with s.
func checkGUID(s string) string {
	switch {
	case s == "":
		return "is missing"
	case !guidRE.MatchString(s):
		return fmt.Sprintf("%q is not a GUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	case strings.Trim(s, "0-") == "":
		return fmt.Sprintf("%q is the nil GUID, a placeholder", s)
	}
	return ""
}

// Teams wants exactly MAJOR.MINOR.PATCH without leading zeros (the schema's
// own semver definition); builds carry "v1.2.3" or "v1.2.3-4-gabcdef".
var versionRE = regexp.MustCompile(`^v?((?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*))(?:[-+].*)?$`)

func normalizeVersion(v string) (string, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", "version is missing: pass the build's MAJOR.MINOR.PATCH version"
	}
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Sprintf("version %q is not MAJOR.MINOR.PATCH (a development build needs -ldflags \"-X main.version=1.2.3\")", v)
	}
	return m[1], ""
}

var labelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// checkDomain returns the normalized host, or the end of a sentence saying
// why d cannot be a validDomains entry.
func checkDomain(d string) (string, string) {
	host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if host == "" {
		return "", "is empty"
	}
	if strings.Contains(host, "://") || strings.ContainsAny(host, "/?#@: ") {
		return "", "must be a bare host name such as bot.example.com, without scheme, port or path"
	}
	bare := strings.TrimPrefix(host, "*.")
	labels := strings.Split(bare, ".")
	if bare != host && len(labels) < 2 {
		// "*.com" would trust a whole top-level domain; Teams refuses it.
		return "", "wildcards must cover a registered domain, e.g. *.example.com"
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) {
			return "", "is not a valid host name (wildcard only as a leading \"*.\")"
		}
	}
	return host, ""
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

var printer = message.NewPrinter(language.English)

// validate runs the schema and turns its error tree into one line per
// failing leaf, sorted, so the message is stable and readable.
func validate(raw []byte) error {
	err := schema.ValidateManifest(raw)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("manifest: schema check: %w", err)
	}
	var vs []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			vs = append(vs, Violation{Path: jsonPointer(e.InstanceLocation), Message: e.ErrorKind.LocalizedString(printer)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Path != vs[j].Path {
			return vs[i].Path < vs[j].Path
		}
		return vs[i].Message < vs[j].Message
	})
	return &SchemaError{Violations: vs, err: err}
}

// jsonPointer renders tokens as RFC 6901 does.
func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
