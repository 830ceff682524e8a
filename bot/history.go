package bot

import (
	"context"
	"fmt"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// HistoryReader reads an engagement's stored history. An engagement is
// read without it (playbook.Engagement.History says why), so the few
// answers that show older entries (the history card, the weekly report and
// its feed, a workshop's calendar file) read them here, explicitly; every
// other answer needs only the engagement. The store implements it.
type HistoryReader interface {
	// History returns entries from to from+n (n <= 0: to the end) of the
	// engagement's history, oldest first, or ENOTFOUND.
	History(ctx context.Context, id string, from, n int) ([]playbook.AuditEntry, error)
}

// loadHistory reads the stored entries of e's history from number from
// on into e, so that e.History holds them and those added since e was
// read. An entry is never changed once stored, so the range read is
// always whole.
func loadHistory(ctx context.Context, r HistoryReader, e *playbook.Engagement, from int) error {
	from = max(from, 0)
	if from >= e.HistoryBase {
		return nil
	}
	older, err := r.History(ctx, e.ID, from, e.HistoryBase-from)
	if err != nil {
		return fmt.Errorf("history of %s: %w", e.ID, err)
	}
	if len(older) != e.HistoryBase-from {
		return fmt.Errorf("history of %s: read %d entries from %d, want %d", e.ID, len(older), from, e.HistoryBase-from)
	}
	e.PrependHistory(older)
	return nil
}

// historyCard is page page of e's history card, reading only the entries
// that page and the newer ones need.
func historyCard(ctx context.Context, r HistoryReader, e *playbook.Engagement, page int) (*cards.Card, error) {
	if err := loadHistory(ctx, r, e, e.HistoryLen()-max(page, 1)*cards.HistoryPage); err != nil {
		return nil, err
	}
	return cards.History(e, page), nil
}
