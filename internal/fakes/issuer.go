package fakes

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BotFrameworkIssuer is the iss claim of every token the Bot Connector sends.
const BotFrameworkIssuer = "https://api.botframework.com"

// Issuer plays the Bot Framework token service: it serves OpenID metadata and
// a JWKS, and signs tokens with its current key.
type Issuer struct {
	srv *httptest.Server

	mu           sync.Mutex
	key          *rsa.PrivateKey
	kid          string
	endorsements []string
	keyN         int

	metadataFetches atomic.Int64
	keysFetches     atomic.Int64
}

// NewIssuer starts an issuer with a fresh 2048-bit key endorsed for msteams.
func NewIssuer() (*Issuer, error) {
	is := &Issuer{endorsements: []string{"msteams"}}
	if err := is.Rotate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", is.serveMetadata)
	mux.HandleFunc("GET /v1/.well-known/keys", is.serveKeys)
	// Assigned before it serves: a request that comes at once (a bot of an
	// earlier test still polling a port now reused) reads is.srv.
	is.srv = httptest.NewUnstartedServer(mux)
	is.srv.Start()
	return is, nil
}

// MetadataURL is the value for BotOpenIdMetadata.
func (is *Issuer) MetadataURL() string {
	return is.srv.URL + "/v1/.well-known/openidconfiguration"
}

// Close stops the server.
func (is *Issuer) Close() { is.srv.Close() }

// MetadataFetches and KeysFetches count the requests served, so tests can
// check that keys are cached.
func (is *Issuer) MetadataFetches() int64 { return is.metadataFetches.Load() }

// KeysFetches counts JWKS requests.
func (is *Issuer) KeysFetches() int64 { return is.keysFetches.Load() }

// Rotate replaces the signing key (and its kid) with a new one; the old key
// is no longer published.
func (is *Issuer) Rotate() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keyN++
	is.key, is.kid = key, fmt.Sprintf("test-key-%d", is.keyN)
	return nil
}

// SetEndorsements sets the channels the published key is endorsed for; an
// empty list publishes the key with no endorsements.
func (is *Issuer) SetEndorsements(channels ...string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.endorsements = channels
}

// Key returns the current signing key and its kid.
func (is *Issuer) Key() (*rsa.PrivateKey, string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.key, is.kid
}

// Claims returns the claims the Bot Connector puts in a token for appID and
// serviceURL, valid from a minute ago for ttl.
func Claims(appID, serviceURL string, ttl time.Duration) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss":        BotFrameworkIssuer,
		"aud":        appID,
		"serviceurl": serviceURL,
		"nbf":        now.Add(-time.Minute).Unix(),
		"iat":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(ttl).Unix(),
		"ver":        "1.0",
		"appid":      "d6d49420-f39b-4df7-a1dc-d59a935871db",
	}
}

// Sign signs claims with the current key (RS256) under its kid.
func (is *Issuer) Sign(claims jwt.Claims) (string, error) {
	key, kid := is.Key()
	return SignWith(jwt.SigningMethodRS256, key, kid, claims)
}

// Token returns a valid token for appID and serviceURL.
func (is *Issuer) Token(appID, serviceURL string, ttl time.Duration) (string, error) {
	return is.Sign(Claims(appID, serviceURL, ttl))
}

// SignWith signs claims with any method and key, for forged tokens in tests.
func SignWith(method jwt.SigningMethod, key any, kid string, claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(method, claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	return t.SignedString(key)
}

func (is *Issuer) serveMetadata(w http.ResponseWriter, r *http.Request) {
	is.metadataFetches.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                BotFrameworkIssuer,
		"authorization_endpoint":                "https://invalid.example/authorize",
		"jwks_uri":                              is.srv.URL + "/v1/.well-known/keys",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
	})
}

func (is *Issuer) serveKeys(w http.ResponseWriter, r *http.Request) {
	is.keysFetches.Add(1)
	is.mu.Lock()
	pub, kid, endorsements := is.key.PublicKey, is.kid, is.endorsements
	is.mu.Unlock()
	b64 := base64.RawURLEncoding.EncodeToString
	key := map[string]any{
		"kty": "RSA",
		"use": "sig",
		"kid": kid,
		"n":   b64(pub.N.Bytes()),
		"e":   b64(big.NewInt(int64(pub.E)).Bytes()),
	}
	if len(endorsements) > 0 {
		key["endorsements"] = endorsements
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": []any{key}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
