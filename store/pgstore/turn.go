package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/input"
)

// errDup ends a turn's transaction when its activity was handled already:
// the rollback undoes nothing, and CommitTurn returns the stored result.
var errDup = errors.New("duplicate activity")

// CommitTurn applies everything one inbound activity changes in one
// transaction, or nothing, as the bbolt store's CommitTurn does (see its
// documentation): the dedup record, the engagement at its expected
// version, the conversation reference and the jobs, the due ones leased to
// the caller. It also answers the redelivery question itself: a key
// recorded already returns its Result as dup, so a caller need not ask
// Processed first (a round trip here, where bbolt has a filter in memory).
//
// Across replicas: the dedup record is inserted first, without ON
// CONFLICT, so a second replica handling the same activity waits for the
// first one's transaction and then fails on the key (dup: its transaction
// is rolled back and the stored Result read), or, if the first rolled
// back, applies the turn itself. The engagement is saved only over the
// version read (a row lock, then a version check), so a card clicked on
// two replicas at once changes it once; the other gets ECONFLICT and
// handles the click again on the fresh state. Background is ignored.
//
// Cost: every turn pays round trips, and they are most of a turn's CPU
// (each a write and a read of the socket, through TLS in production). So
// the statements are pipelined: a turn without an engagement is one batch,
// BEGIN to COMMIT, one round trip; the conversation reference's refresh
// rule is in the upsert's WHERE rather than a read before it. A turn with
// an engagement pays putEngagement's between two batches. (One statement
// per round trip took five for a hello.)
func (db *DB) CommitTurn(ctx context.Context, t playbook.Turn) (jobs []playbook.Job, dup *playbook.Result, err error) {
	if err := input.Turn(t); err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	if err := db.usable(ctx); err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	if recordOnly(t) {
		dup, err := db.record(ctx, t)
		if err != nil {
			return nil, nil, fmt.Errorf("commit turn: %w", err)
		}
		return nil, dup, nil
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	defer conn.Release()
	jobs, err = db.commitTurn(ctx, conn, t)
	if err != nil {
		// End the transaction, whatever state it is in; a connection that
		// cannot is closed rather than handed to the next caller.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if _, rerr := conn.Exec(rctx, "ROLLBACK"); rerr != nil {
			_ = conn.Conn().Close(rctx)
		}
		cancel()
	}
	if errors.Is(err, errDup) {
		prev, ok, err := getProcessed(ctx, conn, t.DedupKey)
		if err == nil && !ok {
			// Swept between the insert and the read: a day old, any
			// redelivery long past. Unreachable in practice; say so.
			err = fmt.Errorf("dedup record %q vanished while read", t.DedupKey)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("commit turn: %w", err)
		}
		return nil, &prev, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("commit turn: %w", err)
	}
	return jobs, nil, nil
}

// dbtx is what a turn's statements run on: a transaction, or a connection
// inside BEGIN … COMMIT.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// insertProcessedSQL records an activity. No ON CONFLICT: a key recorded
// already fails the statement, which aborts the rest of the turn's
// pipeline and its transaction (errDup).
const insertProcessedSQL = `INSERT INTO processed (key, at, status, body) VALUES ($1, $2, $3, $4)`

// upsertRefTurnSQL is a turn's conversation reference: written when new,
// when it says something else than the stored one, or when the stored one
// is refRefreshInterval older (the rule of refreshRef, as on bbolt).
const upsertRefTurnSQL = `INSERT INTO refs (key, doc) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc
	WHERE refs.doc::jsonb - 'updatedAt' IS DISTINCT FROM EXCLUDED.doc::jsonb - 'updatedAt'
		OR (refs.doc->>'updatedAt')::timestamptz <= (EXCLUDED.doc->>'updatedAt')::timestamptz - interval '1 hour'`

