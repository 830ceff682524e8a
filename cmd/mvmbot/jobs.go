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
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// deadJobs is what `mvmbot jobs` and doctor do with dead-lettered jobs,
// either on the file (bot stopped) or through the running bot's admin
// socket.
type deadJobs interface {
	Dead(ctx context.Context) ([]playbook.Job, error)
	RequeueDead(ctx context.Context, id uint64) (playbook.Job, error)
	DiscardDead(ctx context.Context, id uint64) error
}

// adminJobs serves the dead letters on the admin socket: GET /jobs/dead,
// POST /jobs/dead/{id}/retry, POST /jobs/dead/{id}/discard. wake makes the
// runner claim a job put back at once.
func adminJobs(mux *http.ServeMux, db deadJobs, wake func(), log *slog.Logger) {
	mux.HandleFunc("GET /jobs/dead", func(w http.ResponseWriter, r *http.Request) {
		dead, err := db.Dead(r.Context())
		if err != nil {
			adminError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dead)
	})
	mux.HandleFunc("POST /jobs/dead/{id}/{op}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
		if err != nil {
			http.Error(w, "The job id must be a number.", http.StatusBadRequest)
			return
		}
		switch r.PathValue("op") {
		case "retry":
			if _, err = db.RequeueDead(r.Context(), id); err == nil {
				wake()
			}
		case "discard":
			err = db.DiscardDead(r.Context(), id)
		default:
			http.NotFound(w, r)
			return
		}
		if err != nil {
			adminError(w, err)
			return
		}
		log.Info("dead-lettered job "+r.PathValue("op")+" over the admin socket", "job", id)
		w.WriteHeader(http.StatusNoContent)
	})
}

// adminError answers with the error's sentence; the client turns the
// status back into the code.
func adminError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch playbook.ErrorCode(err) {
	case playbook.ENOTFOUND:
		status = http.StatusNotFound
	case playbook.ECONFLICT:
		status = http.StatusConflict
	}
	msg := playbook.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		msg = err.Error()
	}
	http.Error(w, msg, status)
}

// socketJobs is deadJobs through a running bot's admin socket.
type socketJobs struct{ socket string }

func (s socketJobs) do(ctx context.Context, method, path string, out any) error {
	client := adminClient(s.socket)
	req, err := http.NewRequestWithContext(ctx, method, "http://mvmbot"+path, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the database is in use by a running mvmbot, and its admin socket %s did not answer: %w", s.socket, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("read the running mvmbot's answer: %w", err)
	}
	msg := strings.TrimSpace(string(body))
	switch resp.StatusCode {
	case http.StatusOK:
		return json.Unmarshal(body, out)
	case http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return playbook.Errorf(playbook.ENOTFOUND, "%s", msg)
	case http.StatusConflict:
		return playbook.Errorf(playbook.ECONFLICT, "%s", msg)
	}
	return fmt.Errorf("the running mvmbot answered %s: %s", resp.Status, msg)
}

func (s socketJobs) Dead(ctx context.Context) ([]playbook.Job, error) {
	var out []playbook.Job
	err := s.do(ctx, http.MethodGet, "/jobs/dead", &out)
	return out, err
}

func (s socketJobs) RequeueDead(ctx context.Context, id uint64) (playbook.Job, error) {
	return playbook.Job{ID: id}, s.do(ctx, http.MethodPost, fmt.Sprintf("/jobs/dead/%d/retry", id), nil)
}

func (s socketJobs) DiscardDead(ctx context.Context, id uint64) error {
	return s.do(ctx, http.MethodPost, fmt.Sprintf("/jobs/dead/%d/discard", id), nil)
}

// openDeadJobs opens the database, or, when a running mvmbot holds it, its
// admin socket. close releases what was opened.
func openDeadJobs(dbPath string) (jobs deadJobs, close func(), err error) {
	db, err := store.Open(dbPath, &store.Options{Timeout: 200 * time.Millisecond})
	switch {
	case err == nil:
		return db, func() { db.Close() }, nil
	case errors.Is(err, store.ErrInUse):
		return socketJobs{socket: adminSocket(dbPath)}, func() {}, nil
	}
	return nil, nil, err
}

func (m *Main) jobs(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, "Usage: mvmbot jobs list | retry ID | discard ID\n\n"+
			"Lists the dead-lettered jobs (those that used their attempts or cannot succeed),\n"+
			"puts one back in the queue with fresh attempts, or deletes one. Works while mvmbot\n"+
			"serves, through its admin socket beside the database.\n")
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	op, rest := fs.Arg(0), fs.Args()
	if len(rest) > 0 {
		rest = rest[1:]
	}
	var id uint64
	switch {
	case op == "list" && len(rest) == 0:
	case (op == "retry" || op == "discard") && len(rest) == 1:
		n, err := strconv.ParseUint(rest[0], 10, 64)
		if err != nil {
			fs.Usage()
			return fmt.Errorf("%w: the job id %q is not a number", errUsage, rest[0])
		}
		id = n
	default:
		fs.Usage()
		return fmt.Errorf("%w: jobs needs list, retry ID or discard ID", errUsage)
	}
	cfg, err := loadConfig(m.Getenv)
	if err != nil {
		return err
	}
	jobs, done, err := openDeadJobs(cfg.DBPath)
	if err != nil {
		return err
	}
	defer done()
	switch op {
	case "retry":
		if _, err := jobs.RequeueDead(ctx, id); err != nil {
			return jobsError(err)
		}
		fmt.Fprintf(m.Stdout, "job %d is queued again with fresh attempts\n", id)
	case "discard":
		if err := jobs.DiscardDead(ctx, id); err != nil {
			return jobsError(err)
		}
		fmt.Fprintf(m.Stdout, "job %d is deleted\n", id)
	default:
		dead, err := jobs.Dead(ctx)
		if err != nil {
			return err
		}
		printDead(m.Stdout, dead)
	}
	return nil
}

// jobsError is a store refusal as its sentence.
func jobsError(err error) error {
	if c := playbook.ErrorCode(err); c == playbook.ENOTFOUND || c == playbook.ECONFLICT {
		return errors.New(playbook.ErrorMessage(err))
	}
	return err
}

func printDead(w io.Writer, dead []playbook.Job) {
	if len(dead) == 0 {
		fmt.Fprintln(w, "no dead-lettered jobs")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tATTEMPTS\tQUEUED\tLAST ERROR")
	for _, j := range dead {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\n", j.ID, j.Kind, j.Attempt, j.CreatedAt.UTC().Format("2006-01-02 15:04"), oneLine(j.LastError, 160))
	}
	tw.Flush()
}

// oneLine is s on one line, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}
