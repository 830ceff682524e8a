package cards

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the collaboration site and issue tracker cards (issue 7).
// Stored in cards people have received: never rename one.
const (
	VerbSite          = "site"          // the site card
	VerbSiteCreate    = "siteCreate"    // submit the site form
	VerbSiteRepair    = "siteRepair"    // run the setup again (Repair, Retry)
	VerbSiteElsewhere = "siteElsewhere" // record the site set up outside mvmbot (an override)
	VerbIssue         = "issue"         // the report-an-issue form
	VerbIssueSubmit   = "issueSubmit"   // submit the form
	VerbIssues        = "issues"        // the open issues, data.page
	VerbIssueAssign   = "issueAssign"   // assign data.issue to its owner input
	VerbIssueResolve  = "issueResolve"  // resolve data.issue with its resolution input
	VerbIssueEscalate = "issueEscalate" // escalate data.issue to the point of contact
	IssueKey          = "issue"         // the data key naming an issue
	PageKey           = "page"          // the data key of the issues page
)

// Input ids of the site form.
const (
	SiteModeInput  = "siteMode"
	SiteURLInput   = "siteUrl"
	SiteNameInput  = "siteName"
	SiteAliasInput = "siteAlias"
	// SiteElsewhereInput says where a site set up outside mvmbot is.
	SiteElsewhereInput = "siteElsewhere"
)

// SiteForm is what the site form holds: as typed, so that a refused submit
// shows it again.
type SiteForm struct {
	Mode, URL, Name, Alias string
	Elsewhere              string // where a site set up outside mvmbot is
	Error                  string // why the last submit was refused
}

// DecodeSiteForm reads the site form's inputs; a value of the wrong type
// is EINVALID.
func DecodeSiteForm(raw json.RawMessage) (SiteForm, error) {
	m, err := object(raw)
	if err != nil {
		return SiteForm{}, err
	}
	var f SiteForm
	for _, in := range []struct {
		id  string
		dst *string
	}{{SiteModeInput, &f.Mode}, {SiteURLInput, &f.URL}, {SiteNameInput, &f.Name}, {SiteAliasInput, &f.Alias}, {SiteElsewhereInput, &f.Elsewhere}} {
		v, ok := m[in.id]
		if !ok || v == nil {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return SiteForm{}, malformed()
		}
		*in.dst = s
	}
	return f, nil
}

// SiteView is what the site card shows, for one viewer.
type SiteView struct {
	Notice    string
	Attention bool
	CanManage bool // the viewer may set the site up or repair it
	// Local: Graph is not configured, so the tracker lives in mvmbot.
	Local bool
	Form  SiteForm // the form's values, when it is shown
}

