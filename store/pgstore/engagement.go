package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mvmbot/mvmbot/playbook"
)

// Engagements are stored as JSON in the engagements table, without their
// history, batches, questionnaire versions and issues, as the bbolt store
// keeps them; each history entry is a row of engagement_history, inserted
// once, when it is new (migrations/0002_history_rows.sql); batches,
// versions and issues are rows too (putBatches, parts.go). The version,
// bound conversation, closing time, history length, version count and
// issue revs are columns beside the JSON, and the
// member and conversation indexes are tables (see migrations/0001_init.sql).
// They are written only by CommitTurn.

// Engagement returns the engagement with that ID, or ENOTFOUND.
func (db *DB) Engagement(ctx context.Context, id string) (*playbook.Engagement, error) {
	e, err := db.oneEngagement(ctx, `SELECT `+engagementCols+` FROM engagements e WHERE id = $1`, id,
		playbook.Errorf(playbook.ENOTFOUND, "No engagement %q.", id))
	if err != nil {
		return nil, fmt.Errorf("engagement %q: %w", id, err)
	}
	return e, nil
}

// EngagementByConversation returns the engagement bound to the conversation
// key, or ENOTFOUND when none is.
func (db *DB) EngagementByConversation(ctx context.Context, key string) (*playbook.Engagement, error) {
	e, err := db.oneEngagement(ctx, `SELECT `+engagementCols+` FROM engagement_conv c JOIN engagements e ON e.id = c.engagement_id
		WHERE c.conversation = $1`, key,
		playbook.Errorf(playbook.ENOTFOUND, "No engagement is set up in this conversation."))
	if err != nil {
		return nil, fmt.Errorf("engagement of conversation %q: %w", key, err)
	}
	return e, nil
}

func (db *DB) oneEngagement(ctx context.Context, sql, arg string, missing error) (*playbook.Engagement, error) {
	if err := db.usable(ctx); err != nil {
		return nil, err
	}
	for range 3 {
		var (
			doc []byte
			p   partsRow
		)
		err := db.pool.QueryRow(ctx, sql, arg).Scan(&doc, &p.versions, &p.ids, &p.revs)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, missing
		}
		if err != nil {
			return nil, err
		}
		e, err := decodeEngagement(doc)
		if err != nil {
			return nil, err
		}
		whole, err := db.attachWhole(ctx, e, p)
		if err != nil || whole {
			return e, err
		}
		// A save came between the reads: read them again.
	}
	return nil, fmt.Errorf("engagement %q: its batches, versions or issues kept changing while it was read", arg)
}

// engagementCols are the columns a read of a whole engagement (alias e)
// scans: its doc, then what its row says of its parts (partsRow).
const engagementCols = `e.doc::text, e.questionnaire_len, e.issue_ids, e.issue_revs`

// attachWhole attaches e's batches and parts; false: a save came between
// the row's read and theirs.
func (db *DB) attachWhole(ctx context.Context, e *playbook.Engagement, p partsRow) (bool, error) {
	whole, err := db.attachBatches(ctx, e)
	if err != nil || !whole {
		return whole, err
	}
	return db.attachParts(ctx, e, p)
}

func decodeEngagement(doc []byte) (*playbook.Engagement, error) {
	e := new(playbook.Engagement)
	if err := json.Unmarshal(doc, e); err != nil {
		return nil, fmt.Errorf("decode engagement: %w", err)
	}
	return e, nil
}

// collectEngagements decodes rows of one column, an engagement's doc,
// without its batches.
func collectEngagements(rows pgx.Rows) ([]*playbook.Engagement, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*playbook.Engagement, error) {
		var doc []byte
		if err := row.Scan(&doc); err != nil {
			return nil, err
		}
		return decodeEngagement(doc)
	})
}

// batchID names one stored state of one event's batch: an event's
// BatchRev changes with every change to its batch, and engagement ids are
// not reused, so the state it names never changes.
type batchID struct {
	engagement string
	n, rev     int
}

// maxBatches bounds the batch cache; past it the cache starts afresh.
const maxBatches = 1024

