package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

const purgeUsage = `Usage: mvmbot purge --closed-before YYYY-MM-DD [--apply] [--db FILE]

Deletes the data of engagements closed before the date (their record, history,
indexes and jobs), for the retention your organization sets, then rewrites the
file so that no byte of them is left in it or in later backups. Without --apply
it only lists what would go. While mvmbot serves, the running process purges
and rewrites the file through its admin socket beside the database (turns wait
for the rewrite, a moment); take a backup first (mvmbot backup).

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
	list, rewritten, err := purgeFile(ctx, path, cut, *apply)
	if errors.Is(err, store.ErrInUse) {
		list, rewritten, err = purgeFromServer(ctx, adminSocket(path), cut, *apply)
	}
	if err != nil {
		return err
	}
	m.purgeListed(list, *apply)
	switch {
	case *apply && len(list) > 0:
		fmt.Fprintf(m.Stdout, "%s is rewritten without their data; backups taken before still hold it: delete or replace them as your retention says\n", path)
	case rewritten:
		fmt.Fprintf(m.Stdout, "%s is rewritten without the data of an earlier purge whose rewrite did not finish\n", path)
	}
	return nil
}

// purgeListed prints what a purge deleted, or would delete.
func (m *Main) purgeListed(list []purged, apply bool) {
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
	m.purgeListed(purgedList(list), apply)
	if apply && len(list) > 0 {
		fmt.Fprintf(m.Stdout, "%s no longer holds their rows; PostgreSQL reuses their space as it vacuums, and its backups "+
			"(pg_dump files, the server's point-in-time restore) still hold them until they expire: see docs/operations.md\n", postgresName(url))
	}
	return nil
}

// purged is one engagement a purge took (or would take).
type purged struct {
	ID       string    `json:"id"`
	Customer string    `json:"customer"`
	Closed   time.Time `json:"closed"`
}

func purgedList(es []playbook.Engagement) []purged {
	out := make([]purged, 0, len(es))
	for _, e := range es {
		out = append(out, purged{e.ID, e.Customer, e.Closed})
	}
	return out
}

// purgeFile purges the file at path with no mvmbot serving it; ErrInUse
// when one does. rewritten says whether it rewrote the file.
func purgeFile(ctx context.Context, path string, cut time.Time, apply bool) (_ []purged, rewritten bool, _ error) {
	st, err := store.Open(path, &store.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		return nil, false, err
	}
	list, err := st.PurgeClosed(ctx, cut, !apply)
	pending := false
	if err == nil && apply {
		pending, err = st.RewritePending(ctx)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, err
	}
	if pending {
		// Deleted records stay in the file's free pages until it is
		// rewritten: purged means gone only after this. Pending is also
		// true when this purge deleted nothing but an earlier one was cut
		// short before its rewrite (killed, a full disk): this completes it.
		if err := store.Compact(path, &store.Options{Timeout: 200 * time.Millisecond}); err != nil {
			return nil, false, fmt.Errorf("purge: the engagements are deleted, but %s could not be rewritten without their bytes (%w); run the purge again", path, err)
		}
	}
	return purgedList(list), pending, nil
}

// rewrittenHeader, in the admin socket's answer to a purge, says that the
// file was rewritten.
const rewrittenHeader = "Mvmbot-Rewritten"

// servePurge is POST /purge?closed-before=YYYY-MM-DD[&apply=1] on the admin
// socket: the serving process purges and rewrites its own file
// (store.DB.CompactServing), and answers with what it purged. It rewrites
// whenever a purge's rewrite is pending, this one's or an earlier one's
// that was cut short (see purgeFile).
func servePurge(db *store.DB, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cut, err := time.Parse(time.DateOnly, r.URL.Query().Get("closed-before"))
		if err != nil {
			http.Error(w, "closed-before: want a date, YYYY-MM-DD", http.StatusBadRequest)
			return
		}
		apply := r.URL.Query().Get("apply") == "1"
		list, err := db.PurgeClosed(r.Context(), cut, !apply)
		pending := false
		if err == nil && apply {
			pending, err = db.RewritePending(r.Context())
		}
		if err == nil && pending {
			if cerr := db.CompactServing(); cerr != nil {
				err = fmt.Errorf("the engagements are deleted, but the file could not be rewritten without their bytes (%w); run the purge again", cerr)
			}
		}
		if err != nil {
			log.Error("purge over the admin socket", "err", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		log.Info("purge over the admin socket", "apply", apply, "engagements", len(list), "rewritten", pending)
		w.Header().Set("Content-Type", "application/json")
		if pending {
			w.Header().Set(rewrittenHeader, "1")
		}
		_ = json.NewEncoder(w).Encode(purgedList(list))
	}
}

// purgeFromServer asks the serving mvmbot to purge.
func purgeFromServer(ctx context.Context, socket string, cut time.Time, apply bool) (_ []purged, rewritten bool, _ error) {
	q := url.Values{"closed-before": {cut.Format(time.DateOnly)}}
	if apply {
		q.Set("apply", "1")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mvmbot/purge?"+q.Encode(), nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := adminClient(socket).Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("purge: the database is in use by a running mvmbot, and its admin socket %s did not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, false, fmt.Errorf("purge by the running mvmbot: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var list []purged
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, false, fmt.Errorf("purge by the running mvmbot: %w", err)
	}
	return list, resp.Header.Get(rewrittenHeader) == "1", nil
}
