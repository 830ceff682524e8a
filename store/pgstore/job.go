package pgstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/input"
)

// The durable job queue, with the bbolt store's contract (store/job.go):
// the same Runner in package bot works from either. A queued job is a row
// of jobs; ClaimDue leases rows with FOR UPDATE SKIP LOCKED, so replicas
// claiming at once never take the same job, and a lease that ends without
// a report (its replica died) makes the job claimable by any replica.
// Leases are not cleared at Open, as on bbolt: other replicas hold live
// ones.

// jobColumns are read by scanJob, in its order.
const jobColumns = `id, kind, coalesce(key, ''), args::text, run_at, created_at, attempt, max_attempts, last_error`

// scanJob reads jobColumns and, when leased is true, lease_until after them.
func scanJob(row pgx.Row, leased bool) (playbook.Job, error) {
	var (
		j     playbook.Job
		id    int64
		args  *string
		lease *time.Time
	)
	dst := []any{&id, &j.Kind, &j.Key, &args, &j.RunAt, &j.CreatedAt, &j.Attempt, &j.MaxAttempts, &j.LastError}
	if leased {
		dst = append(dst, &lease)
	}
	if err := row.Scan(dst...); err != nil {
		return j, err
	}
	j.ID = uint64(id)
	if args != nil {
		j.Args = json.RawMessage(*args)
	}
	j.RunAt, j.CreatedAt, j.LeaseUntil = j.RunAt.UTC(), j.CreatedAt.UTC(), timeOf(lease)
	return j, nil
}

// Enqueue adds jobs to the queue, unleased, and returns the ones it
// inserted, in the order given; a job whose Key is queued already is
// skipped. See the bbolt store's Enqueue for every rule.
func (db *DB) Enqueue(ctx context.Context, jobs ...playbook.Job) ([]playbook.Job, error) {
	if err := input.Jobs(jobs); err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	now := db.clock()
	var out []playbook.Job
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = insertJobs(ctx, tx, jobs, now, time.Time{}, db.maxAttempts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return out, nil
}

// insertJobs queues copies of in and returns those it inserted; the due
// ones are leased until leaseUntil (zero for Enqueue). A key taken by a
// queued job, or by a job of another transaction still in progress (which
// this one waits for), skips the job.
func insertJobs(ctx context.Context, tx pgx.Tx, in []playbook.Job, now, leaseUntil time.Time, maxAttempts int) ([]playbook.Job, error) {
	var out []playbook.Job
	for _, j := range in {
		j, args, err := prepareJob(j, now, leaseUntil, maxAttempts)
		if err != nil {
			return nil, err
		}
		var id int64
		err = tx.QueryRow(ctx, insertJobSQL, args...).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("insert job: %w", err)
		}
		j.ID = uint64(id)
		out = append(out, j)
	}
	return out, nil
}

// insertJobSQL inserts a job unless its key is taken; prepareJob gives its
// arguments.
const insertJobSQL = `INSERT INTO jobs (kind, key, args, run_at, created_at, attempt, max_attempts, last_error, lease_until)
	VALUES ($1, $2, $3, $4, $5, 0, $6, '', $7)
	ON CONFLICT (key) DO NOTHING RETURNING id`

// prepareJob fills in what the store sets on a new job (see Enqueue) and
// returns it with the arguments of insertJobSQL.
func prepareJob(j playbook.Job, now, leaseUntil time.Time, maxAttempts int) (playbook.Job, []any, error) {
	j.CreatedAt = now
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	j.RunAt = micro(j.RunAt)
	if j.MaxAttempts == 0 {
		j.MaxAttempts = maxAttempts
	}
	j.Attempt, j.LastError, j.LeaseUntil = 0, "", time.Time{}
	if !j.RunAt.After(now) {
		j.LeaseUntil = leaseUntil
	}
	if len(j.Args) > 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, j.Args); err != nil {
			return j, nil, err
		}
		j.Args = b.Bytes()
	}
	var key *string
	if j.Key != "" {
		key = &j.Key
	}
	return j, []any{j.Kind, key, nullJSON(j.Args), j.RunAt, j.CreatedAt, j.MaxAttempts, nullTime(j.LeaseUntil)}, nil
}

