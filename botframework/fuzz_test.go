package botframework

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

// FuzzActivityJSON feeds the endpoint's decoding of inbound activities
// (DecodeActivity) what a stranger can POST. Properties: no panic; it
// accepts what encoding/json accepts and reads the same activity; the
// command text is trimmed with single spaces; an accepted activity
// re-encodes, decodes again, and yields the same command, conversation key
// and tenant.
func FuzzActivityJSON(f *testing.F) {
	for _, data := range sampleActivities(f) {
		f.Add(data)
	}
	for _, s := range []string{
		`{}`,
		`null`,
		`[]`,
		`{"type":"message","text":"<at>x</at>","entities":[{"type":"mention","text":"<at>x</at>","mentioned":null}]}`,
		`{"type":"message","text":"<at>a</at><at>b</at> go","entities":[{"type":"mention","text":"","mentioned":{"id":""}}],"recipient":{"id":""}}`,
		`{"conversation":{"conversationType":"channel","id":";messageid=;messageid="},"channelData":{"channel":{"id":null},"tenant":[]}}`,
		`{"channelData":{"channel":"x","tenant":{"id":1}},"value":null,"entities":null}`,
		`{"text":"<at ` + strings.Repeat("<at>", 50) + `","entities":[{"type":"mention","text":"<at"}]}`,
		`{"timestamp":"2025-03-03T09:00:00.1234567+14:00","localTimestamp":"0000-01-01T00:00:00Z"}`,
		// encoding/json (time.Parse) takes a comma before the fraction;
		// segmentio did not (issue 20).
		`{"type":"message","timestamp":"2026-12-07T09:00:00,5Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var std Activity
		stdErr := json.Unmarshal(data, &std)
		a, err := DecodeActivity(data)
		if (err == nil) != (stdErr == nil) {
			t.Fatalf("DecodeActivity error %v, encoding/json error %v", err, stdErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(a, &std) {
			t.Fatalf("DecodeActivity read\n%+v\nencoding/json\n%+v", a, &std)
		}
		_ = a.Validate()
		cmd, key, tenant := a.CommandText(), a.ConversationKey(), a.TenantID()
		_ = a.DedupKey()
		if cmd != strings.TrimSpace(cmd) || strings.Contains(cmd, "  ") {
			t.Errorf("CommandText = %q: not trimmed to single spaces", cmd)
		}
		enc, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("re-encode a decoded activity: %v", err)
		}
		b, err := DecodeActivity(enc)
		if err != nil {
			t.Fatalf("decode a re-encoded activity: %v\n%s", err, enc)
		}
		if got := b.CommandText(); got != cmd {
			t.Errorf("CommandText after a round trip = %q; want %q", got, cmd)
		}
		if got := b.ConversationKey(); got != key {
			t.Errorf("ConversationKey after a round trip = %q; want %q", got, key)
		}
		if got := b.TenantID(); got != tenant {
			t.Errorf("TenantID after a round trip = %q; want %q", got, tenant)
		}
	})
}

// authChecks are the AuthError.Check values Verify may report.
var authChecks = map[string]bool{
	"missing": true, "scheme": true, "malformed": true, "algorithm": true, "unknown-key": true,
	"signature": true, "expired": true, "not-yet-valid": true, "issuer": true, "audience": true,
	"claims": true, "unverifiable": true,
}

// FuzzVerifyHeader feeds Verify Authorization headers a stranger can send.
// Properties: no panic, never accepted (no seed is a valid token, and none
// can be made without the issuer's private key), and every refusal is an
// *AuthError naming a known check. The clocks stand still, so an invented
// kid never makes the issuer refresh more than once.
func FuzzVerifyHeader(f *testing.F) {
	is, err := fakes.NewIssuer()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(is.Close)
	clock := newClock()
	keys := &OpenIDKeys{MetadataURL: is.MetadataURL(), Now: clock.Now}
	if err := keys.Load(context.Background()); err != nil {
		f.Fatal(err)
	}
	v := NewTokenValidator(testAppID, keys, clock.Now)

	key, kid := is.Key()
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	good := tokenClaimsAt(clock.Now())
	sign := func(m jwt.SigningMethod, k any, kid string, c jwt.MapClaims) string {
		tok, err := fakes.SignWith(m, k, kid, c)
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	for _, h := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Basic dXNlcjpwYXNz",
		"Bearer a.b.c",
		"Bearer ..",
		"Bearer eyJhbGciOiJSUzI1NiJ9.e30.",
		"Bearer " + sign(jwt.SigningMethodRS256, key, kid, with(good, "aud", "another-bot")),
		"Bearer " + sign(jwt.SigningMethodRS256, key, kid, with(good, "exp", clock.Now().Add(-time.Hour).Unix())),
		"Bearer " + sign(jwt.SigningMethodRS256, key, kid, with(good, "iss", "https://evil.example")),
		"Bearer " + sign(jwt.SigningMethodRS512, forger, kid, good),
		"Bearer " + sign(jwt.SigningMethodRS256, forger, "invented", good),
		"Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, good),
		"Bearer " + sign(jwt.SigningMethodHS256, pubDER, kid, good),
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		claims, err := v.Verify(context.Background(), header)
		if err == nil {
			t.Fatalf("Verify accepted %q (claims %+v)", header, claims)
		}
		var ae *AuthError
		if !errors.As(err, &ae) || !authChecks[ae.Check] {
			t.Fatalf("Verify(%q) = %v (%T); want an *AuthError with a known check", header, err, err)
		}
		if claims != nil {
			t.Fatalf("Verify(%q) returned claims with error %v", header, err)
		}
	})
}
