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
	for _, size := range []int{10, 10000} {
		for _, text := range []string{"next steps", "note"} {
			b.Run(text+"/entries="+strconv.Itoa(size), func(b *testing.B) {
				benchTurnOn(b, text, func(e *playbook.Engagement, now time.Time) {
					for i := e.HistoryLen(); i < size; i++ {
						if _, err := playbook.AddNote(e, benchPat.id, "status note "+strconv.Itoa(i)+": the pilot batch moved overnight", now); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}

// BenchmarkTurnBatches is BenchmarkTurnHistory for events' batches: the
// engagement's first 5 events without batches, and with 2,000 members and
// 2,000 imported outcomes each.
func BenchmarkTurnBatches(b *testing.B) {
	for _, size := range []int{0, 2000} {
		for _, text := range []string{"next steps", "note"} {
			b.Run(text+"/members=5x"+strconv.Itoa(size), func(b *testing.B) {
				benchTurnOn(b, text, func(e *playbook.Engagement, now time.Time) {
					if size == 0 {
						return
					}
					e.Events = nil // five running events, as a plan's would be
					for i := range 5 {
						e.Events = append(e.Events, playbook.Event{N: i + 1, Kind: playbook.KindBatch, Date: now.AddDate(0, 0, i), Units: size,
							Source: playbook.IMAP, State: playbook.EventRunning, Started: now})
						ev := &e.Events[i]
						ev.MemberKind = playbook.BatchUsers
						for j := range size {
							u := "user" + strconv.Itoa(i) + "." + strconv.Itoa(j) + "@contoso.com"
							ev.Members = append(ev.Members, playbook.BatchMember{Unit: u})
							ev.Outcomes = append(ev.Outcomes, playbook.UnitOutcome{Unit: u, Status: "Synced", Outcome: playbook.OutcomeMigrated, Recorded: now})
						}
						e.BatchSeq++
						ev.BatchRev = e.BatchSeq
					}
				})
			})
		}
	}
}

var benchPat = person{id: "29:user-1", name: "Pat Partner", aad: "aad-1"}

// benchTurnOn measures text ("next steps" or "note") through the endpoint
// on the bench engagement grown by grow.
func benchTurnOn(b *testing.B, text string, grow func(*playbook.Engagement, time.Time)) {
	pat := benchPat
	h := newHarness(b, harnessOpts{auth: true, inline: true})
	now := time.Now()
	e, _, err := benchdata.Engagement(1, now)
	if err != nil {
		b.Fatal(err)
	}
	e.Conversation = groupChat
	grow(e, now)
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		b.Fatal(err)
	}
	size := e.HistoryLen()
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
	for i, ev := range got.Events {
		if len(ev.Members) != len(e.Events[i].Members) || len(ev.Outcomes) != len(e.Events[i].Outcomes) {
			b.Fatalf("event %d after the turns: %d members, %d outcomes; want %d", ev.N, len(ev.Members), len(ev.Outcomes), len(e.Events[i].Members))
		}
	}
	if len(got.Questionnaire) != len(e.Questionnaire) || len(got.Issues) != len(e.Issues) {
		b.Fatalf("after the turns: %d versions, %d issues; want %d, %d", len(got.Questionnaire), len(got.Issues), len(e.Questionnaire), len(e.Issues))
	}
}

// BenchmarkTurnIssues is BenchmarkTurnHistory for the questionnaire's
// versions and post-migration issues: the bench engagement without either,
// and with 20 submitted versions (an answer for each of the questionnaire's
// fields, as many as a whole questionnaire has) and 500 issues.
func BenchmarkTurnIssues(b *testing.B) {
	for _, size := range []int{0, 500} {
		for _, text := range []string{"next steps", "note"} {
			b.Run(text+"/issues="+strconv.Itoa(size), func(b *testing.B) {
				benchTurnOn(b, text, func(e *playbook.Engagement, now time.Time) {
					if size == 0 {
						return
					}
					fields := playbook.Fields(e)
					for n := 1; n <= 20; n++ {
						a := playbook.Answers{}
						for _, f := range fields {
							a[f.ID] = "answer " + strconv.Itoa(n) + " to " + f.ID
						}
						e.Questionnaire = append(e.Questionnaire, playbook.QuestionnaireVersion{N: n, Answers: a, By: benchPat.id, At: now})
					}
					for i := 1; i <= size; i++ {
						e.Issues = append(e.Issues, playbook.Issue{ID: i, Title: "mailbox " + strconv.Itoa(i) + " did not sync its calendar",
							Unit: "user" + strconv.Itoa(i) + "@contoso.com", State: playbook.IssueOpen, Opened: now, OpenedBy: benchPat.id,
							Source: playbook.IMAP, ErrorText: "The remote server returned an error: (400) Bad Request.",
							Severity: playbook.SeverityMedium, Rev: 1})
					}
				})
			})
		}
	}
}
