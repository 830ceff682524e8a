// Package download fetches a file a person attached in the bot's personal
// chat. Teams puts the file in the sender's OneDrive and gives the bot a
// pre-authenticated downloadUrl (attachment content type
// application/vnd.microsoft.teams.file.download.info; Microsoft Learn,
// "Send and receive files using bot"). The URL comes from the activity, so
// this package only fetches from the hosts Teams uses (SharePoint and
// OneDrive for Business), over HTTPS, within a size and a time limit; in
// local mode only from the loopback interface, for the Playground and tests.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of Client.
const (
	DefaultMaxBytes = 16 << 20 // playbook.MaxBatchCSVBytes
	DefaultTimeout  = 20 * time.Second
)

// ErrRefused matches (errors.Is) a URL this client will not fetch.
var ErrRefused = errors.New("download refused")

// ErrTooLarge matches a file over MaxBytes.
var ErrTooLarge = errors.New("file too large")

// Client fetches attachments. The zero value fetches from SharePoint over
// HTTPS with the defaults.
type Client struct {
	HTTP     *http.Client  // nil: a client of its own
	Local    bool          // local mode: loopback http(s) only, instead of SharePoint
	MaxBytes int64         // 0: DefaultMaxBytes
	Timeout  time.Duration // 0: DefaultTimeout
}

// Allowed reports whether u is a URL the client fetches: in production an
// https URL on a SharePoint host (*.sharepoint.com, where OneDrive for
// Business lives; *.sharepoint.us and *.sharepoint-mil.us for the US
// government clouds); in local mode an http or https URL on a loopback
// address or localhost.
func (c *Client) Allowed(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if u.User != nil {
		return false
	}
	if c.Local {
		if u.Scheme != "http" && u.Scheme != "https" {
			return false
		}
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	if u.Scheme != "https" || (u.Port() != "" && u.Port() != "443") {
		return false
	}
	for _, suffix := range []string{".sharepoint.com", ".sharepoint.us", ".sharepoint-mil.us"} {
		if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
			return true
		}
	}
	return false
}

// Get returns the body at raw, refusing a URL (or a redirect) Allowed does
// not accept, a body over MaxBytes, a status other than 200, and anything
// slower than Timeout.
func (c *Client) Get(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || !c.Allowed(u) {
		return nil, fmt.Errorf("%w: not a Teams file download address", ErrRefused)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := http.Client{Timeout: timeout}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	hc.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 || !c.Allowed(r.URL) {
			return fmt.Errorf("%w: redirected away from Teams' file storage", ErrRefused)
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		// The URL carries a token: say where, never the whole URL.
		return nil, fmt.Errorf("download from %s: %w", u.Host, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download from %s: status %d", u.Host, resp.StatusCode)
	}
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("download from %s: %w (%d bytes, at most %d)", u.Host, ErrTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download from %s: %w", u.Host, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("download from %s: %w (at most %d bytes)", u.Host, ErrTooLarge, max)
	}
	return b, nil
}
