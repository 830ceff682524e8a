package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultTimeout     = time.Second     // wait for the file lock
	DefaultJobLease    = 3 * time.Minute // how long a claimed job is reserved: longer than a job may run (bot.DefaultJobTimeout plus its bookkeeping)
	DefaultMaxAttempts = 8               // attempts before a job is dead-lettered
)

// pageSize is the page size of a new file (see Open).
const pageSize = 2048

// Options configures Open. A nil *Options, and any zero field, means the
// default.
type Options struct {
	// Timeout bounds the wait for the file lock. When another process holds
	// it, Open fails with ErrInUse after this long. Zero means
	// DefaultTimeout; there is deliberately no way to wait forever.
	Timeout time.Duration

	// Now is the store's clock: CommitTurn, Enqueue, PutRef and Retry read it
	// for CreatedAt, default RunAt, Result.At and leases. Nil means
	// time.Now. The store never reads the time any other way.
	Now func() time.Time

	// JobLease is how long a claimed job stays reserved for the process
	// that claimed it (CommitTurn, ClaimDue). Zero means DefaultJobLease.
	JobLease time.Duration

	// MaxAttempts is given to jobs enqueued with MaxAttempts 0. Zero means
	// DefaultMaxAttempts.
	MaxAttempts int

	// migrations replaces the package's migration list; tests only.
	migrations []migration
}

// DB is an open mvmbot database: one bbolt file, opened by one process.
//
// All methods are safe for concurrent use. Every value a method returns is
// the caller's own copy.
type DB struct {
	// bolt is the open file. CompactServing replaces it (a new file
	// renamed over the old) while holding swap; every use of it holds
	// swap's read lock (boltView, boltUpdate).
	bolt        *bolt.DB
	swap        sync.RWMutex
	path        string
	now         func() time.Time
	lease       time.Duration
	maxAttempts int
	sweepChunk  int  // records deleted per transaction by SweepProcessed
	mergeAt     int  // records in recent that start a mergeRecent
	noBatch     bool // benchmarks: always use Update instead of the group commit

	group  *groupCommitter
	closed atomic.Bool

	seen       atomic.Pointer[seenFilter] // see seenFilter
	rebuilding atomic.Bool                // a rebuild of seen is under way

	recentMu sync.Mutex
	recent   map[[16]byte][8]byte       // see putProcessed: dedup records not yet in the processed index
	txRecent map[*bolt.Tx][]recentEntry // see writeTx: what each write transaction under way added to recent
	merging  atomic.Bool                // a mergeRecent is under way

	decodedMu   sync.Mutex
	decoded     map[string]decodedEngagement // see readEngagement
	decodedRefs map[string]decodedRef        // see storedRef
	batches     map[string]decodedBatch      // see attachBatches
	parts       map[string]*decodedParts     // see readParts
}

// Bucket names. Every bucket in buckets is created when the file is opened,
// so a new kind of record needs only a name here (and a migration only if
// existing data must change). Names are part of the file format: never
// rename one, migrate instead.
var (
	bucketMeta        = []byte("meta")         // keySchemaVersion → big-endian uint64
	bucketProcessed   = []byte("processed")    // processedKey(dedup key) → timeKey(Result.At): the lookup index of processed_at (see putProcessed)
	bucketProcessedAt = []byte("processed_at") // timeKey(Result.At) + processedKey(dedup key) → encodeProcessed(playbook.Result)
	bucketRefs        = []byte("refs")         // ConversationRef.Key → JSON playbook.ConversationRef
	bucketJobs        = []byte("jobs")         // idKey(Job.ID) → JSON playbook.Job; its sequence assigns IDs
	bucketJobDue      = []byte("job_due")      // timeKey(Job.RunAt) + idKey(Job.ID) → empty; ClaimDue's index
	bucketJobKeys     = []byte("job_keys")     // Job.Key → idKey(Job.ID), while the job is queued
	bucketDead        = []byte("dead")         // idKey(Job.ID) → JSON playbook.Job, dead-lettered

	bucketEngagements       = []byte("engagements")            // Engagement.ID → JSON playbook.Engagement
	bucketEngagementConv    = []byte("engagement_conv")        // Engagement.Conversation → Engagement.ID
	bucketEngagementMembers = []byte("engagement_members")     // member id + 0x00 + Engagement.ID → empty
	bucketHistory           = []byte("engagement_history")     // Engagement.ID + 0x00 + idKey(entry number) → JSON playbook.AuditEntry
	bucketBatches           = []byte("event_batches")          // Engagement.ID + 0x00 + idKey(Event.N) → JSON playbook.EventBatch
	bucketVersions          = []byte("questionnaire_versions") // Engagement.ID + 0x00 + idKey(QuestionnaireVersion.N) → JSON playbook.QuestionnaireVersion
	bucketIssues            = []byte("engagement_issues")      // Engagement.ID + 0x00 + idKey(Issue.ID) → JSON playbook.Issue
	bucketPartStamps        = []byte("engagement_parts")       // Engagement.ID → idKey(stamp), new with every write of a version or issue (parts.go)

	keySchemaVersion = []byte("schema_version")
)

