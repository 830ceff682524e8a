package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

// TurnStore is what the endpoint needs from storage. The store package
// implements it on bbolt.
type TurnStore interface {
	// Processed returns the stored result of an activity already handled.
	Processed(ctx context.Context, key string) (playbook.Result, bool, error)
	// CommitTurn records the activity as processed, refreshes the
	// conversation reference and enqueues the jobs, atomically. When the
	// key was recorded meanwhile it changes nothing and returns that
	// result. The jobs it returns are leased to this process.
	CommitTurn(ctx context.Context, t playbook.Turn) ([]playbook.Job, *playbook.Result, error)
	// Ping reports whether the store can serve.
	Ping(ctx context.Context) error
}

// Authenticator checks an inbound request's token. TokenValidator is the
// production one; local mode has none.
type Authenticator interface {
	Verify(ctx context.Context, header string) (*botframework.Claims, error)
}

// MaxBodyBytes bounds an inbound activity. Teams' own messages are far
// smaller (a card submit is a few KiB); the limit stops a client from making
// the bot buffer arbitrary amounts.
const MaxBodyBytes = 256 << 10

// Server is the Bot Framework messaging endpoint and the health checks.
type Server struct {
	Auth      Authenticator // nil: local mode, no token checks
	LocalOnly bool          // refuse peers that are not loopback
	Store     TurnStore
	Handler   Handler
	Runner    *Runner      // runs the jobs a turn commits; nil in tests that only look at the store
	Ready     func() error // extra readiness check (keys loaded); nil for none
	Log       *slog.Logger
	Now       func() time.Time
	// Reports reads engagements for the reporting feed; nil: no feed.
	Reports ReportSource

	// Inline, when set, posts the replies of a turn that changes nothing
	// stored (help, next steps, status, a refusal) during the request, as
	// the Bot Framework SDKs do, instead of through a durable job: see
	// replyInline. *Connector is one.
	Inline ReplyPoster

	// RecordFirst is for a store that replicas share (PostgreSQL), where
	// each store call is a round trip to the database server and this
	// process's in-flight set is not seen by the other replicas. The
	// redelivery check is left to CommitTurn, which answers it in the
	// commit's own round trip (a redelivery runs the read-only handler for
	// nothing, which is rare and cheap). And an inline answer records its
	// activity first, then posts the replies: the record, not the in-flight
	// set, turns a redelivery to another replica away. The price is that
	// a reply lost with its process after the record is not posted again
	// (see replyRecorded).
	RecordFirst bool

	inflight    sync.Map       // dedup keys of activities being answered inline
	rerunLocks  sync.Map       // engagement id → *sync.Mutex: reruns after a conflict, one at a time
	background  sync.WaitGroup // their dedup records being written
	backgroundN atomic.Int32
}

// The Server's routes are mounted by cmd/mvmbot, which knows what else the
// process serves (the reporting feed, the workshops' .ics files):
//
//	POST /api/messages    ServeMessages
//	GET  /healthz         ServeHealth
//	GET  /readyz          ServeReady
//
// with Recover around them all.

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Recover turns a panic in a handler into a 500 and a log line with the
// stack, so one bad activity cannot take the bot down.
func (s *Server) Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log().Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// ServeHealth answers the liveness check.
func (s *Server) ServeHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ServeReady answers the readiness check: the store answers and, with
// token checks on, the signing keys are loaded.
func (s *Server) ServeReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"store": "ok"}
	status := http.StatusOK
	if err := s.Store.Ping(ctx); err != nil {
		checks["store"] = "unavailable"
		status = http.StatusServiceUnavailable
		s.log().Warn("readiness: store", "err", err)
	}
	if s.Ready != nil {
		checks["auth"] = "ok"
		if err := s.Ready(); err != nil {
			checks["auth"] = err.Error()
			status = http.StatusServiceUnavailable
		}
	}
	if d, ok := s.Store.(deadLister); ok {
		if dead, err := d.Dead(ctx); err != nil {
			s.log().Warn("readiness: dead-lettered jobs", "err", err)
		} else if len(dead) > 0 {
			// A detail, not a failure: the bot serves; an operator acts.
			checks["deadJobs"] = deadSummary(dead)
		}
	}
	checks["status"] = "ready"
	if status != http.StatusOK {
		checks["status"] = "not ready"
	}
	writeJSON(w, status, checks)
}