// attachBatches puts into e's events their stored batches: from the cache
// when it holds the event's revision, else read and cached. The rows are
// shared with the cache, not copied: a batch is replaced, never changed in
// place (playbook/batch_apart.go). It reports false when a stored batch is not of
// the revision e's doc names (a save came between the doc's read and
// this one); the caller then reads again.
func (db *DB) attachBatches(ctx context.Context, e *playbook.Engagement) (bool, error) {
	missing := false
	db.batchMu.Lock()
	for i := range e.Events {
		ev := &e.Events[i]
		if ev.BatchRev == 0 {
			continue
		}
		if b, ok := db.batches[batchID{e.ID, ev.N, ev.BatchRev}]; ok {
			ev.Members, ev.Outcomes = b.Members, b.Outcomes
			continue
		}
		missing = true
	}
	db.batchMu.Unlock()
	if !missing {
		return true, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT batch::text FROM event_batches WHERE engagement_id = $1`, e.ID)
	if err != nil {
		return false, fmt.Errorf("batches of engagement %s: %w", e.ID, err)
	}
	var raw []byte
	var bs []playbook.EventBatch
	_, err = pgx.ForEachRow(rows, []any{&raw}, func() error {
		var b playbook.EventBatch
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("decode batch of engagement %s: %w", e.ID, err)
		}
		bs = append(bs, b)
		return nil
	})
	if err != nil {
		return false, err
	}
	db.batchMu.Lock()
	defer db.batchMu.Unlock()
	for _, b := range bs {
		if db.batches == nil || len(db.batches) >= maxBatches {
			db.batches = make(map[batchID]playbook.EventBatch)
		}
		db.batches[batchID{e.ID, b.N, b.Rev}] = b
	}
	for i := range e.Events {
		ev := &e.Events[i]
		if ev.BatchRev == 0 || ev.Members != nil || ev.Outcomes != nil {
			continue
		}
		b, ok := db.batches[batchID{e.ID, ev.N, ev.BatchRev}]
		if !ok {
			return false, nil
		}
		ev.Members, ev.Outcomes = b.Members, b.Outcomes
	}
	return true, nil
}

// EngagementsOf returns the engagements the person with that Teams id is a
// member of, closed ones included, ordered by engagement ID (byte order).
// None is an empty slice and no error.
func (db *DB) EngagementsOf(ctx context.Context, memberID string) ([]*playbook.Engagement, error) {
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+engagementCols+` FROM engagement_members m JOIN engagements e ON e.id = m.engagement_id
		WHERE m.member_id = $1 ORDER BY e.id`, memberID)
	if err != nil {
		return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
	}
	type read struct {
		e *playbook.Engagement
		p partsRow
	}
	reads, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (read, error) {
		var (
			doc []byte
			r   read
		)
		if err := row.Scan(&doc, &r.p.versions, &r.p.ids, &r.p.revs); err != nil {
			return r, err
		}
		e, derr := decodeEngagement(doc)
		r.e = e
		return r, derr
	})
	if err != nil {
		return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
	}
	es := make([]*playbook.Engagement, len(reads))
	for i, r := range reads {
		e := r.e
		es[i] = e
		whole, err := db.attachWhole(ctx, e, r.p)
		if err != nil {
			return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
		}
		if !whole { // saved meanwhile: read it again, on its own
			if es[i], err = db.Engagement(ctx, e.ID); err != nil {
				return nil, fmt.Errorf("engagements of %q: %w", memberID, err)
			}
		}
	}
	return es, nil // never nil: none is an empty slice
}

// ViewEngagementsOf calls fn with what EngagementsOf returns. There is no
// cache to share here, so the engagements are fn's own; the contract is
// the bbolt store's all the same (fn must not keep or change them).
func (db *DB) ViewEngagementsOf(ctx context.Context, memberID string, fn func([]*playbook.Engagement) error) error {
	es, err := db.EngagementsOf(ctx, memberID)
	if err != nil {
		return err
	}
	return fn(es)
}

// errStale is the conflict of an engagement saved from an old version.
func errStale(id string) error {
	return playbook.Errorf(playbook.ECONFLICT, "Engagement %s changed while this was handled; nothing was saved.", id)
}

// putEngagement saves e if the stored version is expect, with its indexes.
// The row lock (FOR UPDATE, or the primary key for a new engagement) makes
// a concurrent save of the same version wait, then fail the check.
func (db *DB) putEngagement(ctx context.Context, tx dbtx, e *playbook.Engagement, expect int) error {
	var (
		oldVersion int
		oldConv    string
		stored     int
		was        partsRow
	)
	err := tx.QueryRow(ctx, `SELECT version, conversation, history_len, questionnaire_len, issue_ids, issue_revs FROM engagements WHERE id = $1 FOR UPDATE`, e.ID).
		Scan(&oldVersion, &oldConv, &stored, &was.versions, &was.ids, &was.revs)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if (!exists && expect != 0) || (exists && oldVersion != expect) {
		return errStale(e.ID)
	}
	added, err := e.HistoryFrom(stored)
	if err != nil {
		return err
	}
	e.NumberBatches()
	parts := db.planParts(e, was)
	core := e.StoredForm()
	doc, err := json.Marshal(core)
	if err != nil {
		return fmt.Errorf("encode engagement %s: %w", e.ID, err)
	}
	var closed *time.Time
	if e.IsClosed() {
		closed = nullTime(micro(e.Closed))
	}
	if exists {
		_, err = tx.Exec(ctx, `UPDATE engagements SET version = $2, conversation = $3, closed_at = $4, doc = $5, history_len = $6,
			questionnaire_len = $7, issue_ids = $8::text::integer[], issue_revs = $9::text::integer[] WHERE id = $1`,
			e.ID, e.Version, e.Conversation, closed, string(doc), core.HistoryBase, parts.row.versions, intArray(parts.row.ids), intArray(parts.row.revs))
	} else {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, `INSERT INTO engagements (id, version, conversation, closed_at, doc, history_len, questionnaire_len, issue_ids, issue_revs)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::integer[], $9::text::integer[])
			ON CONFLICT (id) DO NOTHING`, e.ID, e.Version, e.Conversation, closed, string(doc), core.HistoryBase, parts.row.versions, intArray(parts.row.ids), intArray(parts.row.revs))
		if err == nil && tag.RowsAffected() == 0 {
			return errStale(e.ID) // created by another turn meanwhile
		}
	}
	if err != nil {
		return fmt.Errorf("save engagement %s: %w", e.ID, err)
	}
	if err := insertHistory(ctx, tx, e.ID, stored, added); err != nil {
		return err
	}
	if err := putBatches(ctx, tx, e, exists); err != nil {
		return err
	}
	if err := writeParts(ctx, tx, e.ID, e.Version, e.Questionnaire, parts); err != nil {
		return err
	}
	if err := bindConversation(ctx, tx, e); err != nil {
		return err
	}
	if exists && oldConv != "" && oldConv != e.Conversation {
		if _, err := tx.Exec(ctx, `DELETE FROM engagement_conv WHERE conversation = $1 AND engagement_id = $2`, oldConv, e.ID); err != nil {
			return err
		}
	}
	members := make([]string, 0, len(e.Members))
	for _, m := range e.Members {
		members = append(members, m.ID)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM engagement_members WHERE engagement_id = $1 AND NOT (member_id = ANY($2))`, e.ID, members); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO engagement_members (member_id, engagement_id) SELECT unnest($2::text[]), $1
		ON CONFLICT DO NOTHING`, e.ID, members)
	return err
}

// bindConversation binds e's conversation to e: one engagement per
// conversation, and a new one only once the bound one is closed. The
// binding's row is inserted or locked first, so two new engagements set up
// in one conversation at once cannot both take it.
func bindConversation(ctx context.Context, tx dbtx, e *playbook.Engagement) error {
	if e.Conversation == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO engagement_conv (conversation, engagement_id) VALUES ($1, $2)
		ON CONFLICT (conversation) DO NOTHING`, e.Conversation, e.ID)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	var bound string
	if err := tx.QueryRow(ctx, `SELECT engagement_id FROM engagement_conv WHERE conversation = $1 FOR UPDATE`, e.Conversation).Scan(&bound); err != nil {
		return err
	}
	if bound == e.ID {
		return nil
	}
	var (
		open     bool
		customer string
	)
	err = tx.QueryRow(ctx, `SELECT closed_at IS NULL, doc->>'customer' FROM engagements WHERE id = $1`, bound).Scan(&open, &customer)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if err == nil && open {
		return playbook.Errorf(playbook.ECONFLICT, "This conversation already has the %s engagement; nothing was saved.", customer)
	}
	_, err = tx.Exec(ctx, `UPDATE engagement_conv SET engagement_id = $2 WHERE conversation = $1`, e.Conversation, e.ID)
	return err
}

