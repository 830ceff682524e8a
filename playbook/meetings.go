package playbook

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"
)

// The MST workshops as Teams meetings (issue 6): the plain values the
// Graph client takes and returns (graph aliases them, so bot can name them
// without importing graph), and each workshop's state on the engagement.
// Availability, Interval and DailyHours, the free/busy side, are in
// slots.go.

// WorkingHours are a person's working days and hours in their own time
// zone, as their calendar states them.
type WorkingHours struct {
	Days       []time.Weekday
	Start, End time.Duration // since local midnight
	// TimeZone is the mailbox's zone as Graph names it: usually a Windows
	// id ("W. Europe Standard Time"), sometimes IANA.
	TimeZone string
}

// Daily returns the hours as FreeSlots takes them, in loc (the caller
// resolves TimeZone; nil means UTC).
func (w WorkingHours) Daily(loc *time.Location) DailyHours {
	return DailyHours{Days: slices.Clone(w.Days), From: w.Start, To: w.End, Location: loc}
}

// Attendee is a person invited to a meeting.
type Attendee struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// Meeting is a Teams meeting to create in the organizer's calendar.
type Meeting struct {
	Organizer string // mailbox (UPN or id); "" means the configured organizer
	Subject   string
	BodyHTML  string
	Start     time.Time
	End       time.Time
	// TimeZone is the IANA ("Europe/Berlin") or Windows ("W. Europe
	// Standard Time") zone the invitation shows; "" means UTC.
	TimeZone  string
	Attendees []Attendee
	// TransactionID makes the create safe to repeat: Graph returns the
	// event already made with it. Required; see MeetingTransactionID.
	TransactionID string
}

// CalendarEvent is a calendar event as Graph returned it.
type CalendarEvent struct {
	ID            string
	ICalUID       string
	Subject       string
	Start, End    time.Time // instants (UTC)
	TimeZone      string    // the zone it was created in
	JoinURL       string    // Teams join link; "" if Graph has not filled it yet
	WebLink       string    // opens the event in Outlook on the web
	TransactionID string
	Cancelled     bool
}

