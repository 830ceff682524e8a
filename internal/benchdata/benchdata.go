// Package benchdata holds the engagement the benchmarks and the load
// seeding share, so that every figure of a "next steps" turn is taken on
// the same work: an IMAP engagement whose only member is its FRP, 1699
// done, so the FRP has a task to do and some waiting.
package benchdata

import (
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// Engagement returns the bench engagement of conversation i, whose FRP is
// bench/load's user of that conversation, 29:user-i.
func Engagement(i int, now time.Time) (*playbook.Engagement, playbook.Member, error) {
	frp := playbook.Member{ID: fmt.Sprintf("29:user-%d", i), Name: fmt.Sprintf("Bench User %d", i), Roles: []playbook.Role{playbook.FRP}}
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID:           fmt.Sprintf("bench-%d", i),
		Customer:     fmt.Sprintf("Bench Customer %d", i),
		TenantDomain: fmt.Sprintf("bench%d.onmicrosoft.com", i),
		Sources:      []playbook.Source{playbook.IMAP},
		TargetStart:  now.AddDate(0, 1, 0),
		TargetEnd:    now.AddDate(0, 4, 0),
		Conversation: fmt.Sprintf("19:bench-channel-%d@thread.tacv2", i),
	}, frp, now)
	if err != nil {
		return nil, frp, fmt.Errorf("bench engagement %d: %w", i, err)
	}
	if _, err := playbook.MarkDone(e, frp.ID, "1699", now); err != nil {
		return nil, frp, fmt.Errorf("bench engagement %d: mark 1699 done: %w", i, err)
	}
	e.Version = 1
	return e, frp, nil
}
