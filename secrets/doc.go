// Package secrets says whether a piece of text looks like a credential, so
// that mvmbot never stores or logs one: the questionnaire (playbook task
// 1034) and chat messages are scanned, and a credential is refused with a
// pointer to the secure credential process (task 3614).
//
// The rules are data (Rules): a subset of gitleaks' default rule set
// (github.com/zricethezav/gitleaks/v8, config/gitleaks.toml at v8.30.1, MIT
// licence), ported rule by rule with gitleaks' rule ids, keywords and
// entropy thresholds, plus a few mvmbot rules for what people type in a chat
// rather than commit to a repository (password=…, connection strings,
// credentials in URLs, long random tokens). docs/questionnaire.md explains
// why the rules are ported rather than gitleaks imported as a library.
//
// # Basics
//
// Find returns every Finding in a string: the rule id and the byte range of
// the secret, never the secret itself. Check is the yes/no form that
// playbook.SecretFinder expects. Redact replaces each secret with
// "[REDACTED:rule-id]", for the rare place where text must be kept.
//
// # Caveats
//
// Detection is heuristic. It favours refusing a real credential over
// accepting one, and the tests pin the ordinary text it must accept (host
// and domain names, e-mail addresses, dates, GUIDs such as tenant ids,
// sentences about passwords). A Finding's String and every error of this
// package name the rule and the position only, so they are safe to log.
//
// The package imports only the standard library and is safe for concurrent
// use: the rules are compiled once, when the package loads.
package secrets