// Site is the collaboration site card: the form to set one up while there
// is none (or the last setup failed), the progress while the setup runs,
// and the links once it is ready.
func Site(e *playbook.Engagement, v SiteView) *Card {
	body := []Element{Title(customer(e) + ": collaboration site")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, v.Attention))
	}
	s := e.Site
	d := ActionData{Engagement: e.ID, Version: e.Version}
	st, where, elsewhere := playbook.SiteElsewhere(e)
	// None of mine: no site, or its set-up failed.
	none := s == nil || s.State == playbook.SiteFailed
	manage := v.CanManage && !elsewhere
	var actions []Element
	switch {
	case v.Local:
		body = append(body, Text("Microsoft Graph is not configured, so I keep the issue tracker myself: **issue** reports one, **issues** lists the open ones, **issues export** gives them all as CSV. "+
			"Set MicrosoftAppId and its credential (README: Graph permissions) to publish them on a SharePoint site."))
	case s == nil:
		if !elsewhere {
			body = append(body, Text("The migration collaboration site holds the migration documents (2979), the issue tracker (3615) and the known migration errors (3282). "+
				"Use the customer's existing SharePoint site, or let me create one with a Microsoft 365 group whose owners are this engagement's MST, MVM, FRP and lead."))
		}
	case s.State == playbook.SiteSettingUp:
		body = append(body, Text(siteProgress(s)), siteFacts(s))
		actions = append(actions, quiet(Button("Refresh", VerbSite, ActionData{Engagement: e.ID})))
	case s.State == playbook.SiteReady:
		body = append(body, siteFacts(s), Subtle(fmt.Sprintf("Set up %s UTC. Repair makes whatever is missing again, and changes nothing that is there.", s.Ready.Format(day+" 15:04"))))
		actions = append(actions, quiet(Button("Report an issue", VerbIssue, ActionData{Engagement: e.ID})), quiet(Button("Open issues", VerbIssues, ActionData{Engagement: e.ID})))
		if v.CanManage {
			actions = append(actions, quiet(Button("Repair", VerbSiteRepair, d)))
		}
	case s.State == playbook.SiteFailed:
		body = append(body, Notice("The last set-up stopped: "+truncate(s.Error, 400), true), siteFacts(s))
		if manage {
			actions = append(actions, quiet(Button("Retry", VerbSiteRepair, d)))
		}
	}
	if !v.Local && manage && none {
		body = append(body, siteForm(e, v.Form)...)
		actions = append(actions, Button("Set up the site", VerbSiteCreate, d))
	}
	if !v.CanManage && none && !v.Local && !elsewhere {
		body = append(body, Subtle("The MST, the MVM or the lead sets the site up."))
	}
	if elsewhere {
		body = append(body, Text(fmt.Sprintf("%s recorded the site as set up elsewhere on %s (an override): %s",
			memberName(e, st.By), st.At.Format(day), markdown.Escape(truncate(where, 400)))))
	} else if manage && none && playbook.SiteTasksOpen(e) {
		body = append(body, Subtle("Set up without me (the FastTrack portal's library, or a site made by hand)? Say where the site, its issue tracker and the known errors list are: the site's tasks are recorded done as an override, with this as the reason."))
		body = append(body, TextInput(SiteElsewhereInput, InputOpts{Label: "Set up elsewhere: where", Value: v.Form.Elsewhere,
			Placeholder: "https://contoso.sharepoint.com/sites/Migration, with the Migration issues and Known migration errors lists"}, true, playbook.MaxReasonLen)...)
		actions = append(actions, quiet(Button("Record as set up elsewhere", VerbSiteElsewhere, d)))
	}
	c := New(body...)
	c.Actions = actions
	return c
}

func siteForm(e *playbook.Engagement, f SiteForm) []Element {
	mode := f.Mode
	if mode == "" {
		mode = string(playbook.SiteNew)
	}
	name := f.Name
	if name == "" && f.Mode == "" {
		name = truncate(e.Customer+" migration", playbook.MaxSiteNameLen)
	}
	var errs []Element
	if f.Error != "" {
		errs = append(errs, Notice(f.Error, true))
	}
	return Body(errs,
		ChoiceInput(SiteModeInput, InputOpts{Label: "Site", Value: mode}, []Choice{
			{Title: "Create a new site for this engagement", Value: string(playbook.SiteNew)},
			{Title: "Use an existing SharePoint site", Value: string(playbook.SiteExisting)},
		}, false),
		TextInput(SiteNameInput, InputOpts{Label: "New site: name", Value: name, Placeholder: "Contoso migration"}, false, playbook.MaxSiteNameLen),
		TextInput(SiteAliasInput, InputOpts{Label: "New site: alias (the group's mail nickname; from the name when empty)", Value: f.Alias, Placeholder: playbook.SiteAlias(name)}, false, playbook.MaxSiteAliasLen),
		TextInput(SiteURLInput, InputOpts{Label: "Existing site: address", Value: f.URL, Placeholder: "https://contoso.sharepoint.com/sites/Migration"}, false, playbook.MaxSiteURLLen),
	)
}

// siteProgress says where a running setup is.
func siteProgress(s *playbook.Site) string {
	switch {
	case s.SiteID == "" && !s.Waiting.IsZero():
		return fmt.Sprintf("The Microsoft 365 group is created; SharePoint has been provisioning its site since %s UTC (this takes up to 15 minutes). I post when it is ready.", s.Waiting.Format("15:04"))
	case s.SiteID == "":
		return "Setting up: finding or creating the site…"
	}
	return "Setting up: the site is there; creating the library and the lists…"
}

