package playbook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"
)

// The reporting feed (Power BI's generic customer access, task 4008) is
// read with a per-engagement key. The key itself is never stored: only its
// SHA-256, compared in constant time, so a copy of the database does not
// open the feed.

// ActionFeedKey records that the feed key was created, rotated or revoked.
const ActionFeedKey Action = "feed_key"

// MinFeedKeyLength is the shortest key SetFeedKey takes: the caller makes
// keys from at least 32 random bytes.
const MinFeedKeyLength = 40

// FeedKey is the stored form of an engagement's feed key.
type FeedKey struct {
	Hash    string    `json:"hash"` // hex SHA-256 of the key
	Created time.Time `json:"created"`
	By      string    `json:"by"`
}

func hashFeedKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// SetFeedKey makes key the engagement's feed key, replacing (rotating) any
// earlier one. The migration manager may (the MVM, or the MST without
// IMAP); a closed engagement's feed cannot get a new key.
func SetFeedKey(e *Engagement, actorID, key string, now time.Time) error {
	if err := Can(e, actorID, ActionFeedKey, nil); err != nil {
		return err
	}
	if e.IsClosed() {
		return Errorf(ECONFLICT, "The %s engagement is closed; its feed gets no new key.", e.Customer)
	}
	if len(key) < MinFeedKeyLength {
		return Errorf(EINTERNAL, "feed key too short")
	}
	detail := "created the reporting feed key"
	if e.Feed != nil {
		detail = "rotated the reporting feed key"
	}
	e.Feed = &FeedKey{Hash: hashFeedKey(key), Created: now.UTC(), By: actorID}
	e.appendHistory(AuditEntry{At: now.UTC(), Actor: actorID, Action: ActionFeedKey, Detail: detail})
	return nil
}

// RevokeFeedKey removes the feed key: the feed answers 401 from then on.
func RevokeFeedKey(e *Engagement, actorID string, now time.Time) error {
	if err := Can(e, actorID, ActionFeedKey, nil); err != nil {
		return err
	}
	if e.Feed == nil {
		return Errorf(ENOTFOUND, "The %s engagement has no feed key to revoke.", e.Customer)
	}
	e.Feed = nil
	e.appendHistory(AuditEntry{At: now.UTC(), Actor: actorID, Action: ActionFeedKey, Detail: "revoked the reporting feed key"})
	return nil
}

// FeedKeyValid reports whether key opens e's feed. The comparison takes the
// same time whatever the key, so timing tells a guesser nothing.
func FeedKeyValid(e *Engagement, key string) bool {
	if e == nil || e.Feed == nil || key == "" {
		// Hash anyway: a missing key costs what a wrong one does.
		_ = hashFeedKey(key)
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashFeedKey(key)), []byte(e.Feed.Hash)) == 1
}
