package pgstore

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// helloTurn is the turn of a reply sent through a job: the dedup record,
// the unchanged conversation reference and one job, as on bbolt
// (store/bench_test.go's benchTurn).
func helloTurn(i int64) playbook.Turn {
	return playbook.Turn{
		DedupKey: fmt.Sprintf("msteams|19:abcdef0123456789@thread.tacv2|1700000000%06d", i),
		Result:   playbook.Result{Status: 200},
		Ref: &playbook.ConversationRef{
			Key: "19:abcdef0123456789@thread.tacv2", ServiceURL: "https://smba.trafficmanager.net/amer/",
			ConversationID: "19:abcdef0123456789@thread.tacv2", Type: "channel",
			UpdatedAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		},
		Jobs: []playbook.Job{{Kind: "post", Args: json.RawMessage(`{"conversation":"19:abcdef0123456789@thread.tacv2","text":"Hello."}`)}},
	}
}

// BenchmarkTurn is what a turn costs the bot's process on PostgreSQL, 16
// callers per CPU; cpu-ns/op is the process's CPU per turn (the server's is
// not counted). The server leaves the redelivery check to CommitTurn here
// (bot.Server.RecordFirst), so neither path asks Processed.
//
//   - inline: a read-only answer (hello, next steps): the dedup record and
//     the reference committed before the replies are posted, one round trip.
//   - job: a turn answered through a job: CommitTurn with the job, then
//     the runner's Complete.
func BenchmarkTurn(b *testing.B) {
	pgtest.Base(b)
	db, err := Open(b.Context(), pgtest.Schema(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	var n atomic.Int64
	for _, withJob := range []bool{false, true} {
		name := "inline"
		if withJob {
			name = "job"
		}
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					t := helloTurn(n.Add(1))
					if !withJob {
						t.Jobs = nil
					}
					jobs, _, err := db.CommitTurn(ctx, t)
					if err == nil && withJob {
						err = db.Complete(ctx, jobs[0].ID)
					}
					if err != nil {
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
