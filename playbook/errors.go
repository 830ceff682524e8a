package playbook

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/mvmbot/mvmbot/internal/markdown"
)

// Error codes. They are the project's one error vocabulary: store, graph and
// bot return errors carrying these codes, and bot turns a code into an HTTP
// status and a sentence for a person in exactly one place each.
const (
	EINVALID   = "invalid"   // the input breaks a rule; the message says which
	ENOTFOUND  = "not_found" // the thing asked for does not exist
	ECONFLICT  = "conflict"  // the state changed under the caller (stale card, duplicate)
	EFORBIDDEN = "forbidden" // the person's role may not do this
	EINTERNAL  = "internal"  // anything else; details go to the log only
)

// Error is an error a person may read: Message is written for them, Code
// tells the transport how to report it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
// Messages are Markdown, and a value formatted with %q is what a person
// typed (a task, a role, a date, a column of their file) echoed back: its
// Markdown is escaped, so that a "task" typed as a link is shown as typed
// rather than becoming one.
func Errorf(code, format string, args ...any) *Error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = typed(s)
		}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// typed is a string argument of Errorf.
type typed string

// Format escapes the Markdown of %q and writes every other verb as the
// string would be.
func (s typed) Format(f fmt.State, verb rune) {
	if verb != 'q' {
		fmt.Fprintf(f, fmt.FormatString(f, verb), string(s))
		return
	}
	q := strconv.Quote(string(s))
	fmt.Fprint(f, `"`+markdown.Escape(q[1:len(q)-1])+`"`)
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the person-readable message of the first *Error in
// err's chain. Any other error reads "Internal error." so that no internal
// detail reaches a chat.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