// deadLister is a store that keeps dead-lettered jobs, for /readyz.
type deadLister interface {
	Dead(ctx context.Context) ([]playbook.Job, error)
}

// deadSummary names dead-lettered jobs for /readyz: how many, and the
// first few by id and kind.
func deadSummary(dead []playbook.Job) string {
	s := fmt.Sprintf("%d (mvmbot jobs list):", len(dead))
	for i, j := range dead {
		if i == 5 {
			return s + " …"
		}
		s += fmt.Sprintf(" %d %s", j.ID, j.Kind)
	}
	return s
}

// outcome is what one request came to, for the log line.
type outcome struct {
	status int
	result string
	act    *Activity
}

// ServeMessages is the Bot Framework messaging endpoint.
func (s *Server) ServeMessages(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := s.handleMessages(w, r)
	attrs := []slog.Attr{
		slog.Int("status", o.status),
		slog.String("outcome", o.result),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if o.act != nil {
		attrs = append(attrs,
			slog.String("type", string(o.act.Type)),
			slog.String("conversation", o.act.Conversation.ID),
			slog.String("activity", o.act.ID))
		if o.act.Name != "" {
			attrs = append(attrs, slog.String("name", o.act.Name))
		}
	}
	level := slog.LevelInfo
	if o.status >= 500 {
		level = slog.LevelError
	} else if o.status >= 400 {
		level = slog.LevelWarn
	}
	s.log().LogAttrs(r.Context(), level, "activity", attrs...)
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) outcome {
	ctx := r.Context()
	if s.LocalOnly && !isLoopback(r.RemoteAddr) {
		writeError(w, http.StatusForbidden, "Forbidden", "local mode accepts requests from this machine only")
		return outcome{status: http.StatusForbidden, result: "refused non-loopback peer"}
	}
	if s.LocalOnly {
		if o, ok := refuseBrowser(w, r); !ok {
			return o
		}
	}
	// The token is checked before the body is parsed, so a caller without
	// one learns nothing from how the body is judged.
	var claims *botframework.Claims
	if s.Auth != nil {
		var err error
		if claims, err = s.Auth.Verify(ctx, r.Header.Get("Authorization")); err != nil {
			return s.unauthorized(w, err, nil)
		}
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxBodyBytes), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "BodyTooLarge", "activity larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
			return outcome{status: http.StatusRequestEntityTooLarge, result: "body too large"}
		}
		writeError(w, http.StatusBadRequest, "BadRequest", "could not read the request body")
		return outcome{status: http.StatusBadRequest, result: "read body: " + err.Error()}
	}
	act, err := botframework.DecodeActivity(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", "malformed activity JSON")
		return outcome{status: http.StatusBadRequest, result: "malformed JSON: " + err.Error()}
	}
	if err := act.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return outcome{status: http.StatusBadRequest, result: err.Error(), act: act}
	}
	if claims != nil {
		if err := claims.CheckActivity(act.ChannelID, act.ServiceURL); err != nil {
			return s.unauthorized(w, err, act)
		}
	}
	if s.LocalOnly && !loopbackURL(act.ServiceURL) {
		// Without tokens nothing vouches for serviceUrl: only the local
		// Playground's is posted to, never a host a request names.
		writeError(w, http.StatusBadRequest, "BadRequest", "local mode posts replies only to a serviceUrl on this machine")
		return outcome{status: http.StatusBadRequest, result: "refused non-loopback serviceUrl", act: act}
	}
	return s.process(ctx, w, act)
}

