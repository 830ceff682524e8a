package botframework

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

// Shared helpers for the bot package's tests.

const (
	testAppID      = "5e1d7f2a-6b1c-4f3e-9d2a-00000000b075"
	testServiceURL = "https://smba.trafficmanager.net/emea/"
)

// epoch is the time every fake clock starts at.
var epoch = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

type fakeClock = fakes.Clock

func newClock() *fakeClock { return fakes.NewClock(epoch) }

// startIssuer starts a fake Bot Framework token service, closed at the end
// of the test.
func startIssuer(t testing.TB) *fakes.Issuer {
	t.Helper()
	is, err := fakes.NewIssuer()
	if err != nil {
		t.Fatalf("start fake issuer: %v", err)
	}
	t.Cleanup(is.Close)
	return is
}

// loadKeys returns OpenIDKeys for is on clock, with keys loaded.
func loadKeys(t testing.TB, is *fakes.Issuer, clock *fakeClock) *OpenIDKeys {
	t.Helper()
	k := &OpenIDKeys{MetadataURL: is.MetadataURL(), Now: clock.Now}
	if err := k.Load(context.Background()); err != nil {
		t.Fatalf("load keys from fake issuer: %v", err)
	}
	return k
}

// tokenClaimsAt are the claims the Bot Connector sends, valid at now.
func tokenClaimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":        BotFrameworkIssuer,
		"aud":        testAppID,
		"serviceurl": testServiceURL,
		"nbf":        now.Add(-time.Minute).Unix(),
		"iat":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"ver":        "1.0",
		"appid":      "d6d49420-f39b-4df7-a1dc-d59a935871db",
	}
}

// with returns a copy of c with the given claims set; a nil value deletes
// the claim.
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

// signWith signs claims and fails the test on error.
func signWith(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok, err := fakes.SignWith(method, key, kid, claims)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return tok
}

// authCheck returns the Check of err, which must be an *AuthError.
func authCheck(t testing.TB, err error) string {
	t.Helper()
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *AuthError", err, err)
	}
	return ae.Check
}

