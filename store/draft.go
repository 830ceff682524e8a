package store

import (
	"context"
	"fmt"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// bucketDrafts holds the questionnaire drafts, apart from the engagement
// records: paging through the questionnaire saves a draft on every click,
// and writing the engagement for that would move its version and make
// everyone else's open cards stale. Engagement.ID → JSON
// playbook.QuestionnaireDraft. Made on the first save, so Open's bucket
// list is left alone.
var bucketDrafts = []byte("questionnaire_drafts")

// QuestionnaireDraft returns the draft kept for engagement id, or nil when
// there is none. Whether it is still current is playbook.DraftFor's to say.
func (db *DB) QuestionnaireDraft(ctx context.Context, id string) (*playbook.QuestionnaireDraft, error) {
	var d *playbook.QuestionnaireDraft
	err := db.view(ctx, func(tx *bolt.Tx) error {
		d = nil
		b := tx.Bucket(bucketDrafts)
		if b == nil {
			return nil
		}
		var x playbook.QuestionnaireDraft
		ok, err := getJSON(b, []byte(id), &x)
		if ok {
			d = &x
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("questionnaire draft of %s: %w", id, err)
	}
	return d, nil
}

// PutQuestionnaireDraft keeps d as engagement id's draft when d.Rev is one
// more than the stored draft's (1 when there is none), so that of two
// saves made from the same draft only the first is kept. Returns
// ECONFLICT, saving nothing, otherwise: read the draft again and redo the
// page on it.
func (db *DB) PutQuestionnaireDraft(ctx context.Context, id string, d playbook.QuestionnaireDraft) error {
	if id == "" {
		return playbook.Errorf(playbook.EINVALID, "A draft needs its engagement id.")
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketDrafts)
		if err != nil {
			return err
		}
		var old playbook.QuestionnaireDraft
		if _, err := getJSON(b, []byte(id), &old); err != nil {
			return err
		}
		if d.Rev != old.Rev+1 {
			return playbook.Errorf(playbook.ECONFLICT, "The questionnaire draft changed while this page was saved; nothing was saved.")
		}
		return putJSON(b, []byte(id), d)
	})
	if err != nil {
		return fmt.Errorf("put questionnaire draft of %s: %w", id, err)
	}
	return nil
}

// purgeDraft deletes engagement id's draft (PurgeClosed).
func purgeDraft(tx *bolt.Tx, id string) error {
	if b := tx.Bucket(bucketDrafts); b != nil {
		return b.Delete([]byte(id))
	}
	return nil
}
