package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
)

// Questionnaire versions and issues are rows of their own
// (migrations/0005_parts_apart.sql, playbook/parts_apart.go): a version is
// inserted once, by the save that submitted it; an issue is written when it
// differs from the stored one, with the engagement version of that save as
// its rev. The engagement's row keeps the number of versions and each
// issue's id and rev, in order, so a read knows what it needs before it
// reads a part: while they are the ones last read for the engagement
// (lastParts; a note changes none), its parts as last read serve whole;
// else versions come from a cache keyed by engagement and number (a
// version never changes), issues from one keyed by engagement, id and
// rev, and only the parts the caches lack are read.

// partsRow is what an engagement's row says of its parts.
type partsRow struct {
	versions  int
	ids, revs []int32
}

// versionID names a stored version: engagement ids are not reused and a
// version never changes, so what it names never changes.
type versionID struct {
	engagement string
	n          int
}

// issueID names one stored state of an issue (see partsRow).
type issueID struct {
	engagement string
	id, rev    int32
}

// engagementParts is an engagement's parts as last read: the issues of
// ids at revs, and versions 1 to len(versions).
type engagementParts struct {
	ids, revs []int32
	issues    []playbook.Issue // the cache's own: copied out, never handed
	versions  []playbook.QuestionnaireVersion
}

// Bounds of the part caches; past one its cache starts afresh.
const (
	maxEngagements = 1024
	maxVersions    = 1024
	maxIssues      = 1 << 15
)

