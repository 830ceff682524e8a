package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mvmbot/mvmbot/store"
	"github.com/mvmbot/mvmbot/store/pgstore"
)

const migrateStoreUsage = `Usage: mvmbot migrate-store --from FILE [--to postgres://…]

Copies a bbolt database file (engagements with their history, batches,
questionnaire versions and issues, conversation references, queued and
dead-lettered jobs, dedup records) into an empty
PostgreSQL database, in one transaction, then checks that every count
matches. The bot must be stopped (or copy a file from mvmbot backup).
--to defaults to MVMBOT_STORE.

`

// migrateStore copies a bbolt file into PostgreSQL (docs/deploy.md:
// moving a bbolt deployment).
func (m *Main) migrateStore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate-store", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	from := fs.String("from", "", "the bbolt database file to copy (required)")
	to := fs.String("to", "", "postgres:// URL of an empty database; MVMBOT_STORE when empty")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, migrateStoreUsage)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		return err
	}
	if *to == "" {
		*to = cfg.PostgresURL
	}
	if *from == "" || fs.NArg() > 0 || !isPostgresURL(*to) {
		fs.Usage()
		return fmt.Errorf("%w: migrate-store needs --from FILE and --to postgres://… (or MVMBOT_STORE)", errUsage)
	}
	if _, err := os.Stat(*from); err != nil {
		// store.Open would create an empty file: say what is missing.
		return fmt.Errorf("migrate-store: no database at %s", *from)
	}
	src, err := store.Open(*from, &store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("migrate-store: %s is in use by a running mvmbot. Stop the bot (the copy must be its last state), "+
			"or copy a file from `mvmbot backup --out copy.db`", *from)
	}
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	dump, err := src.Dump(ctx)
	src.Close()
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}

	cfg.PostgresURL = *to
	opts, err := postgresOptions(cfg, newLogger(cfg, m.Stderr))
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	dst, err := pgstore.Open(ctx, *to, opts)
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	defer dst.Close()
	recs := &pgstore.Records{Engagements: dump.Engagements, Conversations: dump.Conversations, Refs: dump.Refs, Jobs: dump.Jobs, Dead: dump.Dead, Drafts: dump.Drafts}
	for _, p := range dump.Processed {
		recs.Processed = append(recs.Processed, pgstore.ProcessedRecord{KeyHash: p.KeyHash, Result: p.Result})
	}
	if err := dst.Load(ctx, recs); errors.Is(err, pgstore.ErrNotEmpty) {
		return fmt.Errorf("migrate-store: %s already holds mvmbot records; copy into an empty database only", postgresName(*to))
	} else if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	got, err := dst.Counts(ctx)
	if err != nil {
		return fmt.Errorf("migrate-store: verify: %w", err)
	}
	want := pgstore.Counts{Engagements: len(dump.Engagements), Conversations: len(dump.Conversations), Refs: len(dump.Refs),
		Jobs: len(dump.Jobs), Dead: len(dump.Dead), Processed: len(dump.Processed), Drafts: len(dump.Drafts)}
	for _, e := range dump.Engagements {
		want.History += len(e.History)
		want.Versions += len(e.Questionnaire)
		want.Issues += len(e.Issues)
		seen := map[string]bool{}
		for _, mem := range e.Members {
			if !seen[mem.ID] {
				seen[mem.ID] = true
				want.Members++
			}
		}
	}
	if got != want {
		return fmt.Errorf("migrate-store: the copy's counts %+v differ from the file's %+v", got, want)
	}
	newLogger(cfg, m.Stderr).Info("store copied", slog.String("from", *from), slog.String("to", postgresName(*to)))
	fmt.Fprintf(m.Stdout, "copied %s to %s: %d engagements, %d conversation bindings, %d references, %d queued and %d dead jobs, %d dedup records, %d questionnaire drafts, %d questionnaire versions, %d issues; counts verified\n",
		*from, postgresName(*to), want.Engagements, want.Conversations, want.Refs, want.Jobs, want.Dead, want.Processed, want.Drafts, want.Versions, want.Issues)
	return nil
}
