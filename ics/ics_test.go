package ics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
)

func workshop() Event {
	start := time.Date(2027, 6, 8, 13, 0, 0, 0, time.UTC)
	return Event{
		UID:            "eng-1.workshop-imap@mvmbot",
		Sequence:       0,
		Summary:        "IMAP migration workshop (1635) + Migration Hub (4027)",
		Description:    "Onboarding timeline; scope: 2,400 mailboxes; questions → the MST.\nBring: the questionnaire, a tenant admin.",
		Start:          start,
		End:            start.Add(90 * time.Minute),
		JoinURL:        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d",
		OrganizerName:  "MST Workshops",
		OrganizerEmail: "mst-workshops@contoso.example",
		Attendees: []Attendee{
			{Name: "Pat Partner", Email: "pat@partner.example"},
			{Name: "Casey Customer, IT", Email: "casey@contoso.example", Optional: true},
		},
		Stamp: time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC),
	}
}

func TestWriteParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, workshop()); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, over RFC 5545's 75: %q", i+1, len(line), line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("line %d has a bare LF", i+1)
		}
	}
	cal, err := ical.ParseCalendar(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("a real iCalendar parser refuses the invitation: %v\n%s", err, raw)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	ev := events[0]
	want := workshop()
	get := func(p ical.ComponentProperty) string {
		if prop := ev.GetProperty(p); prop != nil {
			return prop.Value
		}
		return ""
	}
	if got := ev.Id(); got != want.UID {
		t.Errorf("UID = %q", got)
	}
	if got := get(ical.ComponentPropertySummary); got != want.Summary {
		t.Errorf("SUMMARY = %q, want %q", got, want.Summary)
	}
	if got := get(ical.ComponentPropertyDescription); !strings.Contains(got, "scope: 2,400 mailboxes; questions") || !strings.Contains(got, want.JoinURL) {
		t.Errorf("DESCRIPTION did not round-trip: %q", got)
	}
	start, err := ev.GetStartAt()
	if err != nil || !start.Equal(want.Start) {
		t.Errorf("DTSTART = %v (%v), want %v", start, err, want.Start)
	}
	end, err := ev.GetEndAt()
	if err != nil || !end.Equal(want.End) {
		t.Errorf("DTEND = %v (%v), want %v", end, err, want.End)
	}
	attendees := ev.Attendees()
	if len(attendees) != 2 || attendees[0].Email() != "pat@partner.example" {
		t.Errorf("attendees = %v", attendees)
	}
	if m := cal.CalendarProperties; !strings.Contains(raw, "METHOD:REQUEST") {
		t.Errorf("no METHOD:REQUEST in %v", m)
	}
}

func TestWriteCancellation(t *testing.T) {
	ev := workshop()
	ev.Cancelled, ev.Sequence = true, 2
	var buf bytes.Buffer
	if err := Write(&buf, ev); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:2", "UID:" + ev.UID} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("cancellation lacks %s", want)
		}
	}
	if _, err := ical.ParseCalendar(&buf); err != nil {
		t.Fatal(err)
	}
}

func TestWriteRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Event)
		want   string
	}{
		{"no uid", func(e *Event) { e.UID = "" }, "UID"},
		{"backwards", func(e *Event) { e.End = e.Start }, "end not after start"},
		{"bad attendee", func(e *Event) { e.Attendees[0].Email = "not an address" }, "not an email"},
		{"no stamp", func(e *Event) { e.Stamp = time.Time{} }, "stamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := workshop()
			tt.mutate(&ev)
			var buf bytes.Buffer
			err := Write(&buf, ev)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write = %v, want an error about %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Error("a refused invitation wrote output")
			}
		})
	}
}
