package graph

import (
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

// The SharePoint values live in playbook (tracker.go) for the same reason.

// Site is a SharePoint site.
type Site = playbook.SharePointSite

// Group is a Microsoft 365 group to create; its SharePoint site follows.
type Group = playbook.GroupSpec

// ColumnType is the type of a list column.
type ColumnType = playbook.ColumnType

// Column types EnsureList can create.
const (
	ColumnText     = playbook.ColumnText
	ColumnNumber   = playbook.ColumnNumber
	ColumnDateTime = playbook.ColumnDateTime
	ColumnBoolean  = playbook.ColumnBoolean
	ColumnChoice   = playbook.ColumnChoice
)

// Column is a list column.
type Column = playbook.ListColumn

// List templates.
const (
	TemplateGenericList     = playbook.TemplateGenericList
	TemplateDocumentLibrary = playbook.TemplateDocumentLibrary
)

// ListSpec is a SharePoint list EnsureList makes exist.
type ListSpec = playbook.ListSpec

// List is a SharePoint list.
type List = playbook.SharePointList

// Item is a list item. Fields hold values as encoding/json decodes them
// into any (string, float64, bool, nil, []any, map[string]any), keyed by
// column internal name.
type Item = playbook.ListItem
