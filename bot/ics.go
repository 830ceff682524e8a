package bot

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/ics"
	"github.com/mvmbot/mvmbot/playbook"
)

// ServeICS answers GET /ics/{token}: the invitation of the workshop whose
// unguessable token that is, as an iCalendar file (a cancelled workshop
// gives a cancellation, so calendars remove it). An unknown token is 404,
// with nothing said about why.
func ServeICS(r EngagementReader) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		e, ws, err := workshopByToken(req.Context(), r, req.PathValue("token"))
		switch {
		case errors.Is(err, errNoWorkshop):
			http.NotFound(w, req)
			return
		case err != nil:
			writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
			return
		case ws.Start.IsZero():
			http.NotFound(w, req)
			return
		}
		// The sequence counts the workshop's changes in the history.
		if err := loadHistory(req.Context(), r, e, 0); err != nil {
			writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
			return
		}
		var buf bytes.Buffer
		if err := ics.Write(&buf, icsEvent(e, ws)); err != nil {
			writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
			return
		}
		w.Header().Set("Content-Type", ics.ContentType)
		w.Header().Set("Content-Disposition", `attachment; filename="workshop.ics"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	}
}

// icsEvent is the calendar entry of workshop w of e. Its UID is stable
// across reschedules and its sequence counts the workshop's changes, so a
// calendar updates the entry it has.
func icsEvent(e *playbook.Engagement, w playbook.Workshop) ics.Event {
	seq := 0
	for _, h := range e.History {
		if h.Action == playbook.ActionWorkshop && h.Task == w.Key {
			seq++
		}
	}
	ev := ics.Event{
		UID:         w.Token + "@mvmbot",
		Sequence:    seq,
		Summary:     e.Customer + ": " + cards.WorkshopTitle(w.Key),
		Description: "FastTrack migration workshop for " + e.Customer + ".",
		Start:       w.Start, End: w.End,
		JoinURL:   w.JoinURL,
		Cancelled: w.Status == playbook.WorkshopCancelled,
		Stamp:     w.Updated,
	}
	for _, a := range w.Attendees {
		ev.Attendees = append(ev.Attendees, ics.Attendee{Name: a.Name, Email: a.Email, Optional: a.Optional})
	}
	return ev
}
