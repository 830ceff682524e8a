// Command chaos builds mvmbot, runs it with auth on against the local fakes
// (Bot Framework token issuer, Entra authority, Bot Connector, Graph; all
// in this process, on loopback), drives it with signed Teams activities and
// kills it with SIGKILL again and again: at random moments and while each
// durable job kind is at work (a reply at the connector, a meeting created
// at Graph, a group and a list created at Graph) and once during
// `mvmbot purge --apply` (purge.go). Each time it restarts the bot on the
// same bbolt file. At the end it stops the bot and checks:
//
//   - every activity the bot acknowledged (HTTP 200) is recorded in the file;
//   - every acknowledged message got its reply, and how many got two;
//   - each Graph side effect was made once (one meeting per transactionId,
//     one group per alias, one list per name on each site);
//   - every job finished or was dead-lettered (none left due);
//   - the file opens and passes bbolt's consistency check;
//   - no byte of a purged engagement's marker is in the file, beside it or
//     in a backup taken after the purges, and every change acknowledged
//     while a purge ran is in the file.
//
// It prints the figures and exits non-zero when a check fails. Run it from
// the repository's root: go run ./scripts/chaos. It stops by itself within
// -duration (plus the time to build and to drain), after at most -kills.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
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
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

const (
	appID     = "11111111-2222-3333-4444-555555555555"
	tenant    = "99999999-8888-7777-6666-555555555555"
	organizer = "mst@contoso.example"
)

func main() {
	duration := flag.Duration("duration", 30*time.Second, "how long to drive and kill the bot (each round runs once at least)")
	kills := flag.Int("kills", 30, "at most this many kills")
	port := flag.Int("port", 0, "the bot's port (loopback); 0: one the system picks")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (printed, to replay a run)")
	keep := flag.Bool("keep", false, "keep the work directory (the bbolt file and the bot's logs)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "mvmbot-chaos")
	if err != nil {
		fail(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	c, err := newChaos(dir, *port, *seed)
	if err != nil {
		fail(err)
	}
	defer c.close()
	res, err := c.run(*duration, *kills)
	res.print(os.Stdout)
	if err != nil {
		c.close()
		if !*keep {
			os.RemoveAll(dir)
		}
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "FAIL:", err)
	os.Exit(1)
}

// chaos is one run: the fakes, the bot binary and its current process.
type chaos struct {
	dir    string
	port   int
	rnd    *rand.Rand
	seed   uint64
	bin    string
	db     string
	issuer *fakes.Issuer
	auth   *fakes.Authority
	conn   *fakes.Connector
	graph  *fakes.Graph
	front  *front
	token  string
	fx     *sideEffects

	mu    sync.Mutex
	proc  *proc
	armed string // the job kind whose next request kills the bot: "send", "event", "group", "list", "cancel", "item", "remind", "escalation"
	// (the purge round kills by itself: c.kills["purge"])
	// reportArmed kills the bot when the weekly report's post reaches the
	// connector; it waits for its minute apart from the rounds.
	reportArmed bool
	reportAt    time.Time
	killd       chan string
	kills       map[string]int // by kind

	acked   map[string]string    // activity id → conversation, for activities answered 200
	ackedAt map[string]time.Time // activity id → when it was answered
	// noteConvs are the conversations whose engagement gets notes under
	// load (conversation → engagement id): each acknowledged note must be
	// in that engagement's history.
	noteConvs map[string]string
	// purgedConvs are the conversations of the engagements the purge round
	// purged: their activities' records go with them (purge.go).
	purgedConvs map[string]bool
	ackedMu     sync.Mutex
	pf          purgeFigures
}

func newChaos(dir string, port int, seed uint64) (*chaos, error) {
	c := &chaos{dir: dir, port: port, seed: seed, rnd: rand.New(rand.NewPCG(seed, 20)), db: filepath.Join(dir, "mvmbot.db"),
		killd: make(chan string, 64), kills: map[string]int{}, acked: map[string]string{}, ackedAt: map[string]time.Time{},
		noteConvs: map[string]string{}, purgedConvs: map[string]bool{}, fx: newSideEffects()}
	var err error
	if c.issuer, err = fakes.NewIssuer(); err != nil {
		return nil, err
	}
	if c.auth, err = fakes.NewAuthority(); err != nil {
		return nil, err
	}
	if err := c.auth.WriteCA(filepath.Join(dir, "ca.pem")); err != nil {
		return nil, err
	}
	c.conn = fakes.NewConnector()
	c.graph = fakes.NewGraph()
	c.front = newFront(c.graph, c.killOn, c.fx.graphDone)
	c.conn.OnCall(func(call fakes.Call) {
		c.fx.connectorCall(call, c.killCount())
		switch {
		case call.Method != http.MethodPost:
		case bytes.Contains(call.Body, []byte(reportTitle)):
			c.killReport()
		case bytes.Contains(call.Body, []byte("Reminder: the **")):
			c.killOn("remind")
		case bytes.Contains(call.Body, []byte("without being acknowledged")):
			c.killOn("escalation")
		case call.ActivityID != "":
			c.killOn("send")
		}
	})
	if c.token, err = c.issuer.Token(appID, c.conn.URL(), time.Hour); err != nil {
		return nil, err
	}
	c.bin = filepath.Join(dir, "mvmbot")
	if out, err := exec.Command("go", "build", "-o", c.bin, "./cmd/mvmbot").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build mvmbot (run from the repository's root): %v\n%s", err, out)
	}
	return c, nil
}

func (c *chaos) close() {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p != nil {
		p.kill()
	}
	c.front.srv.Close()
	c.graph.Close()
	c.conn.Close()
	c.auth.Close()
	c.issuer.Close()
}

// killOn kills the bot with SIGKILL when kind is armed: the request that
// called it has reached the fake, which has done (or is about to do) its
// side effect, and the bot never hears the answer.
func (c *chaos) killOn(kind string) {
	c.mu.Lock()
	if c.armed != kind || c.proc == nil {
		c.mu.Unlock()
		return
	}
	c.armed = ""
	c.kills[kind]++
	p := c.proc
	c.mu.Unlock()
	p.kill()
	c.killd <- kind
}

// killReport is killOn for the weekly report's post.
func (c *chaos) killReport() {
	c.mu.Lock()
	if !c.reportArmed || c.proc == nil {
		c.mu.Unlock()
		return
	}
	c.reportArmed = false
	c.kills["report"]++
	p := c.proc
	c.mu.Unlock()
	p.kill()
	c.killd <- "report"
}

func (c *chaos) arm(kind string) {
	c.mu.Lock()
	c.armed = kind
	c.mu.Unlock()
}

func (c *chaos) env() []string {
	e := map[string]string{
		"MicrosoftAppId":       appID,
		"MicrosoftAppPassword": "placeholder-secret",
		"MicrosoftAppTenantId": tenant,
		"BotOpenIdMetadata":    c.issuer.MetadataURL(),
		"AZURE_AUTHORITY_HOST": c.auth.URL(),
		"SSL_CERT_FILE":        filepath.Join(c.dir, "ca.pem"),
		"MVMBOT_DB":            c.db,
		"MVMBOT_LOG_FORMAT":    "json",
		"MVMBOT_LOG_LEVEL":     "debug", // "job done" is a debug line: the count of finished jobs
		// Short, so that a job a kill left leased is not held for minutes,
		// yet longer than a job's longest run here: the retry round's
		// attempt waits out Graph's Retry-After in place three times (3 s),
		// and a lease that ends first lets the same job run twice at once
		// (the lease rule TestDefaultLeaseOutlastsAJob holds by default).
		"MVMBOT_JOB_LEASE": "10s",
		// An open escalation is reminded every 8 s instead of every day,
		// so that its reminder job runs (and is killed) during the run.
		"MVMBOT_ESCALATION_REMINDER": "8s",
		"GRAPH_BASE_URL":             c.front.srv.URL + "/v1.0",
		"MVMBOT_ORGANIZER":           organizer,
		"PORT":                       fmt.Sprint(c.port),
	}
	out := os.Environ()
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// proc is one `mvmbot serve`.
type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	once sync.Once
}

func (p *proc) kill() {
	p.once.Do(func() { _ = p.cmd.Process.Signal(syscall.SIGKILL) })
	<-p.done
}

// start runs the bot and waits until it listens. Its log goes to
// bot.log in the work directory.
func (c *chaos) start() error {
	logf, err := os.OpenFile(filepath.Join(c.dir, "bot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(c.bin, "serve")
	p.cmd.Env = c.env()
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() { _ = p.cmd.Wait(); pw.Close(); close(p.done) }()
	listening := make(chan string, 1)
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mvmbot listening" {
				listening <- rec.Addr
			}
		}
	}()
	select {
	case p.addr = <-listening:
	case <-p.done:
		return fmt.Errorf("the bot ended before listening (see %s)", filepath.Join(c.dir, "bot.log"))
	case <-time.After(30 * time.Second):
		p.kill()
		return errors.New("the bot did not listen within 30s")
	}
	c.mu.Lock()
	c.proc = p
	c.mu.Unlock()
	return nil
}

// stop ends the bot with SIGTERM, as a deployment would.
func (c *chaos) stop() {
	c.mu.Lock()
	p := c.proc
	c.proc = nil
	c.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.kill()
	}
}

func (c *chaos) addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return ""
	}
	return c.proc.addr
}

