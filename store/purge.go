package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mvmbot/mvmbot/playbook"
)

// PurgeClosed deletes the engagements closed before before, with their
// conversation binding and member index entries, and returns their IDs and
// customers in ID order. With dryRun it only lists them. Open engagements
// are never touched. Retention is the operator's decision (docs/deploy.md):
// after a purge, an engagement's data is gone from this file, though not
// from backups taken earlier.
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