// commitTurn runs the turn on conn, from BEGIN to COMMIT. On an error the
// caller rolls back; errDup means the activity was handled.
func (db *DB) commitTurn(ctx context.Context, conn *pgxpool.Conn, t playbook.Turn) (jobs []playbook.Job, err error) {
	now := db.clock()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	if t.DedupKey != "" {
		r := t.Result
		if r.At.IsZero() {
			r.At = now
		}
		b.Queue(insertProcessedSQL, processedKey(t.DedupKey), micro(r.At), r.Status, nullJSON(r.Body))
	}
	if t.Ref != nil {
		ref := *t.Ref
		if ref.UpdatedAt.IsZero() {
			ref.UpdatedAt = now
		}
		ref.UpdatedAt = micro(ref.UpdatedAt)
		doc, err := json.Marshal(ref)
		if err != nil {
			return nil, err
		}
		b.Queue(upsertRefTurnSQL, ref.Key, string(doc))
	}
	// The jobs and COMMIT go in this batch too unless the engagement's
	// save must come between.
	last := b
	if t.Engagement != nil {
		last = &pgx.Batch{}
	}
	prepared := make([]playbook.Job, 0, len(t.Jobs))
	for _, j := range t.Jobs {
		j, args, err := prepareJob(j, now, now.Add(db.lease), db.maxAttempts)
		if err != nil {
			return nil, err
		}
		prepared = append(prepared, j)
		last.Queue(insertJobSQL, args...)
	}
	last.Queue("COMMIT")

	br := conn.SendBatch(ctx, b)
	_, err = br.Exec() // BEGIN
	if err == nil && t.DedupKey != "" {
		_, err = br.Exec()
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			err = errDup
		}
	}
	if err == nil && t.Ref != nil {
		_, err = br.Exec()
	}
	if t.Engagement != nil {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = db.putEngagement(ctx, conn, t.Engagement, t.ExpectVersion)
		}
		if err != nil {
			return nil, err
		}
		br = conn.SendBatch(ctx, last)
	}
	for _, j := range prepared {
		if err != nil {
			break
		}
		var id int64
		err = br.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) { // its key is taken
			err = nil
			continue
		}
		j.ID = uint64(id)
		jobs = append(jobs, j)
	}
	if err == nil {
		_, err = br.Exec() // COMMIT
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// processedKey is the stored form of a dedup key: the first 16 bytes of its
// SHA-256, as on bbolt (store/dedup.go says why).
func processedKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:16]
}

// querier is what reads need: a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getProcessed(ctx context.Context, q querier, key string) (playbook.Result, bool, error) {
	var (
		r    playbook.Result
		body *string
	)
	err := q.QueryRow(ctx, `SELECT status, at, body FROM processed WHERE key = $1`, processedKey(key)).Scan(&r.Status, &r.At, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return playbook.Result{}, false, nil
	}
	if err != nil {
		return playbook.Result{}, false, err
	}
	r.At = r.At.UTC()
	if body != nil {
		r.Body = json.RawMessage(*body)
	}
	return r, true, nil
}

// Processed returns the Result recorded for key by CommitTurn, and whether
// there is one; an absent key is (zero, false, nil).
func (db *DB) Processed(ctx context.Context, key string) (playbook.Result, bool, error) {
	if err := db.usable(ctx); err != nil {
		return playbook.Result{}, false, fmt.Errorf("processed %q: %w", key, err)
	}
	r, ok, err := getProcessed(ctx, db.pool, key)
	if err != nil {
		return playbook.Result{}, false, fmt.Errorf("processed %q: %w", key, err)
	}
	return r, ok, nil
}

// sweepChunk is how many dedup records one statement of SweepProcessed
// deletes, so a large backlog holds no long transaction.
const sweepChunk = 10000

