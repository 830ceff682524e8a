package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/benchdata"
	"github.com/mvmbot/mvmbot/playbook"
)

// benchTurn is a typical turn: a dedup record with a small card reply, the
// conversation reference, one outbound job.
func benchTurn(i int64) playbook.Turn {
	return playbook.Turn{
		DedupKey: fmt.Sprintf("1:f3c2a9e1-%012d", i),
		Result:   playbook.Result{Status: 200, Body: json.RawMessage(`{"statusCode":200,"type":"application/vnd.microsoft.card.adaptive","value":{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"Saved."}]}}`)},
		Ref: &playbook.ConversationRef{
			Key: "19:abcdef0123456789@thread.tacv2", ServiceURL: "https://smba.trafficmanager.net/emea/",
			ChannelID: "msteams", ConversationID: "19:abcdef0123456789@thread.tacv2;messageid=1700000000000",
			Type: "channel", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
		},
		Jobs: []playbook.Job{{Kind: "post", Args: json.RawMessage(`{"conversation":"19:abcdef0123456789@thread.tacv2","text":"Workshop booked."}`)}},
	}
}

func BenchmarkCommitTurn(b *testing.B) {
	db := mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	ctx := b.Context()
	var i int64
	for b.Loop() {
		i++
		if _, _, err := db.CommitTurn(ctx, benchTurn(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// answeredTurn is the record of a turn answered inline (help, next steps):
// the dedup record and the conversation reference, unchanged since the
// last turn, so only the record is written.
func answeredTurn(i int64) playbook.Turn {
	t := benchTurn(i)
	t.Result.Body, t.Jobs = nil, nil
	t.Ref.UpdatedAt = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return t
}

// BenchmarkCommitTurnParallel runs 16 concurrent callers per CPU, as a busy
// bot's request handlers would. "batch" is the store as shipped; "update"
// gives every call its own transaction and fsync, for comparison;
// "answered" is the store as shipped with answeredTurn, written in the
// background as the bot writes it. Wall time per op is mostly waiting for
// fsync, so cpu-ns/op (the process's CPU time) says what a record costs.
func BenchmarkCommitTurnParallel(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noBatch bool
		turn    func(int64) playbook.Turn
	}{{"batch", false, benchTurn}, {"update", true, benchTurn}, {"answered", false, func(i int64) playbook.Turn {
		t := answeredTurn(i)
		t.Background = true
		return t
	}}} {
		b.Run(mode.name, func(b *testing.B) {
			db := mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
			db.noBatch = mode.noBatch
			ctx := b.Context()
			var n atomic.Int64
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := db.CommitTurn(ctx, mode.turn(n.Add(1))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkProcessed is the redelivery fast path: one read transaction
// against 10,000 records.
func BenchmarkProcessed(b *testing.B) {
	db := mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	ctx := b.Context()
	const records = 10000
	var turns []playbook.Turn
	for i := range int64(records) {
		t := benchTurn(i)
		t.Ref, t.Jobs = nil, nil
		turns = append(turns, t)
	}
	// Load in one batch-sized sweep of goroutines to keep setup short.
	done := make(chan error, records)
	for _, t := range turns {
		go func() { _, _, err := db.CommitTurn(ctx, t); done <- err }()
	}
	for range records {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.Run("sequential", func(b *testing.B) {
		var i int
		for b.Loop() {
			i++
			if _, ok, err := db.Processed(ctx, turns[i%records].DedupKey); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, err := db.Processed(ctx, turns[n.Add(1)%records].DedupKey); err != nil || !ok {
					b.Error(ok, err)
					return
				}
			}
		})
	})
}

// BenchmarkEngagementsOf is the read of a personal-chat "next steps": the
// person's engagements, from the member index and the decoded cache.
func BenchmarkEngagementsOf(b *testing.B) {
	db := mustOpen(b, filepath.Join(b.TempDir(), "mvmbot.db"), nil)
	ctx := b.Context()
	e, frp, err := benchdata.Engagement(1, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		es, err := db.EngagementsOf(ctx, frp.ID)
		if err != nil || len(es) != 1 {
			b.Fatalf("%d engagements, %v", len(es), err)
		}
	}
}
