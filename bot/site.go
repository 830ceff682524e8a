package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

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
	{Verbs: []string{cards.VerbSiteElsewhere},
		Run: func(t *turn, _ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
			return t.siteElsewhere(d, raw)
		}},
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

// siteElsewhere runs the site card's "Record as set up elsewhere": the
// site's tasks settled as an override, which is also how a local trial,
// without Graph, gets past them truthfully. A refused submit shows the
// card again with what was typed.
func (t *turn) siteElsewhere(d cards.ActionData, raw json.RawMessage) (answer, error) {
	f, err := cards.DecodeSiteForm(raw)
	if err != nil {
		return answer{}, err
	}
	e, err := t.target(d)
	if err != nil {
		return answer{}, err
	}
	done, err := playbook.SetUpSiteElsewhere(e, t.a.From.ID, f.Elsewhere, t.now)
	if err != nil {
		if playbook.ErrorCode(err) != playbook.EINVALID {
			return answer{}, err
		}
		return answer{card: t.siteCard(e, cards.SiteView{Form: f, Notice: playbook.ErrorMessage(err) + " Nothing was recorded.", Attention: true})}, nil
	}
	bump(e)
	refs := make([]string, len(done))
	for i, task := range done {
		refs[i] = "**" + task.Ref() + "**"
	}
	msg := func(who string) string {
		return fmt.Sprintf("%s recorded the collaboration site as set up elsewhere (an override): %s done.", who, strings.Join(refs, ", "))
	}
	return save(e, t.announce(e, answer{card: t.siteCard(e, cards.SiteView{Notice: msg("You")})}, msg(t.actorName(e)))), nil
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
	text := fmt.Sprintf("Issue **#%d** reported by %s: %s", x.ID, atTag(t.me()), markdown.Escape(x.Title))
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
			at := atTag(m)
			ats = append(ats, at)
			post.Entities = append(post.Entities, mentionEntity(m, at))
		}
	}
	if len(ats) > 0 {
		post.Text = strings.Join(ats, ", ") + ": " + post.Text
	}
	post.Entities = append(post.Entities, mentionEntity(t.me(), atTag(t.me())))
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
	b, err := cards.DecodeRecord(raw, cards.IssueKey, "issue", "issues")
	if err != nil {
		return answer{}, err
	}
	id, text := b.ID, b.Text
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
					at := atTag(om)
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
	page, err := cards.DecodePage(raw, 0, "This button names no page. Type **issues** for a fresh card.")
	if err != nil {
		return answer{}, err
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

func (siteArgs) Kind() string { return KindSiteSetup }

func (issueSyncArgs) Kind() string { return KindIssueSync }

// AddWorkers registers the site set-up and issue tracker workers.
func (w *SiteJobs) AddWorkers(ws Workers) {
	AddWorker(ws, w.workSetup)
	AddWorker(ws, w.workIssueSync)
}

// TellSetup tells about a failing KindSiteSetup job; once dead, the run
// ends as failed with the site card's Retry.
func (w *SiteJobs) TellSetup(ctx context.Context, j playbook.Job, n JobNotice) error {
	var a siteArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return fmt.Errorf("decode site job: %w", err)
	}
	if !n.Dead {
		return postNotice(ctx, w.Store, w.Runner, a.Engagement, noticeKey(j, n), retryingText("set up the collaboration site", n))
	}
	if err := w.fail(ctx, a, n.Err); !isTold(err) {
		return err
	}
	return nil
}

// TellIssueSync tells when an issue could not be written to the tracker
// list at all; a retry is not worth a message (the next change of any
// issue writes it too).
func (w *SiteJobs) TellIssueSync(ctx context.Context, j playbook.Job, n JobNotice) error {
	var a issueSyncArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return fmt.Errorf("decode issue sync job: %w", err)
	}
	if !n.Dead {
		return nil
	}
	text := fmt.Sprintf("I could not write issue **#%d** to the tracker list: %s\n\nIt is written with the next change of an issue; an operator can also retry it now with **mvmbot jobs retry %d**.",
		a.Issue, failureReason(n.Err), j.ID)
	return postNotice(ctx, w.Store, w.Runner, a.Engagement, noticeKey(j, n), text)
}

// Job kinds of the collaboration site (issue 7). Stored with the jobs:
// never rename one.
const (
	// KindSiteSetup sets up an engagement's site: finds or creates it,
	// waits for a new group's site, makes the library and the lists, fills
	// the known errors, marks the tasks done and posts the links.
	KindSiteSetup = "site.setup"
	// KindIssueSync writes an issue's latest state to the tracker list.
	KindIssueSync = "issue.sync"
)

