package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// importCmd reads data into the database: an event's batch, the users or
// paths it migrates, from a CSV file in mvmbot's layout or one of
// Microsoft's (playbook.ParseBatchFile: the IMAP migration CSV, whose
// passwords are dropped while reading and the person told so, or SPMT's
// and Migration Manager's file-share bulk files); or an event's migration
// status from a Get-MigrationUser export or SPMT's and Migration Manager's reports
// (playbook.ParseStatusFile).
// All or nothing: any bad row lists every bad row with its line and
// imports nothing. The change is saved as a turn is, under optimistic
// concurrency, and recorded in the history as made by the engagement's
// migration manager (or --as). While mvmbot serves from the database, the
// running process does the import through its admin socket, as backup
// does.
func (m *Main) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "batch" && args[0] != "status") {
		fmt.Fprint(m.Stderr, importUsage)
		return fmt.Errorf("%w: import needs what to import: mvmbot import batch|status --engagement ID --event N FILE", errUsage)
	}
	req := importReq{What: args[0]}
	fs := flag.NewFlagSet("import "+req.What, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&req.Engagement, "engagement", "", "engagement id (required)")
	fs.IntVar(&req.Event, "event", 0, "event number (required; the events card shows them)")
	kind := fs.String("kind", "users", "users or paths (batch)")
	fs.StringVar(&req.As, "as", "", "member id recorded as making the change; the engagement's MVM (else the MST lead) when empty")
	db := fs.String("db", "", "database file; MVMBOT_DB when empty")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, importUsage)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	if req.Engagement == "" || req.Event < 1 || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import %s needs --engagement ID, --event N and one file (flags before the file)", errUsage, req.What)
	}
	switch *kind {
	case "users", "user":
		req.Kind = playbook.BatchUsers
	case "paths", "path":
		req.Kind = playbook.BatchPaths
	default:
		return fmt.Errorf("%w: --kind must be users or paths, not %q", errUsage, *kind)
	}
	file := fs.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	req.Data = data
	defer clear(data) // an IMAP migration CSV carries passwords: keep them no longer than needed

	path, pg, cfg, err := m.storeFor(*db)
	if err != nil {
		return err
	}
	var res importResult
	if pg != "" {
		// Saved at the version read, as a turn is: replicas may serve.
		st, err := m.openPostgres(ctx, "import", pg, cfg)
		if err != nil {
			return err
		}
		res, err = applyImport(ctx, st, req)
		st.Close()
		return m.importDone(file, res, err)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import: no database at %s (set MVMBOT_DB or pass --db)", path)
	}
	st, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, store.ErrInUse):
		res, err = importFromServer(ctx, adminSocket(path), req)
	case err != nil:
		return err
	default:
		res, err = applyImport(ctx, st, req)
		st.Close()
	}
	return m.importDone(file, res, err)
}

// importDone tells the person what an import did, or why it did nothing.
func (m *Main) importDone(file string, res importResult, err error) error {
	if len(res.Rows) > 0 {
		fmt.Fprintf(m.Stderr, "%s:\n%s", file, playbook.RowErrorsText(res.Rows, playbook.MaxRowErrors))
		return fmt.Errorf("import: %d rows of %s are invalid; nothing was imported. Fix them and import the whole file again", len(res.Rows), file)
	}
	if err != nil {
		return fmt.Errorf("import: %s: %w", file, err)
	}
	fmt.Fprintln(m.Stderr, res.Done)
	if res.Notice != "" {
		fmt.Fprintln(m.Stderr, res.Notice)
	}
	return nil
}

// importReq is one import: what, into which event, and the file.
type importReq struct {
	What       string // batch or status
	Engagement string
	Event      int
	Kind       playbook.BatchKind
	As         string
	Data       []byte
}

// importResult is what an import did, for the person; Rows are the bad
// rows of a refused file.
type importResult struct {
	Done   string              `json:"done,omitempty"`
	Notice string              `json:"notice,omitempty"`
	Rows   []playbook.RowError `json:"rows,omitempty"`
	Error  string              `json:"error,omitempty"`
}

// importStore is what an import needs: either backend's store.
type importStore interface {
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	CommitTurn(ctx context.Context, t playbook.Turn) ([]playbook.Job, *playbook.Result, error)
}

