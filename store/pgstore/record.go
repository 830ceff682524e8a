package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mvmbot/mvmbot/playbook"
)

// Group commit of the turns that only record an activity (a read-only
// answer's dedup record and conversation reference: the bot's most common
// turn, committed before its replies are posted). Each round trip costs a
// socket write and read, through TLS in production, and one per turn was
// most of a replica's CPU per turn; so the turns that arrive while a group
// is being written wait and go together in the next, as the bbolt store's
// group commit does with its fsync. A group is one transaction of two
// round trips whatever its size: the dedup records in one INSERT … ON
// CONFLICT DO NOTHING RETURNING, which tells each turn whether it was
// first (a key recorded by another replica, or earlier, is not returned),
// then the references of the turns that were, and COMMIT.

// recordReq is one turn waiting for its group.
type recordReq struct {
	t    playbook.Turn
	key  []byte // stored form (processedKey)
	id   string // key as a map key
	done chan recordRes
}

type recordRes struct {
	dup *playbook.Result
	err error
}

// recorder queues recordReqs; the caller that finds no group being written
// starts writeQueue.
type recorder struct {
	mu      sync.Mutex
	queue   []*recordReq
	writing bool
}

// recordOnly reports whether CommitTurn may take t through the group.
func recordOnly(t playbook.Turn) bool {
	return t.DedupKey != "" && t.Engagement == nil && len(t.Jobs) == 0
}

