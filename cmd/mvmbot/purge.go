package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

const purgeUsage = `Usage: mvmbot purge --closed-before YYYY-MM-DD [--apply] [--db FILE]

Deletes the data of engagements closed before the date (their record, history,
indexes and jobs), for the retention your organization sets, then rewrites the
file so that no byte of them is left in it or in later backups. Without --apply
it only lists what would go. The bot must be stopped (it holds the database);
take a backup first (mvmbot backup).

With MVMBOT_STORE a postgres:// URL and no --db, the PostgreSQL database is
purged in one transaction while the replicas serve; its own backups still hold
the rows until they expire (docs/operations.md).

`

// purge deletes closed engagements after retention; a dry run by default.
func (m *Main) purge(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	before := fs.String("closed-before", "", "purge engagements closed before this date, YYYY-MM-DD (required)")
	apply := fs.Bool("apply", false, "delete; without it, only list")
	db := fs.String("db", "", "database file; MVMBOT_DB when empty")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, purgeUsage)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	cut, err := time.Parse(time.DateOnly, *before)
	if err != nil || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: purge needs --closed-before YYYY-MM-DD", errUsage)
	}
	path, pg, cfg, err := m.storeFor(*db)
	if err != nil {
		return err
	}
	if pg != "" {
		return m.purgePostgres(ctx, pg, cfg, cut, *apply)
	}
	st, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("purge: %s is in use by a running mvmbot; stop it first (and take a backup)", path)
	}
	if err != nil {
		return err
	}
	list, err := st.PurgeClosed(ctx, cut, !*apply)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *apply && len(list) > 0 {
		// Deleted records stay in the file's free pages until it is
		// rewritten: purged means gone only after this.
		if err := store.Compact(path, &store.Options{Timeout: 200 * time.Millisecond}); err != nil {
			return fmt.Errorf("purge: the engagements are deleted, but %s could not be rewritten without their bytes (%w); run the purge again with the bot stopped", path, err)
		}
	}
	m.purgeListed(list, *apply)
	if *apply && len(list) > 0 {
		fmt.Fprintf(m.Stdout, "%s is rewritten without their data; backups taken before still hold it: delete or replace them as your retention says\n", path)
	}
	return nil
}

// purgeListed prints what a purge deleted, or would delete.
func (m *Main) purgeListed(list []playbook.Engagement, apply bool) {
	verb := "would purge"
	if apply {
		verb = "purged"
	}
	for _, e := range list {
		fmt.Fprintf(m.Stdout, "%s %s (%s), closed %s\n", verb, e.ID, e.Customer, e.Closed.Format(time.DateOnly))
	}
	fmt.Fprintf(m.Stdout, "%d engagement(s) %s", len(list), verb)
	if !apply && len(list) > 0 {
		fmt.Fprint(m.Stdout, "; run again with --apply to delete them")
	}
	fmt.Fprintln(m.Stdout)
}

// purgePostgres is purge on PostgreSQL: one transaction, while the
// replicas serve (a turn on a purged engagement finds it gone).
func (m *Main) purgePostgres(ctx context.Context, url string, cfg config, cut time.Time, apply bool) error {
	st, err := m.openPostgres(ctx, "purge", url, cfg)
	if err != nil {
		return err
	}
	list, err := st.PurgeClosed(ctx, cut, !apply)
	st.Close()
	if err != nil {
		return err
	}
	m.purgeListed(list, apply)
	if apply && len(list) > 0 {
		fmt.Fprintf(m.Stdout, "%s no longer holds their rows; PostgreSQL reuses their space as it vacuums, and its backups "+
			"(pg_dump files, the server's point-in-time restore) still hold them until they expire: see docs/operations.md\n", postgresName(url))
	}
	return nil
}