// applyImport parses req's file and applies it to its engagement in st,
// all or nothing. Its error is a sentence for the person.
func applyImport(ctx context.Context, st importStore, req importReq) (importResult, error) {
	var (
		batch    playbook.BatchFile
		statuses []playbook.UnitStatus
		rowErrs  []playbook.RowError
		err      error
	)
	if req.What == "status" {
		statuses, rowErrs, err = playbook.ParseStatusFile(req.Data)
	} else {
		batch, rowErrs, err = playbook.ParseBatchFile(req.Data, req.Kind)
	}
	if len(rowErrs) > 0 {
		return importResult{Rows: rowErrs}, errors.New(playbook.ErrorMessage(err))
	}
	if err != nil {
		return importResult{}, errors.New(playbook.ErrorMessage(err))
	}
	e, err := st.Engagement(ctx, req.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return importResult{}, fmt.Errorf("no engagement %q", req.Engagement)
	}
	if err != nil {
		return importResult{}, err
	}
	actor := req.As
	if actor == "" {
		mgr, role, ok := playbook.SinglePointOfContact(e)
		if !ok {
			return importResult{}, fmt.Errorf("nobody holds %s in the %s engagement; give the role first, or pass --as MEMBER_ID", role, e.Customer)
		}
		actor = mgr.ID
	}
	var res importResult
	now := time.Now()
	if req.What == "status" {
		s, err := playbook.RecordStatus(e, actor, req.Event, statuses, now)
		if err != nil {
			return importResult{}, errors.New(playbook.ErrorMessage(err))
		}
		res.Done = fmt.Sprintf("imported the status of %d units into event %d of %s: %d migrated, %d in progress, %d failed, %d stopped, %d not reported",
			s.Reported, req.Event, e.Customer, s.Migrated, s.InProgress, s.Failed, s.Stopped, s.Unreported)
	} else {
		if err := playbook.SetEventMembers(e, actor, req.Event, req.Kind, batch.Members, now); err != nil {
			return importResult{}, errors.New(playbook.ErrorMessage(err))
		}
		res.Done = fmt.Sprintf("imported %d %ss into event %d of %s", len(batch.Members), req.Kind, req.Event, e.Customer)
		res.Notice = batch.Notice()
	}
	e.Version++
	if _, _, err := st.CommitTurn(ctx, playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		return importResult{}, err
	}
	return res, nil
}

// serveImport is the admin socket's POST /import: the query names what
// and where, the body is the file.
func serveImport(db *store.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, _ := strconv.Atoi(q.Get("event"))
		req := importReq{What: q.Get("what"), Engagement: q.Get("engagement"), Event: n, Kind: playbook.BatchKind(q.Get("kind")), As: q.Get("as")}
		data, err := io.ReadAll(io.LimitReader(r.Body, playbook.MaxBatchCSVBytes+1))
		defer clear(data)
		req.Data = data
		res := importResult{}
		status := http.StatusOK
		if err == nil {
			res, err = applyImport(r.Context(), db, req)
		}
		if err != nil {
			res.Error, status = err.Error(), http.StatusUnprocessableEntity
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(res)
	}
}

// importFromServer asks the serving process to do req.
func importFromServer(ctx context.Context, socket string, req importReq) (importResult, error) {
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	q := url.Values{"what": {req.What}, "engagement": {req.Engagement}, "event": {strconv.Itoa(req.Event)}, "kind": {string(req.Kind)}, "as": {req.As}}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mvmbot/import?"+q.Encode(), bytes.NewReader(req.Data))
	if err != nil {
		return importResult{}, err
	}
	resp, err := client.Do(hr)
	if err != nil {
		return importResult{}, fmt.Errorf("the database is in use by a running mvmbot, and its admin socket %s did not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	var res importResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil {
		return importResult{}, fmt.Errorf("import through the running mvmbot: %s", resp.Status)
	}
	if res.Error != "" {
		return res, errors.New(res.Error)
	}
	return res, nil
}

const importUsage = `Usage: mvmbot import batch --engagement ID --event N [--kind users|paths] [--as MEMBER_ID] [--db FILE] FILE
       mvmbot import status --engagement ID --event N [--as MEMBER_ID] [--db FILE] FILE.csv

batch sets the members of a migration event from a file: mvmbot's CSV (a
header naming the columns, users: user and optionally target; paths: path
and optionally target; then one unit a row); Microsoft's IMAP migration CSV
(EmailAddress, UserName, Password, optional UserRoot), whose passwords are
not kept: credentials go through the secure credential process (3614); or,
for paths, SPMT's or Migration Manager's file-share bulk file (six-column
CSV, or JSON with Tasks).

status records each unit's migration status from a CSV export of
Get-MigrationUser or Get-MigrationUserStatistics (Export-Csv): Identity,
Status, and Error, LastSuccessfulSyncTime, SkippedItemCount,
BytesTransferred, EstimatedTotalTransferSize when present; from SPMT's or
Migration Manager's SummaryReport.csv (one row a file-share task),
ItemReport.csv, ItemFailureReport.csv or FailureSummary.csv (one row a
file, counted into its task); or from Migration Manager's cloud
MigrationLog.csv, Migration errors.csv or Migration summary.csv. The
layout is read from the header.
The event must be running or completed; units of other batches are refused.

Every row is checked; when any is bad, each bad row is listed with its line
number and nothing is imported. While mvmbot serves from the database, the
running process imports through its admin socket beside the database.
`
