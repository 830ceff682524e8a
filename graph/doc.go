// Package graph is mvmbot's Microsoft Graph client: the MST workshops as
// Teams meetings in the organizer's calendar (free/busy, create, move,
// cancel) and the migration collaboration site (Microsoft 365 group, its
// SharePoint site, lists and list items). It is built on msgraph-sdk-go and
// an azcore.TokenCredential (app-only, client credentials).
//
// # Imports
//
// graph is the only package that imports msgraph-sdk-go (minutes to compile
// cold). It imports playbook and nothing else of mvmbot. Its exported API
// uses plain Go types only, so bot can declare a small interface that
// *Client satisfies and never see an msgraph type.
//
// # Errors
//
// Every error carries a playbook code (playbook.ErrorCode): EINVALID for
// input Graph or this package rejects, EFORBIDDEN when the app registration
// lacks a permission (the message names it), ENOTFOUND, ECONFLICT, and
// EINTERNAL for the rest. Failures of a Graph call are *Error values, which
// also say whether a later retry makes sense (Retryable, RetryDelay): see
// errors.go and docs/graph.md for the policy and its numbers.
//
// # Caveats
//
//   - Requests are retried inside the client on 429, 503 and 504 only,
//     honouring Retry-After, at most Config.MaxRetries times and never
//     waiting more than Config.MaxRetryWait in total. Anything longer is
//     returned as an error with RetryAfter set, for a durable job to snooze.
//   - Creating an event is made safe to repeat by the caller's transactionId
//     (TransactionID); creating a group is not idempotent in Graph, so look
//     it up first (GroupByMailNickname) when a job may run twice.
//   - The kiota compression handler is left out of the pipeline: with it a
//     POST retried after 429 goes out uncompressed but still labelled gzip.
//   - Never call GetAdapter on the service client (it panics in this SDK
//     version); the client keeps its own adapter.
package graph
