package playbook

import (
	"strconv"
	"strings"
	"time"
)

// The collaboration site's library and lists as data: what the setup job
// makes exist on the site, and how an issue or a known error becomes a list
// item. The Graph client takes these types as they are (graph aliases
// them), so the conversation names them without importing it.

// ColumnType is the type of a list column.
type ColumnType string

// Column types.
const (
	ColumnText     ColumnType = "text"
	ColumnNumber   ColumnType = "number"
	ColumnDateTime ColumnType = "dateTime"
	ColumnBoolean  ColumnType = "boolean"
	ColumnChoice   ColumnType = "choice"
)

// ListColumn is a column of a SharePoint list.
type ListColumn struct {
	Name      string // internal name: a letter, then letters, digits or '_'
	Type      ColumnType
	Choices   []string // for ColumnChoice
	Required  bool
	Multiline bool // a text column of several lines (no 255-character cap)
}

// List templates.
const (
	TemplateGenericList     = "genericList"
	TemplateDocumentLibrary = "documentLibrary"
)

// ListSpec is a SharePoint list or library to make exist.
type ListSpec struct {
	DisplayName string
	Description string
	Template    string // TemplateGenericList (default) or TemplateDocumentLibrary
	Columns     []ListColumn
}

// SharePointSite is a SharePoint site.
type SharePointSite struct {
	ID          string // "{hostname},{site collection id},{web id}"
	Name        string
	DisplayName string
	WebURL      string
}

// SharePointList is a SharePoint list or library.
type SharePointList struct {
	ID          string
	DisplayName string
	WebURL      string
	Created     bool // made by the call that returned it
}

// ListItem is a list item. Fields hold values as encoding/json decodes
// them into any, keyed by column internal name.
type ListItem struct {
	ID       string
	WebURL   string
	Fields   map[string]any
	Created  time.Time
	Modified time.Time
}

// GroupSpec is a Microsoft 365 group to create; its team site follows.
type GroupSpec struct {
	DisplayName  string
	MailNickname string // unique; see SiteAlias
	Description  string
	Visibility   string   // "Private" (default) or "Public"
	Owners       []string // Entra object ids; at least one
	Members      []string
}

// The names of the site's library and lists. A list of that name already
// on the site is used when its columns are right.
const (
	DocumentsLibraryName = "Migration documents"
	IssuesListName       = "Migration issues"
	KnownErrorsListName  = "Known migration errors"
)

// The columns of the issue tracker, by internal name. Title is the list's
// own column. KeyColumn holds "engagement/issue", so that an item written
// by a run that died before it could record the item's id is found, not
// written twice.
const (
	KeyColumn = "MvmKey"
)

// Issue tracker statuses, as the list shows them.
var issueStatusText = map[IssueState]string{
	IssueOpen:       "Open",
	IssueResolved:   "Resolved",
	IssueHandedOver: "Handed over",
}

// DocumentsLibrary is the library of task 2979: migration documentation,
// runbooks, the exported questionnaire.
func DocumentsLibrary() ListSpec {
	return ListSpec{DisplayName: DocumentsLibraryName, Template: TemplateDocumentLibrary,
		Description: "Migration documentation, runbooks and the exported questionnaire (FastTrack task 2979)."}
}

// IssuesList is the post-migration issue tracker of task 3615.
func IssuesList() ListSpec {
	sources := make([]string, 0, len(Sources()))
	for _, s := range Sources() {
		sources = append(sources, string(s))
	}
	sevs := make([]string, len(severities))
	for i, s := range severities {
		sevs[i] = string(s)
	}
	return ListSpec{DisplayName: IssuesListName, Template: TemplateGenericList,
		Description: "Migration and post-migration issues (FastTrack tasks 3615 and 2481), kept in step by mvmbot.",
		Columns: []ListColumn{
			{Name: "Source", Type: ColumnChoice, Choices: sources},
			{Name: "AffectedUnit", Type: ColumnText},
			{Name: "ErrorText", Type: ColumnText, Multiline: true},
			{Name: "Severity", Type: ColumnChoice, Choices: sevs},
			{Name: "Status", Type: ColumnChoice, Choices: []string{"Open", "Resolved", "Handed over"}},
			{Name: "Owner", Type: ColumnText},
			{Name: "Opened", Type: ColumnDateTime},
			{Name: "Resolved", Type: ColumnDateTime},
			{Name: "Event", Type: ColumnNumber},
			{Name: "Escalated", Type: ColumnBoolean},
			{Name: "KnownError", Type: ColumnText},
			{Name: "Resolution", Type: ColumnText, Multiline: true},
			{Name: KeyColumn, Type: ColumnText},
		}}
}

