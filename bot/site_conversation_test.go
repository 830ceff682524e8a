package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

// fakeSites is an in-memory SharePoint for the site set-up and the tracker
// writes: it records every call and fails a method with fail[method].
type fakeSites struct {
	mu     sync.Mutex
	calls  []string
	fail   map[string]error
	groups map[string]string                  // mail nickname → group id
	lists  map[string]playbook.SharePointList // display name → list
	items  map[string][]playbook.ListItem     // list id → items
	n      int
}

var _ bot.SiteGraph = (*fakeSites)(nil)

func newFakeSites() *fakeSites {
	return &fakeSites{fail: map[string]error{}, groups: map[string]string{}, lists: map[string]playbook.SharePointList{}, items: map[string][]playbook.ListItem{}}
}

// call records method and returns its configured failure.
func (f *fakeSites) call(method string) error {
	f.calls = append(f.calls, method)
	return f.fail[method]
}

// Calls returns the methods called, in order.
func (f *fakeSites) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeSites) SiteByURL(ctx context.Context, siteURL string) (playbook.SharePointSite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("SiteByURL"); err != nil {
		return playbook.SharePointSite{}, err
	}
	return playbook.SharePointSite{ID: "contoso.sharepoint.com,1,1", WebURL: siteURL}, nil
}

func (f *fakeSites) GroupByMailNickname(ctx context.Context, nickname string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GroupByMailNickname"); err != nil {
		return "", err
	}
	id, ok := f.groups[nickname]
	if !ok {
		return "", playbook.Errorf(playbook.ENOTFOUND, "no group %s", nickname)
	}
	return id, nil
}

func (f *fakeSites) CreateGroup(ctx context.Context, g playbook.GroupSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("CreateGroup"); err != nil {
		return "", err
	}
	if len(g.Owners) == 0 || g.MailNickname == "" {
		return "", playbook.Errorf(playbook.EINVALID, "a group needs an owner and a nickname")
	}
	f.n++
	id := fmt.Sprintf("group-%d", f.n)
	f.groups[g.MailNickname] = id
	return id, nil
}

func (f *fakeSites) GroupSite(ctx context.Context, groupID string) (playbook.SharePointSite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("GroupSite"); err != nil {
		return playbook.SharePointSite{}, err
	}
	return playbook.SharePointSite{ID: "contoso.sharepoint.com,2,2", WebURL: "https://contoso.sharepoint.com/sites/" + groupID}, nil
}

func (f *fakeSites) EnsureList(ctx context.Context, siteID string, spec playbook.ListSpec) (playbook.SharePointList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("EnsureList"); err != nil {
		return playbook.SharePointList{}, err
	}
	if l, ok := f.lists[spec.DisplayName]; ok {
		l.Created = false
		return l, nil
	}
	f.n++
	l := playbook.SharePointList{ID: fmt.Sprintf("list-%d", f.n), DisplayName: spec.DisplayName,
		WebURL: "https://contoso.sharepoint.com/sites/m/Lists/" + strings.ReplaceAll(spec.DisplayName, " ", ""), Created: true}
	f.lists[spec.DisplayName] = l
	return l, nil
}

func (f *fakeSites) AddItem(ctx context.Context, siteID, listID string, fields map[string]any) (playbook.ListItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("AddItem"); err != nil {
		return playbook.ListItem{}, err
	}
	f.n++
	it := playbook.ListItem{ID: fmt.Sprint(f.n), WebURL: fmt.Sprintf("https://contoso.sharepoint.com/item/%d", f.n), Fields: fields}
	f.items[listID] = append(f.items[listID], it)
	return it, nil
}

func (f *fakeSites) UpdateItem(ctx context.Context, siteID, listID, itemID string, fields map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("UpdateItem"); err != nil {
		return err
	}
	for i, it := range f.items[listID] {
		if it.ID == itemID {
			f.items[listID][i].Fields = fields
			return nil
		}
	}
	return playbook.Errorf(playbook.ENOTFOUND, "no item %s", itemID)
}

func (f *fakeSites) Items(ctx context.Context, siteID, listID, filter string, pageSize int) ([]playbook.ListItem, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Items"); err != nil {
		return nil, "", err
	}
	var out []playbook.ListItem
	for _, it := range f.items[listID] {
		if k, ok := strings.CutPrefix(filter, "fields/"+playbook.KeyColumn+" eq "); ok && it.Fields[playbook.KeyColumn] != strings.Trim(k, "'") {
			continue
		}
		out = append(out, it)
	}
	return out, "", nil
}

func (f *fakeSites) MoreItems(ctx context.Context, nextLink string) ([]playbook.ListItem, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, "", f.call("MoreItems")
}

// itemsOf returns the items of the list named name.
func (f *fakeSites) itemsOf(name string) []playbook.ListItem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.items[f.lists[name].ID])
}

// withSites makes the harness's conversation use Graph through fake.
func withSites(h *harness, fake bot.SiteGraph) {
	h.srv.Handler = bot.Conversation{Engagements: h.db, Refs: h.db, Drafts: h.db, Now: func() time.Time { return qNow }, Sites: fake,
		Roster: &botframework.Connector{BaseDelay: time.Millisecond, MaxAttempts: 1}}
}

