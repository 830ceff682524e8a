// Package playbook is mvmbot's domain: the FastTrack data-migration
// onboarding playbook (roles, sources, phases, tasks), engagement state, the
// next-step rules, questionnaire fields and validation, and who may do what.
//
// It is pure Go and imports only the standard library and the project's one
// Markdown escaper (internal/markdown, itself standard library only: its
// messages are Markdown and echo what people typed): no HTTP, no Teams, no
// bbolt, no logging. Time is an input (a now argument), never read here.
// Every other package calls these functions instead of writing its own copy of
// a rule. docs/playbook.md is the practitioner's description of the same
// rules, with the reason for every choice the seeds leave open.
//
// # Basics
//
// The playbook is a table of Task values (Tasks, TaskByKey, LookupTask),
// checked by Validate when the package loads. A task has a stable Key and
// zero or more FastTrack playbook IDs; several tasks may share an id (3169
// is the Box workshop and the Box inventory guidance), so commands resolve a
// person's words with ResolveTask, which refuses an ambiguous id.
//
// An Engagement is a plain JSON-friendly value. NewEngagement creates one;
// MarkDone, Reopen, MarkNotApplicable, AssignRole, RemoveRole, SetLead,
// Update and Close are its transitions. Each validates, asks Can (its one
// action → who table, permissions.go's rules, covers every action: tasks,
// roles, the questionnaire review, workshops, the site and the migration
// records), changes the engagement in place only on success and appends one
// AuditEntry. NextSteps, Progress, Overdue and NextMilestone read it.
//
// # Caveats
//
// Functions that change an Engagement are not safe for concurrent use on the
// same value; the store serializes writers and detects stale writes through
// Engagement.Version, which this package never changes. Task keys and
// Action values are stored: never rename one. Values returned (tasks,
// members, steps) are copies the caller owns.
//
// Errors returned to callers carry one of the codes in errors.go; ErrorCode
// and ErrorMessage read them back.
package playbook
