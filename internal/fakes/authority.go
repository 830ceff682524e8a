package fakes

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
)

// Authority plays the Entra token endpoint for the client-credentials grant,
// over TLS as azidentity requires. Point AZURE_AUTHORITY_HOST at URL and
// SSL_CERT_FILE at the file WriteCA writes.
type Authority struct {
	srv      *httptest.Server
	requests atomic.Int64

	mu        sync.Mutex
	lastForm  map[string]string
	lastPath  string
	failNext  int
	expiresIn int
}

// NewAuthority starts the fake authority; tokens it issues last an hour.
func NewAuthority() (*Authority, error) {
	a := &Authority{expiresIn: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", a.serveMetadata)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", a.serveToken)
	a.srv = httptest.NewTLSServer(mux)
	return a, nil
}

// URL is the authority host with a trailing slash, as azidentity wants it.
func (a *Authority) URL() string { return a.srv.URL + "/" }

// Close stops the server.
func (a *Authority) Close() { a.srv.Close() }

// TokenRequests counts token grants served.
func (a *Authority) TokenRequests() int64 { return a.requests.Load() }

// LastRequest returns the path and form of the last token request.
func (a *Authority) LastRequest() (path string, form map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastPath, a.lastForm
}

// FailNext makes the next n token requests fail with invalid_client.
func (a *Authority) FailNext(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failNext = n
}

// WriteCA writes the server's certificate as PEM to path.
func (a *Authority) WriteCA(path string) error {
	block := &pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return fmt.Errorf("write authority CA: %w", err)
	}
	return nil
}

func (a *Authority) serveMetadata(w http.ResponseWriter, r *http.Request) {
	base := a.srv.URL + "/" + r.PathValue("tenant")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "token"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post"},
	})
}

func (a *Authority) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request"})
		return
	}
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	n := a.requests.Add(1)
	a.mu.Lock()
	a.lastForm, a.lastPath = form, r.URL.Path
	fail := a.failNext > 0
	if fail {
		a.failNext--
	}
	expiresIn := a.expiresIn
	a.mu.Unlock()
	if fail {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"error":             "invalid_client",
			"error_description": "AADSTS7000215: Invalid client secret provided.",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     expiresIn,
		"ext_expires_in": expiresIn,
		"access_token":   fmt.Sprintf("fake-connector-token-%d", n),
	})
}
