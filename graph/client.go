package graph

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	core "github.com/microsoftgraph/msgraph-sdk-go-core"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"

	"github.com/mvmbot/mvmbot/playbook"
)

// DefaultBaseURL is the Graph root of the public cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Defaults of Config.
const (
	DefaultMaxRetries   = 3
	DefaultMaxRetryWait = 30 * time.Second
	DefaultTimeout      = 60 * time.Second
	DefaultJoinURLPolls = 3
	DefaultJoinURLDelay = 2 * time.Second
)

// maxRetriesCap is kiota's own upper bound on retries.
const maxRetriesCap = 10

// Config configures a Client. Only Credential is needed in production; the
// rest have working defaults.
type Config struct {
	// BaseURL is the Graph root including the version (GRAPH_BASE_URL):
	// https://graph.microsoft.com/v1.0 when empty. Sovereign clouds and
	// tests (a fake on 127.0.0.1) set it.
	BaseURL string
	// Credential gets app-only tokens, normally identity.Credential's.
	// nil sends requests without Authorization (tests against a fake).
	Credential azcore.TokenCredential
	// Scope is the token scope; empty derives it from BaseURL's host
	// (https://{host}/.default, https://graph.microsoft.com/.default for a
	// loopback host).
	Scope string
	// HTTPClient supplies the transport and timeout; the client wraps its
	// Transport in the Graph middleware. nil uses a clone of
	// http.DefaultTransport and DefaultTimeout.
	HTTPClient *http.Client
	// Organizer is the mailbox (UPN or id) that organizes workshops
	// (MVMBOT_ORGANIZER); used when a call names no organizer.
	Organizer string
	// MaxRetries bounds the retries of one request on 429/503/504: 0 means
	// DefaultMaxRetries, negative means none, at most 10.
	MaxRetries int
	// MaxRetryWait bounds the total time one request waits between
	// retries; a Retry-After that would exceed it ends the retries at
	// once. 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// RetryBaseDelay is the first backoff when a response has no
	// Retry-After (doubling per attempt, plus up to 1 s jitter); whole
	// seconds, 0 means kiota's 3 s.
	RetryBaseDelay time.Duration
	// JoinURLPolls and JoinURLDelay bound the re-reads of a new event
	// whose Teams join URL Graph has not filled yet. 0 means the defaults
	// (3 reads, 2 s apart); negative polls mean none.
	JoinURLPolls int
	JoinURLDelay time.Duration
	// SiteHosts are SharePoint hosts accepted by SiteByURL besides
	// *.sharepoint.com, *.sharepoint.us and *.sharepoint.cn (vanity
	// domains, tests).
	SiteHosts []string
	// Logger receives retries at Info and each call's failure at Debug;
	// nil discards.
	Logger *slog.Logger
}

// Client calls Microsoft Graph. It is safe for concurrent use.
type Client struct {
	svc       *msgraph.GraphServiceClient
	adapter   *msgraph.GraphRequestAdapter // kept: svc.GetAdapter() panics in this SDK version
	baseURL   string                       // without trailing slash
	base      *url.URL
	organizer string
	siteHosts []string
	joinPolls int
	joinDelay time.Duration
	log       *slog.Logger
}

// New builds a client. It makes no network call; a bad credential shows on
// the first request.
func New(cfg Config) (*Client, error) {
	baseURL := strings.TrimRight(cfg.BaseURL, "/")
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	base, err := url.Parse(baseURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, playbook.Errorf(playbook.EINVALID, "GRAPH_BASE_URL %q: want an absolute http(s) URL such as %s", cfg.BaseURL, DefaultBaseURL)
	}
	if base.Scheme == "http" && !isLoopback(base.Hostname()) {
		return nil, playbook.Errorf(playbook.EINVALID, "GRAPH_BASE_URL %q: plain http is allowed for a loopback host only", cfg.BaseURL)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var auth absauth.AuthenticationProvider = &absauth.AnonymousAuthenticationProvider{}
	if cfg.Credential != nil {
		scope := cfg.Scope
		if scope == "" {
			scope = scopeFor(base)
		}
		// Tokens go to the Graph host only: a nextLink or redirect to
		// another host gets no Authorization header.
		auth, err = coreauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cfg.Credential, []string{scope}, []string{base.Hostname()})
		if err != nil {
			return nil, fmt.Errorf("graph: authentication provider: %w", err)
		}
	}

	httpClient := newHTTPClient(cfg, log)
	adapter, err := msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		return nil, fmt.Errorf("graph: request adapter: %w", err)
	}
	// Before NewGraphServiceClient: it only sets the public URL when the
	// adapter has none, and builders capture the base URL when made.
	adapter.SetBaseUrl(baseURL)

	joinPolls, joinDelay := cfg.JoinURLPolls, cfg.JoinURLDelay
	if joinPolls == 0 {
		joinPolls = DefaultJoinURLPolls
	}
	if joinDelay <= 0 {
		joinDelay = DefaultJoinURLDelay
	}
	// NewGraphServiceClient(adapter) would also assign the same default to
	// the global store.BackingStoreFactoryInstance on every call, a data
	// race with requests of clients already running; a nil factory skips
	// that write and keeps the default.
	svc := &msgraph.GraphServiceClient{GraphBaseServiceClient: *msgraph.NewGraphBaseServiceClient(adapter, nil)}
	return &Client{
		svc:       svc,
		adapter:   adapter,
		baseURL:   baseURL,
		base:      base,
		organizer: cfg.Organizer,
		siteHosts: cfg.SiteHosts,
		joinPolls: joinPolls,
		joinDelay: joinDelay,
		log:       log,
	}, nil
}

