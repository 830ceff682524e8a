package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// Engagements.
//
// An engagement is one JSON record in bucket engagements, under its ID,
// without its history: each audit entry is its own record in bucket
// engagement_history, written once, when it is new (see doc.go, "Costs").
// Two indexes are kept in the same transaction as every save:
//
//	engagement_conv     Engagement.Conversation → Engagement.ID: the
//	                    engagement bound to a channel or group chat
//	engagement_members  member id + 0x00 + Engagement.ID → empty: the
//	                    engagements a person belongs to
//
// Engagements are written only by CommitTurn (Turn.Engagement), so that an
// engagement changes together with the dedup record of the activity that
// changed it and the replies that report it.

// memberSep separates the member id from the engagement id in the keys of
// engagement_members; Teams ids never contain it.
const memberSep = 0x00

// Engagement returns the engagement with that ID, or ENOTFOUND. The value is
// the caller's.
func (db *DB) Engagement(ctx context.Context, id string) (*playbook.Engagement, error) {
	var e *playbook.Engagement
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		e, err = db.readEngagement(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engagement %q: %w", id, err)
	}
	return e, nil
}

// EngagementByConversation returns the engagement bound to the conversation
// key (a Teams channel id or group chat id), or ENOTFOUND when none is. A
// closed engagement stays bound until a new one is set up there.
func (db *DB) EngagementByConversation(ctx context.Context, key string) (*playbook.Engagement, error) {
	var e *playbook.Engagement
	err := db.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketEngagementConv).Get([]byte(key))
		if id == nil {
			return playbook.Errorf(playbook.ENOTFOUND, "No engagement is set up in this conversation.")
		}
		var err error
		e, err = db.readEngagement(tx, string(id))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engagement of conversation %q: %w", key, err)
	}
	return e, nil
}

// EngagementsOf returns the engagements the person with that Teams id is a
// member of, closed ones included, ordered by engagement ID (byte order).
// None is an empty slice and no error.
func (db *DB) EngagementsOf(ctx context.Context, memberID string) ([]*playbook.Engagement, error) {
	return db.engagementsOf(ctx, memberID, (*playbook.Engagement).Clone)
}

// ViewEngagementsOf calls fn with the engagements EngagementsOf returns,
// without copying them: they are the store's own, so fn must neither
// change nor keep them (or anything they hold) past its return; the slice
// itself is fn's. It is for read-only answers on the hot path (a personal
// "next steps" reads and renders; a copy would be a fifth of its work).
func (db *DB) ViewEngagementsOf(ctx context.Context, memberID string, fn func([]*playbook.Engagement) error) error {
	es, err := db.engagementsOf(ctx, memberID, func(e *playbook.Engagement) *playbook.Engagement { return e })
	if err != nil {
		return err
	}
	return fn(es)
}

// engagementsOf reads memberID's engagements; own turns each decoded one
// into what the caller gets (a copy, or the cached value itself).
func (db *DB) engagementsOf(ctx context.Context, memberID string, own func(*playbook.Engagement) *playbook.Engagement) ([]*playbook.Engagement, error) {
	var es []*playbook.Engagement
	err := db.view(ctx, func(tx *bolt.Tx) error {
		es = nil
		if memberID == "" {
			return nil
		}
		prefix := append([]byte(memberID), memberSep)
		c := tx.Bucket(bucketEngagementMembers).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			e, err := db.decodedEngagement(tx, string(k[len(prefix):]))
			if err != nil {
				return err
			}
			es = append(es, own(e))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
	}
	if es == nil {
		es = []*playbook.Engagement{}
	}
	return es, nil
}

// decodedEngagement is an engagement as decoded from exactly raw.
type decodedEngagement struct {
	raw []byte
	e   *playbook.Engagement
}

// maxDecoded bounds the decoded-engagement cache; past it the cache starts
// afresh.
const maxDecoded = 1024

// readEngagement is getEngagement for the read paths, with a cache of
// decoded engagements: every command reads its engagement, and decoding its
// JSON (tasks, questionnaire versions, events) is most of a read's cost.
// An entry is used only while the stored bytes are exactly the ones it was
// decoded from, so a write by anyone, in any way, simply misses the cache;
// callers get their own clone either way.
func (db *DB) readEngagement(tx *bolt.Tx, id string) (*playbook.Engagement, error) {
	e, err := db.decodedEngagement(tx, id)
	if err != nil {
		return nil, err
	}
	return e.Clone(), nil
}

// decodedEngagement is readEngagement without the copy: the cache's own
// value, which nobody may change.
func (db *DB) decodedEngagement(tx *bolt.Tx, id string) (*playbook.Engagement, error) {
	raw := tx.Bucket(bucketEngagements).Get([]byte(id))
	if raw == nil {
		return nil, playbook.Errorf(playbook.ENOTFOUND, "No engagement %q.", id)
	}
	db.decodedMu.Lock()
	d, ok := db.decoded[id]
	db.decodedMu.Unlock()
	if ok && bytes.Equal(d.raw, raw) {
		return d.e, nil
	}
	e := new(playbook.Engagement)
	if err := decodeJSON([]byte(id), raw, e); err != nil {
		return nil, err
	}
	// The batches' revisions are in raw, so raw alone still decides whether
	// a cached engagement is current.
	if err := db.attachBatches(tx, e); err != nil {
		return nil, err
	}
	// Versions and issues are attached in the same transaction as raw was
	// read, and every save that changes one rewrites raw (a new Version),
	// so raw still decides.
	if err := db.attachParts(tx, e); err != nil {
		return nil, err
	}
	db.decodedMu.Lock()
	if db.decoded == nil || len(db.decoded) >= maxDecoded {
		db.decoded = make(map[string]decodedEngagement)
	}
	db.decoded[id] = decodedEngagement{raw: bytes.Clone(raw), e: e}
	db.decodedMu.Unlock()
	return e, nil
}

func getEngagement(tx *bolt.Tx, id string) (*playbook.Engagement, error) {
	e := new(playbook.Engagement)
	ok, err := getJSON(tx.Bucket(bucketEngagements), []byte(id), e)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, playbook.Errorf(playbook.ENOTFOUND, "No engagement %q.", id)
	}
	return e, nil
}

