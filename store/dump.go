package store

import (
	"context"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// Dump is every record of a database file, read in one transaction, for
// copying it to another backend (mvmbot migrate-store).
type Dump struct {
	// Engagements are whole: their history in History, HistoryBase 0.
	Engagements []*playbook.Engagement
	// Conversations is the conversation binding: conversation key →
	// engagement ID (a closed engagement stays bound).
	Conversations map[string]string
	Refs          []playbook.ConversationRef
	Jobs          []playbook.Job // queued, leases dropped
	Dead          []playbook.Job
	Processed     []ProcessedRecord
	// Drafts are the questionnaire drafts: engagement ID → draft.
	Drafts map[string]playbook.QuestionnaireDraft
}

// ProcessedRecord is a dedup record as stored: the hash of its dedup key
// (the first 16 bytes of its SHA-256), which is all the file keeps of it,
// and the result.
type ProcessedRecord struct {
	KeyHash []byte
	Result  playbook.Result
}

// Dump reads every record in one read transaction: a consistent copy while
// serving, like WriteTo, but decoded.
func (db *DB) Dump(ctx context.Context) (*Dump, error) {
	var d *Dump
	err := db.view(ctx, func(tx *bolt.Tx) error {
		d = &Dump{Conversations: map[string]string{}, Drafts: map[string]playbook.QuestionnaireDraft{}}
		if err := tx.Bucket(bucketEngagements).ForEach(func(k, v []byte) error {
			e := new(playbook.Engagement)
			if err := decodeJSON(k, v, e); err != nil {
				return err
			}
			if err := (*DB)(nil).attachBatches(tx, e); err != nil { // no cache: the caller owns the dump
				return err
			}
			if err := (*DB)(nil).attachParts(tx, e); err != nil {
				return err
			}
			if e.HistoryBase > 0 {
				older, err := readHistory(tx, e.ID, 0, e.HistoryBase)
				if err != nil {
					return err
				}
				if len(older) != e.HistoryBase {
					return fmt.Errorf("engagement %s: %d history entries stored, %d expected", e.ID, len(older), e.HistoryBase)
				}
				e.PrependHistory(older)
			}
			d.Engagements = append(d.Engagements, e)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketEngagementConv).ForEach(func(k, v []byte) error {
			d.Conversations[string(k)] = string(v)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRefs).ForEach(func(k, v []byte) error {
			var r playbook.ConversationRef
			if err := decodeJSON(k, v, &r); err != nil {
				return err
			}
			d.Refs = append(d.Refs, r)
			return nil
		}); err != nil {
			return err
		}
		for _, b := range []struct {
			name []byte
			into *[]playbook.Job
		}{{bucketJobs, &d.Jobs}, {bucketDead, &d.Dead}} {
			if err := tx.Bucket(b.name).ForEach(func(k, v []byte) error {
				var j playbook.Job
				if err := decodeJSON(k, v, &j); err != nil {
					return err
				}
				j.LeaseUntil = time.Time{} // a lease dies with its process
				*b.into = append(*b.into, j)
				return nil
			}); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bucketDrafts); b != nil {
			if err := b.ForEach(func(k, v []byte) error {
				var qd playbook.QuestionnaireDraft
				if err := decodeJSON(k, v, &qd); err != nil {
					return err
				}
				d.Drafts[string(k)] = qd
				return nil
			}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketProcessedAt).ForEach(func(k, v []byte) error {
			if len(k) != 8+16 {
				return fmt.Errorf("dedup record key %x: want 24 bytes", k)
			}
			r, err := decodeProcessed(k, v)
			if err != nil {
				return err
			}
			d.Processed = append(d.Processed, ProcessedRecord{KeyHash: append([]byte(nil), k[8:]...), Result: r})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dump database: %w", err)
	}
	return d, nil
}
