package botframework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"
)

// TokenSource gives the bearer token for calls to the Bot Connector. The
// implementation (azidentity, see package identity) caches tokens until
// shortly before they expire; Connector asks for one on every call and must
// not cache it itself.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Outgoing is an activity the bot sends. msbotbuilder-go's schema.Activity
// is used for inbound parsing, but it marshals every zero struct and time
// (timestamp "0001-01-01…", empty relatesTo, …), which is noise to the
// connector, so outbound activities have this lean type.
type Outgoing struct {
	Type             string                      `json:"type"`
	Text             string                      `json:"text,omitempty"`
	TextFormat       string                      `json:"textFormat,omitempty"`
	Summary          string                      `json:"summary,omitempty"`
	AttachmentLayout string                      `json:"attachmentLayout,omitempty"`
	Attachments      []schema.Attachment         `json:"attachments,omitempty"`
	Entities         []map[string]any            `json:"entities,omitempty"`
	ReplyToID        string                      `json:"replyToId,omitempty"`
	From             *schema.ChannelAccount      `json:"from,omitempty"`
	Recipient        *schema.ChannelAccount      `json:"recipient,omitempty"`
	Conversation     *schema.ConversationAccount `json:"conversation,omitempty"`
	ChannelData      map[string]any              `json:"channelData,omitempty"`
}

// ConnectorError is a failed call to the Bot Connector.
type ConnectorError struct {
	Op         string // what was being sent: "reply", "send", "update", ...
	Status     int    // HTTP status; 0 when no response came
	Code       string // the ErrorResponse code, when the body had one
	Message    string
	RetryAfter time.Duration // from Retry-After, when present
	Err        error         // transport error, when no response came
	final      bool          // retrying cannot help (a bad serviceUrl, an unencodable activity)
}

func (e *ConnectorError) Error() string {
	var b strings.Builder
	b.WriteString("connector " + e.Op)
	if e.Status != 0 {
		b.WriteString(": " + strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *ConnectorError) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed: throttling,
// gateway errors and transport failures. Other 4xx answers are final.
func (e *ConnectorError) Temporary() bool {
	if e.final {
		return false
	}
	return e.Status == 0 || retryableStatus(e.Status) || e.Status >= 500
}

// retryableStatus lists what the Bot Framework SDKs and Teams' rate-limit
// guidance retry in place: 429 throttled, 412 a concurrent update, 502/504
// gateway trouble.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusPreconditionFailed, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// Connector calls the Bot Connector REST API (v3) at an activity's
// serviceUrl. It replaces msbotbuilder-go's client, whose token endpoint is
// hard-coded to the multi-tenant authority and which neither retries nor
// takes a context.
//
// Each call retries 429/412/502/504 in place up to MaxAttempts times,
// waiting Retry-After when the connector sends it, else an exponential
// backoff with full jitter (BaseDelay, doubling, capped at MaxDelay); the
// context bounds it all. Safe for concurrent use.
type Connector struct {
	HTTP        *http.Client
	Tokens      TokenSource // nil: no Authorization header (local mode)
	Log         *slog.Logger
	MaxAttempts int           // default 4
	BaseDelay   time.Duration // default 500ms
	MaxDelay    time.Duration // default 10s
	Timeout     time.Duration // per attempt; default 15s

	bodies bodyPool
}

const maxConnectorResponse = 1 << 20

// Reply posts act as a reply to activity replyTo in the conversation
// (in a Teams channel: into the same thread) and returns the new activity id.
func (c *Connector) Reply(ctx context.Context, serviceURL, conversationID, replyTo string, act *Outgoing) (string, error) {
	act.ReplyToID = replyTo
	var res struct{ ID string }
	err := c.call(ctx, "reply", http.MethodPost, serviceURL, ActivityPath(conversationID, replyTo), act, &res)
	return res.ID, err
}

// Send posts act to the conversation as a new message.
func (c *Connector) Send(ctx context.Context, serviceURL, conversationID string, act *Outgoing) (string, error) {
	var res struct{ ID string }
	err := c.call(ctx, "send", http.MethodPost, serviceURL, ActivityPath(conversationID, ""), act, &res)
	return res.ID, err
}

// Update replaces activity id with act (a card updated in place).
func (c *Connector) Update(ctx context.Context, serviceURL, conversationID, id string, act *Outgoing) error {
	return c.call(ctx, "update", http.MethodPut, serviceURL, ActivityPath(conversationID, id), act, nil)
}

// ConversationParams starts a conversation proactively (a 1:1 chat, or a new
// thread in a channel).
type ConversationParams struct {
	IsGroup     bool                    `json:"isGroup"`
	Bot         schema.ChannelAccount   `json:"bot"`
	Members     []schema.ChannelAccount `json:"members,omitempty"`
	TenantID    string                  `json:"tenantId,omitempty"`
	Activity    *Outgoing               `json:"activity,omitempty"`
	ChannelData map[string]any          `json:"channelData,omitempty"`
}

// CreateConversation starts a conversation and returns its id and, when an
// activity was sent with it, that activity's id.
func (c *Connector) CreateConversation(ctx context.Context, serviceURL string, p *ConversationParams) (conversationID, activityID string, err error) {
	var res struct {
		ID         string `json:"id"`
		ActivityID string `json:"activityId"`
	}
	err = c.call(ctx, "create conversation", http.MethodPost, serviceURL, "v3/conversations", p, &res)
	return res.ID, res.ActivityID, err
}

// Member is one person in a conversation's roster.
type Member struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	AADObjectID       string `json:"aadObjectId"`
	Email             string `json:"email"`
	UserPrincipalName string `json:"userPrincipalName"`
	TenantID          string `json:"tenantId"`
	UserRole          string `json:"userRole"`
}

// Members returns the conversation's roster.
func (c *Connector) Members(ctx context.Context, serviceURL, conversationID string) ([]Member, error) {
	var res []Member
	err := c.call(ctx, "members", http.MethodGet, serviceURL, "v3/conversations/"+url.PathEscape(conversationID)+"/members", nil, &res)
	return res, err
}

// ActivityPath is the connector's path of the activities of a conversation,
// or of activity id in it.
func ActivityPath(conversationID, id string) string {
	p := "v3/conversations/" + url.PathEscape(conversationID) + "/activities"
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	return p
}

// PostRaw sends an activity already in its wire form (a stored job's) to
// path with method, retrying as every call does.
func (c *Connector) PostRaw(ctx context.Context, op, method, serviceURL, path string, activity json.RawMessage) error {
	return c.call(ctx, op, method, serviceURL, path, activity, nil)
}

func (c *Connector) call(ctx context.Context, op, method, serviceURL, path string, in, out any) error {
	base, err := url.Parse(serviceURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return &ConnectorError{Op: op, Err: fmt.Errorf("bad serviceUrl %q", serviceURL), final: true}
	}
	endpoint := strings.TrimSuffix(serviceURL, "/") + "/" + path
	var body *sharedBody
	if raw, ok := in.(json.RawMessage); ok {
		body = fixedBody(raw) // already the wire form (stored jobs)
	} else if act, ok := in.(*Outgoing); ok {
		body = c.bodies.get()
		defer body.release()
		if *body.buf, err = act.AppendJSON(*body.buf); err != nil {
			return &ConnectorError{Op: op, Err: fmt.Errorf("encode: %w", err), final: true}
		}
	} else if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return &ConnectorError{Op: op, Err: fmt.Errorf("encode: %w", err), final: true}
		}
		body = fixedBody(raw)
	}
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	for attempt := 1; ; attempt++ {
		cerr := c.once(ctx, op, method, endpoint, body, out)
		if cerr == nil {
			return nil
		}
		retry := cerr.Err == nil && retryableStatus(cerr.Status)
		if !retry || attempt >= attempts {
			return cerr
		}
		wait := cerr.RetryAfter
		if wait <= 0 {
			wait = c.backoff(attempt)
		}
		if c.Log != nil {
			c.Log.LogAttrs(ctx, slog.LevelWarn, "connector call throttled; retrying",
				slog.String("op", op), slog.Int("status", cerr.Status),
				slog.Int("attempt", attempt), slog.Duration("wait", wait))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			cerr.Err = ctx.Err()
			return cerr
		case <-t.C:
		}
	}
}

