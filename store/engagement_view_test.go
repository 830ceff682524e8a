package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/internal/benchdata"
	"github.com/mvmbot/mvmbot/playbook"
)

// ViewEngagementsOf sees what EngagementsOf returns, follows writes, and
// hands fn's error back.
func TestViewEngagementsOf(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "mvmbot.db"), nil)
	ctx := t.Context()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	e, frp, err := benchdata.Engagement(1, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}
	view := func() *playbook.Engagement {
		t.Helper()
		var got []*playbook.Engagement
		if err := db.ViewEngagementsOf(ctx, frp.ID, func(es []*playbook.Engagement) error {
			got = es
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("viewed %d engagements; want 1", len(got))
		}
		return got[0]
	}
	if v := view(); v.ID != e.ID || v.Version != 1 {
		t.Errorf("viewed %s v%d; want %s v1", v.ID, v.Version, e.ID)
	}

	next := e.Clone()
	if _, err := playbook.MarkDone(next, frp.ID, "core-onboarding", now); err != nil {
		t.Fatal(err)
	}
	next.Version = 2
	if _, _, err := db.CommitTurn(ctx, playbook.Turn{Engagement: next, ExpectVersion: 1}); err != nil {
		t.Fatal(err)
	}
	if v := view(); v.Version != 2 || v.State("core-onboarding").Status != playbook.StatusDone {
		t.Errorf("after a write, viewed v%d with core-onboarding %s; want v2, done", v.Version, v.State("core-onboarding").Status)
	}

	stop := errors.New("stop")
	if err := db.ViewEngagementsOf(ctx, frp.ID, func([]*playbook.Engagement) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error came back as %v", err)
	}
	if err := db.ViewEngagementsOf(ctx, "29:nobody", func(es []*playbook.Engagement) error {
		if es == nil || len(es) != 0 {
			t.Errorf("nobody's engagements: %v; want an empty slice", es)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
