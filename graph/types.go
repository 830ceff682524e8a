package graph

import "time"

// The values the client takes and returns. They are plain Go structs with
// no msgraph type inside, so that they can move to playbook unchanged when
// bot needs to name them.

// Availability is one person's free/busy answer from getSchedule.
type Availability struct {
	Person string // the address asked for
	// View has one digit per interval from the requested start: 0 free,
	// 1 tentative, 2 busy, 3 out of office, 4 working elsewhere.
	View         string
	Busy         []Busy        // every non-free item, in UTC, in Graph's order
	WorkingHours *WorkingHours // nil when Graph gave none
	// Error is Graph's per-person failure (e.g. "ErrorMailRecipientNotFound:
	// ..."); the other fields are then empty. One unknown address does not
	// fail the whole call.
	Error string
}

// Busy is one calendar item that is not free.
type Busy struct {
	Start, End time.Time
	Status     string // tentative, busy, oof, workingElsewhere, unknown
}

// WorkingHours are a person's working days and hours in their own time
// zone.
type WorkingHours struct {
	Days       []time.Weekday
	Start, End time.Duration // since local midnight
	// TimeZone is the mailbox's zone as Graph names it: usually a Windows
	// id ("W. Europe Standard Time"), sometimes IANA. Location resolves
	// both.
	TimeZone string
}

// Attendee is a person invited to a meeting.
type Attendee struct {
	Email    string
	Name     string
	Optional bool
}

// Meeting is a Teams meeting to create in the organizer's calendar.
type Meeting struct {
	Organizer string // mailbox (UPN or id); "" means Config.Organizer
	Subject   string
	BodyHTML  string
	Start     time.Time
	End       time.Time
	// TimeZone is the IANA ("Europe/Berlin") or Windows ("W. Europe
	// Standard Time") zone the invitation shows; "" means UTC.
	TimeZone  string
	Attendees []Attendee
	// TransactionID makes the create safe to repeat: Graph returns the
	// event already made with it. Required; see TransactionID.
	TransactionID string
}

// Event is a calendar event as Graph returned it.
type Event struct {
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

// Site is a SharePoint site.
type Site struct {
	ID          string // "{hostname},{site collection id},{web id}"
	Name        string
	DisplayName string
	WebURL      string
}

// Group is a Microsoft 365 group to create; its SharePoint site follows.
type Group struct {
	DisplayName  string
	MailNickname string // unique; letters, digits, '-', '_', '.' only; see MailNickname
	Description  string
	Visibility   string   // "Private" (default) or "Public"
	Owners       []string // user ids or UPNs; at least one (an app-created group has no owner otherwise)
	Members      []string // user ids or UPNs
}

// ColumnType is the type of a list column.
type ColumnType string

// Column types EnsureList can create.
const (
	ColumnText     ColumnType = "text"
	ColumnNumber   ColumnType = "number"
	ColumnDateTime ColumnType = "dateTime"
	ColumnBoolean  ColumnType = "boolean"
	ColumnChoice   ColumnType = "choice"
)

// Column is a list column.
type Column struct {
	Name     string // internal name: a letter, then letters, digits or '_'
	Type     ColumnType
	Choices  []string // for ColumnChoice
	Required bool
}

// List templates.
const (
	TemplateGenericList     = "genericList"
	TemplateDocumentLibrary = "documentLibrary"
)

// ListSpec is a SharePoint list EnsureList makes exist.
type ListSpec struct {
	DisplayName string
	Description string
	Template    string // TemplateGenericList (default) or TemplateDocumentLibrary
	Columns     []Column
}

// List is a SharePoint list.
type List struct {
	ID          string
	DisplayName string
	WebURL      string
	Created     bool // EnsureList created it on this call
}

// Item is a list item. Fields hold values as encoding/json decodes them
// into any (string, float64, bool, nil, []any, map[string]any), keyed by
// column internal name.
type Item struct {
	ID       string
	WebURL   string
	Fields   map[string]any
	Created  time.Time
	Modified time.Time
}
