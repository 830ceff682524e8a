package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/input"
	bolt "go.etcd.io/bbolt"
)

// The durable job queue.
//
// A job is queued (bucket jobs, indexed by RunAt in job_due and by Key in
// job_keys) until Complete, Cancel, or its last failed attempt moves it to
// the dead-letter bucket. A queued job is claimable when RunAt <= now and it
// has no live lease (LeaseUntil <= now). Claiming sets LeaseUntil; Retry and
// Snooze clear it. Attempt counts finished attempts: claiming does not change
// it, Retry and Fail add one.
//
// A typical runner: sleep until NextRunAt (or a wake-up from whoever
// enqueued), ClaimDue, run each job with its own context, then Complete,
// Retry (transient error, backoff), Snooze (told to come back later, e.g.
// Retry-After; no attempt used) or Fail (permanent error).

// Enqueue adds jobs to the queue, unleased, and returns the ones it inserted
// with their fields filled in, in the order given. The store sets ID (from a
// sequence: IDs only grow), CreatedAt (now), Attempt (0), LastError ("") and
// LeaseUntil (zero); RunAt zero means now; MaxAttempts 0 means
// Options.MaxAttempts.
//
// Key, when not empty, is unique among queued jobs: a job whose Key matches
// a queued job (or an earlier job of the same call) is skipped and does not
// appear in the result. A key is released when its job completes, is
// cancelled, or is dead-lettered. Compare len(result) with len(jobs) to know
// whether something was skipped.
//
// Returns EINVALID, and inserts nothing, when a job has an empty Kind, Args
// that are not valid JSON, or a negative MaxAttempts.
func (db *DB) Enqueue(ctx context.Context, jobs ...playbook.Job) ([]playbook.Job, error) {
	if err := input.Jobs(jobs); err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	now := db.clock()
	var out []playbook.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = insertJobs(tx, jobs, now, time.Time{}, db.maxAttempts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return out, nil
}

// ClaimDue leases up to limit claimable jobs (RunAt <= now, no lease after
// now) until now + Options.JobLease and returns them ordered by RunAt, then
// ID. It does not change Attempt. A job not reported with Complete, Retry,
// Snooze or Fail before its lease ends becomes claimable again (at least
// once delivery). Returns EINVALID when limit < 1.
//
// now is the caller's, not the store clock, so a runner decides what "due"
// means; it normally passes its own clock's time.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int) ([]playbook.Job, error) {
	if limit < 1 {
		return nil, fmt.Errorf("claim jobs: %w", playbook.Errorf(playbook.EINVALID, "The claim limit must be at least 1, not %d.", limit))
	}
	now = now.UTC()
	until := now.Add(db.lease)
	end := timeKey(now)
	var out []playbook.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		jobs := tx.Bucket(bucketJobs)
		c := tx.Bucket(bucketJobDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if bytes.Compare(k[:8], end) > 0 {
				break
			}
			var j playbook.Job
			ok, err := getJSON(jobs, k[8:], &j)
			if err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("index job_due names missing job %d", binary.BigEndian.Uint64(k[8:]))
			}
			if j.LeaseUntil.After(now) {
				continue
			}
			j.LeaseUntil = until
			if err := putJSON(jobs, k[8:], j); err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	return out, nil
}

// Complete removes job id from the queue: it ran successfully. Its key is
// released. Completing a job that is not queued (already completed, or
// cancelled while it ran) returns nil, so Complete is idempotent, and
// concurrent calls share a transaction.
func (db *DB) Complete(ctx context.Context, id uint64) error {
	err := db.batch(ctx, func(tx *bolt.Tx) error {
		// Only the fields that locate the job's index entries are decoded:
		// Complete runs once per reply, and Args is most of a job's bytes.
		var j struct {
			ID    uint64    `json:"id"`
			Key   string    `json:"key"`
			RunAt time.Time `json:"runAt"`
		}
		ok, err := getJSON(tx.Bucket(bucketJobs), idKey(id), &j)
		if err != nil || !ok {
			return err
		}
		return removeJob(tx, playbook.Job{ID: j.ID, Key: j.Key, RunAt: j.RunAt})
	}, false)
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	return nil
}