// errStale is the conflict of an engagement saved from an old version.
func errStale(id string) error {
	return playbook.Errorf(playbook.ECONFLICT, "Engagement %s changed while this was handled; nothing was saved.", id)
}

// putEngagement saves e if the stored version is expect, and keeps the
// indexes in step. The caller has validated e.
func (db *DB) putEngagement(tx *bolt.Tx, e *playbook.Engagement, expect int) error {
	recs := tx.Bucket(bucketEngagements)
	convs := tx.Bucket(bucketEngagementConv)
	mems := tx.Bucket(bucketEngagementMembers)

	old, parts, err := db.storedEngagement(tx, e.ID, recs.Get([]byte(e.ID)))
	if err != nil {
		return err
	}
	switch {
	case old == nil && expect != 0:
		return errStale(e.ID)
	case old != nil && old.Version != expect:
		return errStale(e.ID)
	}

	// The conversation binding: one engagement per conversation, and a new
	// one only once the bound one is closed.
	if e.Conversation != "" {
		if bound := convs.Get([]byte(e.Conversation)); bound != nil && string(bound) != e.ID {
			other, err := getEngagement(tx, string(bound))
			if err != nil && playbook.ErrorCode(err) != playbook.ENOTFOUND {
				return err
			}
			if other != nil && !other.IsClosed() {
				return playbook.Errorf(playbook.ECONFLICT, "This conversation already has the %s engagement; nothing was saved.", other.Customer)
			}
		}
		if err := convs.Put([]byte(e.Conversation), []byte(e.ID)); err != nil {
			return err
		}
	}
	if old != nil && old.Conversation != "" && old.Conversation != e.Conversation {
		if bound := convs.Get([]byte(old.Conversation)); string(bound) == e.ID {
			if err := convs.Delete([]byte(old.Conversation)); err != nil {
				return err
			}
		}
	}

	// The member index: drop those who left, add those who joined.
	var was []string
	if old != nil {
		for _, m := range old.Members {
			was = append(was, m.ID)
		}
	}
	now := make([]string, 0, len(e.Members))
	for _, m := range e.Members {
		now = append(now, m.ID)
	}
	for _, id := range was {
		if !slices.Contains(now, id) {
			if err := mems.Delete(memberKey(id, e.ID)); err != nil {
				return err
			}
		}
	}
	for _, id := range now {
		if !slices.Contains(was, id) {
			if err := mems.Put(memberKey(id, e.ID), nil); err != nil {
				return err
			}
		}
	}
	return putEngagementRecord(tx, recs, e, old, parts)
}

