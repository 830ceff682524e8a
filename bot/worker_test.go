package bot

import (
	"context"
	"errors"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// Stored jobs name their kind; a renamed kind would strand every job
// queued under the old name.
func TestJobKindsKeepStoredNames(t *testing.T) {
	for _, tt := range []struct {
		args JobArgs
		want string
	}{
		{sendRecord{}, "connector.send"},
		{reportArgs{}, "report.weekly"},
		{remindArgs{}, "escalation.remind"},
		{siteArgs{}, "site.setup"},
		{issueSyncArgs{}, "issue.sync"},
		{workshopCreateArgs{}, "workshop.create"},
		{workshopRemindArgs{}, "workshop.remind"},
		{workshopCancelArgs{}, "workshop.cancel"},
	} {
		if got := tt.args.Kind(); got != tt.want {
			t.Errorf("%T.Kind() = %q; want the stored name %q", tt.args, got, tt.want)
		}
	}
}

// Every kind a job set queues has a worker, and each is registered once.
func TestAddWorkers(t *testing.T) {
	ws := Workers{}
	AddSendWorker(ws, nil, nil)
	(&MigrationJobs{}).AddWorkers(ws)
	(&WorkshopJobs{}).AddWorkers(ws)
	(&SiteJobs{}).AddWorkers(ws)
	for _, kind := range []string{KindSend, KindReportWeekly, KindEscalationRemind, KindSiteSetup, KindIssueSync,
		KindWorkshopCreate, KindWorkshopRemind, KindWorkshopCancel} {
		if ws[kind] == nil {
			t.Errorf("no worker for %s", kind)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a second worker for report.weekly was accepted; want a panic")
		}
	}()
	(&MigrationJobs{}).AddWorkers(ws)
}

// Args that do not decode fail the job for good, before the worker runs;
// the workshop kinds keep the one stored form they shared.
func TestWorkDecodesArgs(t *testing.T) {
	var got workshopRemindArgs
	work := Work(func(_ context.Context, _ playbook.Job, a workshopRemindArgs) error { got = a; return nil })
	if err := work(context.Background(), playbook.Job{Args: []byte(`{"engagement":"e1","workshop":"w","before":3600000000000}`)}); err != nil {
		t.Fatal(err)
	}
	if got.Engagement != "e1" || got.Workshop != "w" || got.Before.Hours() != 1 {
		t.Errorf("decoded %+v", got)
	}
	for _, bad := range []string{`{"engagement":1}`, `[`, `"x"`} {
		err := work(context.Background(), playbook.Job{Args: []byte(bad)})
		var perm *permanentError
		if !errors.As(err, &perm) {
			t.Errorf("args %s: %v; want a permanent failure", bad, err)
		}
	}
	j, err := newJob(workshopCreateArgs{workshopArgs{Engagement: "e1", Workshop: "w"}})
	if err != nil || j.Kind != KindWorkshopCreate || string(j.Args) != `{"engagement":"e1","workshop":"w","start":"0001-01-01T00:00:00Z"}` {
		t.Errorf("newJob = %+v (%s), %v", j, j.Args, err)
	}
}
