package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/identity"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
	"github.com/mvmbot/mvmbot/store/pgstore"
)

// appStore is everything serve needs of a store; both backends have it.
type appStore interface {
	bot.TurnStore
	bot.EngagementReader
	bot.JobStore
	bot.WorkerStore
	bot.ProcessedSweeper
	bot.DraftStore
	// Dead lists the dead-lettered jobs, for /readyz (bot's deadLister
	// finds it on the Server's store, which is this interface).
	Dead(ctx context.Context) ([]playbook.Job, error)
	Close() error
}

var (
	_ appStore = (*store.DB)(nil)
	_ appStore = (*pgstore.DB)(nil)
)

// openedStore is the store serve runs on, and which backend it is.
type openedStore struct {
	appStore
	bolt *store.DB   // bbolt: one process; nil on PostgreSQL
	pg   *pgstore.DB // several replicas; nil on bbolt
	name string      // for logs, without credentials
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// openStore opens the store MVMBOT_STORE names: bbolt at cfg.DBPath, or
// PostgreSQL at cfg.PostgresURL.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (*openedStore, error) {
	if cfg.PostgresURL == "" {
		db, err := store.Open(cfg.DBPath, &store.Options{Timeout: time.Second, JobLease: cfg.JobLease})
		if err != nil {
			return nil, err
		}
		return &openedStore{appStore: db, bolt: db, name: cfg.DBPath}, nil
	}
	opts, err := postgresOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db, err := pgstore.Open(octx, cfg.PostgresURL, opts)
	if err != nil {
		return nil, err
	}
	return &openedStore{appStore: db, pg: db, name: postgresName(cfg.PostgresURL)}, nil
}

// postgresName names a PostgreSQL database for logs: host and database,
// never the user's password.
func postgresName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres"
	}
	return "postgres://" + u.Host + u.Path
}

// entraScope is the scope of the access tokens Azure Database for
// PostgreSQL flexible server accepts as passwords.
const entraScope = "https://ossrdbms-aad.database.windows.net/.default"

// postgresOptions sets up Microsoft Entra authentication for Azure
// Database for PostgreSQL: a URL to a *.postgres.database.azure.com host
// without a password gets, for each new connection, an access token of the
// bot's identity (its managed identity with UserAssignedMSI), or in local
// mode of the developer's (azidentity's default chain: az login). A
// password in the URL is used as it is, on any host.
func postgresOptions(cfg config, log *slog.Logger) (*pgstore.Options, error) {
	u, err := url.Parse(cfg.PostgresURL)
	if err != nil {
		return nil, errors.New("MVMBOT_STORE is not a valid postgres:// URL")
	}
	if _, has := u.User.Password(); has || !strings.HasSuffix(strings.ToLower(u.Hostname()), ".postgres.database.azure.com") {
		return &pgstore.Options{JobLease: cfg.JobLease}, nil
	}
	var cred azcore.TokenCredential
	if cfg.localMode() {
		cred, err = azidentity.NewDefaultAzureCredential(nil)
	} else {
		cred, err = identity.Credential(cfg.identity())
	}
	if err != nil {
		return nil, fmt.Errorf("database credential: %w", err)
	}
	tokens := identity.NewTokenSource(cred, entraScope)
	log.Info("database authenticates with Microsoft Entra tokens", "host", u.Hostname(), "user", u.User.Username())
	return &pgstore.Options{Password: tokens.Token, JobLease: cfg.JobLease}, nil
}
