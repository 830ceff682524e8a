package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// CommitTurn applies everything one inbound activity changes in a single
// transaction, or nothing:
//
//   - If t.DedupKey is not empty and a record for it exists, the activity was
//     already handled: CommitTurn changes nothing and returns dup, the
//     stored Result, and no jobs.
//   - Otherwise it records t.Result under t.DedupKey (At set to now when
//     zero; skipped when DedupKey is ""), upserts *t.Ref when it is not nil
//     (UpdatedAt set to now when zero), and inserts t.Jobs as Enqueue does,
//     returning the inserted ones. A job whose Key matches a job already
//     queued is skipped and absent from jobs (see Enqueue). The inserted
//     jobs that are due (RunAt zero or not after now) come back already
//     leased to the caller until now + Options.JobLease, because the caller
//     runs them at once and reports each with Complete or Retry; jobs due
//     later (a reminder) come back unleased and are left to the runner. So:
//     run the returned jobs whose LeaseUntil is not zero.
//   - When t.Engagement is not nil it is saved, with its indexes, in the
//     same transaction: only if the stored engagement with its ID has
//     Version t.ExpectVersion (absent when 0). Otherwise, or when it binds a
//     conversation an open engagement of another ID holds, CommitTurn
//     returns ECONFLICT and nothing of the turn is applied: no dedup
//     record, no reference, no jobs, so that the caller may handle the
//     activity again on the fresh state.
//
// Concurrent calls with the same DedupKey apply exactly once; the others
// return dup. Concurrent calls share one transaction and one fsync (a bbolt
// batch), which is what makes this cheap under load. A t.Background call
// may wait a few milliseconds for others to share it (see groupCommitter).
//
// Returns EINVALID, before touching the file, when t.Result.Status is not
// a three-digit HTTP status (or 0), t.Result.Body is not valid JSON, t.Ref has an empty Key, a job is invalid (see Enqueue), or
// t.Engagement has no ID, a member without id, or a Version other than
// t.ExpectVersion+1.
func (db *DB) CommitTurn(ctx context.Context, t playbook.Turn) (jobs []playbook.Job, dup *playbook.Result, err error) {
	if t.Ref != nil {
		if err := validateRef(*t.Ref); err != nil {
			return nil, nil, fmt.Errorf("commit turn: %w", err)
		}
	}
	if t.Result.Status < 0 || t.Result.Status > 999 {
		return nil, nil, fmt.Errorf("commit turn: %w", playbook.Errorf(playbook.EINVALID, "The result status %d is not an HTTP status.", t.Result.Status))
	}
	if len(t.Result.Body) > 0 && !json.Valid(t.Result.Body) {
		return nil, nil, fmt.Errorf("commit turn: %w", playbook.Errorf(playbook.EINVALID, "The result body is not valid JSON."))
	}
	if err := validateJobs(t.Jobs); err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	if t.Engagement != nil {
		if err := validateEngagement(t.Engagement, t.ExpectVersion); err != nil {
			return nil, nil, fmt.Errorf("commit turn: %w", err)
		}
	}
	now := db.clock()
	err = db.batch(ctx, func(tx *bolt.Tx) error {
		// A batched fn may run again after a rollback: start clean.
		jobs, dup = nil, nil
		if t.DedupKey != "" {
			prev, ok, err := getProcessed(tx, processedKey(t.DedupKey))
			if err != nil {
				return err
			}
			if ok {
				dup = &prev
				return nil
			}
			if err := db.putProcessed(tx, t.DedupKey, t.Result, now); err != nil {
				return err
			}
		}
		if t.Engagement != nil {
			if err := putEngagement(tx, t.Engagement, t.ExpectVersion); err != nil {
				return err
			}
		}
		if t.Ref != nil {
			if err := db.refreshRef(tx, *t.Ref, now); err != nil {
				return err
			}
		}
		var err error
		jobs, err = insertJobs(tx, t.Jobs, now, now.Add(db.lease), db.maxAttempts)
		return err
	}, t.Background)
	if err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	return jobs, dup, nil
}

// putProcessed records r under key and in the time index, and adds the key
// to the seen filter.
func (db *DB) putProcessed(tx *bolt.Tx, key string, r playbook.Result, now time.Time) error {
	if r.At.IsZero() {
		r.At = now
	}
	pk := processedKey(key)
	if err := tx.Bucket(bucketProcessed).Put(pk, encodeProcessed(r)); err != nil {
		return fmt.Errorf("put processed %q: %w", key, err)
	}
	db.markSeen(pk)
	idx := tx.Bucket(bucketProcessedAt)
	// Its keys start with the time, so records are appended at its end
	// (a group's are a few microseconds apart at most): pages split at the
	// default 50% would stay half empty.
	idx.FillPercent = 0.9
	return idx.Put(append(timeKey(r.At), pk...), nil)
}

// processedFormat is the first byte of a dedup record: a version, so the
// layout can change. (Schema 2 stored JSON, which starts with '{'.)
const processedFormat = 1

