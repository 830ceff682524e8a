package graph

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mvmbot/mvmbot/playbook"
)

// getSchedule limits (Graph documents them on the getSchedule page).
const (
	maxSchedules   = 100
	maxScheduleLen = 62 * 24 * time.Hour
)

// Schedule returns the free/busy data of people (SMTP addresses) between
// start and end, as seen from organizer's mailbox (POST
// /users/{organizer}/calendar/getSchedule; Calendars.ReadBasic). interval is
// the granularity of Availability.View: 5 min to 24 h, 0 means 30 min.
// Results come in the order of people. Returns EINVALID for bad arguments.
// Finding a common slot is playbook's job, not this one.
func (c *Client) Schedule(ctx context.Context, organizer string, people []string, start, end time.Time, interval time.Duration) ([]Availability, error) {
	organizer, err := c.organizerOr(organizer)
	if err != nil {
		return nil, err
	}
	if interval == 0 {
		interval = 30 * time.Minute
	}
	switch {
	case len(people) == 0:
		return nil, playbook.Errorf(playbook.EINVALID, "no one to look up free/busy for")
	case len(people) > maxSchedules:
		return nil, playbook.Errorf(playbook.EINVALID, "free/busy for %d people asked; Graph takes at most %d per call", len(people), maxSchedules)
	case !end.After(start):
		return nil, playbook.Errorf(playbook.EINVALID, "free/busy window ends (%s) before it starts (%s)", end.Format(time.RFC3339), start.Format(time.RFC3339))
	case end.Sub(start) > maxScheduleLen:
		return nil, playbook.Errorf(playbook.EINVALID, "free/busy window of %s is longer than Graph's 62 days", end.Sub(start))
	case interval < 5*time.Minute || interval > 24*time.Hour || interval%time.Minute != 0:
		return nil, playbook.Errorf(playbook.EINVALID, "free/busy interval %s: want whole minutes from 5m to 24h", interval)
	}
	for _, p := range people {
		if err := checkAddress(p); err != nil {
			return nil, err
		}
	}

	body := users.NewItemCalendarGetSchedulePostRequestBody()
	body.SetSchedules(people)
	body.SetStartTime(dateTimeTZ(start.UTC().Format(graphDateTimeOut), "UTC"))
	body.SetEndTime(dateTimeTZ(end.UTC().Format(graphDateTimeOut), "UTC"))
	body.SetAvailabilityViewInterval(ptr(int32(interval / time.Minute)))
	resp, err := c.svc.Users().ByUserId(organizer).Calendar().GetSchedule().PostAsGetSchedulePostResponse(ctx, body,
		&users.ItemCalendarGetScheduleRequestBuilderPostRequestConfiguration{Headers: headers("Prefer", preferUTC)})
	if err != nil {
		return nil, c.fail(ctx, err, "read free/busy", PermCalendarsReadBasic)
	}

	out := make([]Availability, 0, len(people))
	for _, info := range resp.GetValue() {
		a := Availability{Person: str(info.GetScheduleId()), View: str(info.GetAvailabilityView())}
		if fe := info.GetError(); fe != nil {
			a.Error = strings.TrimPrefix(str(fe.GetResponseCode())+": "+str(fe.GetMessage()), ": ")
		}
		for _, it := range info.GetScheduleItems() {
			b := Busy{Status: "unknown"}
			if s := it.GetStatus(); s != nil {
				b.Status = s.String()
			}
			if b.Status == "free" {
				continue
			}
			if b.Start, err = readDateTimeTZ(it.GetStart()); err != nil {
				return nil, c.fail(ctx, err, "read free/busy", PermCalendarsReadBasic)
			}
			if b.End, err = readDateTimeTZ(it.GetEnd()); err != nil {
				return nil, c.fail(ctx, err, "read free/busy", PermCalendarsReadBasic)
			}
			a.Busy = append(a.Busy, b)
		}
		if wh := info.GetWorkingHours(); wh != nil {
			w := &WorkingHours{}
			for _, d := range wh.GetDaysOfWeek() {
				w.Days = append(w.Days, time.Weekday(d)) // both count from Sunday = 0
			}
			w.Start, w.End = sinceMidnight(wh.GetStartTime()), sinceMidnight(wh.GetEndTime())
			if tz := wh.GetTimeZone(); tz != nil {
				w.TimeZone = str(tz.GetName())
			}
			a.WorkingHours = w
		}
		out = append(out, a)
	}
	return out, nil
}

