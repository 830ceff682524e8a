package playbook

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

func workshopKeys(e *Engagement) []string {
	var keys []string
	for _, t := range WorkshopTasks(e) {
		keys = append(keys, t.Key)
	}
	return keys
}

func TestWorkshopTasks(t *testing.T) {
	tests := []struct {
		name    string
		sources []Source
		setup   func(*Engagement)
		want    []string
	}{
		{"IMAP", []Source{IMAP}, nil, []string{"workshop-imap", "hub-workshop", "remote-connectivity", "reporting-workshop"}},
		{"Box and file share", []Source{Box, FileShare}, nil, []string{"workshop-box", "workshop-fileshare", "hub-workshop", "remote-connectivity", "reporting-workshop"}},
		{"questionnaire asks for 3614", []Source{Dropbox}, func(e *Engagement) {
			e.Questionnaire = []QuestionnaireVersion{{N: 1, Answers: Answers{"secure-credentials": "yes"}}}
		}, []string{"workshop-dropbox", "hub-workshop", "remote-connectivity", "reporting-workshop", "credential-review"}},
		{"questionnaire says no", []Source{Dropbox}, func(e *Engagement) {
			e.Questionnaire = []QuestionnaireVersion{{N: 1, Answers: Answers{"secure-credentials": "no"}}}
		}, []string{"workshop-dropbox", "hub-workshop", "remote-connectivity", "reporting-workshop"}},
		{"3614 added by hand", []Source{GoogleDrive}, func(e *Engagement) {
			mustOK(t, SetWorkshop(e, idMST, Workshop{Key: "credential-review", Tasks: []string{"credential-review"}, Added: true}, t0))
		}, []string{"workshop-gdrive", "hub-workshop", "remote-connectivity", "reporting-workshop", "credential-review"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngagement(t, false, tt.sources...)
			if tt.setup != nil {
				tt.setup(e)
			}
			if got := workshopKeys(e); !slices.Equal(got, tt.want) {
				t.Errorf("WorkshopTasks = %v, want %v", got, tt.want)
			}
		})
	}
	e := mustEngagement(t, false, IMAP, Box)
	if got := TogetherTasks(e); !slices.Equal(got, []string{"workshop-imap", "workshop-box", "hub-workshop"}) {
		t.Errorf("TogetherTasks = %v", got)
	}
}

func TestSetWorkshop(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	start := t0.Add(72 * time.Hour)
	w := Workshop{Key: WorkshopTogether, Tasks: TogetherTasks(e), Status: WorkshopScheduled, Start: start, End: start.Add(time.Hour), Token: "e.tok",
		Attendees: []Attendee{{Email: "a@contoso.com"}}}
	// The migration workshop waits for the assessment, as done would.
	before := e.Clone()
	wantErr(t, SetWorkshop(e, idMST, w, t0), EINVALID, "This workshop waits for 1699")
	wantUnchanged(t, before, e)
	mustDone(t, e, "assessment")
	// A workshop that follows it may be planned before it is held.
	later := e.Clone()
	mustOK(t, SetWorkshop(later, idMST, Workshop{Key: "remote-connectivity", Tasks: []string{"remote-connectivity"}, Status: WorkshopProposed}, t0))
	mustOK(t, SetWorkshop(e, idMST, w, t0))
	got := e.Workshop(WorkshopTogether)
	if got == nil || got.By != idMST || !got.Updated.Equal(t0) || e.WorkshopOf("workshop-imap") != got || e.WorkshopByToken("e.tok") != got || e.WorkshopByToken("") != nil {
		t.Fatalf("workshop = %+v", got)
	}
	h := e.History[len(e.History)-1]
	if h.Action != ActionWorkshop || h.Task != WorkshopTogether || h.Detail == "" {
		t.Errorf("history entry = %+v", h)
	}
	c := e.Clone()
	c.Workshops[0].Attendees[0].Email = "changed"
	c.Workshops[0].Tasks[0] = "changed"
	if e.Workshops[0].Attendees[0].Email != "a@contoso.com" || e.Workshops[0].Tasks[0] != "workshop-imap" {
		t.Error("Clone shares the workshops")
	}
	w.Status = WorkshopCancelled
	mustOK(t, SetWorkshop(e, idMST, w, t0))
	if len(e.Workshops) != 1 || e.Workshop(WorkshopTogether).Status != WorkshopCancelled || e.WorkshopOf("workshop-imap") != nil {
		t.Errorf("after cancel: %+v", e.Workshops)
	}
	if err := SetWorkshop(e, idMST, Workshop{Key: "assessment"}, t0); ErrorCode(err) != EINVALID {
		t.Errorf("SetWorkshop(assessment) = %v, want EINVALID", err)
	}
	if err := Can(e, idCustomer, ActionWorkshop, nil); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("customer may schedule: %v", err)
	}
	for _, id := range []string{idMST, idFRP} {
		if err := Can(e, id, ActionWorkshop, nil); err != nil {
			t.Errorf("%s may not schedule: %v", id, err)
		}
	}
}

func TestMeetingTransactionID(t *testing.T) {
	slot := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	a := MeetingTransactionID("e1", "hub-workshop", slot)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Errorf("MeetingTransactionID = %q, not a version 8 UUID", a)
	}
	if b := MeetingTransactionID("e1", "hub-workshop", slot.In(time.FixedZone("X", 3600))); b != a {
		t.Errorf("same instant, other zone: %q != %q", b, a)
	}
	if b := MeetingTransactionID("e1", "hub-workshop", slot.Add(time.Hour)); b == a {
		t.Error("another slot gives the same id")
	}
	d := WorkingHours{Days: []time.Weekday{time.Monday}, Start: 8 * time.Hour, End: 16 * time.Hour}.Daily(time.UTC)
	if d.From != 8*time.Hour || d.To != 16*time.Hour || len(d.Days) != 1 || d.Location != time.UTC {
		t.Errorf("Daily = %+v", d)
	}
}
