package botframework

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

// validToken returns a header with a token is signs now, valid at now.
func validToken(t testing.TB, is *fakes.Issuer, now time.Time) string {
	t.Helper()
	key, kid := is.Key()
	return "Bearer " + signWith(t, jwt.SigningMethodRS256, key, kid, tokenClaimsAt(now))
}

func mustVerify(t testing.TB, v *TokenValidator, header string) {
	t.Helper()
	if _, err := v.Verify(context.Background(), header); err != nil {
		t.Fatalf("Verify(valid token): %v", err)
	}
}

// wantFetches checks how many times is served its metadata and its keys.
func wantFetches(t testing.TB, is *fakes.Issuer, want int64, when string) {
	t.Helper()
	if m, k := is.MetadataFetches(), is.KeysFetches(); m != want || k != want {
		t.Fatalf("%s: issuer served metadata %d and keys %d times; want %d and %d", when, m, k, want, want)
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestKeysCached(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	v := NewTokenValidator(testAppID, loadKeys(t, is, clock), clock.Now)
	tok := validToken(t, is, clock.Now())

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					t.Errorf("Verify: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantFetches(t, is, 1, "after 200 verifications")

	// Hours later, without Run, the cache is still used: only Run and
	// unknown kids refresh it.
	clock.Advance(3 * time.Hour)
	mustVerify(t, v, validToken(t, is, clock.Now()))
	wantFetches(t, is, 1, "3h later")
}

// The first token pays for the fetch when Load was not called.
func TestKeysLoadOnFirstVerify(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	keys := &OpenIDKeys{MetadataURL: is.MetadataURL(), Now: clock.Now}
	if keys.Ready() {
		t.Fatal("Ready before any fetch")
	}
	v := NewTokenValidator(testAppID, keys, clock.Now)
	mustVerify(t, v, validToken(t, is, clock.Now()))
	if !keys.Ready() {
		t.Error("not Ready after a verification fetched the keys")
	}
	wantFetches(t, is, 1, "after the first verification")
}

func TestKeysRotation(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	keys := loadKeys(t, is, clock)
	v := NewTokenValidator(testAppID, keys, clock.Now)
	oldTok := validToken(t, is, clock.Now())
	mustVerify(t, v, oldTok)

	if err := is.Rotate(); err != nil {
		t.Fatal(err)
	}
	newTok := validToken(t, is, clock.Now())

	// Right after a fetch, an unknown kid does not trigger another one.
	_, err := v.Verify(context.Background(), newTok)
	if got := authCheck(t, err); got != "unknown-key" {
		t.Fatalf("new kid within MinRefreshInterval of the load: check %q; want unknown-key", got)
	}
	wantFetches(t, is, 1, "new kid within MinRefreshInterval")

	clock.Advance(keys.minRefresh())
	for range 20 {
		mustVerify(t, v, newTok)
	}
	wantFetches(t, is, 2, "20 verifications under the new kid")

	// The old key is no longer published, and the refresh budget is spent.
	_, err = v.Verify(context.Background(), oldTok)
	if got := authCheck(t, err); got != "unknown-key" {
		t.Fatalf("retired kid: check %q; want unknown-key", got)
	}
	wantFetches(t, is, 2, "token under the retired kid")
}

func TestKeysUnknownKidFlood(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	keys := loadKeys(t, is, clock)
	keys.MinRefreshInterval = 10 * time.Minute
	v := NewTokenValidator(testAppID, keys, clock.Now)
	key, _ := is.Key()
	good := tokenClaimsAt(clock.Now())
	flood := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		var accepted atomic.Int64
		for i := range n {
			tok := "Bearer " + signWith(t, jwt.SigningMethodRS256, key, fmt.Sprintf("invented-%d-%d", clock.Now().Unix(), i), good)
			wg.Go(func() {
				if _, err := v.Verify(context.Background(), tok); err == nil {
					accepted.Add(1)
				} else if got := authCheck(t, err); got != "unknown-key" {
					t.Errorf("invented kid: check %q; want unknown-key", got)
				}
			})
		}
		wg.Wait()
		if n := accepted.Load(); n != 0 {
			t.Fatalf("%d tokens with invented kids accepted", n)
		}
	}

	clock.Advance(10 * time.Minute)
	flood(100)
	wantFetches(t, is, 2, "100 invented kids")

	clock.Advance(9 * time.Minute)
	flood(100)
	wantFetches(t, is, 2, "100 more, 9m later (within MinRefreshInterval)")

	clock.Advance(time.Minute)
	flood(100)
	wantFetches(t, is, 3, "100 more, 10m after the last refresh")

	// Real tokens kept working throughout.
	mustVerify(t, v, validToken(t, is, clock.Now()))
	wantFetches(t, is, 3, "a valid token after the floods")
}

// keyHost is an OpenID metadata host whose answers a test sets, to make
// refreshes fail in the ways a real host can.
type keyHost struct {
	srv *httptest.Server

	mu         sync.Mutex
	metaStatus int
	meta       string // "{{url}}" is replaced by the server's URL
	keysStatus int
	keys       string
}

func newKeyHost(t testing.TB, jwks string) *keyHost {
	t.Helper()
	h := &keyHost{metaStatus: 200, meta: `{"jwks_uri":"{{url}}/keys"}`, keysStatus: 200, keys: jwks}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		status, body := h.metaStatus, strings.ReplaceAll(h.meta, "{{url}}", h.srv.URL)
		if r.URL.Path == "/keys" {
			status, body = h.keysStatus, h.keys
		}
		h.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *keyHost) set(metaStatus int, meta string, keysStatus int, keys string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.metaStatus, h.meta, h.keysStatus, h.keys = metaStatus, meta, keysStatus, keys
}

// jwksOf returns the JWKS document is publishes.
func jwksOf(t testing.TB, is *fakes.Issuer) string {
	t.Helper()
	get := func(url string) []byte {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(get(is.MetadataURL()), &meta); err != nil {
		t.Fatal(err)
	}
	return string(get(meta.JWKSURI))
}

func TestKeysFailedRefreshKeepsOldKeys(t *testing.T) {
	is := startIssuer(t)
	jwks := jwksOf(t, is)
	goodMeta := `{"jwks_uri":"{{url}}/keys"}`
	tests := []struct {
		name       string
		metaStatus int
		meta       string
		keysStatus int
		keys       string
		wantErr    string
	}{
		{"metadata 500", 500, goodMeta, 200, jwks, "500"},
		{"metadata not JSON", 200, "<html>maintenance</html>", 200, jwks, "decode"},
		{"metadata without jwks_uri", 200, `{"issuer":"x"}`, 200, jwks, "no jwks_uri"},
		{"jwks_uri not a URL", 200, `{"jwks_uri":"::"}`, 200, jwks, "fetch signing keys"},
		{"keys 503", 200, goodMeta, 503, jwks, "503"},
		{"keys truncated", 200, goodMeta, 200, jwks[:len(jwks)/2], "decode"},
		{"no keys", 200, goodMeta, 200, `{"keys":[]}`, "no usable RSA key"},
		{"only an EC key", 200, goodMeta, 200, `{"keys":[{"kty":"EC","kid":"ec1","crv":"P-256","x":"AA","y":"AA"}]}`, "no usable RSA key"},
		{"RSA key with a bad modulus", 200, goodMeta, 200, `{"keys":[{"kty":"RSA","kid":"r1","n":"!!","e":"AQAB"}]}`, "no usable RSA key"},
		{"RSA key without kid", 200, goodMeta, 200, `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`, "no usable RSA key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			host := newKeyHost(t, jwks)
			keys := &OpenIDKeys{MetadataURL: host.srv.URL + "/meta", Now: clock.Now}
			if err := keys.Load(context.Background()); err != nil {
				t.Fatalf("Load from a good host: %v", err)
			}
			v := NewTokenValidator(testAppID, keys, clock.Now)
			tok := validToken(t, is, clock.Now())
			mustVerify(t, v, tok)

			host.set(tc.metaStatus, tc.meta, tc.keysStatus, tc.keys)
			err := keys.refresh(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("refresh: %v; want an error containing %q", err, tc.wantErr)
			}
			mustVerify(t, v, tok)

			// The same through an unknown kid that is permitted a refresh.
			clock.Advance(keys.minRefresh())
			key, _ := is.Key()
			_, err = v.Verify(context.Background(), "Bearer "+signWith(t, jwt.SigningMethodRS256, key, "rotated", tokenClaimsAt(clock.Now())))
			if got := authCheck(t, err); got != "unknown-key" {
				t.Fatalf("unknown kid while the host fails: check %q; want unknown-key", got)
			}
			mustVerify(t, v, tok)
			if !keys.Ready() {
				t.Error("not Ready after a failed refresh")
			}
		})
	}
}

func TestKeysHostGone(t *testing.T) {
	clock := newClock()
	is, err := fakes.NewIssuer()
	if err != nil {
		t.Fatal(err)
	}
	keys := loadKeys(t, is, clock)
	v := NewTokenValidator(testAppID, keys, clock.Now)
	tok := validToken(t, is, clock.Now())
	is.Close()

	clock.Advance(keys.minRefresh())
	if err := keys.refresh(context.Background()); err == nil {
		t.Fatal("refresh from a closed server succeeded")
	}
	_, err = v.Verify(context.Background(), "Bearer "+signWith(t, jwt.SigningMethodRS256, mustKey(is), "rotated", tokenClaimsAt(clock.Now())))
	if got := authCheck(t, err); got != "unknown-key" {
		t.Fatalf("unknown kid with the host gone: check %q; want unknown-key", got)
	}
	mustVerify(t, v, tok)
}

func mustKey(is *fakes.Issuer) any { k, _ := is.Key(); return k }

// One unusable key in the JWKS does not keep the others out.
func TestKeysSkipUnusable(t *testing.T) {
	is := startIssuer(t)
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal([]byte(jwksOf(t, is)), &doc); err != nil {
		t.Fatal(err)
	}
	doc.Keys = append([]map[string]any{
		{"kty": "RSA", "kid": "bad-e", "n": doc.Keys[0]["n"], "e": "AQ"},
		{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
	}, doc.Keys...)
	b, _ := json.Marshal(doc)
	host := newKeyHost(t, string(b))
	clock := newClock()
	keys := &OpenIDKeys{MetadataURL: host.srv.URL + "/meta", Now: clock.Now}
	if err := keys.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := len(keys.current.Load().keys); n != 1 {
		t.Errorf("loaded %d keys; want 1", n)
	}
	mustVerify(t, NewTokenValidator(testAppID, keys, clock.Now), validToken(t, is, clock.Now()))
}

func TestKeysRun(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	keys := loadKeys(t, is, clock)
	keys.RefreshInterval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { keys.Run(ctx); close(done) }()

	v := NewTokenValidator(testAppID, keys, clock.Now)
	tok := validToken(t, is, clock.Now())
	waitFor(t, "three refreshes by Run", func() bool {
		mustVerify(t, v, tok) // verifying while Run swaps the cache
		return is.KeysFetches() >= 4
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after ctx was cancelled")
	}
	// A fetch cancelled with ctx may still reach the server after Run has
	// returned; let such a straggler land before counting.
	time.Sleep(50 * time.Millisecond)
	n := is.KeysFetches()
	time.Sleep(50 * time.Millisecond)
	if m := is.KeysFetches(); m != n {
		t.Errorf("keys fetched %d more times after Run returned", m-n)
	}
}

// Run started without keys (Load failed at start-up) loads them after
// MinRefreshInterval, not after a whole RefreshInterval, and keeps trying
// while the host fails.
func TestKeysRunRetriesSoon(t *testing.T) {
	is := startIssuer(t)
	host := newKeyHost(t, jwksOf(t, is))
	host.set(500, "", 500, "")
	var attempts atomic.Int64
	keys := &OpenIDKeys{
		MetadataURL:        host.srv.URL + "/meta",
		RefreshInterval:    time.Hour,
		MinRefreshInterval: time.Millisecond,
		Now:                func() time.Time { attempts.Add(1); return time.Now() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { keys.Run(ctx); close(done) }()
	waitFor(t, "Run to try a few times", func() bool { return attempts.Load() >= 3 })
	if keys.Ready() {
		t.Fatal("Ready while the host fails")
	}
	host.set(200, `{"jwks_uri":"{{url}}/keys"}`, 200, jwksOf(t, is))
	waitFor(t, "Run to load the keys", keys.Ready)
	cancel()
	<-done
}

func TestRSAKey(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	n := b64(big.NewInt(0).Lsh(big.NewInt(1), 2047).Bytes())
	tests := []struct {
		name  string
		n, e  string
		wantE int // 0: want an error
	}{
		{"65537", n, "AQAB", 65537},
		{"3", n, b64([]byte{3}), 3},
		{"four-byte exponent", n, b64([]byte{1, 0, 0, 1}), 1<<24 + 1},
		{"exponent 1", n, b64([]byte{1}), 0},
		{"exponent 0", n, b64([]byte{0}), 0},
		{"exponent too long", n, b64([]byte{1, 0, 0, 0, 1}), 0},
		{"empty exponent", n, "", 0},
		{"padded exponent", n, "AQAB==", 0},
		{"empty modulus", "", "AQAB", 0},
		{"modulus not base64url", "a+b/", "AQAB", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := rsaKey(tc.n, tc.e)
			if tc.wantE == 0 {
				if err == nil {
					t.Fatalf("rsaKey(%q, %q) = %v; want an error", tc.n, tc.e, pub)
				}
				return
			}
			if err != nil {
				t.Fatalf("rsaKey(%q, %q): %v", tc.n, tc.e, err)
			}
			if pub.E != tc.wantE {
				t.Errorf("rsaKey(…, %q).E = %d; want %d", tc.e, pub.E, tc.wantE)
			}
		})
	}
}
