package graph_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
)

const organizer = "mst@contoso.com"

// newFake starts a fake Graph and a client on it. Retries wait whole
// seconds (Retry-After: 1); re-reads for a join URL wait 1 ms.
func newFake(t *testing.T, tune ...func(*graph.Config)) (*fakes.Graph, *graph.Client) {
	t.Helper()
	f := fakes.NewGraph()
	t.Cleanup(f.Close)
	cfg := graph.Config{
		BaseURL:        f.URL(),
		Organizer:      organizer,
		RetryBaseDelay: time.Second,
		JoinURLDelay:   time.Millisecond,
	}
	for _, fn := range tune {
		fn(&cfg)
	}
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatalf("graph.New: %v", err)
	}
	return f, c
}

// assertJSON compares a request body with the expected JSON, ignoring key
// order and whitespace.
func assertJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		gi, _ := json.MarshalIndent(g, "", "  ")
		wi, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, gi, wi)
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := playbook.ErrorCode(err); got != code {
		t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, code)
	}
}

// one returns the only request with method and path prefix.
func one(t *testing.T, f *fakes.Graph, method, prefix string) fakes.GraphRequest {
	t.Helper()
	reqs := f.RequestsTo(method, prefix)
	if len(reqs) != 1 {
		t.Fatalf("%d requests %s %s, want 1 (all: %v)", len(reqs), method, prefix, paths(f.Requests()))
	}
	return reqs[0]
}

func paths(reqs []fakes.GraphRequest) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
