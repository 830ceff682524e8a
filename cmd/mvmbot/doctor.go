package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/identity"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// check is one line of `mvmbot doctor`: what was checked, what was found,
// and, when it failed, what to do about it.
type check struct {
	name   string
	status string // ok, FAIL, warn, skip
	detail string
	fix    string
}

// doctor checks what a deployment needs, one line per check, and fails when
// any check fails. It only reads: it asks for tokens and metadata and opens
// the database, but changes nothing.
func (m *Main) doctor(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: doctor takes no arguments", errUsage)
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		m.printChecks([]check{{name: "configuration", status: "FAIL", detail: err.Error(), fix: "see mvmbot help for the variables"}})
		return errors.New("doctor found problems")
	}
	checks := []check{checkDatabase(cfg)}
	if cfg.PostgresURL != "" {
		checks = []check{checkPostgres(ctx, cfg)}
	} else if checks[0].status == "ok" {
		checks = append(checks, checkDeadJobs(ctx, cfg))
	}
	if cfg.localMode() {
		checks = append(checks, check{name: "app identity", status: "warn",
			detail: "MicrosoftAppId is not set: local mode (no inbound auth, loopback only)",
			fix:    "set MicrosoftAppId (and MicrosoftAppType, MicrosoftAppTenantId, MicrosoftAppPassword) to serve Teams"})
	} else {
		checks = append(checks, checkIdentity(ctx, cfg)...)
		checks = append(checks, checkOpenID(ctx, cfg))
		if cfg.Organizer != "" {
			checks = append(checks, checkOrganizer(ctx, cfg))
		}
	}
	if cfg.Organizer == "" {
		checks = append(checks, check{name: "workshop organizer", status: "warn",
			detail: "MVMBOT_ORGANIZER is not set: workshops are recorded and offered as .ics, no Teams meetings are created",
			fix:    "set MVMBOT_ORGANIZER to the mailbox that organizes MST workshops"})
	}
	m.printChecks(checks)
	for _, c := range checks {
		if c.status == "FAIL" {
			return errors.New("doctor found problems")
		}
	}
	return nil
}

func (m *Main) printChecks(checks []check) {
	for _, c := range checks {
		fmt.Fprintf(m.Stdout, "%-4s %s: %s\n", c.status, c.name, c.detail)
		if c.fix != "" && c.status != "ok" {
			fmt.Fprintf(m.Stdout, "     fix: %s\n", c.fix)
		}
	}
}

func checkDatabase(cfg config) check {
	c := check{name: "database"}
	db, err := store.Open(cfg.DBPath, &store.Options{Timeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, store.ErrInUse):
		if err := checkFromServer(adminSocket(cfg.DBPath)); err != nil {
			c.status, c.detail = "FAIL", err.Error()
			return c
		}
		c.status, c.detail = "ok", cfg.DBPath+" is open in a running mvmbot and passes bbolt's consistency check"
		return c
	case errors.Is(err, store.ErrDamaged):
		c.status, c.detail = "FAIL", err.Error()
		return c
	case err != nil:
		c.status, c.detail = "FAIL", err.Error()
		c.fix = "point MVMBOT_DB at a file in a writable directory (in a container: the /data volume)"
		return c
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		c.status, c.detail = "FAIL", err.Error()
		return c
	}
	// bbolt's own consistency check reads every page: a damaged page
	// shows here rather than as a failure in the middle of a turn.
	if err := db.Check(context.Background()); err != nil {
		c.status, c.detail = "FAIL", err.Error()
		return c
	}
	// bbolt can open a file it cannot later grow; a probe file in the same
	// directory tells whether writes will work.
	probe, err := os.CreateTemp(filepath.Dir(cfg.DBPath), ".mvmbot-doctor-*")
	if err != nil {
		c.status, c.detail = "FAIL", "directory not writable: "+err.Error()
		c.fix = "give the bot's user write access to " + filepath.Dir(cfg.DBPath)
		return c
	}
	probe.Close()
	os.Remove(probe.Name())
	c.status, c.detail = "ok", cfg.DBPath+" opens, passes bbolt's consistency check, and its directory is writable"
	return c
}

