package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/identity"
	"github.com/mvmbot/mvmbot/internal/download"
)

// memoryLimit is the soft memory limit the server runs with unless
// GOMEMLIMIT is set. The bot's live heap is a few MB, but under load, left
// to the GC target alone, the heap and the pages the runtime keeps from it
// grew to some 20 MB, and the process past the 40 MB it is held to (the
// binary's code and the database's mapped pages are most of the rest). At
// this limit the runtime collects and returns memory to keep its own total
// near 18 MiB, at no measurable cost in throughput. It is soft: should the
// live heap come near it, the runtime collects more often (at most half
// the CPU) rather than fail, and GOMEMLIMIT raises it.
const memoryLimit = 18 << 20

// shutdownGrace bounds how long in-flight requests and jobs may take to
// finish at SIGINT/SIGTERM before they are cancelled.
const shutdownGrace = 10 * time.Second

func (m *Main) serve(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: serve takes no arguments (configuration is in the environment; see mvmbot help)", errUsage)
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, m.Stderr)
	if m.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}

	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "err", err)
		}
	}()

	// bg ends the background loops (key refresh, sweeps) at shutdown.
	bg, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()

	gc, err := newGraph(cfg, log)
	if err != nil {
		return err
	}
	connector := &botframework.Connector{HTTP: connectorClient(), Log: log}
	srv := &bot.Server{Store: db, Handler: bot.Conversation{Engagements: db, Roster: connector, Refs: db, Workshops: gc.workshops, Sites: gc.sites, Organizer: cfg.Organizer, BaseURL: cfg.linkBase(), Drafts: db,
		Files: &download.Client{Local: cfg.localMode()}}, Reports: db, Log: log}
	host := "" // all interfaces
	if cfg.localMode() {
		host = "127.0.0.1"
		srv.LocalOnly = true
		log.Warn("LOCAL MODE: MicrosoftAppId is not set, so inbound requests are NOT authenticated. " +
			"Listening on 127.0.0.1 only and refusing other peers. Set MicrosoftAppId to serve Teams.")
	} else if err := authenticate(ctx, bg, cfg, srv, connector, log); err != nil {
		return err
	}

	runner, periodic := m.newRunner(cfg, db, gc, connector, log)
	srv.Runner = runner
	// Read-only answers (help, next steps, status) are posted during the
	// request. On bbolt the activity is recorded afterwards, guarded by
	// this process's in-flight set; replicas sharing PostgreSQL do not see
	// that set, so there the activity is recorded first (bot.Server's
	// RecordFirst).
	srv.Inline = connector
	srv.RecordFirst = db.pg != nil
	runner.Start()
	startPeriodic(bg, db, periodic)

	ln, err := net.Listen("tcp", net.JoinHostPort(host, cfg.Port))
	if err != nil {
		_ = runner.Stop(context.Background())
		return fmt.Errorf("listen on port %s: %w", cfg.Port, err)
	}
	defer startAdmin(bg, cfg, db, runner, log)()
	hs := httpServer(srv, db, log)
	log.Info("mvmbot listening", "addr", ln.Addr().String(), "endpoint", "/api/messages",
		"db", db.name, "version", buildVersion(), "local_mode", cfg.localMode())
	if m.OnListen != nil {
		m.OnListen(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		_ = runner.Stop(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown(hs, srv, runner, stopBackground, log)
	return nil
}

// authenticate turns on the checks of inbound tokens (the OpenID signing
// keys, loaded now and refreshed until bg ends) and the bot's own
// credential for the Bot Connector.
func authenticate(ctx, bg context.Context, cfg config, srv *bot.Server, connector *botframework.Connector, log *slog.Logger) error {
	keys := &botframework.OpenIDKeys{MetadataURL: cfg.OpenIDMetadata, Client: &http.Client{Timeout: 15 * time.Second}, Log: log}
	if err := keys.Load(ctx); err != nil {
		// Not fatal: /readyz says so and the refresh loop keeps trying.
		log.Error("load OpenID signing keys; requests will be refused until they load", "url", cfg.OpenIDMetadata, "err", err)
	}
	go keys.Run(bg)
	srv.Auth = botframework.NewTokenValidator(cfg.AppID, keys, nil)
	srv.Ready = func() error {
		if !keys.Ready() {
			return errors.New("signing keys not loaded")
		}
		return nil
	}
	cred, err := identity.Credential(cfg.identity())
	if err != nil {
		return fmt.Errorf("bot credential: %w", err)
	}
	connector.Tokens = identity.NewTokenSource(cred, identity.BotConnectorScope)
	log.Info("auth on", "app_id", cfg.AppID, "app_type", cfg.AppType, "openid_metadata", cfg.OpenIDMetadata)
	return nil
}

// newRunner builds the job workers and the runner that works them, and
// returns with it the periodic scans that keep their jobs queued.
func (m *Main) newRunner(cfg config, db *openedStore, gc graphClients, connector *botframework.Connector, log *slog.Logger) (*bot.Runner, func(context.Context)) {
	// The runner is built first, its worker table filled below: every job
	// set shares one environment, whose runner sends at once the posts a
	// worker commits rather than when their lease ends.
	workers := bot.Workers{}
	runner := &bot.Runner{Store: db, Workers: workers, Log: log}
	if run := bot.DefaultJobTimeout + bot.BookkeepingTimeout; cfg.JobLease > 0 && cfg.JobLease <= run {
		// Tests and the chaos run shorten the lease on purpose; in a
		// deployment it makes a slow job run twice.
		log.Warn("MVMBOT_JOB_LEASE is shorter than a job may run: a slow job can be claimed again while it runs", "lease", cfg.JobLease, "jobMayRun", run)
	}
	env := bot.WorkerEnv{Store: db, Log: log, Runner: runner}
	// One MigrationJobs both works the weekly reports and escalation
	// reminders and keeps them queued.
	migration := &bot.MigrationJobs{WorkerEnv: env, RemindAfter: cfg.RemindAfter}
	// WorkshopJobs creates the workshops' Teams meetings and posts their
	// reminders (issue 6); it queues its jobs every few seconds, so a
	// picked slot is booked soon after the click.
	workshopJobs := &bot.WorkshopJobs{WorkerEnv: env, Graph: gc.workshops, Organizer: cfg.Organizer, BaseURL: cfg.linkBase()}
	// SiteJobs sets up the collaboration site and writes the issue tracker
	// (issue 7); its jobs are queued by the turns that need them. Tests
	// give it their clock (Main.Now).
	siteJobs := &bot.SiteJobs{WorkerEnv: env, Graph: gc.sites, PollEvery: m.SitePoll}
	siteJobs.Now = m.Now
	// Each job kind comes from its args type; a kind registered twice
	// panics here, at start.
	bot.AddSendWorker(workers, connector, &botframework.RateLimiter{})
	migration.AddWorkers(workers)
	workshopJobs.AddWorkers(workers)
	siteJobs.AddWorkers(workers)
	// Tell, by kind, says in the conversation that a job is being
	// retried, and how it ended when it cannot succeed.
	runner.Tell = map[string]bot.TellFunc{
		bot.KindReportWeekly:   migration.TellReport,
		bot.KindWorkshopCreate: workshopJobs.TellCreate,
		bot.KindWorkshopCancel: workshopJobs.TellCancel,
		bot.KindSiteSetup:      siteJobs.TellSetup,
		bot.KindIssueSync:      siteJobs.TellIssueSync,
	}
	periodic := func(ctx context.Context) {
		go migration.Run(ctx, 5*time.Minute)
		go workshopJobs.Run(ctx, workshopReconcile)
		bot.SweepProcessed(ctx, db, bot.DedupTTL, 10*time.Minute, time.Now, log)
	}
	return runner, periodic
}

// startPeriodic runs the periodic scans and the dedup sweep until bg ends.
func startPeriodic(bg context.Context, db *openedStore, periodic func(context.Context)) {
	if db.pg != nil {
		// Several replicas share the database: the scans and the sweep run
		// on one of them at a time, and another takes over if it dies.
		go func() { _ = db.pg.Lead(bg, "periodic", 15*time.Second, periodic) }()
	} else {
		go periodic(bg)
	}
}

// startAdmin serves the admin socket (backups and jobs while serving) on
// bbolt, and returns what stops it.
func startAdmin(bg context.Context, cfg config, db *openedStore, runner *bot.Runner, log *slog.Logger) (stop func()) {
	stopAdmin, err := func() {}, error(nil)
	if db.bolt != nil {
		stopAdmin, err = serveAdmin(bg, db.bolt, adminSocket(cfg.DBPath), runner.Wake, log)
	}
	if err != nil {
		// Backups while serving need it, the bot does not: say so and go on.
		log.Warn("no admin socket; mvmbot backup and jobs will not work while serving", "err", err)
		stopAdmin = func() {}
	}
	return stopAdmin
}

// httpServer is the HTTP server of the routes, with its timeouts.
func httpServer(srv *bot.Server, db *openedStore, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           routes(srv, db),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// shutdown is the reverse of start-up: stop taking requests and let
// in-flight ones finish, then drain the jobs; the store is closed after.
func shutdown(hs *http.Server, srv *bot.Server, runner *bot.Runner, stopBackground func(), log *slog.Logger) {
	log.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	srv.Wait()
	if err := runner.Stop(sctx); err != nil {
		log.Warn("job runner stop", "err", err)
	}
	stopBackground()
	log.Info("stopped")
}

func (m *Main) healthcheck(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: healthcheck takes no arguments", errUsage)
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+cfg.Port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	fmt.Fprintln(m.Stdout, "ok")
	return nil
}

// connectorClient is the HTTP client for the Bot Connector. Replies go to a
// handful of serviceUrl hosts with many requests in flight, so it keeps more
// idle connections per host than net/http's default of two, which would
// open and close a connection for most sends under load. It has no Timeout
// of its own: botframework.Connector bounds every attempt with its context
// (Connector.Timeout), and a client timeout would add a timer per call.
func connectorClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}
