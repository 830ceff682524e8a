package pgstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store/pgstore/pgtest"
)

// TestRecordGroupsAcrossReplicas: two replicas record many read-only turns
// at once over a few shared conversations, each activity delivered to both:
// every activity is recorded once (one of the two deliveries is told it is
// a duplicate), and no group fails, though the groups of the two replicas
// lock the same references at once.
func TestRecordGroupsAcrossReplicas(t *testing.T) {
	pgtest.Base(t)
	conn := pgtest.Schema(t)
	a, b := open(t, conn, time.Now), open(t, conn, time.Now)
	const n = 400
	dups := make([]int, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		for _, db := range []*DB{a, b} {
			wg.Go(func() {
				conv := fmt.Sprintf("a:conv-%d", (i*7+len(dups))%5)
				_, dup, err := db.CommitTurn(t.Context(), playbook.Turn{
					DedupKey: fmt.Sprintf("msteams|%s|act-%d", conv, i), Result: playbook.Result{Status: 200},
					Ref: &playbook.ConversationRef{Key: conv, ServiceURL: "https://smba.example/", ConversationID: conv},
				})
				if err != nil {
					t.Error(err)
					return
				}
				if dup != nil {
					mu.Lock()
					dups[i]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for i, d := range dups {
		if d != 1 {
			t.Errorf("activity %d: %d of its two deliveries told duplicate, want 1", i, d)
		}
	}
	refs, err := a.Refs(t.Context())
	if err != nil || len(refs) != 5 {
		t.Errorf("Refs = %d, %v; want 5", len(refs), err)
	}
}
