package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mvmbot/mvmbot/playbook"
)

// Records is the whole content of a store, as another backend hands it
// over (mvmbot migrate-store copies a bbolt file with it).
type Records struct {
	Engagements []*playbook.Engagement
	// Conversations binds conversation keys to engagement IDs.
	Conversations map[string]string
	Refs          []playbook.ConversationRef
	Jobs          []playbook.Job // queued; IDs kept, leases dropped
	Dead          []playbook.Job
	Processed     []ProcessedRecord
	// Drafts are the questionnaire drafts: engagement ID → draft.
	Drafts map[string]playbook.QuestionnaireDraft
}

// ProcessedRecord is a dedup record under the hash of its dedup key: the
// first 16 bytes of its SHA-256, as both backends store it.
type ProcessedRecord struct {
	KeyHash []byte
	Result  playbook.Result
}

// Counts is how many records of each kind a store holds.
type Counts struct {
	Engagements, Conversations, Members, History, Refs, Jobs, Dead, Processed, Drafts int
	// Versions and Issues are the engagements' questionnaire versions and
	// issues, rows of their own.
	Versions, Issues int
}

// Counts counts the records of each kind.
func (db *DB) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	if err := db.usable(ctx); err != nil {
		return c, err
	}
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM engagements), (SELECT count(*) FROM engagement_conv), (SELECT count(*) FROM engagement_members),
		(SELECT count(*) FROM engagement_history), (SELECT count(*) FROM refs), (SELECT count(*) FROM jobs), (SELECT count(*) FROM dead_jobs), (SELECT count(*) FROM processed),
		(SELECT count(*) FROM questionnaire_drafts), (SELECT count(*) FROM questionnaire_versions), (SELECT count(*) FROM engagement_issues)`).
		Scan(&c.Engagements, &c.Conversations, &c.Members, &c.History, &c.Refs, &c.Jobs, &c.Dead, &c.Processed, &c.Drafts, &c.Versions, &c.Issues)
	if err != nil {
		return c, fmt.Errorf("count records: %w", err)
	}
	return c, nil
}

// ErrNotEmpty is returned by Load when the database holds records already.
var ErrNotEmpty = errors.New("pgstore: the database is not empty")

// Load copies r into the database, which must be empty, in one
// transaction: all of it or nothing. Job IDs are kept and the ID sequence
// continues after the largest.
func (db *DB) Load(ctx context.Context, r *Records) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var found bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM engagements) OR EXISTS (SELECT 1 FROM refs)
			OR EXISTS (SELECT 1 FROM jobs) OR EXISTS (SELECT 1 FROM dead_jobs) OR EXISTS (SELECT 1 FROM processed)`).Scan(&found); err != nil {
			return err
		}
		if found {
			return ErrNotEmpty
		}
		for _, e := range r.Engagements {
			if err := loadEngagement(ctx, tx, e); err != nil {
				return err
			}
		}
		for conv, id := range r.Conversations {
			if _, err := tx.Exec(ctx, `INSERT INTO engagement_conv (conversation, engagement_id) VALUES ($1, $2)`, conv, id); err != nil {
				return fmt.Errorf("bind conversation %q: %w", conv, err)
			}
		}
		for _, ref := range r.Refs {
			if err := putRef(ctx, tx, ref, micro(ref.UpdatedAt)); err != nil {
				return fmt.Errorf("load ref %q: %w", ref.Key, err)
			}
		}
		for _, j := range r.Jobs {
			if err := loadJob(ctx, tx, "jobs", j); err != nil {
				return err
			}
		}
		for _, j := range r.Dead {
			if err := loadJob(ctx, tx, "dead_jobs", j); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('jobs', 'id'),
			greatest((SELECT max(id) FROM jobs), (SELECT max(id) FROM dead_jobs), 1))`); err != nil {
			return fmt.Errorf("continue job IDs: %w", err)
		}
		for id, d := range r.Drafts {
			doc, err := json.Marshal(d)
			if err != nil {
				return fmt.Errorf("encode questionnaire draft of %s: %w", id, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO questionnaire_drafts (engagement_id, rev, doc) VALUES ($1, $2, $3::json)`, id, d.Rev, string(doc)); err != nil {
				return fmt.Errorf("load questionnaire draft of %s: %w", id, err)
			}
		}
		rows := make([][]any, 0, len(r.Processed))
		for _, p := range r.Processed {
			rows = append(rows, []any{p.KeyHash, micro(p.Result.At), p.Result.Status, nullJSON(p.Result.Body)})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"processed"}, []string{"key", "at", "status", "body"}, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("load dedup records: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load records: %w", err)
	}
	return nil
}

// loadEngagement inserts e, whose history must be whole (HistoryBase 0),
// with its history rows.
func loadEngagement(ctx context.Context, tx pgx.Tx, e *playbook.Engagement) error {
	if e.HistoryBase != 0 {
		return fmt.Errorf("load engagement %s: its history is not whole (it starts at entry %d)", e.ID, e.HistoryBase)
	}
	e.NumberBatches()
	core := e.StoredForm()
	doc, err := json.Marshal(core)
	if err != nil {
		return fmt.Errorf("encode engagement %s: %w", e.ID, err)
	}
	var closed any
	if e.IsClosed() {
		closed = micro(e.Closed)
	}
	parts := (*DB)(nil).planParts(e, partsRow{}) // every version and issue, each with the engagement's version as its rev
	if _, err := tx.Exec(ctx, `INSERT INTO engagements (id, version, conversation, closed_at, doc, history_len, questionnaire_len, issue_ids, issue_revs)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Version, e.Conversation, closed, string(doc), core.HistoryBase, parts.row.versions, parts.row.ids, parts.row.revs); err != nil {
		return fmt.Errorf("load engagement %s: %w", e.ID, err)
	}
	if err := writeParts(ctx, tx, e.ID, e.Version, e.Questionnaire, parts); err != nil {
		return fmt.Errorf("load engagement %s: %w", e.ID, err)
	}
	if err := insertHistory(ctx, tx, e.ID, 0, e.History); err != nil {
		return fmt.Errorf("load engagement %s: %w", e.ID, err)
	}
	if err := writeBatches(ctx, tx, e, map[int]int{}); err != nil {
		return fmt.Errorf("load engagement %s: %w", e.ID, err)
	}
	for _, m := range e.Members {
		if _, err := tx.Exec(ctx, `INSERT INTO engagement_members (member_id, engagement_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, m.ID, e.ID); err != nil {
			return fmt.Errorf("load engagement %s: %w", e.ID, err)
		}
	}
	return nil
}

func loadJob(ctx context.Context, tx pgx.Tx, table string, j playbook.Job) error {
	var key *string
	if j.Key != "" {
		key = &j.Key
	}
	// table is one of two constants above.
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (id, kind, key, args, run_at, created_at, attempt, max_attempts, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		int64(j.ID), j.Kind, key, nullJSON(j.Args), micro(j.RunAt), micro(j.CreatedAt), j.Attempt, j.MaxAttempts, j.LastError)
	if err != nil {
		return fmt.Errorf("load job %d: %w", j.ID, err)
	}
	return nil
}
