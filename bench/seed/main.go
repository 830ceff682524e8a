// Command seed prepares a bench database: for every bench conversation, an
// IMAP engagement in its own channel whose FRP is that conversation's user,
// a few tasks along, so that "next steps" in the personal chat has real work
// to do (look up the person's engagements, compute next steps, build the
// card). bench/run.sh passes it as -setup mvmbot=...; it reads MVMBOT_DB and
// BENCH_CONVERSATIONS like the bot would.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

func main() {
	convs := strings.Split(os.Getenv("BENCH_CONVERSATIONS"), ",")
	db, err := store.Open(os.Getenv("MVMBOT_DB"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	for i := range convs {
		if _, err := db.Engagement(context.Background(), fmt.Sprintf("bench-%d", i)); err == nil {
			continue // seeded by an earlier run on the same file
		}
		// bench/load's user of conversation i is 29:user-i.
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
			log.Fatal(err)
		}
		if _, err := playbook.MarkDone(e, frp.ID, "1699", now); err != nil {
			log.Fatal(err)
		}
		e.Version = 1
		if _, _, err := db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("seeded %d engagements\n", len(convs))
}
