package bot_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/benchdata"
	"github.com/mvmbot/mvmbot/playbook"
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
