package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestActivityIDFromPath(t *testing.T) {
	for path, want := range map[string]string{
		"/v3/conversations/a:conv-1/activities/bench-x-0-1-7":  "bench-x-0-1-7",
		"//v3/conversations/a:conv-1/activities/bench-x-0-1-7": "bench-x-0-1-7",
		"/v3/conversations/a:conv-1/activities/bench-x-0-1-7/": "bench-x-0-1-7",
		"/v3/conversations/a:conv-1/activities":                "",
		"/v3/conversations/a:conv-1/activities/":               "",
	} {
		if got := activityIDFromPath(path); got != want {
			t.Errorf("activityIDFromPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestPct(t *testing.T) {
	var lats []time.Duration
	for i := 1; i <= 100; i++ {
		lats = append(lats, time.Duration(i)*time.Millisecond)
	}
	if p := pct(lats, 0.99); p != 99 {
		t.Errorf("p99 = %v, want 99", p)
	}
	if p := pct(lats, 0.50); p != 50 {
		t.Errorf("p50 = %v, want 50", p)
	}
	if p := pct(nil, 0.5); p != 0 {
		t.Errorf("p50 of nothing = %v", p)
	}
}

// A late reply to an earlier turn must not complete the current one.
func TestDeliverIgnoresStaleReplies(t *testing.T) {
	g := &generator{cfg: config{concurrency: 2}, prefix: "bench-t-0-"}
	g.workers = []*worker{{replies: make(chan reply, 4)}, {replies: make(chan reply, 4)}}
	g.workers[1].cur.Store(5)
	if !g.deliver("bench-t-0-1-4", time.Now()) || len(g.workers[1].replies) != 0 {
		t.Fatal("stale reply was delivered")
	}
	if !g.deliver("bench-t-0-1-5", time.Now()) || len(g.workers[1].replies) != 1 {
		t.Fatal("current reply was not delivered")
	}
	for _, id := range []string{"other-1-5", "bench-t-0-9-1", "bench-t-0-x"} {
		if g.deliver(id, time.Now()) {
			t.Errorf("deliver(%q) claimed a foreign id", id)
		}
	}
}

// The whole loop against an in-process echo bot: every turn completes.
func TestRunAgainstEchoBot(t *testing.T) {
	s, err := newSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	client := &http.Client{Timeout: 5 * time.Second}
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		var a struct {
			ID           string `json:"id"`
			ServiceURL   string `json:"serviceUrl"`
			Text         string `json:"text"`
			Conversation struct {
				ID string `json:"id"`
			} `json:"conversation"`
		}
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// A typing indicator first: it must not count as the reply.
		for _, typ := range []string{"typing", "message"} {
			body, _ := json.Marshal(map[string]string{"type": typ, "text": a.Text, "replyToId": a.ID})
			resp, err := client.Post(a.ServiceURL+"v3/conversations/"+a.Conversation.ID+"/activities/"+a.ID, "application/json", bytes.NewReader(body))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}))
	defer bot.Close()

	cfg := config{
		auth:          map[string]bool{},
		duration:      300 * time.Millisecond,
		warmup:        100 * time.Millisecond,
		concurrency:   4,
		conversations: 3,
		text:          "next steps",
		seeds:         []string{"seed"},
		timeout:       2 * time.Second,
		readyTimeout:  2 * time.Second,
		maxRequests:   100_000,
		logDir:        t.TempDir(),
	}
	r := runTarget(context.Background(), cfg, 0, namedCmd{"echo", bot.URL}, s, nil)
	if r.Failure != "" || r.Errors != 0 || r.OK == 0 {
		t.Fatalf("result %+v", r)
	}
	if r.OtherCalls < r.OK {
		t.Errorf("typing indicators counted: other calls %d < turns %d", r.OtherCalls, r.OK)
	}
	if r.P50ms <= 0 || r.P99ms < r.P50ms {
		t.Errorf("latencies p50 %v p99 %v", r.P50ms, r.P99ms)
	}
	var out strings.Builder
	printTable(&out, cfg, []*result{r})
	if !strings.Contains(out.String(), "echo") {
		t.Errorf("table lacks the row:\n%s", out.String())
	}
}
