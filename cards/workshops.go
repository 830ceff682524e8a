package cards

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the workshop cards. Stored in cards people have received: never
// rename one.
const (
	VerbWorkshops        = "workshops"        // the workshops card
	VerbWorkshopSchedule = "workshopSchedule" // open the schedule form for data.task (a workshop key)
	VerbWorkshopSlots    = "workshopSlots"    // submit the schedule form: propose slots
	VerbWorkshopPick     = "workshopPick"     // book the slot in data.slot ("start/minutes")
	VerbWorkshopHeld     = "workshopHeld"     // mark data.task held
	VerbWorkshopCancel   = "workshopCancel"   // cancel data.task's meeting
	VerbWorkshopAdd      = "workshopAdd"      // add the optional credential review (3614)
)

// Inputs of the schedule form.
const (
	WorkshopMinutesInput  = "minutes"
	WorkshopEarliestInput = "earliest"
	WorkshopFromInput     = "fromHour"
	WorkshopToInput       = "toHour"
)

// WorkshopTitle names a workshop key for people: the task's title, or the
// combined migration and Migration Hub workshop.
func WorkshopTitle(key string) string {
	if key == playbook.WorkshopTogether {
		return "Migration workshop and Migration Hub workshop, together"
	}
	for _, t := range playbook.Tasks() {
		if t.Key == key {
			return t.Title
		}
	}
	return key
}

func workshopIDs(e *playbook.Engagement, w playbook.Workshop) string {
	keys := w.Tasks
	if len(keys) == 0 {
		keys = []string{w.Key}
	}
	var ids []string
	for _, t := range playbook.Tasks() {
		for _, k := range keys {
			if t.Key == k {
				ids = append(ids, t.IDList())
			}
		}
	}
	return strings.Join(ids, ", ")
}

// WorkshopsView is what the workshops card shows besides the engagement.
type WorkshopsView struct {
	Notice      string
	Attention   bool
	CanSchedule bool // the person may schedule (playbook.CanScheduleWorkshop)
	// ICSBase is the absolute root of the .ics links (/ics/{token}): a
	// scheduled workshop's row gets an Add to calendar link for everyone
	// invited, not only those who may schedule; "" shows none.
	ICSBase string
}

func workshopButton(title, verb string, e *playbook.Engagement, key string) Element {
	return quiet(Button(title, verb, ActionData{Engagement: e.ID, Version: e.Version, Task: key}))
}

// Workshops lists the workshops of e (playbook.WorkshopTasks) with their
// state, a Schedule button each, and "Schedule together" for the migration
// workshop with the Migration Hub workshop.
func Workshops(e *playbook.Engagement, v WorkshopsView) *Card {
	body := []Element{Title(customer(e) + ": MST workshops")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, v.Attention))
	}
	tasks := playbook.WorkshopTasks(e)
	together := e.Workshop(playbook.WorkshopTogether)
	if together != nil && together.Status != playbook.WorkshopCancelled {
		body = append(body, workshopRow(e, *together, v)...)
	}
	for _, t := range tasks {
		w := e.WorkshopOf(t.Key)
		if w != nil && w.Key == playbook.WorkshopTogether {
			continue // shown above
		}
		row := playbook.Workshop{Key: t.Key, Tasks: []string{t.Key}}
		if w != nil {
			row = *w
		}
		body = append(body, workshopRow(e, row, v)...)
	}
	hasCredential := false
	for _, t := range tasks {
		hasCredential = hasCredential || t.Key == "credential-review"
	}
	c := New(body...)
	if v.CanSchedule {
		if keys := playbook.TogetherTasks(e); keys != nil && (together == nil || together.Status == playbook.WorkshopCancelled) {
			c.Actions = append(c.Actions, workshopButton("Schedule together", VerbWorkshopSchedule, e, playbook.WorkshopTogether))
		}
		if !hasCredential {
			c.Actions = append(c.Actions, workshopButton("Add credential review (3614)", VerbWorkshopAdd, e, "credential-review"))
		}
	}
	c.Actions = append(c.Actions, workshopButton("Refresh", VerbWorkshops, e, ""))
	return c
}

