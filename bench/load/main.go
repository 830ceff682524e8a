// Command load drives POST /api/messages of one or more bots with
// Teams-shaped message activities at a fixed concurrency and measures the
// end-to-end latency of each turn: from the inbound POST being sent to the
// bot's reply reaching a connector sink that this program serves itself.
//
// Each target is started as a child process (so its peak RSS and CPU time
// can be read from /proc), run for a warmup and a measured window, and
// stopped before the next one starts; the rows are printed as one table with
// ratios against the floor row. Targets named in -auth run with Bot Framework
// auth on, against an OpenID issuer and an Entra authority that this program
// also serves (internal/fakes), with tokens it signs up front.
//
// See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

const (
	appID    = "00000000-0000-4000-8000-00000000b07a"
	appPass  = "bench-secret"
	tenantID = "7e57e57e-0000-4000-8000-000000000001"

	maxRun = 30 * time.Minute
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type config struct {
	targets       []namedCmd
	setups        map[string]string
	replicas      map[string]int // -replicas: processes per target, 1 when absent
	seeds         []string
	auth          map[string]bool
	floor         string
	compare       string
	goal          string
	duration      time.Duration
	warmup        time.Duration
	concurrency   int
	conversations int
	text          string
	timeout       time.Duration
	readyTimeout  time.Duration
	maxRequests   int64
	logDir        string
	jsonOut       string
}

type namedCmd struct{ name, cmd string }

func parseNamed(v string) (namedCmd, error) {
	name, cmd, ok := strings.Cut(v, "=")
	name, cmd = strings.TrimSpace(name), strings.TrimSpace(cmd)
	if !ok || name == "" || cmd == "" {
		return namedCmd{}, fmt.Errorf("want NAME=COMMAND, got %q", v)
	}
	return namedCmd{name, cmd}, nil
}

// checkLoopback refuses a running target anywhere but this machine's
// loopback: the bench is a load generator and must never aim off the box.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only http:// targets", raw)
	}
	if h := u.Hostname(); h != "localhost" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%s: a running target must be on the loopback (127.0.0.0/8, ::1, localhost)", raw)
		}
	}
	return nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("load: ")
	var (
		cfg     config
		targets multiFlag
		setups  multiFlag
		seeds   multiFlag
		reps    multiFlag
		auth    string
	)
	flag.Var(&targets, "target", "NAME=COMMAND: a bot to start (via sh, with PORT set) and load; repeat for each row, in order. COMMAND may instead be http://127.0.0.1:PORT for a bot already running (no RSS/CPU then, no auth)")
	flag.Var(&setups, "setup", "NAME=COMMAND: run before starting target NAME, with its environment (MVMBOT_DB, BENCH_CONVERSATIONS, ...); e.g. to seed an engagement")
	flag.Var(&reps, "replicas", "NAME=N: start N processes of target NAME (same environment, a port each) and spread the load over them round-robin; for a store several processes share (MVMBOT_STORE=postgres://...). RSS and CPU are their sums")
	flag.Var(&seeds, "seed", "TEXT: a message sent once to each conversation after the bot is ready and before the warmup, reply awaited, not measured; repeat for several, in order")
	flag.StringVar(&auth, "auth", "mvmbot", "comma-separated targets that run with auth on (fake issuer, authority and signed tokens)")
	flag.StringVar(&cfg.floor, "floor", "floor", "the target the ratios are taken against")
	flag.StringVar(&cfg.compare, "compare", "echo-js", "a second target to take throughput ratios against (empty: none)")
	flag.StringVar(&cfg.goal, "goal", "mvmbot", "the target checked against the issue's goals (empty: none)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured window per target")
	flag.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "unmeasured load before the window (JIT, pools, caches)")
	flag.IntVar(&cfg.concurrency, "concurrency", 16, "requests in flight (closed loop: each worker waits for the reply before its next request)")
	flag.IntVar(&cfg.conversations, "conversations", 8, "distinct conversation ids the requests rotate over")
	flag.StringVar(&cfg.text, "text", "hello", "message text of each activity")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "per-request limit for the POST and for its reply to reach the sink")
	flag.DurationVar(&cfg.readyTimeout, "ready-timeout", 60*time.Second, "how long a target may take to answer GET /readyz 200")
	flag.Int64Var(&cfg.maxRequests, "max-requests", 5_000_000, "hard cap on requests per target, warmup included")
	flag.StringVar(&cfg.logDir, "logdir", "", "where targets' output, databases and CA files go (default: a new temp dir, kept)")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.Parse()

	if len(targets) == 0 {
		log.Fatal("no -target given")
	}
	if cfg.concurrency < 1 || cfg.conversations < 1 || cfg.duration <= 0 || cfg.warmup < 0 {
		log.Fatal("-concurrency and -conversations must be >= 1, -duration > 0, -warmup >= 0")
	}
	// A bench run is a bounded thing on a shared machine, never a soak.
	if cfg.duration+cfg.warmup > maxRun || cfg.concurrency > 1024 || cfg.maxRequests < 1 {
		log.Fatalf("-duration plus -warmup is capped at %s, -concurrency at 1024; -max-requests must be >= 1", maxRun)
	}
	for _, t := range targets {
		nc, err := parseNamed(t)
		if err == nil && isURL(nc.cmd) {
			err = checkLoopback(nc.cmd)
		}
		if err != nil {
			log.Fatalf("-target: %v", err)
		}
		cfg.targets = append(cfg.targets, nc)
	}
	cfg.setups = map[string]string{}
	for _, s := range setups {
		nc, err := parseNamed(s)
		if err != nil {
			log.Fatalf("-setup: %v", err)
		}
		cfg.setups[nc.name] = nc.cmd
	}
	cfg.replicas = map[string]int{}
	for _, r := range reps {
		nc, err := parseNamed(r)
		n, aerr := strconv.Atoi(nc.cmd)
		if err != nil || aerr != nil || n < 1 || n > 8 {
			log.Fatalf("-replicas %q: want NAME=N, N from 1 to 8", r)
		}
		cfg.replicas[nc.name] = n
	}
	cfg.seeds = seeds
	cfg.auth = map[string]bool{}
	for _, a := range strings.Split(auth, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.auth[a] = true
		}
	}
	if cfg.logDir == "" {
		d, err := os.MkdirTemp("", "mvmbot-bench-")
		if err != nil {
			log.Fatal(err)
		}
		cfg.logDir = d
	}
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		log.Fatal(err)
	}

	ctx, stop := signalContext()
	defer stop()

	s, err := newSink()
	if err != nil {
		log.Fatal(err)
	}
	defer s.close()

	var env *authEnv
	if needsAuth(cfg) {
		env, err = newAuthEnv(cfg.logDir, s.url)
		if err != nil {
			log.Fatal(err)
		}
		defer env.close()
	}

	log.Printf("concurrency %d, warmup %s, window %s, %d conversations, text %q; logs in %s",
		cfg.concurrency, cfg.warmup, cfg.duration, cfg.conversations, cfg.text, cfg.logDir)
	var results []*result
	failed := false
	for i, t := range cfg.targets {
		if ctx.Err() != nil {
			break
		}
		r := runTarget(ctx, cfg, i, t, s, env)
		if r.Failure != "" {
			failed = true
			log.Printf("%s: %s", t.name, r.Failure)
		}
		results = append(results, r)
	}
	printTable(os.Stdout, cfg, results)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			log.Printf("write %s: %v", cfg.jsonOut, err)
		}
	}
	if failed {
		stop()
		os.Exit(1)
	}
}