// deadJobs waits for n dead-lettered jobs of kind (the harness's runner has
// no site workers, so a queued site job lands there at once) and returns
// them.
func deadJobs(t *testing.T, h *harness, kind string, n int) []playbook.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var out []playbook.Job
	for time.Now().Before(deadline) {
		jobs, err := h.db.Dead(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = out[:0]
		for _, j := range jobs {
			if j.Kind == kind {
				out = append(out, j)
			}
		}
		if len(out) >= n {
			time.Sleep(20 * time.Millisecond) // let a surplus one show
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(out) != n {
		t.Fatalf("%d %s jobs queued, want %d: %+v", len(out), kind, n, out)
	}
	return out
}

// postCard validates and returns the card of a posted activity.
func postCard(t *testing.T, a map[string]any) map[string]any {
	t.Helper()
	atts, _ := a["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("post has %d attachments: %v", len(atts), a)
	}
	raw, _ := json.Marshal(atts[0].(map[string]any)["content"])
	return checkCard(t, raw)
}

// has reports whether card s has a button of verb.
func has(s, verb string) bool { return strings.Contains(s, `"verb":"`+verb+`"`) }

// reportIssue fills the issue form as p and submits it; it returns the
// answer and the activity id.
func reportIssue(t *testing.T, c *conv, p person, inputs map[string]any) (invokeAnswer, string) {
	t.Helper()
	form := replyCard(t, c.say(p, "issue"))
	return c.clickID(p, "issueSubmit", withInputs(action(t, form, "issueSubmit", ""), inputs))
}

// TestSiteAndIssuesLocalMode walks the tracker without Graph: site says
// mvmbot keeps it; issue, its submit with a known error, the mentions; the
// issues card's buttons per role; export, pages; Assign, Resolve, Escalate.
func TestSiteAndIssuesLocalMode(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)

	s := cardText(t, replyCard(t, c.say(mo, "site")))
	if !strings.Contains(s, "I keep the issue tracker myself") || has(s, "siteCreate") || strings.Contains(s, "siteName") {
		t.Errorf("local site card: %s", s)
	}

	form := cardText(t, replyCard(t, c.say(cy, "issue")))
	for _, want := range []string{"report a migration issue", `"id":"issueTitle"`, `"id":"issueError"`, `"value":"IMAP"`} {
		if !strings.Contains(form, want) {
			t.Errorf("issue form lacks %s: %s", want, form)
		}
	}

	before := c.engagement()
	ans, id := reportIssue(t, c, cy, map[string]any{"issueTitle": "Adele's mailbox stops at 80%", "issueSource": "IMAP",
		"issueUnit": "adele@contoso.com", "issueError": "We had trouble signing in to this account.", "issueSeverity": "high"})
	s = cardText(t, ans.card(t))
	for _, want := range []string{"imap-auth-failed", "Check the UserName", "Adele's mailbox stops"} {
		if !strings.Contains(s, want) {
			t.Errorf("reported card lacks %q: %s", want, s)
		}
	}
	e := c.engagement()
	if e.Version != before.Version+1 || len(e.History) != len(before.History)+1 || e.History[len(e.History)-1].Action != playbook.ActionIssueOpen {
		t.Errorf("after the report: v%d→v%d, history %d→%d", before.Version, e.Version, len(before.History), len(e.History))
	}
	if len(e.Issues) != 1 || e.Issues[0].KnownError != "imap-auth-failed" || e.Issues[0].Severity != playbook.SeverityHigh || e.Issues[0].OpenedBy != cy.id {
		t.Fatalf("issues = %+v", e.Issues)
	}
	post := h.replyTo(id)
	if p := text(post); !strings.Contains(p, "Issue **#1** reported by <at>Cy Customer</at>") || !strings.Contains(p, "imap-auth-failed") {
		t.Errorf("post: %q", p)
	}
	if ids := mentionsOf(t, post); !slices.Contains(ids, mo.id) || !slices.Contains(ids, cy.id) {
		t.Errorf("post mentions %v, want Mo and Cy", ids)
	}

	// Buttons per role (playbook migrationRules): assign for the MVM and
	// the MST; resolve also for the customer; escalate for anyone, the FRP
	// lead included.
	for _, tt := range []struct {
		p                        person
		assign, resolve, escalte bool
	}{{mo, true, true, true}, {vi, true, true, true}, {pat, false, false, true}, {cy, false, true, true}} {
		s := cardText(t, replyCard(t, c.say(tt.p, "issues")))
		if !strings.Contains(s, "open issues (1)") || !strings.Contains(s, "#1 Adele") {
			t.Errorf("%s's issues card: %s", tt.p.name, s)
		}
		if has(s, "issueAssign") != tt.assign || has(s, "issueResolve") != tt.resolve || has(s, "issueEscalate") != tt.escalte {
			t.Errorf("%s's buttons: assign %v resolve %v escalate %v, want %v %v %v", tt.p.name,
				has(s, "issueAssign"), has(s, "issueResolve"), has(s, "issueEscalate"), tt.assign, tt.resolve, tt.escalte)
		}
	}

	// Export: a CSV code block with a header and the row.
	csv := codeOf(t, text(c.say(cy, "issues export")), "")
	lines := strings.Split(strings.TrimRight(csv, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `"id","title","source"`) || !strings.HasPrefix(lines[1], `"1","Adele's mailbox stops at 80%","IMAP"`) {
		t.Errorf("export: %q", csv)
	}

	// Eleven more: two pages.
	for i := 2; i <= 12; i++ {
		if ans, _ := reportIssue(t, c, mo, map[string]any{"issueTitle": fmt.Sprintf("Issue number %d", i)}); ans.StatusCode >= 400 {
			t.Fatalf("issue %d: %d %s", i, ans.StatusCode, ans.Value)
		}
	}
	p1 := replyCard(t, c.say(mo, "issues"))
	p2 := cardText(t, replyCard(t, c.say(mo, "issues 2")))
	if !strings.Contains(p2, "Page 2 of 2") || !strings.Contains(p2, "#11 Issue number 11") || strings.Contains(p2, "#10 Issue") {
		t.Errorf("issues 2: %s", p2)
	}
	next := c.click(mo, "issues", action(t, p1, "issues", "")).card(t)
	if s := cardText(t, next); !strings.Contains(s, "#12 Issue number 12") {
		t.Errorf("Next: %s", s)
	}
	if s := text(c.say(mo, "issues bogus")); !strings.Contains(s, "**issues 2** their second page") || !strings.Contains(s, `"bogus" is none of those`) {
		t.Errorf("issues bogus: %q", s)
	}

	// Assign #1 to Mo: Mo is told, mentioned.
	card := replyCard(t, c.say(vi, "issues"))
	assign := action(t, card, "issueAssign", "")
	assign["owner-1"] = mo.id
	ans, id = c.clickID(vi, "issueAssign", assign)
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Vi Velocity assigned issue #1 to Mo Support") {
		t.Errorf("after Assign: %s", s)
	}
	if post := h.replyTo(id); !strings.Contains(text(post), "<at>Mo Support</at>: Vi Velocity assigned issue **#1** to you.") {
		t.Errorf("assign post: %v", post)
	} else if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != mo.id {
		t.Errorf("assign mentions %v", ids)
	}
	// The customer resolves #2.
	res := action(t, replyCard(t, c.say(cy, "issues")), "issueResolve", "")
	res["issue"] = float64(2)
	res["issueResolution-2"] = "re-ran the batch"
	if s := cardText(t, c.click(cy, "issueResolve", res).card(t)); !strings.Contains(s, "Cy Customer resolved issue #2: re-ran the batch") || !strings.Contains(s, "open issues (11)") {
		t.Errorf("after Resolve: %s", s)
	}
	// A resolved issue is neither escalated nor resolved again.
	before = c.engagement()
	if ans := c.click(cy, "issueEscalate", withInputs(res, map[string]any{"issue": 2})); ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "no longer open") {
		t.Errorf("escalate resolved: %d %s", ans.StatusCode, ans.Value)
	}
	if ans := c.click(mo, "issueResolve", res); ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "already resolved") {
		t.Errorf("resolve again: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// The customer escalates #1: the MVM is the contact, mentioned.
	esc := action(t, replyCard(t, c.say(cy, "issues")), "issueEscalate", "")
	ans, id = c.clickID(cy, "issueEscalate", esc)
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Adele") {
		t.Errorf("escalated card: %s", s)
	}
	if post := h.replyTo(id); !strings.Contains(text(post), "Cy Customer escalated issue **#1** (high)") {
		t.Errorf("escalate post: %v", post)
	} else if ids := mentionsOf(t, post); len(ids) != 1 || ids[0] != vi.id {
		t.Errorf("escalate mentions %v, want Vi", ids)
	}
	e = c.engagement()
	if x := e.Issues[0]; x.Owner != mo.id || x.State != playbook.IssueOpen {
		t.Errorf("issue 1 = %+v", x)
	}
	if x := e.Issues[1]; x.State != playbook.IssueResolved || x.Outcome != "re-ran the batch" {
		t.Errorf("issue 2 = %+v", x)
	}
	if len(e.Escalations) != 1 || e.Escalations[0].Severity != playbook.SeverityHigh {
		t.Errorf("escalations = %+v", e.Escalations)
	}
	// Local mode queues no tracker writes.
	if dead, _ := h.db.Dead(context.Background()); len(dead) != 0 {
		t.Errorf("jobs in local mode: %+v", dead)
	}
}

