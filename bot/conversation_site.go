package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// siteCommands are the commands of this file (see Command).
var siteCommands = []Command{
	{Name: "site", Usage: "site", Scopes: sharedScope,
		Description: "The migration collaboration site: set it up (new or existing SharePoint site), see its links, repair it",
		Help: "The MST, the MVM or the lead uses the customer's existing SharePoint site or has me create one with a Microsoft 365 group. " +
			"I then make the library Migration documents and the lists Migration issues and Known migration errors, and marks 2979, 3615 and 3282 done. " +
			"Repair makes whatever is missing again. Without Graph configured, I keep the issue tracker myself (issues export).",
		Rank: 200,
		Run:  func(t *turn, _ string) (answer, error) { return t.site(cards.ActionData{}) }},
	{Name: "issue", Usage: "issue", Scopes: allScopes,
		Description: "Report a migration issue: what, source, affected user or path, error text, severity",
		Help: "Anyone in the engagement may report. The error text is checked against the known migration errors and the fix is shown at once; " +
			"the MST is mentioned, and the issue goes to the tracker list on the collaboration site.",
		Rank: 210,
		Run:  func(t *turn, args string) (answer, error) { return t.issueCommand("issue", args) }},
	{Name: "issues", Usage: "issues [export]", Scopes: allScopes,
		Description: "The open migration issues, ten per page, to assign, resolve or escalate; export gives CSV",
		Help: "The MVM and the MST assign; the MVM, the MST and the customer resolve; anyone escalates to the single point of contact (the MVM for IMAP, the MST otherwise). " +
			"**issues 2** is the second page, **issues export** every issue as CSV.",
		Rank: 220,
		Run:  func(t *turn, args string) (answer, error) { return t.issueCommand("issues", args) }},
}

// siteButtons are the buttons of this file's cards (see Button).
var siteButtons = []Button{
	{Verbs: []string{cards.VerbSite},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.site(d) }},
	{Verbs: []string{cards.VerbSiteCreate},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.siteCreate(d, raw)
		}},
	{Verbs: []string{cards.VerbSiteRepair},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) { return t.siteRepair(d) }},
	{Verbs: []string{cards.VerbIssue},
		Run: func(t *turn, _ string, d cards.ActionData, _ json.RawMessage) (answer, error) {
			e, err := t.target(d)
			if err != nil {
				return answer{}, err
			}
			return answer{card: cards.IssueFormCard(e, cards.IssueForm{})}, nil
		}},
	{Verbs: []string{cards.VerbIssueSubmit},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.issueSubmit(d, raw)
		}},
	{Verbs: []string{cards.VerbIssues},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.issuesPage(d, raw)
		}},
	{Verbs: []string{cards.VerbIssueAssign, cards.VerbIssueResolve, cards.VerbIssueEscalate},
		Run: (*turn).issueButton},
}

// SiteGraph is what the collaboration site and its issue tracker (issue 7)
// need from Microsoft Graph; *graph.Client implements it (cmd/mvmbot
// passes it in when the bot has an app identity). nil is local mode: the
// tracker is kept in the engagement only. Errors carry playbook codes (a
// 403 names the missing permission) and, when Graph asks to come back
// later, a retry hint (see retryHint).
type SiteGraph interface {
	SiteByURL(ctx context.Context, siteURL string) (playbook.SharePointSite, error)
	GroupByMailNickname(ctx context.Context, nickname string) (string, error)
	CreateGroup(ctx context.Context, g playbook.GroupSpec) (string, error)
	GroupSite(ctx context.Context, groupID string) (playbook.SharePointSite, error)
	EnsureList(ctx context.Context, siteID string, spec playbook.ListSpec) (playbook.SharePointList, error)
	AddItem(ctx context.Context, siteID, listID string, fields map[string]any) (playbook.ListItem, error)
	UpdateItem(ctx context.Context, siteID, listID, itemID string, fields map[string]any) error
	Items(ctx context.Context, siteID, listID, filter string, pageSize int) ([]playbook.ListItem, string, error)
	MoreItems(ctx context.Context, nextLink string) ([]playbook.ListItem, string, error)
}

