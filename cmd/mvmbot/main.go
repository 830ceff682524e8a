// Command mvmbot is the Microsoft Teams bot that runs the FastTrack
// data-migration onboarding playbook. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it the module version from the build info is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mvmbot:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks a mistake in the command line.
var errUsage = errors.New("usage")

// Main is the program: main wires it to the process, tests drive it
// directly.
type Main struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// OnListen, when set, is told the server's address once it listens
	// (tests use PORT=0).
	OnListen func(addr string)
	// SitePoll, when set, is how often the site's set-up polls a new
	// group's site while SharePoint provisions it, instead of Graph's 15 s
	// (tests, so that a wait does not take minutes).
	SitePoll time.Duration
	// Now, when set, is the clock of the site's set-up (tests of its
	// 15-minute provisioning limit).
	Now func() time.Time
}

// Run runs the sub-command in args; serve when there is none.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return m.serve(ctx, args)
	case "version", "--version", "-version":
		fmt.Fprintln(m.Stdout, "mvmbot", buildVersion())
		return nil
	case "help", "-h", "-help", "--help":
		m.usage(m.Stdout)
		return nil
	case "healthcheck":
		return m.healthcheck(ctx, args)
	case "package":
		return m.pkg(ctx, args)
	case "backup":
		return m.backup(ctx, args)
	case "doctor":
		return m.doctor(ctx, args)
	case "export":
		return m.export(ctx, args)
	case "import":
		return m.importCmd(ctx, args)
	case "purge":
		return m.purge(ctx, args)
	case "migrate-store":
		return m.migrateStore(ctx, args)
	case "jobs":
		return m.jobs(ctx, args)
	}
	m.usage(m.Stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, `mvmbot runs the FastTrack data-migration onboarding playbook in Microsoft Teams.

Usage:
  mvmbot [serve]        run the bot: POST /api/messages, GET /healthz, GET /readyz
  mvmbot version        print the version
  mvmbot healthcheck    exit 0 when the local bot answers /healthz (for containers)
  mvmbot package --app-id ID --name NAME [--out mvmbot.zip] [--domain HOST]
                        build the Teams app package (mvmbot package -h for all flags)
  mvmbot doctor         check the configuration a deployment needs, one line per check
  mvmbot export questionnaire --engagement ID [--format json|csv] [--out FILE]
                        the latest questionnaire version of an engagement (bot stopped, or a backup with --db)
  mvmbot import batch --engagement ID --event N [--kind users|paths] FILE.csv
                        set a migration event's members from a CSV (bot stopped)
  mvmbot purge --closed-before YYYY-MM-DD [--apply]
                        delete closed engagements after retention (lists only without --apply)
  mvmbot backup --out FILE
                        write a consistent copy of the database, also while serving
  mvmbot migrate-store --from FILE [--to postgres://…]
                        copy a bbolt database into an empty PostgreSQL database (bot stopped)
  mvmbot jobs list | retry ID | discard ID
                        the dead-lettered jobs: list, queue again, delete (also while serving)
  mvmbot help           this text

Without MicrosoftAppId the bot runs in local mode: no token checks, and it
listens on 127.0.0.1 only, for the Microsoft 365 Agents Playground:
  npx @microsoft/m365agentsplayground -e http://localhost:3978/api/messages -c msteams

Environment:
`)
	for _, v := range envVars {
		fmt.Fprintf(w, "  %-22s %s (default: %s)\n", v.name, v.meaning, v.def)
	}
}

// parseFlags parses a sub-command's flags. help is true when -h was asked
// for (the flag set has printed the usage); a mistake is an errUsage error.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, fmt.Errorf("%w: %v", errUsage, err)
	}
	return false, nil
}
