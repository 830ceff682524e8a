// Package bot is mvmbot's turn engine: it takes an activity Teams sent,
// decides what it changes with the playbook's rules, commits that together
// with the activity's dedup record, and runs the durable jobs the change
// sets going (posts, Teams meetings, the collaboration site, reminders).
//
// It speaks the Bot Framework through package botframework (the activity,
// token checks, the connector client) and reaches storage and Microsoft
// Graph only through the small interfaces it declares (TurnStore,
// EngagementReader, WorkerStore, Workshops, SiteGraph, ...); cmd/mvmbot
// passes in the store and the Graph client and mounts the routes. It never
// imports msgraph-sdk-go or bbolt.
//
// # An activity's life
//
// Server.ServeMessages checks the token (botframework.TokenValidator),
// bounds and decodes the body (botframework.DecodeActivity), and turns a
// redelivery away with the answer it had (TurnStore.Processed). Then the
// Handler, Conversation, decides: a typed command is looked up by its first
// word in the command table, a button press by its verb in the button
// table (commands.go), and the command's or button's Run returns an answer.
// An answer becomes an Outcome (replies, an invoke response, the changed
// engagement, jobs), the Outcome a playbook.Turn with a playbook.Result
// (the HTTP answer, kept for redeliveries), and an invoke's answer is
// written as a botframework.InvokeResponse. The types, in order:
//
//	answer → Outcome → playbook.Turn / playbook.Result → InvokeResponse
//
// From there a turn takes one of two paths.
//
// The durable path (Server.process) is every turn that changes something
// and every invoke: TurnStore.CommitTurn saves the engagement (at the
// version the handler read), the dedup record, the conversation reference
// and the jobs (the replies among them, as connector.send jobs) in one
// transaction. Only then is the HTTP answer written and the jobs handed to
// the Runner, which posts them. If the engagement moved since the handler
// read it, nothing was saved, and the handler runs again on the fresh state.
//
// The inline path (Server.replyInline) is a message turn that changes
// nothing stored (help, next steps, status, a refusal): its replies are
// posted during the request, as the Bot Framework SDKs do, then the request
// is answered and the dedup record written in the background. A reply that
// cannot be posted in time falls back to a durable job, committed before the
// answer as on the durable path.
//
// On a store replicas share (Server.RecordFirst, PostgreSQL), another
// replica cannot see this process's in-flight set, so the inline path
// records first (Server.replyRecorded): the dedup record and the reference
// are committed, in one round trip that also finds a redelivery, and only
// then are the replies posted. There, too, the redelivery check before the
// handler is left to CommitTurn.
//
// # Files
//
// The shared machinery, in files named for what it does:
//
//	server.go              the endpoint: token, body, redelivery, both paths, errors to sentences
//	handler.go             Handler and Outcome: what a turn decided
//	protocol.go            the botframework types under bot's names; the conversation reference
//	commands.go            Command and Button, the registry, help and the manifest's menu
//	turn.go                Conversation and the turn: dispatch, the answer, finding the engagement
//	posts.go               posting beyond the answer: withPosts, toChannel, mentions, proactiveSend
//	secret.go              the secret gate every message and card passes (refuseSecret)
//	runner.go              Runner: claims, runs, retries and dead-letters durable jobs
//	worker.go              JobArgs, Work, AddWorker, Workers: typed jobs; WorkerEnv, WorkerStore
//	notice.go              telling the conversation that a job failed or is retrying
//	send.go                the connector.send job and its worker
//	sweep.go               forgetting old dedup records
//	picture.go             the progress picture the cards draw
//
// One capability each, its command and button tables first, then its
// handlers, then its job args and workers:
//
//	tasks.go               next steps, done, undo, na, status, history
//	setup.go               setting an engagement up and editing it
//	roles.go               roles and the MVM lead
//	questionnaire.go       the migration questionnaire and its review
//	escalations.go         notes, escalations and the escalation reminder worker
//	report.go              the weekly report: command, schedule and worker
//	workshops.go           workshops: scheduling, invitations, the meeting workers
//	plan.go, events.go     the migration plan; migration events, remediation
//	units.go               status of one user or path; status files pasted or attached (importStatus); remediation events
//	close.go               closing out and the survey
//	site.go                the collaboration site and issue tracker, and their workers
//	feed.go, ics.go        the reporting feed and the workshops' invitations (read-only HTTP)
//	pick.go                the engagement picker of the personal chat
//	attach.go              files attached in the personal chat, routed by kind
//
// A new text command is one entry in its capability's command table; a new
// button, a verb in cards and one entry in the capability's button table.
// TestEveryVerbHasAButton holds the two sides together.
//
// # Caveats
//
// A handler may run more than once for one activity: when the engagement
// changed between its read and the commit, it runs again on the fresh state
// (a few times at most). So a handler must not act on the world: it returns
// what should happen, and the server makes it happen.
//
// Handlers never post. A reply, a post to another conversation, a meeting
// to create are returned (Outcome.Replies, answer.posts, Outcome.Jobs) and
// committed with the turn, so that they happen exactly when the change is
// saved. The one exception is Outcome.Private, a secret shown once, posted
// after the commit and never stored.
//
// Jobs run at least once: a job whose process dies mid-run, or whose
// completion is lost, runs again when its lease ends. Workers are
// idempotent (each job's key names its engagement and slot, and steps record
// what they made before the next starts), and a posted message may, rarely,
// arrive twice.
package bot
