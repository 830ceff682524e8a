package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/store"
)

const purgeUsage = `Usage: mvmbot purge --closed-before YYYY-MM-DD [--apply] [--db FILE]

Deletes the data of engagements closed before the date (their record, history
and indexes), for the retention your organization sets. Without --apply it
only lists what would go. The bot must be stopped (it holds the database);
take a backup first (mvmbot backup).

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
	path := *db
	if path == "" {
		cfg, err := loadConfig(m.Getenv)
		if err != nil {
			return err
		}
		path = cfg.DBPath
	}
	st, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("purge: %s is in use by a running mvmbot; stop it first (and take a backup)", path)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.PurgeClosed(ctx, cut, !*apply)
	if err != nil {
		return err
	}
	verb := "would purge"
	if *apply {
		verb = "purged"
	}
	for _, e := range list {
		fmt.Fprintf(m.Stdout, "%s %s (%s), closed %s\n", verb, e.ID, e.Customer, e.Closed.Format(time.DateOnly))
	}
	fmt.Fprintf(m.Stdout, "%d engagement(s) %s", len(list), verb)
	if !*apply && len(list) > 0 {
		fmt.Fprint(m.Stdout, "; run again with --apply to delete them")
	}
	fmt.Fprintln(m.Stdout)
	return nil
}
