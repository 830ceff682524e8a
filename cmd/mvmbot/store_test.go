package main

import (
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/store"
	"github.com/mvmbot/mvmbot/store/pgstore"
)

// TestDefaultLeaseOutlastsAJob: a job may work for bot.DefaultJobTimeout
// and then record its outcome; a lease that ended first would let the
// runner (or another replica) claim the job again while it still runs.
func TestDefaultLeaseOutlastsAJob(t *testing.T) {
	run := bot.DefaultJobTimeout + bot.BookkeepingTimeout
	for name, lease := range map[string]time.Duration{"bbolt": store.DefaultJobLease, "PostgreSQL": pgstore.DefaultJobLease} {
		if lease <= run {
			t.Errorf("%s: default job lease %s, want longer than the %s a job may run", name, lease, run)
		}
	}
}