func needsAuth(cfg config) bool {
	for _, t := range cfg.targets {
		if cfg.auth[t.name] {
			return true
		}
	}
	return false
}

// authEnv holds the fakes a bot with auth on talks to at startup and on its
// first reply; none of them is on the hot path once tokens are cached.
type authEnv struct {
	issuer    *fakes.Issuer
	authority *fakes.Authority
	caFile    string
	token     string
}

func newAuthEnv(dir, serviceURL string) (*authEnv, error) {
	is, err := fakes.NewIssuer()
	if err != nil {
		return nil, fmt.Errorf("fake issuer: %w", err)
	}
	au, err := fakes.NewAuthority()
	if err != nil {
		is.Close()
		return nil, fmt.Errorf("fake authority: %w", err)
	}
	e := &authEnv{issuer: is, authority: au, caFile: filepath.Join(dir, "authority-ca.pem")}
	if err := au.WriteCA(e.caFile); err != nil {
		e.close()
		return nil, err
	}
	// One token for the whole run, as Teams reuses one for up to an hour: the
	// bot's validation cost is what is measured, not the signing.
	e.token, err = is.Token(appID, serviceURL, 2*time.Hour)
	if err != nil {
		e.close()
		return nil, fmt.Errorf("sign token: %w", err)
	}
	return e, nil
}

