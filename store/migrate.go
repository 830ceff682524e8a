package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// A migration moves the file's data from schema version N to N+1. It runs
// inside Open's single write transaction, after every bucket in buckets has
// been created, so it may read, rewrite and delete records freely; if it
// fails, Open fails and the file is left as it was.
type migration func(tx *bolt.Tx) error

// migrations is the ordered list: migrations[i] upgrades version i to i+1,
// and the current schema version is len(migrations). The meta bucket records
// the version reached. Append only; never edit or reorder a released entry,
// since files in the field have already run it.
//
// Adding a bucket needs no migration (Open creates missing buckets);
// changing what existing records mean does.
var migrations = []migration{
	// 0 → 1: the first schema. A new file has nothing to convert; its
	// buckets were just created.
	func(*bolt.Tx) error { return nil },
	// The engagement buckets (engagements, engagement_conv,
	// engagement_members) came later without a migration: Open creates
	// missing buckets, and no existing record changed meaning.

	// 1 → 2: dedup records are keyed by a hash of the dedup key
	// (processedKey). Records still under their plain key are re-keyed, so
	// a redelivery in the upgrade window is still recognised.
	hashProcessedKeys,

	// 2 → 3: dedup records are stored compact (encodeProcessed) instead of
	// as JSON.
	compactProcessed,

	// 3 → 4: dedup records are stored in time order (processed_at), and
	// processed becomes their index: key hash → time (see putProcessed).
	timeOrderedProcessed,

	// 4 → 5: an engagement's history moves out of its record into its own
	// records (bucket engagement_history), and the entries later decisions
	// read are copied into the record (playbook.Engagement.Kept).
	splitHistory,

	// 5 → 6: events' batches (members and outcomes) move out of the
	// engagement's record into their own records (bucket event_batches),
	// each numbered (playbook.Event.BatchRev).
	splitBatches,

	// 6 → 7: questionnaire versions and issues move out of the engagement's
	// record into their own records (buckets questionnaire_versions and
	// engagement_issues).
	splitParts,
}

func splitParts(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketEngagements)
	var inline []*playbook.Engagement
	err := recs.ForEach(func(k, v []byte) error {
		e := new(playbook.Engagement)
		if err := decodeJSON(k, v, e); err != nil {
			return err
		}
		if len(e.Questionnaire) > 0 || len(e.Issues) > 0 {
			inline = append(inline, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range inline {
		if err := putParts(tx, e, nil); err != nil {
			return err
		}
		if err := putJSON(recs, []byte(e.ID), e.StoredForm()); err != nil {
			return err
		}
	}
	return nil
}

func splitBatches(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketEngagements)
	var inline []*playbook.Engagement
	err := recs.ForEach(func(k, v []byte) error {
		e := new(playbook.Engagement)
		if err := decodeJSON(k, v, e); err != nil {
			return err
		}
		if len(e.Batches()) > 0 {
			inline = append(inline, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range inline {
		e.NumberBatches()
		if err := putBatches(tx, e, nil); err != nil {
			return err
		}
		// StoredForm leaves out the versions and issues too (schema 7):
		// they move with the batches, or they would be lost.
		if err := putParts(tx, e, nil); err != nil {
			return err
		}
		if err := putJSON(recs, []byte(e.ID), e.StoredForm()); err != nil {
			return err
		}
	}
	return nil
}

func splitHistory(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketEngagements)
	var whole []*playbook.Engagement
	err := recs.ForEach(func(k, v []byte) error {
		e := new(playbook.Engagement)
		if err := decodeJSON(k, v, e); err != nil {
			return err
		}
		if e.HistoryBase == 0 && len(e.History) > 0 {
			whole = append(whole, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range whole {
		e.KeepFromHistory()
		e.NumberBatches() // putEngagementRecord keeps the batches apart too
		if err := putEngagementRecord(tx, recs, e, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func timeOrderedProcessed(tx *bolt.Tx) error {
	idx, recs := tx.Bucket(bucketProcessed), tx.Bucket(bucketProcessedAt)
	type entry struct{ pk, tk, val []byte }
	var moved []entry
	err := idx.ForEach(func(k, v []byte) error {
		r, err := decodeProcessed(k, v)
		if err != nil {
			return err
		}
		moved = append(moved, entry{bytes.Clone(k), timeKey(r.At), bytes.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	// The old time index's keys are the new records' keys; any without a
	// record (there should be none) would point at nothing.
	var stale [][]byte
	if err := recs.ForEach(func(k, _ []byte) error {
		stale = append(stale, bytes.Clone(k))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range stale {
		if err := recs.Delete(k); err != nil {
			return err
		}
	}
	for _, e := range moved {
		if err := recs.Put(append(e.tk, e.pk...), e.val); err != nil {
			return err
		}
		if err := idx.Put(e.pk, e.tk); err != nil {
			return err
		}
	}
	return nil
}

func compactProcessed(tx *bolt.Tx) error {
	recs := tx.Bucket(bucketProcessed)
	type entry struct{ key, val []byte }
	var conv []entry
	err := recs.ForEach(func(k, v []byte) error {
		var r playbook.Result
		if err := decodeJSON(k, v, &r); err != nil {
			return err
		}
		conv = append(conv, entry{bytes.Clone(k), encodeProcessed(r)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range conv {
		if err := recs.Put(e.key, e.val); err != nil {
			return err
		}
	}
	return nil
}

func hashProcessedKeys(tx *bolt.Tx) error {
	recs, idx := tx.Bucket(bucketProcessed), tx.Bucket(bucketProcessedAt)
	type entry struct{ at, key, val []byte }
	var old []entry
	err := idx.ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			return nil
		}
		if v := recs.Get(k[8:]); v != nil {
			old = append(old, entry{bytes.Clone(k[:8]), bytes.Clone(k[8:]), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range old {
		if err := recs.Delete(e.key); err != nil {
			return err
		}
		if err := idx.Delete(append(bytes.Clone(e.at), e.key...)); err != nil {
			return err
		}
		pk := processedKey(string(e.key))
		if err := recs.Put(pk, e.val); err != nil {
			return err
		}
		if err := idx.Put(append(e.at, pk...), nil); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return len(migrations) }

// migrate runs the migrations the file has not seen yet and records the
// version reached.
func migrate(tx *bolt.Tx, list []migration) error {
	meta := tx.Bucket(bucketMeta)
	var v uint64
	if b := meta.Get(keySchemaVersion); b != nil {
		if len(b) != 8 {
			return fmt.Errorf("schema version: malformed value %x", b)
		}
		v = binary.BigEndian.Uint64(b)
	}
	if v > uint64(len(list)) {
		return fmt.Errorf("schema version %d, this build knows up to %d: %w", v, len(list), ErrNewerSchema)
	}
	if v == uint64(len(list)) {
		return nil
	}
	for i := v; i < uint64(len(list)); i++ {
		if err := list[i](tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", i, i+1, err)
		}
	}
	return meta.Put(keySchemaVersion, idKey(uint64(len(list))))
}