// TestSiteSetupWithGraph: who gets the form; the MST's submit queues one
// set-up job with the change; the job, run against the fake, looks the
// group up, creates it, opens its site, makes the three lists, fills the
// known errors, marks the tasks and posts the ready card; the issue
// reported before is then written to the tracker.
func TestSiteSetupWithGraph(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	if s := cardText(t, replyCard(t, c.say(pat, "role <at>Sam Stranger</at> FRP", stranger))); !strings.Contains(s, "Sam Stranger now holds") {
		t.Fatalf("role: %s", s)
	}
	fake := newFakeSites()
	withSites(h, fake)

	for _, tt := range []struct {
		p      person
		manage bool
	}{{mo, true}, {vi, true}, {pat, true}, {cy, false}, {stranger, false}} {
		s := cardText(t, replyCard(t, c.say(tt.p, "site")))
		if has(s, "siteCreate") != tt.manage || strings.Contains(s, `"id":"siteName"`) != tt.manage ||
			strings.Contains(s, "The MST, the MVM or the lead sets the site up.") == tt.manage {
			t.Errorf("%s's site card (manage %v): %s", tt.p.name, tt.manage, s)
		}
	}

	// A non-lead FRP's click (a forwarded card) is refused too.
	before := c.engagement()
	if ans := c.click(stranger, "siteCreate", map[string]any{"engagement": before.ID, "siteMode": "new", "siteName": "Mine"}); ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "can set up the collaboration site") {
		t.Errorf("non-lead FRP's submit: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// The site's tasks wait for the workshop (1635): without it SiteDone
	// leaves them open and says why, checked in TestSiteSetupForbidden's
	// Retry.
	for _, d := range []struct {
		p    person
		text string
	}{{pat, "done 1699"}, {mo, "workshop 1635 held elsewhere kick-off call"}} {
		if s := text(c.say(d.p, d.text)); !strings.Contains(s, "marked") && !strings.Contains(s, "held elsewhere") {
			t.Fatalf("%s: %q", d.text, s)
		}
	}

	// An issue before the site: written once the tracker is there.
	if ans, _ := reportIssue(t, c, cy, map[string]any{"issueTitle": "Pilot mailbox incomplete"}); ans.StatusCode >= 400 {
		t.Fatalf("issue: %s", ans.Value)
	}

	form := replyCard(t, c.say(mo, "site"))
	before = c.engagement()
	ans := c.click(mo, "siteCreate", withInputs(action(t, form, "siteCreate", ""), map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": ""}))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Mo Support asked for the collaboration site") || !strings.Contains(s, "Setting up") {
		t.Errorf("submit answer: %s", s)
	}
	e := c.engagement()
	if e.Version != before.Version+1 || e.Site == nil || e.Site.State != playbook.SiteSettingUp || e.Site.Alias == "" || e.Site.RequestedBy != mo.id {
		t.Fatalf("after the submit: v%d site %+v", e.Version, e.Site)
	}
	job := deadJobs(t, h, bot.KindSiteSetup, 1)[0]
	var args map[string]any
	if err := json.Unmarshal(job.Args, &args); err != nil || args["engagement"] != e.ID || args["run"] != float64(e.Site.Run) {
		t.Errorf("job args %s", job.Args)
	}

	sj := &bot.SiteJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake}
	if err := sj.WorkSetup(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	known := playbook.KnownErrors(e.Sources...)
	want := []string{"GroupByMailNickname", "GroupByMailNickname", "CreateGroup", "GroupSite", "EnsureList", "EnsureList", "EnsureList", "Items"}
	for range known {
		want = append(want, "AddItem")
	}
	if got := fake.Calls(); !slices.Equal(got, want) {
		t.Errorf("Graph calls:\n got %v\nwant %v", got, want)
	}
	if n := len(fake.itemsOf(playbook.KnownErrorsListName)); n != len(known) || n == 0 {
		t.Errorf("%d known errors written, want %d", n, len(known))
	}
	e = c.engagement()
	if s := e.Site; s.State != playbook.SiteReady || s.GroupID == "" || s.SiteID == "" || s.Docs.ID == "" || s.Issues.ID == "" || s.Known.ID == "" || len(s.KnownRows) != len(known) {
		t.Errorf("site = %+v", s)
	}
	for _, key := range playbook.SiteTasks {
		if st := e.State(key); st.Status == playbook.StatusOpen {
			t.Errorf("task %s still open after the set-up", key)
		}
	}
	ready := postCard(t, proactivePost(t, h, "The collaboration site is ready"))
	if s := cardText(t, ready); !strings.Contains(s, playbook.IssuesListName) || !strings.Contains(s, "Marked done for Mo Support") {
		t.Errorf("ready card: %s", s)
	}

	// The issue reported before is written by the sync the set-up queued.
	sync := deadJobs(t, h, bot.KindIssueSync, 1)[0]
	if err := sj.WorkIssueSync(context.Background(), sync); err != nil {
		t.Fatal(err)
	}
	items := fake.itemsOf(playbook.IssuesListName)
	if len(items) != 1 || items[0].Fields[playbook.KeyColumn] != e.ID+"/1" || items[0].Fields["Title"] != "Pilot mailbox incomplete" {
		t.Errorf("tracker items = %+v", items)
	}
	if x := c.engagement().Issues[0]; x.ItemID != items[0].ID {
		t.Errorf("issue 1 = %+v, want item %s", x, items[0].ID)
	}
	if s := cardText(t, replyCard(t, c.say(cy, "issues"))); !strings.Contains(s, "Kept in step with") {
		t.Errorf("issues with a site: %s", s)
	}
	// A new issue now queues its write in the same commit.
	if ans, _ := reportIssue(t, c, mo, map[string]any{"issueTitle": "Second"}); !strings.Contains(cardText(t, ans.card(t)), "Second") {
		t.Errorf("second issue: %s", ans.Value)
	}
	deadJobs(t, h, bot.KindIssueSync, 2)

	// Repair by the MVM runs the set-up again and makes nothing twice.
	site := replyCard(t, c.say(vi, "site"))
	if s := cardText(t, c.click(vi, "siteRepair", action(t, site, "siteRepair", "")).card(t)); !strings.Contains(s, "(run 2)") {
		t.Errorf("repair: %s", s)
	}
	jobs := deadJobs(t, h, bot.KindSiteSetup, 2)
	n := len(fake.Calls())
	if err := sj.WorkSetup(context.Background(), jobs[1]); err != nil {
		t.Fatal(err)
	}
	for _, m := range fake.Calls()[n:] {
		if m == "CreateGroup" || m == "AddItem" {
			t.Errorf("repair called %s", m)
		}
	}
	if c.engagement().Site.State != playbook.SiteReady {
		t.Errorf("after repair: %+v", c.engagement().Site)
	}
}

// TestSiteSetupForbidden: a 403 from Graph ends the run as failed, and the
// conversation gets the site card with the missing permission and Retry.
func TestSiteSetupForbidden(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	fake := newFakeSites()
	fake.fail["CreateGroup"] = &graphErr{pb: playbook.Errorf(playbook.EFORBIDDEN, "Graph refused: the app lacks Group.Create.")}
	withSites(h, fake)
	form := replyCard(t, c.say(pat, "site"))
	c.click(pat, "siteCreate", withInputs(action(t, form, "siteCreate", ""), map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-mig"}))
	job := deadJobs(t, h, bot.KindSiteSetup, 1)[0]
	sj := &bot.SiteJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: func() time.Time { return qNow }, Runner: h.runner}, Graph: fake}
	if err := sj.WorkSetup(context.Background(), job); err == nil {
		t.Fatal("a forbidden set-up succeeded")
	}
	e := c.engagement()
	if e.Site.State != playbook.SiteFailed || !strings.Contains(e.Site.Error, "Group.Create") {
		t.Errorf("site = %+v", e.Site)
	}
	s := cardText(t, postCard(t, proactivePost(t, h, "could not be set up")))
	if !strings.Contains(s, "Group.Create") || !strings.Contains(s, "README: Graph permissions") || !has(s, "siteRepair") {
		t.Errorf("failure card: %s", s)
	}
	// The customer's card has no Retry.
	if s := cardText(t, replyCard(t, c.say(cy, "site"))); has(s, "siteRepair") || has(s, "siteCreate") {
		t.Errorf("customer's failed-site card: %s", s)
	}

	// Permission granted, the lead retries: run 2 makes the group (the
	// first run recorded the request) and is ready; the site's tasks wait
	// for the workshop (1635), so they stay open and the card says why.
	delete(fake.fail, "CreateGroup")
	retry := action(t, replyCard(t, c.say(pat, "site")), "siteRepair", "")
	if s := cardText(t, c.click(pat, "siteRepair", retry).card(t)); !strings.Contains(s, "(run 2)") {
		t.Errorf("retry: %s", s)
	}
	jobs := deadJobs(t, h, bot.KindSiteSetup, 2)
	if err := sj.WorkSetup(context.Background(), jobs[1]); err != nil {
		t.Fatal(err)
	}
	creates := 0
	for _, m := range fake.Calls() {
		if m == "CreateGroup" {
			creates++
		}
	}
	if creates != 2 {
		t.Errorf("CreateGroup called %d times, want 2 (refused, then made): %v", creates, fake.Calls())
	}
	e = c.engagement()
	if e.Site.State != playbook.SiteReady || e.Site.Run != 2 {
		t.Errorf("after retry: %+v", e.Site)
	}
	for _, key := range playbook.SiteTasks {
		if st := e.State(key); st.Status != playbook.StatusOpen {
			t.Errorf("task %s marked although it waits for 1635", key)
		}
	}
	s = cardText(t, postCard(t, proactivePost(t, h, "The collaboration site is ready")))
	if !strings.Contains(s, "waits for 1635") || strings.Contains(s, "Marked done") {
		t.Errorf("ready card: %s", s)
	}
}

// TestSiteAndIssueBadInput: every refused site or tracker action leaves the
// engagement as it was and says why; a refused form comes back with what
// was typed; a credential is refused whole.
func TestSiteAndIssueBadInput(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	withSites(h, newFakeSites())
	if ans, _ := reportIssue(t, c, cy, map[string]any{"issueTitle": "First"}); ans.StatusCode >= 400 {
		t.Fatalf("issue: %s", ans.Value)
	}
	e := c.engagement()
	d := func(kv ...any) map[string]any {
		m := map[string]any{"engagement": e.ID, "version": float64(e.Version)}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	type click struct {
		name   string
		p      person
		verb   string
		data   map[string]any
		status int    // 0: a card
		want   string // in the answer
	}
	run := func(t *testing.T, cases []click) {
		t.Helper()
		before := c.engagement()
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				ans := c.click(tt.p, tt.verb, tt.data)
				got := string(ans.Value)
				if tt.status == 0 {
					got = cardText(t, ans.card(t))
				} else if ans.StatusCode != tt.status {
					t.Errorf("status %d, want %d: %s", ans.StatusCode, tt.status, ans.Value)
				}
				if !strings.Contains(got, tt.want) {
					t.Errorf("answer lacks %q: %s", tt.want, got)
				}
				if strings.Contains(got, "Hunter2") {
					t.Errorf("the answer repeats the credential: %s", got)
				}
				assertUnchanged(t, c, before)
			})
		}
		assertUnchanged(t, c, before)
	}

	run(t, []click{
		{"site: nothing chosen", mo, "siteCreate", d(), 0, "Choose to use an existing site or to create a new one."},
		{"site: no name", mo, "siteCreate", d("siteMode", "new", "siteName", " ", "siteAlias", "typed-alias"), 0, "typed-alias"},
		{"site: no name says why", mo, "siteCreate", d("siteMode", "new", "siteName", " ", "siteAlias", "typed-alias"), 0, "Give the new site a name"},
		{"site: bad alias", mo, "siteCreate", d("siteMode", "new", "siteName", "Contoso", "siteAlias", "no spaces allowed"), 0, "will not do"},
		{"site: existing without address", vi, "siteCreate", d("siteMode", "existing"), 0, "Paste the address"},
		{"site: not https", vi, "siteCreate", d("siteMode", "existing", "siteUrl", "ftp://contoso/sites/m"), 0, "is not a site address"},
		{"site: unknown mode", vi, "siteCreate", d("siteMode", "both"), 0, "Choose to use an existing site"},
		{"site: a number for the name", mo, "siteCreate", d("siteMode", "new", "siteName", 5), http.StatusBadRequest, ""},
		{"site: a list for the mode", mo, "siteCreate", d("siteMode", []any{"new"}), http.StatusBadRequest, ""},
		{"site: another engagement", mo, "siteCreate", map[string]any{"engagement": "e-other", "siteMode": "new", "siteName": "X"}, refusal, "another engagement"},
		{"site: the customer", cy, "siteCreate", d("siteMode", "new", "siteName", "Contoso migration"), refusal, "can set up the collaboration site"},
		{"site: a stranger", stranger, "siteCreate", d("siteMode", "new", "siteName", "Contoso migration"), refusal, "not a member"},
		{"site: a password in the name", mo, "siteCreate", d("siteMode", "new", "siteName", "password=Hunter2Hunter2!"), http.StatusBadRequest, "3614"},
		{"repair without a site", mo, "siteRepair", d(), refusal, "no collaboration site yet"},

		{"issue: no title", cy, "issueSubmit", d("issueUnit", "bob@contoso.com", "issueSeverity", "low"), 0, "bob@contoso.com"},
		{"issue: no title says why", cy, "issueSubmit", d("issueTitle", "  "), 0, "Describe the issue in a title of 1 to 255 characters. Nothing was recorded yet."},
		{"issue: title too long", cy, "issueSubmit", d("issueTitle", strings.Repeat("x", 256)), 0, "1 to 255 characters"},
		{"issue: unknown source", cy, "issueSubmit", d("issueTitle", "T", "issueSource", "Gmail"), 0, "does not migrate from Gmail"},
		{"issue: event abc", cy, "issueSubmit", d("issueTitle", "Typed title", "issueEvent", "abc"), 0, "The event is a number"},
		{"issue: event 0", cy, "issueSubmit", d("issueTitle", "Typed title", "issueEvent", "0"), 0, "Typed title"},
		{"issue: no such event", cy, "issueSubmit", d("issueTitle", "Typed title", "issueEvent", "7"), 0, "Typed title"},
		{"issue: bad severity", cy, "issueSubmit", d("issueTitle", "Typed title", "issueSeverity", "blocker"), 0, "is not a severity"},
		{"issue: a number for the title", cy, "issueSubmit", d("issueTitle", 5), http.StatusBadRequest, ""},
		{"issue: an object for the source", cy, "issueSubmit", d("issueTitle", "T", "issueSource", map[string]any{}), http.StatusBadRequest, ""},
		{"issue: another engagement", cy, "issueSubmit", map[string]any{"engagement": "e-other", "issueTitle": "T"}, refusal, "another engagement"},
		{"issue: a stranger", stranger, "issueSubmit", d("issueTitle", "T"), refusal, "not a member"},
		{"issue: a password in the error", cy, "issueSubmit", d("issueTitle", "Login fails", "issueError", "login with password=Hunter2Hunter2! failed"), http.StatusBadRequest, "3614"},

		{"assign: no issue", vi, "issueAssign", d("owner-1", mo.id), http.StatusBadRequest, "does not say which issue"},
		{"assign: negative issue", vi, "issueAssign", d("issue", -1, "owner--1", mo.id), http.StatusBadRequest, "does not say which issue"},
		{"assign: fractional issue", vi, "issueAssign", d("issue", 1.5), http.StatusBadRequest, "does not say which issue"},
		{"assign: issue as text", vi, "issueAssign", d("issue", "1", "owner-1", mo.id), http.StatusBadRequest, "does not say which issue"},
		{"assign: unknown issue", vi, "issueAssign", d("issue", 99, "owner-99", mo.id), refusal, "no issue 99"},
		{"assign: no owner", vi, "issueAssign", d("issue", 1), http.StatusBadRequest, "Choose the owner of issue 1"},
		{"assign: owner as a number", vi, "issueAssign", d("issue", 1, "owner-1", 5), http.StatusBadRequest, "must be text"},
		{"assign: a non-member", vi, "issueAssign", d("issue", 1, "owner-1", "29:nobody"), http.StatusBadRequest, "members of the engagement"},
		{"assign: by the customer", cy, "issueAssign", d("issue", 1, "owner-1", mo.id), refusal, ""},
		{"assign: another engagement", vi, "issueAssign", map[string]any{"engagement": "e-other", "issue": 1, "owner-1": mo.id}, refusal, "another engagement"},
		{"resolve: no resolution", mo, "issueResolve", d("issue", 1), http.StatusBadRequest, "Say how it was resolved"},
		{"resolve: blank resolution", mo, "issueResolve", d("issue", 1, "issueResolution-1", "   "), http.StatusBadRequest, "Say how it was resolved"},
		{"resolve: a password", mo, "issueResolve", d("issue", 1, "issueResolution-1", "reset password=Hunter2Hunter2!"), http.StatusBadRequest, "3614"},
		{"resolve: unknown issue", mo, "issueResolve", d("issue", 42, "issueResolution-42", "done"), refusal, "no issue 42"},
		{"escalate: unknown issue", cy, "issueEscalate", d("issue", 42), refusal, "no issue 42"},
		{"escalate: no issue", cy, "issueEscalate", d(), http.StatusBadRequest, "does not say which issue"},
		{"page: not a number", mo, "issues", d("page", "two"), http.StatusBadRequest, "names no page"},
		{"page: negative", mo, "issues", d("page", -1), http.StatusBadRequest, "names no page"},
	})

	// Messages: a credential, and a stranger.
	before := c.engagement()
	for _, tt := range []struct {
		p          person
		text, want string
	}{
		{cy, "issue the admin password=Hunter2Hunter2! is rejected", "did not act on it"},
		{stranger, "issues", "not a member"},
		{stranger, "issues export", "not a member"},
		{stranger, "site", "not a member"},
	} {
		if s := text(c.say(tt.p, tt.text)); !strings.Contains(s, tt.want) || strings.Contains(s, "Hunter2") {
			t.Errorf("%q: %q, want %q", tt.text, s, tt.want)
		}
	}
	assertUnchanged(t, c, before)

	// While a set-up runs (the job is dead-lettered here, so it stays
	// running), a second request and a Repair are conflicts.
	ans := c.click(mo, "siteCreate", d("siteMode", "existing", "siteUrl", "https://contoso.sharepoint.com/sites/Migration"))
	if s := cardText(t, ans.card(t)); !strings.Contains(s, "Setting up") {
		t.Fatalf("valid submit: %s", s)
	}
	deadJobs(t, h, bot.KindSiteSetup, 1)
	e = c.engagement()
	run(t, []click{
		{"site: while setting up", vi, "siteCreate", d("siteMode", "new", "siteName", "Other"), refusal, "already being set up"},
		{"repair: while setting up", vi, "siteRepair", d(), refusal, "being set up right now"},
	})
	deadJobs(t, h, bot.KindSiteSetup, 1)
}