// readBody reads a request body of length n (-1: unknown). With the length
// known (Teams sends it), it reads into one buffer of that size rather than
// the growing ones of io.ReadAll; net/http ends the body at n bytes.
func readBody(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 || n > MaxBodyBytes {
		return io.ReadAll(r)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

func (s *Server) unauthorized(w http.ResponseWriter, err error, act *Activity) outcome {
	// The reason goes to the log only; the caller gets a bare 401.
	check := "token"
	var aerr *botframework.AuthError
	if errors.As(err, &aerr) {
		check = aerr.Check
	}
	s.log().Warn("refused token", "check", check, "err", err)
	w.Header().Set("WWW-Authenticate", `Bearer realm="mvmbot"`)
	writeError(w, http.StatusUnauthorized, "Unauthorized", "unauthorized")
	return outcome{status: http.StatusUnauthorized, result: "unauthorized: " + check, act: act}
}

// handledTypes are the activity types the bot acts on; anything else is
// acknowledged and dropped, as Teams adds types over time.
var handledTypes = map[schema.ActivityTypes]bool{
	schema.Message:            true,
	schema.Invoke:             true,
	schema.ConversationUpdate: true,
	schema.InstallationUpdate: true,
}

func (s *Server) process(ctx context.Context, w http.ResponseWriter, act *Activity) outcome {
	if !handledTypes[act.Type] {
		s.log().Debug("ignored activity type", "type", act.Type, "activity", act.ID)
		w.WriteHeader(http.StatusOK)
		return outcome{status: http.StatusOK, result: "ignored type", act: act}
	}
	key := act.DedupKey()
	if !s.RecordFirst {
		if prev, ok, err := s.Store.Processed(ctx, key); err != nil {
			return s.internal(w, act, fmt.Errorf("check redelivery: %w", err))
		} else if ok {
			writeResult(w, prev)
			return outcome{status: prev.Status, result: "duplicate", act: act}
		}
	}

	out, herr := s.Handler.Handle(ctx, act)
	if s.Inline != nil && out.Engagement == nil && len(out.Jobs) == 0 && act.Type != schema.Invoke && len(out.Replies) > 0 {
		return s.replyInline(ctx, w, act, key, out, herr)
	}
	var (
		result playbook.Result
		leased []playbook.Job
		dup    *playbook.Result
	)
	for attempt := 1; ; attempt++ {
		if herr != nil {
			out = s.errorOutcome(act, herr)
		}
		var err error
		if result, err = resultOf(act, out); err != nil {
			return s.internal(w, act, err)
		}
		jobs, err := s.replyJobs(act, out.Replies)
		if err != nil {
			return s.internal(w, act, err)
		}
		ref := refOf(act)
		ref.UpdatedAt = s.now()
		t := playbook.Turn{DedupKey: key, Result: result, Ref: ref, Jobs: append(jobs, out.Jobs...)}
		if out.Engagement != nil {
			t.Engagement, t.ExpectVersion = out.Engagement, out.Engagement.Version-1
		}
		leased, dup, err = s.Store.CommitTurn(ctx, t)
		if err != nil && out.Engagement != nil && playbook.ErrorCode(err) == playbook.ECONFLICT {
			// The engagement changed between the handler's read and this
			// commit (another person, another click). Nothing was saved:
			// decide again on the fresh state, a few times at most (people
			// submitting the questionnaire at once each need their turn);
			// if it keeps moving, say so rather than loop.
			s.log().Info("engagement changed during the turn", "activity", act.ID, "engagement", out.Engagement.ID, "attempt", attempt)
			if attempt == 1 {
				// Reruns of one engagement go one at a time, each after
				// the change that beat it has landed: a rerun that read the
				// engagement before the winner's commit would only lose
				// again (with 8 writers, 4 in 10 turns were refused).
				mu, _ := s.rerunLocks.LoadOrStore(out.Engagement.ID, new(sync.Mutex))
				mu.(*sync.Mutex).Lock()
				defer mu.(*sync.Mutex).Unlock()
			}
			s.awaitVersion(ctx, out.Engagement.ID, out.Engagement.Version)
			if attempt <= maxReruns {
				out, herr = s.Handler.Handle(ctx, act)
			} else {
				out, herr = Outcome{}, errBusy
			}
			continue
		}
		if err != nil {
			return s.internal(w, act, fmt.Errorf("commit turn: %w", err))
		}
		break
	}
	if dup != nil {
		// A redelivery raced this one and won; its answer stands.
		writeResult(w, *dup)
		return outcome{status: dup.Status, result: "duplicate", act: act}
	}
	writeResult(w, result)
	if s.Runner != nil {
		s.Runner.Submit(leased)
	}
	s.postPrivate(ctx, act, out.Private)
	res := "handled"
	if herr != nil {
		res = "refused: " + playbook.ErrorCode(herr)
	}
	return outcome{status: result.Status, result: res, act: act}
}

// postPrivate posts replies that must never be stored (Outcome.Private),
// now that the turn is committed. A failure is logged without the text;
// the person asks again.
func (s *Server) postPrivate(ctx context.Context, act *Activity, replies []Outgoing) {
	for _, r := range replies {
		if s.Inline == nil {
			s.log().Error("a private reply cannot be posted: no inline poster", "activity", act.ID)
			return
		}
		r.From, r.Recipient, r.Conversation = &act.Recipient, &act.From, &act.Conversation
		pctx, cancel := context.WithTimeout(ctx, inlineTimeout)
		_, err := s.Inline.Reply(pctx, act.ServiceURL, act.Conversation.ID, act.ID, &r)
		cancel()
		if err != nil {
			s.log().Warn("private reply not posted", "activity", act.ID, "err", err)
			return
		}
	}
}

// versionReader reads an engagement's stored version; the bbolt store is
// one.
type versionReader interface {
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
}

// awaitVersion waits, briefly, until the store shows engagement id at
// version v or later: the commit that beat a turn has landed, and a rerun
// reads it.
func (s *Server) awaitVersion(ctx context.Context, id string, v int) {
	vr, ok := s.Store.(versionReader)
	if !ok {
		return
	}
	for wait := time.Millisecond; wait < 100*time.Millisecond; wait *= 2 {
		if e, err := vr.Engagement(ctx, id); err != nil || e.Version >= v {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// maxReruns bounds how often one activity is handled again because its
// engagement changed between the handler's read and the commit. Reruns go
// one at a time per engagement, so each loses only to a first attempt that
// came meanwhile: a few more than the writers one engagement sees at once.
const maxReruns = 8

// errBusy answers an activity whose engagement kept changing under it.
var errBusy = playbook.Errorf(playbook.ECONFLICT, "Others changed this engagement at the same moment, so nothing was changed. Please try again.")

// errorOutcome turns a handler error into what the person sees: the
// playbook message for their mistakes, "Internal error." for ours (whose
// detail goes to the log). This is the one place that translation happens.
func (s *Server) errorOutcome(act *Activity, err error) Outcome {
	code := playbook.ErrorCode(err)
	msg := playbook.ErrorMessage(err)
	if code == playbook.EINTERNAL {
		s.log().Error("handle activity", "activity", act.ID, "type", act.Type, "err", err)
		msg = "Something went wrong on my side; it has been logged. Please try again in a minute."
	}
	if act.Type == schema.Invoke {
		return Outcome{Invoke: invokeError(code, msg)}
	}
	return reply(textReply(msg))
}

// invokeError answers a card action that failed with only what Universal
// Actions documents: 400 or 500 application/vnd.microsoft.error, or a
// message. A refusal (not allowed, gone, changed meanwhile) is not a
// protocol error: the person gets it as a message, and the card stays.
// Teams shows either as plain text, so Markdown is taken out.
func invokeError(code, msg string) *InvokeResponse {
	msg = plainText(msg)
	switch code {
	case playbook.EINVALID:
		return botframework.ErrorResponse(http.StatusBadRequest, "BadRequest", msg)
	case playbook.EFORBIDDEN, playbook.ENOTFOUND, playbook.ECONFLICT:
		return botframework.MessageResponse(msg)
	}
	return botframework.ErrorResponse(http.StatusInternalServerError, "InternalServerError", msg)
}

// plainText takes Markdown's emphasis, code marks and escapes out of msg,
// for the places Teams shows text as it is (an invoke's error banner or
// message): "Type **next**" would show its asterisks.
func plainText(msg string) string {
	return strings.NewReplacer("**", "", "`", "", `\\`, "").Replace(msg)
}

func resultOf(act *Activity, out Outcome) (playbook.Result, error) {
	if act.Type != schema.Invoke {
		return playbook.Result{Status: http.StatusOK}, nil
	}
	inv := out.Invoke
	if inv == nil {
		inv = &InvokeResponse{Status: http.StatusNotImplemented}
	}
	res := playbook.Result{Status: inv.Status}
	if inv.Body != nil {
		body, err := json.Marshal(inv.Body)
		if err != nil {
			return res, fmt.Errorf("encode invoke response: %w", err)
		}
		res.Body = body
	}
	return res, nil
}

func (s *Server) replyJobs(act *Activity, replies []Outgoing) ([]playbook.Job, error) {
	jobs := make([]playbook.Job, 0, len(replies))
	for _, out := range replies {
		out.From = &act.Recipient
		out.Recipient = &act.From
		out.Conversation = &act.Conversation
		// No unique job key: the turn's dedup record already makes these
		// jobs exist once, and a key would cost two more writes a reply.
		j, err := sendJob("", sendArgs{
			Op:             "reply",
			ServiceURL:     act.ServiceURL,
			ConversationID: act.Conversation.ID,
			ActivityID:     act.ID,
			TenantID:       act.TenantID(),
			Activity:       out,
		})
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (s *Server) internal(w http.ResponseWriter, act *Activity, err error) outcome {
	s.log().Error("process activity", "activity", act.ID, "err", err)
	writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
	return outcome{status: http.StatusInternalServerError, result: "internal error", act: act}
}

func writeResult(w http.ResponseWriter, r playbook.Result) {
	if len(r.Body) == 0 {
		w.WriteHeader(r.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"InternalError","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError answers with the Bot Framework's ErrorResponse shape.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// refuseBrowser refuses, in local mode (no tokens), what a web page could
// send: a browser's cross-site "simple" POST carries a Content-Type other
// than application/json (text/plain, a form) and an Origin header, while
// the Playground and the Bot Connector send JSON and no Origin. Without
// this a page open in the developer's browser could drive the local bot.
func refuseBrowser(w http.ResponseWriter, r *http.Request) (outcome, bool) {
	if r.Header.Get("Origin") != "" {
		writeError(w, http.StatusForbidden, "Forbidden", "local mode refuses requests from a web page (Origin header)")
		return outcome{status: http.StatusForbidden, result: "refused browser origin"}, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "the activity must be sent as Content-Type: application/json")
		return outcome{status: http.StatusUnsupportedMediaType, result: "refused content type"}, false
	}
	return outcome{}, true
}

// loopbackURL is whether u is an http(s) URL on this machine.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	if strings.EqualFold(p.Hostname(), "localhost") {
		return true
	}
	ip := net.ParseIP(p.Hostname())
	return ip != nil && ip.IsLoopback()
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReplyPoster posts a reply to an activity at once.
type ReplyPoster interface {
	Reply(ctx context.Context, serviceURL, conversationID, replyTo string, act *Outgoing) (string, error)
}

// inlineTimeout bounds the inline replies of one turn; what is not sent by
// then goes to a durable job, well within the time Teams waits for the
// HTTP answer.
const inlineTimeout = 5 * time.Second

// replyWait is how long a reply posted inline may wait for the connector's
// answer: a connector answering within it posts each reply once.
const replyWait = 15 * time.Second

// finishLate waits, behind the answered request, for a reply still in
// flight when the turn's inline time ran out (rest[0]), then hands rest to
// durable jobs: all of it when that post failed, the replies after it when
// it went through. The replies after it wait so that they stay in order.
// Should the process die meanwhile, those replies are lost, not doubled.
func (s *Server) finishLate(act *Activity, rest []Outgoing, done <-chan error, cancel context.CancelFunc) {
	rest = slices.Clone(rest)
	wait := func() {
		defer cancel()
		from := 1
		if err := <-done; err != nil {
			s.log().Warn("late inline reply failed; handing it to a durable job", "activity", act.ID, "err", err)
			from = 0
		}
		if from == len(rest) {
			return
		}
		jobs, err := s.replyJobs(act, rest[from:])
		if err == nil {
			ctx, c := context.WithTimeout(context.Background(), 30*time.Second)
			var leased []playbook.Job
			leased, _, err = s.Store.CommitTurn(ctx, playbook.Turn{Jobs: jobs})
			c()
			if err == nil && s.Runner != nil {
				s.Runner.Submit(leased)
			}
		}
		if err != nil {
			s.log().Error("replies after a late inline reply not queued", "activity", act.ID, "err", err)
		}
	}
	if !s.tryBackground() {
		wait() // the store is behind: this request waits too
		return
	}
	go func() {
		defer s.endBackground()
		wait()
	}()
}

// replyInline answers a turn that changes nothing stored. Its replies need
// no durable outbox: should they not go out, the activity is not recorded
// and a redelivery answers it afresh. So they are posted during the request,
// then the activity is answered and recorded as processed in the
// background, and the turn costs no job write, no job read and no second
// commit. While that is under way, the in-flight set turns a concurrent
// redelivery away. A reply that cannot be posted now (throttled, connector
// down) and the ones after it fall back to durable jobs, committed before
// the answer as on the usual path.
func (s *Server) replyInline(ctx context.Context, w http.ResponseWriter, act *Activity, key string, out Outcome, herr error) outcome {
	if herr != nil {
		out = s.errorOutcome(act, herr)
	}
	res := "handled"
	if herr != nil {
		res = "refused: " + playbook.ErrorCode(herr)
	}
	if s.RecordFirst {
		return s.replyRecorded(ctx, w, act, key, out, res)
	}
	if _, busy := s.inflight.LoadOrStore(key, struct{}{}); busy {
		w.WriteHeader(http.StatusOK)
		return outcome{status: http.StatusOK, result: "duplicate (in flight)", act: act}
	}
	release := func() { s.inflight.Delete(key) }
	sent := s.postInline(ctx, act, out.Replies)
	// Only what was not posted (nor left to finish) becomes a job.
	jobs, err := s.replyJobs(act, out.Replies[sent:])
	if err != nil {
		release()
		return s.internal(w, act, err)
	}
	ref := refOf(act)
	ref.UpdatedAt = s.now()
	result := playbook.Result{Status: http.StatusOK}
	t := playbook.Turn{DedupKey: key, Result: result, Ref: ref, Jobs: jobs}
	if len(jobs) == 0 && s.tryBackground() {
		t.Background = true
		writeResult(w, result)
		go func() {
			defer s.endBackground()
			defer release()
			bctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, _, err := s.Store.CommitTurn(bctx, t); err != nil {
				s.log().Error("record an answered activity", "activity", act.ID, "err", err)
			}
		}()
		return outcome{status: result.Status, result: res, act: act}
	}
	defer release()
	leased, dup, err := s.Store.CommitTurn(ctx, t)
	if err != nil {
		return s.internal(w, act, fmt.Errorf("commit turn: %w", err))
	}
	if dup != nil {
		writeResult(w, *dup)
		return outcome{status: dup.Status, result: "duplicate", act: act}
	}
	writeResult(w, result)
	if s.Runner != nil {
		s.Runner.Submit(leased)
	}
	return outcome{status: result.Status, result: res, act: act}
}

// replyRecorded is replyInline on a store replicas share (RecordFirst):
// the activity and its conversation reference are committed first, in the
// one round trip that also finds a redelivery (handled here or on another
// replica: its answer stands and nothing is posted); then the replies are
// posted, and those that cannot be go to durable jobs. Should the process
// die between the commit and the posts, the replies are lost, not doubled:
// they change nothing, and the person asks again.
func (s *Server) replyRecorded(ctx context.Context, w http.ResponseWriter, act *Activity, key string, out Outcome, res string) outcome {
	ref := refOf(act)
	ref.UpdatedAt = s.now()
	result := playbook.Result{Status: http.StatusOK}
	_, dup, err := s.Store.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: result, Ref: ref})
	if err != nil {
		return s.internal(w, act, fmt.Errorf("commit turn: %w", err))
	}
	if dup != nil {
		writeResult(w, *dup)
		return outcome{status: dup.Status, result: "duplicate", act: act}
	}
	sent := s.postInline(ctx, act, out.Replies)
	if sent < len(out.Replies) {
		jobs, err := s.replyJobs(act, out.Replies[sent:])
		var leased []playbook.Job
		if err == nil {
			leased, _, err = s.Store.CommitTurn(ctx, playbook.Turn{Jobs: jobs})
		}
		if err != nil {
			// The activity is recorded: a 500 would not bring a redelivery
			// that posts them. Say so in the log; the person asks again.
			s.log().Error("replies not posted inline and not queued", "activity", act.ID, "err", err)
		} else if s.Runner != nil {
			s.Runner.Submit(leased)
		}
	}
	writeResult(w, result)
	return outcome{status: result.Status, result: res, act: act}
}

// postInline posts replies, addressed to act, during the request and
// returns how many of them are dealt with: posted, or (from the first
// reply still waiting for the connector when inlineTimeout ran out) left to
// finishLate. The rest, from the first that failed, are the caller's to
// queue.
func (s *Server) postInline(ctx context.Context, act *Activity, replies []Outgoing) int {
	// The turn waits inlineTimeout for its replies; a post still waiting
	// for the connector then is not a failure (the connector may well have
	// taken it): it is left to finish within replyWait, and only a definite
	// failure makes it a job. Nothing is cancelled by the caller leaving.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inlineTimeout)
	defer cancel()
	for i := range replies {
		r := &replies[i]
		r.From, r.Recipient, r.Conversation = &act.Recipient, &act.From, &act.Conversation
		done := make(chan error, 1)
		pctx, pcancel := context.WithTimeout(context.WithoutCancel(ctx), replyWait)
		post := *r // Reply fills in fields; the original may become a job
		go func() {
			_, err := s.Inline.Reply(pctx, act.ServiceURL, act.Conversation.ID, act.ID, &post)
			done <- err
		}()
		select {
		case err := <-done:
			pcancel()
			if err != nil {
				s.log().Warn("inline reply failed; handing it to a durable job", "activity", act.ID, "err", err)
				return i
			}
		case <-sctx.Done():
			s.finishLate(act, replies[i:], done, pcancel)
			return len(replies)
		}
	}
	return len(replies)
}

// maxBackground bounds the records written behind answered requests. When
// the store falls that far behind, a request waits for its own record
// instead, so a burst slows the callers down rather than queueing memory.
const maxBackground = 64

func (s *Server) tryBackground() bool {
	if s.backgroundN.Add(1) > maxBackground {
		s.backgroundN.Add(-1)
		return false
	}
	s.background.Add(1)
	return true
}

func (s *Server) endBackground() {
	s.backgroundN.Add(-1)
	s.background.Done()
}

// Wait waits until the records of inline-answered activities are written;
// call it after the HTTP server has shut down.
func (s *Server) Wait() { s.background.Wait() }