// SweepProcessed deletes the dedup records whose Result.At is before
// olderThan and returns how many it deleted (see the bbolt store's). Two
// replicas sweeping at once share the work: a record is deleted once.
func (db *DB) SweepProcessed(ctx context.Context, olderThan time.Time) (int, error) {
	total := 0
	for {
		if err := db.usable(ctx); err != nil {
			return total, fmt.Errorf("sweep processed: %w", err)
		}
		tag, err := db.pool.Exec(ctx, `DELETE FROM processed WHERE key IN (
			SELECT key FROM processed WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, micro(olderThan), sweepChunk)
		if err != nil {
			return total, fmt.Errorf("sweep processed: %w", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < sweepChunk {
			return total, nil
		}
	}
}

// PutRef inserts or replaces the conversation reference stored under
// ref.Key. UpdatedAt is set to now when zero. Returns EINVALID when ref.Key
// is empty.
func (db *DB) PutRef(ctx context.Context, ref playbook.ConversationRef) error {
	if err := input.Ref(ref); err != nil {
		return fmt.Errorf("put ref: %w", err)
	}
	now := db.clock()
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("put ref %q: %w", ref.Key, err)
	}
	if err := putRef(ctx, db.pool, ref, now); err != nil {
		return fmt.Errorf("put ref %q: %w", ref.Key, err)
	}
	return nil
}

// execer is what writes need: a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func putRef(ctx context.Context, x execer, ref playbook.ConversationRef, now time.Time) error {
	if ref.UpdatedAt.IsZero() {
		ref.UpdatedAt = now
	}
	ref.UpdatedAt = micro(ref.UpdatedAt)
	doc, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	_, err = x.Exec(ctx, upsertRefSQL, ref.Key, string(doc))
	return err
}

const upsertRefSQL = `INSERT INTO refs (key, doc) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET doc = EXCLUDED.doc`

func getRef(ctx context.Context, q querier, key string) (playbook.ConversationRef, bool, error) {
	var doc []byte
	err := q.QueryRow(ctx, `SELECT doc::text FROM refs WHERE key = $1`, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return playbook.ConversationRef{}, false, nil
	}
	if err != nil {
		return playbook.ConversationRef{}, false, err
	}
	var ref playbook.ConversationRef
	if err := json.Unmarshal(doc, &ref); err != nil {
		return ref, false, fmt.Errorf("decode ref %q: %w", key, err)
	}
	ref.UpdatedAt = ref.UpdatedAt.UTC()
	return ref, true, nil
}

// Ref returns the conversation reference stored under key, or ENOTFOUND.
func (db *DB) Ref(ctx context.Context, key string) (playbook.ConversationRef, error) {
	if err := db.usable(ctx); err != nil {
		return playbook.ConversationRef{}, fmt.Errorf("ref %q: %w", key, err)
	}
	ref, ok, err := getRef(ctx, db.pool, key)
	if err == nil && !ok {
		err = playbook.Errorf(playbook.ENOTFOUND, "No conversation is known for %q.", key)
	}
	if err != nil {
		return playbook.ConversationRef{}, fmt.Errorf("ref %q: %w", key, err)
	}
	return ref, nil
}

// Refs returns every stored conversation reference, ordered by Key (byte
// order). None is an empty slice and no error.
func (db *DB) Refs(ctx context.Context) ([]playbook.ConversationRef, error) {
	if err := db.usable(ctx); err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT key, doc::text FROM refs ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (playbook.ConversationRef, error) {
		var (
			key string
			doc []byte
			ref playbook.ConversationRef
		)
		if err := row.Scan(&key, &doc); err != nil {
			return ref, err
		}
		if err := json.Unmarshal(doc, &ref); err != nil {
			return ref, fmt.Errorf("decode ref %q: %w", key, err)
		}
		ref.UpdatedAt = ref.UpdatedAt.UTC()
		return ref, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list refs: %w", err)
	}
	if refs == nil {
		refs = []playbook.ConversationRef{}
	}
	return refs, nil
}

// purgeProcessed deletes the dedup records whose stored answer names one
// of the engagement ids (an invoke's answer is a card with the
// engagement's data, its id in the buttons'): they would be swept within a
// day anyway, but a purge means the engagement's data is gone now. Not
// those that name only its conversation, which a later engagement may
// have taken over (TestConformance/Engagements/PurgeTakesTheAnswersNamingIt).
func purgeProcessed(ctx context.Context, tx pgx.Tx, names []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM processed WHERE body::text LIKE ANY($1)`, quotedPatterns(names)); err != nil {
		return fmt.Errorf("purge dedup records: %w", err)
	}
	return nil
}