// buckets lists every top-level bucket. Add new ones (engagements, audit log)
// at the end.
var buckets = [][]byte{
	bucketMeta,
	bucketProcessed,
	bucketProcessedAt,
	bucketRefs,
	bucketJobs,
	bucketJobDue,
	bucketJobKeys,
	bucketDead,
	bucketEngagements,
	bucketEngagementConv,
	bucketEngagementMembers,
	bucketHistory,
	bucketBatches,
	bucketVersions,
	bucketIssues,
	bucketPartStamps,
}

// Open opens the database file at path, creating the file (not its
// directory) if needed, creating missing buckets and migrating the schema
// to the current version in one transaction.
//
// The file is locked for this process while it is open: a second Open of the
// same file, from this or another process, waits Options.Timeout and then
// returns an error wrapping ErrInUse. Because of that lock, any job lease
// found at Open was taken by a process that has since died, so Open clears
// every lease and those jobs run again (jobs are therefore at least once).
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.JobLease <= 0 {
		o.JobLease = DefaultJobLease
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.migrations == nil {
		o.migrations = migrations
	}

	// bbolt would create the file but not its directory; say which is
	// missing rather than pass on a bare ENOENT.
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("open database %s: directory %s: %w", path, dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("open database %s: %s is not a directory", path, dir)
	}

	// A damaged file gets an error, not a panic (damage.go): one cut short
	// is refused before it is mapped, and the file is read through,
	// read-only, where a panic can be caught, before bbolt opens it for
	// writing. That costs one read of the file per start.
	meta, known, err := metaCheck(path)
	if err != nil {
		return nil, err
	}
	if known {
		if err := preCheck(path, o.Timeout, meta.freelist != noFreelistID); errors.Is(err, berrors.ErrTimeout) {
			return nil, &inUseError{path: path, timeout: o.Timeout}
		} else if isDamageErr(err) {
			return nil, &damagedError{path: path, what: "its meta pages are invalid: " + err.Error()}
		} else if err != nil && !errors.Is(err, ErrDamaged) {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		} else if err != nil {
			return nil, err
		}
	}

	// The free-page list is written with every commit (NoFreelistSync
	// off, unlike etcd): without it bbolt rebuilds the list at every open
	// by walking all pages in a goroutine of its own, where a damaged page
	// is a crash no recover reaches; the stored list costs one page write
	// per commit (docs/operations.md, "A damaged file", has the figures).
	// The hashmap freelist keeps finding free pages cheap as the file
	// grows.
	//
	// A new file gets pages of pageSize rather than the OS's 4 KiB (a file
	// keeps the size it was made with). The busiest writes are dedup
	// records under random keys (hashes), each of which lands in a
	// different leaf, and a commit reads, rewrites and fsyncs every leaf it
	// touches whole: smaller leaves make that cost per record smaller.
	bdb, err := openBolt(path, o.Timeout)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &inUseError{path: path, timeout: o.Timeout}
	} else if isDamageErr(err) || errors.Is(err, ErrDamaged) {
		if !errors.Is(err, ErrDamaged) {
			err = &damagedError{path: path, what: "its meta pages are invalid: " + err.Error()}
		}
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := removeRewriteLeftovers(path); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("open database %s: remove what a rewrite cut short left: %w", path, err)
	}
	db := &DB{
		bolt:        bdb,
		path:        path,
		now:         o.Now,
		lease:       o.JobLease,
		maxAttempts: o.MaxAttempts,
		sweepChunk:  10000,
		mergeAt:     defaultMergeAt,
	}
	if err := db.guard(func() error {
		return bdb.Update(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			if err := migrate(tx, o.migrations); err != nil {
				return err
			}
			db.recent, db.txRecent = unindexed(tx), make(map[*bolt.Tx][]recentEntry)
			db.seen.Store(db.buildSeen(tx))
			return clearLeases(tx)
		})
	}); err != nil {
		_ = bdb.Close()
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db.group = newGroupCommitter(db.writeTx)
	return db, nil
}

