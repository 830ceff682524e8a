package main

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/encoding/json"
)

// sink plays the Bot Connector the bots reply to. It is on the hot path of
// every measurement (each turn ends here), so it does the least it can:
// timestamp on arrival, find the inbound activity id, hand the time to the
// waiting worker, answer 200 {"id": ...}. It keeps nothing per call, unlike
// fakes.Connector, whose record of every call would grow for the whole run.
// It reads a reply with segmentio's decoder, several times faster than
// encoding/json: the sink shares the cores with the bot it measures, and
// what it spends decoding a task card (some kilobytes) counts against the
// bots that send cards.
type sink struct {
	srv    *http.Server
	url    string
	gen    atomic.Pointer[generator]
	nextID atomic.Int64
	other  atomic.Int64
}

func newSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{url: "http://" + ln.Addr().String() + "/"}
	// A bare Handler, not a ServeMux: the mux would redirect a path with a
	// double slash (serviceUrl's trailing one plus the client's), and some
	// clients build exactly that.
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) close() { _ = s.srv.Close() }

// attach routes replies to g (nil: none) and resets the count of calls that
// were not replies.
func (s *sink) attach(g *generator) {
	s.gen.Store(g)
	s.other.Store(0)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

type replyBody struct {
	Type      string `json:"type"`
	ReplyToID string `json:"replyToId"`
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf, _ := readAll((*bp)[:0], io.LimitReader(r.Body, 1<<20))
	*bp = buf

	path := r.URL.Path
	switch r.Method {
	case http.MethodPost:
		if strings.HasSuffix(strings.TrimSuffix(path, "/"), "/v3/conversations") {
			s.other.Add(1)
			n := s.nextID.Add(1)
			writeJSON(w, http.StatusCreated, `{"id":"a:sink-conversation-`+strconv.FormatInt(n, 10)+`","activityId":"sink-`+strconv.FormatInt(n, 10)+`"}`)
			return
		}
		var b replyBody
		_ = json.Unmarshal(buf, &b)
		id := activityIDFromPath(path)
		if id == "" {
			id = b.ReplyToID
		}
		// Only a message counts as the reply: a typing indicator sent first
		// would otherwise end the turn early.
		g := s.gen.Load()
		if b.Type != "message" || g == nil || !g.deliver(id, now) {
			s.other.Add(1)
		}
		s.writeID(w)
	case http.MethodPut:
		s.other.Add(1)
		s.writeID(w)
	case http.MethodDelete:
		s.other.Add(1)
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		s.other.Add(1)
		if strings.HasSuffix(strings.TrimSuffix(path, "/"), "/members") {
			writeJSON(w, http.StatusOK, `[`+benchMember+`]`)
			return
		}
		writeJSON(w, http.StatusOK, benchMember)
	default:
		s.other.Add(1)
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

const benchMember = `{"id":"29:user-0","name":"Bench User 0","aadObjectId":"00000000-0000-4000-8000-000000000000","userPrincipalName":"user0@bench.invalid","tenantId":"` + tenantID + `"}`

func (s *sink) writeID(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, `{"id":"sink-`+strconv.FormatInt(s.nextID.Add(1), 10)+`"}`)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// activityIDFromPath returns the {activityId} of
// .../v3/conversations/{conversationId}/activities/{activityId}, or "" for a
// send to the conversation (no activity id in the path).
func activityIDFromPath(path string) string {
	const seg = "/activities/"
	i := strings.LastIndex(path, seg)
	if i < 0 {
		return ""
	}
	id := path[i+len(seg):]
	if j := strings.IndexByte(id, '/'); j >= 0 {
		id = id[:j]
	}
	return id
}

func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}
