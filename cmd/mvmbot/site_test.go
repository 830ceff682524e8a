package main

import (
	"encoding/json"
	"fmt"
	"github.com/mvmbot/mvmbot/bot"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
)

// siteRun is one bot process with the fake Graph, and an engagement set
// up in the workshop group chat by Pat (lead and MST, Entra id aad-pat).
type siteRun struct {
	t          *testing.T
	w          *world
	g          *fakes.Graph
	r          *running
	token      string
	engagement string
	seq        int
}

func startSiteWith(t *testing.T, w *world, g *fakes.Graph, tweak func(*Main)) *siteRun {
	t.Helper()
	r := startWith(t, withGraph(w.authEnv(), g, ""), tweak)
	token, err := w.issuer.Token(testAppID, w.conn.URL(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &siteRun{t: t, w: w, g: g, r: r, token: token}
}

func newSiteRun(t *testing.T, prepare func(g *fakes.Graph)) *siteRun {
	t.Helper()
	return newSiteRunWith(t, prepare, nil)
}

// newSiteRunWith is newSiteRun with the Main adjusted by tweak.
func newSiteRunWith(t *testing.T, prepare func(g *fakes.Graph), tweak func(*Main)) *siteRun {
	t.Helper()
	w := newWorld(t)
	g := fakes.NewGraph()
	t.Cleanup(g.Close)
	if prepare != nil {
		prepare(g)
	}
	s := startSiteWith(t, w, g, tweak)
	card := s.invoke("setupSave", map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "MST",
	})
	if !strings.Contains(card, "you are its lead") {
		t.Fatalf("setup: %s", card)
	}
	s.engagement, _ = findData(t, card, "setup")["engagement"].(string)
	return s
}

func (s *siteRun) invoke(verb string, data map[string]any) string {
	s.t.Helper()
	s.seq++
	return invokeCard(s.t, s.r.addr, s.w.groupInvoke(fmt.Sprintf("s%d", s.seq), verb, data), s.token)
}

// submitSite opens the site card and submits its form with inputs.
func (s *siteRun) submitSite(inputs map[string]any) string {
	s.t.Helper()
	card := s.invoke("site", map[string]any{"engagement": s.engagement})
	d := findData(s.t, card, "siteCreate")
	for k, v := range inputs {
		d[k] = v
	}
	return s.invoke("siteCreate", d)
}

// waitPost waits for a post to the connector containing want, and returns
// it.
func (s *siteRun) waitPost(want string, within time.Duration) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, c := range s.w.conn.Calls() {
			if strings.Contains(string(c.Body), want) {
				return string(c.Body)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("no post with %q within %s\nGraph: %s\n%s", want, within, s.requestLog(), s.r.stderr)
	return ""
}

func (s *siteRun) posts(want string) int {
	n := 0
	for _, c := range s.w.conn.Calls() {
		if strings.Contains(string(c.Body), want) {
			n++
		}
	}
	return n
}

func (s *siteRun) requestLog() string {
	var b strings.Builder
	for _, r := range s.g.Requests() {
		fmt.Fprintf(&b, "\n  %s %s", r.Method, r.Path)
	}
	return b.String()
}

// lists returns the lists created on the site (POST bodies), by name.
func (s *siteRun) listCreates() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, r := range s.g.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/lists") {
			b := r.JSON()
			name, _ := b["displayName"].(string)
			out[name] = append(out[name], b)
		}
	}
	return out
}

// listID finds the id of the list named name on siteID through the fake's
// own answer to GET /sites/{id}/lists.
func listIDs(t *testing.T, g *fakes.Graph, siteID string) map[string]string {
	t.Helper()
	resp, err := http.Get(g.URL() + "/sites/" + siteID + "/lists")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Value []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range got.Value {
		if _, dup := out[l.DisplayName]; dup {
			t.Errorf("two lists named %q on %s", l.DisplayName, siteID)
		}
		out[l.DisplayName] = l.ID
	}
	return out
}