// TestSiteAndIssuesClosedEngagement: once the engagement is closed the
// cards lose their buttons and every site or tracker click is refused,
// changing nothing; the list and the export still work.
func TestSiteAndIssuesClosedEngagement(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)
	withSites(h, newFakeSites())
	if ans, _ := reportIssue(t, c, cy, map[string]any{"issueTitle": "Before the close"}); ans.StatusCode >= 400 {
		t.Fatalf("issue: %s", ans.Value)
	}
	issueForm := replyCard(t, c.say(cy, "issue"))
	siteForm := replyCard(t, c.say(mo, "site"))
	issues := replyCard(t, c.say(vi, "issues"))

	e := c.engagement()
	e.Closed, e.ClosedBy = qNow, vi.id
	e.Version++
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e, ExpectVersion: e.Version - 1}); err != nil {
		t.Fatal(err)
	}
	before := c.engagement()
	assign := action(t, issues, "issueAssign", "")
	assign["owner-1"] = mo.id
	resolve := action(t, issues, "issueResolve", "")
	resolve["issueResolution-1"] = "fixed"
	for _, tt := range []struct {
		name string
		p    person
		verb string
		data map[string]any
	}{
		{"issue submit", cy, "issueSubmit", withInputs(action(t, issueForm, "issueSubmit", ""), map[string]any{"issueTitle": "After"})},
		{"site create", mo, "siteCreate", withInputs(action(t, siteForm, "siteCreate", ""), map[string]any{"siteMode": "new", "siteName": "Contoso"})},
		{"site repair", mo, "siteRepair", map[string]any{"engagement": e.ID}},
		{"assign", vi, "issueAssign", assign},
		{"resolve", vi, "issueResolve", resolve},
		{"escalate", vi, "issueEscalate", action(t, issues, "issueEscalate", "")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ans := c.click(tt.p, tt.verb, tt.data)
			if ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "closed") {
				t.Errorf("%s on a closed engagement: %d %s", tt.verb, ans.StatusCode, ans.Value)
			}
		})
	}
	assertUnchanged(t, c, before)
	if s := cardText(t, replyCard(t, c.say(vi, "issues"))); !strings.Contains(s, "Before the close") || has(s, "issueAssign") || has(s, "issueResolve") || has(s, "issueEscalate") {
		t.Errorf("issues of a closed engagement: %s", s)
	}
	if s := cardText(t, replyCard(t, c.say(mo, "site"))); has(s, "siteCreate") {
		t.Errorf("site of a closed engagement: %s", s)
	}
	if s := text(c.say(cy, "issues export")); !strings.Contains(s, "Before the close") {
		t.Errorf("export of a closed engagement: %q", s)
	}
	if dead, _ := h.db.Dead(context.Background()); len(dead) != 0 {
		t.Errorf("jobs queued on a closed engagement: %+v", dead)
	}
}

