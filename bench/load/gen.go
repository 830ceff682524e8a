package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// generator runs the closed loop for one target: each of cfg.concurrency
// workers sends an activity, waits for the POST's answer and for the reply at
// the sink, and only then sends the next. Activity ids are prefix+W-SEQ so the
// sink can hand a reply straight to worker W with no shared map.
type generator struct {
	cfg     config
	client  *http.Client
	urls    []string // the target's replicas, loaded round-robin
	sink    *sink
	convs   []string
	prefix  string
	auth    string
	tails   []string // per conversation: the activity JSON after the timestamp
	workers []*worker
}

type worker struct {
	cur     atomic.Uint64
	replies chan reply
}

type reply struct {
	seq uint64
	at  time.Time
}

// deliver reports whether id is one of this generator's activities.
func (g *generator) deliver(id string, at time.Time) bool {
	rest, ok := strings.CutPrefix(id, g.prefix)
	if !ok {
		return false
	}
	ws, ss, ok := strings.Cut(rest, "-")
	if !ok {
		return false
	}
	w, err1 := strconv.Atoi(ws)
	seq, err2 := strconv.ParseUint(ss, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w >= len(g.workers) {
		return false
	}
	wk := g.workers[w]
	if wk.cur.Load() != seq {
		return true // a late or repeated reply to a turn already counted
	}
	select {
	case wk.replies <- reply{seq, at}:
	default:
	}
	return true
}

func (g *generator) init() {
	g.tails = make([]string, len(g.convs))
	for i := range g.convs {
		g.tails[i] = g.tail(i, g.cfg.text)
	}
	g.workers = make([]*worker, g.cfg.concurrency)
	for i := range g.workers {
		g.workers[i] = &worker{replies: make(chan reply, 4)}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tail is everything of the activity after its id and timestamp: what Teams
// sends for a 1:1 chat message, trimmed to the fields a bot reads.
func (g *generator) tail(conv int, text string) string {
	user := strconv.Itoa(conv)
	return `","localTimestamp":"2025-01-01T12:00:00.000+00:00","serviceUrl":` + jsonString(g.sink.url) +
		`,"channelId":"msteams","from":{"id":"29:user-` + user + `","name":"Bench User ` + user +
		`","aadObjectId":"00000000-0000-4000-8000-` + fmt.Sprintf("%012d", conv) +
		`"},"conversation":{"id":` + jsonString(g.convs[conv]) + `,"conversationType":"personal","tenantId":"` + tenantID +
		`"},"recipient":{"id":"28:` + appID + `","name":"mvmbot"},"text":` + jsonString(text) +
		`,"textFormat":"plain","locale":"en-US","entities":[{"type":"clientInfo","locale":"en-US","country":"US","platform":"Web","timezone":"Europe/London"}]` +
		`,"channelData":{"tenant":{"id":"` + tenantID + `"}}}`
}

func (g *generator) body(id, tail string) []byte {
	b := make([]byte, 0, 64+len(id)+len(tail))
	b = append(b, `{"type":"message","id":"`...)
	b = append(b, id...)
	b = append(b, `","timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, tail...)
	return b
}

// turn sends one activity from worker w and waits for its reply at the sink.
// It returns the end-to-end latency, or an error kind and the error.
func (g *generator) turn(ctx context.Context, w int, seq uint64, tail string) (time.Duration, time.Time, string, error) {
	wk := g.workers[w]
	id := g.prefix + strconv.Itoa(w) + "-" + strconv.FormatUint(seq, 10)
	wk.cur.Store(seq)
	// A fresh body per request: the transport may still hold the previous
	// one's reader after Do returns.
	body := g.body(id, tail)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.urls[(w+int(seq))%len(g.urls)], bytes.NewReader(body))
	if err != nil {
		return 0, time.Now(), "request", err
	}
	req.Header["Content-Type"] = []string{"application/json; charset=utf-8"}
	if g.auth != "" {
		req.Header["Authorization"] = []string{g.auth}
	}
	start := time.Now()
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, time.Now(), "transport", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, time.Now(), "http " + strconv.Itoa(resp.StatusCode), fmt.Errorf("POST answered %s", resp.Status)
	}
	timer := time.NewTimer(time.Until(start.Add(g.cfg.timeout)))
	defer timer.Stop()
	for {
		select {
		case r := <-wk.replies:
			if r.seq == seq {
				return r.at.Sub(start), r.at, "", nil
			}
		case <-timer.C:
			return 0, time.Now(), "no reply", fmt.Errorf("no reply to %s within %s", id, g.cfg.timeout)
		case <-ctx.Done():
			return 0, time.Now(), "cancelled", ctx.Err()
		}
	}
}

// seed sends each -seed text to each conversation once, in order, and waits
// for every reply, so a run can start from a prepared state.
func (g *generator) seed(ctx context.Context) error {
	var seq uint64 = 1 << 40 // apart from the load's sequence numbers
	for _, text := range g.cfg.seeds {
		for c := range g.convs {
			seq++
			if _, _, _, err := g.turn(ctx, 0, seq, g.tail(c, text)); err != nil {
				return fmt.Errorf("%q to %s: %w", text, g.convs[c], err)
			}
		}
	}
	return nil
}

type workerStats struct {
	lats     []time.Duration
	errs     map[string]int
	firstErr string
	firstAt  time.Time
}

func (g *generator) run(ctx context.Context, procs children, r *result) {
	begin := time.Now()
	winStart := begin.Add(g.cfg.warmup)
	winEnd := winStart.Add(g.cfg.duration)
	// Turns still in flight at the end of the window cannot count, so they
	// are cut off rather than waited for.
	ctx, cancel := context.WithDeadline(ctx, winEnd)
	defer cancel()

	var cpuMu sync.Mutex
	var tgtCPU0, selfCPU0 time.Duration
	tgtOK := false
	cpuAt := time.AfterFunc(time.Until(winStart), func() {
		cpuMu.Lock()
		defer cpuMu.Unlock()
		selfCPU0, _ = cpuTime("self")
		if len(procs) > 0 {
			var err error
			tgtCPU0, err = procs.cpu()
			tgtOK = err == nil
		}
	})
	defer cpuAt.Stop()

	var started atomic.Int64
	stats := make([]workerStats, g.cfg.concurrency)
	var wg sync.WaitGroup
	for w := range g.cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := &stats[w]
			st.lats = make([]time.Duration, 0, 1<<14)
			st.errs = map[string]int{}
			var seq uint64
			for ctx.Err() == nil && started.Add(1) <= g.cfg.maxRequests {
				seq++
				lat, at, kind, err := g.turn(ctx, w, seq, g.tails[(w+int(seq))%len(g.tails)])
				inWindow := !at.Before(winStart) && at.Before(winEnd)
				if err == nil {
					if inWindow {
						st.lats = append(st.lats, lat)
					}
					continue
				}
				if kind == "cancelled" || (ctx.Err() != nil && !inWindow) {
					break
				}
				if inWindow {
					st.errs[kind]++
					if st.firstErr == "" {
						st.firstErr, st.firstAt = err.Error(), at
					}
				}
				if kind == "transport" {
					if procs.exited() != nil {
						return
					}
					// A refused connection fails in microseconds; do not spin.
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	end := time.Now()

	cpuMu.Lock()
	if selfCPU1, err := cpuTime("self"); err == nil && !end.Before(winStart) {
		r.LoadCPUSec = (selfCPU1 - selfCPU0).Seconds()
	}
	if tgtOK {
		if c, err := procs.cpu(); err == nil {
			r.CPUSec = (c - tgtCPU0).Seconds()
		}
	}
	cpuMu.Unlock()

	var lats []time.Duration
	r.ErrorKinds = map[string]int{}
	var firstAt time.Time
	for _, st := range stats {
		lats = append(lats, st.lats...)
		for k, n := range st.errs {
			r.ErrorKinds[k] += n
			r.Errors += int64(n)
		}
		if st.firstErr != "" && (firstAt.IsZero() || st.firstAt.Before(firstAt)) {
			r.FirstError, firstAt = st.firstErr, st.firstAt
		}
	}
	if len(r.ErrorKinds) == 0 {
		r.ErrorKinds = nil
	}
	slices.Sort(lats)
	r.OK = int64(len(lats))
	r.Requests = r.OK + r.Errors
	window := g.cfg.duration
	if end.Before(winEnd) { // stopped early: the target died or the cap was hit
		window = max(end.Sub(winStart), 0)
	}
	r.WindowSec = window.Seconds()
	if window > 0 {
		r.Throughput = float64(r.OK) / window.Seconds()
	}
	r.P50ms, r.P95ms, r.P99ms = pct(lats, 0.50), pct(lats, 0.95), pct(lats, 0.99)
	if n := len(lats); n > 0 {
		r.MaxMs = ms(lats[n-1])
	}
	r.OtherCalls = g.sink.other.Load()
	if r.OK == 0 && r.Failure == "" {
		r.Failure = "no turn completed in the window"
		if r.FirstError != "" {
			r.Failure += ": " + r.FirstError
		}
		if len(procs) > 0 {
			r.Failure += " (target output: " + procs[0].logFile + ")"
		}
	}
	if g.cfg.maxRequests > 0 && started.Load() > g.cfg.maxRequests {
		fmt.Fprintf(os.Stderr, "load: %s: hit -max-requests %d\n", r.Target, g.cfg.maxRequests)
	}
}

// pct is the nearest-rank percentile of sorted lats, in milliseconds.
func pct(sorted []time.Duration, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(q*float64(n)+0.999999) - 1
	return ms(sorted[min(max(i, 0), n-1)])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
