package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
)

// ProcessedSweeper forgets processed-activity records older than a time.
type ProcessedSweeper interface {
	SweepProcessed(ctx context.Context, olderThan time.Time) (int, error)
}

// DedupTTL is how long an activity id is remembered. Teams redelivers
// within seconds to minutes; a day covers any retry storm with room to
// spare and keeps the record set small.
const DedupTTL = 24 * time.Hour

// SweepProcessed deletes records older than ttl every interval until ctx
// ends.
func SweepProcessed(ctx context.Context, s ProcessedSweeper, ttl, every time.Duration, now func() time.Time, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.SweepProcessed(ctx, now().Add(-ttl))
		if err != nil {
			log.Warn("sweep processed activities", "err", err)
		} else if n > 0 {
			log.Debug("swept processed activities", "count", n)
		}
	}
}

// NewSendWorker returns the KindSend worker: it posts through connector,
// pacing proactive posts with limits (nil: no pacing).
func NewSendWorker(connector *botframework.Connector, limits *botframework.RateLimiter) WorkFunc {
	s := &sender{connector: connector, limits: limits}
	return s.work
}
