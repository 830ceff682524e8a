package graph

import (
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// The values the client takes and returns. The calendar ones live in
// playbook (meetings.go, slots.go), so that bot can name them without
// importing this package; these aliases keep graph's own names.

// Availability is one person's free/busy answer from getSchedule. Schedule
// fills Person, View, Busy, WorkingHours and Error (not Hours, which is
// FreeSlots' input).
type Availability = playbook.Availability

// Busy is one calendar item that is not free, in UTC, with its Status
// (tentative, busy, oof, workingElsewhere, unknown).
type Busy = playbook.Interval

// WorkingHours are a person's working days and hours in their own time
// zone; Location resolves its TimeZone.
type WorkingHours = playbook.WorkingHours

// Attendee is a person invited to a meeting.
type Attendee = playbook.Attendee

// Meeting is a Teams meeting to create in the organizer's calendar.
type Meeting = playbook.Meeting

// Event is a calendar event as Graph returned it.
type Event = playbook.CalendarEvent

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