// record commits t (recordOnly) in a group and returns what CommitTurn does.
func (db *DB) record(ctx context.Context, t playbook.Turn) (*playbook.Result, error) {
	key := processedKey(t.DedupKey)
	req := &recordReq{t: t, key: key, id: string(key), done: make(chan recordRes, 1)}
	r := &db.rec
	r.mu.Lock()
	r.queue = append(r.queue, req)
	lead := !r.writing
	r.writing = true
	r.mu.Unlock()
	if lead {
		// Not this caller's loop: under steady load it would write group
		// after group and never return its own answer.
		go db.writeQueue()
	}
	select {
	case res := <-req.done:
		return res.dup, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// writeQueue writes the queue, group by group, until it is empty.
func (db *DB) writeQueue() {
	r := &db.rec
	for {
		r.mu.Lock()
		group := r.queue
		r.queue = nil
		if len(group) == 0 {
			r.writing = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		db.writeGroup(group)
	}
}

// groupTimeout bounds one group's transaction; it is not any one caller's
// to cancel.
const groupTimeout = 30 * time.Second

// writeGroup commits group and answers each of its turns.
func (db *DB) writeGroup(group []*recordReq) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	now := db.clock()
	// The first turn of each key is the one inserted; a later one in the
	// same group is its redelivery.
	first := map[string]*recordReq{}
	// Dedup records in key order too (see commitGroup).
	sorted := slices.Clone(group)
	slices.SortStableFunc(sorted, func(a, b *recordReq) int { return bytes.Compare(a.key, b.key) })
	var (
		keys   [][]byte
		ats    []time.Time
		status []int32
		bodies []*string
	)
	for _, q := range sorted {
		if q.t.Result.At.IsZero() {
			q.t.Result.At = now
		}
		q.t.Result.At = micro(q.t.Result.At)
		if _, seen := first[string(q.key)]; seen {
			continue
		}
		first[string(q.key)] = q
		keys = append(keys, q.key)
		ats = append(ats, q.t.Result.At)
		status = append(status, int32(q.t.Result.Status))
		bodies = append(bodies, nullJSON(q.t.Result.Body))
	}
	inserted, err := db.commitGroup(ctx, first, keys, ats, status, bodies, now)
	for attempt := 1; attempt < 3 && isDeadlock(err); attempt++ {
		// Nothing was saved; another transaction took locks in another
		// order (a turn with an engagement). Again, as PostgreSQL advises.
		inserted, err = db.commitGroup(ctx, first, keys, ats, status, bodies, now)
	}
	if err != nil {
		for _, q := range group {
			q.done <- recordRes{err: err}
		}
		return
	}
	// The keys not inserted were recorded before: read their results.
	var missing [][]byte
	for k, q := range first {
		if !inserted[k] {
			missing = append(missing, q.key)
		}
	}
	stored := map[string]playbook.Result{}
	if len(missing) > 0 {
		stored, err = processedResults(ctx, db.pool, missing)
	}
	for _, q := range group {
		k := q.id
		switch {
		case err != nil:
			q.done <- recordRes{err: err}
		case inserted[k] && first[k] == q:
			q.done <- recordRes{}
		case inserted[k]:
			prev := first[k].t.Result
			q.done <- recordRes{dup: &prev}
		default:
			prev, ok := stored[k]
			if !ok {
				q.done <- recordRes{err: fmt.Errorf("dedup record %q vanished while read", q.t.DedupKey)}
				continue
			}
			q.done <- recordRes{dup: &prev}
		}
	}
}

// commitGroup inserts the dedup records and the references of the turns
// whose record is new, in one transaction, and returns the new keys.
func (db *DB) commitGroup(ctx context.Context, first map[string]*recordReq, keys [][]byte, ats []time.Time, status []int32, bodies []*string, now time.Time) (map[string]bool, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	inserted := map[string]bool{}
	err = func() error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(`INSERT INTO processed (key, at, status, body)
			SELECT k, a, s, b::json FROM unnest($1::bytea[], $2::timestamptz[], $3::int4[], $4::text[]) AS u(k, a, s, b)
			ON CONFLICT (key) DO NOTHING RETURNING key`, keys, ats, status, bodies)
		br := conn.SendBatch(ctx, b)
		_, err := br.Exec()
		if err == nil {
			var rows pgx.Rows
			rows, err = br.Query()
			if err == nil {
				var ks [][]byte
				ks, err = pgx.CollectRows(rows, pgx.RowTo[[]byte])
				for _, k := range ks {
					inserted[string(k)] = true
				}
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		// One upsert per reference, the latest: a statement may not update
		// a row twice.
		refs := map[string]playbook.ConversationRef{}
		var order []string
		for _, k := range keys {
			q := first[string(k)]
			if !inserted[string(k)] || q.t.Ref == nil {
				continue
			}
			ref := *q.t.Ref
			if ref.UpdatedAt.IsZero() {
				ref.UpdatedAt = now
			}
			ref.UpdatedAt = micro(ref.UpdatedAt)
			old, ok := refs[ref.Key]
			if !ok {
				order = append(order, ref.Key)
			}
			if !ok || !ref.UpdatedAt.Before(old.UpdatedAt) {
				refs[ref.Key] = ref
			}
		}
		// In key order, as every group takes them: two replicas' groups
		// locking the same references in different orders deadlock.
		slices.Sort(order)
		b = &pgx.Batch{}
		for _, k := range order {
			doc, err := json.Marshal(refs[k])
			if err != nil {
				return err
			}
			b.Queue(upsertRefTurnSQL, k, string(doc))
		}
		b.Queue("COMMIT")
		br = conn.SendBatch(ctx, b)
		for range len(order) + 1 {
			if _, err = br.Exec(); err != nil {
				break
			}
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	if err != nil {
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, rerr := conn.Exec(rctx, "ROLLBACK"); rerr != nil {
			_ = conn.Conn().Close(rctx)
		}
		cancel()
		return nil, err
	}
	return inserted, nil
}

// isDeadlock reports whether err is PostgreSQL's deadlock_detected, after
// which the transaction was rolled back and may be tried again.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}

// processedResults reads the stored results of keys (stored form).
func processedResults(ctx context.Context, q querier, keys [][]byte) (map[string]playbook.Result, error) {
	rows, err := q.Query(ctx, `SELECT key, status, at, body FROM processed WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, err
	}
	out := map[string]playbook.Result{}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var (
			k    []byte
			r    playbook.Result
			body *string
		)
		if err := row.Scan(&k, &r.Status, &r.At, &body); err != nil {
			return struct{}{}, err
		}
		r.At = r.At.UTC()
		if body != nil {
			r.Body = json.RawMessage(*body)
		}
		out[string(k)] = r
		return struct{}{}, nil
	})
	if err != nil {
		return nil, errors.Join(errors.New("read dedup records"), err)
	}
	return out, nil
}