// CreateMeeting creates a Teams meeting in the organizer's calendar and
// sends the invitations (POST /users/{organizer}/events; Calendars.ReadWrite).
// Repeating the call with the same TransactionID returns the event made the
// first time. When Graph has not filled the join URL yet, the event is read
// again up to Config.JoinURLPolls times; the returned Event may still lack
// it. Returns EINVALID for a meeting Graph or this package rejects.
func (c *Client) CreateMeeting(ctx context.Context, m Meeting) (Event, error) {
	organizer, err := c.organizerOr(m.Organizer)
	if err != nil {
		return Event{}, err
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting needs a subject")
	case !m.End.After(m.Start):
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting ends (%s) before it starts (%s)", m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
	case m.TransactionID == "":
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting needs a transaction id (graph.TransactionID) so that a retry cannot book it twice")
	case len(m.Attendees) == 0:
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting has no attendees")
	case len(m.Attendees) > 500:
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting has %d attendees; Outlook takes at most 500", len(m.Attendees))
	}
	zone := m.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	start, err := wallClock(m.Start, zone)
	if err != nil {
		return Event{}, err
	}
	end, err := wallClock(m.End, zone)
	if err != nil {
		return Event{}, err
	}

	ev := models.NewEvent()
	ev.SetSubject(ptr(m.Subject))
	body := models.NewItemBody()
	body.SetContentType(ptr(models.HTML_BODYTYPE))
	body.SetContent(ptr(m.BodyHTML))
	ev.SetBody(body)
	ev.SetStart(dateTimeTZ(start, zone))
	ev.SetEnd(dateTimeTZ(end, zone))
	attendees := make([]models.Attendeeable, 0, len(m.Attendees))
	for _, a := range m.Attendees {
		if err := checkAddress(a.Email); err != nil {
			return Event{}, err
		}
		addr := models.NewEmailAddress()
		addr.SetAddress(ptr(a.Email))
		if a.Name != "" {
			addr.SetName(ptr(a.Name))
		}
		at := models.NewAttendee()
		at.SetEmailAddress(addr)
		typ := models.REQUIRED_ATTENDEETYPE
		if a.Optional {
			typ = models.OPTIONAL_ATTENDEETYPE
		}
		at.SetTypeEscaped(&typ)
		attendees = append(attendees, at)
	}
	ev.SetAttendees(attendees)
	ev.SetIsOnlineMeeting(ptr(true))
	ev.SetOnlineMeetingProvider(ptr(models.TEAMSFORBUSINESS_ONLINEMEETINGPROVIDERTYPE))
	ev.SetTransactionId(ptr(m.TransactionID))

	events := c.svc.Users().ByUserId(organizer).Events()
	created, err := events.Post(ctx, ev, &users.ItemEventsRequestBuilderPostRequestConfiguration{Headers: headers("Prefer", preferUTC)})
	if err != nil {
		return Event{}, c.fail(ctx, err, "create the meeting", PermCalendarsReadWrite)
	}
	out, err := toEvent(created)
	if err != nil {
		return Event{}, c.fail(ctx, err, "create the meeting", PermCalendarsReadWrite)
	}
	if out.TimeZone == "" {
		out.TimeZone = zone
	}
	for i := 0; out.JoinURL == "" && i < c.joinPolls; i++ {
		if err := sleep(ctx, c.joinDelay); err != nil {
			return out, nil // the meeting exists; the link can be read later
		}
		again, err := c.GetEvent(ctx, organizer, out.ID)
		if err != nil {
			c.log.Debug("graph: re-reading new event for its join URL", "event", out.ID, "err", err)
			continue
		}
		out = again
	}
	return out, nil
}

// GetEvent reads an event of the organizer's calendar (GET
// /users/{organizer}/events/{id}; Calendars.ReadWrite, or Calendars.Read).
// Returns ENOTFOUND when it does not exist.
func (c *Client) GetEvent(ctx context.Context, organizer, eventID string) (Event, error) {
	organizer, err := c.organizerOr(organizer)
	if err != nil {
		return Event{}, err
	}
	if eventID == "" {
		return Event{}, playbook.Errorf(playbook.EINVALID, "no event id")
	}
	got, err := c.svc.Users().ByUserId(organizer).Events().ByEventId(eventID).Get(ctx,
		&users.ItemEventsEventItemRequestBuilderGetRequestConfiguration{Headers: headers("Prefer", preferUTC)})
	if err != nil {
		return Event{}, c.fail(ctx, err, "read the meeting", PermCalendarsReadWrite)
	}
	ev, err := toEvent(got)
	if err != nil {
		return Event{}, c.fail(ctx, err, "read the meeting", PermCalendarsReadWrite)
	}
	return ev, nil
}