// ClaimDue leases up to limit claimable jobs (RunAt <= now, no lease after
// now) until now + Options.JobLease, ordered by RunAt then ID. Jobs another
// replica is claiming at this moment are skipped, not waited for.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int) ([]playbook.Job, error) {
	if limit < 1 {
		return nil, fmt.Errorf("claim jobs: %w", playbook.Errorf(playbook.EINVALID, "The claim limit must be at least 1, not %d.", limit))
	}
	now = micro(now)
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	rows, err := db.pool.Query(ctx, `UPDATE jobs SET lease_until = $2 WHERE id IN (
			SELECT id FROM jobs WHERE run_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+jobColumns+`, lease_until`, now, now.Add(db.lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	out, err := collectJobs(rows, true)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	// RETURNING has no order of its own.
	slices.SortFunc(out, func(a, b playbook.Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func collectJobs(rows pgx.Rows, leased bool) ([]playbook.Job, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (playbook.Job, error) { return scanJob(row, leased) })
}

// Complete removes job id from the queue; completing a job that is not
// queued returns nil.
func (db *DB) Complete(ctx context.Context, id uint64) error {
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM jobs WHERE id = $1`, int64(id)); err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	return nil
}

// notPending is the ENOTFOUND of a job that is not queued.
func notPending(id uint64) error {
	return playbook.Errorf(playbook.ENOTFOUND, "Job %d is not pending.", id)
}

// Retry records a failed attempt of job id and makes it claimable from
// runAt (zero: now); after its last attempt the job is dead-lettered and
// dead is true. Returns ENOTFOUND when job id is not queued.
func (db *DB) Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (dead bool, err error) {
	now := db.clock()
	if runAt.IsZero() {
		runAt = now
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		// A dead job keeps the RunAt of its last attempt, as on bbolt.
		err := tx.QueryRow(ctx, `UPDATE jobs SET attempt = attempt + 1, last_error = $2, lease_until = NULL,
				run_at = CASE WHEN attempt + 1 >= max_attempts THEN run_at ELSE $3 END
			WHERE id = $1 RETURNING attempt >= max_attempts`, int64(id), errText, micro(runAt)).Scan(&dead)
		if errors.Is(err, pgx.ErrNoRows) {
			return notPending(id)
		}
		if err != nil || !dead {
			return err
		}
		return buryJob(ctx, tx, id, false, "")
	})
	if err != nil {
		return false, fmt.Errorf("retry job %d: %w", id, err)
	}
	return dead, nil
}

// buryJob moves queued job id to the dead letters; with failed, counting
// one more attempt that ended with errText.
func buryJob(ctx context.Context, tx pgx.Tx, id uint64, failed bool, errText string) error {
	tag, err := tx.Exec(ctx, `WITH d AS (DELETE FROM jobs WHERE id = $1 RETURNING *)
		INSERT INTO dead_jobs (id, kind, key, args, run_at, created_at, attempt, max_attempts, last_error)
		SELECT id, kind, key, args, run_at, created_at,
			CASE WHEN $2 THEN attempt + 1 ELSE attempt END, max_attempts,
			CASE WHEN $2 THEN $3 ELSE last_error END
		FROM d`, int64(id), failed, errText)
	if err == nil && tag.RowsAffected() == 0 {
		err = notPending(id)
	}
	return err
}

