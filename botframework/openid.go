package botframework

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// OpenIDKeys caches the signing keys published through an OpenID metadata
// document (for Teams: the Bot Framework's). It replaces msbotbuilder-go's key
// handling, which fetches the metadata on every request, caches without
// synchronisation, ignores endorsements and hard-codes the metadata URL.
//
// Keys are fetched once by Load, refreshed by Run every RefreshInterval, and
// refreshed on a kid that is not in the cache at most once per
// MinRefreshInterval, so a flood of tokens with invented kids costs the
// metadata host one request per interval. A failed refresh keeps the keys it
// had. Safe for concurrent use.
type OpenIDKeys struct {
	MetadataURL        string
	Client             *http.Client
	Log                *slog.Logger
	Now                func() time.Time
	RefreshInterval    time.Duration // default 24h
	MinRefreshInterval time.Duration // default 5m

	current atomic.Pointer[keySet]

	mu          sync.Mutex // guards lastAttempt
	lastAttempt time.Time

	// fetchMu serialises fetches, so a slow one cannot store an older key
	// set over a newer one.
	fetchMu sync.Mutex
}

type keySet struct {
	keys      map[string]signingKey
	fetchedAt time.Time
}

type signingKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

// errUnknownKey is returned when a token names a kid the metadata does not
// publish, even after a permitted refresh.
var errUnknownKey = errors.New("unknown signing key")

const maxMetadataBytes = 1 << 20

func (k *OpenIDKeys) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func (k *OpenIDKeys) logger() *slog.Logger {
	if k.Log != nil {
		return k.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Ready reports whether keys have been loaded.
func (k *OpenIDKeys) Ready() bool { return k.current.Load() != nil }

// Load fetches the keys now. Start-up calls it so the first request does not
// pay for the fetch.
func (k *OpenIDKeys) Load(ctx context.Context) error {
	k.mu.Lock()
	k.lastAttempt = k.now()
	k.mu.Unlock()
	return k.refresh(ctx)
}

// Run refreshes the keys every RefreshInterval until ctx is done. After a
// failed refresh it tries again sooner (MinRefreshInterval), since keys
// rotate and a long outage of the cache would start refusing Teams.
func (k *OpenIDKeys) Run(ctx context.Context) {
	every := k.RefreshInterval
	if every <= 0 {
		every = 24 * time.Hour
	}
	wait := every
	if !k.Ready() {
		wait = k.minRefresh()
	}
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		k.mu.Lock()
		k.lastAttempt = k.now()
		k.mu.Unlock()
		if err := k.refresh(ctx); err != nil {
			k.logger().Warn("refresh OpenID signing keys", "err", err)
			wait = k.minRefresh()
		} else {
			wait = every
		}
	}
}

func (k *OpenIDKeys) minRefresh() time.Duration {
	if k.MinRefreshInterval > 0 {
		return k.MinRefreshInterval
	}
	return 5 * time.Minute
}

// key returns the key for kid, refreshing the cache once if kid is unknown
// and a refresh is permitted.
func (k *OpenIDKeys) key(ctx context.Context, kid string) (signingKey, error) {
	if set := k.current.Load(); set != nil {
		if key, ok := set.keys[kid]; ok {
			return key, nil
		}
	}
	if !k.mayRefresh() {
		return signingKey{}, errUnknownKey
	}
	k.logger().Info("token names an unknown signing key; refreshing OpenID keys", "kid", kid)
	if err := k.refresh(ctx); err != nil {
		k.logger().Warn("refresh OpenID signing keys", "err", err)
	}
	if set := k.current.Load(); set != nil {
		if key, ok := set.keys[kid]; ok {
			return key, nil
		}
	}
	return signingKey{}, errUnknownKey
}

// published reports whether kid is in the current key set.
func (k *OpenIDKeys) published(kid string) bool {
	set := k.current.Load()
	if set == nil {
		return false
	}
	_, ok := set.keys[kid]
	return ok
}

func (k *OpenIDKeys) mayRefresh() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.lastAttempt.IsZero() && now.Sub(k.lastAttempt) < k.minRefresh() {
		return false
	}
	k.lastAttempt = now
	return true
}

func (k *OpenIDKeys) refresh(ctx context.Context) error {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := k.getJSON(ctx, k.MetadataURL, &meta); err != nil {
		return fmt.Errorf("fetch OpenID metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return fmt.Errorf("OpenID metadata %s has no jwks_uri", k.MetadataURL)
	}
	var jwks struct {
		Keys []struct {
			Kty          string   `json:"kty"`
			Kid          string   `json:"kid"`
			N            string   `json:"n"`
			E            string   `json:"e"`
			Endorsements []string `json:"endorsements"`
		} `json:"keys"`
	}
	if err := k.getJSON(ctx, meta.JWKSURI, &jwks); err != nil {
		return fmt.Errorf("fetch signing keys: %w", err)
	}
	set := &keySet{keys: make(map[string]signingKey, len(jwks.Keys)), fetchedAt: k.now()}
	for _, jk := range jwks.Keys {
		// Only RSA keys with a modulus and exponent can verify the RS* tokens
		// the Bot Framework issues; anything else is skipped.
		if jk.Kty != "RSA" || jk.Kid == "" {
			continue
		}
		pub, err := rsaKey(jk.N, jk.E)
		if err != nil {
			k.logger().Warn("skip unusable signing key", "kid", jk.Kid, "err", err)
			continue
		}
		set.keys[jk.Kid] = signingKey{pub: pub, endorsements: jk.Endorsements}
	}
	if len(set.keys) == 0 {
		return fmt.Errorf("signing keys at %s: no usable RSA key", meta.JWKSURI)
	}
	k.current.Store(set)
	k.logger().Info("loaded OpenID signing keys", "keys", len(set.keys))
	return nil
}

func (k *OpenIDKeys) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := k.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}

func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n64)
	if err != nil || len(nb) == 0 {
		return nil, fmt.Errorf("bad modulus")
	}
	eb, err := base64.RawURLEncoding.DecodeString(e64)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, fmt.Errorf("bad exponent")
	}
	e := int(new(big.Int).SetBytes(eb).Int64())
	if e < 3 {
		return nil, fmt.Errorf("bad exponent")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: e}, nil
}