func siteFacts(s *playbook.Site) Element {
	var fs []Fact
	link := func(title, url string) {
		if url != "" {
			fs = append(fs, Fact{Title: title, Value: "[" + truncate(url, 120) + "](" + url + ")"})
		}
	}
	switch s.Mode {
	case playbook.SiteNew:
		fs = append(fs, Fact{Title: "Group", Value: markdown.Escape(truncate(s.Name, 80)) + " (" + markdown.Escape(s.Alias) + ")"})
	case playbook.SiteExisting:
		fs = append(fs, Fact{Title: "Asked for", Value: truncate(s.URL, 120)})
	}
	link("Site", s.WebURL)
	link(playbook.DocumentsLibraryName, s.Docs.WebURL)
	link(playbook.IssuesListName, s.Issues.WebURL)
	link(playbook.KnownErrorsListName, s.Known.WebURL)
	if len(s.KnownRows) > 0 {
		fs = append(fs, Fact{Title: "Known errors", Value: strconv.Itoa(len(s.KnownRows)) + " for this engagement's sources"})
	}
	return Facts(fs...)
}

// Input ids of the issue form.
const (
	IssueTitleInput    = "issueTitle"
	IssueSourceInput   = "issueSource"
	IssueUnitInput     = "issueUnit"
	IssueErrorInput    = "issueError"
	IssueSeverityInput = "issueSeverity"
	IssueEventInput    = "issueEvent"
)

// IssueSourceNone is the choice "Not about one source": a choice needs a
// value (Microsoft's renderer drops an input whose choice is "" from what
// it sends).
const IssueSourceNone = "none"

// IssueForm is what the issue form holds, as typed.
type IssueForm struct {
	Title, Source, Unit, ErrorText, Severity, Event string
	Error                                           string // why the last submit was refused
}

// DecodeIssueForm reads the issue form's inputs; a value of the wrong type
// is EINVALID.
func DecodeIssueForm(raw json.RawMessage) (IssueForm, error) {
	m, err := object(raw)
	if err != nil {
		return IssueForm{}, err
	}
	var f IssueForm
	for _, in := range []struct {
		id  string
		dst *string
	}{{IssueTitleInput, &f.Title}, {IssueSourceInput, &f.Source}, {IssueUnitInput, &f.Unit},
		{IssueErrorInput, &f.ErrorText}, {IssueSeverityInput, &f.Severity}, {IssueEventInput, &f.Event}} {
		v, ok := m[in.id]
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case string:
			if in.id == IssueSourceInput && x == IssueSourceNone {
				x = ""
			}
			*in.dst = x
		case float64: // a client that sends Input.Number as a number
			if in.id != IssueEventInput {
				return IssueForm{}, malformed()
			}
			*in.dst = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return IssueForm{}, malformed()
		}
	}
	return f, nil
}

// IssueFormCard asks for a migration issue: title, source (preselected
// when the engagement has one), affected user or path, error text,
// severity, event.
func IssueFormCard(e *playbook.Engagement, f IssueForm) *Card {
	body := []Element{Title(customer(e) + ": report a migration issue")}
	if f.Error != "" {
		body = append(body, Notice(f.Error, true))
	}
	src := f.Source
	if src == "" && len(e.Sources) == 1 && f.Title == "" {
		src = string(e.Sources[0])
	}
	if src == "" {
		src = IssueSourceNone
	}
	srcs := []Choice{{Title: "Not about one source", Value: IssueSourceNone}}
	for _, s := range e.Sources {
		srcs = append(srcs, Choice{Title: sourceTitle(s), Value: string(s)})
	}
	sev := f.Severity
	if sev == "" {
		sev = string(playbook.SeverityMedium)
	}
	sevs := []Choice{{"Low", "low"}, {"Medium", "medium"}, {"High", "high"}, {"Critical", "critical"}}
	body = append(body, Body(
		TextInput(IssueTitleInput, InputOpts{Label: "What is wrong", Value: f.Title, Required: true, Placeholder: "Mailbox stops at 80% during the pilot"}, false, playbook.MaxIssueTitleLen),
		ChoiceInput(IssueSourceInput, InputOpts{Label: "Source", Value: src}, srcs, false),
		TextInput(IssueUnitInput, InputOpts{Label: "Affected user or path", Value: f.Unit, Placeholder: "adele@contoso.com or \\\\fs01\\share\\finance"}, false, playbook.MaxUnitLen),
		TextInput(IssueErrorInput, InputOpts{Label: "Error text (checked against the known migration errors)", Value: f.ErrorText}, true, playbook.MaxReasonLen),
		ChoiceInput(IssueSeverityInput, InputOpts{Label: "Severity", Value: sev}, sevs, false),
		TextInput(IssueEventInput, InputOpts{Label: "Migration event number, if it came from one", Value: f.Event}, false, 6),
		One(Subtle("Never paste passwords or keys: a message that holds one is refused.")),
	)...)
	c := New(body...)
	c.Actions = []Element{Button("Report", VerbIssueSubmit, ActionData{Engagement: e.ID, Version: e.Version})}
	return c
}