// encodeProcessed is the stored form of a dedup record: the format byte,
// the status (2 bytes), At in Unix nanoseconds (8 bytes) and the body as
// is. Every activity writes one, and a day of them is kept, so it is kept
// small: 11 bytes and the body, where JSON took some 50, most of them for
// the time.
func encodeProcessed(r playbook.Result) []byte {
	b := make([]byte, 0, 11+len(r.Body))
	b = append(b, processedFormat)
	b = binary.BigEndian.AppendUint16(b, uint16(r.Status))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.UnixNano()))
	return append(b, r.Body...)
}

// decodeProcessed reads what encodeProcessed wrote. The body is copied out
// of bbolt's memory.
func decodeProcessed(k, v []byte) (playbook.Result, error) {
	if len(v) < 11 || v[0] != processedFormat {
		return playbook.Result{}, fmt.Errorf("decode record %x: not a dedup record of format %d", k, processedFormat)
	}
	r := playbook.Result{
		Status: int(binary.BigEndian.Uint16(v[1:3])),
		At:     time.Unix(0, int64(binary.BigEndian.Uint64(v[3:11]))).UTC(),
	}
	if len(v) > 11 {
		r.Body = bytes.Clone(v[11:])
	}
	return r, nil
}

// getProcessed returns the dedup record under the stored key pk.
func getProcessed(tx *bolt.Tx, pk []byte) (playbook.Result, bool, error) {
	v := tx.Bucket(bucketProcessed).Get(pk)
	if v == nil {
		return playbook.Result{}, false, nil
	}
	r, err := decodeProcessed(pk, v)
	return r, err == nil, err
}

// processedKey is the stored form of a dedup key: the first 16 bytes of its
// SHA-256. Teams' conversation and activity ids make keys of 100 bytes and
// more, written twice per activity (record and time index) for a day; a
// 128-bit hash keeps the bucket a fraction of the size, and with it the
// pages the dedup lookup touches, with no practical chance of collision.
func processedKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:16]
}

// Processed returns the Result recorded for key by CommitTurn, and whether
// there is one. It is the fast path for a redelivered activity: one read
// transaction, no write; and for a new one, which nearly every activity
// is, not even that when the seen filter knows the key was never stored.
// An absent key is (zero, false, nil), not an error.
func (db *DB) Processed(ctx context.Context, key string) (playbook.Result, bool, error) {
	pk := processedKey(key)
	if err := ctx.Err(); err != nil {
		return playbook.Result{}, false, err
	}
	if db.closed.Load() {
		return playbook.Result{}, false, fmt.Errorf("processed %q: %w", key, ErrClosed)
	}
	if !db.seen.Load().mayContain(pk) {
		return playbook.Result{}, false, nil
	}
	var r playbook.Result
	var ok bool
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		r, ok, err = getProcessed(tx, pk)
		return err
	})
	if err != nil {
		return playbook.Result{}, false, fmt.Errorf("processed %q: %w", key, err)
	}
	return r, ok, nil
}

// SweepProcessed deletes the dedup records whose Result.At is before
// olderThan and returns how many it deleted. After a sweep, a redelivery of
// a swept activity is applied again, so olderThan must be further back than
// the channel's redelivery window (Teams retries within minutes; a TTL of a
// day is generous).
//
// Cost: the processed_at index orders records by At, so a sweep reads only
// the expired keys, never the live records. A full scan would decode every
// value (some 100k records, every few minutes) while holding the single
// writer lock; the index costs one small key per record, written in the
// same transaction as the record. Deletions are committed in chunks, so a
// large backlog does not hold the writer lock for long; if ctx ends between
// chunks, the count so far is returned with ctx's error.
func (db *DB) SweepProcessed(ctx context.Context, olderThan time.Time) (int, error) {
	limit := timeKey(olderThan)
	total := 0
	for {
		n := 0
		err := db.update(ctx, func(tx *bolt.Tx) error {
			n = 0
			idx, recs := tx.Bucket(bucketProcessedAt), tx.Bucket(bucketProcessed)
			// Collect first: deleting under a bbolt cursor skips entries.
			var expired [][]byte
			c := idx.Cursor()
			for k, _ := c.First(); k != nil && len(expired) < db.sweepChunk; k, _ = c.Next() {
				if len(k) < 8 || bytes.Compare(k[:8], limit) >= 0 {
					break
				}
				expired = append(expired, bytes.Clone(k))
			}
			for _, k := range expired {
				if err := idx.Delete(k); err != nil {
					return err
				}
				if err := recs.Delete(k[8:]); err != nil {
					return err
				}
			}
			n = len(expired)
			return nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("sweep processed: %w", err)
		}
		if n < db.sweepChunk {
			if total == 0 {
				return 0, nil
			}
			// Sized anew for what is left, without the swept keys.
			if err := db.rebuildSeen(); err != nil {
				return total, fmt.Errorf("sweep processed: %w", err)
			}
			return total, nil
		}
	}
}