func (c *Connector) backoff(attempt int) time.Duration {
	base, maxDelay := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if maxDelay <= 0 {
		maxDelay = 10 * time.Second
	}
	d := base << (attempt - 1)
	if d > maxDelay || d <= 0 {
		d = maxDelay
	}
	// Full jitter spreads the retries of many throttled sends apart.
	return time.Duration(rand.Int64N(int64(d))) + time.Millisecond
}

func (c *Connector) once(ctx context.Context, op, method, endpoint string, body *sharedBody, out any) *ConnectorError {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	// A context that ends sooner already bounds the attempt (an inline
	// reply's); a second timer would only cost.
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > timeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, nil)
	if err != nil {
		return &ConnectorError{Op: op, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.Tokens != nil {
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return &ConnectorError{Op: op, Err: fmt.Errorf("get connector token: %w", err)}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		// Last, so that no early return leaves a reader unclosed: Do
		// closes it, even on errors.
		body.attach(req)
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return &ConnectorError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxConnectorResponse))
	if err != nil {
		return &ConnectorError{Op: op, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		cerr := &ConnectorError{Op: op, Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		var er struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &er) == nil {
			cerr.Code, cerr.Message = er.Error.Code, er.Error.Message
		}
		return cerr
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return &ConnectorError{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("decode response: %w", err)}
		}
	}
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. Waits are
// capped at a minute so a bad header cannot park a send for hours.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil {
		d = time.Duration(min(secs, 60)) * time.Second // min first: secs * 1e9 can overflow
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	if d < 0 {
		return 0
	}
	return min(d, time.Minute)
}

// IsTemporary reports whether err is a connector failure worth retrying
// later.
func IsTemporary(err error) bool {
	var cerr *ConnectorError
	return errors.As(err, &cerr) && cerr.Temporary()
}