// KnownErrorsList is the list of known migration errors of task 3282.
func KnownErrorsList() ListSpec {
	return ListSpec{DisplayName: KnownErrorsListName, Template: TemplateGenericList,
		Description: "Known migration errors for this engagement's sources: what each means, what fixes it, who fixes it (FastTrack task 3282).",
		Columns: []ListColumn{
			{Name: "Pattern", Type: ColumnText},
			{Name: "Meaning", Type: ColumnText, Multiline: true},
			{Name: "Remediation", Type: ColumnText, Multiline: true},
			{Name: "Remediates", Type: ColumnChoice, Choices: []string{string(Customer), string(MST)}},
			{Name: "Sources", Type: ColumnText},
		}}
}

// KnownErrorFields are the list item of a known error; Title is its id.
func KnownErrorFields(k KnownError) map[string]any {
	srcs := "all"
	if len(k.Sources) > 0 {
		ss := make([]string, len(k.Sources))
		for i, s := range k.Sources {
			ss[i] = string(s)
		}
		srcs = strings.Join(ss, ", ")
	}
	return map[string]any{
		"Title": k.ID, "Pattern": k.Pattern, "Meaning": k.Meaning,
		"Remediation": k.Remediation, "Remediates": string(k.Remediates), "Sources": srcs,
	}
}

// IssueKey is the value of an issue's KeyColumn.
func IssueKey(e *Engagement, id int) string { return e.ID + "/" + strconv.Itoa(id) }

// IssueFields are the tracker list item of issue x of e.
func IssueFields(e *Engagement, x Issue) map[string]any {
	f := map[string]any{
		"Title":     truncateRunes(x.Title, 255),
		"Status":    issueStatusText[x.State],
		"Opened":    x.Opened,
		"Escalated": issueEscalated(e, x.ID),
		KeyColumn:   IssueKey(e, x.ID),
	}
	set := func(k, v string) {
		if v != "" {
			f[k] = v
		}
	}
	set("Source", string(x.Source))
	set("AffectedUnit", truncateRunes(x.Unit, 255))
	set("ErrorText", x.ErrorText)
	set("Severity", string(x.Severity))
	set("KnownError", x.KnownError)
	set("Resolution", x.Outcome)
	if x.Owner != "" {
		m, _ := e.Member(x.Owner)
		f["Owner"] = truncateRunes(m.display(), 255)
	}
	if x.Event != 0 {
		f["Event"] = x.Event
	}
	if !x.Closed.IsZero() {
		f["Resolved"] = x.Closed
	}
	return f
}

// IssuesToSync returns the issues whose latest change is not yet in the
// tracker list, oldest first.
func IssuesToSync(e *Engagement) []Issue {
	var out []Issue
	for _, x := range e.Issues {
		if x.Rev > x.SyncedRev {
			out = append(out, x)
		}
	}
	return out
}

// RecordIssueSynced notes that revision rev of issue id is in the tracker
// as item itemID. A later change (a higher Rev) stays to be written.
func RecordIssueSynced(e *Engagement, id, rev int, itemID, itemURL string) error {
	i, err := e.issueIndex(id)
	if err != nil {
		return err
	}
	x := &e.Issues[i]
	x.ItemID, x.ItemURL = itemID, itemURL
	x.SyncedRev = max(x.SyncedRev, rev)
	return nil
}

// IssuesCSV is the engagement's issues as CSV, for `issues export`: the
// tracker's columns, one row per issue, oldest first.
func IssuesCSV(e *Engagement) []byte {
	w := &csvWriter{}
	w.Write("id", "title", "source", "affected_unit", "error_text", "severity", "status", "owner",
		"opened", "resolved", "event", "escalated", "known_error", "resolution", "reported_by")
	esc := escalatedIssues(e)
	name := func(id string) string {
		if id == "" {
			return ""
		}
		m, ok := e.Member(id)
		if !ok {
			return id
		}
		return m.display()
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, x := range e.Issues {
		ev := ""
		if x.Event != 0 {
			ev = strconv.Itoa(x.Event)
		}
		w.Write(strconv.Itoa(x.ID), x.Title, string(x.Source), x.Unit, x.ErrorText, string(x.Severity),
			issueStatusText[x.State], name(x.Owner), stamp(x.Opened), stamp(x.Closed), ev,
			strconv.FormatBool(esc[x.ID]), x.KnownError, x.Outcome, name(x.OpenedBy))
	}
	return w.Bytes()
}
