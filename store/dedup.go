package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/input"
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
	if err := input.Turn(t); err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	now := db.clock()
	var pk []byte
	if t.DedupKey != "" {
		pk = processedKey(t.DedupKey)
	}
	err = db.batch(ctx, func(tx *bolt.Tx) error {
		// A batched fn may run again after a rollback: start clean.
		jobs, dup = nil, nil
		if t.DedupKey != "" {
			// The filter has every key committed and every key this
			// transaction stored: a "no" needs no lookup.
			if db.seen.Load().mayContain(pk) {
				// Write transactions run one at a time, so a merge
				// cannot commit while this one runs.
				tk, inRecent := db.recentAt(pk)
				prev, ok, err := getProcessed(tx, pk, tk, inRecent)
				if err != nil {
					return err
				}
				if ok {
					dup = &prev
					return nil
				}
			}
			if err := db.putProcessed(tx, pk, t.Result, now); err != nil {
				return fmt.Errorf("put processed %q: %w", t.DedupKey, err)
			}
		}
		if t.Engagement != nil {
			if err := db.putEngagement(tx, t.Engagement, t.ExpectVersion); err != nil {
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

// putProcessed records r under the stored key pk, in a transaction of
// writeTx.
//
// Records are stored in time order (processed_at), so that a commit
// appends them to the last page or two of the tree. Keyed by the hash of
// their dedup key, as they were, each landed in a leaf of its own: a
// commit of a few dozen records read, rewrote and fsynced as many pages,
// and that was most of the store's CPU and garbage under load.
//
// A lookup by key goes through the processed index (key hash → time).
// Writing it with every record would put the random writes back, so a
// record joins it later, in a sorted batch of many (mergeRecent); until
// then db.recent maps its key to its time. recent is rebuilt at Open from
// the records the index lacks, so it needs no saving, and it is bounded:
// a merge starts when it reaches DB.mergeAt records.
//
// recent is changed inside the transaction, before it commits, so that
// the transaction's own lookups see it; writeTx takes the entries out
// again when it rolls back. Every lookup also checks that the record
// exists, so an entry that points at nothing (between a rollback and its
// undoing) only costs a read.
func (db *DB) putProcessed(tx *bolt.Tx, pk []byte, r playbook.Result, now time.Time) error {
	if r.At.IsZero() {
		r.At = now
	}
	tk := timeKey(r.At)
	recs := tx.Bucket(bucketProcessedAt)
	// Appended at its end (a group's records are microseconds apart at
	// most): pages split at the default 50% would stay half empty.
	recs.FillPercent = 0.9
	if err := recs.Put(append(tk, pk...), encodeProcessed(r)); err != nil {
		return err
	}
	db.markSeen(pk)
	e := recentEntry{[16]byte(pk), [8]byte(tk)}
	db.recentMu.Lock()
	db.recent[e.pk] = e.tk
	db.txRecent[tx] = append(db.txRecent[tx], e)
	n := len(db.recent)
	db.recentMu.Unlock()
	if n >= db.mergeAt && db.merging.CompareAndSwap(false, true) {
		// Outside the transaction, which holds the writer lock the merge
		// needs. Should it fail, nothing is lost: the records stay in
		// recent and the next one stored tries again.
		go func() {
			defer db.merging.Store(false)
			_ = db.mergeRecent()
		}()
	}
	return nil
}

// recentEntry is a record in recent: its key hash and time key.
type recentEntry struct {
	pk [16]byte
	tk [8]byte
}

// writeTx runs fn in a write transaction that may store dedup records
// (putProcessed), and takes them out of recent again if it rolls back.
func (db *DB) writeTx(fn func(*bolt.Tx) error) error {
	var this *bolt.Tx
	err := db.guard(func() error {
		return db.boltUpdate(func(tx *bolt.Tx) error {
			this = tx
			return fn(tx)
		})
	})
	db.recentMu.Lock()
	defer db.recentMu.Unlock()
	if err != nil {
		for _, e := range db.txRecent[this] {
			if db.recent[e.pk] == e.tk {
				delete(db.recent, e.pk)
			}
		}
	}
	delete(db.txRecent, this)
	return err
}

// defaultMergeAt is how many records wait in recent before they are merged
// into the processed index (DB.mergeAt): under 1 MB of memory. The larger
// a merge, the fewer of the index's pages it rewrites per record.
const defaultMergeAt = 1 << 14

// mergeRecent writes the records in recent into the processed index, in
// key order, and forgets them. It commits mergeChunk records at a time:
// each transaction then rewrites only the part of the index its key range
// covers, so it holds the writer briefly and keeps little of the index in
// memory, while the merge as a whole still rewrites each page of the index
// about once.
func (db *DB) mergeRecent() error {
	db.recentMu.Lock()
	batch := make([]recentEntry, 0, len(db.recent))
	for pk, tk := range db.recent {
		batch = append(batch, recentEntry{pk, tk})
	}
	db.recentMu.Unlock()
	slices.SortFunc(batch, func(a, b recentEntry) int { return bytes.Compare(a.pk[:], b.pk[:]) })
	for chunk := range slices.Chunk(batch, mergeChunk) {
		err := db.boltUpdate(func(tx *bolt.Tx) error {
			idx := tx.Bucket(bucketProcessed)
			for i := range chunk {
				e := &chunk[i]
				// A sweep may have deleted it since the batch was taken;
				// it forgets what it deletes, in its transaction.
				db.recentMu.Lock()
				tk, ok := db.recent[e.pk]
				db.recentMu.Unlock()
				if !ok || tk != e.tk {
					continue
				}
				if err := idx.Put(e.pk[:], e.tk[:]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("merge dedup records: %w", mapErr(err))
		}
		db.recentMu.Lock()
		for _, e := range chunk {
			if db.recent[e.pk] == e.tk {
				delete(db.recent, e.pk)
			}
		}
		db.recentMu.Unlock()
	}
	return nil
}

// mergeChunk is how many records one transaction of mergeRecent writes.
const mergeChunk = 1024

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

// forgetRecent drops swept records (time key + key hash) from recent, in
// the sweep's transaction, so that no merge after it indexes them. A sweep
// that then fails to commit has dropped them early: lookups of them go to
// the index, which may not have them yet, and a redelivery of one a day
// old would be applied again, as after the sweep.
func (db *DB) forgetRecent(keys [][]byte) {
	db.recentMu.Lock()
	defer db.recentMu.Unlock()
	for _, k := range keys {
		if tk, ok := db.recent[[16]byte(k[8:])]; ok && tk == [8]byte(k[:8]) {
			delete(db.recent, [16]byte(k[8:]))
		}
	}
}

// recentAt returns the time key of pk's record if recent has it.
//
// A reader must call it before its transaction begins. A merge commits a
// record to the index and then drops it from recent: read in this order,
// a record that is no longer in recent is in the index the transaction
// sees. (Read the other way round, a transaction begun before the merge
// committed, reading recent after the drop, would find it in neither.)
func (db *DB) recentAt(pk []byte) ([8]byte, bool) {
	db.recentMu.Lock()
	defer db.recentMu.Unlock()
	tk, ok := db.recent[[16]byte(pk)]
	return tk, ok
}

// getProcessed returns the dedup record under the stored key pk; tk and
// inRecent are what recentAt said before tx began.
func getProcessed(tx *bolt.Tx, pk []byte, tk [8]byte, inRecent bool) (playbook.Result, bool, error) {
	at := tk[:]
	if !inRecent {
		if at = tx.Bucket(bucketProcessed).Get(pk); at == nil {
			return playbook.Result{}, false, nil
		}
	}
	k := append(bytes.Clone(at), pk...)
	v := tx.Bucket(bucketProcessedAt).Get(k)
	if v == nil {
		return playbook.Result{}, false, nil
	}
	r, err := decodeProcessed(k, v)
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
	tk, inRecent := db.recentAt(pk)
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		r, ok, err = getProcessed(tx, pk, tk, inRecent)
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
			recs, idx := tx.Bucket(bucketProcessedAt), tx.Bucket(bucketProcessed)
			// Collect first: deleting under a bbolt cursor skips entries.
			var expired [][]byte
			c := recs.Cursor()
			for k, _ := c.First(); k != nil && len(expired) < db.sweepChunk; k, _ = c.Next() {
				if len(k) < 8 || bytes.Compare(k[:8], limit) >= 0 {
					break
				}
				expired = append(expired, bytes.Clone(k))
			}
			for _, k := range expired {
				if err := recs.Delete(k); err != nil {
					return err
				}
				if err := idx.Delete(k[8:]); err != nil {
					return err
				}
			}
			n = len(expired)
			db.forgetRecent(expired)
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
