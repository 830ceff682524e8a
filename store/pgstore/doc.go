// Package pgstore is mvmbot's store on PostgreSQL, for deployments that
// run several replicas of `mvmbot serve` behind one bot registration. It
// implements the methods of the bbolt store (package store) that the bot
// and cmd/mvmbot use, with the same contracts; package storetest is the
// conformance suite both pass, and its replica tests run here on two
// handles of one database.
//
// It imports playbook and pgx (jackc/pgx v5), nothing else of the
// project, and no pgx type appears in its API.
//
// # Schema
//
// Open applies the embedded migrations (migrations/*.sql, in name order)
// in one transaction under an advisory lock, so replicas that start
// together migrate once; the table mvmbot_schema holds the version.
// Engagements are stored as JSON without their audit history, as on bbolt
// (store/doc.go, "Costs that do not grow with history"), beside the
// columns the store reads (version, conversation, closing time, history
// length); each history entry is a row of engagement_history, inserted
// once by the turn that added it, in one statement with the turn's other
// writes in its transaction (migrations/0002_history_rows.sql moved the
// histories of existing rows). Each event's batch (members and outcomes)
// is a row of event_batches, written only when the event's BatchRev is not
// the stored one (migrations/0004_event_batches.sql moved existing
// batches); reads take batches from a cache keyed by engagement, event and
// revision, and read an engagement again when a save came between its doc
// and its batches. Questionnaire versions and issues are rows of
// questionnaire_versions and engagement_issues (parts.go;
// migrations/0005_parts_apart.sql moved existing ones): a version is
// inserted once, an issue written when it differs from the stored one,
// with the saving engagement version as its rev; the engagement's row
// keeps the version count and each issue's id and rev, so reads take them
// from caches and query only what the caches lack. Dedup records,
// references and jobs are rows.
//
// # Several replicas
//
// CommitTurn is one transaction: dedup record (inserted first, so a
// redelivery to another replica waits for the first and then fails on its
// key), engagement (row lock, then the version check:
// optimistic concurrency as on bbolt), reference and jobs. Jobs are claimed
// with FOR UPDATE SKIP LOCKED under a lease; a replica that dies leaves
// its leases to run out, and another replica claims the jobs then (at
// least once, as on bbolt). Open does not clear leases: other replicas hold
// live ones.
//
// # Why not River
//
// River (riverqueue/river with riverpgxv5) is the well-kept PostgreSQL job
// queue for Go, and it was weighed against what the bot's one Runner
// (package bot) relies on. It keeps most of it: inserts in the caller's
// transaction, unique jobs, retries, discarded jobs. It does not fit for
// these reasons:
//
//   - River works its own jobs: its Client fetches them and calls its
//     Workers; it has no call that leases due jobs to a caller, which is
//     what the Runner does on both backends (ClaimDue, then Complete,
//     Retry, Snooze or Fail). Using River means a second runner for
//     PostgreSQL only, and every worker, retry schedule and dead-letter
//     notice written twice.
//   - A turn's replies run at once on the replica that took the turn:
//     CommitTurn returns the due jobs already leased to the caller, in the
//     transaction that inserted them. A River job is available to every
//     fetcher once committed, so a reply would wait for a fetch and could
//     go out from another replica.
//   - Cancel removes the queued job with a given key (a reminder no longer
//     wanted); River's unique jobs are keyed by a hash of kind and
//     arguments, and it cancels by job ID.
//
// The queue here is therefore the bbolt queue's contract in four SQL
// statements over one table, not a second design: the same Runner, the
// same conformance suite.
//
// # Cost
//
// Every call is at least one round trip to the server, and those, with
// TLS, are most of what the store costs the bot's process. CommitTurn
// pipelines its statements (one round trip for a turn without an
// engagement), and the turns that only record an activity (the bot's
// read-only answers) are committed in groups, many turns to a transaction
// of two round trips (record.go). docs/performance.md has the figures
// against bbolt.
//
// # Caveats
//
// Times are kept to the microsecond (PostgreSQL's precision): the store
// truncates the times it is given and its clock's, so values it returns
// equal those it stored. Background is ignored: a record-only turn goes
// through the group whether or not its caller waits.
package pgstore