func workshopRow(e *playbook.Engagement, w playbook.Workshop, v WorkshopsView) []Element {
	head := WorkshopTitle(w.Key)
	if ids := workshopIDs(e, w); ids != "" {
		head += " (" + ids + ")"
	}
	if (w.Status == playbook.WorkshopNotScheduled || w.Status == playbook.WorkshopCancelled) && len(w.Tasks) > 0 {
		// Held elsewhere: its task is done as an override.
		if st := e.State(w.Tasks[0]); st.Status == playbook.StatusDone && st.Override {
			return []Element{Heading(head), Text("Held elsewhere (an override): " + markdown.Escape(truncate(strings.TrimPrefix(st.Reason, "held elsewhere: "), 200)))}
		}
	}
	out := []Element{Heading(head), Text(WorkshopState(w))}
	var acts []Element
	if w.Status == playbook.WorkshopScheduled && w.Token != "" && v.ICSBase != "" {
		acts = append(acts, Element{{"type", "Action.OpenUrl"}, {"title", "Add to calendar"}, {"url", strings.TrimRight(v.ICSBase, "/") + "/ics/" + w.Token}})
	}
	if v.CanSchedule {
		switch w.Status {
		case playbook.WorkshopNotScheduled, playbook.WorkshopProposed, playbook.WorkshopCancelled:
			acts = append(acts, workshopButton("Schedule", VerbWorkshopSchedule, e, w.Key))
		case playbook.WorkshopScheduled:
			acts = append(acts, workshopButton("Reschedule", VerbWorkshopSchedule, e, w.Key), workshopButton("Cancel", VerbWorkshopCancel, e, w.Key))
		}
	}
	if len(acts) > 0 {
		out = append(out, Actions(acts...))
	}
	return out
}

// WorkshopState says where w stands, in words: not scheduled, proposed,
// scheduled with its time and join link, held, cancelled.
func WorkshopState(w playbook.Workshop) string {
	switch w.Status {
	case playbook.WorkshopProposed:
		return "Proposed: slots offered, none picked yet."
	case playbook.WorkshopScheduling:
		return "Being scheduled for " + when(w) + "…"
	case playbook.WorkshopScheduled:
		s := "Scheduled for " + when(w) + "."
		if w.JoinURL != "" {
			s += " [Join](" + w.JoinURL + ")"
		}
		return s
	case playbook.WorkshopHeld:
		return "Held on " + when(w) + "."
	case playbook.WorkshopCancelled:
		return "Cancelled."
	}
	return "Not scheduled."
}

// workshopStatus is a workshop's state in a word, for the invitation.
func workshopStatus(s playbook.WorkshopStatus) string {
	switch s {
	case playbook.WorkshopProposed:
		return "Proposed"
	case playbook.WorkshopScheduling:
		return "Being scheduled"
	case playbook.WorkshopScheduled:
		return "Scheduled"
	case playbook.WorkshopHeld:
		return "Held"
	case playbook.WorkshopCancelled:
		return "Cancelled"
	}
	return "Not scheduled"
}