// TestSiteSetupWaitsForProvisioning: while SharePoint provisions a new
// group's site the job snoozes, says so once, and the site card shows the
// wait; after SiteProvisionTimeout it gives up with Retry, keeping the
// group, and Retry finishes without making it again.
func TestSiteSetupWaitsForProvisioning(t *testing.T) {
	clk := &clock{now: qNow}
	h := newHarness(t, harnessOpts{auth: true, now: clk.Now})
	c := &conv{t: t, h: h}
	setUp(t, c)
	fake := newFakeSites()
	fake.fail["GroupSite"] = &graphErr{pb: playbook.Errorf(playbook.ENOTFOUND, "the group's site is not there yet"), retry: true, delay: 30 * time.Second}
	withSites(h, fake)
	form := replyCard(t, c.say(vi, "site"))
	c.click(vi, "siteCreate", withInputs(action(t, form, "siteCreate", ""), map[string]any{"siteMode": "new", "siteName": "Contoso migration"}))
	job := deadJobs(t, h, bot.KindSiteSetup, 1)[0]
	sj := &bot.SiteJobs{WorkerEnv: bot.WorkerEnv{Store: h.db, Now: clk.Now, Runner: h.runner}, Graph: fake}

	for i := 0; i < 2; i++ {
		if err := sj.WorkSetup(context.Background(), job); err == nil || !strings.Contains(err.Error(), "snoozed") {
			t.Fatalf("poll %d while provisioning = %v, want a snooze", i, err)
		}
		job.Attempt++
	}
	proactivePost(t, h, "SharePoint is now provisioning its site")
	e := c.engagement()
	if e.Site.State != playbook.SiteSettingUp || e.Site.GroupID == "" || !e.Site.Waiting.Equal(qNow) {
		t.Fatalf("site while provisioning = %+v", e.Site)
	}
	if s := cardText(t, replyCard(t, c.say(cy, "site"))); !strings.Contains(s, "provisioning its site since 10:00") {
		t.Errorf("site card while provisioning: %s", s)
	}

	clk.Set(qNow.Add(bot.SiteProvisionTimeout))
	if err := sj.WorkSetup(context.Background(), job); err == nil {
		t.Fatal("the wait did not end")
	}
	e = c.engagement()
	if e.Site.State != playbook.SiteFailed || !strings.Contains(e.Site.Error, "after 15 minutes") || e.Site.GroupID == "" {
		t.Fatalf("site after the timeout = %+v", e.Site)
	}
	postCard(t, proactivePost(t, h, "could not be set up"))

	delete(fake.fail, "GroupSite")
	retry := action(t, replyCard(t, c.say(vi, "site")), "siteRepair", "")
	c.click(vi, "siteRepair", retry)
	jobs := deadJobs(t, h, bot.KindSiteSetup, 2)
	n := len(fake.Calls())
	if err := sj.WorkSetup(context.Background(), jobs[1]); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(fake.Calls()[n:], "CreateGroup") || slices.Contains(fake.Calls()[n:], "GroupByMailNickname") {
		t.Errorf("retry looked for or made the group again: %v", fake.Calls()[n:])
	}
	if c.engagement().Site.State != playbook.SiteReady {
		t.Errorf("after retry: %+v", c.engagement().Site)
	}
}

