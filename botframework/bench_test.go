package botframework

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/benchdata"
	"github.com/mvmbot/mvmbot/playbook"
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

// BenchmarkOutgoingJSON encodes the reply of a "next steps" turn in the
// personal chat (the bench's seeded engagement: IMAP, the FRP with 1699
// done) as the connector posts it: "own" is Outgoing's encoder, "reflect"
// encoding/json.
func BenchmarkOutgoingJSON(b *testing.B) {
	e, frp, err := benchdata.Engagement(0, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	o := cardReply(cards.Next(cards.NextView{PersonID: frp.ID, Personal: true, Sections: []*playbook.Engagement{e}}))
	o.From = &schema.ChannelAccount{ID: "28:app", Name: "mvmbot"}
	o.Recipient = &schema.ChannelAccount{ID: frp.ID, Name: frp.Name}
	o.Conversation = &schema.ConversationAccount{ID: "a:conv-0", ConversationType: "personal", TenantID: "t1"}
	o.ReplyToID = "act-1"
	b.Run("own", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := o.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDecodeActivity is the endpoint's decoding of a Teams message,
// with the reads every turn makes of it (tenant, conversation key,
// command text).
func BenchmarkDecodeActivity(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "activities", "personal-message.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := DecodeActivity(data)
		if err != nil {
			b.Fatal(err)
		}
		_, _, _ = a.TenantID(), a.ConversationKey(), a.CommandText()
	}
}