// SiteProvisionTimeout is how long the setup waits for SharePoint to
// provision a new group's site before it gives up with a Retry button.
// Microsoft documents "up to 15 minutes" for the site of a new group.
const SiteProvisionTimeout = 15 * time.Minute

// provisionPoll is the wait before the next look at a new group's site:
// Graph's hint (15 s) for the first minute, as a site usually comes within
// it, then backing off to a quarter of the time waited, at most a minute.
func provisionPoll(hint, waited time.Duration) time.Duration {
	d := max(hint, time.Second)
	if waited > time.Minute {
		d = min(max(d, waited/4), time.Minute)
	}
	return d
}

// siteJobAttempts bounds a setup job's runs: each poll while SharePoint
// provisions is one (a snooze), so it is well above the polls that fit in
// SiteProvisionTimeout; the timeout, not this, ends a wait.
const siteJobAttempts = 200

// issueSyncAttempts bounds the attempts at writing one issue.
const issueSyncAttempts = 8

type siteArgs struct {
	Engagement string `json:"engagement"`
	Run        int    `json:"run"`
}

func siteSetupJob(engagementID string, run int, now time.Time) (playbook.Job, error) {
	j, err := newJob(siteArgs{Engagement: engagementID, Run: run})
	j.Key, j.RunAt, j.MaxAttempts = KindSiteSetup+":"+engagementID+":"+strconv.Itoa(run), now, siteJobAttempts
	return j, err
}

type issueSyncArgs struct {
	Engagement string `json:"engagement"`
	Issue      int    `json:"issue"`
	Rev        int    `json:"rev"`
}

func issueSyncJob(engagementID string, issue, rev int, now time.Time) (playbook.Job, error) {
	j, err := newJob(issueSyncArgs{Engagement: engagementID, Issue: issue, Rev: rev})
	j.Key, j.RunAt, j.MaxAttempts = fmt.Sprintf("%s:%s:%d:%d", KindIssueSync, engagementID, issue, rev), now, issueSyncAttempts
	return j, err
}

// SiteJobs works the collaboration site's setup and the issue tracker's
// writes. Each step records what it found or made on the engagement before
// the next one starts, so a restart, a retry or a Repair resumes where the
// last run stopped and makes nothing twice.
type SiteJobs struct {
	WorkerEnv
	Graph SiteGraph // nil: local mode, the jobs have nothing to do
	// PollEvery is how often a new group's site is polled while SharePoint
	// provisions it; 0 follows Graph's hint (15 s).
	PollEvery time.Duration

	// locks serialises the jobs of one engagement's tracker, so that two
	// writes of a new issue cannot both find it missing and add it twice.
	locks sync.Map // engagement id → *sync.Mutex
}

// errStale ends a job whose run was replaced (a Repair, a new request).
var errStale = errors.New("site set-up run is no longer current")

// WorkSetup is the KindSiteSetup worker.
func (w *SiteJobs) WorkSetup(ctx context.Context, j playbook.Job) error {
	return Work(w.workSetup)(ctx, j)
}

func (w *SiteJobs) workSetup(ctx context.Context, j playbook.Job, a siteArgs) error {
	if w.Graph == nil {
		return Permanent(errors.New("site set-up job, but no Graph client is configured"))
	}
	err := w.setup(ctx, a)
	if err == nil || errors.Is(err, errStale) {
		return nil
	}
	var snooze *snoozeError
	if errors.As(err, &snooze) || ctx.Err() != nil {
		return err
	}
	var hint retryHint
	if errors.As(err, &hint) && hint.Retryable() && j.Attempt+1 < siteJobAttempts {
		if d := hint.RetryDelay(); d > 0 {
			return Snooze(d)
		}
		return err // the runner's backoff
	}
	return w.fail(ctx, a, err)
}

