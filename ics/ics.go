// Package ics writes iCalendar (RFC 5545) invitations for MST workshops: the
// "Add to calendar" download the bot offers next to Graph's own invitation,
// and the only invitation there is when no organizer mailbox is configured.
//
// Encoding (escaping, line folding, CRLF) is left to
// github.com/arran4/golang-ical; this package decides what an invitation
// says. It imports nothing of the project.
package ics

import (
	"errors"
	"io"
	"net/mail"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"
)

// Attendee is someone invited.
type Attendee struct {
	Name, Email string
	Optional    bool
}

// Event is one workshop invitation.
type Event struct {
	// UID identifies the workshop across updates: a reschedule sends the
	// same UID with a higher Sequence, a cancellation the same UID with
	// Cancelled set, so calendars update the entry instead of adding one.
	UID            string
	Sequence       int
	Summary        string
	Description    string
	Start, End     time.Time
	JoinURL        string // the Teams meeting link, when there is one
	OrganizerName  string
	OrganizerEmail string
	Attendees      []Attendee
	Cancelled      bool
	Stamp          time.Time // when the invitation was made (DTSTAMP)
}

// ContentType is the media type of what Write produces.
const ContentType = "text/calendar; charset=utf-8"

// Write writes ev as a calendar with one event. Times are written in UTC,
// which every client shows in its own time zone.
func Write(w io.Writer, ev Event) error {
	if err := check(ev); err != nil {
		return err
	}
	cal := ical.NewCalendarFor("mvmbot")
	if ev.Cancelled {
		cal.SetMethod(ical.MethodCancel)
	} else {
		cal.SetMethod(ical.MethodRequest)
	}
	e := cal.AddEvent(ev.UID)
	e.SetDtStampTime(ev.Stamp.UTC())
	e.SetSequence(ev.Sequence)
	e.SetStartAt(ev.Start.UTC())
	e.SetEndAt(ev.End.UTC())
	e.SetSummary(ev.Summary)
	desc := ev.Description
	if ev.JoinURL != "" {
		desc = strings.TrimSpace(desc + "\n\nJoin the Teams meeting: " + ev.JoinURL)
		e.SetURL(ev.JoinURL)
		e.SetLocation("Microsoft Teams meeting")
	}
	if desc != "" {
		e.SetDescription(desc)
	}
	if ev.OrganizerEmail != "" {
		e.SetOrganizer("mailto:"+ev.OrganizerEmail, ical.WithCN(ev.OrganizerName))
	}
	for _, a := range ev.Attendees {
		role := ical.ParticipationRoleReqParticipant
		if a.Optional {
			role = ical.ParticipationRoleOptParticipant
		}
		e.AddAttendee("mailto:"+a.Email, ical.WithCN(a.Name), role, ical.WithRSVP(true))
	}
	if ev.Cancelled {
		e.SetStatus(ical.ObjectStatusCancelled)
	} else {
		e.SetStatus(ical.ObjectStatusConfirmed)
	}
	return cal.SerializeTo(w, ical.WithNewLine("\r\n"))
}

func check(ev Event) error {
	var problems []string
	if ev.UID == "" {
		problems = append(problems, "no UID")
	}
	if ev.Summary == "" {
		problems = append(problems, "no summary")
	}
	if !ev.End.After(ev.Start) {
		problems = append(problems, "end not after start")
	}
	if ev.Stamp.IsZero() {
		problems = append(problems, "no stamp")
	}
	for _, a := range ev.Attendees {
		if _, err := mail.ParseAddress(a.Email); err != nil {
			problems = append(problems, "attendee address "+a.Email+" is not an email address")
		}
	}
	if len(problems) > 0 {
		return errors.New("invitation: " + strings.Join(problems, "; "))
	}
	return nil
}