func (e *authEnv) close() {
	e.issuer.Close()
	e.authority.Close()
}

func (e *authEnv) vars() []string {
	return []string{
		"MicrosoftAppId=" + appID,
		"MicrosoftAppPassword=" + appPass,
		"MicrosoftAppTenantId=" + tenantID,
		"MicrosoftAppType=SingleTenant",
		"BotOpenIdMetadata=" + e.issuer.MetadataURL(),
		"AZURE_AUTHORITY_HOST=" + e.authority.URL(),
		"SSL_CERT_FILE=" + e.caFile,
	}
}

// result is one row of the table.
type result struct {
	Target        string         `json:"target"`
	Auth          bool           `json:"auth"`
	Requests      int64          `json:"requests"`
	OK            int64          `json:"ok"`
	Errors        int64          `json:"errors"`
	ErrorKinds    map[string]int `json:"error_kinds,omitempty"`
	FirstError    string         `json:"first_error,omitempty"`
	WindowSec     float64        `json:"window_s"`
	Throughput    float64        `json:"throughput_rps"`
	P50ms         float64        `json:"p50_ms"`
	P95ms         float64        `json:"p95_ms"`
	P99ms         float64        `json:"p99_ms"`
	MaxMs         float64        `json:"max_ms"`
	PeakRSSKB     int64          `json:"peak_rss_kb"`
	CPUSec        float64        `json:"target_cpu_s"`
	LoadCPUSec    float64        `json:"load_and_sink_cpu_s"`
	OtherCalls    int64          `json:"other_connector_calls"`
	Failure       string         `json:"failure,omitempty"`
	LogFile       string         `json:"log,omitempty"`
	Conversations int            `json:"conversations"`
}