// Retry records a failed attempt of job id: Attempt++, LastError = errText,
// lease cleared, RunAt = runAt (zero means now), so the job is claimable
// again from runAt; the caller computes the backoff. When the attempt was
// the job's last (Attempt >= MaxAttempts), Retry moves the job to the
// dead-letter bucket instead, releases its key and returns dead = true; that
// is an outcome, not an error.
//
// Retry is not idempotent (each call uses up an attempt), so it runs in a
// transaction of its own rather than a shared batch. Returns ENOTFOUND when
// job id is not queued.
func (db *DB) Retry(ctx context.Context, id uint64, runAt time.Time, errText string) (dead bool, err error) {
	now := db.clock()
	err = db.update(ctx, func(tx *bolt.Tx) error {
		dead = false
		j, err := mustGetJob(tx, id)
		if err != nil {
			return err
		}
		j.Attempt++
		j.LastError = errText
		if j.Attempt >= j.MaxAttempts {
			dead = true
			return buryJob(tx, j)
		}
		if runAt.IsZero() {
			runAt = now
		}
		return rescheduleJob(tx, j, runAt.UTC())
	})
	if err != nil {
		return false, fmt.Errorf("retry job %d: %w", id, err)
	}
	return dead, nil
}

// Snooze puts job id back in the queue to run at runAt (zero means now)
// without using up an attempt: for a worker told to come back later (429 or
// 503 with Retry-After). Returns ENOTFOUND when job id is not queued.
func (db *DB) Snooze(ctx context.Context, id uint64, runAt time.Time) error {
	now := db.clock()
	err := db.update(ctx, func(tx *bolt.Tx) error {
		j, err := mustGetJob(tx, id)
		if err != nil {
			return err
		}
		if runAt.IsZero() {
			runAt = now
		}
		return rescheduleJob(tx, j, runAt.UTC())
	})
	if err != nil {
		return fmt.Errorf("snooze job %d: %w", id, err)
	}
	return nil
}

// Fail records a permanent failure of job id (retrying cannot help: 403,
// invalid input): Attempt++, LastError = errText, and the job moves to the
// dead-letter bucket at once, releasing its key. Returns ENOTFOUND when job
// id is not queued.
func (db *DB) Fail(ctx context.Context, id uint64, errText string) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		j, err := mustGetJob(tx, id)
		if err != nil {
			return err
		}
		j.Attempt++
		j.LastError = errText
		return buryJob(tx, j)
	})
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	return nil
}

// Dead returns the dead-lettered jobs ordered by ID, each as it was after
// its last attempt (Attempt, LastError; no lease). They stay until removed
// by hand; an empty list is not an error.
func (db *DB) Dead(ctx context.Context) ([]playbook.Job, error) {
	var out []playbook.Job
	err := db.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		return tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			var j playbook.Job
			if err := decodeJSON(k, v, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list dead jobs: %w", err)
	}
	return out, nil
}