// setup runs the steps still to do, committing after each.
func (w *SiteJobs) setup(ctx context.Context, a siteArgs) error {
	g := w.Graph
	for {
		e, s, err := w.current(ctx, a)
		if err != nil {
			return err
		}
		var step func(*playbook.Site)
		var post string
		switch {
		case s.SiteID == "" && s.Mode == playbook.SiteExisting:
			site, err := g.SiteByURL(ctx, s.URL)
			if err != nil {
				return fmt.Errorf("open the site %s: %w", s.URL, err)
			}
			step = func(s *playbook.Site) { s.SiteID, s.WebURL = site.ID, site.WebURL }
		case s.GroupID == "" && s.Mode == playbook.SiteNew:
			id, err := g.GroupByMailNickname(ctx, s.Alias)
			switch {
			case err == nil && !s.GroupRequested:
				return playbook.Errorf(playbook.EINVALID, "A Microsoft 365 group with the alias %q exists already and was not made for this engagement. Choose another alias, or use that group's site as an existing site.", s.Alias)
			case err == nil:
				step = func(s *playbook.Site) { s.GroupID = id }
			case playbook.ErrorCode(err) != playbook.ENOTFOUND:
				return fmt.Errorf("look up the group %s: %w", s.Alias, err)
			case !s.GroupRequested:
				// Recorded before the create, so that a group found after
				// a create whose answer was lost is known to be ours.
				step = func(s *playbook.Site) { s.GroupRequested = true }
			default:
				id, err := g.CreateGroup(ctx, playbook.GroupSpec{DisplayName: s.Name, MailNickname: s.Alias,
					Description: "Migration collaboration site of the " + e.Customer + " engagement (mvmbot).",
					Owners:      s.Owners, Members: s.Members})
				if err != nil {
					return fmt.Errorf("create the group %s: %w", s.Alias, err)
				}
				step = func(s *playbook.Site) { s.GroupID = id }
			}
		case s.SiteID == "":
			site, err := g.GroupSite(ctx, s.GroupID)
			if err == nil {
				step = func(s *playbook.Site) { s.SiteID, s.WebURL, s.Waiting = site.ID, site.WebURL, time.Time{} }
				break
			}
			var hint retryHint
			if playbook.ErrorCode(err) != playbook.ENOTFOUND || !errors.As(err, &hint) {
				return fmt.Errorf("open the group's site: %w", err)
			}
			now := w.now()
			if !s.Waiting.IsZero() {
				if now.Sub(s.Waiting) >= SiteProvisionTimeout {
					return playbook.Errorf(playbook.ENOTFOUND, "SharePoint has not provisioned the new group's site after %d minutes. Press Retry in a while: the group is kept, nothing is made twice.", int(SiteProvisionTimeout.Minutes()))
				}
				if w.PollEvery > 0 {
					return Poll(w.PollEvery)
				}
				return Poll(provisionPoll(hint.RetryDelay(), now.Sub(s.Waiting)))
			}
			step = func(s *playbook.Site) { s.Waiting = now }
			post = fmt.Sprintf("The Microsoft 365 group **%s** is created. SharePoint is now provisioning its site, which takes up to %d minutes; I post here when the site is ready.", markdown.Escape(s.Name), int(SiteProvisionTimeout.Minutes()))
		case s.Docs.ID == "":
			l, err := g.EnsureList(ctx, s.SiteID, playbook.DocumentsLibrary())
			if err != nil {
				return fmt.Errorf("make the library %s: %w", playbook.DocumentsLibraryName, err)
			}
			step = func(s *playbook.Site) { s.Docs = playbook.ListRef{ID: l.ID, WebURL: l.WebURL} }
		case s.Issues.ID == "":
			l, err := g.EnsureList(ctx, s.SiteID, playbook.IssuesList())
			if err != nil {
				return fmt.Errorf("make the list %s: %w", playbook.IssuesListName, err)
			}
			step = func(s *playbook.Site) { s.Issues = playbook.ListRef{ID: l.ID, WebURL: l.WebURL} }
		case s.Known.ID == "":
			l, err := g.EnsureList(ctx, s.SiteID, playbook.KnownErrorsList())
			if err != nil {
				return fmt.Errorf("make the list %s: %w", playbook.KnownErrorsListName, err)
			}
			step = func(s *playbook.Site) { s.Known = playbook.ListRef{ID: l.ID, WebURL: l.WebURL} }
		case len(s.KnownRows) == 0:
			ids, err := w.publishKnownErrors(ctx, e, s)
			if err != nil {
				return err
			}
			step = func(s *playbook.Site) { s.KnownRows = ids }
		default:
			return w.done(ctx, e, a)
		}
		if err := w.record(ctx, e, a, step, post); err != nil {
			return err
		}
	}
}

// current reads the engagement and its site, errStale when the run is no
// longer the one to work.
func (w *SiteJobs) current(ctx context.Context, a siteArgs) (*playbook.Engagement, *playbook.Site, error) {
	e, err := w.Store.Engagement(ctx, a.Engagement)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil, nil, errStale
	}
	if err != nil {
		return nil, nil, err
	}
	s := e.Site
	if s == nil || s.Run != a.Run || s.State != playbook.SiteSettingUp || e.IsClosed() {
		return nil, nil, errStale
	}
	return e, s, nil
}

