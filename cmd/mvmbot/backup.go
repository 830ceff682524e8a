package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mvmbot/mvmbot/store"
)

// adminSocket is where a serving mvmbot offers its admin endpoints: a Unix
// socket beside the database, so only someone with access to the data
// directory (the same user, or `docker exec`) can reach them, and nothing
// is exposed on the network.
func adminSocket(dbPath string) string { return dbPath + ".admin.sock" }

// serveAdmin serves GET /backup, GET /check (the file's consistency check),
// POST /import, POST /purge and the dead letters (adminJobs) on the admin socket until
// ctx ends; wake makes the runner claim jobs at once.
func serveAdmin(ctx context.Context, db *store.DB, path string, wake func(), log *slog.Logger) (stop func(), err error) {
	// The database lock is ours, so a socket file left here belongs to a
	// process that died.
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := db.WriteTo(w)
		if err != nil {
			log.Error("backup over the admin socket", "err", err, "bytes", n)
			return
		}
		log.Info("backup written over the admin socket", "bytes", n)
	})
	mux.HandleFunc("GET /check", func(w http.ResponseWriter, r *http.Request) {
		if err := db.Check(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	adminJobs(mux, db, wake, log)
	mux.HandleFunc("POST /import", serveImport(db))
	mux.HandleFunc("POST /purge", servePurge(db, log))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		_ = os.Remove(path)
	}, nil
}

func (m *Main) backup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	out := fs.String("out", "", "file to write the copy to (required)")
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, "Usage: mvmbot backup --out FILE\n\n"+
			"Writes a consistent copy of the database (MVMBOT_DB). While mvmbot serves, the copy\n"+
			"is taken by the running process through its admin socket beside the database.\n")
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: backup needs --out FILE", errUsage)
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		return err
	}
	if cfg.PostgresURL != "" {
		return errBackupPostgres(cfg.PostgresURL)
	}
	db, err := store.Open(cfg.DBPath, &store.Options{Timeout: 200 * time.Millisecond})
	switch {
	case err == nil:
		defer db.Close()
		if err := db.Backup(ctx, *out); err != nil {
			return err
		}
	case errors.Is(err, store.ErrInUse):
		if err := backupFromServer(ctx, adminSocket(cfg.DBPath), *out); err != nil {
			return err
		}
	default:
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote a copy of %s to %s\n", cfg.DBPath, *out)
	return nil
}

// adminClient talks HTTP to the admin socket of a running mvmbot.
func adminClient(socket string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
}

// backupFromServer asks the serving process for a snapshot and writes it to
// out through a temporary file, so a failure leaves no partial backup.
func backupFromServer(ctx context.Context, socket, out string) (err error) {
	client := adminClient(socket)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://mvmbot/backup", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the database is in use by a running mvmbot, and its admin socket %s did not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup from the running mvmbot: %s", resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, resp.Body); err != nil {
		return fmt.Errorf("backup: copy from the running mvmbot: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err = os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
