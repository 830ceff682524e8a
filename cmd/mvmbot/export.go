package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// export writes data out of the database: for now the latest (or a given)
// version of an engagement's migration questionnaire, as JSON or CSV.
func (m *Main) export(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "questionnaire" {
		fmt.Fprint(m.Stderr, exportUsage)
		return fmt.Errorf("%w: export needs what to export: mvmbot export questionnaire --engagement ID", errUsage)
	}
	fs := flag.NewFlagSet("export questionnaire", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	id := fs.String("engagement", "", "engagement id (required; the bot's questionnaire export message names it)")
	format := fs.String("format", "json", "json or csv")
	out := fs.String("out", "", "file to write; standard output when empty")
	version := fs.Int("version", 0, "questionnaire version; the latest when 0")
	db := fs.String("db", "", "database file; MVMBOT_DB when empty (use it on a copy from mvmbot backup)")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, exportUsage)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if *id == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: export questionnaire needs --engagement ID", errUsage)
	}
	if *format != "json" && *format != "csv" {
		return fmt.Errorf("%w: --format must be json or csv, not %q", errUsage, *format)
	}
	path, pg, cfg, err := m.storeFor(*db)
	if err != nil {
		return err
	}
	var st interface {
		Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	}
	if pg != "" {
		// Replicas may serve meanwhile: this only reads.
		p, err := m.openPostgres(ctx, "export", pg, cfg)
		if err != nil {
			return err
		}
		defer p.Close()
		st, path = p, postgresName(pg)
	} else {
		if _, err := os.Stat(path); err != nil {
			// store.Open would create an empty database: say what is missing.
			return fmt.Errorf("export: no database at %s (set MVMBOT_DB or pass --db)", path)
		}
		b, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("export: %s is in use by a running mvmbot, which holds it alone. Stop the bot, or take a copy with "+
				"`mvmbot backup --out copy.db` and run `mvmbot export questionnaire --engagement %s --db copy.db`", path, *id)
		}
		if err != nil {
			return err
		}
		defer b.Close()
		st = b
	}
	e, err := st.Engagement(ctx, *id)
	if err != nil {
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			return fmt.Errorf("export: no engagement %q in %s", *id, path)
		}
		return err
	}
	v, ok := playbook.LatestQuestionnaire(e)
	if *version != 0 {
		if v, err = playbook.QuestionnaireVersionN(e, *version); err != nil {
			return fmt.Errorf("export: %s", playbook.ErrorMessage(err))
		}
	} else if !ok {
		return fmt.Errorf("export: the %s engagement's questionnaire has not been submitted yet", e.Customer)
	}
	var data []byte
	if *format == "csv" {
		data, err = playbook.ExportCSV(e, v)
	} else {
		data, err = playbook.ExportJSON(e, v)
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = m.Stdout.Write(data)
		return err
	}
	if err := writeFileAtomic(*out, data); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(m.Stderr, "wrote questionnaire v%d of %s (%s, %s bytes) to %s\n", v.N, e.Customer, *format, strconv.Itoa(len(data)), *out)
	return nil
}

const exportUsage = `Usage: mvmbot export questionnaire --engagement ID [--format json|csv] [--out FILE] [--version N] [--db FILE]

Writes a submitted version of the engagement's migration questionnaire (the
latest by default) as JSON or CSV, to FILE or standard output. It reads the
database directly, so the bot must not be serving from it: stop the bot, or
export from a copy made with mvmbot backup.
`

// writeFileAtomic writes data to path through a temporary file beside it,
// so a failure leaves no partial file.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
