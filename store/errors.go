package store

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Callers test for them with errors.Is; the errors the store
// returns wrap them with context, so never compare messages.
//
// Besides these, methods return *playbook.Error values: playbook.ENOTFOUND
// where the caller asked for one thing that does not exist (Ref, Retry, Cancel
// …) and playbook.EINVALID for input that breaks a documented rule (an empty
// key, a job without a kind). Read them with playbook.ErrorCode.
var (
	// ErrInUse is returned by Open when another process (or another Open in
	// this process) holds the database file's lock and it was not released
	// within Options.Timeout. The error's message names the file.
	ErrInUse = errors.New("store: database is in use by another mvmbot process")

	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("store: database is closed")

	// ErrNewerSchema is returned by Open when the file's schema version is
	// higher than this build knows: it was written by a newer mvmbot, and an
	// older one must not guess at its layout.
	ErrNewerSchema = errors.New("store: database was written by a newer mvmbot")
)

// inUseError is the error Open returns for a held lock. Its message reads as
// a sentence for the operator; errors.Is(err, ErrInUse) reports true.
type inUseError struct {
	path    string
	timeout time.Duration
}

func (e *inUseError) Error() string {
	return fmt.Sprintf("database %s is in use by another mvmbot process (file lock not acquired within %s)", e.path, e.timeout)
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// ErrDamaged is returned when the database file is damaged: cut short,
// pages zeroed or overwritten, its own consistency check failing. The
// error's message is one sentence naming the file, what is wrong and the
// way back (restore a backup); the file is not changed.
var ErrDamaged = errors.New("store: database file is damaged")

// damagedError is the error for a damaged file; errors.Is(err, ErrDamaged)
// reports true.
type damagedError struct {
	path string
	what string
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("database %s is damaged (%s): stop mvmbot, keep the file aside for analysis and restore the latest backup (mvmbot backup; docs/deploy.md, \"Back up and restore\")", e.path, e.what)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }
