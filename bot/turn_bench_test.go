package bot_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/benchdata"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/storetest"
)

// BenchmarkTurn is a whole personal-chat turn through the endpoint, as
// bench/load drives it but in one process: signed token, decode, dedup,
// the handler, the inline reply to the connector. "hello" is the cheapest
// answer there is (the hint for unknown text); "next steps" reads the
// person's engagement, works out their tasks and sends the task card. The
// difference is what the domain costs a turn; the issue holds it to 20% of
// the endpoint's throughput, which bench/run.sh measures on the real
// binary.
func BenchmarkTurn(b *testing.B) {
	for _, text := range []string{"hello", "next steps"} {
		b.Run(text, func(b *testing.B) {
			h := newHarness(b, harnessOpts{auth: true, inline: true})
			seedBenchEngagement(b, h)
			auth := h.token()
			a := h.message("", text)
			var n int
			b.ReportAllocs()
			for b.Loop() {
				n++
				a["id"] = "bench-" + strconv.Itoa(n)
				if status, body := h.post(a, auth); status != http.StatusOK {
					b.Fatalf("status %d: %s", status, body)
				}
			}
		})
	}
}

// seedBenchEngagement gives the harness's personal-chat user (29:user-1)
// the engagement bench/seed gives the load's users.
func seedBenchEngagement(b *testing.B, h *harness) {
	b.Helper()
	e, _, err := benchdata.Engagement(1, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTurnHistory is BenchmarkTurn's "next steps" (personal chat) and
// a "note" in the engagement's group chat, on an engagement with 10 and
// with 10,000 history entries: a turn reads and writes what it needs, so
// the two sizes cost the same (docs/performance.md).
func BenchmarkTurnHistory(b *testing.B) {
	pat := person{id: "29:user-1", name: "Pat Partner", aad: "aad-1"}
	for _, size := range []int{10, 10000} {
		for _, text := range []string{"next steps", "note"} {
			b.Run(text+"/entries="+strconv.Itoa(size), func(b *testing.B) {
				h := newHarness(b, harnessOpts{auth: true, inline: true})
				now := time.Now()
				e, _, err := benchdata.Engagement(1, now)
				if err != nil {
					b.Fatal(err)
				}
				e.Conversation = groupChat
				for i := e.HistoryLen(); i < size; i++ {
					if _, err := playbook.AddNote(e, pat.id, "status note "+strconv.Itoa(i)+": the pilot batch moved overnight", now); err != nil {
						b.Fatal(err)
					}
				}
				if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
					b.Fatal(err)
				}
				auth := h.token()
				var n int
				b.ReportAllocs()
				cpu := storetest.CPUTime()
				for b.Loop() {
					n++
					id := "bench-" + strconv.Itoa(n)
					a := h.message(id, text)
					if text == "note" {
						a = h.groupMessage(id, pat, "note pilot batch "+strconv.Itoa(n)+" moved")
					}
					if status, body := h.post(a, auth); status != http.StatusOK {
						b.Fatalf("status %d: %s", status, body)
					}
				}
				b.ReportMetric(float64(storetest.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.StopTimer()
				got, err := h.db.Engagement(context.Background(), e.ID)
				if err != nil {
					b.Fatal(err)
				}
				if text == "note" && got.HistoryLen() != size+n {
					b.Fatalf("%d history entries after %d notes on %d, want %d", got.HistoryLen(), n, size, size+n)
				}
			})
		}
	}
}
