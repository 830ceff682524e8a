package botframework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// clockSkew is the leeway on exp and nbf the Bot Framework SDKs allow.
const clockSkew = 5 * time.Minute

// BotFrameworkIssuer is the issuer of every token the Bot Connector sends to
// a bot, single- or multi-tenant alike.
const BotFrameworkIssuer = "https://api.botframework.com"

// PublicOpenIDMetadata is the Bot Framework's OpenID metadata in the public
// cloud, the default for BotOpenIdMetadata.
const PublicOpenIDMetadata = "https://login.botframework.com/v1/.well-known/openidconfiguration"

// AuthError says which check an inbound token failed. Its text goes to the
// log only; the caller gets a bare 401.
type AuthError struct {
	Check string // missing, scheme, malformed, algorithm, unknown-key, signature, expired, not-yet-valid, issuer, audience, claims, unverifiable, endorsement, serviceurl
	Err   error
}

func (e *AuthError) Error() string {
	if e.Err != nil {
		return "token check " + e.Check + ": " + e.Err.Error()
	}
	return "token check " + e.Check + " failed"
}

func (e *AuthError) Unwrap() error { return e.Err }

// Claims are the checked claims of an inbound token that the activity must
// agree with.
type Claims struct {
	ServiceURL   string
	endorsements []string
}

// TokenValidator checks Bot Connector tokens the way the Bot Framework SDKs
// do (reference/botframework.md §1): RS256/384/512 only, issuer
// https://api.botframework.com, audience = the bot's app id, exp/nbf with 5
// minutes of skew, and, against the activity, the key's endorsements and the
// serviceurl claim. It replaces msbotbuilder-go's validator (see OpenIDKeys).
type TokenValidator struct {
	AppID string
	Keys  *OpenIDKeys
	Now   func() time.Time

	parser *jwt.Parser

	// Teams sends the same token with every activity for up to an hour, and
	// checking an RS256 signature is the dearest part of a request, so a
	// token that passed every check is remembered until it expires. Its
	// lifetime, and that its key is still published, are checked on every
	// use; activity-dependent checks (CheckActivity) are never cached.
	mu    sync.RWMutex
	cache map[string]cachedToken
}

type cachedToken struct {
	claims              *Claims
	kid                 string
	notBefore, notAfter time.Time // nbf and exp, widened by the allowed skew
}

// maxCachedTokens bounds the cache; when it is full it starts afresh,
// which costs one signature check per live token.
const maxCachedTokens = 1024

// NewTokenValidator returns a validator for tokens addressed to appID.
func NewTokenValidator(appID string, keys *OpenIDKeys, now func() time.Time) *TokenValidator {
	if now == nil {
		now = time.Now
	}
	return &TokenValidator{
		AppID: appID,
		Keys:  keys,
		Now:   now,
		parser: jwt.NewParser(
			jwt.WithLeeway(clockSkew),
			jwt.WithIssuer(BotFrameworkIssuer),
			jwt.WithAudience(appID),
			jwt.WithExpirationRequired(),
			jwt.WithTimeFunc(now),
		),
	}
}

// validMethods are the signing algorithms the Bot Connector uses. They are
// checked in the key function rather than with jwt.WithValidMethods, which
// reports another algorithm as a bad signature, indistinguishable but by its
// text.
var validMethods = []string{"RS256", "RS384", "RS512"}

// errAlgorithm is returned for a token signed with another algorithm
// (none, HS256, ...).
var errAlgorithm = errors.New("signing method not allowed")

type tokenClaims struct {
	jwt.RegisteredClaims
	ServiceURL string `json:"serviceurl"`
}

// Verify checks the Authorization header's token on its own: scheme,
// signature, issuer, audience and lifetime.
func (v *TokenValidator) Verify(ctx context.Context, header string) (*Claims, error) {
	if header == "" {
		return nil, &AuthError{Check: "missing"}
	}
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return nil, &AuthError{Check: "scheme"}
	}
	raw = strings.TrimSpace(raw)
	if c, ok := v.cached(raw); ok {
		return c, nil
	}
	var key signingKey
	var kid string
	var tc tokenClaims
	_, err := v.parser.ParseWithClaims(raw, &tc, func(t *jwt.Token) (any, error) {
		if alg := t.Method.Alg(); !slices.Contains(validMethods, alg) {
			return nil, fmt.Errorf("%w: %s", errAlgorithm, alg)
		}
		kid, _ = t.Header["kid"].(string)
		k, err := v.Keys.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		key = k
		return k.pub, nil
	})
	if err != nil {
		return nil, classify(err)
	}
	c := &Claims{ServiceURL: tc.ServiceURL, endorsements: key.endorsements}
	entry := cachedToken{claims: c, kid: kid, notAfter: tc.ExpiresAt.Time.Add(clockSkew)}
	if tc.NotBefore != nil {
		entry.notBefore = tc.NotBefore.Time.Add(-clockSkew)
	}
	v.remember(raw, entry)
	return c, nil
}

func (v *TokenValidator) cached(raw string) (*Claims, bool) {
	v.mu.RLock()
	c, ok := v.cache[raw]
	v.mu.RUnlock()
	if !ok {
		return nil, false
	}
	now := v.Now()
	if now.Before(c.notBefore) || !now.Before(c.notAfter) || !v.Keys.published(c.kid) {
		return nil, false
	}
	return c.claims, true
}

func (v *TokenValidator) remember(raw string, c cachedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.cache == nil || len(v.cache) >= maxCachedTokens {
		v.cache = make(map[string]cachedToken)
	}
	v.cache[raw] = c
}

// CheckActivity checks the claims against the activity they came with: the
// signing key must be endorsed for the activity's channel (when the key lists
// endorsements and the activity names a channel), and the serviceurl claim
// must equal the activity's serviceUrl exactly, so that a token minted for
// one service cannot make the bot post to another.
func (c *Claims) CheckActivity(channelID, serviceURL string) error {
	if channelID != "" && len(c.endorsements) > 0 && !slices.Contains(c.endorsements, channelID) {
		return &AuthError{Check: "endorsement", Err: errors.New("signing key not endorsed for channel " + channelID)}
	}
	if c.ServiceURL != serviceURL {
		return &AuthError{Check: "serviceurl", Err: errors.New("serviceurl claim does not match the activity")}
	}
	return nil
}

func classify(err error) error {
	check := "malformed"
	switch {
	case errors.Is(err, errUnknownKey):
		check = "unknown-key"
	case errors.Is(err, errAlgorithm):
		check = "algorithm"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		check = "signature"
	case errors.Is(err, jwt.ErrTokenExpired):
		check = "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		check = "not-yet-valid"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		check = "issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		check = "audience"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		check = "claims"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		check = "unverifiable"
	}
	return &AuthError{Check: check, Err: err}
}
