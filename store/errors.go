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
