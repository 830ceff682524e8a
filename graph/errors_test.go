package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
)

func TestForbiddenNamesThePermission(t *testing.T) {
	t.Parallel()
	start := monday.Add(9 * time.Hour)
	cases := []struct {
		name, path, perm string
		call             func(*graph.Client) error
	}{
		{"getSchedule", "/users/", "Calendars.ReadBasic", func(c *graph.Client) error {
			_, err := c.Schedule(context.Background(), "", []string{"a@contoso.com"}, start, start.Add(time.Hour), 0)
			return err
		}},
		{"create event", "/users/", "Calendars.ReadWrite", func(c *graph.Client) error {
			_, err := c.CreateMeeting(context.Background(), workshop())
			return err
		}},
		{"cancel event", "/users/", "Calendars.ReadWrite", func(c *graph.Client) error {
			return c.CancelMeeting(context.Background(), "", "AAMk-1", "")
		}},
		{"create group", "/groups", "Group.Create", func(c *graph.Client) error {
			_, err := c.CreateGroup(context.Background(), graph.Group{DisplayName: "Contoso migration", MailNickname: "contoso-migration", Owners: []string{"u1"}})
			return err
		}},
		{"create list", "/sites/", "Sites.Manage.All", func(c *graph.Client) error {
			_, err := c.EnsureList(context.Background(), "site-1", graph.ListSpec{DisplayName: "Issues"})
			return err
		}},
		{"add item", "/sites/", "Sites.ReadWrite.All", func(c *graph.Client) error {
			_, err := c.AddItem(context.Background(), "site-1", "list-1", map[string]any{"Title": "x"})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, c := newFake(t)
			f.Fail(fakes.GraphFault{Path: tc.path, Status: 403})
			err := tc.call(c)
			assertCode(t, err, playbook.EFORBIDDEN)
			if msg := playbook.ErrorMessage(err); !strings.Contains(msg, tc.perm) {
				t.Errorf("message %q does not name %s", msg, tc.perm)
			}
			var ge *graph.Error
			if !errors.As(err, &ge) || !ge.Forbidden() || ge.Retryable() || !strings.Contains(ge.Permission, tc.perm) || ge.Code != "Authorization_RequestDenied" {
				t.Errorf("*graph.Error = %+v", ge)
			}
			if n := len(f.Requests()); n != 1 {
				t.Errorf("403 led to %d requests, want 1 (no retry)", n)
			}
		})
	}
}

// Regression for the 429 + gzip bug (kiota-http-go #183): the retried POST
// must carry the same, readable body.
func TestThrottledCreateRetriesWithIntactBody(t *testing.T) {
	t.Parallel()
	f, c := newFake(t)
	f.Fail(fakes.GraphFault{Method: "POST", Path: "/users/", Status: 429, RetryAfter: "1", Times: 1})
	began := time.Now()
	ev, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("retried after %s, before Retry-After: 1", waited)
	}
	posts := f.RequestsTo("POST", "/users/")
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want 2: %v", len(posts), paths(f.Requests()))
	}
	if !bytes.Equal(posts[0].Body, posts[1].Body) || !json.Valid(posts[1].Body) || len(posts[1].Body) == 0 {
		t.Errorf("retried body differs or is not JSON:\n1st %q\n2nd %q", posts[0].Body, posts[1].Body)
	}
	for i, p := range posts {
		if ce := p.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("POST %d has Content-Encoding %q", i+1, ce)
		}
	}
	if posts[1].Header.Get("Retry-Attempt") != "1" {
		t.Errorf("Retry-Attempt = %q", posts[1].Header.Get("Retry-Attempt"))
	}
	if ev.JoinURL == "" || len(f.Events()) != 1 {
		t.Errorf("event %+v, %d events", ev, len(f.Events()))
	}
}