// attachParts puts into e its versions and issues as p names them: from
// the caches, else read (and cached). The versions are shared with the
// cache (never changed in place); the issues slice is e's own. It reports
// false when a stored issue is not of the rev p names, or a version is
// missing (a save came between the row's read and this one); the caller
// then reads again.
func (db *DB) attachParts(ctx context.Context, e *playbook.Engagement, p partsRow) (bool, error) {
	if p.versions == 0 && len(p.ids) == 0 {
		return true, nil
	}
	if len(p.ids) != len(p.revs) {
		return false, fmt.Errorf("engagement %s: %d issue ids and %d revs", e.ID, len(p.ids), len(p.revs))
	}
	var (
		vs          []playbook.QuestionnaireVersion
		is          []playbook.Issue
		missV       []int32 // version numbers
		missI, atI  []int32 // issue ids, and their places in is
		missingRevs map[int32]int32
	)
	db.partMu.Lock()
	prev := db.lastParts[e.ID]
	db.partMu.Unlock()
	// The usual read: nothing changed since the last one (a note), so the
	// engagement's parts as last read serve whole, with no lookup per part.
	if prev != nil && len(prev.versions) == p.versions && slices.Equal(prev.ids, p.ids) && slices.Equal(prev.revs, p.revs) {
		e.Questionnaire, e.Issues = prev.versions, slices.Clone(prev.issues)
		return true, nil
	}
	missingRevs = map[int32]int32{}
	if p.versions > 0 {
		vs = make([]playbook.QuestionnaireVersion, p.versions)
	}
	if len(p.ids) > 0 {
		is = make([]playbook.Issue, len(p.ids))
	}
	db.partMu.Lock()
	for n := 1; n <= p.versions; n++ {
		if v, ok := db.versions[versionID{e.ID, n}]; ok {
			vs[n-1] = v
		} else {
			missV = append(missV, int32(n))
		}
	}
	for i, id := range p.ids {
		if x, ok := db.issues[issueID{e.ID, id, p.revs[i]}]; ok {
			is[i] = x
		} else {
			missI, atI = append(missI, id), append(atI, int32(i))
			missingRevs[id] = p.revs[i]
		}
	}
	db.partMu.Unlock()
	if len(missV) > 0 {
		rows, err := db.pool.Query(ctx, `SELECT n, version::text FROM questionnaire_versions WHERE engagement_id = $1 AND n = ANY($2)`, e.ID, missV)
		if err != nil {
			return false, fmt.Errorf("questionnaire versions of engagement %s: %w", e.ID, err)
		}
		var (
			n     int
			raw   []byte
			found int
		)
		_, err = pgx.ForEachRow(rows, []any{&n, &raw}, func() error {
			var v playbook.QuestionnaireVersion
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("decode questionnaire version %d of engagement %s: %w", n, e.ID, err)
			}
			if n >= 1 && n <= p.versions {
				vs[n-1] = v
				found++
			}
			db.partMu.Lock()
			if db.versions == nil || len(db.versions) >= maxVersions {
				db.versions = make(map[versionID]playbook.QuestionnaireVersion)
			}
			db.versions[versionID{e.ID, n}] = v
			db.partMu.Unlock()
			return nil
		})
		if err != nil {
			return false, err
		}
		if found != len(missV) {
			return false, nil
		}
	}
	if len(missI) > 0 {
		rows, err := db.pool.Query(ctx, `SELECT id, rev, issue::text FROM engagement_issues WHERE engagement_id = $1 AND id = ANY($2)`, e.ID, missI)
		if err != nil {
			return false, fmt.Errorf("issues of engagement %s: %w", e.ID, err)
		}
		var (
			id, rev int32
			raw     []byte
		)
		got := make(map[int32]playbook.Issue, len(missI))
		_, err = pgx.ForEachRow(rows, []any{&id, &rev, &raw}, func() error {
			var x playbook.Issue
			if err := json.Unmarshal(raw, &x); err != nil {
				return fmt.Errorf("decode issue %d of engagement %s: %w", id, e.ID, err)
			}
			db.partMu.Lock()
			if db.issues == nil || len(db.issues) >= maxIssues {
				db.issues = make(map[issueID]playbook.Issue)
			}
			db.issues[issueID{e.ID, id, rev}] = x
			db.partMu.Unlock()
			if missingRevs[id] == rev {
				got[id] = x
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		for k, id := range missI {
			x, ok := got[id]
			if !ok {
				return false, nil
			}
			is[atI[k]] = x
		}
	}
	e.Questionnaire, e.Issues = vs, is
	db.partMu.Lock()
	if db.lastParts == nil || len(db.lastParts) >= maxEngagements {
		db.lastParts = make(map[string]*engagementParts)
	}
	db.lastParts[e.ID] = &engagementParts{ids: p.ids, revs: p.revs, issues: slices.Clone(is), versions: vs}
	db.partMu.Unlock()
	return true, nil
}

// partsPlan is what a save writes of e's parts: the versions past the
// stored ones, the issues that differ from the stored ones, the ids of
// issues gone, and the row's new partsRow.
type partsPlan struct {
	from    int // the first version to insert, from 0
	changed []playbook.Issue
	gone    []int32
	row     partsRow
}

// planParts compares e's parts with was, the stored row's (zero: none;
// db nil: no cache, so every issue is written): an issue is unchanged when the cache holds its stored rev and it
// is == to it; one the cache lacks is written again (it costs a write, not
// a wrong answer).
func (db *DB) planParts(e *playbook.Engagement, was partsRow) partsPlan {
	p := partsPlan{from: was.versions, row: partsRow{versions: len(e.Questionnaire)}}
	if len(e.Questionnaire) < was.versions { // versions are never removed; should one be, store them afresh
		p.from = -1
	}
	stored := make(map[int32]int32, len(was.ids))
	for i, id := range was.ids {
		if i < len(was.revs) {
			stored[id] = was.revs[i]
		}
	}
	p.row.ids = make([]int32, len(e.Issues))
	p.row.revs = make([]int32, len(e.Issues))
	var (
		cache map[issueID]playbook.Issue
		last  *engagementParts // the stored issues as last read, when they are was's
	)
	if db != nil {
		db.partMu.Lock()
		defer db.partMu.Unlock()
		cache = db.issues
		if l := db.lastParts[e.ID]; l != nil && slices.Equal(l.ids, was.ids) && slices.Equal(l.revs, was.revs) {
			last = l
		}
	}
	for i, x := range e.Issues {
		id := int32(x.ID)
		p.row.ids[i], p.row.revs[i] = id, int32(e.Version)
		rev, ok := stored[id]
		delete(stored, id)
		if ok {
			old, hit := playbook.Issue{}, false
			if last != nil && i < len(last.issues) && last.ids[i] == id {
				old, hit = last.issues[i], true
			} else {
				old, hit = cache[issueID{e.ID, id, rev}]
			}
			if hit && old == x {
				p.row.revs[i] = rev
				continue
			}
		}
		p.changed = append(p.changed, x)
	}
	for id := range stored {
		p.gone = append(p.gone, id)
	}
	return p
}

// writeParts writes what p plans for engagement id at version, whose row
// exists.
func writeParts(ctx context.Context, x execer, id string, version int, vs []playbook.QuestionnaireVersion, p partsPlan) error {
	from := p.from
	if from < 0 {
		if _, err := x.Exec(ctx, `DELETE FROM questionnaire_versions WHERE engagement_id = $1`, id); err != nil {
			return fmt.Errorf("save questionnaire versions of engagement %s: %w", id, err)
		}
		from = 0
	}
	if from < len(vs) {
		raw, err := json.Marshal(vs[from:])
		if err != nil {
			return fmt.Errorf("encode questionnaire versions of engagement %s: %w", id, err)
		}
		if _, err := x.Exec(ctx, `INSERT INTO questionnaire_versions (engagement_id, n, version)
			SELECT $1, $2 + v.o, v.v FROM json_array_elements($3::json) WITH ORDINALITY AS v(v, o)`, id, from, string(raw)); err != nil {
			return fmt.Errorf("save questionnaire versions of engagement %s: %w", id, err)
		}
	}
	if len(p.changed) > 0 {
		raw, err := json.Marshal(p.changed)
		if err != nil {
			return fmt.Errorf("encode issues of engagement %s: %w", id, err)
		}
		if _, err := x.Exec(ctx, `INSERT INTO engagement_issues (engagement_id, id, rev, issue)
			SELECT $1, (i.i->>'id')::integer, $2, i.i FROM json_array_elements($3::json) AS i(i)
			ON CONFLICT (engagement_id, id) DO UPDATE SET rev = excluded.rev, issue = excluded.issue`, id, version, string(raw)); err != nil {
			return fmt.Errorf("save issues of engagement %s: %w", id, err)
		}
	}
	if len(p.gone) > 0 {
		if _, err := x.Exec(ctx, `DELETE FROM engagement_issues WHERE engagement_id = $1 AND id = ANY($2)`, id, p.gone); err != nil {
			return fmt.Errorf("save issues of engagement %s: %w", id, err)
		}
	}
	return nil
}

// intArray is ns as a PostgreSQL array literal: one string, where pgx
// would box every element of a slice it encodes.
func intArray(ns []int32) string {
	b := make([]byte, 0, 2+len(ns)*6)
	b = append(b, '{')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(append(b, '}'))
}
