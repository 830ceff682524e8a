package bot

import (
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/chart"
	"github.com/mvmbot/mvmbot/playbook"
)

// progressPicture is the status and report cards' picture of e; none when
// it cannot be drawn (logged), as the cards' text holds the same numbers.
func progressPicture(e *playbook.Engagement, now time.Time) cards.Picture {
	pic, err := chart.Picture(e, now)
	if err != nil {
		slog.Warn("no progress picture", "engagement", e.ID, "err", err)
	}
	return pic
}
