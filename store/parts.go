package store

import (
	"bytes"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// Questionnaire versions and issues, kept apart from the engagement record
// (playbook/parts_apart.go), each in a record of its own:
//
//	questionnaire_versions  Engagement.ID + 0x00 + QuestionnaireVersion.N (big-endian uint64) → QuestionnaireVersion (JSON)
//	engagement_issues       Engagement.ID + 0x00 + Issue.ID (big-endian uint64) → Issue (JSON)
//
// A version is written once, by the save that submitted it; an issue by
// every save that changed it (playbook.ChangedIssues against the stored
// ones). Reads attach both, decoded records coming from caches while their
// bytes are unchanged, shared with the cache: a version is never changed
// in place, and Clone copies the issues.

// Bounds of the part caches; past one its cache starts afresh. Issues are
// many per engagement (hundreds in a big migration), so theirs is larger.
const (
	maxDecodedVersions = 1024
	maxDecodedIssues   = 1 << 15
)

// decodedPart is a version or an issue as decoded from exactly raw.
type decodedPart[T any] struct {
	raw []byte
	v   T
}

// storedParts is what the store holds of an engagement's parts: how many
// versions, and the issues as stored.
type storedParts struct {
	versions int
	issues   []playbook.Issue
}

// attachParts reads engagement e's stored versions and issues into it.
func (db *DB) attachParts(tx *bolt.Tx, e *playbook.Engagement) error {
	vs, is, err := db.readParts(tx, e.ID)
	if err != nil {
		return err
	}
	e.Questionnaire, e.Issues = vs, is
	return nil
}

// readParts reads engagement id's stored versions and issues, in order.
// A record decoded before from the same bytes comes from db's cache (db
// nil: none) and is shared with it.
func (db *DB) readParts(tx *bolt.Tx, id string) ([]playbook.QuestionnaireVersion, []playbook.Issue, error) {
	var vs []playbook.QuestionnaireVersion
	if err := scanParts(tx.Bucket(bucketVersions), id, func(k, v []byte) error {
		x, err := decodePart(db, k, v, func(db *DB) *map[string]decodedPart[playbook.QuestionnaireVersion] { return &db.versions }, maxDecodedVersions)
		vs = append(vs, x)
		return err
	}); err != nil {
		return nil, nil, err
	}
	var is []playbook.Issue
	if err := scanParts(tx.Bucket(bucketIssues), id, func(k, v []byte) error {
		x, err := decodePart(db, k, v, func(db *DB) *map[string]decodedPart[playbook.Issue] { return &db.issues }, maxDecodedIssues)
		is = append(is, x)
		return err
	}); err != nil {
		return nil, nil, err
	}
	return vs, is, nil
}

// scanParts calls fn with every record of engagement id in b, in key order.
func scanParts(b *bolt.Bucket, id string, fn func(k, v []byte) error) error {
	prefix := historyPrefix(id)
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// decodePart decodes v, the record under k, or takes it from the cache
// cache(db) picks when it was decoded before from the same bytes.
func decodePart[T any](db *DB, k, v []byte, cache func(*DB) *map[string]decodedPart[T], bound int) (T, error) {
	if db != nil {
		db.decodedMu.Lock()
		d, ok := (*cache(db))[string(k)]
		db.decodedMu.Unlock()
		if ok && bytes.Equal(d.raw, v) {
			return d.v, nil
		}
	}
	var x T
	if err := decodeJSON(k, v, &x); err != nil {
		return x, err
	}
	if db != nil {
		db.decodedMu.Lock()
		m := cache(db)
		if *m == nil || len(*m) >= bound {
			*m = make(map[string]decodedPart[T])
		}
		(*m)[string(k)] = decodedPart[T]{raw: bytes.Clone(v), v: x}
		db.decodedMu.Unlock()
	}
	return x, nil
}

// storedPartsOf returns what is stored of engagement id's parts, its
// record being raw: from the decoded-engagement cache when it holds
// exactly raw (the turn saving it has usually just read it), else read.
func (db *DB) storedPartsOf(tx *bolt.Tx, id string, raw []byte) (*storedParts, error) {
	if db != nil {
		db.decodedMu.Lock()
		d, ok := db.decoded[id]
		db.decodedMu.Unlock()
		if ok && bytes.Equal(d.raw, raw) {
			return &storedParts{versions: len(d.e.Questionnaire), issues: d.e.Issues}, nil
		}
	}
	vs, is, err := db.readParts(tx, id)
	if err != nil {
		return nil, err
	}
	return &storedParts{versions: len(vs), issues: is}, nil
}

// putParts writes e's versions past those stored (was; nil: none) and its
// issues that differ from the stored ones, and deletes stored issues e no
// longer has. An unchanged version or issue is neither encoded nor written.
func putParts(tx *bolt.Tx, e *playbook.Engagement, was *storedParts) error {
	if was == nil {
		was = &storedParts{}
	}
	vb := tx.Bucket(bucketVersions)
	from := was.versions
	if len(e.Questionnaire) < from { // versions are never removed; should one be, store them afresh
		if err := deletePrefix(vb, e.ID); err != nil {
			return err
		}
		from = 0
	}
	for _, v := range e.Questionnaire[from:] {
		if err := putJSON(vb, historyKey(e.ID, v.N), v); err != nil {
			return err
		}
	}
	ib := tx.Bucket(bucketIssues)
	changed, gone := playbook.ChangedIssues(was.issues, e.Issues)
	for _, x := range changed {
		if err := putJSON(ib, historyKey(e.ID, x.ID), x); err != nil {
			return err
		}
	}
	for _, id := range gone {
		if err := ib.Delete(historyKey(e.ID, id)); err != nil {
			return err
		}
	}
	return nil
}

// deleteParts deletes every version and issue of engagement id.
func deleteParts(tx *bolt.Tx, id string) error {
	if err := deletePrefix(tx.Bucket(bucketVersions), id); err != nil {
		return err
	}
	return deletePrefix(tx.Bucket(bucketIssues), id)
}

// deletePrefix deletes every record of engagement id in b.
func deletePrefix(b *bolt.Bucket, id string) error {
	prefix := historyPrefix(id)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
