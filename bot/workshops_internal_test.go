package bot

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// Jobs that cannot succeed by retrying are dead-lettered at once: a
// malformed job, or a Graph operation with no Graph client configured.
func TestWorkshopJobsFailPermanently(t *testing.T) {
	w := &WorkshopJobs{} // no Graph client, no store: neither may be reached
	good, _ := json.Marshal(workshopArgs{Engagement: "e1", Workshop: "workshop-imap"})
	bad := json.RawMessage(`{"engagement": 42`)
	tests := []struct {
		name string
		work WorkFunc
		args json.RawMessage
	}{
		{"create without Graph", w.WorkCreate, good},
		{"cancel without Graph", w.WorkCancel, good},
		{"create, malformed", w.WorkCreate, bad},
		{"cancel, malformed", w.WorkCancel, bad},
		{"remind, malformed", w.WorkRemind, bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.work(context.Background(), playbook.Job{Kind: "workshop", Args: tt.args})
			var perm *permanentError
			if !errors.As(err, &perm) {
				t.Errorf("got %v, want a permanent failure", err)
			}
		})
	}
}

func TestWakeNilRunner(t *testing.T) {
	var r *Runner
	r.Wake() // must not panic: workers built without a runner call it
}