func runTarget(ctx context.Context, cfg config, idx int, t namedCmd, s *sink, env *authEnv) *result {
	r := &result{Target: t.name, Auth: cfg.auth[t.name], PeakRSSKB: -1, CPUSec: -1, Conversations: cfg.conversations}
	convs := make([]string, cfg.conversations)
	for i := range convs {
		convs[i] = fmt.Sprintf("a:conv-%d", i)
	}

	var bases []string
	var procs children
	if isURL(t.cmd) {
		if r.Auth {
			r.Failure = "auth is only possible for targets this program starts"
			return r
		}
		bases = []string{strings.TrimSuffix(t.cmd, "/")}
	} else {
		dir := filepath.Join(cfg.logDir, t.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			r.Failure = err.Error()
			return r
		}
		// A kept BENCH_DIR holds the last run's store: a bigger file and a
		// longer redelivery record would slow this run down unseen.
		db := filepath.Join(dir, "mvmbot.db")
		if err := os.Remove(db); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.Failure = err.Error()
			return r
		}
		vars := []string{
			"MVMBOT_DB=" + db,
			"MVMBOT_LOG_FORMAT=json",
			"BENCH_SERVICE_URL=" + s.url,
			"BENCH_CONVERSATIONS=" + strings.Join(convs, ","),
			"BENCH_TENANT_ID=" + tenantID,
			"BENCH_APP_ID=" + appID,
		}
		if r.Auth {
			vars = append(vars, env.vars()...)
		}
		envv := append(os.Environ(), vars...)
		r.LogFile = filepath.Join(dir, "output.log")
		if setup := cfg.setups[t.name]; setup != "" {
			if err := runSetup(ctx, setup, envv, filepath.Join(dir, "setup.log")); err != nil {
				r.Failure = "setup: " + err.Error()
				return r
			}
		}
		// procs grows below: stop what it holds at the end, not now.
		defer func() { procs.stop() }()
		for i := range max(cfg.replicas[t.name], 1) {
			port, err := freePort()
			if err != nil {
				r.Failure = err.Error()
				return r
			}
			logFile := r.LogFile
			if i > 0 {
				logFile = filepath.Join(dir, fmt.Sprintf("output-%d.log", i+1))
			}
			proc, err := startChild(t.cmd, append(envv, "PORT="+strconv.Itoa(port)), logFile)
			if err != nil {
				r.Failure = err.Error()
				return r
			}
			procs = append(procs, proc)
			bases = append(bases, "http://127.0.0.1:"+strconv.Itoa(port))
		}
	}

	client := &http.Client{
		Timeout: cfg.timeout,
		Transport: &http.Transport{
			MaxIdleConns:        cfg.concurrency * 2,
			MaxIdleConnsPerHost: cfg.concurrency * 2,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()

	for i, base := range bases {
		var proc *child
		if len(procs) > 0 {
			proc = procs[i]
		}
		if err := waitReady(ctx, client, base, proc, cfg.readyTimeout); err != nil {
			r.Failure = err.Error()
			return r
		}
	}
	urls := make([]string, len(bases))
	for i, b := range bases {
		urls[i] = b + "/api/messages"
	}

	g := &generator{
		cfg:    cfg,
		client: client,
		urls:   urls,
		sink:   s,
		convs:  convs,
		prefix: fmt.Sprintf("bench-%x-%d-", time.Now().UnixNano()&0xffffff, idx),
	}
	if r.Auth {
		g.auth = "Bearer " + env.token
	}
	g.init()
	s.attach(g)
	defer s.attach(nil)

	if len(cfg.seeds) > 0 {
		if err := g.seed(ctx); err != nil {
			r.Failure = "seed: " + err.Error()
			return r
		}
	}

	log.Printf("%s: ready at %s, loading", t.name, strings.Join(bases, " "))
	g.run(ctx, procs, r)
	if len(procs) > 0 {
		if kb, err := procs.peakRSS(); err == nil {
			r.PeakRSSKB = kb
		}
		if err := procs.exited(); err != nil {
			r.Failure = "target exited during the run: " + err.Error()
		}
	}
	return r
}

func runSetup(ctx context.Context, command string, env []string, logFile string) error {
	f, err := os.Create(logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w (output in %s)", err, logFile)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, client *http.Client, base string, proc *child, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if proc != nil {
			if err := proc.exited(); err != nil {
				return fmt.Errorf("exited before ready: %v (see %s)", err, proc.logFile)
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s (GET /readyz)", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// child is a target process. It runs as `sh -c "exec COMMAND"` so the pid is
// the bot's own (node's, not a shell's) and /proc reads are about the bot.
type child struct {
	cmd     *exec.Cmd
	logFile string
	done    chan struct{}
	err     error
}

func startChild(command string, env []string, logFile string) (*child, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("sh", "-c", "exec "+command)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %q: %w", command, err)
	}
	c := &child{cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		if c.err == nil {
			c.err = errors.New("exit status 0")
		}
		f.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// stop ends the child's process group (only what this program started):
// SIGTERM, then SIGKILL if it has not gone within 5s.
func (c *child) stop() {
	if c.exited() != nil {
		return
	}
	_ = syscall.Kill(-c.pid(), syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-c.pid(), syscall.SIGKILL)
		<-c.done
	}
}

// children are the processes of one target: one, or its replicas.
type children []*child

// exited reports the first of them that exited.
func (cs children) exited() error {
	for _, c := range cs {
		if err := c.exited(); err != nil {
			return err
		}
	}
	return nil
}

func (cs children) stop() {
	for _, c := range cs {
		c.stop()
	}
}

// cpu is their CPU time, summed.
func (cs children) cpu() (time.Duration, error) {
	var sum time.Duration
	for _, c := range cs {
		t, err := cpuTime(strconv.Itoa(c.pid()))
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

// peakRSS is their peak resident sets, summed.
func (cs children) peakRSS() (int64, error) {
	var sum int64
	for _, c := range cs {
		kb, err := peakRSS(c.pid())
		if err != nil {
			return 0, err
		}
		sum += kb
	}
	return sum, nil
}

// peakRSS reads VmHWM, the kernel's high-water mark of the resident set.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM")
}

// cpuTime is user+system time of a process from /proc/PID/stat; the kernel
// counts it in clock ticks, 100 a second on Linux.
func cpuTime(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// comm may hold spaces; fields are counted from after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad stat times")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

func printTable(w io.Writer, cfg config, results []*result) {
	var floor, cmp *result
	for _, r := range results {
		if r.Target == cfg.floor && r.Failure == "" {
			floor = r
		}
		if cfg.compare != "" && r.Target == cfg.compare && r.Failure == "" {
			cmp = r
		}
	}
	fmt.Fprintf(w, "\nPOST /api/messages → reply at sink; concurrency %d, window %s after %s warmup, text %q\n\n",
		cfg.concurrency, cfg.duration, cfg.warmup, cfg.text)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "target\tauth\trequests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tpeak RSS MB\tcpu ms/req\tload cpu ms/req\tx floor req/s\tx floor p99\t"
	if cmp != nil {
		hdr += "x " + cmp.Target + " req/s\t"
	}
	fmt.Fprintln(tw, hdr)
	for _, r := range results {
		if r.Failure != "" && r.Requests == 0 {
			fmt.Fprintf(tw, "%s\t\tfailed\t\n", r.Target)
			continue
		}
		auth := "off"
		if r.Auth {
			auth = "on"
		}
		rss, cpu, lcpu := "-", "-", "-"
		if r.PeakRSSKB >= 0 {
			rss = fmt.Sprintf("%.1f", float64(r.PeakRSSKB)/1024)
		}
		if r.CPUSec >= 0 && r.OK > 0 {
			cpu = fmt.Sprintf("%.3f", r.CPUSec*1000/float64(r.OK))
		}
		if r.OK > 0 {
			lcpu = fmt.Sprintf("%.3f", r.LoadCPUSec*1000/float64(r.OK))
		}
		p50, p95, p99 := "-", "-", "-"
		if r.OK > 0 {
			p50, p95, p99 = fmt.Sprintf("%.2f", r.P50ms), fmt.Sprintf("%.2f", r.P95ms), fmt.Sprintf("%.2f", r.P99ms)
		}
		line := fmt.Sprintf("%s\t%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t",
			r.Target, auth, r.Requests, r.Errors, r.Throughput, p50, p95, p99, rss, cpu, lcpu,
			ratio(r.Throughput, floor, func(f *result) float64 { return f.Throughput }),
			ratio(r.P99ms, floor, func(f *result) float64 { return f.P99ms }))
		if cmp != nil {
			line += ratio(r.Throughput, cmp, func(f *result) float64 { return f.Throughput }) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	for _, r := range results {
		if len(r.ErrorKinds) > 0 {
			kinds := make([]string, 0, len(r.ErrorKinds))
			for k, n := range r.ErrorKinds {
				kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
			}
			slices.Sort(kinds)
			fmt.Fprintf(w, "%s errors: %s; first: %s\n", r.Target, strings.Join(kinds, ", "), r.FirstError)
		}
		if r.Failure != "" {
			fmt.Fprintf(w, "%s: %s\n", r.Target, r.Failure)
		}
	}
	for _, r := range results {
		if r.Target != cfg.goal || floor == nil || r.Failure != "" || r == floor {
			continue
		}
		thr, p99 := r.Throughput/floor.Throughput, r.P99ms/floor.P99ms
		rss := float64(r.PeakRSSKB) / 1024
		fmt.Fprintf(w, "\n%s goals: throughput %.2fx floor (≥0.5) %s; p99 %.1fx floor (≤3) %s; peak RSS %.1f MB (<40) %s\n",
			r.Target, thr, verdict(thr >= 0.5), p99, verdict(p99 <= 3), rss, verdict(r.PeakRSSKB >= 0 && rss < 40))
	}
	fmt.Fprintln(w, "\nThe load generator and the sink share the machine's cores with the target; see bench/README.md.")
}

func ratio(v float64, ref *result, get func(*result) float64) string {
	if ref == nil || get(ref) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v/get(ref))
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// signalContext is cancelled on SIGINT/SIGTERM so an interrupted run still
// stops its children.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// isURL tells a running bot's address from a command to start (which may
// itself hold URLs, like MVMBOT_STORE=postgres://…).
func isURL(target string) bool {
	return strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://")
}
