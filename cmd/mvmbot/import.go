package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// importCmd reads data into the database: for now an event's batch, the
// users or paths it migrates, from a CSV file in mvmbot's layout or
// Microsoft's IMAP migration CSV (playbook.ParseBatchFile; its passwords
// are dropped while reading and the person is told so). All
// or nothing: any bad row lists every bad row with its line and imports
// nothing. The change is saved as a turn is, under optimistic concurrency,
// and recorded in the history as made by the engagement's migration manager
// (or --as).
func (m *Main) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "batch" && args[0] != "status") {
		fmt.Fprint(m.Stderr, importUsage)
		return fmt.Errorf("%w: import needs what to import: mvmbot import batch|status --engagement ID --event N FILE", errUsage)
	}
	what := args[0]
	fs := flag.NewFlagSet("import "+what, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	id := fs.String("engagement", "", "engagement id (required)")
	event := fs.Int("event", 0, "event number (required; the events card shows them)")
	kind := fs.String("kind", "users", "users or paths")
	as := fs.String("as", "", "member id recorded as making the change; the engagement's MVM (else the MST lead) when empty")
	db := fs.String("db", "", "database file; MVMBOT_DB when empty")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, importUsage)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if *id == "" || *event < 1 || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import %s needs --engagement ID, --event N and one file (flags before the file)", errUsage, what)
	}
	var bk playbook.BatchKind
	switch *kind {
	case "users", "user":
		bk = playbook.BatchUsers
	case "paths", "path":
		bk = playbook.BatchPaths
	default:
		return fmt.Errorf("%w: --kind must be users or paths, not %q", errUsage, *kind)
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	var (
		batch    playbook.BatchFile
		statuses []playbook.UnitStatus
		rowErrs  []playbook.RowError
	)
	if what == "status" {
		statuses, rowErrs, err = playbook.ParseMigrationUserCSV(data)
	} else {
		batch, rowErrs, err = playbook.ParseBatchFile(data, bk)
	}
	clear(data) // an IMAP migration CSV carries passwords: keep them no longer than the parse
	members := batch.Members
	if len(rowErrs) > 0 {
		fmt.Fprintf(m.Stderr, "%s:\n%s", file, playbook.RowErrorsText(rowErrs, playbook.MaxRowErrors))
		return fmt.Errorf("import: %d rows of %s are invalid; nothing was imported. Fix them and import the whole file again", len(rowErrs), file)
	}
	if err != nil {
		return fmt.Errorf("import: %s: %s", file, playbook.ErrorMessage(err))
	}

	path := *db
	if path == "" {
		cfg, err := loadConfig(m.Getenv)
		if err != nil {
			return err
		}
		path = cfg.DBPath
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import: no database at %s (set MVMBOT_DB or pass --db)", path)
	}
	st, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("import: %s is in use by a running mvmbot, which holds it alone. Stop the bot, import, and start it again", path)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	e, err := st.Engagement(ctx, *id)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return fmt.Errorf("import: no engagement %q in %s", *id, path)
	}
	if err != nil {
		return err
	}
	actor := *as
	if actor == "" {
		mgr, role, ok := playbook.SinglePointOfContact(e)
		if !ok {
			return fmt.Errorf("import: nobody holds %s in the %s engagement; give the role first, or pass --as MEMBER_ID", role, e.Customer)
		}
		actor = mgr.ID
	}
	var done string
	if what == "status" {
		s, err := playbook.RecordStatus(e, actor, *event, statuses, time.Now())
		if err != nil {
			return fmt.Errorf("import: %s", playbook.ErrorMessage(err))
		}
		done = fmt.Sprintf("imported the status of %d units into event %d of %s: %d migrated, %d in progress, %d failed, %d stopped, %d not reported",
			len(statuses), *event, e.Customer, s.Migrated, s.InProgress, s.Failed, s.Stopped, s.Unreported)
	} else {
		if err := playbook.SetEventMembers(e, actor, *event, bk, members, time.Now()); err != nil {
			return fmt.Errorf("import: %s", playbook.ErrorMessage(err))
		}
		done = fmt.Sprintf("imported %d %ss into event %d of %s", len(members), bk, *event, e.Customer)
	}
	e.Version++
	if _, _, err := st.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintln(m.Stderr, done)
	if n := batch.Notice(); n != "" {
		fmt.Fprintln(m.Stderr, n)
	}
	return nil
}

const importUsage = `Usage: mvmbot import batch --engagement ID --event N [--kind users|paths] [--as MEMBER_ID] [--db FILE] FILE.csv
       mvmbot import status --engagement ID --event N [--as MEMBER_ID] [--db FILE] FILE.csv

status records each unit's migration status from a CSV export of
Get-MigrationUser or Get-MigrationUserStatistics (Export-Csv): Identity,
Status, and Error, LastSuccessfulSyncTime, SkippedItemCount when present.
The event must be running or completed; units of other batches are refused.

batch:
Sets the members of a migration event from a CSV file: a header naming the
columns (users: user and optionally target; paths: path and optionally
target), then one unit a row; or Microsoft's IMAP migration CSV
(EmailAddress, UserName, Password, optional UserRoot), whose passwords are
not kept: credentials go through the secure credential process (3614); or,
for paths, SPMT's or Migration Manager's file-share bulk file (six-column
CSV, or JSON with Tasks). Every row is checked; when any is bad, each
bad row is listed with its line number and nothing is imported. It writes
the database directly, so the bot must not be serving from it.
`