// wantColumns checks a POST /lists body's column definitions against spec.
func wantColumns(t *testing.T, body map[string]any, spec playbook.ListSpec) {
	t.Helper()
	cols, _ := body["columns"].([]any)
	if len(cols) != len(spec.Columns) {
		t.Errorf("%s: %d columns sent, want %d: %v", spec.DisplayName, len(cols), len(spec.Columns), cols)
		return
	}
	kind := map[playbook.ColumnType]string{playbook.ColumnText: "text", playbook.ColumnChoice: "choice",
		playbook.ColumnNumber: "number", playbook.ColumnDateTime: "dateTime", playbook.ColumnBoolean: "boolean"}
	for i, c := range spec.Columns {
		got, _ := cols[i].(map[string]any)
		if got["name"] != c.Name {
			t.Errorf("%s column %d: name %v, want %s", spec.DisplayName, i, got["name"], c.Name)
			continue
		}
		def, ok := got[kind[c.Type]].(map[string]any)
		if !ok {
			t.Errorf("%s column %s: no %s definition in %v", spec.DisplayName, c.Name, kind[c.Type], got)
			continue
		}
		if c.Type == playbook.ColumnChoice {
			var choices []string
			for _, v := range def["choices"].([]any) {
				choices = append(choices, v.(string))
			}
			if !slices.Equal(choices, c.Choices) {
				t.Errorf("%s column %s: choices %v, want %v", spec.DisplayName, c.Name, choices, c.Choices)
			}
		}
		if c.Multiline && def["allowMultipleLines"] != true {
			t.Errorf("%s column %s: not multiline: %v", spec.DisplayName, c.Name, def)
		}
	}
}

// checkSite asserts one library, two lists with the right columns, one
// item per known error of IMAP; it returns the list ids.
func (s *siteRun) checkSite(siteID string) map[string]string {
	t := s.t
	t.Helper()
	ids := listIDs(t, s.g, siteID)
	for _, name := range []string{playbook.DocumentsLibraryName, playbook.IssuesListName, playbook.KnownErrorsListName} {
		if ids[name] == "" {
			t.Errorf("no %q on the site: %v", name, ids)
		}
	}
	if len(ids) != 3 {
		t.Errorf("lists on the site: %v, want the library and two lists", ids)
	}
	known := playbook.KnownErrors(playbook.IMAP)
	items := s.g.ListItems(siteID, ids[playbook.KnownErrorsListName])
	if len(items) != len(known) || len(known) == 0 {
		t.Errorf("%d known-error items, want %d", len(items), len(known))
	}
	seen := map[string]int{}
	for _, it := range items {
		seen[it["Title"].(string)]++
	}
	for _, k := range known {
		if seen[k.ID] != 1 {
			t.Errorf("known error %s listed %d times", k.ID, seen[k.ID])
		}
	}
	return ids
}

func (s *siteRun) oneGroup() (id string, grp map[string]any) {
	s.t.Helper()
	gs := s.g.Groups()
	if len(gs) != 1 {
		s.t.Fatalf("%d groups, want 1", len(gs))
	}
	for id, grp := range gs {
		return id, grp
	}
	return "", nil
}

func groupSiteID(t *testing.T, g *fakes.Graph, groupID string) string {
	t.Helper()
	resp, err := http.Get(g.URL() + "/groups/" + groupID + "/sites/root")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var site struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&site) != nil {
		t.Fatalf("group site: %s", resp.Status)
	}
	return site.ID
}