func TestServiceUnavailableIsRetried(t *testing.T) {
	t.Parallel()
	f, c := newFake(t)
	// No Retry-After: the exponential backoff (RetryBaseDelay 1 s) applies.
	f.Fail(fakes.GraphFault{Method: "GET", Path: "/sites/", Status: 503, Times: 1})
	site := f.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration")
	if _, err := c.EnsureList(context.Background(), site, graph.ListSpec{DisplayName: "Issues"}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.RequestsTo("GET", "/sites/")); n != 2 {
		t.Errorf("%d GETs, want 2", n)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	f, c := newFake(t, func(cfg *graph.Config) { cfg.MaxRetries = 2 })
	f.Fail(fakes.GraphFault{Status: 429, RetryAfter: "1"})
	_, err := c.CreateMeeting(context.Background(), workshop())
	if n := len(f.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 (1 + MaxRetries 2)", n)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want *graph.Error", err)
	}
	if !ge.Throttled() || !ge.Retryable() || ge.RetryAfter != time.Second || ge.RetryDelay() != time.Second || ge.Status != 429 {
		t.Errorf("*graph.Error = %+v", ge)
	}
	assertCode(t, err, playbook.EINTERNAL)
}

func TestLongRetryAfterIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	f, c := newFake(t, func(cfg *graph.Config) { cfg.MaxRetryWait = 5 * time.Second })
	f.Fail(fakes.GraphFault{Status: 503, RetryAfter: "120"})
	began := time.Now()
	_, err := c.GroupSite(context.Background(), "g1")
	if time.Since(began) > 2*time.Second {
		t.Errorf("waited %s for a Retry-After beyond the budget", time.Since(began))
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.RetryAfter != 120*time.Second || !ge.Retryable() {
		t.Errorf("err = %v (%+v), want a retryable error with RetryAfter 2m", err, ge)
	}
	if errors.Is(err, graph.ErrNotProvisioned) {
		t.Error("a 503 is not 'not provisioned'")
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestCancelAbortsRetryWait(t *testing.T) {
	t.Parallel()
	f, c := newFake(t)
	f.Fail(fakes.GraphFault{Status: 429, RetryAfter: "10"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	began := time.Now()
	_, err := c.CreateMeeting(ctx, workshop())
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("returned after %s; cancel should abort the 10 s wait", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled in the chain", err)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Retryable() {
		t.Errorf("a cancelled call must not be retryable: %+v", ge)
	}
	if n := len(f.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	t.Parallel()
	f, c := newFake(t)
	f.Close()
	_, err := c.GetEvent(context.Background(), "", "AAMk-1")
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != 0 || !ge.Retryable() {
		t.Errorf("err = %v, want a retryable *graph.Error without status", err)
	}
	assertCode(t, err, playbook.EINTERNAL)
	if msg := playbook.ErrorMessage(err); strings.Contains(msg, "127.0.0.1") {
		t.Errorf("person-readable message leaks internals: %q", msg)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://graph.microsoft.com/v1.0", "http://graph.microsoft.com/v1.0", "graph.microsoft.com", "https://"} {
		if _, err := graph.New(graph.Config{BaseURL: u}); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("New(%q) err = %v, want EINVALID", u, err)
		}
	}
	c, err := graph.New(graph.Config{})
	if err != nil || c.BaseURL() != graph.DefaultBaseURL {
		t.Errorf("default base URL: %v, %v", c, err)
	}
}

type countingTransport struct {
	n    int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func TestHTTPClientTransportIsUsed(t *testing.T) {
	t.Parallel()
	ct := &countingTransport{next: http.DefaultTransport}
	f, c := newFake(t, func(cfg *graph.Config) { cfg.HTTPClient = &http.Client{Transport: ct} })
	if _, err := c.CreateMeeting(context.Background(), workshop()); err != nil {
		t.Fatal(err)
	}
	if ct.n != len(f.Requests()) || ct.n == 0 {
		t.Errorf("transport saw %d requests, the fake %d", ct.n, len(f.Requests()))
	}
}