// IssueReported confirms a reported issue: its number, where it is
// tracked and, when its error text is a known error, the remediation.
func IssueReported(e *playbook.Engagement, x playbook.Issue, known *playbook.KnownError, tracker string) *Card {
	body := []Element{
		Title(fmt.Sprintf("Issue #%d: %s", x.ID, markdown.Escape(truncate(x.Title, 120)))),
		issueFacts(e, x),
	}
	if known != nil {
		body = append(body, Heading("Known migration error: "+known.ID),
			Text(truncate(known.Meaning, 400)),
			Text("**Fix:** "+truncate(known.Remediation, 600)),
			Subtle("Remediated by the "+string(known.Remediates)+"."))
	}
	if tracker != "" {
		body = append(body, Text("Tracked in ["+playbook.IssuesListName+"]("+tracker+")."))
	} else {
		body = append(body, Subtle("Kept in my own tracker; **issues export** gives them as CSV."))
	}
	c := New(body...)
	c.Actions = []Element{quiet(Button("Open issues", VerbIssues, ActionData{Engagement: e.ID}))}
	return c
}

func issueFacts(e *playbook.Engagement, x playbook.Issue) Element {
	fs := []Fact{{Title: "Severity", Value: string(x.Severity)}, {Title: "Reported by", Value: truncate(memberName(e, x.OpenedBy), 60) + ", " + x.Opened.Format(day)}}
	if x.Source != "" {
		fs = append(fs, Fact{Title: "Source", Value: sourceTitle(x.Source)})
	}
	if x.Unit != "" {
		fs = append(fs, Fact{Title: "Affected", Value: truncate(x.Unit, 120)})
	}
	if x.Event != 0 {
		fs = append(fs, Fact{Title: "Event", Value: strconv.Itoa(x.Event)})
	}
	if x.Owner != "" {
		fs = append(fs, Fact{Title: "Owner", Value: truncate(memberName(e, x.Owner), 60)})
	}
	if x.ErrorText != "" {
		fs = append(fs, Fact{Title: "Error", Value: truncate(oneLine(x.ErrorText), 200)})
	}
	return Facts(fs...)
}

// IssuesPageSize is how many issues one card lists.
const IssuesPageSize = 10

// Input ids of the issues card, per issue id.
func OwnerInput(id int) string           { return "owner-" + strconv.Itoa(id) }
func IssueResolutionInput(id int) string { return "issueResolution-" + strconv.Itoa(id) }

// IssuesView is what the issues card shows, for one viewer.
type IssuesView struct {
	Notice    string
	Attention bool
	Page      int // 0-based
	// May says whether the viewer may take an issue action.
	May     func(playbook.Action) bool
	Tracker string // the tracker list's URL; "" in mvmbot's own tracker
}

