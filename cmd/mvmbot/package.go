package main

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"strings"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/manifest"
)

// devVersion is the app version a development build (go run, no -ldflags)
// packages with unless --version says otherwise.
const devVersion = "0.1.0"

var semverRE = regexp.MustCompile(`^v?\d+\.\d+\.\d+`)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (m *Main) pkg(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var opts manifest.Options
	var out string
	var domains stringList
	fs.StringVar(&opts.AppID, "app-id", "", "the bot's Microsoft App ID (a GUID; required)")
	fs.StringVar(&opts.Name, "name", "", "the app's short name in Teams, at most 30 characters (required)")
	fs.StringVar(&out, "out", "mvmbot.zip", "where to write the app package")
	fs.Var(&domains, "domain", "host name of the messaging endpoint for validDomains (repeatable)")
	fs.StringVar(&opts.TeamsAppID, "teams-app-id", "", "the manifest id when it differs from the app id (Agents Toolkit)")
	fs.StringVar(&opts.Version, "version", "", "app version MAJOR.MINOR.PATCH (default: the build's version)")
	fs.StringVar(&opts.FullName, "full-name", "", "the app's full name, at most 100 characters")
	fs.StringVar(&opts.Developer.Name, "developer", "", "publisher name shown in Teams")
	fs.StringVar(&opts.Developer.WebsiteURL, "website", "", "publisher website URL")
	fs.StringVar(&opts.Developer.PrivacyURL, "privacy-url", "", "privacy statement URL")
	fs.StringVar(&opts.Developer.TermsOfUseURL, "terms-url", "", "terms of use URL")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, "Usage: mvmbot package --app-id ID --name NAME [--out mvmbot.zip] [--domain HOST]\n\n"+
			"Builds the Teams app package (manifest.json, color.png, outline.png), validated\n"+
			"against the official manifest schema before anything is written.\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: package takes flags only, not %q", errUsage, fs.Arg(0))
	}
	opts.Domains = domains
	if opts.Version == "" {
		opts.Version = buildVersion()
		if !semverRE.MatchString(opts.Version) {
			fmt.Fprintf(m.Stderr, "note: development build; packaging as version %s (pass --version to choose)\n", devVersion)
			opts.Version = devVersion
		}
	}
	opts.Commands = manifestCommands(bot.Commands())
	// The bot reads batch files attached in the personal chat (bot/attach.go);
	// Teams sends a bot files only when the manifest says so.
	opts.SupportsFiles = true
	if err := manifest.Package(out, opts); err != nil {
		return fmt.Errorf("package: %w", err)
	}
	fmt.Fprintf(m.Stdout, "wrote %s (version %s); upload it in Teams: Apps > Manage your apps > Upload an app\n", out, opts.Version)
	return nil
}

// manifestCommands maps the bot's command table to the manifest's, so the
// menu Teams shows is exactly what the bot understands.
func manifestCommands(cmds []bot.Command) []manifest.Command {
	out := make([]manifest.Command, len(cmds))
	for i, c := range cmds {
		out[i] = manifest.Command{Title: c.Name, Description: c.Description, Scopes: c.Scopes}
	}
	return out
}
