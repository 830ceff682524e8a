// Package store is mvmbot's persistence on bbolt: one file, opened by one
// process. It keeps the records of package playbook: processed activities
// (dedup), conversation references, the durable job queue, and engagements
// (each with its audit history in records of its own; see Costs).
//
// It imports playbook and bbolt, nothing else of the project, and no bbolt
// type appears in its API: package bot declares the small interfaces it
// needs (a deduper, a reference store, a job queue) and cmd/mvmbot passes a
// *DB. The second backend, package pgstore (PostgreSQL, for several
// replicas), implements the same methods; package storetest holds the
// conformance suite both pass. pgstore's doc says why its job queue is
// this queue's contract in SQL rather than River.
//
// # Basics
//
// Open locks and opens the file (Options.Timeout bounds the wait; a second
// process gets ErrInUse), creates missing buckets, runs schema migrations,
// and clears stale job leases. Close releases it. Ping serves /readyz.
//
// CommitTurn is the one write of an inbound activity: dedup record,
// conversation reference and outbound jobs (an outbox) in one transaction.
// Processed is the read-only fast path for redeliveries, and for new
// activities, which a Bloom filter of the stored keys (seen.go) mostly
// answers without a transaction; SweepProcessed expires old dedup records.
//
// PutRef, Ref and Refs keep the conversation references used for proactive
// messages.
//
// Enqueue, ClaimDue, Complete, Retry, Snooze, Fail, Cancel, Dead, NextRunAt
// and Pending are the durable job queue (see job.go for the life of a job).
//
// WriteTo and Backup copy a consistent snapshot while serving; Dump reads
// every record, for mvmbot migrate-store.
//
// # Buckets
//
//	meta          schema_version → big-endian uint64 (see migrate.go)
//	processed_at  At (8 bytes) + processedKey(dedup key) (16 bytes) → Result (encodeProcessed: 11 bytes + body)
//	processed     processedKey → At: the lookup index, written in sorted batches (see putProcessed)
//	refs          ConversationRef.Key → ConversationRef (JSON)
//	jobs          ID (big-endian uint64) → Job (JSON); the bucket sequence assigns IDs
//	job_due       RunAt (8 bytes) + ID → empty: ClaimDue's order
//	job_keys      Job.Key → ID, while the job is queued
//	dead          ID → Job (JSON), dead-lettered
//	engagements         Engagement.ID → Engagement (JSON), without its audit history
//	engagement_conv     conversation key → Engagement.ID, for open engagements
//	engagement_members  member id + 0x00 + Engagement.ID → empty
//	engagement_history  Engagement.ID + 0x00 + entry number (big-endian uint64) → AuditEntry (JSON)
//	event_batches       Engagement.ID + 0x00 + Event.N (big-endian uint64) → EventBatch (JSON)
//	questionnaire_versions  Engagement.ID + 0x00 + QuestionnaireVersion.N (big-endian uint64) → QuestionnaireVersion (JSON)
//	engagement_issues   Engagement.ID + 0x00 + Issue.ID (big-endian uint64) → Issue (JSON)
//	engagement_parts    Engagement.ID → stamp (big-endian uint64), new with every write of a version or issue
//
// Values are the JSON of the playbook types (dedup records excepted), so a
// change to their JSON tags is a schema change and needs a migration. Times
// are stored in UTC. New files have 2 KiB pages (see Open).
//
// # Costs that do not grow with history
//
// An engagement's audit history only grows (every change and every note
// adds an entry; a busy engagement reaches thousands in months), and when
// it travelled inside the engagement record every turn decoded and
// rewrote all of it: at 2,000 notes a note took 455 ms. So each entry is a
// record of its own, written once by the save that added it, and the
// engagement record keeps only HistoryBase (how many are stored) and Kept
// (copies of the few entries later decisions read: overrides,
// questionnaire submissions and reviews). A read returns the engagement
// with History empty; a turn appends to History, and putEngagement writes
// the entries past the stored count (playbook.Engagement.HistoryFrom), in
// the same transaction as the record, the dedup record and the jobs. A
// save from a stale version is refused before anything is written, so no
// entry of a losing writer is stored. The few answers that show older
// entries (the history card, a page at a time; the weekly report and its
// feed; a workshop's .ics sequence) read them with History. Dump returns
// engagements whole (history, batches, versions and issues), for
// migrate-store; PurgeClosed deletes them all with the record. Schema 5
// (migrate.go) moved existing histories out, 6 the batches, 7 the versions
// and issues.
//
// An event's batch (Members and Outcomes: a row per user, mailbox or
// path, thousands in a big migration) is a record of its own too, in
// event_batches, since schema 6. Unlike the history it is still read with
// the engagement: every change to a batch gives the event a new BatchRev
// (playbook.Event), putEngagement writes a batch only when its BatchRev is
// not the one in the stored record, and reads take decoded batches from a
// cache while their bytes are unchanged. So a turn that does not touch a
// batch neither decodes nor writes it, but it still copies it (a read's
// clone); code that changes Members or Outcomes other than through
// playbook must take a new BatchRev, or the change is not stored.
//
// Questionnaire versions (an answer per field each) and issues (hundreds
// in a big migration) are records of their own too, since schema 7, in
// questionnaire_versions and engagement_issues (parts.go,
// playbook/parts_apart.go), and are read with the engagement as batches
// are. A version is written once, by the save that submitted it: versions
// never change, so those past the stored count are the new ones. An issue
// is written when it differs from the stored one, which putEngagement
// takes from the decoded-engagement cache when the record is the one it
// decoded (a turn saves what it just read), and compares with == (Issue is
// a value of scalars): a note encodes and writes no issue. Reads keep each
// engagement's versions and issues as last read and hand the same slices
// back while the engagement's stamp (engagement_parts, renewed by every
// save that writes a part) is unchanged, so a read after a note looks up
// one key; Clone shares the versions (never changed in place) and copies
// the issues, which change in place.
//
// The rest of an engagement (pre-flight results, plans, escalations) is
// still in its record: those grow with the work, not with time, and stay
// small (docs/performance.md says how far each goes).
//
// # Caveats
//
// Returned values are copies the caller owns, with one exception:
// ViewEngagementsOf hands its function the store's own engagements, shared
// with every other reader, which the function must neither change nor keep.
// Nothing aliases bbolt's memory map. The json.RawMessage fields
// (Result.Body, Job.Args) must hold valid JSON and come back compacted.
//
// All methods are safe for concurrent use. Writes are serialised by bbolt's
// single writer; reads run in parallel with each other and with the writer.
// A context is checked before a transaction starts; a transaction in
// progress is not interrupted (none does I/O besides the file: no network
// call ever runs inside a transaction).
//
// CommitTurn and Complete use a group commit (group.go) when other calls
// are in flight: concurrent callers share one transaction and one fsync; a
// background turn (one no request waits on) may wait up to 5ms for company.
// A batched function may run more than once (after a rollback caused by
// another member of the batch), so these functions reset their outputs at
// each run and have no effect outside the transaction but for adding its
// key to the seen filter; the writes commit exactly once. Calls that
// must not be repeated (Retry uses up an attempt) use their own transaction.
//
// Jobs are delivered at least once: a job whose lease ends before it is
// reported, or whose process dies while running it, runs again. Workers must
// tolerate that (the unique Key and the dedup record help).
//
// Every time the store records comes from Options.Now (ClaimDue takes the
// caller's now); tests inject a fake clock.
package store
