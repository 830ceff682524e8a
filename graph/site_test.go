package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/playbook"
)

func TestSiteByURL(t *testing.T) {
	f, c := newFake(t, func(cfg *graph.Config) { cfg.SiteHosts = []string{"intranet.contoso.com"} })
	id := f.AddSite("contoso.sharepoint.com", "/sites/Migration Team", "Migration Team")
	root := f.AddSite("contoso.sharepoint.com", "", "Contoso")
	vanity := f.AddSite("intranet.contoso.com", "/teams/mig", "Mig")

	for _, tc := range []struct{ url, path, id string }{
		{"https://contoso.sharepoint.com/sites/Migration%20Team/Shared%20Documents/Forms/AllItems.aspx", "/v1.0/sites/contoso.sharepoint.com:/sites/Migration Team", id},
		{"https://Contoso.SharePoint.com/sites/Migration%20Team", "/v1.0/sites/contoso.sharepoint.com:/sites/Migration Team", id},
		{"https://contoso.sharepoint.com/", "/v1.0/sites/contoso.sharepoint.com", root},
		{"https://contoso.sharepoint.com/Shared%20Documents", "/v1.0/sites/contoso.sharepoint.com", root},
		{" https://intranet.contoso.com/teams/mig/SitePages/Home.aspx ", "/v1.0/sites/intranet.contoso.com:/teams/mig", vanity},
	} {
		f.ClearRequests()
		site, err := c.SiteByURL(context.Background(), tc.url)
		if err != nil {
			t.Errorf("SiteByURL(%q): %v", tc.url, err)
			continue
		}
		if site.ID != tc.id {
			t.Errorf("SiteByURL(%q) = %+v, want id %s", tc.url, site, tc.id)
		}
		if got := one(t, f, "GET", "/sites/").Path; got != tc.path {
			t.Errorf("SiteByURL(%q) asked %s, want %s", tc.url, got, tc.path)
		}
	}
	site, _ := c.SiteByURL(context.Background(), "https://contoso.sharepoint.com/sites/Migration%20Team")
	if site.WebURL != "https://contoso.sharepoint.com/sites/Migration Team" || site.DisplayName != "Migration Team" || site.Name != "Migration Team" {
		t.Errorf("site = %+v", site)
	}

	_, err := c.SiteByURL(context.Background(), "https://contoso.sharepoint.com/sites/Gone")
	assertCode(t, err, playbook.ENOTFOUND)
}

func TestSiteByURLRejectsForeignURLs(t *testing.T) {
	f, c := newFake(t)
	for _, u := range []string{
		"http://contoso.sharepoint.com/sites/Migration",
		"https://contoso.com/sites/Migration",
		"https://contoso.sharepoint.com.evil.example/sites/Migration",
		"https://sharepoint.com/sites/x",
		"https://user:pw@contoso.sharepoint.com/sites/Migration",
		"https://contoso.sharepoint.com:8443/sites/Migration",
		"https://contoso-my.sharepoint.com/personal/ada_contoso_com",
		"contoso.sharepoint.com/sites/Migration",
		"https://%zz",
		"",
	} {
		_, err := c.SiteByURL(context.Background(), u)
		if playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("SiteByURL(%q) err = %v, want EINVALID", u, err)
		} else if !strings.Contains(playbook.ErrorMessage(err), "SharePoint") {
			t.Errorf("SiteByURL(%q) message %q", u, playbook.ErrorMessage(err))
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for foreign URLs", n)
	}
}

