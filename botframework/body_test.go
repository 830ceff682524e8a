package botframework

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// The buffer goes back to the pool only when the caller and every reader
// the transport got are done: a transport may close a body after Do
// returns.
func TestSharedBodyRefs(t *testing.T) {
	var p bodyPool
	b := p.get()
	*b.buf = append(*b.buf, `{"type":"message"}`...)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	b.attach(req)
	if req.ContentLength != int64(len(`{"type":"message"}`)) {
		t.Errorf("ContentLength %d", req.ContentLength)
	}
	retry, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	b.release() // the caller is done; both readers are still open
	if got := b.refs.Load(); got != 2 {
		t.Fatalf("refs %d after the caller's release; want 2", got)
	}
	for i, r := range []io.ReadCloser{req.Body, retry} {
		data, err := io.ReadAll(r)
		if err != nil || string(data) != `{"type":"message"}` {
			t.Errorf("reader %d read %q, %v", i, data, err)
		}
		_ = r.Close()
		_ = r.Close() // a second Close must not release twice
	}
	if got := b.refs.Load(); got != 0 {
		t.Errorf("refs %d after every reader closed; want 0", got)
	}
}

func TestSharedBodyEmpty(t *testing.T) {
	b := fixedBody(nil)
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
	b.attach(req)
	if req.Body != http.NoBody || req.ContentLength != 0 {
		t.Errorf("empty body: %v, length %d; want NoBody, 0", req.Body, req.ContentLength)
	}
}

// Concurrent replies through one Connector share its pool: each must reach
// the connector exactly as encoded, also when it is sent twice (429, then
// success).
func TestConnectorPooledBodies(t *testing.T) {
	fc := startConnector(t)
	c := fastConnector(&stubTokens{})
	const n = 64
	for range n / 8 {
		fc.FailNext(http.StatusTooManyRequests, "")
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			text := fmt.Sprintf("reply %d %s", i, strings.Repeat("x", 100*i))
			if _, err := c.Reply(context.Background(), fc.URL(), "a:conv", fmt.Sprintf("act-%d", i), msg(text)); err != nil {
				t.Errorf("reply %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	calls := fc.Calls()
	if len(calls) != n+n/8 {
		t.Fatalf("%d calls; want %d", len(calls), n+n/8)
	}
	for _, call := range calls {
		var i int
		if _, err := fmt.Sscanf(call.ActivityID, "act-%d", &i); err != nil {
			t.Fatalf("call to %s", call.Path)
		}
		want := fmt.Sprintf("reply %d %s", i, strings.Repeat("x", 100*i))
		if got := call.Activity()["text"]; got != want {
			t.Errorf("%s carried text %.40q…; want %.40q…", call.ActivityID, got, want)
		}
	}
}
