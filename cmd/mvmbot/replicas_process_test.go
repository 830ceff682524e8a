package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// replicaProc is a `mvmbot serve` process of the test's binary.
type replicaProc struct {
	name string
	cmd  *exec.Cmd
	addr string
	log  *syncBuffer
	done chan struct{}
}

// startReplica runs the binary at bin with e and waits until it listens
// (its JSON log names the address).
func startReplica(t *testing.T, bin, name string, e env) *replicaProc {
	t.Helper()
	p := &replicaProc{name: name, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve")
	p.cmd.Env = os.Environ()
	for k, v := range e {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.log.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mvmbot listening" {
				listening <- rec.Addr
			}
		}
	}()
	select {
	case p.addr = <-listening:
	case <-p.done:
		t.Fatalf("%s ended before listening\n%s", name, p.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not listen within 30s\n%s", name, p.log)
	}
	return p
}

// graphFront stands between the replicas and the fake Graph: each replica
// has its own base URL, so the front knows which one sent a request, and
// the response to the first event create is held back (the meeting is
// created at Graph, its replica never hears so) until that replica dies.
type graphFront struct {
	srv   *httptest.Server
	held  chan string // the replica whose create is held
	once  sync.Once
	proxy *httputil.ReverseProxy
}

func newGraphFront(t *testing.T, g *fakes.Graph) *graphFront {
	u, _ := url.Parse(strings.TrimSuffix(g.URL(), "/v1.0"))
	f := &graphFront{held: make(chan string, 1), proxy: httputil.NewSingleHostReverseProxy(u)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /REPLICA/v1.0/… → /v1.0/…
		name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		r.URL.Path = "/" + rest
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/events") {
			first := false
			f.once.Do(func() { first = true })
			if first {
				rec := httptest.NewRecorder()
				f.proxy.ServeHTTP(rec, r)
				f.held <- name
				<-r.Context().Done() // until the replica's connection dies
				return
			}
		}
		f.proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *graphFront) url(replica string) string { return f.srv.URL + "/" + replica + "/v1.0" }

// TestReplicaKilledMidGraphJob runs two `mvmbot serve` processes on one
// PostgreSQL database with auth on. The workshop is set up through one
// replica and picked through the other; the replica that takes the
// meeting's create job is killed with SIGKILL once Graph has created the
// meeting but before it hears so. The other replica runs the job again
// when the lease ends: Graph sees the same transactionId twice and keeps
// one meeting, and the invitation is posted once.
func TestReplicaKilledMidGraphJob(t *testing.T) {
	pg := pgtest.Schema(t)
	if testing.Short() {
		t.Skip("builds and runs mvmbot processes")
	}
	bin := filepath.Join(t.TempDir(), "mvmbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	w := newWorld(t)
	g := fakes.NewGraph()
	t.Cleanup(g.Close)
	front := newGraphFront(t, g)
	const organizer = "mst@contoso.example"
	procs := map[string]*replicaProc{}
	for _, name := range []string{"a", "b"} {
		e := withGraph(w.authEnv(), g, organizer)
		e["GRAPH_BASE_URL"], e["MVMBOT_STORE"], e["MVMBOT_JOB_LEASE"], e["PORT"] = front.url(name), pg, "3s", "0"
		delete(e, "MVMBOT_DB")
		procs[name] = startReplica(t, bin, name, e)
	}
	a, b := procs["a"].addr, procs["b"].addr
	token, err := w.issuer.Token(testAppID, w.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	card := invokeCard(t, a, w.groupInvoke("k1", "setupSave", map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	}), token)
	if !strings.Contains(card, "you are its lead") {
		t.Fatalf("setup: %s", card)
	}
	// The partner's assessment (1699) first: the workshops wait for it.
	edit := findData(t, card, "setup")
	if done := invokeCard(t, a, w.groupInvoke("k1b", "done", map[string]any{"engagement": edit["engagement"], "version": edit["version"], "task": "assessment"}), token); !strings.Contains(done, "1699") {
		t.Fatalf("done 1699: %s", done)
	}
	list := invokeCard(t, b, w.groupInvoke("k2", "workshops", map[string]any{"engagement": edit["engagement"]}), token)
	together := findTask(t, list, "workshopSchedule", playbook.WorkshopTogether)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	slotsData := map[string]any{"minutes": "90", "earliest": tomorrow, "fromHour": "9", "toHour": "17"}
	for k, v := range findData(t, invokeCard(t, a, w.groupInvoke("k3", "workshopSchedule", together), token), "workshopSlots") {
		slotsData[k] = v
	}
	slots := invokeCard(t, b, w.groupInvoke("k4", "workshopSlots", slotsData), token)
	pick := firstSlot(t, slots)
	if s := invokeCard(t, a, w.groupInvoke("k5", "workshopPick", pick), token); !strings.Contains(s, "Scheduling") {
		t.Fatalf("pick: %s", s)
	}

	var victim string
	select {
	case victim = <-front.held:
	case <-time.After(60 * time.Second):
		t.Fatalf("no meeting create reached Graph\n%s\n%s", procs["a"].log, procs["b"].log)
	}
	if err := procs[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-procs[victim].done

	deadline := time.Now().Add(60 * time.Second)
	posted := 0
	for posted == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		posted = 0
		for _, c := range w.conn.Calls() {
			if strings.Contains(string(c.Body), "The Teams meeting is created") {
				posted++
			}
		}
	}
	if posted != 1 {
		t.Fatalf("invitation posted %d times, want 1 (replica %s was killed)\n%s\n%s", posted, victim, procs["a"].log, procs["b"].log)
	}
	creates := g.RequestsTo(http.MethodPost, "/users/"+organizer+"/events")
	if len(creates) != 2 {
		t.Errorf("%d event creates reached Graph, want 2 (the killed replica's and the survivor's)", len(creates))
	}
	evs := g.Events()
	if len(evs) != 1 {
		t.Fatalf("%d meetings at Graph, want 1", len(evs))
	}
	at, _, _ := strings.Cut(pick["slot"].(string), "/") // "start/minutes"
	start, _ := time.Parse(time.RFC3339, at)
	if txn, _ := evs[0]["transactionId"].(string); txn != playbook.MeetingTransactionID(together["engagement"].(string), playbook.WorkshopTogether, start) {
		t.Errorf("meeting transactionId %q", txn)
	}
	time.Sleep(time.Second) // a second post, were there one, would be out by now
	n := 0
	for _, c := range w.conn.Calls() {
		if strings.Contains(string(c.Body), "The Teams meeting is created") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("invitation posted %d times, want 1", n)
	}
}
