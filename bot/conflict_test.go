package bot_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestConcurrentWritersOneEngagement: 8 people write to one engagement at
// once (a note each, several rounds). A turn that loses the race reruns on
// the committed state, so almost none is refused with "Others changed…",
// and every accepted note is in the engagement once.
func TestConcurrentWritersOneEngagement(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := &conv{t: t, h: h}
	setUp(t, c)
	const writers, rounds = 8, 10
	var refused, accepted atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				id := fmt.Sprintf("w%d-r%d", w, r)
				a := h.groupMessage(id, pat, "note writer "+id)
				if status, body := h.post(a, c.auth()); status != 200 {
					t.Errorf("%s: status %d %s", id, status, body)
					return
				}
				switch s := text(h.replyTo(id)); {
				case strings.Contains(s, "Others changed"):
					refused.Add(1)
				case strings.Contains(s, "Noted"):
					accepted.Add(1)
				default:
					t.Errorf("%s: %s", id, s)
				}
			}
		}()
	}
	wg.Wait()
	total := int64(writers * rounds)
	t.Logf("%d of %d writes refused at %d concurrent writers", refused.Load(), total, writers)
	if refused.Load()*100 >= total {
		t.Errorf("%d of %d writes refused, want under 1%%", refused.Load(), total)
	}
	e := c.engagement()
	seen := map[string]int{}
	for _, n := range playbook.Notes(e, 0) {
		seen[n.Text]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("note %q stored %d times", k, n)
		}
	}
	if int64(len(seen)) != accepted.Load() {
		t.Errorf("%d notes stored, %d accepted", len(seen), accepted.Load())
	}
}