func zoneOf(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// when shows w's time in the customer's zone and, when that is not UTC,
// in UTC.
func when(w playbook.Workshop) string {
	loc := zoneOf(w.TimeZone)
	s := playbook.Interval{Start: w.Start, End: w.End}.In(loc)
	if loc != time.UTC {
		s += " (" + w.Start.UTC().Format("15:04") + " UTC)"
	}
	return s
}

// WorkshopForm is the schedule form's values.
type WorkshopForm struct {
	Key      string
	Minutes  int       // 60, 90 or 120
	Earliest time.Time // a date
	From, To int       // hours of the day in Zone
	Zone     string    // the customer's IANA zone; "" UTC
	Problem  string
}

// WorkshopSchedule is the schedule form of one workshop: duration, earliest
// date, daily window in the customer's time zone.
func WorkshopSchedule(e *playbook.Engagement, f WorkshopForm) *Card {
	zone := f.Zone
	if zone == "" {
		zone = "UTC"
	}
	body := []Element{Title("Schedule: " + WorkshopTitle(f.Key)), Subtle("Times are in the customer's time zone, " + zone + ".")}
	if f.Problem != "" {
		body = append(body, Notice(f.Problem, true))
	}
	var hours []Choice
	for h := 6; h <= 21; h++ {
		hours = append(hours, Choice{fmt.Sprintf("%02d:00", h), strconv.Itoa(h)})
	}
	c := New(Body(body,
		ChoiceInput(WorkshopMinutesInput, InputOpts{Label: "Duration", Value: strconv.Itoa(f.Minutes), Required: true},
			[]Choice{{"1 hour", "60"}, {"1½ hours", "90"}, {"2 hours", "120"}}, false),
		DateInput(WorkshopEarliestInput, InputOpts{Label: "Earliest date", Value: f.Earliest.Format(time.DateOnly), Required: true}),
		ChoiceInput(WorkshopFromInput, InputOpts{Label: "Not before", Value: strconv.Itoa(f.From), Required: true}, hours, false),
		ChoiceInput(WorkshopToInput, InputOpts{Label: "Ending by", Value: strconv.Itoa(f.To), Required: true}, hours, false),
	)...)
	c.Actions = []Element{
		Button("Find slots", VerbWorkshopSlots, ActionData{Engagement: e.ID, Version: e.Version, Task: f.Key}),
		workshopButton("Back", VerbWorkshops, e, ""),
	}
	return c
}

// DecodeWorkshopForm reads the schedule form. Returns EINVALID, with a
// message a person can read, for values that cannot be read.
func DecodeWorkshopForm(raw json.RawMessage) (WorkshopForm, error) {
	m, err := object(raw)
	if err != nil {
		return WorkshopForm{}, err
	}
	str := func(k string) string { s, _ := m[k].(string); return strings.TrimSpace(s) }
	var f WorkshopForm
	if f.Minutes, err = strconv.Atoi(str(WorkshopMinutesInput)); err != nil || f.Minutes < 15 || f.Minutes > 480 {
		return f, playbook.Errorf(playbook.EINVALID, "Pick a duration for the workshop.")
	}
	if f.Earliest, err = time.Parse(time.DateOnly, str(WorkshopEarliestInput)); err != nil {
		return f, playbook.Errorf(playbook.EINVALID, "Give the earliest date as a date.")
	}
	f.From, err = strconv.Atoi(str(WorkshopFromInput))
	to, err2 := strconv.Atoi(str(WorkshopToInput))
	f.To = to
	if err != nil || err2 != nil || f.From < 0 || f.To > 24 || f.To <= f.From {
		return f, playbook.Errorf(playbook.EINVALID, "The daily window must end after it starts.")
	}
	return f, nil
}

// WorkshopSlotInput is the id of the slot picker's list.
const WorkshopSlotInput = "slot"

// WorkshopSlots proposes slots for workshop key as a list, one slot a line
// with its full time, and one Book button: a row of buttons cut every
// label to "Mon 14 Dec 2…", so two slots of a day looked the same.
func WorkshopSlots(e *playbook.Engagement, key string, slots []playbook.Interval, zone string, notice string) *Card {
	loc := zoneOf(zone)
	body := []Element{Title("Pick a slot: " + WorkshopTitle(key))}
	if notice != "" {
		body = append(body, Subtle(notice))
	}
	choices := make([]Choice, len(slots))
	for i, s := range slots {
		label := s.In(loc)
		if loc != time.UTC {
			label += " (" + s.Start.UTC().Format("15:04") + " UTC)"
		}
		choices[i] = Choice{Title: label, Value: slotValue(s)}
	}
	c := New(body...)
	if len(slots) == 0 {
		c.Body = append(c.Body, Text("No free slot in that window: try a later date or a wider window."))
	} else {
		list := ChoiceInput(WorkshopSlotInput, InputOpts{Label: "Free slots", Required: true, Value: choices[0].Value}, choices, false)
		for i := range list {
			if list[i].Get("type") == "Input.ChoiceSet" {
				list[i].Set("style", "expanded")
				list[i].Set("wrap", true)
				list[i].Set("errorMessage", "Pick a slot.")
			}
		}
		c.Body = append(c.Body, list...)
		// Not quiet: it sends the list's choice.
		c.Actions = []Element{Button("Book this slot", VerbWorkshopPick, ActionData{Engagement: e.ID, Version: e.Version, Task: key})}
	}
	c.Actions = append(c.Actions, workshopButton("Change the window", VerbWorkshopSchedule, e, key), workshopButton("Back", VerbWorkshops, e, ""))
	return c
}

// slotValue is a slot as the list sends it: its start in UTC and its length
// in minutes, "2027-01-06T09:00:00Z/60".
func slotValue(s playbook.Interval) string {
	return s.Start.UTC().Format(time.RFC3339) + "/" + strconv.Itoa(int(s.End.Sub(s.Start)/time.Minute))
}

// DecodeWorkshopPick reads the slot picked: the start and duration. It
// reads the list's "start/minutes" and, from slot buttons of cards posted
// before the list, "slot" and "minutes" apart.
func DecodeWorkshopPick(raw json.RawMessage) (time.Time, time.Duration, error) {
	m, err := object(raw)
	if err != nil {
		return time.Time{}, 0, err
	}
	s, _ := m[WorkshopSlotInput].(string)
	min, ok := m["minutes"].(float64)
	if at, n, found := strings.Cut(s, "/"); found {
		s = at
		i, err := strconv.Atoi(n)
		min, ok = float64(i), err == nil
	}
	start, err := time.Parse(time.RFC3339, s)
	if err != nil || !ok || min < 15 || min > 480 || min != float64(int(min)) {
		return time.Time{}, 0, malformed()
	}
	return start.UTC(), time.Duration(min) * time.Minute, nil
}

// InvitationView is what the invitation card shows besides the workshop.
type InvitationView struct {
	Notice   string
	ICSURL   string // absolute link to the .ics; "" shows ICSPath as text
	ICSPath  string
	Now      time.Time
	CanAct   bool
	Graph    bool // the meeting is in the organizer's calendar
	Customer string
}

// Invitation is the card of a scheduled workshop: title, task ids, time in
// the customer's zone and UTC, join link, attendees, an Add to calendar
// link, and Mark held (from the start time on), Reschedule and Cancel.
func Invitation(e *playbook.Engagement, w playbook.Workshop, v InvitationView) *Card {
	body := []Element{Title("Workshop: " + WorkshopTitle(w.Key))}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, false))
	}
	// The state in a word: its time and join link have rows of their own.
	facts := []Fact{{"Tasks", workshopIDs(e, w)}, {"When", when(w)}, {"State", workshopStatus(w.Status)}}
	if w.JoinURL != "" {
		facts = append(facts, Fact{"Join", "[Teams meeting](" + w.JoinURL + ")"})
	}
	if len(w.Attendees) > 0 {
		var as []string
		for _, a := range w.Attendees {
			n := a.Name
			if n == "" {
				n = a.Email
			}
			as = append(as, markdown.Escape(truncate(n, 60)))
		}
		facts = append(facts, Fact{"Attendees", strings.Join(as, ", ")})
	}
	body = append(body, Facts(facts...))
	if !v.Graph {
		body = append(body, Subtle("No Teams meeting was created (no Graph organizer configured): add the workshop to your calendar with the .ics invitation and share the join link yourself."))
	}
	if v.ICSURL == "" && v.ICSPath != "" {
		body = append(body, Subtle("Calendar file: "+v.ICSPath))
	}
	c := New(body...)
	if v.ICSURL != "" {
		c.Actions = append(c.Actions, Element{{"type", "Action.OpenUrl"}, {"title", "Add to calendar"}, {"url", v.ICSURL}})
	}
	if v.CanAct && w.Status == playbook.WorkshopScheduled {
		if !v.Now.Before(w.Start) {
			c.Actions = append(c.Actions, workshopButton("Mark held", VerbWorkshopHeld, e, w.Key))
		}
		c.Actions = append(c.Actions, workshopButton("Reschedule", VerbWorkshopSchedule, e, w.Key), workshopButton("Cancel", VerbWorkshopCancel, e, w.Key))
	}
	c.Actions = append(c.Actions, workshopButton("All workshops", VerbWorkshops, e, ""))
	return c
}
