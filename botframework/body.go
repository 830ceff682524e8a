package botframework

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
)

// bodyPool holds the buffers outgoing activities are encoded into. A card
// is kilobytes, and on a busy endpoint a fresh buffer per reply was the
// largest single allocation of a "next steps" turn.
type bodyPool struct{ p sync.Pool }

// maxPooledBody keeps the odd huge card from pinning its buffer.
const maxPooledBody = 64 << 10

// get returns an empty body whose buffer comes from the pool.
func (p *bodyPool) get() *sharedBody {
	b := &sharedBody{pool: p}
	if buf, ok := p.p.Get().(*[]byte); ok {
		b.buf = buf
	} else {
		buf := make([]byte, 0, 4096)
		b.buf = &buf
	}
	b.refs.Store(1)
	return b
}

// sharedBody is an encoded request body lent to the transport, attempt by
// attempt. A transport may close a request's body after Do returns (see
// net/http.RoundTripper), so the buffer goes back to the pool only once the
// caller has released it and every reader handed out has been closed.
type sharedBody struct {
	buf  *[]byte
	pool *bodyPool // nil: not pooled
	refs atomic.Int32
}

// fixedBody is a body over bytes that are not the pool's.
func fixedBody(b []byte) *sharedBody {
	bd := &sharedBody{buf: &b}
	bd.refs.Store(1)
	return bd
}

// attach makes b the body of req, with GetBody for the transport's own
// retries of a request it could not send.
func (b *sharedBody) attach(req *http.Request) {
	req.ContentLength = int64(len(*b.buf))
	if req.ContentLength == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = b.reader()
	req.GetBody = func() (io.ReadCloser, error) { return b.reader(), nil }
}

func (b *sharedBody) reader() io.ReadCloser {
	b.refs.Add(1)
	r := &bodyReader{b: b}
	r.Reset(*b.buf)
	return r
}

// release gives up one reference; the last one returns the buffer.
func (b *sharedBody) release() {
	if b.refs.Add(-1) != 0 || b.pool == nil {
		return
	}
	if cap(*b.buf) <= maxPooledBody {
		*b.buf = (*b.buf)[:0]
		b.pool.p.Put(b.buf)
	}
}

type bodyReader struct {
	bytes.Reader
	b    *sharedBody
	once sync.Once
}

func (r *bodyReader) Close() error {
	r.once.Do(r.b.release)
	return nil
}