// site answers "site" and the site card's Refresh.
func (t *turn) site(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := t.trackerMember(e); err != nil {
		return answer{}, err
	}
	return answer{card: t.siteCard(e, cards.SiteView{})}, nil
}

func (t *turn) siteCard(e *playbook.Engagement, v cards.SiteView) *cards.Card {
	v.CanManage = !e.IsClosed() && playbook.Can(e, t.a.From.ID, playbook.ActionSite, nil) == nil
	v.Local = t.c.Sites == nil
	return cards.Site(e, v)
}

// siteCreate runs the site form's submit: the setup is recorded and its
// job queued in the same commit. A refused submit shows the form again
// with what was typed.
func (t *turn) siteCreate(d cards.ActionData, raw json.RawMessage) (answer, error) {
	f, err := cards.DecodeSiteForm(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if t.c.Sites == nil {
		return answer{card: t.siteCard(e, cards.SiteView{})}, nil
	}
	r := playbook.SiteRequest{Mode: playbook.SiteMode(f.Mode), URL: f.URL, Name: f.Name, Alias: f.Alias}
	if err := playbook.RequestSite(e, t.a.From.ID, r, t.now); err != nil {
		if playbook.ErrorCode(err) != playbook.EINVALID {
			return answer{}, err
		}
		f.Error = playbook.ErrorMessage(err)
		return answer{card: t.siteCard(e, cards.SiteView{Form: f, Notice: "Nothing was set up yet.", Attention: true})}, nil
	}
	return t.siteQueued(e, fmt.Sprintf("%s asked for the collaboration site; I am setting it up and post here when it is ready.", displayName(t.me())))
}

// siteRepair runs Repair and Retry.
func (t *turn) siteRepair(d cards.ActionData) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if t.c.Sites == nil {
		return answer{card: t.siteCard(e, cards.SiteView{})}, nil
	}
	if err := playbook.RepairSite(e, t.a.From.ID, t.now); err != nil {
		return answer{}, err
	}
	return t.siteQueued(e, fmt.Sprintf("%s started the site's set-up again (run %d): whatever is there stays, whatever is missing is made.", displayName(t.me()), e.Site.Run))
}

func (t *turn) siteQueued(e *playbook.Engagement, notice string) (answer, error) {
	j, err := siteSetupJob(e.ID, e.Site.Run, t.now)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	ans := answer{card: t.siteCard(e, cards.SiteView{Notice: notice}), jobs: []playbook.Job{j}}
	return save(e, ans), nil
}

// issueCommand runs "issue" (the form) and "issues [export|<page>]".
func (t *turn) issueCommand(name, args string) (answer, error) {
	if name == "issue" {
		e, err := t.here()
		if err != nil {
			return answer{}, err
		}
		if err := t.trackerMember(e); err != nil {
			return answer{}, err
		}
		return answer{card: cards.IssueFormCard(e, cards.IssueForm{})}, nil
	}
	sub, _ := splitCommand(args)
	switch sub {
	case "", "open", "list":
		return t.issues(cards.ActionData{}, 0, "", false)
	case "export", "csv":
		return t.issuesExport()
	}
	if n, err := strconv.Atoi(sub); err == nil && n >= 1 {
		return t.issues(cards.ActionData{}, n-1, "", false)
	}
	return answer{}, playbook.Errorf(playbook.EINVALID, "**issues** lists the open issues, **issues 2** their second page, **issues export** all of them as CSV. %q is none of those.", truncate(sub, 30))
}

func (t *turn) issues(d cards.ActionData, page int, notice string, attention bool) (answer, error) {
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	if err := t.trackerMember(e); err != nil {
		return answer{}, err
	}
	return answer{card: t.issuesCard(e, page, notice, attention)}, nil
}

func (t *turn) issuesCard(e *playbook.Engagement, page int, notice string, attention bool) *cards.Card {
	me := t.a.From.ID
	return cards.Issues(e, cards.IssuesView{
		Notice: notice, Attention: attention, Page: page, Tracker: trackerURL(e),
		May: func(a playbook.Action) bool { return !e.IsClosed() && playbook.Can(e, me, a, nil) == nil },
	})
}