// record commits one step (and a post to the conversation, if any). A
// conflict is not an error: the loop reads the engagement again and finds
// what is left to do.
func (w *SiteJobs) record(ctx context.Context, e *playbook.Engagement, a siteArgs, step func(*playbook.Site), post string) error {
	if err := playbook.SiteStep(e, a.Run, step); err != nil {
		return errStale
	}
	var jobs []playbook.Job
	if post != "" {
		j, err := proactivePost(ctx, w.Store, e, fmt.Sprintf("site.progress:%s:%d:%d", e.ID, a.Run, e.Version), textReply(post))
		if err == nil {
			jobs = append(jobs, j)
		} else {
			w.log().Warn("site progress not posted: no conversation reference", "engagement", e.ID, "err", err)
		}
	}
	return w.commit(ctx, e, jobs)
}

func (w *SiteJobs) commit(ctx context.Context, e *playbook.Engagement, jobs []playbook.Job) error {
	err := commitEngagement(ctx, w.Store, w.Runner, e, jobs...)
	if playbook.ErrorCode(err) == playbook.ECONFLICT {
		return nil // read again
	}
	return err
}

// publishKnownErrors adds to the known-errors list the engagement's known
// errors it does not hold yet (found by Title, the known error's id) and
// returns the ids of all of them.
func (w *SiteJobs) publishKnownErrors(ctx context.Context, e *playbook.Engagement, s *playbook.Site) ([]string, error) {
	have := map[string]bool{}
	items, next, err := w.Graph.Items(ctx, s.SiteID, s.Known.ID, "", 500)
	for {
		if err != nil {
			return nil, fmt.Errorf("read the list %s: %w", playbook.KnownErrorsListName, err)
		}
		for _, it := range items {
			if t, ok := it.Fields["Title"].(string); ok {
				have[t] = true
			}
		}
		if next == "" {
			break
		}
		items, next, err = w.Graph.MoreItems(ctx, next)
	}
	known := playbook.KnownErrors(e.Sources...)
	ids := make([]string, 0, len(known))
	for _, k := range known {
		if !have[k.ID] {
			if _, err := w.Graph.AddItem(ctx, s.SiteID, s.Known.ID, playbook.KnownErrorFields(k)); err != nil {
				return nil, fmt.Errorf("add the known error %s: %w", k.ID, err)
			}
		}
		ids = append(ids, k.ID)
	}
	return ids, nil
}

// done marks the site ready and its tasks done, posts the links, and
// queues the tracker writes of the issues reported before the site was
// there.
func (w *SiteJobs) done(ctx context.Context, e *playbook.Engagement, a siteArgs) error {
	now := w.now()
	marked, left, err := playbook.SiteDone(e, a.Run, now)
	if err != nil {
		return errStale
	}
	notice := "The collaboration site is ready."
	if len(marked) > 0 {
		notice += " Marked done for " + memberName(e, e.Site.RequestedBy) + ":"
		for _, t := range marked {
			notice += " " + t.Ref() + ";"
		}
		notice = notice[:len(notice)-1] + "."
	}
	for _, why := range left {
		notice += " " + why
	}
	var jobs []playbook.Job
	if j, err := proactivePost(ctx, w.Store, e, fmt.Sprintf("site.ready:%s:%d", e.ID, a.Run), cardReply(cards.Site(e, cards.SiteView{Notice: notice}))); err == nil {
		jobs = append(jobs, j)
	} else {
		w.log().Warn("site ready not posted: no conversation reference", "engagement", e.ID, "err", err)
	}
	for _, x := range playbook.IssuesToSync(e) {
		j, err := issueSyncJob(e.ID, x.ID, x.Rev, now)
		if err != nil {
			return err
		}
		jobs = append(jobs, j)
	}
	if err := commitEngagement(ctx, w.Store, w.Runner, e, jobs...); err != nil {
		return err // a conflict runs the job again; the steps are recorded
	}
	w.log().Info("collaboration site ready", "engagement", e.ID, "run", a.Run)
	return nil
}