// RescheduleMeeting moves a meeting to start–end, shown in zone tz ("" is
// UTC), and re-notifies the attendees (PATCH
// /users/{organizer}/events/{id}; Calendars.ReadWrite). Returns ENOTFOUND
// for an unknown event.
func (c *Client) RescheduleMeeting(ctx context.Context, organizer, eventID string, start, end time.Time, tz string) (Event, error) {
	organizer, err := c.organizerOr(organizer)
	if err != nil {
		return Event{}, err
	}
	if eventID == "" {
		return Event{}, playbook.Errorf(playbook.EINVALID, "no event id")
	}
	if !end.After(start) {
		return Event{}, playbook.Errorf(playbook.EINVALID, "the meeting ends (%s) before it starts (%s)", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if tz == "" {
		tz = "UTC"
	}
	s, err := wallClock(start, tz)
	if err != nil {
		return Event{}, err
	}
	e, err := wallClock(end, tz)
	if err != nil {
		return Event{}, err
	}
	patch := models.NewEvent() // Graph updates only the properties sent
	patch.SetStart(dateTimeTZ(s, tz))
	patch.SetEnd(dateTimeTZ(e, tz))
	got, err := c.svc.Users().ByUserId(organizer).Events().ByEventId(eventID).Patch(ctx, patch,
		&users.ItemEventsEventItemRequestBuilderPatchRequestConfiguration{Headers: headers("Prefer", preferUTC)})
	if err != nil {
		return Event{}, c.fail(ctx, err, "move the meeting", PermCalendarsReadWrite)
	}
	if got == nil { // a 204 would carry no body
		return c.GetEvent(ctx, organizer, eventID)
	}
	ev, err := toEvent(got)
	if err != nil {
		return Event{}, c.fail(ctx, err, "move the meeting", PermCalendarsReadWrite)
	}
	return ev, nil
}

// CancelMeeting cancels a meeting and sends the attendees the cancellation
// with comment (POST /users/{organizer}/events/{id}/cancel, 202;
// Calendars.ReadWrite). Only the organizer's copy can be cancelled.
// Returns ENOTFOUND for an unknown event.
func (c *Client) CancelMeeting(ctx context.Context, organizer, eventID, comment string) error {
	organizer, err := c.organizerOr(organizer)
	if err != nil {
		return err
	}
	if eventID == "" {
		return playbook.Errorf(playbook.EINVALID, "no event id")
	}
	body := users.NewItemEventsItemCancelPostRequestBody()
	if comment != "" {
		body.SetComment(ptr(comment))
	}
	err = c.svc.Users().ByUserId(organizer).Events().ByEventId(eventID).Cancel().Post(ctx, body, nil)
	return c.fail(ctx, err, "cancel the meeting", PermCalendarsReadWrite)
}

// TransactionID derives the transactionId of a workshop meeting from what
// identifies it: the same engagement, workshop and slot always give the same
// id, so a repeated create returns the first event instead of a second
// invitation. Another slot (a new booking after a cancel) gives another id.
// The result has the form of a GUID (36 characters), which Graph's own
// examples use.
func TransactionID(engagementID, workshopKey string, slot time.Time) string {
	return playbook.MeetingTransactionID(engagementID, workshopKey, slot)
}

func toEvent(ev models.Eventable) (Event, error) {
	if ev == nil {
		return Event{}, fmt.Errorf("empty event in the response")
	}
	out := Event{
		ID:            str(ev.GetId()),
		ICalUID:       str(ev.GetICalUId()),
		Subject:       str(ev.GetSubject()),
		TimeZone:      str(ev.GetOriginalStartTimeZone()),
		WebLink:       str(ev.GetWebLink()),
		TransactionID: str(ev.GetTransactionId()),
	}
	if c := ev.GetIsCancelled(); c != nil {
		out.Cancelled = *c
	}
	if om := ev.GetOnlineMeeting(); om != nil {
		out.JoinURL = str(om.GetJoinUrl())
	}
	var err error
	if out.Start, err = readDateTimeTZ(ev.GetStart()); err != nil {
		return Event{}, err
	}
	if out.End, err = readDateTimeTZ(ev.GetEnd()); err != nil {
		return Event{}, err
	}
	return out, nil
}

func dateTimeTZ(dt, zone string) models.DateTimeTimeZoneable {
	v := models.NewDateTimeTimeZone()
	v.SetDateTime(ptr(dt))
	v.SetTimeZone(ptr(zone))
	return v
}

func readDateTimeTZ(v models.DateTimeTimeZoneable) (time.Time, error) {
	if v == nil || v.GetDateTime() == nil {
		return time.Time{}, nil
	}
	t, err := parseDateTime(*v.GetDateTime(), str(v.GetTimeZone()))
	if err != nil {
		return time.Time{}, fmt.Errorf("read dateTimeTimeZone %q %q: %w", *v.GetDateTime(), str(v.GetTimeZone()), err)
	}
	return t.UTC(), nil
}

func sinceMidnight(t *absser.TimeOnly) time.Duration {
	if t == nil {
		return 0
	}
	var h, m, s int
	if _, err := fmt.Sscanf(t.String(), "%d:%d:%d", &h, &m, &s); err != nil {
		return 0
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
}

func checkAddress(addr string) error {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return playbook.Errorf(playbook.EINVALID, "%q is not an e-mail address", addr)
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fail maps an SDK error (nil stays nil) and logs it at Debug.
func (c *Client) fail(ctx context.Context, err error, op, perm string) error {
	if err == nil {
		return nil
	}
	mapped := callError(ctx, err, op, perm)
	c.log.DebugContext(ctx, "graph: call failed", "op", op, "err", mapped)
	return mapped
}
