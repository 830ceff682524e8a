package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/store/pgstore"
)

// checkPostgres connects to the PostgreSQL store, reads its schema version
// and checks the role's privileges, changing nothing (serve migrates).
func checkPostgres(ctx context.Context, cfg config) check {
	c := check{name: "database"}
	name := postgresName(cfg.PostgresURL)
	opts, err := postgresOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		c.status, c.detail = "FAIL", err.Error()
		c.fix = "MVMBOT_STORE: postgres://USER@HOST:5432/DATABASE?sslmode=require (docs/deploy.md)"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	in, err := pgstore.Inspect(ctx, cfg.PostgresURL, opts)
	if err != nil {
		c.status, c.detail = "FAIL", err.Error()
		c.fix = "check the host, port, database and user in MVMBOT_STORE, the server's firewall rules, and for Entra " +
			"authentication that the bot's identity is a PostgreSQL role (docs/deploy.md)"
		return c
	}
	where := fmt.Sprintf("%s as %s", name, in.User)
	switch {
	case len(in.Missing) > 0:
		c.status, c.detail = "FAIL", where+" lacks "+strings.Join(in.Missing, ", ")
		c.fix = "grant the bot's role what is missing (docs/deploy.md lists the grants)"
	case in.Version > in.Want:
		c.status, c.detail = "FAIL", fmt.Sprintf("%s: schema version %d is newer than this build's %d", where, in.Version, in.Want)
		c.fix = "run the mvmbot version that wrote it, or a newer one"
	case in.Version < in.Want:
		c.status, c.detail = "ok", fmt.Sprintf("%s: schema version %d; mvmbot serve will migrate it to %d", where, in.Version, in.Want)
	default:
		c.status, c.detail = "ok", fmt.Sprintf("%s: connected, schema version %d, privileges complete", where, in.Version)
	}
	return c
}