// fail ends the run as failed and tells the conversation why and what to
// do, with the site card's Retry.
func (w *SiteJobs) fail(ctx context.Context, a siteArgs, cause error) error {
	msg := playbook.ErrorMessage(cause)
	if playbook.ErrorCode(cause) == playbook.EINTERNAL {
		msg = "Microsoft Graph did not answer as expected; see the bot's log."
	}
	if playbook.ErrorCode(cause) == playbook.EFORBIDDEN {
		msg += " An administrator grants that application permission to the bot's app registration (README: Graph permissions), then presses Retry."
	}
	for attempt := 0; attempt < 5; attempt++ {
		e, _, err := w.current(ctx, a)
		if err != nil {
			break
		}
		if err := playbook.SiteFail(e, a.Run, msg, w.now()); err != nil {
			break
		}
		var jobs []playbook.Job
		if j, err := proactivePost(ctx, w.Store, e, fmt.Sprintf("site.failed:%s:%d", e.ID, a.Run),
			cardReply(cards.Site(e, cards.SiteView{CanManage: true, Notice: "The collaboration site could not be set up.", Attention: true}))); err == nil {
			jobs = append(jobs, j)
		}
		err = commitEngagement(ctx, w.Store, w.Runner, e, jobs...)
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	w.log().Error("collaboration site set-up failed", "engagement", a.Engagement, "run", a.Run, "err", cause)
	return Told(cause)
}

// WorkIssueSync is the KindIssueSync worker: it writes the issues of the
// engagement whose latest change the tracker list does not have yet (the
// job's issue among them), adding an item only after looking for one with
// the issue's key, so a write whose answer was lost is not repeated.
func (w *SiteJobs) WorkIssueSync(ctx context.Context, j playbook.Job) error {
	return Work(w.workIssueSync)(ctx, j)
}

func (w *SiteJobs) workIssueSync(ctx context.Context, j playbook.Job, a issueSyncArgs) error {
	if w.Graph == nil {
		return Permanent(errors.New("issue sync job, but no Graph client is configured"))
	}
	mu, _ := w.locks.LoadOrStore(a.Engagement, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	for attempt := 0; attempt < 5; attempt++ {
		e, err := w.Store.Engagement(ctx, a.Engagement)
		if playbook.ErrorCode(err) == playbook.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		s := e.Site
		if s == nil || s.Issues.ID == "" {
			return nil // the site's set-up queues the writes when it is done
		}
		pending := playbook.IssuesToSync(e)
		if len(pending) == 0 {
			return nil
		}
		wrote := false
		for _, x := range pending {
			itemID, itemURL, err := w.writeIssue(ctx, e, s, x)
			if err != nil {
				if wrote {
					break // record what was written; the job runs again
				}
				return w.syncFailed(j, err)
			}
			if err := playbook.RecordIssueSynced(e, x.ID, x.Rev, itemID, itemURL); err != nil {
				return Permanent(err)
			}
			wrote = true
		}
		err = commitEngagement(ctx, w.Store, nil, e)
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			continue // the items are written; the next pass finds them by key
		}
		if err != nil {
			return err
		}
		if len(playbook.IssuesToSync(e)) > 0 {
			continue
		}
		return nil
	}
	return errors.New("the engagement kept changing while its issues were written")
}

func (w *SiteJobs) writeIssue(ctx context.Context, e *playbook.Engagement, s *playbook.Site, x playbook.Issue) (string, string, error) {
	fields := playbook.IssueFields(e, x)
	if x.ItemID != "" {
		err := w.Graph.UpdateItem(ctx, s.SiteID, s.Issues.ID, x.ItemID, fields)
		if playbook.ErrorCode(err) != playbook.ENOTFOUND {
			return x.ItemID, x.ItemURL, err
		}
		// Deleted from the list by someone: write it again.
	}
	key := playbook.IssueKey(e, x.ID)
	items, _, err := w.Graph.Items(ctx, s.SiteID, s.Issues.ID, "fields/"+playbook.KeyColumn+" eq '"+key+"'", 1)
	if err != nil {
		return "", "", fmt.Errorf("look for issue %d in the tracker: %w", x.ID, err)
	}
	if len(items) > 0 {
		it := items[0]
		if err := w.Graph.UpdateItem(ctx, s.SiteID, s.Issues.ID, it.ID, fields); err != nil {
			return "", "", fmt.Errorf("update issue %d in the tracker: %w", x.ID, err)
		}
		return it.ID, it.WebURL, nil
	}
	it, err := w.Graph.AddItem(ctx, s.SiteID, s.Issues.ID, fields)
	if err != nil {
		return "", "", fmt.Errorf("add issue %d to the tracker: %w", x.ID, err)
	}
	return it.ID, it.WebURL, nil
}

// syncFailed is the job's answer to a failed write: later when Graph says
// so, dead-lettered (and logged) when it never will succeed.
func (w *SiteJobs) syncFailed(j playbook.Job, err error) error {
	var hint retryHint
	if errors.As(err, &hint) && hint.Retryable() {
		if d := hint.RetryDelay(); d > 0 {
			return Snooze(d)
		}
		return err
	}
	switch playbook.ErrorCode(err) {
	case playbook.EFORBIDDEN, playbook.EINVALID:
		w.log().Error("issue not written to the tracker", "job", j.ID, "err", err)
		return Permanent(err)
	}
	return err
}