// front stands between the bot and the fake Graph: a request the chaos
// run is waiting for is passed on to Graph (which makes the change), then
// the bot is killed before it hears the answer.
type front struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy
}

func newFront(g *fakes.Graph, killOn func(kind string), done func(r *http.Request, body []byte, status int)) *front {
	u, _ := url.Parse(strings.TrimSuffix(g.URL(), "/v1.0"))
	f := &front{proxy: httputil.NewSingleHostReverseProxy(u)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := ""
		if r.Method == http.MethodPost {
			switch p := r.URL.Path; {
			case strings.HasSuffix(p, "/events"):
				kind = "event"
			case p == "/v1.0/groups":
				kind = "group"
			case strings.HasSuffix(p, "/lists"):
				kind = "list"
			case strings.HasSuffix(p, "/cancel"):
				kind = "cancel"
			case strings.HasSuffix(p, "/items"):
				kind = "item"
			}
		}
		if kind == "" {
			f.proxy.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		f.proxy.ServeHTTP(rec, r)
		done(r, body, rec.Code)
		killOn(kind)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	return f
}

// finishedJobs counts, by kind, the jobs the bot's log says were done
// (each job once, however often it ran).
func (c *chaos) finishedJobs() map[string]int {
	raw, _ := os.ReadFile(filepath.Join(c.dir, "bot.log"))
	seen := map[float64]bool{}
	out := map[string]int{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var rec struct {
			Msg  string
			Job  float64
			Kind string
		}
		if json.Unmarshal(line, &rec) != nil || rec.Msg != "job done" || seen[rec.Job] {
			continue
		}
		seen[rec.Job] = true
		out[rec.Kind]++
	}
	return out
}