func TestVerify(t *testing.T) {
	clock := newClock()
	now := clock.Now()
	ctx := context.Background()

	teams := startIssuer(t) // keys endorsed for msteams, as Bot Framework's are
	bare := startIssuer(t)
	bare.SetEndorsements() // keys endorsed for nothing
	validators := map[bool]*TokenValidator{
		false: NewTokenValidator(testAppID, loadKeys(t, teams, clock), clock.Now),
		true:  NewTokenValidator(testAppID, loadKeys(t, bare, clock), clock.Now),
	}
	key, kid := teams.Key()
	bareKey, bareKid := bare.Key()
	good := tokenClaimsAt(now)

	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	bearer := func(tok string) string { return "Bearer " + tok }
	rs256 := func(c jwt.MapClaims) string { return bearer(signWith(t, jwt.SigningMethodRS256, key, kid, c)) }

	// activity is what CheckActivity is given after a successful Verify.
	type activity struct{ channelID, serviceURL string }
	teamsActivity := activity{"msteams", testServiceURL}

	tests := []struct {
		name        string
		bare        bool // use the issuer whose key has no endorsements
		header      string
		wantCheck   string // Verify's AuthError.Check; "" means accepted
		act         activity
		wantActCase string // CheckActivity's AuthError.Check; "" means accepted
	}{
		{name: "valid RS256", header: rs256(good), act: teamsActivity},
		{name: "valid RS384", header: bearer(signWith(t, jwt.SigningMethodRS384, key, kid, good)), act: teamsActivity},
		{name: "valid RS512", header: bearer(signWith(t, jwt.SigningMethodRS512, key, kid, good)), act: teamsActivity},
		{name: "scheme is case-insensitive", header: "bearer " + signWith(t, jwt.SigningMethodRS256, key, kid, good), act: teamsActivity},
		{name: "audience in a list", header: rs256(with(good, "aud", []string{"someone-else", testAppID})), act: teamsActivity},
		{name: "expired 10 minutes ago", header: rs256(with(good, "exp", now.Add(-10*time.Minute).Unix())), wantCheck: "expired"},
		{name: "expired within 5 minutes of skew", header: rs256(with(good, "exp", now.Add(-4*time.Minute).Unix())), act: teamsActivity},
		{name: "nbf 2 minutes ahead", header: rs256(with(good, "nbf", now.Add(2*time.Minute).Unix())), act: teamsActivity},
		{name: "nbf 10 minutes ahead", header: rs256(with(good, "nbf", now.Add(10*time.Minute).Unix())), wantCheck: "not-yet-valid"},
		{name: "wrong audience", header: rs256(with(good, "aud", "another-bot")), wantCheck: "audience"},
		{name: "missing audience", header: rs256(with(good, "aud", nil)), wantCheck: "claims"},
		{name: "missing issuer", header: rs256(with(good, "iss", nil)), wantCheck: "claims"},
		{name: "exp not a number", header: rs256(with(good, "exp", "tomorrow")), wantCheck: "malformed"},
		{name: "wrong issuer", header: rs256(with(good, "iss", "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/")), wantCheck: "issuer"},
		{name: "issuer with trailing slash", header: rs256(with(good, "iss", BotFrameworkIssuer+"/")), wantCheck: "issuer"},
		{name: "missing exp", header: rs256(with(good, "exp", nil)), wantCheck: "claims"},
		{name: "wrong serviceurl", header: rs256(with(good, "serviceurl", "https://evil.example/")), act: teamsActivity, wantActCase: "serviceurl"},
		{name: "serviceurl without trailing slash", header: rs256(with(good, "serviceurl", "https://smba.trafficmanager.net/emea")), act: teamsActivity, wantActCase: "serviceurl"},
		{name: "missing serviceurl", header: rs256(with(good, "serviceurl", nil)), act: teamsActivity, wantActCase: "serviceurl"},
		{name: "forged signature under the real kid", header: bearer(signWith(t, jwt.SigningMethodRS256, forger, kid, good)), wantCheck: "signature"},
		{name: "tampered claims", header: func() string {
			// Header and signature of one token, claims of another.
			a := signWith(t, jwt.SigningMethodRS256, key, kid, good)
			b := signWith(t, jwt.SigningMethodRS256, key, kid, with(good, "aud", "another-bot"))
			pa, pb := splitJWT(t, a), splitJWT(t, b)
			return bearer(pa[0] + "." + pb[1] + "." + pa[2])
		}(), wantCheck: "signature"},
		{name: "unknown kid", header: bearer(signWith(t, jwt.SigningMethodRS256, key, "no-such-kid", good)), wantCheck: "unknown-key"},
		{name: "no kid", header: bearer(signWith(t, jwt.SigningMethodRS256, key, "", good)), wantCheck: "unknown-key"},
		{name: "key of another issuer under the same kid", header: bearer(signWith(t, jwt.SigningMethodRS256, bareKey, kid, good)), wantCheck: "signature"},
		{name: "endorsed for msteams, activity from slack", header: rs256(good), act: activity{"slack", testServiceURL}, wantActCase: "endorsement"},
		{name: "empty channelId skips endorsement", header: rs256(good), act: activity{"", testServiceURL}},
		{name: "unendorsed key accepts any channel", bare: true, header: bearer(signWith(t, jwt.SigningMethodRS256, bareKey, bareKid, good)), act: activity{"slack", testServiceURL}},
		{name: "unendorsed key, wrong serviceurl", bare: true, header: bearer(signWith(t, jwt.SigningMethodRS256, bareKey, bareKid, good)), act: activity{"msteams", "https://evil.example/"}, wantActCase: "serviceurl"},
		{name: "alg none", header: bearer(signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, good)), wantCheck: "algorithm"},
		{name: "HS256 keyed with the public key PEM", header: bearer(signWith(t, jwt.SigningMethodHS256, pubPEM, kid, good)), wantCheck: "algorithm"},
		{name: "HS256 keyed with the public key DER", header: bearer(signWith(t, jwt.SigningMethodHS256, pubDER, kid, good)), wantCheck: "algorithm"},
		{name: "ES256", header: bearer(signWith(t, jwt.SigningMethodES256, ecKey, kid, good)), wantCheck: "algorithm"},
		{name: "PS256 with the real key", header: bearer(signWith(t, jwt.SigningMethodPS256, key, kid, good)), wantCheck: "algorithm"},
		{name: "header missing", header: "", wantCheck: "missing"},
		{name: "basic auth", header: "Basic dXNlcjpwYXNz", wantCheck: "scheme"},
		{name: "Bearer with nothing", header: "Bearer", wantCheck: "scheme"},
		{name: "Bearer and a space", header: "Bearer ", wantCheck: "scheme"},
		{name: "Bearer and spaces", header: "Bearer    ", wantCheck: "malformed"},
		{name: "token without scheme", header: signWith(t, jwt.SigningMethodRS256, key, kid, good), wantCheck: "scheme"},
		{name: "garbage token", header: "Bearer not-a-jwt", wantCheck: "malformed"},
		{name: "three garbage segments", header: "Bearer a.b.c", wantCheck: "malformed"},
		{name: "two tokens", header: rs256(good) + " " + signWith(t, jwt.SigningMethodRS256, key, kid, good), wantCheck: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims, err := validators[tc.bare].Verify(ctx, tc.header)
			if tc.wantCheck != "" {
				if err == nil {
					t.Fatalf("Verify(%.40q…) accepted the token; want check %q", tc.header, tc.wantCheck)
				}
				if got := authCheck(t, err); got != tc.wantCheck {
					t.Fatalf("Verify: check %q (%v); want %q", got, err, tc.wantCheck)
				}
				if claims != nil {
					t.Errorf("Verify returned claims %+v with error %v", claims, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v; want accepted", err)
			}
			err = claims.CheckActivity(tc.act.channelID, tc.act.serviceURL)
			switch {
			case tc.wantActCase == "" && err != nil:
				t.Fatalf("CheckActivity(%q, %q): %v; want accepted", tc.act.channelID, tc.act.serviceURL, err)
			case tc.wantActCase != "" && err == nil:
				t.Fatalf("CheckActivity(%q, %q) accepted; want check %q", tc.act.channelID, tc.act.serviceURL, tc.wantActCase)
			case tc.wantActCase != "":
				if got := authCheck(t, err); got != tc.wantActCase {
					t.Fatalf("CheckActivity: check %q (%v); want %q", got, err, tc.wantActCase)
				}
			}
		})
	}
	if n := teams.MetadataFetches() + teams.KeysFetches(); n != 2 {
		t.Errorf("issuer served %d requests; want 2 (one load, no refresh with the clock standing still)", n)
	}
}

