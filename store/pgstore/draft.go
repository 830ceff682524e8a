package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/mvmbot/mvmbot/playbook"
)

// QuestionnaireDraft returns the draft kept for engagement id, or nil when
// there is none. As on bbolt (store.DB.QuestionnaireDraft).
func (db *DB) QuestionnaireDraft(ctx context.Context, id string) (*playbook.QuestionnaireDraft, error) {
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("questionnaire draft of %s: %w", id, err)
	}
	var doc []byte
	err := db.pool.QueryRow(ctx, `SELECT doc::text FROM questionnaire_drafts WHERE engagement_id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("questionnaire draft of %s: %w", id, err)
	}
	var d playbook.QuestionnaireDraft
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("decode questionnaire draft of %s: %w", id, err)
	}
	d.At = d.At.UTC()
	return &d, nil
}

// PutQuestionnaireDraft keeps d as engagement id's draft when d.Rev is one
// more than the stored draft's (1 when there is none); ECONFLICT
// otherwise (also when there is no such engagement). As on bbolt.
func (db *DB) PutQuestionnaireDraft(ctx context.Context, id string, d playbook.QuestionnaireDraft) error {
	if id == "" {
		return playbook.Errorf(playbook.EINVALID, "A draft needs its engagement id.")
	}
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("put questionnaire draft of %s: %w", id, err)
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("put questionnaire draft of %s: %w", id, err)
	}
	// A first save inserts (rev 1); a later one updates only from the
	// revision it was made on. Nothing changed is a conflict.
	q := `UPDATE questionnaire_drafts SET rev = $2, doc = $3::json WHERE engagement_id = $1 AND rev = $2 - 1`
	if d.Rev == 1 {
		q = `INSERT INTO questionnaire_drafts (engagement_id, rev, doc)
			SELECT $1, $2, $3::json WHERE EXISTS (SELECT 1 FROM engagements WHERE id = $1)
			ON CONFLICT (engagement_id) DO NOTHING`
	}
	tag, err := db.pool.Exec(ctx, q, id, d.Rev, string(doc))
	if err != nil {
		return fmt.Errorf("put questionnaire draft of %s: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("put questionnaire draft of %s: %w", id,
			playbook.Errorf(playbook.ECONFLICT, "The questionnaire draft changed while this page was saved; nothing was saved."))
	}
	return nil
}