// BaseURL returns the Graph root the client calls.
func (c *Client) BaseURL() string { return c.baseURL }

// Organizer returns the configured default organizer mailbox.
func (c *Client) Organizer() string { return c.organizer }

// newHTTPClient builds the middleware chain in a fixed order (kiota's own
// default list comes out of a map, in random order) and without the
// compression handler.
func newHTTPClient(cfg Config, log *slog.Logger) *http.Client {
	opts := msgraph.GetDefaultClientOptions()
	mws := []khttp.Middleware{
		core.NewGraphTelemetryHandler(&opts),
		khttp.NewUrlReplaceHandler(true, core.ReplacementPairs),
		khttp.NewRetryHandlerWithOptions(retryOptions(cfg, log)),
		khttp.NewRedirectHandler(),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
		khttp.NewHeadersInspectionHandler(),
	}
	var parent http.RoundTripper
	timeout := DefaultTimeout
	if cfg.HTTPClient != nil {
		parent = cfg.HTTPClient.Transport
		if cfg.HTTPClient.Timeout > 0 {
			timeout = cfg.HTTPClient.Timeout
		}
	}
	if parent == nil {
		parent = http.DefaultTransport.(*http.Transport).Clone()
	}
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, mws...),
		Timeout:   timeout,
		// The redirect middleware follows redirects; net/http must not.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// retryOptions configures kiota's retry handler: 429/503/504 only, delay =
// Retry-After else exponential, bounded in count and in total wait.
func retryOptions(cfg Config, log *slog.Logger) khttp.RetryHandlerOptions {
	maxRetries := cfg.MaxRetries
	switch {
	case maxRetries == 0:
		maxRetries = DefaultMaxRetries
	case maxRetries > maxRetriesCap:
		maxRetries = maxRetriesCap
	}
	maxWait := cfg.MaxRetryWait
	if maxWait <= 0 {
		maxWait = DefaultMaxRetryWait
	}
	baseDelay := int(cfg.RetryBaseDelay / time.Second)
	return khttp.RetryHandlerOptions{
		MaxRetries:   max(maxRetries, 1), // kiota reads < 1 as its default
		DelaySeconds: baseDelay,
		ShouldRetry: func(waited time.Duration, attempt int, req *http.Request, resp *http.Response) bool {
			if maxRetries < 0 {
				return false
			}
			delay, ok := retryAfter(resp.Header, time.Now())
			if !ok {
				// kiota: base * 2^attempt (+ <1 s jitter) for the next try.
				b := baseDelay
				if b < 1 {
					b = 3
				}
				delay = time.Duration(b<<attempt) * time.Second
			}
			if waited+delay > maxWait {
				log.Info("graph: not retrying, wait would exceed the budget",
					"method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
					"retry_after", delay, "waited", waited, "budget", maxWait)
				return false
			}
			log.Info("graph: retrying", "method", req.Method, "path", req.URL.Path,
				"status", resp.StatusCode, "attempt", attempt+1, "delay", delay)
			return true
		},
	}
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// scopeFor derives the app-only scope from the Graph host.
func scopeFor(base *url.URL) string {
	host := base.Hostname()
	if isLoopback(host) {
		return "https://graph.microsoft.com/.default"
	}
	return "https://" + host + "/.default"
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// headers returns request headers with the given name/value pairs.
func headers(kv ...string) *abs.RequestHeaders {
	h := abs.NewRequestHeaders()
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// preferUTC asks Outlook to return event times in UTC.
const preferUTC = `outlook.timezone="UTC"`

// organizerOr returns the organizer to use or an EINVALID error.
func (c *Client) organizerOr(organizer string) (string, error) {
	if organizer == "" {
		organizer = c.organizer
	}
	if organizer == "" {
		return "", playbook.Errorf(playbook.EINVALID, "no workshop organizer mailbox is configured (MVMBOT_ORGANIZER)")
	}
	return organizer, nil
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// str dereferences a string pointer, "" for nil.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