// splitJWT splits a compact JWS into its three parts.
func splitJWT(t testing.TB, tok string) [3]string {
	t.Helper()
	var out [3]string
	i := 0
	start := 0
	for j := 0; j < len(tok); j++ {
		if tok[j] == '.' {
			if i == 2 {
				t.Fatalf("token %q has more than three parts", tok)
			}
			out[i] = tok[start:j]
			i++
			start = j + 1
		}
	}
	if i != 2 {
		t.Fatalf("token %q has %d parts; want 3", tok, i+1)
	}
	out[2] = tok[start:]
	return out
}

// The lifetime checks follow the validator's clock, not the wall clock.
func TestVerifyUsesValidatorClock(t *testing.T) {
	clock := newClock()
	is := startIssuer(t)
	v := NewTokenValidator(testAppID, loadKeys(t, is, clock), clock.Now)
	key, kid := is.Key()
	tok := "Bearer " + signWith(t, jwt.SigningMethodRS256, key, kid, tokenClaimsAt(clock.Now()))

	steps := []struct {
		advance   time.Duration
		wantCheck string
	}{
		{0, ""},
		{time.Hour + 4*time.Minute, ""},   // exp + 4m: within skew
		{2 * time.Minute, "expired"},      // exp + 6m
		{-3 * time.Hour, "not-yet-valid"}, // nbf - 2h
	}
	for _, s := range steps {
		at := clock.Advance(s.advance)
		_, err := v.Verify(context.Background(), tok)
		got := ""
		if err != nil {
			got = authCheck(t, err)
		}
		if got != s.wantCheck {
			t.Errorf("at %s: check %q (%v); want %q", at.Sub(epoch), got, err, s.wantCheck)
		}
	}
}

// An AuthError's text names the check and keeps the cause for the log.
func TestAuthErrorText(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		err  *AuthError
		want string
	}{
		{&AuthError{Check: "missing"}, "token check missing failed"},
		{&AuthError{Check: "signature", Err: cause}, "token check signature: boom"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q; want %q", tc.err, got, tc.want)
		}
	}
	if !errors.Is(&AuthError{Check: "x", Err: cause}, cause) {
		t.Error("AuthError does not unwrap to its cause")
	}
}
