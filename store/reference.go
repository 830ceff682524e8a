package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/input"
	bolt "go.etcd.io/bbolt"
)

// PutRef inserts or replaces the conversation reference stored under
// ref.Key. UpdatedAt is set to now when zero. Returns EINVALID when ref.Key
// is empty.
func (db *DB) PutRef(ctx context.Context, ref playbook.ConversationRef) error {
	if err := input.Ref(ref); err != nil {
		return fmt.Errorf("put ref: %w", err)
	}
	now := db.clock()
	if err := db.update(ctx, func(tx *bolt.Tx) error {
		return putRef(tx, ref, now)
	}); err != nil {
		return fmt.Errorf("put ref %q: %w", ref.Key, err)
	}
	return nil
}

// Ref returns the conversation reference stored under key, or an ENOTFOUND
// error when there is none.
func (db *DB) Ref(ctx context.Context, key string) (playbook.ConversationRef, error) {
	var ref playbook.ConversationRef
	err := db.view(ctx, func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketRefs), []byte(key), &ref)
		if err == nil && !ok {
			err = playbook.Errorf(playbook.ENOTFOUND, "No conversation is known for %q.", key)
		}
		return err
	})
	if err != nil {
		return playbook.ConversationRef{}, fmt.Errorf("ref %q: %w", key, err)
	}
	return ref, nil
}

// Refs returns every stored conversation reference, ordered by Key (byte
// order). An empty store returns an empty slice and no error.
func (db *DB) Refs(ctx context.Context) ([]playbook.ConversationRef, error) {
	var refs []playbook.ConversationRef
	err := db.view(ctx, func(tx *bolt.Tx) error {
		refs = nil
		return tx.Bucket(bucketRefs).ForEach(func(k, v []byte) error {
			var ref playbook.ConversationRef
			if err := decodeJSON(k, v, &ref); err != nil {
				return err
			}
			refs = append(refs, ref)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	return refs, nil
}

// putRef upserts ref; the caller has validated it.
func putRef(tx *bolt.Tx, ref playbook.ConversationRef, now time.Time) error {
	if ref.UpdatedAt.IsZero() {
		ref.UpdatedAt = now
	}
	return putJSON(tx.Bucket(bucketRefs), []byte(ref.Key), ref)
}

// refRefreshInterval is how often CommitTurn rewrites an unchanged
// conversation reference just to move its UpdatedAt: every activity carries
// one, and rewriting it each time would add a write to every turn for
// nothing.
const refRefreshInterval = time.Hour

// refreshRef stores ref unless the stored one says the same and is recent.
func (db *DB) refreshRef(tx *bolt.Tx, ref playbook.ConversationRef, now time.Time) error {
	if ref.UpdatedAt.IsZero() {
		ref.UpdatedAt = now
	}
	old, ok, err := db.storedRef(tx, ref.Key)
	if err != nil {
		return err
	}
	if ok && ref.UpdatedAt.Sub(old.UpdatedAt) < refRefreshInterval {
		stamp := old.UpdatedAt
		old.UpdatedAt = ref.UpdatedAt
		if old == ref {
			return nil
		}
		old.UpdatedAt = stamp
	}
	return putRef(tx, ref, now)
}

// decodedRef is a conversation reference as decoded from exactly raw.
type decodedRef struct {
	raw []byte
	ref playbook.ConversationRef
}

// storedRef reads the reference under key for refreshRef, through a cache
// of decoded references: every turn compares its conversation's reference
// with the stored one, which rarely changes, and decoding it (its time
// above all) was a tenth of a commit's work. As with readEngagement, an
// entry serves only while the stored bytes are exactly those it was decoded
// from.
func (db *DB) storedRef(tx *bolt.Tx, key string) (playbook.ConversationRef, bool, error) {
	raw := tx.Bucket(bucketRefs).Get([]byte(key))
	if raw == nil {
		return playbook.ConversationRef{}, false, nil
	}
	db.decodedMu.Lock()
	d, ok := db.decodedRefs[key]
	db.decodedMu.Unlock()
	if ok && bytes.Equal(d.raw, raw) {
		return d.ref, true, nil
	}
	var ref playbook.ConversationRef
	if err := decodeJSON([]byte(key), raw, &ref); err != nil {
		return ref, false, err
	}
	db.decodedMu.Lock()
	if db.decodedRefs == nil || len(db.decodedRefs) >= maxDecoded {
		db.decodedRefs = make(map[string]decodedRef)
	}
	db.decodedRefs[key] = decodedRef{raw: bytes.Clone(raw), ref: ref}
	db.decodedMu.Unlock()
	return ref, true, nil
}