// openBolt opens the file with bbolt, a panic or fault while it reads the
// file's first pages becoming a damaged error.
func openBolt(path string, timeout time.Duration) (bdb *bolt.DB, err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer recoverDamage(path, &err)
	return bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      timeout,
		FreelistType: bolt.FreelistMapType,
		PageSize:     pageSize,
	})
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Close waits for running transactions to finish and closes the file,
// releasing its lock. Methods called afterwards return ErrClosed. Closing a
// closed DB returns nil.
func (db *DB) Close() error {
	db.closed.Store(true)
	db.group.close()
	db.swap.Lock()
	defer db.swap.Unlock()
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Ping reports whether the database can serve a read transaction; it is
// meant for a readiness probe.
func (db *DB) Ping(ctx context.Context) error {
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// clock returns the store's time, in UTC and without a monotonic reading, so
// that stored values and returned values compare equal.
func (db *DB) clock() time.Time { return db.now().UTC() }

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.guard(func() error { return mapErr(db.boltView(fn)) })
}

// update runs fn in a read-write transaction of its own: one fsync per call.
func (db *DB) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.guard(func() error { return mapErr(db.boltUpdate(fn)) })
}

// boltView and boltUpdate run a transaction on the file open now, which
// CompactServing does not replace meanwhile.
func (db *DB) boltView(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.View(fn)
}

func (db *DB) boltUpdate(fn func(*bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.Update(fn)
}

// batch runs fn in a read-write transaction that concurrent batch calls may
// share, so that they pay for one fsync between them (see groupCommitter).
// A background batch (one no request waits on) may wait briefly for
// company.
//
// fn may run more than once (the shared transaction is rolled back and the
// others run again when one fn fails), so it must reset whatever it captures
// at its start, and must have no effect outside the transaction. Its writes
// are committed exactly once or not at all.
func (db *DB) batch(ctx context.Context, fn func(*bolt.Tx) error, background bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.noBatch {
		return mapErr(db.writeTx(fn))
	}
	return db.group.run(ctx, fn, background)
}

// mapErr turns bbolt's errors that callers may act on into this package's
// sentinels, so that no bbolt type leaks out.
func mapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// idKey encodes a sequence number big-endian, so byte order is numeric order.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

// timeKey encodes t as 8 bytes whose byte order is time order (the sign bit
// is flipped so that times before 1970 sort first). Nanosecond precision;
// valid for years 1678 to 2262.
func timeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(t.UnixNano())^(1<<63))
}

// putJSON stores v as JSON under k.
func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// getJSON decodes the value under k into v. It reports false, and leaves v
// alone, when k is absent. Decoding copies, so v never aliases bbolt memory.
func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	data := b.Get(k)
	if data == nil {
		return false, nil
	}
	return true, decodeJSON(k, data, v)
}

// decodeJSON decodes the value data stored under k into v.
func decodeJSON(k, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode record %q: %w", k, err)
	}
	return nil
}
