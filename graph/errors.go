package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/mvmbot/mvmbot/playbook"
)

// Application permissions, least privileged first, that each operation
// needs (docs/graph.md has the table). A 403 names them.
const (
	PermCalendarsReadBasic = "Calendars.ReadBasic"
	PermCalendarsReadWrite = "Calendars.ReadWrite"
	PermGroupCreate        = "Group.Create"
	PermGroupReadAll       = "Group.Read.All"
	PermSitesRead          = "Sites.Selected (read grant on the site) or Sites.Read.All"
	PermSitesManage        = "Sites.Selected (manage grant on the site) or Sites.Manage.All"
	PermSitesWrite         = "Sites.Selected (write grant on the site) or Sites.ReadWrite.All"
)

// ErrNotProvisioned is in the chain of the error GroupSite returns while
// SharePoint has not yet provisioned the site of a new group (Graph answers
// 404 for up to ~15 minutes). The *Error is Retryable, with RetryDelay
// NotProvisionedPoll.
var ErrNotProvisioned = errors.New("graph: the group's SharePoint site is not provisioned yet")

// NotProvisionedPoll is the poll interval GroupSite suggests while the site
// is being provisioned.
const NotProvisionedPoll = 15 * time.Second

// Error is a failed Graph call. It carries the playbook code for bot
// (playbook.ErrorCode, playbook.ErrorMessage) and a retry hint for the job
// that made the call.
type Error struct {
	Op         string        // what was attempted, e.g. "create the meeting"
	Status     int           // HTTP status; 0 when no response arrived
	Code       string        // Graph's error code, e.g. "ErrorItemNotFound"
	Message    string        // Graph's error message
	RequestID  string        // Graph's request-id, for support cases
	RetryAfter time.Duration // from Retry-After on the last response; 0 if absent
	Permission string        // the application permission Op needs

	pb       *playbook.Error
	sentinel error // ErrNotProvisioned or nil
	cause    error // the transport or context error when Status is 0
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: %s", e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	return b.String()
}

// Unwrap gives the playbook error (its code and person-readable message),
// ErrNotProvisioned where it applies, and the transport or context error.
func (e *Error) Unwrap() []error {
	errs := []error{e.pb}
	if e.sentinel != nil {
		errs = append(errs, e.sentinel)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// Throttled reports a 429, 503 or 504: Graph asks the caller to slow down.
func (e *Error) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable || e.Status == http.StatusGatewayTimeout
}

// NotFound reports a 404.
func (e *Error) NotFound() bool { return e.Status == http.StatusNotFound }

// Forbidden reports a 403: the app lacks Permission (or the mailbox or site
// is outside what the admin granted).
func (e *Error) Forbidden() bool { return e.Status == http.StatusForbidden }

// Retryable reports whether the same call may succeed later without any
// change: throttling, a 5xx, a site still being provisioned, or a network
// failure (not a cancelled context). A job snoozes these and cancels the
// rest.
func (e *Error) Retryable() bool {
	switch {
	case e.sentinel == ErrNotProvisioned, e.Throttled(), e.Status >= 500:
		return true
	case e.Status == 0:
		return e.cause != nil && !errors.Is(e.cause, context.Canceled) && !errors.Is(e.cause, context.DeadlineExceeded)
	}
	return false
}

// RetryDelay is how long to wait before trying again: RetryAfter when Graph
// sent one, NotProvisionedPoll while a site is provisioned, else 0 (the
// caller's own backoff).
func (e *Error) RetryDelay() time.Duration {
	if e.RetryAfter > 0 {
		return e.RetryAfter
	}
	if e.sentinel == ErrNotProvisioned {
		return NotProvisionedPoll
	}
	return 0
}

// callError turns what the SDK returned into an *Error. op is a verb phrase
// for a person ("create the meeting"), perm the permission op needs.
func callError(ctx context.Context, err error, op, perm string) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Permission: perm}
	var odata *odataerrors.ODataError
	var api abs.ApiErrorable
	switch {
	case errors.As(err, &odata):
		e.Status = odata.GetStatusCode()
		// Not odata.Error(): it dereferences a message that may be nil.
		if main := odata.GetErrorEscaped(); main != nil {
			e.Code, e.Message = str(main.GetCode()), str(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				e.RequestID = str(inner.GetRequestId())
			}
		}
		readHeaders(e, odata.GetResponseHeaders())
	case errors.As(err, &api):
		e.Status = api.GetStatusCode()
		readHeaders(e, api.GetResponseHeaders())
	default:
		e.cause = err
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			e.cause = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
	}
	e.pb = classify(e)
	return e
}