// trackerURL is the issue tracker list's address; "" while there is none.
func trackerURL(e *playbook.Engagement) string {
	if e.Site == nil || e.Site.State != playbook.SiteReady {
		return ""
	}
	return e.Site.Issues.WebURL
}

func (t *turn) issuesExport() (answer, error) {
	e, err := t.here()
	if err != nil {
		return answer{}, err
	}
	if err := t.trackerMember(e); err != nil {
		return answer{}, err
	}
	block, shown, total := csvBlock(playbook.IssuesCSV(e))
	note := fmt.Sprintf("The %s engagement's %d issues as CSV:", markdown.Escape(e.Customer), len(e.Issues))
	if shown < total {
		note = fmt.Sprintf("The first %d of the %s engagement's %d issues as CSV (a message holds no more; the reporting feed has them all, see **help feed**):", shown-1, markdown.Escape(e.Customer), len(e.Issues))
	}
	return answer{text: note + "\n\n" + block}, nil
}

// issueSubmit runs the issue form's Report: the issue is recorded, the
// channel hears of it with the reporter and the MST mentioned, and, when a
// site is set up, the tracker list gets it by a job in the same commit. A
// refused submit shows the form again with what was typed.
func (t *turn) issueSubmit(d cards.ActionData, raw json.RawMessage) (answer, error) {
	f, err := cards.DecodeIssueForm(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	refuse := func(err error) (answer, error) {
		// ENOTFOUND: the event typed does not exist.
		if c := playbook.ErrorCode(err); c != playbook.EINVALID && c != playbook.ENOTFOUND {
			return answer{}, err
		}
		f.Error = playbook.ErrorMessage(err) + " Nothing was recorded yet."
		return answer{card: cards.IssueFormCard(e, f)}, nil
	}
	r := playbook.IssueReport{Title: f.Title, Source: playbook.Source(strings.TrimSpace(f.Source)), Unit: f.Unit,
		ErrorText: f.ErrorText, Severity: playbook.Severity(strings.TrimSpace(f.Severity))}
	if ev := strings.TrimSpace(f.Event); ev != "" {
		n, err := strconv.Atoi(ev)
		if err != nil || n < 1 {
			return refuse(playbook.Errorf(playbook.EINVALID, "The event is a number, like 3, or empty."))
		}
		r.Event = n
	}
	x, err := playbook.ReportIssue(e, t.a.From.ID, r, t.now)
	if err != nil {
		return refuse(err)
	}
	var known *playbook.KnownError
	if k, ok := playbook.KnownErrorByID(x.KnownError); ok {
		known = &k
	}
	jobs, err := t.issueSyncJobs(e, x)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	text := fmt.Sprintf("Issue **#%d** reported by %s: %s", x.ID, "<at>"+displayName(t.me())+"</at>", markdown.Escape(x.Title))
	if known != nil {
		text += fmt.Sprintf("\n\nIt is the known error **%s**: %s", known.ID, known.Remediation)
	}
	if u := trackerURL(e); u != "" {
		text += "\n\nTracked in [" + playbook.IssuesListName + "](" + u + ")."
	}
	// The MST hears of it, and the reporter is named: once each, should
	// the reporter be the MST.
	post := textReply(text)
	var ats []string
	for _, m := range e.Holders(playbook.MST) {
		if m.ID != t.a.From.ID {
			at := "<at>" + displayName(m) + "</at>"
			ats = append(ats, at)
			post.Entities = append(post.Entities, mentionEntity(m, at))
		}
	}
	if len(ats) > 0 {
		post.Text = strings.Join(ats, ", ") + ": " + post.Text
	}
	post.Entities = append(post.Entities, mentionEntity(t.me(), "<at>"+displayName(t.me())+"</at>"))
	ans := t.withPosts(e, answer{card: cards.IssueReported(e, x, known, trackerURL(e)), jobs: jobs}, post)
	return save(e, ans), nil
}

// issueSyncJobs queues the write of issue x to the tracker list, when the
// site is ready and Graph is configured.
func (t *turn) issueSyncJobs(e *playbook.Engagement, x playbook.Issue) ([]playbook.Job, error) {
	if t.c.Sites == nil || e.Site == nil || e.Site.Issues.ID == "" {
		return nil, nil // the site's set-up writes the issues it finds
	}
	j, err := issueSyncJob(e.ID, x.ID, x.Rev, t.now)
	if err != nil {
		return nil, err
	}
	return []playbook.Job{j}, nil
}

// issueButton runs Assign, Resolve and Escalate of the issues card.
func (t *turn) issueButton(verb string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	b, err := decodeButton(raw, cards.IssueKey, "issue", "issues")
	if err != nil {
		return answer{}, err
	}
	id, text := b.id, b.text
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	who := displayName(t.me())
	var notice string
	var posts []Outgoing
	var card *cards.Card
	switch verb {
	case cards.VerbIssueAssign:
		var owner string
		if owner, err = text(cards.OwnerInput(id)); err == nil {
			if strings.TrimSpace(owner) == "" {
				err = playbook.Errorf(playbook.EINVALID, "Choose the owner of issue %d; nothing was changed.", id)
			} else if err = playbook.AssignIssue(e, t.a.From.ID, id, owner, t.now); err == nil {
				om, _ := e.Member(owner)
				notice = fmt.Sprintf("%s assigned issue #%d to %s.", who, id, displayName(om))
				if owner != t.a.From.ID {
					at := "<at>" + displayName(om) + "</at>"
					post := textReply(fmt.Sprintf("%s: %s assigned issue **#%d** to you.", at, who, id))
					post.Entities = []map[string]any{mentionEntity(om, at)}
					posts = append(posts, post)
				}
			}
		}
	case cards.VerbIssueResolve:
		var res string
		if res, err = text(cards.IssueResolutionInput(id)); err == nil {
			if err = playbook.ResolveIssue(e, t.a.From.ID, id, res, t.now); err == nil {
				notice = fmt.Sprintf("%s resolved issue #%d: %s", who, id, strings.TrimSpace(res))
				posts = append(posts, textReply(notice))
			}
		}
	case cards.VerbIssueEscalate:
		var esc playbook.Escalation
		if esc, err = playbook.EscalateIssue(e, t.a.From.ID, id, t.now); err == nil {
			x, _ := playbook.GetIssue(e, id)
			card = cards.IssueEscalated(e, x, esc)
			posts = append(posts, escalationPost(e, esc, fmt.Sprintf("%s escalated issue **#%d** (%s): %s", who, id, esc.Severity, markdown.Escape(x.Title))))
		}
	}
	if err != nil {
		return answer{}, err
	}
	x, err := playbook.GetIssue(e, id)
	if err != nil {
		return answer{}, err
	}
	jobs, err := t.issueSyncJobs(e, x)
	if err != nil {
		return answer{}, err
	}
	bump(e)
	if card == nil {
		card = t.issuesCard(e, 0, notice, false)
	}
	return save(e, t.withPosts(e, answer{card: card, jobs: jobs}, posts...)), nil
}

// issuesPage runs the issues card's Previous and Next.
func (t *turn) issuesPage(d cards.ActionData, raw json.RawMessage) (answer, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return answer{}, playbook.Errorf(playbook.EINVALID, "This card's data is malformed. Type **issues** for a fresh card.")
	}
	page := 0
	if v, ok := m[cards.PageKey]; ok {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return answer{}, playbook.Errorf(playbook.EINVALID, "This button names no page. Type **issues** for a fresh card.")
		}
		page = int(f)
	}
	return t.issues(d, page, "", false)
}

// trackerMember refuses the site and the tracker to a non-member (t.member
// speaks of the questionnaire).
func (t *turn) trackerMember(e *playbook.Engagement) error {
	if _, ok := e.Member(t.a.From.ID); !ok {
		return playbook.Errorf(playbook.EFORBIDDEN, "You are not a member of the %s engagement, so its site and issues are not shown. The lead adds people with **role @person ROLE**.", markdown.Escape(e.Customer))
	}
	return nil
}