// RequeueDead puts dead-lettered job id back in the queue, for an operator
// who fixed the cause (mvmbot jobs retry): a fresh set of attempts
// (Attempt 0), its last error kept until the next attempt, RunAt now, no
// lease. It keeps its ID, kind, key and args, and is returned as queued.
// Returns ENOTFOUND when no dead job has that id, and ECONFLICT, changing
// nothing, when a queued job holds its key (the work is queued again
// already).
func (db *DB) RequeueDead(ctx context.Context, id uint64) (playbook.Job, error) {
	now := db.clock()
	var out playbook.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		dead := tx.Bucket(bucketDead)
		var j playbook.Job
		ok, err := getJSON(dead, idKey(id), &j)
		if err != nil {
			return err
		}
		if !ok {
			return playbook.Errorf(playbook.ENOTFOUND, "No dead-lettered job has the id %d.", id)
		}
		if j.Key != "" && tx.Bucket(bucketJobKeys).Get([]byte(j.Key)) != nil {
			return playbook.Errorf(playbook.ECONFLICT, "A job with the key %q of job %d is queued already; discard job %d instead.", j.Key, id, id)
		}
		if err := dead.Delete(idKey(id)); err != nil {
			return err
		}
		j.Attempt, j.RunAt, j.LeaseUntil = 0, now, time.Time{}
		if err := putJSON(tx.Bucket(bucketJobs), idKey(id), j); err != nil {
			return err
		}
		if err := tx.Bucket(bucketJobDue).Put(dueKey(j), nil); err != nil {
			return err
		}
		if j.Key != "" {
			if err := tx.Bucket(bucketJobKeys).Put([]byte(j.Key), idKey(id)); err != nil {
				return err
			}
		}
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
	err := db.update(ctx, func(tx *bolt.Tx) error {
		dead := tx.Bucket(bucketDead)
		if dead.Get(idKey(id)) == nil {
			return playbook.Errorf(playbook.ENOTFOUND, "No dead-lettered job has the id %d.", id)
		}
		return dead.Delete(idKey(id))
	})
	if err != nil {
		return fmt.Errorf("discard dead job %d: %w", id, err)
	}
	return nil
}

// Cancel removes the queued job whose Key is key (a reminder that is no
// longer wanted), whether or not it is leased; a runner still holding it will
// find Complete a no-op and Retry ENOTFOUND. Returns ENOTFOUND when no queued
// job has that key.
func (db *DB) Cancel(ctx context.Context, key string) error {
	err := db.update(ctx, func(tx *bolt.Tx) error {
		idk := tx.Bucket(bucketJobKeys).Get([]byte(key))
		if key == "" || idk == nil {
			return playbook.Errorf(playbook.ENOTFOUND, "No pending job has the key %q.", key)
		}
		j, err := mustGetJob(tx, binary.BigEndian.Uint64(idk))
		if err != nil {
			return err
		}
		return removeJob(tx, j)
	})
	if err != nil {
		return fmt.Errorf("cancel job %q: %w", key, err)
	}
	return nil
}

// NextRunAt returns the earliest time at which ClaimDue could return a job:
// the minimum over queued jobs of RunAt, or of LeaseUntil for a job leased
// past its RunAt (a lease that expires makes its job claimable again). ok is
// false when the queue is empty. The time may be in the past: claim now.
func (db *DB) NextRunAt(ctx context.Context) (next time.Time, ok bool, err error) {
	err = db.view(ctx, func(tx *bolt.Tx) error {
		next, ok = time.Time{}, false
		jobs := tx.Bucket(bucketJobs)
		c := tx.Bucket(bucketJobDue).Cursor()
		// Index order is RunAt order: stop at the first RunAt that cannot
		// beat the best so far. Only leased jobs make the scan go past the
		// first entry.
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			runAt := keyTime(k[:8])
			if ok && !runAt.Before(next) {
				break
			}
			var j playbook.Job
			if _, err := getJSON(jobs, k[8:], &j); err != nil {
				return err
			}
			at := runAt
			if j.LeaseUntil.After(at) {
				at = j.LeaseUntil.UTC()
			}
			if !ok || at.Before(next) {
				next, ok = at, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next job time: %w", err)
	}
	return next, ok, nil
}

// Pending returns the number of queued jobs, leased or not (dead-lettered
// jobs excluded).
func (db *DB) Pending(ctx context.Context) (int, error) {
	var n int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketJobs).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count pending jobs: %w", err)
	}
	return n, nil
}