// TestSiteCreateWithProvisioningDelay is the create-site flow of issue 7
// end to end: the group is created with the exact body, its site answers
// 404 first, a progress post reaches the chat, then the library, the two
// lists with their columns and the known errors are made, the tasks are
// marked done and the ready card is posted with links. Repair then makes
// nothing twice.
func TestSiteCreateWithProvisioningDelay(t *testing.T) {
	s := newSiteRun(t, func(g *fakes.Graph) { g.SetSiteProvisioning(1, 0) })
	card := s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
	if !strings.Contains(card, "setting it up") {
		t.Fatalf("submit: %s", card)
	}
	s.waitPost("SharePoint is now provisioning its site", 20*time.Second)
	ready := s.waitPost("The collaboration site is ready", 30*time.Second)

	creates := s.g.RequestsTo(http.MethodPost, "/groups")
	if len(creates) != 1 {
		t.Fatalf("%d POST /groups, want 1", len(creates))
	}
	body := creates[0].JSON()
	ref := s.g.URL() + "/users/aad-pat"
	want := map[string]any{
		"displayName": "Contoso migration", "mailNickname": "contoso-migration", "groupTypes": []any{"Unified"},
		"mailEnabled": true, "securityEnabled": false, "visibility": "Private",
		"owners@odata.bind": []any{ref},
	}
	for k, v := range want {
		if fmt.Sprint(body[k]) != fmt.Sprint(v) {
			t.Errorf("group body %s = %v, want %v", k, body[k], v)
		}
	}
	// Pat is the only member and an owner: an owner is made a member too,
	// since Graph does not, and an owner who is not one cannot work in the
	// group's site.
	if m := fmt.Sprint(body["members@odata.bind"]); m != fmt.Sprint([]any{ref}) {
		t.Errorf("members@odata.bind = %v, want [%s]", m, ref)
	}
	if d, _ := body["description"].(string); !strings.Contains(d, "Contoso") {
		t.Errorf("group description %q", d)
	}
	groupID, _ := s.oneGroup()
	polls := s.g.RequestsTo(http.MethodGet, "/groups/"+groupID+"/sites/root")
	if len(polls) < 2 {
		t.Errorf("%d polls of the group site, want a 404 then the site", len(polls))
	}

	lists := s.listCreates()
	for _, spec := range []playbook.ListSpec{playbook.IssuesList(), playbook.KnownErrorsList()} {
		if len(lists[spec.DisplayName]) != 1 {
			t.Fatalf("%d creates of %s", len(lists[spec.DisplayName]), spec.DisplayName)
		}
		b := lists[spec.DisplayName][0]
		if tmpl, _ := b["list"].(map[string]any)["template"].(string); tmpl != "genericList" {
			t.Errorf("%s template %q", spec.DisplayName, tmpl)
		}
		wantColumns(t, b, spec)
	}
	if lib := lists[playbook.DocumentsLibraryName]; len(lib) != 1 || lib[0]["list"].(map[string]any)["template"] != "documentLibrary" {
		t.Errorf("library creates: %v", lib)
	}
	siteID := groupSiteID(t, s.g, groupID)
	ids := s.checkSite(siteID)
	for _, k := range playbook.KnownErrors(playbook.IMAP) {
		found := false
		for _, it := range s.g.ListItems(siteID, ids[playbook.KnownErrorsListName]) {
			if it["Title"] == k.ID {
				found = true
				for f, v := range playbook.KnownErrorFields(k) {
					if fmt.Sprint(it[f]) != fmt.Sprint(v) {
						t.Errorf("known error %s field %s = %v, want %v", k.ID, f, it[f], v)
					}
				}
			}
		}
		if !found {
			t.Errorf("known error %s missing", k.ID)
		}
	}
	for _, want := range []string{"https://contoso.sharepoint.com/sites/contoso-migration", playbook.IssuesListName, playbook.KnownErrorsListName} {
		if !strings.Contains(ready, want) {
			t.Errorf("ready card lacks %q: %s", want, ready)
		}
	}
	// The tasks are done, or left with their reason.
	for _, task := range []string{"2979", "3615", "3282"} {
		if !strings.Contains(ready, task) {
			t.Errorf("ready card does not name task %s: %s", task, ready)
		}
	}

	// Repair: the same site, nothing made twice.
	site := s.invoke("site", map[string]any{"engagement": s.engagement})
	rep := s.invoke("siteRepair", findData(t, site, "siteRepair"))
	if !strings.Contains(rep, "again") {
		t.Fatalf("repair: %s", rep)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.posts("The collaboration site is ready") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := s.posts("The collaboration site is ready"); n != 2 {
		t.Fatalf("%d ready posts after Repair, want 2\n%s", n, s.r.stderr)
	}
	s.oneGroup()
	if n := len(s.g.RequestsTo(http.MethodPost, "/groups")); n != 1 {
		t.Errorf("%d POST /groups after Repair, want 1", n)
	}
	s.checkSite(siteID)
}

// TestSiteFaultAtEachStep fails one step of the set-up once; the run
// either retries by itself or fails with Retry, and pressing Retry
// finishes with one group, one library, two lists, one item per known
// error.
func TestSiteFaultAtEachStep(t *testing.T) {
	tests := []struct {
		name  string
		fault fakes.GraphFault
	}{
		{"create group 503", fakes.GraphFault{Method: http.MethodPost, Path: "/groups", Status: 503, RetryAfter: "1", Times: 1}},
		{"create group 403", fakes.GraphFault{Method: http.MethodPost, Path: "/groups", Status: 403, Times: 1}},
		{"group site 500", fakes.GraphFault{Method: http.MethodGet, Path: "/groups/", Status: 500, Times: 1}},
		{"create list 503", fakes.GraphFault{Method: http.MethodPost, Path: "/sites/", Status: 503, RetryAfter: "1", Times: 1}},
		{"create list 403", fakes.GraphFault{Method: http.MethodPost, Path: "/sites/", Status: 403, Times: 1}},
		{"create list 429", fakes.GraphFault{Method: http.MethodPost, Path: "/sites/", Status: 429, RetryAfter: "1", Times: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSiteRun(t, nil)
			s.g.Fail(tt.fault)
			s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
			deadline := time.Now().Add(40 * time.Second)
			for time.Now().Before(deadline) && s.posts("The collaboration site is ready") == 0 && s.posts("could not be set up") == 0 {
				time.Sleep(50 * time.Millisecond)
			}
			if s.posts("could not be set up") > 0 {
				if tt.fault.Status != 403 && tt.fault.Status != 500 {
					t.Errorf("a %d with Retry-After failed the run instead of retrying", tt.fault.Status)
				}
				site := s.invoke("site", map[string]any{"engagement": s.engagement})
				s.invoke("siteRepair", findData(t, site, "siteRepair"))
				s.waitPost("The collaboration site is ready", 30*time.Second)
			} else if s.posts("The collaboration site is ready") == 0 {
				t.Fatalf("neither ready nor failed\n%s\n%s", s.requestLog(), s.r.stderr)
			}
			groupID, _ := s.oneGroup()
			s.checkSite(groupSiteID(t, s.g, groupID))
		})
	}
}

// TestSiteExisting uses a site the customer has; bad addresses come back
// in the form with the typed value and change nothing.
func TestSiteExisting(t *testing.T) {
	var siteID string
	s := newSiteRun(t, func(g *fakes.Graph) { siteID = g.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration") })

	site := s.invoke("site", map[string]any{"engagement": s.engagement})
	version := findData(t, site, "siteCreate")["version"]
	for _, bad := range []string{"http://contoso.sharepoint.com/sites/Migration", "contoso.sharepoint.com/sites/Migration", ""} {
		card := s.submitSite(map[string]any{"siteMode": "existing", "siteUrl": bad})
		if !strings.Contains(card, "Nothing was set up yet") || (bad != "" && !strings.Contains(card, bad)) {
			t.Errorf("bad URL %q: %s", bad, card)
		}
		if v := findData(t, card, "siteCreate")["version"]; v != version {
			t.Errorf("bad URL %q changed the engagement: version %v → %v", bad, version, v)
		}
	}
	if n := len(s.g.Requests()); n != 0 {
		t.Errorf("bad URLs reached Graph: %s", s.requestLog())
	}

	s.submitSite(map[string]any{"siteMode": "existing", "siteUrl": "https://contoso.sharepoint.com/sites/Migration"})
	ready := s.waitPost("The collaboration site is ready", 30*time.Second)
	if !strings.Contains(ready, "https://contoso.sharepoint.com/sites/Migration") {
		t.Errorf("ready card: %s", ready)
	}
	s.checkSite(siteID)
	if len(s.g.Groups()) != 0 || len(s.g.RequestsTo(http.MethodPost, "/groups")) != 0 {
		t.Error("a group was created for an existing site")
	}
}

// TestSiteExistingRefusedByGraph: addresses the form takes but the Graph
// client refuses (not SharePoint, a OneDrive, a site that is not there)
// fail the run with a clear reason and a Retry.
func TestSiteExistingRefusedByGraph(t *testing.T) {
	// Plainly not a SharePoint site: the form says so, Graph is not asked.
	for _, tt := range []struct{ url, want string }{
		{"https://intranet.contoso.com/sites/Migration", "is not SharePoint Online"},
		{"https://contoso-my.sharepoint.com/personal/pat", "is a OneDrive"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			s := newSiteRun(t, nil)
			card := s.submitSite(map[string]any{"siteMode": "existing", "siteUrl": tt.url})
			if !strings.Contains(card, tt.want) || !strings.Contains(card, "Nothing was set up yet") || !strings.Contains(card, tt.url) {
				t.Errorf("form lacks %q or the typed address: %s", tt.want, card)
			}
			if n := len(s.g.Requests()); n != 0 {
				t.Errorf("%d Graph requests: %s", n, s.requestLog())
			}
		})
	}
	// A SharePoint address without a site: the set-up job finds out.
	s := newSiteRun(t, nil)
	s.submitSite(map[string]any{"siteMode": "existing", "siteUrl": "https://contoso.sharepoint.com/sites/Nowhere"})
	failed := s.waitPost("could not be set up", 30*time.Second)
	if !strings.Contains(failed, "Nowhere") || !strings.Contains(failed, "siteRepair") {
		t.Errorf("failure card lacks the site or Retry: %s", failed)
	}
	if n := len(s.g.RequestsTo(http.MethodPost, "/sites/")); n != 0 {
		t.Errorf("%d lists made", n)
	}
}

// TestSiteResumesAfterRestart: the bot stops while the set-up waits for
// SharePoint; started again on the same database, the set-up goes on from
// where it was and makes one group.
func TestSiteResumesAfterRestart(t *testing.T) {
	s := newSiteRunWith(t, func(g *fakes.Graph) { g.SetSiteProvisioning(1_000_000, 0) }, func(m *Main) { m.SitePoll = 200 * time.Millisecond })
	s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
	s.waitPost("SharePoint is now provisioning its site", 20*time.Second)
	if err := s.r.stop(t); err != nil {
		t.Fatalf("stop: %v\n%s", err, s.r.stderr)
	}
	s.g.SetSiteProvisioning(0, 0) // provisioned while the bot was down

	s.r = startWith(t, withGraph(s.w.authEnv(), s.g, ""), func(m *Main) { m.SitePoll = 200 * time.Millisecond })
	s.waitPost("The collaboration site is ready", 30*time.Second)
	if n := len(s.g.RequestsTo(http.MethodPost, "/groups")); n != 1 {
		t.Errorf("%d POST /groups, want 1", n)
	}
	groupID, _ := s.oneGroup()
	s.checkSite(groupSiteID(t, s.g, groupID))
}

// TestSiteProvisioningTimeout: SharePoint never provisions the site; after
// bot.SiteProvisionTimeout the set-up stops with a Retry, which finishes
// once the site is there, with the same group.
func TestSiteProvisioningTimeout(t *testing.T) {
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	s := newSiteRunWith(t, func(g *fakes.Graph) { g.SetSiteProvisioning(1_000_000, 0) }, func(m *Main) {
		m.SitePoll, m.Now = 100*time.Millisecond, clock
	})
	s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
	s.waitPost("SharePoint is now provisioning its site", 20*time.Second)
	skew.Store(int64(bot.SiteProvisionTimeout + time.Minute))
	failed := s.waitPost("has not provisioned the new group", 20*time.Second)
	if !strings.Contains(failed, "siteRepair") {
		t.Errorf("no Retry on the failure card: %s", failed)
	}

	s.g.SetSiteProvisioning(0, 0)
	card := s.invoke("site", map[string]any{"engagement": s.engagement})
	s.invoke("siteRepair", findData(t, card, "siteRepair"))
	s.waitPost("The collaboration site is ready", 30*time.Second)
	if n := len(s.g.RequestsTo(http.MethodPost, "/groups")); n != 1 {
		t.Errorf("%d POST /groups, want 1", n)
	}
}

// TestSiteFaults: the app lacks Group.Create, the alias is taken, a list of
// that name has other columns.
func TestSiteFaults(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(g *fakes.Graph)
		want    []string
	}{
		{"group create forbidden", func(g *fakes.Graph) {
			g.Fail(fakes.GraphFault{Method: http.MethodPost, Path: "/groups", Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges to complete the operation."})
		}, []string{graph.PermGroupCreate, "Retry"}},
		{"alias taken", func(g *fakes.Graph) {
			// Another group with the alias, made before the run.
			resp, err := http.Post(g.URL()+"/groups", "application/json", strings.NewReader(
				`{"displayName":"Someone else","mailNickname":"contoso-migration","mailEnabled":true,"securityEnabled":false,"groupTypes":["Unified"]}`))
			if err != nil || resp.StatusCode != 201 {
				panic(fmt.Sprint("seed group: ", err, resp.Status))
			}
			resp.Body.Close()
		}, []string{"contoso-migration", "exists already"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSiteRun(t, tt.prepare)
			s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
			failed := s.waitPost("could not be set up", 30*time.Second)
			for _, w := range tt.want {
				if !strings.Contains(failed, w) {
					t.Errorf("failure card lacks %q: %s", w, failed)
				}
			}
			if n := len(s.g.Groups()); n > 1 {
				t.Errorf("%d groups", n)
			}
		})
	}
}

// TestSiteListWithOtherColumns: a "Migration issues" list made by someone
// else without the tracker's columns fails the run naming them.
func TestSiteListWithOtherColumns(t *testing.T) {
	s := newSiteRun(t, func(g *fakes.Graph) {
		id := g.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration")
		if _, err := g.AddList(id, map[string]any{"displayName": playbook.IssuesListName, "list": map[string]any{"template": "genericList"},
			"columns": []any{map[string]any{"name": "Source", "text": map[string]any{}}, map[string]any{"name": "Notes", "text": map[string]any{}}}}); err != nil {
			panic(err)
		}
	})
	s.submitSite(map[string]any{"siteMode": "existing", "siteUrl": "https://contoso.sharepoint.com/sites/Migration"})
	failed := s.waitPost("could not be set up", 30*time.Second)
	for _, w := range []string{playbook.IssuesListName, "ErrorText", "Severity", playbook.KeyColumn} {
		if !strings.Contains(failed, w) {
			t.Errorf("failure card lacks %q: %s", w, failed)
		}
	}
}

// TestIssueTrackerThroughGraph reports an issue matching a known IMAP
// error once the site is ready: the remediation is shown, the reporter
// and the MST are mentioned, the item is written with its fields; assign,
// resolve and escalate update the same item.
func TestIssueTrackerThroughGraph(t *testing.T) {
	s := newSiteRun(t, nil)
	s.submitSite(map[string]any{"siteMode": "new", "siteName": "Contoso migration", "siteAlias": "contoso-migration"})
	s.waitPost("The collaboration site is ready", 30*time.Second)
	groupID, _ := s.oneGroup()
	siteID := groupSiteID(t, s.g, groupID)
	ids := listIDs(t, s.g, siteID)
	issuesList := ids[playbook.IssuesListName]

	form := s.invoke("issue", map[string]any{"engagement": s.engagement})
	d := findData(t, form, "issueSubmit")
	for k, v := range map[string]any{"issueTitle": "Adele's mailbox does not move", "issueSource": "IMAP", "issueUnit": "adele@contoso.com",
		"issueError": "IMAP: We had trouble signing in to this account.", "issueSeverity": "", "issueEvent": ""} {
		d[k] = v
	}
	reported := s.invoke("issueSubmit", d)
	k, _ := playbook.KnownErrorByID("imap-auth-failed")
	if !strings.Contains(reported, "imap-auth-failed") || !strings.Contains(reported, k.Remediation[:40]) {
		t.Errorf("reported card lacks the remediation: %s", reported)
	}
	post := s.waitPost("Issue **#1** reported", 15*time.Second)
	var act struct {
		Text     string `json:"text"`
		Entities []struct {
			Type      string            `json:"type"`
			Text      string            `json:"text"`
			Mentioned map[string]string `json:"mentioned"`
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(post), &act); err != nil {
		t.Fatal(err)
	}
	mentioned := false
	for _, e := range act.Entities {
		mentioned = mentioned || (e.Type == "mention" && e.Mentioned["id"] == "29:pat" && strings.Contains(act.Text, e.Text))
	}
	// Pat is both the reporter and the MST.
	if !mentioned || !strings.Contains(act.Text, "imap-auth-failed") || !strings.Contains(act.Text, "Tracked in") {
		t.Errorf("post does not mention the reporter and MST, or lacks the known error: %s", post)
	}

	item := func(check func(map[string]any) bool) map[string]any {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var items []map[string]any
		for time.Now().Before(deadline) {
			items = s.g.ListItems(siteID, issuesList)
			if len(items) > 1 {
				t.Fatalf("%d items for one issue: %v", len(items), items)
			}
			if len(items) == 1 && check(items[0]) {
				return items[0]
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("tracker item not as wanted: %v\n%s", items, s.r.stderr)
		return nil
	}
	it := item(func(m map[string]any) bool { return m["Status"] == "Open" })
	for f, v := range map[string]any{"Title": "Adele's mailbox does not move", "Source": "IMAP", "AffectedUnit": "adele@contoso.com",
		"ErrorText": "IMAP: We had trouble signing in to this account.", "KnownError": "imap-auth-failed",
		"Status": "Open", playbook.KeyColumn: s.engagement + "/1", "Escalated": false} {
		if fmt.Sprint(it[f]) != fmt.Sprint(v) {
			t.Errorf("item %s = %v, want %v", f, it[f], v)
		}
	}
	if sev, _ := it["Severity"].(string); sev == "" {
		t.Errorf("item has no Severity: %v", it)
	}
	if _, ok := it["Opened"]; !ok {
		t.Errorf("item has no Opened: %v", it)
	}

	list := s.invoke("issues", map[string]any{"engagement": s.engagement})
	a := findData(t, list, "issueAssign")
	a["owner-1"] = "29:pat"
	s.invoke("issueAssign", a)
	item(func(m map[string]any) bool { return m["Owner"] == "Pat" })

	list = s.invoke("issues", map[string]any{"engagement": s.engagement})
	esc := s.invoke("issueEscalate", findData(t, list, "issueEscalate"))
	if !strings.Contains(esc, "Pat") {
		t.Errorf("escalation card: %s", esc)
	}
	item(func(m map[string]any) bool { return m["Escalated"] == true })

	list = s.invoke("issues", map[string]any{"engagement": s.engagement})
	r := findData(t, list, "issueResolve")
	r["issueResolution-1"] = "New app password sent through the credential process."
	s.invoke("issueResolve", r)
	it = item(func(m map[string]any) bool { return m["Status"] == "Resolved" })
	if it["Resolution"] != "New app password sent through the credential process." || it["Resolved"] == nil || it["Escalated"] != true || it["Owner"] != "Pat" {
		t.Errorf("resolved item: %v", it)
	}
	if n := len(s.g.ListItems(siteID, issuesList)); n != 1 {
		t.Errorf("%d items, want 1", n)
	}
}
