package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mvmbot/mvmbot/playbook"
)

// Defaults used where Options leaves a field zero; the same as the bbolt
// store's.
const (
	DefaultJobLease    = 3 * time.Minute // as on bbolt: longer than a job may run
	DefaultMaxAttempts = 8

	// DefaultMaxConns is the pool size: a turn holds a connection for a
	// few round trips, so ten serve a replica's requests in flight without
	// queueing, and three replicas stay well inside the connection limit of
	// the smallest Azure Database for PostgreSQL tiers (50 for B1ms).
	DefaultMaxConns = 10
)

// Sentinel errors, tested with errors.Is.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("pgstore: database is closed")
	// ErrNewerSchema is returned by Open when the database's schema version
	// is higher than this build knows: a newer mvmbot wrote it.
	ErrNewerSchema = errors.New("pgstore: database was written by a newer mvmbot")
)

// Options configures Open. A nil *Options, and any zero field, means the
// default.
type Options struct {
	// Now is the store's clock (see store.Options.Now). Nil means
	// time.Now. Times are kept to the microsecond, PostgreSQL's precision.
	Now func() time.Time

	// JobLease is how long a claimed job stays reserved for the replica
	// that claimed it. Zero means DefaultJobLease.
	JobLease time.Duration

	// MaxAttempts is given to jobs enqueued with MaxAttempts 0. Zero means
	// DefaultMaxAttempts.
	MaxAttempts int

	// Password, when not nil, is asked for the password of every new
	// connection, so that a short-lived credential (a Microsoft Entra
	// access token for Azure Database for PostgreSQL) is fresh each time a
	// connection is made. Nil: the URL's password, PGPASSWORD or .pgpass.
	Password func(ctx context.Context) (string, error)

	// MaxConns bounds the connection pool. Zero means DefaultMaxConns.
	MaxConns int32
}

// DB is a mvmbot store on one PostgreSQL database. Any number of DBs, in
// any number of processes, may share the database. All methods are safe
// for concurrent use; every value a method returns is the caller's own.
type DB struct {
	pool        *pgxpool.Pool
	where       string // the database, for messages
	now         func() time.Time
	lease       time.Duration
	maxAttempts int
	closed      atomic.Bool
	rec         recorder // group commit of record-only turns (record.go)

	batchMu sync.Mutex
	batches map[batchID]playbook.EventBatch // see attachBatches

	partMu   sync.Mutex
	versions map[versionID]playbook.QuestionnaireVersion // see attachParts
	issues   map[issueID]playbook.Issue                  // see attachParts
	// lastParts holds each engagement's parts as last read (attachParts).
	lastParts map[string]*engagementParts
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the schema's migrations in order: migrations[i]
// moves the schema from version i to i+1. Append only.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int {
	m, _ := migrations()
	return len(m)
}

// migrateLock is the advisory lock key Open holds while it migrates, so
// that replicas starting together apply each migration once.
const migrateLock = 0x6d766d62 // "mvmb"

// Open connects to the PostgreSQL database at url (a postgres:// URL or a
// libpq key=value string) and brings its schema to the current version,
// under an advisory lock. It checks the connection before it returns.
func Open(ctx context.Context, url string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
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
	db, err := connect(ctx, url, &o)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.pool.Close()
		return nil, fmt.Errorf("open database %s: %w", db.where, err)
	}
	return db, nil
}

// connect makes the pool; o has its defaults filled in (or is nil, for
// Inspect).
func connect(ctx context.Context, url string, o *Options) (*DB, error) {
	if o == nil {
		o = &Options{Now: time.Now}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password and all.
		return nil, errors.New("open database: the PostgreSQL connection string is not valid")
	}
	cfg.MaxConns = DefaultMaxConns
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.Password != nil {
		password := o.Password
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			p, err := password(ctx)
			if err != nil {
				return fmt.Errorf("database password: %w", err)
			}
			cc.Password = p
			return nil
		}
		// An access token is checked only when a connection is made; a
		// connection outlives it. Renewing connections within the hour a
		// token lasts keeps every one made with a token still valid.
		cfg.MaxConnLifetime = 50 * time.Minute
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", where(cfg), err)
	}
	return &DB{pool: pool, where: where(cfg), now: o.Now, lease: o.JobLease, maxAttempts: o.MaxAttempts}, nil
}

// where names the database for messages, without credentials.
func where(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s on %s:%d", cfg.ConnConfig.Database, cfg.ConnConfig.Host, cfg.ConnConfig.Port)
}

// migrate applies the missing migrations in one transaction, holding a
// transaction-scoped advisory lock: a second replica waits, then finds the
// schema current.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Keyed by the schema too: bots in other schemas of the database
		// migrate on their own.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", int32(migrateLock)); err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS mvmbot_schema (version integer NOT NULL)"); err != nil {
			return fmt.Errorf("create schema table: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, "SELECT version FROM mvmbot_schema").Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			_, err = tx.Exec(ctx, "INSERT INTO mvmbot_schema (version) VALUES (0)")
		}
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > len(ms) {
			return fmt.Errorf("%w (schema version %d, this build knows %d)", ErrNewerSchema, v, len(ms))
		}
		for i := v; i < len(ms); i++ {
			if _, err := tx.Exec(ctx, ms[i]); err != nil {
				return fmt.Errorf("migrate schema %d → %d: %w", i, i+1, err)
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE mvmbot_schema SET version = $1", len(ms)); err != nil {
			return fmt.Errorf("record schema version: %w", err)
		}
		return nil
	})
}

// Close closes the connection pool, waiting for connections in use.
// Methods called afterwards return ErrClosed. Closing twice is harmless.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers; it serves /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.usable(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// usable is checked at the start of every method.
func (db *DB) usable(ctx context.Context) error {
	if db.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// tx runs fn in a transaction, committed when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := db.usable(ctx); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// clock returns the store's time in UTC, to the microsecond PostgreSQL
// keeps, so that returned and stored values compare equal.
func (db *DB) clock() time.Time { return micro(db.now()) }

// micro is t in UTC to the microsecond, without a monotonic reading.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// nullTime is t for a nullable timestamptz column: NULL when zero.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// timeOf is the inverse of nullTime, in UTC.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nullJSON is b for a nullable json column: NULL when empty. Strings go
// to a json column as its text, kept as is.
func nullJSON(b []byte) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}