// insertJobs queues copies of in (see Enqueue) and returns the copies it
// inserted. Those due now (RunAt <= now) are leased until leaseUntil, which
// is zero for Enqueue.
func insertJobs(tx *bolt.Tx, in []playbook.Job, now, leaseUntil time.Time, maxAttempts int) ([]playbook.Job, error) {
	var out []playbook.Job
	jobs, keys := tx.Bucket(bucketJobs), tx.Bucket(bucketJobKeys)
	for _, j := range in {
		if j.Key != "" && keys.Get([]byte(j.Key)) != nil {
			continue
		}
		id, err := jobs.NextSequence()
		if err != nil {
			return nil, err
		}
		j.ID = id
		j.Args = bytes.Clone(j.Args)
		j.CreatedAt = now
		if j.RunAt.IsZero() {
			j.RunAt = now
		}
		j.RunAt = j.RunAt.UTC()
		if j.MaxAttempts == 0 {
			j.MaxAttempts = maxAttempts
		}
		j.Attempt, j.LastError, j.LeaseUntil = 0, "", time.Time{}
		if !j.RunAt.After(now) {
			j.LeaseUntil = leaseUntil
		}
		if err := putJSON(jobs, idKey(id), j); err != nil {
			return nil, fmt.Errorf("put job %d: %w", id, err)
		}
		if err := tx.Bucket(bucketJobDue).Put(dueKey(j), nil); err != nil {
			return nil, err
		}
		if j.Key != "" {
			if err := keys.Put([]byte(j.Key), idKey(id)); err != nil {
				return nil, err
			}
		}
		out = append(out, j)
	}
	return out, nil
}

// dueKey is j's key in the job_due index: RunAt, then ID.
func dueKey(j playbook.Job) []byte { return append(timeKey(j.RunAt), idKey(j.ID)...) }

// keyTime decodes a timeKey.
func keyTime(k []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k)^(1<<63))).UTC()
}

func getJob(tx *bolt.Tx, id uint64) (playbook.Job, bool, error) {
	var j playbook.Job
	ok, err := getJSON(tx.Bucket(bucketJobs), idKey(id), &j)
	return j, ok, err
}

// mustGetJob is getJob with absence as an ENOTFOUND error.
func mustGetJob(tx *bolt.Tx, id uint64) (playbook.Job, error) {
	j, ok, err := getJob(tx, id)
	if err == nil && !ok {
		err = playbook.Errorf(playbook.ENOTFOUND, "Job %d is not pending.", id)
	}
	return j, err
}

// rescheduleJob moves queued job j to runAt and clears its lease.
func rescheduleJob(tx *bolt.Tx, j playbook.Job, runAt time.Time) error {
	due := tx.Bucket(bucketJobDue)
	if err := due.Delete(dueKey(j)); err != nil {
		return err
	}
	j.RunAt, j.LeaseUntil = runAt, time.Time{}
	if err := due.Put(dueKey(j), nil); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketJobs), idKey(j.ID), j)
}

// removeJob deletes queued job j and its index entries.
func removeJob(tx *bolt.Tx, j playbook.Job) error {
	if err := tx.Bucket(bucketJobs).Delete(idKey(j.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketJobDue).Delete(dueKey(j)); err != nil {
		return err
	}
	if j.Key != "" {
		keys := tx.Bucket(bucketJobKeys)
		if bytes.Equal(keys.Get([]byte(j.Key)), idKey(j.ID)) {
			return keys.Delete([]byte(j.Key))
		}
	}
	return nil
}

// buryJob moves queued job j to the dead-letter bucket.
func buryJob(tx *bolt.Tx, j playbook.Job) error {
	if err := removeJob(tx, j); err != nil {
		return err
	}
	j.LeaseUntil = time.Time{}
	return putJSON(tx.Bucket(bucketDead), idKey(j.ID), j)
}

// clearLeases drops every job lease. Open calls it: bbolt's file lock means
// one process has the file, so a lease found at Open belongs to a process
// that died before it reported the job, and the job must run again.
func clearLeases(tx *bolt.Tx) error {
	jobs := tx.Bucket(bucketJobs)
	var leased []playbook.Job
	if err := jobs.ForEach(func(k, v []byte) error {
		var j playbook.Job
		if err := decodeJSON(k, v, &j); err != nil {
			return err
		}
		if !j.LeaseUntil.IsZero() {
			leased = append(leased, j)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, j := range leased {
		j.LeaseUntil = time.Time{}
		if err := putJSON(jobs, idKey(j.ID), j); err != nil {
			return err
		}
	}
	return nil
}
