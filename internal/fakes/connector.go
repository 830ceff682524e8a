package fakes

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Call is one request the fake connector received.
type Call struct {
	Method         string
	Path           string
	ConversationID string
	ActivityID     string // the activity replied to, updated or deleted; "" for a plain send
	Authorization  string
	Body           []byte
}

// Activity decodes the call's body as a JSON object.
func (c Call) Activity() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(c.Body, &m)
	return m
}

// Connector plays the Bot Connector REST API (v3) that a bot calls at the
// serviceUrl of an inbound activity. It records every call.
type Connector struct {
	srv *httptest.Server

	mu       sync.Mutex
	calls    []Call
	changed  chan struct{}
	failures []failure
	members  []map[string]any
	onCall   func(Call)
	nextID   int
}

type failure struct {
	status     int
	retryAfter string
	reset      bool // accept the call, then reset the connection unanswered
}

// NewConnector starts a fake connector.
func NewConnector() *Connector {
	c := &Connector{changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/conversations", c.serveCreate)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities", c.serveActivity)
	mux.HandleFunc("POST /v3/conversations/{conv}/activities/{id}", c.serveActivity)
	mux.HandleFunc("PUT /v3/conversations/{conv}/activities/{id}", c.serveActivity)
	mux.HandleFunc("DELETE /v3/conversations/{conv}/activities/{id}", c.serveActivity)
	mux.HandleFunc("GET /v3/conversations/{conv}/members", c.serveMembers)
	c.srv = httptest.NewServer(mux)
	return c
}

// URL is the serviceUrl to put in inbound activities (with a trailing slash,
// as Teams sends it).
func (c *Connector) URL() string { return c.srv.URL + "/" }

// Close stops the server.
func (c *Connector) Close() { c.srv.Close() }

// OnCall registers fn to run for every call, after it is recorded and before
// it is answered.
func (c *Connector) OnCall(fn func(Call)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onCall = fn
}

// FailNext makes the next call answer status, with a Retry-After header when
// retryAfter is not empty. Calls queue: FailNext twice fails two calls.
func (c *Connector) FailNext(status int, retryAfter string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, failure{status: status, retryAfter: retryAfter})
}

// ResetNext makes the next call be accepted (recorded, as a connector that
// posted it) and then answered with a TCP reset instead of a response: the
// sender cannot know the post went through. Queues with FailNext.
func (c *Connector) ResetNext() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = append(c.failures, failure{reset: true})
}

// SetMembers sets the roster GET .../members returns.
func (c *Connector) SetMembers(members []map[string]any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members = members
}

// Calls returns a copy of the calls recorded so far, failed ones included.
func (c *Connector) Calls() []Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Call(nil), c.calls...)
}

// WaitCalls waits until at least n calls are recorded or timeout passes, and
// returns the calls recorded by then.
func (c *Connector) WaitCalls(n int, timeout time.Duration) []Call {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		if len(c.calls) >= n {
			calls := append([]Call(nil), c.calls...)
			c.mu.Unlock()
			return calls
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			return c.Calls()
		}
	}
}

func (c *Connector) record(r *http.Request) (Call, *failure) {
	body, _ := io.ReadAll(r.Body)
	call := Call{
		Method:         r.Method,
		Path:           r.URL.Path,
		ConversationID: r.PathValue("conv"),
		ActivityID:     r.PathValue("id"),
		Authorization:  r.Header.Get("Authorization"),
		Body:           body,
	}
	c.mu.Lock()
	c.calls = append(c.calls, call)
	close(c.changed)
	c.changed = make(chan struct{})
	var f *failure
	if len(c.failures) > 0 {
		f = &c.failures[0]
		c.failures = c.failures[1:]
	}
	c.nextID++
	onCall := c.onCall
	c.mu.Unlock()
	if onCall != nil {
		onCall(call)
	}
	return call, f
}

func (c *Connector) fail(w http.ResponseWriter, f *failure) {
	if f.reset {
		resetConn(w)
		return
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	writeJSON(w, f.status, map[string]any{"error": map[string]any{
		"code":    "Throttled",
		"message": "fake connector failure " + strconv.Itoa(f.status),
	}})
}

func (c *Connector) serveActivity(w http.ResponseWriter, r *http.Request) {
	_, f := c.record(r)
	if f != nil {
		c.fail(w, f)
		return
	}
	if r.Method == http.MethodDelete {
		w.WriteHeader(http.StatusOK)
		return
	}
	c.mu.Lock()
	id := fmt.Sprintf("1:activity-%d", c.nextID)
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": id})
}

func (c *Connector) serveCreate(w http.ResponseWriter, r *http.Request) {
	_, f := c.record(r)
	if f != nil {
		c.fail(w, f)
		return
	}
	c.mu.Lock()
	n := c.nextID
	c.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"id":         fmt.Sprintf("a:created-conversation-%d", n),
		"activityId": fmt.Sprintf("1:activity-%d", n),
	})
}

func (c *Connector) serveMembers(w http.ResponseWriter, r *http.Request) {
	_, f := c.record(r)
	if f != nil {
		c.fail(w, f)
		return
	}
	c.mu.Lock()
	members := c.members
	c.mu.Unlock()
	if members == nil {
		members = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, members)
}

// resetConn closes the connection under w with a TCP reset (linger 0).
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakes: the connector's server cannot hijack a connection")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