func TestCreateGroup(t *testing.T) {
	f, c := newFake(t)
	id, err := c.CreateGroup(context.Background(), graph.Group{
		DisplayName:  "Contoso – data migration",
		MailNickname: graph.MailNickname("Contoso – data migration"),
		Description:  "FastTrack migration collaboration",
		Owners:       []string{"11111111-1111-1111-1111-111111111111"},
		Members:      []string{"ada@contoso.com", "frp@partner.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := one(t, f, "POST", "/groups")
	base := f.URL()
	assertJSON(t, "group body", req.Body, `{
		"@odata.type": "#microsoft.graph.group",
		"displayName": "Contoso – data migration",
		"description": "FastTrack migration collaboration",
		"groupTypes": ["Unified"],
		"mailEnabled": true,
		"mailNickname": "Contoso-data-migration",
		"securityEnabled": false,
		"visibility": "Private",
		"owners@odata.bind": ["`+base+`/users/11111111-1111-1111-1111-111111111111"],
		"members@odata.bind": ["`+base+`/users/ada@contoso.com", "`+base+`/users/frp@partner.example"]}`)
	if _, ok := f.Groups()[id]; !ok {
		t.Errorf("group %q not in the fake", id)
	}

	got, err := c.GroupByMailNickname(context.Background(), "contoso-data-migration")
	if err != nil || got != id {
		t.Errorf("GroupByMailNickname = %q, %v; want %q", got, err, id)
	}
	if q := f.RequestsTo("GET", "/groups")[0].Query.Get("$filter"); q != "mailNickname eq 'contoso-data-migration'" {
		t.Errorf("$filter = %q", q)
	}
	_, err = c.GroupByMailNickname(context.Background(), "other")
	assertCode(t, err, playbook.ENOTFOUND)

	// Graph rejects a taken nickname with 400; the message is Graph's.
	_, err = c.CreateGroup(context.Background(), graph.Group{DisplayName: "Again", MailNickname: "Contoso-data-migration", Owners: []string{"u1"}})
	assertCode(t, err, playbook.EINVALID)
	if !strings.Contains(playbook.ErrorMessage(err), "mailNickname already exists") {
		t.Errorf("message = %q", playbook.ErrorMessage(err))
	}
}

func TestCreateGroupRejectsBadInput(t *testing.T) {
	f, c := newFake(t)
	ok := graph.Group{DisplayName: "Migration", MailNickname: "migration", Owners: []string{"u1"}}
	for name, edit := range map[string]func(*graph.Group){
		"no name":        func(g *graph.Group) { g.DisplayName = "" },
		"space in nick":  func(g *graph.Group) { g.MailNickname = "data migration" },
		"non-ASCII nick": func(g *graph.Group) { g.MailNickname = "migración" },
		"no owner":       func(g *graph.Group) { g.Owners = nil },
		"bad visibility": func(g *graph.Group) { g.Visibility = "Hidden" },
	} {
		g := ok
		edit(&g)
		if _, err := c.CreateGroup(context.Background(), g); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestGroupSiteWhileProvisioning(t *testing.T) {
	f, c := newFake(t)
	f.SetSiteProvisioning(2, 0)
	id, err := c.CreateGroup(context.Background(), graph.Group{DisplayName: "Migration", MailNickname: "migration", Owners: []string{"u1"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		_, err := c.GroupSite(context.Background(), id)
		if !errors.Is(err, graph.ErrNotProvisioned) {
			t.Fatalf("poll %d: err = %v, want ErrNotProvisioned", i+1, err)
		}
		assertCode(t, err, playbook.ENOTFOUND)
		var ge *graph.Error
		if !errors.As(err, &ge) || !ge.NotFound() || !ge.Retryable() || ge.RetryDelay() != graph.NotProvisionedPoll || ge.Code != "itemNotFound" {
			t.Errorf("poll %d: *graph.Error = %+v", i+1, ge)
		}
	}
	site, err := c.GroupSite(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(site.ID, "contoso.sharepoint.com,") || site.WebURL != "https://contoso.sharepoint.com/sites/migration" {
		t.Errorf("site = %+v", site)
	}
	if n := len(f.RequestsTo("GET", "/groups/"+id+"/sites/root")); n != 3 {
		t.Errorf("%d polls, want 3", n)
	}

	// By time instead of count.
	f.SetSiteProvisioning(1000, 50*time.Millisecond)
	id, _ = c.CreateGroup(context.Background(), graph.Group{DisplayName: "Later", MailNickname: "later", Owners: []string{"u1"}})
	if _, err := c.GroupSite(context.Background(), id); !errors.Is(err, graph.ErrNotProvisioned) {
		t.Fatalf("at once: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if _, err := c.GroupSite(context.Background(), id); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
}

func TestMailNickname(t *testing.T) {
	for in, want := range map[string]string{
		"Contoso – data migration": "Contoso-data-migration",
		"  Fabrikam & Co. (IMAP) ": "Fabrikam-Co-IMAP",
		"Müller GmbH":              "M-ller-GmbH",
		"日本":                       "",
		strings.Repeat("a", 70):    strings.Repeat("a", 64),
	} {
		if got := graph.MailNickname(in); got != want {
			t.Errorf("MailNickname(%q) = %q, want %q", in, got, want)
		}
	}
}
