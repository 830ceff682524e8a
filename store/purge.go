package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
)

// PurgeClosed deletes the engagements closed before before, with their
// conversation binding and member index entries, and returns their IDs and
// customers in ID order. The jobs, queued or dead-lettered, whose arguments
// name such an engagement or its conversation go with it (a card posted to
// it, a failed reminder), and so do the dedup records whose stored answer
// names its id (an invoke's answer is a card with its customer and data;
// they would be swept within a day, but purged means gone now). With
// dryRun it only lists them. Open engagements are never touched. Retention
// is the operator's decision (docs/deploy.md).
//
// The records are deleted, but their bytes stay in the file's free pages
// (and in backups copied from it) until Compact rewrites the file: a purge
// is complete with both, as `mvmbot purge --apply` does. Until then
// RewritePending says so, from the purge's own transaction on, so that a
// purge whose rewrite was cut short (the process killed, the disk full) is
// completed by the next one even when that one finds nothing to delete.
func (db *DB) PurgeClosed(ctx context.Context, before time.Time, dryRun bool) ([]playbook.Engagement, error) {
	var purged []playbook.Engagement
	fn := func(tx *bolt.Tx) error {
		purged = nil
		recs := tx.Bucket(bucketEngagements)
		var doomed []*playbook.Engagement
		err := recs.ForEach(func(k, v []byte) error {
			e := new(playbook.Engagement)
			if err := decodeJSON(k, v, e); err != nil {
				return err
			}
			if e.IsClosed() && e.Closed.Before(before) {
				doomed = append(doomed, e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range doomed {
			purged = append(purged, playbook.Engagement{ID: e.ID, Customer: e.Customer, Closed: e.Closed})
			if dryRun {
				continue
			}
			if err := recs.Delete([]byte(e.ID)); err != nil {
				return err
			}
			if err := deleteApart(tx, e.ID); err != nil {
				return err
			}
			convs := tx.Bucket(bucketEngagementConv)
			if e.Conversation != "" && string(convs.Get([]byte(e.Conversation))) == e.ID {
				if err := convs.Delete([]byte(e.Conversation)); err != nil {
					return err
				}
			}
			for _, m := range e.Members {
				if err := tx.Bucket(bucketEngagementMembers).Delete(memberKey(m.ID, e.ID)); err != nil {
					return err
				}
			}
			if err := purgeJobs(tx, e); err != nil {
				return err
			}
			if err := purgeDraft(tx, e.ID); err != nil {
				return err
			}
		}
		if dryRun || len(doomed) == 0 {
			return nil
		}
		ids := make([]string, len(doomed))
		for i, e := range doomed {
			ids[i] = e.ID
		}
		if err := db.purgeAnswers(tx, ids); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyRewritePending, []byte{1})
	}
	var err error
	if dryRun {
		err = db.view(ctx, fn)
	} else {
		err = db.update(ctx, fn)
	}
	if err != nil {
		return nil, fmt.Errorf("purge closed engagements: %w", err)
	}
	return purged, nil
}

// purgeJobs deletes the queued and dead-lettered jobs whose arguments name
// e's ID or its conversation.
func purgeJobs(tx *bolt.Tx, e *playbook.Engagement) error {
	names := func(args []byte) bool {
		return bytes.Contains(args, []byte(`"`+e.ID+`"`)) ||
			(e.Conversation != "" && bytes.Contains(args, []byte(`"`+e.Conversation+`"`)))
	}
	var queued []playbook.Job
	var dead [][]byte
	if err := tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
		var j playbook.Job
		if err := decodeJSON(k, v, &j); err != nil {
			return err
		}
		if names(j.Args) {
			queued = append(queued, j)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
		var j playbook.Job
		if err := decodeJSON(k, v, &j); err != nil {
			return err
		}
		if names(j.Args) {
			dead = append(dead, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, j := range queued {
		if err := removeJob(tx, j); err != nil {
			return err
		}
	}
	for _, k := range dead {
		if err := tx.Bucket(bucketDead).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// keyRewritePending, in the meta bucket, is set by a purge that deleted
// records and cleared in the file a rewrite makes (compactInto).
var keyRewritePending = []byte("rewrite_pending")

// RewritePending reports whether a purge deleted records whose bytes no
// rewrite (Compact, CompactServing) has taken out of the file yet.
func (db *DB) RewritePending(ctx context.Context) (bool, error) {
	var pending bool
	err := db.view(ctx, func(tx *bolt.Tx) error {
		pending = tx.Bucket(bucketMeta).Get(keyRewritePending) != nil
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("rewrite pending: %w", err)
	}
	return pending, nil
}

// purgeAnswers deletes the dedup records whose stored answer names one of
// ids as a JSON string (the rule of pgstore's purgeProcessed). It reads
// every record, a day of them: a purge is rare, and the records are
// ordered by time, not by what they name.
func (db *DB) purgeAnswers(tx *bolt.Tx, ids []string) error {
	names := make([][]byte, len(ids))
	for i, id := range ids {
		names[i], _ = json.Marshal(id)
	}
	recs, idx := tx.Bucket(bucketProcessedAt), tx.Bucket(bucketProcessed)
	// Collect first: deleting under a bbolt cursor skips entries.
	var doomed [][]byte
	err := recs.ForEach(func(k, v []byte) error {
		if len(k) < 8 || len(v) <= 11 {
			return nil
		}
		for _, n := range names {
			if bytes.Contains(v[11:], n) {
				doomed = append(doomed, bytes.Clone(k))
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		if err := recs.Delete(k); err != nil {
			return err
		}
		if err := idx.Delete(k[8:]); err != nil {
			return err
		}
	}
	db.forgetRecent(doomed)
	return nil
}
