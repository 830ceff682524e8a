package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// tables are the schema's tables, each needing the four privileges below.
var tables = []string{"mvmbot_schema", "processed", "refs", "jobs", "dead_jobs", "engagements", "engagement_conv", "engagement_members", "engagement_history", "questionnaire_drafts", "event_batches", "questionnaire_versions", "engagement_issues"}

// Inspection is what `mvmbot doctor` reports of a database.
type Inspection struct {
	// Version is the schema version the database is at (0: none yet),
	// Want the one this build writes.
	Version, Want int
	// User and Database are whom the connection is as, and to what.
	User, Database string
	// Missing lists the privileges the bot needs and the role lacks, as
	// "INSERT on jobs"; with no schema yet, "CREATE on schema public".
	Missing []string
}

// Inspect reads the schema version and the role's privileges without
// changing anything: unlike Open, it migrates nothing.
func Inspect(ctx context.Context, url string, opts *Options) (*Inspection, error) {
	db, err := connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	in := &Inspection{Want: SchemaVersion()}
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_user, current_database(), current_schema()`).Scan(&in.User, &in.Database, &schema); err != nil {
		return nil, fmt.Errorf("inspect database: %w", err)
	}
	err = db.pool.QueryRow(ctx, `SELECT version FROM mvmbot_schema`).Scan(&in.Version)
	var pgErr interface{ SQLState() string }
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case errors.As(err, &pgErr) && pgErr.SQLState() == "42P01": // undefined_table: never migrated
		var create bool
		if err := db.pool.QueryRow(ctx, `SELECT has_schema_privilege(current_schema(), 'CREATE')`).Scan(&create); err != nil {
			return nil, fmt.Errorf("inspect database: %w", err)
		}
		if !create {
			in.Missing = append(in.Missing, "CREATE on schema "+schema)
		}
		return in, nil
	case err != nil:
		return nil, fmt.Errorf("inspect database: %w", err)
	}
	for _, t := range tables {
		if in.Version < in.Want {
			// A table a later migration creates is not there yet; the
			// migration needs CREATE on the schema, not rights on it.
			var exists bool
			if err := db.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, t).Scan(&exists); err != nil {
				return nil, fmt.Errorf("inspect database: %w", err)
			}
			if !exists {
				continue
			}
		}
		for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE"} {
			var ok bool
			if err := db.pool.QueryRow(ctx, `SELECT coalesce(has_table_privilege(to_regclass($1), $2), false)`, t, p).Scan(&ok); err != nil {
				return nil, fmt.Errorf("inspect database: %w", err)
			}
			if !ok {
				in.Missing = append(in.Missing, p+" on "+t)
			}
		}
	}
	var seq bool
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(has_sequence_privilege(pg_get_serial_sequence('jobs', 'id'), 'USAGE'), false)`).Scan(&seq); err != nil {
		return nil, fmt.Errorf("inspect database: %w", err)
	}
	if !seq {
		in.Missing = append(in.Missing, "USAGE on sequence jobs_id_seq")
	}
	return in, nil
}
