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
//	engagement_parts        Engagement.ID → stamp (big-endian uint64): new whenever a save writes a version or an issue
//
// A version is written once, by the save that submitted it; an issue by
// every save that changed it (playbook.ChangedIssues against the stored
// ones). Reads attach both from a cache of each engagement's parts as last
// read, which serves while the engagement's stamp is the one it was read
// under, so a read of an engagement whose parts did not change (after a
// note) looks up one key instead of reading hundreds of records. The
// slices are shared with the cache: a version is never changed in place,
// and Clone copies the issues.

// decodedParts is an engagement's versions and issues as decoded from
// exactly the records raws hold, in key order.
type decodedParts struct {
	stamp                  []byte // engagement_parts' value when read; nil: none
	versionRaws, issueRaws [][]byte
	versions               []playbook.QuestionnaireVersion
	issues                 []playbook.Issue
}

// storedParts is what the store holds of an engagement's parts: how many
// versions, and the issues as stored.
type storedParts struct {
	versions int
	issues   []playbook.Issue
}

// attachParts reads engagement e's stored versions and issues into it.
func (db *DB) attachParts(tx *bolt.Tx, e *playbook.Engagement) error {
	vs, is, err := db.readParts(tx, e.ID, true)
	if err != nil {
		return err
	}
	e.Questionnaire, e.Issues = vs, is
	return nil
}

// readParts reads engagement id's stored versions and issues, in order.
// db's cache (db nil: none) holds the ones read last for each engagement:
// while the engagement's stamp is the one they were read under, they are
// returned as they are, shared with the cache (nobody may change them;
// readEngagement clones); else a record whose bytes are the ones at its
// place there is not decoded again. Only a read that cannot be rolled back
// (keep: a read transaction's) fills the cache, since a stamp written by a
// transaction that rolls back may be given again to other parts.
func (db *DB) readParts(tx *bolt.Tx, id string, keep bool) ([]playbook.QuestionnaireVersion, []playbook.Issue, error) {
	prev := &decodedParts{}
	if db != nil {
		db.decodedMu.Lock()
		if p, ok := db.parts[id]; ok {
			prev = p
		}
		db.decodedMu.Unlock()
	}
	stamp := tx.Bucket(bucketPartStamps).Get([]byte(id))
	if stamp != nil && bytes.Equal(stamp, prev.stamp) {
		return prev.versions, prev.issues, nil
	}
	var (
		next = decodedParts{stamp: bytes.Clone(stamp)}
		err  error
	)
	next.versionRaws, next.versions, err = scanParts(tx.Bucket(bucketVersions), id, prev.versionRaws, prev.versions)
	if err != nil {
		return nil, nil, err
	}
	next.issueRaws, next.issues, err = scanParts(tx.Bucket(bucketIssues), id, prev.issueRaws, prev.issues)
	if err != nil {
		return nil, nil, err
	}
	if db != nil && keep {
		db.decodedMu.Lock()
		if db.parts == nil || len(db.parts) >= maxDecoded {
			db.parts = make(map[string]*decodedParts)
		}
		db.parts[id] = &next
		db.decodedMu.Unlock()
	}
	return next.versions, next.issues, nil
}

// scanParts reads engagement id's records in b, in key order, given raws
// and vals, the ones read before: a record whose bytes are those at its
// place in raws is not decoded again, and when all are, raws and vals
// themselves are returned (cut to the records there are).
func scanParts[T any](b *bolt.Bucket, id string, raws [][]byte, vals []T) ([][]byte, []T, error) {
	prefix := partPrefix(id)
	c := b.Cursor()
	i := 0
	var (
		outR    [][]byte
		outV    []T
		copying bool
	)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		same := i < len(raws) && bytes.Equal(raws[i], v)
		if same && !copying {
			i++
			continue
		}
		if !copying { // the first difference: the new lists start as copies
			outR = append(make([][]byte, 0, max(len(raws), i+1)), raws[:i]...)
			outV = append(make([]T, 0, max(len(vals), i+1)), vals[:i]...)
			copying = true
		}
		if same {
			outR, outV = append(outR, raws[i]), append(outV, vals[i])
		} else {
			var x T
			if err := decodeJSON(k, v, &x); err != nil {
				return nil, nil, err
			}
			outR, outV = append(outR, bytes.Clone(v)), append(outV, x)
		}
		i++
	}
	if !copying {
		return raws[:i:i], vals[:i:i], nil
	}
	return outR, outV, nil
}

// storedEngagement returns the engagement whose record is raw (nil: none
// stored) and what is stored of its parts, for a save to compare with:
// from the decoded-engagement cache when it holds exactly raw (the turn
// saving it has usually just read it), else decoded and read. The
// engagement may be the cache's own value: the caller only reads it.
func (db *DB) storedEngagement(tx *bolt.Tx, id string, raw []byte) (*playbook.Engagement, *storedParts, error) {
	if raw == nil {
		return nil, nil, nil
	}
	if db != nil {
		db.decodedMu.Lock()
		d, ok := db.decoded[id]
		db.decodedMu.Unlock()
		if ok && bytes.Equal(d.raw, raw) {
			return d.e, &storedParts{versions: len(d.e.Questionnaire), issues: d.e.Issues}, nil
		}
	}
	old := new(playbook.Engagement)
	if err := decodeJSON([]byte(id), raw, old); err != nil {
		return nil, nil, err
	}
	vs, is, err := db.readParts(tx, id, false)
	if err != nil {
		return nil, nil, err
	}
	return old, &storedParts{versions: len(vs), issues: is}, nil
}

// putParts writes e's versions past those stored (was; nil: none) and its
// issues that differ from the stored ones, and deletes stored issues e no
// longer has. An unchanged version or issue is neither encoded nor written.
// When it writes any, the engagement takes a new stamp: the next value of
// engagement_parts' sequence, so no two committed states share one.
func putParts(tx *bolt.Tx, e *playbook.Engagement, was *storedParts) error {
	if was == nil {
		was = &storedParts{}
	}
	vb := tx.Bucket(bucketVersions)
	from := was.versions
	wrote := false
	if len(e.Questionnaire) < from { // versions are never removed; should one be, store them afresh
		if err := deletePrefix(vb, e.ID); err != nil {
			return err
		}
		from, wrote = 0, true
	}
	for _, v := range e.Questionnaire[from:] {
		if err := putJSON(vb, partKey(e.ID, v.N), v); err != nil {
			return err
		}
		wrote = true
	}
	ib := tx.Bucket(bucketIssues)
	changed, gone := playbook.ChangedIssues(was.issues, e.Issues)
	for _, x := range changed {
		if err := putJSON(ib, partKey(e.ID, x.ID), x); err != nil {
			return err
		}
		wrote = true
	}
	for _, id := range gone {
		if err := ib.Delete(partKey(e.ID, id)); err != nil {
			return err
		}
		wrote = true
	}
	if !wrote {
		return nil
	}
	stamps := tx.Bucket(bucketPartStamps)
	n, err := stamps.NextSequence()
	if err != nil {
		return err
	}
	return stamps.Put([]byte(e.ID), idKey(n))
}

// deleteApart deletes every record engagement id keeps apart (its
// history, batches, versions and issues) and its parts' stamp.
func deleteApart(tx *bolt.Tx, id string) error {
	for _, b := range [][]byte{bucketHistory, bucketBatches, bucketVersions, bucketIssues} {
		if err := deletePrefix(tx.Bucket(b), id); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketPartStamps).Delete([]byte(id))
}

// deletePrefix deletes every record of engagement id in b.
func deletePrefix(b *bolt.Bucket, id string) error {
	prefix := partPrefix(id)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