// TestSiteSetUpElsewhere: without Graph (a local trial) the site's tasks
// are not a dead end. The MST records where the site, its tracker and its
// known errors list are; the three tasks become overrides with that
// reason, shown in the card, status and next. Every refusal keeps what was
// typed and changes nothing.
func TestSiteSetUpElsewhere(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	setUp(t, c)

	card := replyCard(t, c.say(mo, "site"))
	if s := cardText(t, card); !has(s, "siteElsewhere") || !strings.Contains(s, `"id":"siteElsewhere"`) {
		t.Fatalf("the MST's local site card offers no way past the site: %s", s)
	}
	if s := cardText(t, replyCard(t, c.say(cy, "site"))); has(s, "siteElsewhere") {
		t.Errorf("the customer's site card offers to record it: %s", s)
	}
	const where = "[portal library](https://evil.example) with the Migration issues and Known migration errors lists"
	data := withInputs(action(t, card, "siteElsewhere", ""), map[string]any{"siteElsewhere": where})

	before := c.engagement()
	for _, tc := range []struct {
		name string
		p    person
		data map[string]any
		want string
	}{
		{"the workshop not held", mo, data, "2979 waits for"},
		{"no reason", mo, withInputs(action(t, card, "siteElsewhere", ""), map[string]any{"siteElsewhere": "  "}), "Say where the site"},
		{"the customer", cy, data, "can set up the collaboration site"},
		{"a stranger", stranger, data, "not a member"},
	} {
		ans := c.click(tc.p, "siteElsewhere", tc.data)
		if ans.StatusCode != refusal || !strings.Contains(string(ans.Value), tc.want) {
			t.Errorf("%s: %d %s", tc.name, ans.StatusCode, ans.Value)
		}
		if tc.name == "the workshop not held" && !strings.Contains(string(ans.Value), "portal library") {
			t.Errorf("%s: the refused card lost what was typed: %s", tc.name, ans.Value)
		}
		assertUnchanged(t, c, before)
	}

	for _, d := range []struct {
		p    person
		text string
	}{{pat, "done 1699"}, {mo, "workshop 1635 held elsewhere kick-off call"}} {
		if s := text(c.say(d.p, d.text)); !strings.Contains(s, "marked") && !strings.Contains(s, "held elsewhere") {
			t.Fatalf("%s: %q", d.text, s)
		}
	}
	card = replyCard(t, c.say(mo, "site"))
	ans, id := c.clickID(mo, "siteElsewhere", withInputs(action(t, card, "siteElsewhere", ""), map[string]any{"siteElsewhere": where}))
	s := cardText(t, ans.card(t))
	if !strings.Contains(s, "set up elsewhere (an override): **2979**, **3615**, **3282** done") || !strings.Contains(s, `\\[portal library\\]`) || has(s, "siteElsewhere") {
		t.Errorf("answer: %s", s)
	}
	if post := text(h.replyTo(id)); !strings.Contains(post, "Mo Support recorded the collaboration site as set up elsewhere") {
		t.Errorf("announcement: %q", post)
	}
	e := c.engagement()
	for _, k := range playbook.SiteTasks {
		if st := e.State(k); st.Status != playbook.StatusDone || !st.Override || st.By != mo.id || !strings.Contains(st.Reason, "portal library") {
			t.Errorf("%s: %+v", k, st)
		}
	}
	for _, cmd := range []string{"status", "next steps"} {
		if s := cardText(t, replyCard(t, c.say(pat, cmd))); !strings.Contains(s, "2979") || !strings.Contains(s, "set up elsewhere") {
			t.Errorf("%s does not show the override: %s", cmd, s)
		}
	}
	// The old card, clicked again, records nothing twice.
	before = c.engagement()
	if ans := c.click(mo, "siteElsewhere", data); ans.StatusCode != refusal || strings.Contains(string(ans.Value), "recorded the collaboration site") {
		t.Errorf("second click: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)

	// Graph configured later: the card offers no second site, and a
	// crafted submit sets none up while the tasks stand as elsewhere.
	fake := newFakeSites()
	withSites(h, fake)
	if s := cardText(t, replyCard(t, c.say(mo, "site"))); has(s, "siteCreate") || has(s, "siteElsewhere") || !strings.Contains(s, "recorded the site as set up elsewhere") {
		t.Errorf("site card with Graph after the record: %s", s)
	}
	ans = c.click(mo, "siteCreate", map[string]any{"engagement": before.ID, "version": before.Version, "siteMode": "existing", "siteUrl": "https://contoso.sharepoint.com/sites/m"})
	if ans.StatusCode != refusal || !strings.Contains(string(ans.Value), "recorded as set up elsewhere") {
		t.Errorf("site create after the record: %d %s", ans.StatusCode, ans.Value)
	}
	assertUnchanged(t, c, before)
	if calls := fake.Calls(); len(calls) != 0 {
		t.Errorf("Graph called: %v", calls)
	}
}