// Issues lists e's open issues, IssuesPageSize per page, with Assign,
// Resolve and Escalate for those who may.
func Issues(e *playbook.Engagement, v IssuesView) *Card {
	var open []playbook.Issue
	for _, x := range e.Issues {
		if x.State == playbook.IssueOpen {
			open = append(open, x)
		}
	}
	body := []Element{Title(fmt.Sprintf("%s: open issues (%d)", customer(e), len(open)))}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, v.Attention))
	}
	if v.Tracker != "" {
		body = append(body, Subtle("Kept in step with ["+playbook.IssuesListName+"]("+v.Tracker+")."))
	} else {
		body = append(body, Subtle("Kept in my own tracker (no SharePoint site): **issues export** gives them as CSV."))
	}
	if len(open) == 0 {
		body = append(body, Text("No open issues. **issue** reports one."))
	}
	pages := max(1, (len(open)+IssuesPageSize-1)/IssuesPageSize)
	page := min(max(v.Page, 0), pages-1)
	may := func(a playbook.Action) bool { return v.May != nil && v.May(a) }
	var choices []Choice
	for _, m := range e.Members {
		choices = append(choices, Choice{Title: truncate(displayMember(m), 60), Value: m.ID})
	}
	for _, x := range open[min(page*IssuesPageSize, len(open)):min((page+1)*IssuesPageSize, len(open))] {
		body = append(body, Element{{"type", "TextBlock"}, {"wrap", true}, {"weight", "Bolder"}, {"spacing", "Medium"},
			{"text", fmt.Sprintf("#%d %s", x.ID, markdown.Escape(truncate(x.Title, 120)))}}, issueFacts(e, x))
		var bs []Element
		if may(playbook.ActionIssueAssign) && len(choices) > 0 {
			bs = append(bs, showCard("Assign", ChoiceInput(OwnerInput(x.ID), InputOpts{Label: "Owner", Value: x.Owner}, choices, false),
				issueButton("Assign", VerbIssueAssign, e, x.ID)))
		}
		if may(playbook.ActionIssueResolve) {
			bs = append(bs, showCard("Resolve", TextInput(IssueResolutionInput(x.ID), InputOpts{Label: "How it was resolved", Required: true}, true, playbook.MaxReasonLen),
				issueButton("Resolve", VerbIssueResolve, e, x.ID)))
		}
		if may(playbook.ActionEscalate) {
			bs = append(bs, quiet(issueButton("Escalate", VerbIssueEscalate, e, x.ID)))
		}
		if len(bs) > 0 {
			body = append(body, Actions(bs...))
		}
	}
	c := New(body...)
	if pages > 1 {
		body = append(body, Subtle(fmt.Sprintf("Page %d of %d.", page+1, pages)))
		c.Body = body
	}
	pageButton := func(title string, p int) Element {
		d := ActionData{Engagement: e.ID}.data()
		d[PageKey] = p
		return quiet(Execute(title, VerbIssues, d))
	}
	if page > 0 {
		c.Actions = append(c.Actions, pageButton("Previous", page-1))
	}
	if page < pages-1 {
		c.Actions = append(c.Actions, pageButton("Next", page+1))
	}
	c.Actions = append(c.Actions, quiet(Button("Report an issue", VerbIssue, ActionData{Engagement: e.ID})))
	return c
}

func issueButton(title, verb string, e *playbook.Engagement, id int) Element {
	d := ActionData{Engagement: e.ID, Version: e.Version}.data()
	d[IssueKey] = id
	return Execute(title, verb, d)
}

// IssueEscalated explains the single point of contact after an issue was
// escalated to them.
func IssueEscalated(e *playbook.Engagement, x playbook.Issue, esc playbook.Escalation) *Card {
	who := "Nobody holds the " + string(esc.ContactRole) + " role yet: the lead gives it with **role @person " + string(esc.ContactRole) + "**, and the escalation waits for them."
	if m, ok := e.Member(esc.Contact); ok && esc.Contact != "" {
		who = "**" + markdown.Escape(truncate(displayMember(m), 60)) + "** (" + string(esc.ContactRole) + ") is the single point of contact for escalations: they acknowledge it, keep you informed and resolve it."
	}
	c := New(
		Title(fmt.Sprintf("Issue #%d escalated (escalation #%d, %s)", x.ID, esc.ID, esc.Severity)),
		Text(markdown.Escape(truncate(x.Title, 200))),
		Text(who),
		Subtle("The "+contactRule(e)+" The escalation is in the history and in the tracker's Escalated column."),
	)
	c.Actions = []Element{quiet(Button("Escalations", VerbEscalations, ActionData{Engagement: e.ID})), quiet(Button("Open issues", VerbIssues, ActionData{Engagement: e.ID}))}
	return c
}

func contactRule(e *playbook.Engagement) string {
	if playbook.Manager(e) == playbook.MVM {
		return "MVM is the single point of contact where the MVM role applies (IMAP, or a customer outside the commercial segment)."
	}
	return "MST is the single point of contact where no MVM is engaged."
}