func readHeaders(e *Error, h *abs.ResponseHeaders) {
	if h == nil {
		return
	}
	hh := http.Header{}
	for _, k := range h.ListKeys() {
		for _, v := range h.Get(k) {
			hh.Add(k, v)
		}
	}
	if d, ok := retryAfter(hh, time.Now()); ok {
		e.RetryAfter = d
	}
	if e.RequestID == "" {
		e.RequestID = hh.Get("request-id")
	}
}

// classify maps the status to a playbook code and a message for a person.
func classify(e *Error) *playbook.Error {
	graphSays := e.Message
	if e.Code != "" {
		graphSays = fmt.Sprintf("%s (%s)", e.Message, e.Code)
	}
	switch {
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		return playbook.Errorf(playbook.EINVALID, "Microsoft Graph rejected the request to %s: %s", e.Op, graphSays)
	case e.Status == http.StatusForbidden:
		return playbook.Errorf(playbook.EFORBIDDEN, "Microsoft Graph refused to %s: the bot's app registration needs the application permission %s, granted by an admin", e.Op, e.Permission)
	case e.Status == http.StatusUnauthorized:
		return playbook.Errorf(playbook.EINTERNAL, "Microsoft Graph did not accept the bot's credentials to %s.", e.Op)
	case e.Status == http.StatusNotFound:
		return playbook.Errorf(playbook.ENOTFOUND, "Microsoft Graph found nothing to %s: %s", e.Op, graphSays)
	case e.Status == http.StatusConflict || e.Status == http.StatusPreconditionFailed:
		return playbook.Errorf(playbook.ECONFLICT, "Microsoft Graph could not %s because of a conflicting change: %s", e.Op, graphSays)
	case e.Throttled():
		return playbook.Errorf(playbook.EINTERNAL, "Microsoft Graph is busy; the bot will try to %s again later.", e.Op)
	}
	return playbook.Errorf(playbook.EINTERNAL, "Microsoft Graph failed to %s.", e.Op)
}

// notProvisioned marks a 404 from GroupSite as "not yet".
func notProvisioned(err error) error {
	var e *Error
	if errors.As(err, &e) && e.NotFound() {
		e.sentinel = ErrNotProvisioned
		e.pb = playbook.Errorf(playbook.ENOTFOUND, "The group's SharePoint site is not ready yet; SharePoint can take up to 15 minutes.")
	}
	return err
}

// ListMismatchError is returned by EnsureList when a list with the wanted
// name exists but lacks columns or has them with another type. Its playbook
// code is ECONFLICT; fix the list (or rename the spec) and try again.
type ListMismatchError struct {
	SiteID, ListID, List string
	Missing              []string // columns of the spec the list lacks
	WrongType            []string // "Name: want number, have text"
}

func (e *ListMismatchError) Error() string {
	return fmt.Sprintf("graph: the list %q already exists with other columns (%s)", e.List, e.details())
}

func (e *ListMismatchError) details() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing columns "+strings.Join(e.Missing, ", "))
	}
	if len(e.WrongType) > 0 {
		parts = append(parts, "columns of another type: "+strings.Join(e.WrongType, "; "))
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the playbook error (ECONFLICT).
func (e *ListMismatchError) Unwrap() error {
	return playbook.Errorf(playbook.ECONFLICT, "The SharePoint list %q already exists with other columns (%s). Add them or remove the list, then try again.", e.List, e.details())
}