// Snooze puts job id back in the queue to run at runAt (zero: now) without
// using up an attempt. Returns ENOTFOUND when job id is not queued.
func (db *DB) Snooze(ctx context.Context, id uint64, runAt time.Time) error {
	if runAt.IsZero() {
		runAt = db.clock()
	}
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("snooze job %d: %w", id, err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE jobs SET run_at = $2, lease_until = NULL WHERE id = $1`, int64(id), micro(runAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = notPending(id)
	}
	if err != nil {
		return fmt.Errorf("snooze job %d: %w", id, err)
	}
	return nil
}

// Fail records a permanent failure of job id and dead-letters it at once.
// Returns ENOTFOUND when job id is not queued.
func (db *DB) Fail(ctx context.Context, id uint64, errText string) error {
	err := db.tx(ctx, func(tx pgx.Tx) error { return buryJob(ctx, tx, id, true, errText) })
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	return nil
}

// Dead returns the dead-lettered jobs ordered by ID.
func (db *DB) Dead(ctx context.Context) ([]playbook.Job, error) {
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+jobColumns+` FROM dead_jobs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	out, err := collectJobs(rows, false)
	if err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	return out, nil
}

// RequeueDead puts dead-lettered job id back in the queue with its
// attempts reset, to run now (mvmbot jobs retry). Returns ENOTFOUND when no
// dead job has that id, ECONFLICT when a queued job holds its key.
func (db *DB) RequeueDead(ctx context.Context, id uint64) (playbook.Job, error) {
	now := micro(db.clock())
	var out playbook.Job
	err := db.tx(ctx, func(tx pgx.Tx) error {
		j, err := scanJob(tx.QueryRow(ctx, `DELETE FROM dead_jobs WHERE id = $1 RETURNING `+jobColumns, int64(id)), false)
		if errors.Is(err, pgx.ErrNoRows) {
			return playbook.Errorf(playbook.ENOTFOUND, "No dead-lettered job has the id %d.", id)
		}
		if err != nil {
			return err
		}
		var key *string
		if j.Key != "" {
			key = &j.Key
		}
		// The job keeps its id, as on bbolt: people and logs named it.
		tag, err := tx.Exec(ctx, `INSERT INTO jobs (id, kind, key, args, run_at, created_at, attempt, max_attempts, last_error)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8) ON CONFLICT (key) DO NOTHING`,
			int64(id), j.Kind, key, nullJSON(j.Args), now, j.CreatedAt, j.MaxAttempts, j.LastError)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return playbook.Errorf(playbook.ECONFLICT, "A job with the key %q of job %d is queued already; discard job %d instead.", j.Key, id, id)
		}
		j.Attempt, j.RunAt, j.LeaseUntil = 0, now, time.Time{}
		out = j
		return nil
	})
	if err != nil {
		return playbook.Job{}, fmt.Errorf("requeue dead job %d: %w", id, err)
	}
	return out, nil
}

// DiscardDead deletes dead-lettered job id for good (mvmbot jobs discard).
// Returns ENOTFOUND when no dead job has that id.
func (db *DB) DiscardDead(ctx context.Context, id uint64) error {
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("discard dead job %d: %w", id, err)
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM dead_jobs WHERE id = $1`, int64(id))
	if err == nil && tag.RowsAffected() == 0 {
		err = playbook.Errorf(playbook.ENOTFOUND, "No dead-lettered job has the id %d.", id)
	}
	if err != nil {
		return fmt.Errorf("discard dead job %d: %w", id, err)
	}
	return nil
}

// Cancel removes the queued job whose Key is key, leased or not. Returns
// ENOTFOUND when no queued job has that key.
func (db *DB) Cancel(ctx context.Context, key string) error {
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("cancel job %q: %w", key, err)
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM jobs WHERE key = $1`, key)
	if err == nil && tag.RowsAffected() == 0 {
		err = playbook.Errorf(playbook.ENOTFOUND, "No pending job has the key %q.", key)
	}
	if err != nil {
		return fmt.Errorf("cancel job %q: %w", key, err)
	}
	return nil
}

// NextRunAt returns the earliest time at which ClaimDue could return a
// job: the minimum over queued jobs of RunAt, or of LeaseUntil for a job
// leased past its RunAt. ok is false when the queue is empty.
func (db *DB) NextRunAt(ctx context.Context) (next time.Time, ok bool, err error) {
	if err := db.usable(ctx); err != nil {
		return time.Time{}, false, fmt.Errorf("next job time: %w", err)
	}
	var at *time.Time
	if err := db.pool.QueryRow(ctx, `SELECT min(greatest(run_at, lease_until)) FROM jobs`).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("next job time: %w", err)
	}
	return timeOf(at), at != nil, nil
}

// Pending returns the number of queued jobs, leased or not.
func (db *DB) Pending(ctx context.Context) (int, error) {
	if err := db.usable(ctx); err != nil {
		return 0, fmt.Errorf("count pending jobs: %w", err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending jobs: %w", err)
	}
	return n, nil
}

// purgeJobs deletes the queued and dead-lettered jobs whose arguments name
// one of the engagement ids or conversations, as JSON strings (the rule of
// the bbolt store's purgeJobs): a purged engagement leaves no job behind
// that would act on it or still holds its data.
func purgeJobs(ctx context.Context, tx pgx.Tx, names []string) error {
	pats := quotedPatterns(names)
	for _, table := range []string{"jobs", "dead_jobs"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE args::text LIKE ANY($1)`, pats); err != nil {
			return fmt.Errorf("purge %s: %w", table, err)
		}
	}
	return nil
}

// quotedPatterns are LIKE patterns that match a JSON text holding one of
// names as a string.
func quotedPatterns(names []string) []string {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	pats := make([]string, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		b, _ := json.Marshal(n)
		pats = append(pats, "%"+esc.Replace(string(b))+"%")
	}
	return pats
}
