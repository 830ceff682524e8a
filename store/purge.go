package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
)

// PurgeClosed deletes the engagements closed before before, with their
// conversation binding and member index entries, and returns their IDs and
// customers in ID order. The jobs, queued or dead-lettered, whose arguments
// name such an engagement or its conversation go with it (a card posted to
// it, a failed reminder). With dryRun it only lists them. Open engagements
// are never touched. Retention is the operator's decision (docs/deploy.md).
//
// The records are deleted, but their bytes stay in the file's free pages
// (and in backups copied from it) until Compact rewrites the file: a purge
// is complete with both, as `mvmbot purge --apply` does.
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
			if err := deleteHistory(tx, e.ID); err != nil {
				return err
			}
			if err := deleteBatches(tx, e.ID); err != nil {
				return err
			}
			if err := deleteParts(tx, e.ID); err != nil {
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
		return nil
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