// putEngagementRecord writes e's new history entries, those past the ones
// stored with old (nil: none), each under its own key; its batches, versions
// and issues that changed since old and was (the parts stored with old;
// nil: none); and e without any of those.
func putEngagementRecord(tx *bolt.Tx, recs *bolt.Bucket, e, old *playbook.Engagement, was *storedParts) error {
	e.NumberBatches()
	stored := 0
	if old != nil {
		stored = old.HistoryLen()
	}
	added, err := e.HistoryFrom(stored)
	if err != nil {
		return err
	}
	hist := tx.Bucket(bucketHistory)
	for i, a := range added {
		if err := putJSON(hist, partKey(e.ID, stored+i), a); err != nil {
			return err
		}
	}
	if err := putBatches(tx, e, old); err != nil {
		return err
	}
	if err := putParts(tx, e, was); err != nil {
		return err
	}
	return putJSON(recs, []byte(e.ID), e.StoredForm())
}

// putBatches writes the batches of e's events whose BatchRev is not the
// one stored with old (nil: none), and deletes the stored batches of events
// that no longer have one. A batch unchanged since old is neither encoded
// nor written.
func putBatches(tx *bolt.Tx, e, old *playbook.Engagement) error {
	b := tx.Bucket(bucketBatches)
	stored := map[int]int{} // event number → stored BatchRev
	if old != nil {
		for _, ev := range old.Events {
			if ev.BatchRev != 0 {
				stored[ev.N] = ev.BatchRev
			}
		}
	}
	for _, bt := range e.Batches() {
		rev, ok := stored[bt.N]
		delete(stored, bt.N)
		if ok && rev == bt.Rev {
			continue
		}
		if err := putJSON(b, partKey(e.ID, bt.N), bt); err != nil {
			return err
		}
	}
	for n := range stored {
		if err := b.Delete(partKey(e.ID, n)); err != nil {
			return err
		}
	}
	return nil
}

// decodedBatch is a batch as decoded from exactly raw.
type decodedBatch struct {
	raw []byte
	b   playbook.EventBatch
}

// attachBatches reads engagement e's stored batches into its events. A
// batch decoded before from the same bytes is taken from a cache (db nil:
// none), since decoding thousands of rows would otherwise be most of a
// turn that does not touch them; the batch is then shared with the cache,
// which is why readEngagement clones and ViewEngagementsOf's callers may
// not change what they get.
func (db *DB) attachBatches(tx *bolt.Tx, e *playbook.Engagement) error {
	prefix := partPrefix(e.ID)
	c := tx.Bucket(bucketBatches).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if db != nil {
			db.decodedMu.Lock()
			d, ok := db.batches[string(k)]
			db.decodedMu.Unlock()
			if ok && bytes.Equal(d.raw, v) {
				e.AttachBatch(d.b)
				continue
			}
		}
		var bt playbook.EventBatch
		if err := decodeJSON(k, v, &bt); err != nil {
			return err
		}
		e.AttachBatch(bt)
		if db != nil {
			db.decodedMu.Lock()
			if db.batches == nil || len(db.batches) >= maxDecoded {
				db.batches = make(map[string]decodedBatch)
			}
			db.batches[string(k)] = decodedBatch{raw: bytes.Clone(v), b: bt}
			db.decodedMu.Unlock()
		}
	}
	return nil
}

// partKey is the key of record n of what engagement id keeps apart (entry
// n of its history, event n's batch, version n, issue n): the id,
// memberSep, then n big-endian, so an engagement's records are together
// and in order.
func partKey(id string, n int) []byte {
	return append(partPrefix(id), idKey(uint64(n))...)
}

func partPrefix(id string) []byte {
	k := make([]byte, 0, len(id)+1+8)
	k = append(k, id...)
	return append(k, memberSep)
}

// History returns entries from to from+n (n <= 0: to the end) of the
// history of the engagement with that ID, oldest first, or ENOTFOUND. An
// engagement is read without its history; this is how the readers of the
// whole history (the history card, the report) get it.
func (db *DB) History(ctx context.Context, id string, from, n int) ([]playbook.AuditEntry, error) {
	var out []playbook.AuditEntry
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketEngagements).Get([]byte(id)) == nil {
			return playbook.Errorf(playbook.ENOTFOUND, "No engagement %q.", id)
		}
		var err error
		out, err = readHistory(tx, id, from, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("history of engagement %q: %w", id, err)
	}
	return out, nil
}

func readHistory(tx *bolt.Tx, id string, from, n int) ([]playbook.AuditEntry, error) {
	out := []playbook.AuditEntry{}
	prefix := partPrefix(id)
	c := tx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(partKey(id, max(from, 0))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if n > 0 && len(out) == n {
			break
		}
		var a playbook.AuditEntry
		if err := decodeJSON(k, v, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func memberKey(memberID, engagementID string) []byte {
	k := make([]byte, 0, len(memberID)+1+len(engagementID))
	k = append(k, memberID...)
	k = append(k, memberSep)
	return append(k, engagementID...)
}
