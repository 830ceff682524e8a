package bot

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

var methodRS256 = jwt.SigningMethodRS256

// BenchmarkVerify is the cost of checking one inbound token with the keys
// cached: "signature" forgets verified tokens before each check (parse,
// RSA-2048 signature check, claims); "serial" and "parallel" are what Teams'
// reuse of one token for an hour costs once it has been verified.
func BenchmarkVerify(b *testing.B) {
	clock := newClock()
	is := startIssuer(b)
	v := NewTokenValidator(testAppID, loadKeys(b, is, clock), clock.Now)
	tok := validToken(b, is, clock.Now())
	ctx := context.Background()

	b.Run("signature", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v.mu.Lock()
			v.cache = nil
			v.mu.Unlock()
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("refused-unknown-kid", func(b *testing.B) {
		key, _ := is.Key()
		bad := "Bearer " + signWith(b, methodRS256, key, "invented", tokenClaimsAt(clock.Now()))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, bad); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	if n := is.MetadataFetches(); n != 1 {
		b.Errorf("metadata fetched %d times; want 1", n)
	}
}

func BenchmarkCommandText(b *testing.B) {
	plain := &Activity{}
	plain.Text = "start incident SEV2 checkout errors"
	noEntities := &Activity{}
	noEntities.Text = "<at>mvmbot</at> start incident SEV2 checkout errors"
	cases := []struct {
		name string
		a    *Activity
	}{
		{"plain", plain},
		{"channel-mention", loadActivity(b, "channel-mention.json")},
		{"two-mentions", loadActivity(b, "groupchat-mention.json")},
		{"undescribed-mention", noEntities},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.a.CommandText()
			}
		})
	}
}