// MeetingTransactionID is the transaction id of the meeting for one
// workshop of one engagement at one slot: the same inputs give the same id,
// so a retried create finds the event made the first time, while a new slot
// (a reschedule after a cancel) books a new one. It is a UUID (version 8,
// name-based), the form Graph expects.
func MeetingTransactionID(engagementID, workshopKey string, slot time.Time) string {
	sum := sha256.Sum256([]byte("mvmbot/workshop\x00" + engagementID + "\x00" + workshopKey + "\x00" + slot.UTC().Format(time.RFC3339)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // RFC 9562 version 8: custom, name-based
	b[8] = b[8]&0x3f | 0x80 // variant 10
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WorkshopStatus is where a workshop stands. A workshop never recorded is
// not scheduled.
type WorkshopStatus string

// The workshop states.
const (
	WorkshopNotScheduled WorkshopStatus = ""
	WorkshopProposed     WorkshopStatus = "proposed"   // slots offered, none picked
	WorkshopScheduling   WorkshopStatus = "scheduling" // a slot picked, the meeting being created
	WorkshopScheduled    WorkshopStatus = "scheduled"
	WorkshopHeld         WorkshopStatus = "held"
	WorkshopCancelled    WorkshopStatus = "cancelled"
)

// Workshop is the state of one MST workshop of an engagement. Key is the
// task key of the workshop task, or WorkshopTogether for the migration
// workshop and the Migration Hub workshop held as one meeting.
type Workshop struct {
	Key       string         `json:"key"`
	Tasks     []string       `json:"tasks"` // the task keys it covers
	Status    WorkshopStatus `json:"status,omitempty"`
	Start     time.Time      `json:"start,omitzero"`
	End       time.Time      `json:"end,omitzero"`
	TimeZone  string         `json:"timeZone,omitempty"` // the customer's IANA zone; "" UTC
	EventID   string         `json:"eventId,omitempty"`  // the Graph event; "" without Graph
	JoinURL   string         `json:"joinUrl,omitempty"`
	Attendees []Attendee     `json:"attendees,omitempty"`
	// Token names the invitation's .ics download (GET /ics/{token}): random
	// and unguessable, made when the workshop is first scheduled.
	Token string `json:"token,omitempty"`
	Added bool   `json:"added,omitempty"` // someone added an optional workshop (3614)
	// CancelEvent is set on a cancelled workshop whose Graph event is still
	// to be cancelled (a job does it, then clears EventID and this).
	CancelEvent bool      `json:"cancelEvent,omitempty"`
	By          string    `json:"by,omitempty"` // member id of the last change
	Updated     time.Time `json:"updated,omitzero"`
}

// WorkshopTogether is the key of the migration workshop and the Migration
// Hub workshop scheduled as one meeting.
const WorkshopTogether = "together"

// Clone returns a deep copy of w.
func (w Workshop) Clone() Workshop {
	w.Tasks = slices.Clone(w.Tasks)
	w.Attendees = slices.Clone(w.Attendees)
	return w
}

// workshopTasks are the task keys that are workshops, in card order.
var workshopTasks = []string{"workshop-imap", "workshop-box", "workshop-dropbox", "workshop-gdrive", "workshop-fileshare",
	"hub-workshop", "remote-connectivity", "reporting-workshop", "credential-review"}

// IsMigrationWorkshop reports whether key is a source's migration workshop.
func IsMigrationWorkshop(key string) bool { return slices.Contains(workshops, key) }

// WorkshopTasks returns the workshop tasks of e, in card order: the
// migration workshop of each source, the Migration Hub, secure
// connectivity and Power BI workshops, and the credential review (3614)
// only when the latest questionnaire says credentials need it or someone
// added it.
func WorkshopTasks(e *Engagement) []Task {
	var out []Task
	for _, key := range workshopTasks {
		t, ok := taskByKey(key)
		if !ok || !Applies(e, t) {
			continue
		}
		if key == "credential-review" && !credentialReview(e) {
			continue
		}
		out = append(out, t.clone())
	}
	return out
}

func credentialReview(e *Engagement) bool {
	if w := e.Workshop("credential-review"); w != nil && w.Added {
		return true
	}
	if q, ok := LatestQuestionnaire(e); ok && q.Answers["secure-credentials"] == "yes" {
		return true
	}
	return false
}

func taskByKey(key string) (Task, bool) {
	for _, t := range table {
		if t.Key == key {
			return t, true
		}
	}
	return Task{}, false
}

// Workshop returns e's record of the workshop key, or nil when it was never
// recorded (not scheduled). The pointer is into e: changing it changes e.
func (e *Engagement) Workshop(key string) *Workshop {
	for i := range e.Workshops {
		if e.Workshops[i].Key == key {
			return &e.Workshops[i]
		}
	}
	return nil
}

// WorkshopOf returns the record that covers task key: its own, or the
// combined workshop when that covers it and is not cancelled; nil if none.
func (e *Engagement) WorkshopOf(task string) *Workshop {
	if w := e.Workshop(WorkshopTogether); w != nil && w.Status != WorkshopCancelled && slices.Contains(w.Tasks, task) {
		return w
	}
	return e.Workshop(task)
}

// WorkshopByToken returns the workshop whose .ics token is token, or nil.
func (e *Engagement) WorkshopByToken(token string) *Workshop {
	if token == "" {
		return nil
	}
	for i := range e.Workshops {
		if e.Workshops[i].Token == token {
			return &e.Workshops[i]
		}
	}
	return nil
}

// TogetherTasks returns the task keys the combined workshop covers in e:
// the migration workshop of each source and the Migration Hub workshop; nil
// when e has no migration workshop.
func TogetherTasks(e *Engagement) []string {
	var keys []string
	for _, t := range WorkshopTasks(e) {
		if IsMigrationWorkshop(t.Key) {
			keys = append(keys, t.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return append(keys, "hub-workshop")
}

// SetWorkshop records w on e (replacing the record with its key) and adds
// a history entry saying what changed. It refuses a workshop key that is no
// workshop of e.
func SetWorkshop(e *Engagement, actorID string, w Workshop, now time.Time) error {
	if e.IsClosed() {
		return Errorf(ECONFLICT, "The engagement is closed; its workshops cannot change.")
	}
	if w.Key != WorkshopTogether {
		if _, ok := taskByKey(w.Key); !ok || !slices.Contains(workshopTasks, w.Key) {
			return Errorf(EINVALID, "%q is not a workshop.", w.Key)
		}
	}
	if starting(e.Workshop(w.Key), w.Status) {
		if err := WorkshopReady(e, w.Tasks); err != nil {
			return err
		}
	}
	w.By, w.Updated = actorID, now
	if cur := e.Workshop(w.Key); cur != nil {
		*cur = w
	} else {
		e.Workshops = append(e.Workshops, w)
	}
	detail := fmt.Sprintf("workshop %s %s", w.Key, w.Status)
	if !w.Start.IsZero() && w.Status != WorkshopCancelled {
		detail += " for " + w.Start.UTC().Format("2006-01-02 15:04 UTC")
	}
	if w.Status == WorkshopNotScheduled {
		detail = fmt.Sprintf("workshop %s added", w.Key)
	}
	e.appendHistory(AuditEntry{At: now, Actor: actorID, Action: ActionWorkshop, Task: w.Key, Detail: detail})
	return nil
}

// starting reports whether moving cur to status begins scheduling a
// workshop: slots offered or picked for one not under way.
func starting(cur *Workshop, status WorkshopStatus) bool {
	if status != WorkshopProposed && status != WorkshopScheduling && status != WorkshopScheduled {
		return false
	}
	return cur == nil || cur.Status == WorkshopNotScheduled || cur.Status == WorkshopCancelled
}

// WorkshopReady returns nil when a workshop covering tasks may be
// scheduled: their needs other than workshops are settled (the migration
// workshops wait for the assessment, 1699; a workshop that follows another
// may be planned before that one is held). EINVALID names what they wait
// for. SetWorkshop asks
// it when scheduling begins; cards ask it before offering Schedule.
func WorkshopReady(e *Engagement, tasks []string) error {
	var bs []Task
	for _, k := range tasks {
		t, ok := taskByKey(k)
		if !ok || !Applies(e, t) {
			continue
		}
		for _, b := range openNeeds(e, t) {
			// Workshops are planned ahead in their order: one may be
			// scheduled before the workshops it follows are held (holding
			// it still waits for them).
			if EvidenceOf(b) == EvidenceWorkshop {
				continue
			}
			if !slices.ContainsFunc(bs, func(x Task) bool { return x.Key == b.Key }) {
				bs = append(bs, b)
			}
		}
	}
	if len(bs) > 0 {
		return Errorf(EINVALID, "This workshop waits for %s: schedule it once that is done.", e.describeBlockers(bs))
	}
	return nil
}

// ActionWorkshop is the history action of a workshop change.
const ActionWorkshop Action = "workshop"

func cloneWorkshops(ws []Workshop) []Workshop {
	if ws == nil {
		return nil
	}
	out := make([]Workshop, len(ws))
	for i, w := range ws {
		out[i] = w.Clone()
	}
	return out
}
