package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// HistorySizes are the history lengths BenchHistory compares: an
// engagement's first days, and one that has run for months with notes
// every day (the failure-paths issue's 2,000 notes took 455 ms a note when
// every turn rewrote the whole record).
var HistorySizes = []int{10, 10000}

// BenchHistory measures, for each of HistorySizes, what the two commonest
// turns cost a store on one engagement with that much history: "next
// steps" reads the person's engagements and records the activity (a
// dedup record, no engagement change); "note" reads the conversation's
// engagement, adds a note and commits it over the version read. open
// returns a fresh, empty backend. The goal (docs/performance.md): both
// within 1.5x between the sizes. cpu-ns/op is the process's CPU per turn
// (a PostgreSQL server's is not counted).
func BenchHistory(b *testing.B, open func(b *testing.B) Backend) {
	for _, size := range HistorySizes {
		for _, turn := range []string{"next steps", "note"} {
			b.Run(fmt.Sprintf("%s/entries=%d", turn, size), func(b *testing.B) {
				benchTurn(b, open, turn, func(e *playbook.Engagement) {
					for i := e.HistoryLen(); i < size; i++ {
						if _, err := playbook.AddNote(e, "29:lead", fmt.Sprintf("status note %d: the pilot batch moved %d mailboxes overnight", i, i), Epoch); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// BatchSizes are the members (and outcomes) per event BenchBatches
// compares, on 5 events: none, and an IMAP batch of 2,000 per event with
// a status import of every unit.
var BatchSizes = []int{0, 2000}

// BenchBatches is BenchHistory for events' batches: "next steps" and
// "note" on one engagement whose 5 events have BatchSizes members and
// outcomes each. The goal (docs/performance.md): "note" within 1.5x
// between the sizes, since it does not touch a batch.
func BenchBatches(b *testing.B, open func(b *testing.B) Backend) {
	for _, size := range BatchSizes {
		for _, turn := range []string{"next steps", "note"} {
			b.Run(fmt.Sprintf("%s/members=5x%d", turn, size), func(b *testing.B) {
				benchTurn(b, open, turn, func(e *playbook.Engagement) {
					if size > 0 {
						withBatches(e, 5, size, Epoch)
					}
				})
			})
		}
	}
}

// BenchParts is BenchHistory for questionnaire versions and issues: "next
// steps" and "note" on one engagement without either, and with 20
// versions (an answer per field each) and 500 issues. The goal
// (docs/performance.md): both within 1.5x between the sizes.
func BenchParts(b *testing.B, open func(b *testing.B) Backend) {
	for _, size := range []int{0, 500} {
		for _, turn := range []string{"next steps", "note"} {
			b.Run(fmt.Sprintf("%s/issues=%d", turn, size), func(b *testing.B) {
				benchTurn(b, open, turn, func(e *playbook.Engagement) {
					if size > 0 {
						WithParts(e, 20, size, Epoch)
					}
				})
			})
		}
	}
}

// benchTurn measures turn ("next steps" or "note") on an engagement grown
// by grow.
func benchTurn(b *testing.B, open func(b *testing.B) Backend, turn string, grow func(*playbook.Engagement)) {
	db := open(b)
	ctx := b.Context()
	now := Epoch
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "bench", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:bench",
	}, playbook.Member{ID: "29:lead", Name: "Lee Lead", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		b.Fatal(err)
	}
	grow(e)
	e.Version = 1
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
		b.Fatal(err)
	}
	var n int
	b.ReportAllocs()
	cpu := CPUTime()
	for b.Loop() {
		n++
		key := fmt.Sprintf("bench-%d", n)
		if turn == "next steps" {
			es, err := db.EngagementsOf(ctx, "29:lead")
			if err != nil || len(es) != 1 {
				b.Fatal(len(es), err)
			}
			if _, err := playbook.NextSteps(es[0], "29:lead"); err != nil {
				b.Fatal(err)
			}
			if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}}); err != nil {
				b.Fatal(err)
			}
			continue
		}
		cur, err := db.EngagementByConversation(ctx, "19:bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := playbook.AddNote(cur, "29:lead", "another note "+key, now.Add(time.Duration(n)*time.Second)); err != nil {
			b.Fatal(err)
		}
		cur.Version++
		if _, _, err := db.CommitTurn(ctx, playbook.Turn{DedupKey: key, Result: playbook.Result{Status: 200}, Engagement: cur, ExpectVersion: cur.Version - 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
}