// PurgeClosed deletes the engagements closed before before, with their
// conversation binding and member index entries, and returns their IDs,
// customers and closing times in ID order; with dryRun it only lists them.
func (db *DB) PurgeClosed(ctx context.Context, before time.Time, dryRun bool) ([]playbook.Engagement, error) {
	var purged []playbook.Engagement
	err := db.tx(ctx, func(tx pgx.Tx) error {
		purged = nil
		lock := " FOR UPDATE"
		if dryRun {
			lock = ""
		}
		rows, err := tx.Query(ctx, `SELECT doc::text FROM engagements WHERE closed_at <= $1 ORDER BY id`+lock, micro(before))
		if err != nil {
			return err
		}
		doomed, err := collectEngagements(rows)
		if err != nil {
			return err
		}
		var ids, names []string
		for _, e := range doomed {
			// closed_at is to the microsecond; the engagement's own time decides.
			if !e.IsClosed() || !e.Closed.Before(before) {
				continue
			}
			purged = append(purged, playbook.Engagement{ID: e.ID, Customer: e.Customer, Closed: e.Closed})
			ids = append(ids, e.ID)
			names = append(names, e.ID, e.Conversation)
		}
		if dryRun || len(ids) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM engagement_conv WHERE engagement_id = ANY($1)`, ids); err != nil {
			return err
		}
		if err := purgeJobs(ctx, tx, names); err != nil {
			return err
		}
		if err := purgeProcessed(ctx, tx, ids); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM engagements WHERE id = ANY($1)`, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("purge closed engagements: %w", err)
	}
	return purged, nil
}

// insertHistory inserts added as entries from, from+1, … of engagement
// id's history, in one statement.
func insertHistory(ctx context.Context, x execer, id string, from int, added []playbook.AuditEntry) error {
	if len(added) == 0 {
		return nil
	}
	entries, err := json.Marshal(added)
	if err != nil {
		return fmt.Errorf("encode history of engagement %s: %w", id, err)
	}
	if _, err := x.Exec(ctx, `INSERT INTO engagement_history (engagement_id, n, entry)
		SELECT $1, $2 + h.o - 1, h.entry FROM json_array_elements($3::json) WITH ORDINALITY AS h(entry, o)`, id, from, string(entries)); err != nil {
		return fmt.Errorf("save history of engagement %s: %w", id, err)
	}
	return nil
}

// History returns entries from to from+n (n <= 0: to the end) of the
// history of the engagement with that ID, oldest first, or ENOTFOUND (see
// the bbolt store's).
func (db *DB) History(ctx context.Context, id string, from, n int) ([]playbook.AuditEntry, error) {
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("history of engagement %q: %w", id, err)
	}
	out, err := readHistory(ctx, db.pool, id, from, n)
	if err == nil && len(out) == 0 {
		var found bool
		err = db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM engagements WHERE id = $1)`, id).Scan(&found)
		if err == nil && !found {
			err = playbook.Errorf(playbook.ENOTFOUND, "No engagement %q.", id)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("history of engagement %q: %w", id, err)
	}
	return out, nil
}

func readHistory(ctx context.Context, q querier, id string, from, n int) ([]playbook.AuditEntry, error) {
	from = max(from, 0)
	to := int64(from) + int64(n)
	if n <= 0 {
		to = 1<<31 - 1
	}
	rows, err := q.Query(ctx, `SELECT entry::text FROM engagement_history WHERE engagement_id = $1 AND n >= $2 AND n < $3 ORDER BY n`, id, from, to)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playbook.AuditEntry, error) {
		var (
			doc []byte
			a   playbook.AuditEntry
		)
		if err := row.Scan(&doc); err != nil {
			return a, err
		}
		if err := json.Unmarshal(doc, &a); err != nil {
			return a, fmt.Errorf("decode history entry: %w", err)
		}
		return a, nil
	})
	if out == nil {
		out = []playbook.AuditEntry{}
	}
	return out, err
}

// putBatches writes the batches of e's events whose rev is not the stored
// one and deletes those of events that no longer have one; a batch
// unchanged since the last save is neither encoded nor written. An
// engagement that never had a batch (BatchSeq 0) costs no query.
func putBatches(ctx context.Context, tx dbtx, e *playbook.Engagement, exists bool) error {
	if e.BatchSeq == 0 {
		return nil
	}
	stored := map[int]int{} // event number → stored rev
	if exists {
		rows, err := tx.Query(ctx, `SELECT n, rev FROM event_batches WHERE engagement_id = $1`, e.ID)
		if err != nil {
			return fmt.Errorf("batches of engagement %s: %w", e.ID, err)
		}
		var n, rev int
		_, err = pgx.ForEachRow(rows, []any{&n, &rev}, func() error {
			stored[n] = rev
			return nil
		})
		if err != nil {
			return fmt.Errorf("batches of engagement %s: %w", e.ID, err)
		}
	}
	if err := writeBatches(ctx, tx, e, stored); err != nil {
		return err
	}
	gone := make([]int32, 0, len(stored))
	for n := range stored {
		gone = append(gone, int32(n))
	}
	if len(gone) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM event_batches WHERE engagement_id = $1 AND n = ANY($2)`, e.ID, gone); err != nil {
			return fmt.Errorf("save batches of engagement %s: %w", e.ID, err)
		}
	}
	return nil
}

// writeBatches upserts e's batches whose rev is not the one in stored
// (event number → rev), removing from stored every event e still has a
// batch for.
func writeBatches(ctx context.Context, x execer, e *playbook.Engagement, stored map[int]int) error {
	for _, b := range e.Batches() {
		rev, ok := stored[b.N]
		delete(stored, b.N)
		if ok && rev == b.Rev {
			continue
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode batch %d of engagement %s: %w", b.N, e.ID, err)
		}
		if _, err := x.Exec(ctx, `INSERT INTO event_batches (engagement_id, n, rev, batch) VALUES ($1, $2, $3, $4)
			ON CONFLICT (engagement_id, n) DO UPDATE SET rev = excluded.rev, batch = excluded.batch`, e.ID, b.N, b.Rev, string(raw)); err != nil {
			return fmt.Errorf("save batch %d of engagement %s: %w", b.N, e.ID, err)
		}
	}
	return nil
}
