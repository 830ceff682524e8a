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

	"github.com/mvmbot/mvmbot/internal/benchdata"
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
		e, _, err := benchdata.Engagement(i, now)
		if err != nil {
			log.Fatal(err)
		}
		if _, _, err := db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("seeded %d engagements\n", len(convs))
}
