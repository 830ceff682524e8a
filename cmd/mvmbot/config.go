package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/identity"
)

// config is the public configuration (DESIGN.md), read once from the
// environment. Names follow the Bot Framework SDKs so that existing
// deployments and docs carry over.
type config struct {
	Port           string
	AppID          string
	AppPassword    identity.Secret
	TenantID       string
	AppType        string
	OpenIDMetadata string
	DBPath         string
	PostgresURL    string // MVMBOT_STORE when it is a postgres:// URL; "" means bbolt at DBPath
	JobLease       time.Duration
	RemindAfter    time.Duration // MVMBOT_ESCALATION_REMINDER; 0: bot.DefaultRemindAfter
	GraphBaseURL   string
	AuthorityHost  string
	LogFormat      string
	LogLevel       slog.Level
	Organizer      string
	PublicURL      string
}

// envVars documents every variable, for --help and the README.
var envVars = []struct{ name, meaning, def string }{
	{"PORT", "HTTP port; the endpoint is /api/messages", "3978"},
	{"MicrosoftAppId", "bot app id; empty = local mode (no auth, loopback only)", "empty"},
	{"MicrosoftAppPassword", "client secret (not with UserAssignedMSI)", "empty"},
	{"MicrosoftAppTenantId", "the bot's home tenant", "empty"},
	{"MicrosoftAppType", "MultiTenant, SingleTenant or UserAssignedMSI", "SingleTenant when a tenant is set"},
	{"BotOpenIdMetadata", "OpenID metadata URL for inbound tokens", botframework.PublicOpenIDMetadata},
	{"MVMBOT_STORE", "the store: a bbolt file path, or a postgres:// URL for several replicas (docs/deploy.md)", "empty: bbolt at MVMBOT_DB"},
	{"MVMBOT_DB", "bbolt database file", "mvmbot.db"},
	{"MVMBOT_JOB_LEASE", "how long a claimed job is reserved for its process; a job of a replica that died runs again after it; keep it longer than a job may run (2m30s)", "3m"},
	{"MVMBOT_ESCALATION_REMINDER", "how long an escalation waits unacknowledged before its point of contact is reminded, and between reminders", "24h"},
	{"GRAPH_BASE_URL", "Microsoft Graph root", "https://graph.microsoft.com/v1.0"},
	{"AZURE_AUTHORITY_HOST", "Entra authority (sovereign clouds, tests); turns instance discovery off", "the public cloud"},
	{"MVMBOT_LOG_FORMAT", "text or json", "text on a terminal, else json"},
	{"MVMBOT_LOG_LEVEL", "debug, info, warn or error", "info"},
	{"MVMBOT_ORGANIZER", "mailbox (UPN or id) that organizes MST workshops", "empty: no Graph calls for workshops"},
	{"MVMBOT_PUBLIC_URL", "the bot's public https root, for links people open (Add to calendar)", "empty: the .ics path is shown as text"},
	{"GOMEMLIMIT", "Go's soft memory limit, e.g. 64MiB (read by the Go runtime)", "18MiB for serve (Go's own default is none)"},
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Port:           getenv("PORT"),
		AppID:          strings.TrimSpace(getenv("MicrosoftAppId")),
		AppPassword:    identity.Secret(getenv("MicrosoftAppPassword")),
		TenantID:       strings.TrimSpace(getenv("MicrosoftAppTenantId")),
		AppType:        strings.TrimSpace(getenv("MicrosoftAppType")),
		OpenIDMetadata: getenv("BotOpenIdMetadata"),
		DBPath:         getenv("MVMBOT_DB"),
		GraphBaseURL:   getenv("GRAPH_BASE_URL"),
		AuthorityHost:  getenv("AZURE_AUTHORITY_HOST"),
		LogFormat:      strings.ToLower(getenv("MVMBOT_LOG_FORMAT")),
		Organizer:      getenv("MVMBOT_ORGANIZER"),
		PublicURL:      strings.TrimRight(strings.TrimSpace(getenv("MVMBOT_PUBLIC_URL")), "/"),
	}
	if c.Port == "" {
		c.Port = "3978"
	}
	if p, err := strconv.Atoi(c.Port); err != nil || p < 0 || p > 65535 {
		return c, fmt.Errorf("PORT %q is not a port number", c.Port)
	}
	if c.OpenIDMetadata == "" {
		c.OpenIDMetadata = botframework.PublicOpenIDMetadata
	}
	if st := strings.TrimSpace(getenv("MVMBOT_STORE")); isPostgresURL(st) {
		c.PostgresURL = st
	} else if st != "" {
		if c.DBPath != "" && c.DBPath != st {
			return c, fmt.Errorf("MVMBOT_STORE %q and MVMBOT_DB %q name two bbolt files: set one", st, c.DBPath)
		}
		c.DBPath = st
	}
	if c.DBPath == "" {
		c.DBPath = "mvmbot.db"
	}
	if v := strings.TrimSpace(getenv("MVMBOT_JOB_LEASE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return c, fmt.Errorf("MVMBOT_JOB_LEASE %q: want a duration of a second or more, like 3m", v)
		}
		c.JobLease = d
	}
	if v := strings.TrimSpace(getenv("MVMBOT_ESCALATION_REMINDER")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return c, fmt.Errorf("MVMBOT_ESCALATION_REMINDER %q: want a duration of a second or more, like 24h", v)
		}
		c.RemindAfter = d
	}
	if c.GraphBaseURL == "" {
		c.GraphBaseURL = "https://graph.microsoft.com/v1.0"
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		local := err == nil && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1")
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && local)) || u.RawQuery != "" {
			return c, fmt.Errorf("MVMBOT_PUBLIC_URL %q: want the bot's public root, like https://mvmbot.contoso.com", c.PublicURL)
		}
	}
	switch c.LogFormat {
	case "", "text", "json":
	default:
		return c, fmt.Errorf("MVMBOT_LOG_FORMAT %q: want text or json", c.LogFormat)
	}
	if lvl := getenv("MVMBOT_LOG_LEVEL"); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			return c, fmt.Errorf("MVMBOT_LOG_LEVEL %q: want debug, info, warn or error", lvl)
		}
	}
	if c.AppID != "" {
		t, err := identity.ResolveAppType(c.AppType, c.TenantID)
		if err != nil {
			return c, err
		}
		c.AppType = t
	}
	return c, nil
}

// localMode is on when no app id is set: no inbound auth, as in the SDKs,
// so the Agents Playground can talk to the bot.
func (c config) localMode() bool { return c.AppID == "" }

// linkBase is the root of the links the bot hands out (the .ics
// invitations, the reporting feed): MVMBOT_PUBLIC_URL, else in local mode
// the loopback address it listens on, so a link is one a person can click
// on this machine; "" otherwise (the cards show the path).
func (c config) linkBase() string {
	if c.PublicURL == "" && c.localMode() {
		return "http://localhost:" + c.Port
	}
	return c.PublicURL
}

func (c config) identity() identity.Config {
	return identity.Config{
		AppID:         c.AppID,
		Secret:        c.AppPassword,
		TenantID:      c.TenantID,
		AppType:       c.AppType,
		AuthorityHost: c.AuthorityHost,
	}
}

func newLogger(c config, stderr io.Writer) *slog.Logger {
	format := c.LogFormat
	if format == "" {
		format = "json"
		if f, ok := stderr.(*os.File); ok && isTerminal(f) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if format == "text" {
		return slog.New(slog.NewTextHandler(stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(stderr, opts))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