func checkIdentity(ctx context.Context, cfg config) []check {
	c := check{name: "app credential"}
	cred, err := identity.Credential(cfg.identity())
	if err != nil {
		c.status, c.detail = "FAIL", err.Error()
		c.fix = "set the variables of your MicrosoftAppType (docs/deploy.md §1)"
		return []check{c}
	}
	c.status, c.detail = "ok", fmt.Sprintf("%s app %s", cfg.AppType, cfg.AppID)
	t := check{name: "Bot Connector token"}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := identity.NewTokenSource(cred, identity.BotConnectorScope).Token(ctx); err != nil {
		t.status, t.detail = "FAIL", err.Error()
		t.fix = "check the client secret (expired? rotated?), the tenant id, and that the app registration exists (docs/deploy.md §5)"
	} else {
		t.status, t.detail = "ok", "Entra issued a token for "+identity.BotConnectorScope
	}
	return []check{c, t}
}

func checkOpenID(ctx context.Context, cfg config) check {
	c := check{name: "inbound signing keys"}
	keys := &botframework.OpenIDKeys{MetadataURL: cfg.OpenIDMetadata, Client: &http.Client{Timeout: 15 * time.Second}}
	if err := keys.Load(ctx); err != nil {
		c.status, c.detail = "FAIL", err.Error()
		c.fix = "the bot must reach " + cfg.OpenIDMetadata + " (outbound HTTPS) to check Teams' tokens"
		return c
	}
	c.status, c.detail = "ok", "loaded from "+cfg.OpenIDMetadata
	return c
}

// checkOrganizer reads the organizer's free/busy for the next hour: the
// harmless read that proves the organizer mailbox exists and the app holds
// the calendar permission workshops need. Graph's refusal names the
// permission.
func checkOrganizer(ctx context.Context, cfg config) check {
	c := check{name: "workshop organizer"}
	cred, err := identity.Credential(cfg.identity())
	if err != nil {
		c.status, c.detail = "skip", "no app credential (see above)"
		return c
	}
	g, err := graph.New(graph.Config{BaseURL: cfg.GraphBaseURL, Credential: cred, Organizer: cfg.Organizer, MaxRetries: -1})
	if err != nil {
		c.status, c.detail = "FAIL", err.Error()
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	now := time.Now().Truncate(time.Hour)
	if _, err := g.Schedule(ctx, cfg.Organizer, []string{cfg.Organizer}, now, now.Add(time.Hour), 30*time.Minute); err != nil {
		c.status, c.detail = "FAIL", playbook.ErrorMessage(err)
		switch playbook.ErrorCode(err) {
		case playbook.EFORBIDDEN:
			c.fix = "grant the application permission named above and give admin consent (docs/deploy.md §2)"
		case playbook.ENOTFOUND:
			c.fix = "MVMBOT_ORGANIZER must be an Exchange Online mailbox (UPN or object id) the app may read"
		default:
			c.fix = "check GRAPH_BASE_URL and the network path to Microsoft Graph"
		}
		return c
	}
	c.status, c.detail = "ok", cfg.Organizer+": free/busy readable through Microsoft Graph"
	return c
}

// checkDeadJobs lists the dead-lettered jobs: work that used its attempts
// or cannot succeed, which an operator retries or discards.
func checkDeadJobs(ctx context.Context, cfg config) check {
	c := check{name: "dead-lettered jobs"}
	jobs, done, err := openDeadJobs(cfg.DBPath)
	if err != nil {
		c.status, c.detail = "FAIL", err.Error()
		return c
	}
	defer done()
	dead, err := jobs.Dead(ctx)
	if err != nil {
		c.status, c.detail = "warn", err.Error()
		return c
	}
	if len(dead) == 0 {
		c.status, c.detail = "ok", "none"
		return c
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d:", len(dead))
	for i, j := range dead {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(dead)-i)
			break
		}
		fmt.Fprintf(&b, " %d %s (%s);", j.ID, j.Kind, oneLine(j.LastError, 80))
	}
	c.status, c.detail = "warn", strings.TrimSuffix(b.String(), ";")
	c.fix = "mvmbot jobs list; once the cause is fixed, mvmbot jobs retry ID, or mvmbot jobs discard ID"
	return c
}

// checkFromServer asks the running mvmbot to check its file.
func checkFromServer(socket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://mvmbot/check", nil)
	if err != nil {
		return err
	}
	resp, err := adminClient(socket).Do(req)
	if err != nil {
		return fmt.Errorf("the database is in use by a running mvmbot, and its admin socket %s did not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return errors.New(strings.TrimSpace(string(b)))
	}
	return nil
}
