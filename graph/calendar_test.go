package graph_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
)

var monday = time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)

func TestSchedule(t *testing.T) {
	f, c := newFake(t)
	f.SetSchedule("ada@contoso.com", fakes.GraphSchedule{
		Busy: []fakes.GraphBusy{
			{Start: monday.Add(10 * time.Hour), End: monday.Add(11 * time.Hour)},
			{Start: monday.Add(13 * time.Hour), End: monday.Add(13*time.Hour + 30*time.Minute), Status: "tentative"},
		},
		WorkStart: "09:00:00", WorkEnd: "17:30:00", TimeZone: "W. Europe Standard Time",
	})
	f.SetSchedule("nobody@contoso.com", fakes.GraphSchedule{Error: "ErrorMailRecipientNotFound"})

	got, err := c.Schedule(context.Background(), "", []string{"ada@contoso.com", "nobody@contoso.com"},
		monday.Add(9*time.Hour), monday.Add(17*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := one(t, f, "POST", "/users/mst@contoso.com/calendar/getSchedule")
	// msgraph-sdk-go writes the action parameters as Graph's metadata
	// spells them; Graph binds them case-insensitively.
	assertJSON(t, "getSchedule body", req.Body, `{
		"Schedules": ["ada@contoso.com", "nobody@contoso.com"],
		"StartTime": {"dateTime": "2025-06-02T09:00:00", "timeZone": "UTC"},
		"EndTime": {"dateTime": "2025-06-02T17:00:00", "timeZone": "UTC"},
		"AvailabilityViewInterval": 60}`)
	if p := req.Header.Get("Prefer"); p != `outlook.timezone="UTC"` {
		t.Errorf("Prefer = %q", p)
	}
	want := []graph.Availability{
		{
			Person: "ada@contoso.com",
			View:   "02001000",
			Busy: []graph.Busy{
				{Start: monday.Add(10 * time.Hour), End: monday.Add(11 * time.Hour), Status: "busy"},
				{Start: monday.Add(13 * time.Hour), End: monday.Add(13*time.Hour + 30*time.Minute), Status: "tentative"},
			},
			WorkingHours: &graph.WorkingHours{
				Days:     []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
				Start:    9 * time.Hour,
				End:      17*time.Hour + 30*time.Minute,
				TimeZone: "W. Europe Standard Time",
			},
		},
		{Person: "nobody@contoso.com", Error: "ErrorMailRecipientNotFound: The specified mailbox could not be found."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Schedule:\ngot  %+v\nwant %+v", got, want)
	}
	loc, err := graph.Location(got[0].WorkingHours.TimeZone)
	if err != nil || loc.String() != "Europe/Berlin" {
		t.Errorf("Location(%q) = %v, %v", got[0].WorkingHours.TimeZone, loc, err)
	}
}

func TestScheduleRejectsBadInput(t *testing.T) {
	f, c := newFake(t)
	start := monday.Add(9 * time.Hour)
	many := make([]string, 101)
	for i := range many {
		many[i] = "p@contoso.com"
	}
	for name, call := range map[string]func() error{
		"no people": func() error {
			_, err := c.Schedule(context.Background(), "", nil, start, start.Add(time.Hour), 0)
			return err
		},
		"101 people": func() error {
			_, err := c.Schedule(context.Background(), "", many, start, start.Add(time.Hour), 0)
			return err
		},
		"ends first": func() error {
			_, err := c.Schedule(context.Background(), "", []string{"a@contoso.com"}, start, start, 0)
			return err
		},
		"63 days": func() error {
			_, err := c.Schedule(context.Background(), "", []string{"a@contoso.com"}, start, start.Add(63*24*time.Hour), 0)
			return err
		},
		"3 min interval": func() error {
			_, err := c.Schedule(context.Background(), "", []string{"a@contoso.com"}, start, start.Add(time.Hour), 3*time.Minute)
			return err
		},
		"bad address": func() error {
			_, err := c.Schedule(context.Background(), "", []string{"Ada <ada@contoso.com>"}, start, start.Add(time.Hour), 0)
			return err
		},
	} {
		if err := call(); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
	noOrg, err := graph.New(graph.Config{BaseURL: f.URL()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = noOrg.Schedule(context.Background(), "", []string{"a@contoso.com"}, start, start.Add(time.Hour), 0)
	if playbook.ErrorCode(err) != playbook.EINVALID || !strings.Contains(err.Error(), "MVMBOT_ORGANIZER") {
		t.Errorf("no organizer: %v", err)
	}
}

func workshop() graph.Meeting {
	start := monday.Add(8 * time.Hour) // 10:00 in Berlin (CEST)
	return graph.Meeting{
		Subject:  "Migration workshop: onboarding timeline and scope",
		BodyHTML: "<p>Agenda: scope, timeline, Migration Hub.</p>",
		Start:    start,
		End:      start.Add(90 * time.Minute),
		TimeZone: "Europe/Berlin",
		Attendees: []graph.Attendee{
			{Email: "frp@partner.example", Name: "Fran Partner"},
			{Email: "it@customer.example"},
			{Email: "mvm@contoso.com", Name: "Max Velocity", Optional: true},
		},
		TransactionID: graph.TransactionID("eng-1", "prepare/1635", start),
	}
}

func TestCreateMeeting(t *testing.T) {
	f, c := newFake(t)
	m := workshop()
	ev, err := c.CreateMeeting(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	req := one(t, f, "POST", "/users/mst@contoso.com/events")
	assertJSON(t, "event body", req.Body, `{
		"@odata.type": "#microsoft.graph.event",
		"subject": "Migration workshop: onboarding timeline and scope",
		"body": {"contentType": "html", "content": "<p>Agenda: scope, timeline, Migration Hub.</p>"},
		"start": {"dateTime": "2025-06-02T10:00:00", "timeZone": "Europe/Berlin"},
		"end": {"dateTime": "2025-06-02T11:30:00", "timeZone": "Europe/Berlin"},
		"attendees": [
			{"@odata.type": "#microsoft.graph.attendee", "type": "required", "emailAddress": {"address": "frp@partner.example", "name": "Fran Partner"}},
			{"@odata.type": "#microsoft.graph.attendee", "type": "required", "emailAddress": {"address": "it@customer.example"}},
			{"@odata.type": "#microsoft.graph.attendee", "type": "optional", "emailAddress": {"address": "mvm@contoso.com", "name": "Max Velocity"}}
		],
		"isOnlineMeeting": true,
		"onlineMeetingProvider": "teamsForBusiness",
		"transactionId": "`+m.TransactionID+`"}`)
	if got := req.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("request body sent with Content-Encoding %q; the compression handler must be off", got)
	}
	if !strings.HasPrefix(ev.JoinURL, "https://teams.microsoft.com/l/meetup-join/") || ev.ID == "" || ev.ICalUID == "" || ev.WebLink == "" {
		t.Errorf("event lacks ids or join URL: %+v", ev)
	}
	if !ev.Start.Equal(m.Start) || !ev.End.Equal(m.End) || ev.TimeZone != "Europe/Berlin" || ev.TransactionID != m.TransactionID || ev.Subject != m.Subject {
		t.Errorf("event = %+v", ev)
	}
}

func TestCreateMeetingWindowsZone(t *testing.T) {
	f, c := newFake(t)
	m := workshop()
	m.TimeZone = "Pacific Standard Time"
	if _, err := c.CreateMeeting(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	body := one(t, f, "POST", "/users/").JSON()
	start := body["start"].(map[string]any)
	if start["dateTime"] != "2025-06-02T01:00:00" || start["timeZone"] != "Pacific Standard Time" {
		t.Errorf("start = %v, want 01:00 Pacific (08:00 UTC, PDT)", start)
	}

	m.TimeZone = "Mars/Olympus_Mons"
	if _, err := c.CreateMeeting(context.Background(), m); playbook.ErrorCode(err) != playbook.EINVALID {
		t.Errorf("unknown zone: %v", err)
	}
}

func TestCreateMeetingRepeatedReturnsSameEvent(t *testing.T) {
	f, c := newFake(t)
	first, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Errorf("second create made event %s, want %s", again.ID, first.ID)
	}
	if n := len(f.Events()); n != 1 {
		t.Errorf("%d events in the calendar, want 1", n)
	}
}

func TestCreateMeetingWaitsForJoinURL(t *testing.T) {
	f, c := newFake(t)
	f.SetJoinURLDelay(2)
	ev, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	if ev.JoinURL == "" {
		t.Error("join URL still empty after re-reads")
	}
	if n := len(f.RequestsTo("GET", "/users/mst@contoso.com/events/")); n != 3 {
		t.Errorf("%d re-reads, want 3 (2 without the link, 1 with)", n)
	}

	// Bounded: with one re-read the link is not there yet, and that is
	// not an error.
	f, c = newFake(t, func(cfg *graph.Config) { cfg.JoinURLPolls = 1 })
	f.SetJoinURLDelay(5)
	ev, err = c.CreateMeeting(context.Background(), workshop())
	if err != nil || ev.ID == "" || ev.JoinURL != "" {
		t.Errorf("ev = %+v, err = %v; want the event without a join URL", ev, err)
	}
	if n := len(f.RequestsTo("GET", "/users/")); n != 1 {
		t.Errorf("%d re-reads, want 1", n)
	}
}

func TestCreateMeetingRejectsBadInput(t *testing.T) {
	f, c := newFake(t)
	for name, edit := range map[string]func(*graph.Meeting){
		"no subject":        func(m *graph.Meeting) { m.Subject = " " },
		"ends first":        func(m *graph.Meeting) { m.End = m.Start },
		"no transaction id": func(m *graph.Meeting) { m.TransactionID = "" },
		"no attendees":      func(m *graph.Meeting) { m.Attendees = nil },
		"bad attendee":      func(m *graph.Meeting) { m.Attendees[0].Email = "not an address" },
	} {
		m := workshop()
		edit(&m)
		if _, err := c.CreateMeeting(context.Background(), m); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestCreateMeetingGraphRejects(t *testing.T) {
	f, c := newFake(t)
	f.Fail(fakes.GraphFault{Method: "POST", Path: "/users/mst@contoso.com/events", Status: 400,
		Code: "ErrorInvalidRecipients", Message: "At least one recipient isn't valid."})
	_, err := c.CreateMeeting(context.Background(), workshop())
	assertCode(t, err, playbook.EINVALID)
	msg := playbook.ErrorMessage(err)
	if !strings.Contains(msg, "At least one recipient isn't valid.") || !strings.Contains(msg, "ErrorInvalidRecipients") {
		t.Errorf("message %q lacks Graph's code and message", msg)
	}
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != 400 || ge.Code != "ErrorInvalidRecipients" || ge.Retryable() {
		t.Errorf("*graph.Error = %+v", ge)
	}
}

func TestRescheduleMeeting(t *testing.T) {
	f, c := newFake(t)
	ev, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	start := monday.Add(24*time.Hour + 13*time.Hour)
	moved, err := c.RescheduleMeeting(context.Background(), "", ev.ID, start, start.Add(time.Hour), "W. Europe Standard Time")
	if err != nil {
		t.Fatal(err)
	}
	req := one(t, f, "PATCH", "/users/mst@contoso.com/events/"+ev.ID)
	assertJSON(t, "patch body", req.Body, `{
		"@odata.type": "#microsoft.graph.event",
		"start": {"dateTime": "2025-06-03T15:00:00", "timeZone": "W. Europe Standard Time"},
		"end": {"dateTime": "2025-06-03T16:00:00", "timeZone": "W. Europe Standard Time"}}`)
	if moved.ID != ev.ID || !moved.Start.Equal(start) || !moved.End.Equal(start.Add(time.Hour)) || moved.TimeZone != "W. Europe Standard Time" {
		t.Errorf("moved = %+v", moved)
	}

	_, err = c.RescheduleMeeting(context.Background(), "", "AAMk-nope", start, start.Add(time.Hour), "")
	assertCode(t, err, playbook.ENOTFOUND)
}

func TestCancelMeeting(t *testing.T) {
	f, c := newFake(t)
	ev, err := c.CreateMeeting(context.Background(), workshop())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelMeeting(context.Background(), "", ev.ID, "Moved to next week."); err != nil {
		t.Fatal(err)
	}
	req := one(t, f, "POST", "/users/mst@contoso.com/events/"+ev.ID+"/cancel")
	assertJSON(t, "cancel body", req.Body, `{"Comment": "Moved to next week."}`)
	if got, err := c.GetEvent(context.Background(), "", ev.ID); err != nil || !got.Cancelled {
		t.Errorf("after cancel: %+v, %v", got, err)
	}

	err = c.CancelMeeting(context.Background(), "", "AAMk-nope", "")
	assertCode(t, err, playbook.ENOTFOUND)
	var ge *graph.Error
	if !errors.As(err, &ge) || !ge.NotFound() || ge.Code != "ErrorItemNotFound" {
		t.Errorf("*graph.Error = %+v", ge)
	}
}

func TestTransactionID(t *testing.T) {
	slot := time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)
	id := graph.TransactionID("eng-1", "prepare/1635", slot)
	if len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Errorf("TransactionID = %q, want a GUID", id)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if again := graph.TransactionID("eng-1", "prepare/1635", slot.In(berlin)); again != id {
		t.Errorf("same instant in another zone: %q != %q", again, id)
	}
	for name, other := range map[string]string{
		"other slot":       graph.TransactionID("eng-1", "prepare/1635", slot.Add(time.Hour)),
		"other workshop":   graph.TransactionID("eng-1", "prepare/4027", slot),
		"other engagement": graph.TransactionID("eng-2", "prepare/1635", slot),
		"shifted boundary": graph.TransactionID("eng-1prepare", "/1635", slot),
	} {
		if other == id {
			t.Errorf("%s gives the same id", name)
		}
	}
}
