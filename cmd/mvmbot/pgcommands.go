package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/store/pgstore"
)

// The maintenance commands on PostgreSQL (docs/operations.md): export,
// import and purge work on the database while the replicas serve from it,
// as a turn does (reads are plain reads; an import is saved at the version
// it read, so a change made meanwhile on a replica is never overwritten;
// a purge is one transaction). backup does not: it copies a bbolt file,
// and a PostgreSQL database is backed up with pg_dump or the server's own
// backups.

// storeFor says which store a maintenance command works on: the bbolt file
// at --db (dbFlag) or MVMBOT_DB, or, when --db is not given and
// MVMBOT_STORE is a postgres:// URL, that database (pg is then its URL).
func (m *Main) storeFor(dbFlag string) (path, pg string, cfg config, err error) {
	cfg, err = loadConfig(m.Getenv)
	if dbFlag != "" {
		// --db names a file: the configuration need not be complete.
		return dbFlag, "", cfg, nil
	}
	if err != nil {
		return "", "", cfg, err
	}
	return cfg.DBPath, cfg.PostgresURL, cfg, nil
}

// openPostgres opens the PostgreSQL store for command cmd.
func (m *Main) openPostgres(ctx context.Context, cmd, url string, cfg config) (*pgstore.DB, error) {
	opts, err := postgresOptions(cfg, newLogger(cfg, m.Stderr))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db, err := pgstore.Open(octx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	newLogger(cfg, m.Stderr).Debug("store opened", slog.String("command", cmd), slog.String("db", postgresName(url)))
	return db, nil
}

// errBackupPostgres is backup's answer on PostgreSQL.
func errBackupPostgres(url string) error {
	return fmt.Errorf("backup: MVMBOT_STORE is a PostgreSQL database (%s), and mvmbot backup copies a bbolt file. "+
		"Back PostgreSQL up with its own tools: pg_dump --format=custom --file mvmbot.dump \"$MVMBOT_STORE\" "+
		"(restore with pg_restore), or the server's backups (Azure Database for PostgreSQL flexible server keeps "+
		"automated backups with point-in-time restore). See docs/operations.md", postgresName(url))
}
