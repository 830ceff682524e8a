package playbook

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	idFred     = "29:fred-frp" // an FRP who does not lead
	testSite   = "https://contoso.sharepoint.com/sites/Migration"
	testSiteID = "contoso.sharepoint.com,11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222"
)

// siteEngagement is an IMAP engagement (so there is an MVM) with Fred, a
// second FRP who does not lead, and an Entra object id for everyone: Fay's
// from the fixture, aad-<name> for the others.
func siteEngagement(tb testing.TB) *Engagement {
	tb.Helper()
	e := mustEngagement(tb, false, IMAP)
	mustOK(tb, AssignRole(e, idFRP, Member{ID: idFred, Name: "Fred", AADObjectID: "aad-fred"}, FRP, t0))
	setAAD(tb, e, idCustomer, "aad-carol")
	setAAD(tb, e, idMST, "aad-max")
	setAAD(tb, e, idMVM, "aad-vera")
	return e
}

// setAAD gives member id the Entra object id aad ("" removes it), as the
// bot does when the member first writes.
func setAAD(tb testing.TB, e *Engagement, id, aad string) {
	tb.Helper()
	i := e.memberIndex(id)
	if i < 0 {
		tb.Fatalf("no member %s", id)
	}
	e.Members[i].AADObjectID = aad
}

// wantUnchanged checks that a refused change left e as before was: deep
// equal, and no history entry added.
func wantUnchanged(tb testing.TB, before, e *Engagement) {
	tb.Helper()
	if len(e.History) != len(before.History) {
		tb.Errorf("history grew from %d to %d entries: %+v", len(before.History), len(e.History), e.History[len(before.History):])
	}
	if !reflect.DeepEqual(before, e) {
		tb.Errorf("a refused change changed the engagement:\nbefore %s\nafter  %s", mustJSON(tb, before), mustJSON(tb, e))
	}
}

// lastEntry returns e's latest history entry.
func lastEntry(tb testing.TB, e *Engagement) AuditEntry {
	tb.Helper()
	if len(e.History) == 0 {
		tb.Fatal("no history")
	}
	return e.History[len(e.History)-1]
}

var newSite = SiteRequest{Mode: SiteNew, Name: "Contoso migration"}

func TestCanManageSite(t *testing.T) {
	e := siteEngagement(t)
	// Fred leads a copy: the lead may, whatever the role, and Fay, now an
	// FRP who does not lead, may not.
	led := e.Clone()
	mustOK(t, SetLead(led, idFRP, idFred, t0))

	for _, tt := range []struct {
		name  string
		e     *Engagement
		actor string
		code  string // "" for allowed
		want  string
	}{
		{"MST", e, idMST, "", ""},
		{"MVM", e, idMVM, "", ""},
		{"lead (FRP)", e, idFRP, "", ""},
		{"lead (another FRP)", led, idFred, "", ""},
		{"FRP who does not lead", e, idFred, EFORBIDDEN, "Only the MST, the lead (Fay) or the MVM can set up the collaboration site in this engagement."},
		{"FRP who no longer leads", led, idFRP, EFORBIDDEN, "the lead (Fred)"},
		{"customer", e, idCustomer, EFORBIDDEN, "can set up the collaboration site"},
		{"not a member", e, idStranger, EFORBIDDEN, "not a member of the Contoso engagement"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Can(tt.e, tt.actor, ActionSite, nil)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CanManageSite = %v", err)
				}
				// Allowed to manage is allowed to request and to repair.
				x := tt.e.Clone()
				mustOK(t, RequestSite(x, tt.actor, newSite, t0))
				mustOK(t, SiteFail(x, 1, "boom", t0))
				mustOK(t, RepairSite(x, tt.actor, t0))
				return
			}
			wantErr(t, err, tt.code, tt.want)

			// Refused, RequestSite and RepairSite change nothing.
			x := tt.e.Clone()
			before := x.Clone()
			wantErr(t, RequestSite(x, tt.actor, newSite, t0), tt.code, tt.want)
			wantErr(t, RequestSite(x, tt.actor, SiteRequest{Mode: SiteExisting, URL: testSite}, t0), tt.code, tt.want)
			wantUnchanged(t, before, x)

			mustOK(t, RequestSite(x, idMST, newSite, t0))
			mustOK(t, SiteFail(x, 1, "boom", t0))
			before = x.Clone()
			wantErr(t, RepairSite(x, tt.actor, t0), tt.code, tt.want)
			wantUnchanged(t, before, x)
		})
	}
}

func TestRequestSiteExisting(t *testing.T) {
	e := siteEngagement(t)
	long := "https://contoso.sharepoint.com/sites/" + strings.Repeat("a", MaxSiteURLLen)
	for _, tt := range []struct {
		name string
		url  string
		code string
		want string // a fragment of the error; the stored URL when allowed
	}{
		{"empty", "", EINVALID, "Paste the address of the existing SharePoint site"},
		{"blank", " \t ", EINVALID, "Paste the address"},
		{"http", "http://contoso.sharepoint.com/sites/Migration", EINVALID, `"http://contoso.sharepoint.com/sites/Migration" is not a site address: paste one starting with https://`},
		{"no scheme", "contoso.sharepoint.com/sites/Migration", EINVALID, "is not a site address"},
		{"not a URL", "the usual one", EINVALID, `"the usual one" is not a site address`},
		{"no host", "https:///sites/Migration", EINVALID, "is not a site address"},
		{"unparsable", "https://contoso.sharepoint.com/%zz", EINVALID, "is not a site address"},
		{"other scheme", "ftp://contoso.sharepoint.com/sites/Migration", EINVALID, "is not a site address"},
		{"not SharePoint", "https://contoso.example.com/sites/Migration", EINVALID, "contoso.example.com is not SharePoint Online"},
		{"the bare suffix", "https://sharepoint.com/sites/Migration", EINVALID, "is not SharePoint Online"},
		{"a OneDrive", "https://contoso-my.sharepoint.com/personal/adele", EINVALID, "is a OneDrive"},
		{"too long", long, EINVALID, "longer than 2048 characters"},
		{"longest", long[:MaxSiteURLLen], "", long[:MaxSiteURLLen]},
		{"trimmed", "  " + testSite + "\n", "", testSite},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := e.Clone()
			err := RequestSite(x, idMST, SiteRequest{Mode: SiteExisting, URL: tt.url}, t0)
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.want)
				wantUnchanged(t, e, x)
				return
			}
			mustOK(t, err)
			want := &Site{Mode: SiteExisting, State: SiteSettingUp, Run: 1, RequestedBy: idMST, Requested: t0, URL: tt.want}
			if !reflect.DeepEqual(x.Site, want) {
				t.Errorf("site = %+v, want %+v", *x.Site, *want)
			}
			if h := lastEntry(t, x); h != (AuditEntry{At: t0, Actor: idMST, Action: ActionSite, Task: "collaboration-site", Detail: "set-up requested: existing site " + tt.want}) {
				t.Errorf("history = %+v", h)
			}
			if len(x.History) != len(e.History)+1 {
				t.Errorf("%d history entries added", len(x.History)-len(e.History))
			}
		})
	}
}

func TestRequestSiteNew(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(tb testing.TB, e *Engagement)
		actor string
		req   SiteRequest
		code  string
		want  string // a fragment of the error
		// When allowed:
		siteName, alias string
		owners, members []string
	}{
		{name: "alias derived from the name", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "  Contoso — Migration 2025!  "},
			siteName: "Contoso — Migration 2025!", alias: "Contoso-Migration-2025",
			owners: []string{"aad-max", "aad-fay", "aad-vera", "aad-fred"}, members: []string{"aad-carol"}},
		{name: "alias given", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Contoso", Alias: " contoso.mig_2025 "},
			siteName: "Contoso", alias: "contoso.mig_2025",
			owners: []string{"aad-max", "aad-fay", "aad-vera", "aad-fred"}, members: []string{"aad-carol"}},
		{name: "requester first", actor: idMVM, req: newSite, siteName: "Contoso migration", alias: "Contoso-migration",
			owners: []string{"aad-vera", "aad-fay", "aad-max", "aad-fred"}, members: []string{"aad-carol"}},
		{name: "requester without an Entra id", actor: idMVM, req: newSite,
			setup:    func(tb testing.TB, e *Engagement) { setAAD(tb, e, idMVM, "") },
			siteName: "Contoso migration", alias: "Contoso-migration",
			owners: []string{"aad-fay", "aad-max", "aad-fred"}, members: []string{"aad-carol"}},
		{name: "members without an Entra id left out", actor: idMST, req: newSite,
			setup: func(tb testing.TB, e *Engagement) {
				setAAD(tb, e, idCustomer, "")
				setAAD(tb, e, idFred, "")
			},
			siteName: "Contoso migration", alias: "Contoso-migration",
			owners: []string{"aad-max", "aad-fay", "aad-vera"}},
		{name: "a customer who also holds MST is an owner", actor: idMST, req: newSite,
			setup:    func(tb testing.TB, e *Engagement) { mustOK(tb, AssignRole(e, idFRP, Member{ID: idCustomer}, MST, t0)) },
			siteName: "Contoso migration", alias: "Contoso-migration",
			owners: []string{"aad-max", "aad-fay", "aad-carol", "aad-vera", "aad-fred"}},
		{name: "a shared Entra id counted once", actor: idMST, req: newSite,
			setup:    func(tb testing.TB, e *Engagement) { setAAD(tb, e, idCustomer, "aad-max") },
			siteName: "Contoso migration", alias: "Contoso-migration",
			owners: []string{"aad-max", "aad-fay", "aad-vera", "aad-fred"}},
		{name: "longest name", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: strings.Repeat("n", MaxSiteNameLen)},
			siteName: strings.Repeat("n", MaxSiteNameLen), alias: strings.Repeat("n", MaxSiteAliasLen),
			owners: []string{"aad-max", "aad-fay", "aad-vera", "aad-fred"}, members: []string{"aad-carol"}},
		{name: "longest name in characters, not bytes", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: strings.Repeat("é", MaxSiteNameLen), Alias: "migration"},
			siteName: strings.Repeat("é", MaxSiteNameLen), alias: "migration",
			owners: []string{"aad-max", "aad-fay", "aad-vera", "aad-fred"}, members: []string{"aad-carol"}},

		{name: "no name", actor: idMST, req: SiteRequest{Mode: SiteNew, Alias: "migration"}, code: EINVALID, want: "Give the new site a name of 1 to 256 characters."},
		{name: "blank name", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "   "}, code: EINVALID, want: "Give the new site a name"},
		{name: "name too long", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: strings.Repeat("n", MaxSiteNameLen+1)}, code: EINVALID, want: "a name of 1 to 256 characters"},
		{name: "name too long in characters", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: strings.Repeat("é", MaxSiteNameLen+1), Alias: "migration"}, code: EINVALID, want: "a name of 1 to 256 characters"},
		{name: "alias with a space", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Contoso", Alias: "contoso mig"}, code: EINVALID, want: `The alias "contoso mig" will not do: use 1 to 64 letters, digits, '-', '_' or '.', e.g. "Contoso".`},
		{name: "alias with an at", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Contoso", Alias: "mig@contoso"}, code: EINVALID, want: "will not do"},
		{name: "alias not ASCII", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Contoso", Alias: "migración"}, code: EINVALID, want: "will not do"},
		{name: "alias too long", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Contoso", Alias: strings.Repeat("a", MaxSiteAliasLen+1)}, code: EINVALID, want: "will not do"},
		{name: "no alias can be derived", actor: idMST, req: SiteRequest{Mode: SiteNew, Name: "Миграция"}, code: EINVALID, want: `The alias "" will not do: use 1 to 64 letters, digits, '-', '_' or '.', e.g. "Contoso-migration".`},
		{name: "no owner known to Entra", actor: idMST, req: newSite, code: EINVALID, want: "A new group needs an owner known to Entra ID",
			setup: func(tb testing.TB, e *Engagement) {
				for _, id := range []string{idFRP, idFred, idMST, idMVM} {
					setAAD(tb, e, id, "")
				}
			}},
		{name: "no mode", actor: idMST, req: SiteRequest{Name: "Contoso", URL: testSite}, code: EINVALID, want: "Choose to use an existing site or to create a new one."},
		{name: "unknown mode", actor: idMST, req: SiteRequest{Mode: "portal", URL: testSite}, code: EINVALID, want: "Choose to use an existing site"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := siteEngagement(t)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := e.Clone()
			err := RequestSite(e, tt.actor, tt.req, t0.Add(time.Hour))
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.want)
				wantUnchanged(t, before, e)
				return
			}
			mustOK(t, err)
			// Owners are members too (Graph makes an owner no member, and
			// an owner who is not one cannot work in the group's site).
			members := append(slices.Clone(tt.owners), tt.members...)
			want := &Site{Mode: SiteNew, State: SiteSettingUp, Run: 1, RequestedBy: tt.actor, Requested: t0.Add(time.Hour),
				Name: tt.siteName, Alias: tt.alias, Owners: tt.owners, Members: members}
			if !reflect.DeepEqual(e.Site, want) {
				t.Errorf("site = %+v\nwant   %+v", *e.Site, *want)
			}
			if !ValidSiteAlias(e.Site.Alias) {
				t.Errorf("alias %q is not valid", e.Site.Alias)
			}
			if len(e.History) != len(before.History)+1 {
				t.Fatalf("%d history entries added", len(e.History)-len(before.History))
			}
			h := lastEntry(t, e)
			if wantH := (AuditEntry{At: t0.Add(time.Hour), Actor: tt.actor, Action: ActionSite, Task: "collaboration-site",
				Detail: `set-up requested: new site "` + tt.siteName + `" (` + tt.alias + ")"}); h != wantH {
				t.Errorf("history = %+v\nwant      %+v", h, wantH)
			}
		})
	}
}

func TestRequestSiteAgain(t *testing.T) {
	e := siteEngagement(t)
	mustOK(t, RequestSite(e, idMST, newSite, t0))

	before := e.Clone()
	wantErr(t, RequestSite(e, idMVM, SiteRequest{Mode: SiteExisting, URL: testSite}, t0), ECONFLICT, "The collaboration site is already being set up")
	wantUnchanged(t, before, e)

	// Failed, it may be requested again, differently: the run goes on.
	mustOK(t, SiteFail(e, 1, "the alias is taken", t0))
	mustOK(t, RequestSite(e, idMVM, SiteRequest{Mode: SiteExisting, URL: testSite}, t0.Add(time.Hour)))
	want := &Site{Mode: SiteExisting, State: SiteSettingUp, Run: 2, RequestedBy: idMVM, Requested: t0.Add(time.Hour), URL: testSite}
	if !reflect.DeepEqual(e.Site, want) {
		t.Errorf("site = %+v, want %+v", *e.Site, *want)
	}

	// A new group asked for again under the same alias after a failure
	// keeps the group the failed run made: it is this engagement's.
	g := siteEngagement(t)
	mustOK(t, RequestSite(g, idMST, newSite, t0))
	mustOK(t, SiteStep(g, 1, func(s *Site) { s.GroupRequested, s.GroupID = true, "group-1" }))
	mustOK(t, SiteFail(g, 1, "SharePoint was slow", t0))
	mustOK(t, RequestSite(g, idMST, newSite, t0))
	if !g.Site.GroupRequested || g.Site.GroupID != "group-1" || g.Site.Run != 2 {
		t.Errorf("same alias again: %+v, want the group kept", *g.Site)
	}
	mustOK(t, SiteFail(g, 2, "SharePoint was slow", t0))
	other := newSite
	other.Alias = "other-alias"
	mustOK(t, RequestSite(g, idMST, other, t0))
	if g.Site.GroupRequested || g.Site.GroupID != "" {
		t.Errorf("another alias: %+v, want no group", *g.Site)
	}

	// Ready, it may not.
	if _, _, err := SiteDone(e, 2, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before = e.Clone()
	wantErr(t, RequestSite(e, idMST, newSite, t0), ECONFLICT, "The collaboration site is already set up: type **site** to see it, or Repair.")
	wantUnchanged(t, before, e)

	// Nor in a closed engagement.
	c := siteEngagement(t)
	mustOK(t, Close(c, idMVM, "customer cancelled", t0))
	before = c.Clone()
	wantErr(t, RequestSite(c, idMST, newSite, t0), ECONFLICT, "was closed")
	wantErr(t, RepairSite(c, idMST, t0), ECONFLICT, "was closed")
	wantUnchanged(t, before, c)
}

// buildSite runs steps of run that make everything a new site needs.
func buildSite(tb testing.TB, e *Engagement, run int) {
	tb.Helper()
	mustOK(tb, SiteStep(e, run, func(s *Site) {
		s.GroupRequested = true
		s.GroupID = "group-1"
		s.Waiting = t0
	}))
	mustOK(tb, SiteStep(e, run, func(s *Site) {
		s.SiteID, s.WebURL, s.Waiting = testSiteID, testSite, time.Time{}
		s.Docs = ListRef{ID: "docs", WebURL: testSite + "/Migration%20documents"}
		s.Issues = ListRef{ID: "issues", WebURL: testSite + "/Lists/Migration%20issues"}
		s.Known = ListRef{ID: "known", WebURL: testSite + "/Lists/Known%20migration%20errors"}
		s.KnownRows = []string{"1", "2"}
	}))
}

func TestRepairSite(t *testing.T) {
	e := siteEngagement(t)
	before := e.Clone()
	wantErr(t, RepairSite(e, idMST, t0), ENOTFOUND, "There is no collaboration site yet")
	wantUnchanged(t, before, e)

	mustOK(t, RequestSite(e, idMST, newSite, t0))
	buildSite(t, e, 1)
	before = e.Clone()
	wantErr(t, RepairSite(e, idMVM, t0), ECONFLICT, "being set up right now")
	wantUnchanged(t, before, e)

	// Ready: a repair is a new run that keeps every id.
	if _, _, err := SiteDone(e, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ready := *e.Site.clone()
	mustOK(t, RepairSite(e, idMVM, t0.Add(2*time.Hour)))
	want := ready
	want.State, want.Run, want.Ready = SiteSettingUp, 2, time.Time{}
	if !reflect.DeepEqual(e.Site, &want) {
		t.Errorf("repaired ready site = %+v\nwant                 %+v", *e.Site, want)
	}
	if h := lastEntry(t, e); h != (AuditEntry{At: t0.Add(2 * time.Hour), Actor: idMVM, Action: ActionSite, Task: "collaboration-site", Detail: "set-up run 2"}) {
		t.Errorf("history = %+v", h)
	}

	// Failed while waiting: the error and the wait go, the ids stay.
	mustOK(t, SiteStep(e, 2, func(s *Site) { s.Waiting = t0.Add(2 * time.Hour) }))
	mustOK(t, SiteFail(e, 2, "Graph said no", t0.Add(3*time.Hour)))
	if e.Site.State != SiteFailed || e.Site.Error != "Graph said no" || !e.Site.Waiting.IsZero() {
		t.Errorf("failed site = %+v", *e.Site)
	}
	mustOK(t, RepairSite(e, idFRP, t0.Add(4*time.Hour)))
	want.Run = 3
	if !reflect.DeepEqual(e.Site, &want) {
		t.Errorf("repaired failed site = %+v\nwant                  %+v", *e.Site, want)
	}
	if h := lastEntry(t, e); h.Actor != idFRP || h.Detail != "set-up run 3" {
		t.Errorf("history = %+v", h)
	}
}

func TestSiteStaleRun(t *testing.T) {
	steps := []struct {
		name string
		do   func(e *Engagement, run int) error
	}{
		{"SiteStep", func(e *Engagement, run int) error {
			return SiteStep(e, run, func(s *Site) { s.GroupID = "stale" })
		}},
		{"SiteDone", func(e *Engagement, run int) error { _, _, err := SiteDone(e, run, t0); return err }},
		{"SiteFail", func(e *Engagement, run int) error { return SiteFail(e, run, "stale", t0) }},
	}
	// Each state is reached from a site requested by the MST.
	states := []struct {
		name string
		to   func(tb testing.TB, e *Engagement)
		run  int // a run that is not current
	}{
		{"no site", func(testing.TB, *Engagement) {}, 1},
		{"an earlier run", func(tb testing.TB, e *Engagement) {
			mustOK(tb, RequestSite(e, idMST, newSite, t0))
			mustOK(tb, SiteFail(e, 1, "x", t0))
			mustOK(tb, RepairSite(e, idMST, t0))
		}, 1},
		{"a later run", func(tb testing.TB, e *Engagement) { mustOK(tb, RequestSite(e, idMST, newSite, t0)) }, 2},
		{"ready", func(tb testing.TB, e *Engagement) {
			mustOK(tb, RequestSite(e, idMST, newSite, t0))
			if _, _, err := SiteDone(e, 1, t0); err != nil {
				tb.Fatal(err)
			}
		}, 1},
		{"failed", func(tb testing.TB, e *Engagement) {
			mustOK(tb, RequestSite(e, idMST, newSite, t0))
			mustOK(tb, SiteFail(e, 1, "x", t0))
		}, 1},
	}
	for _, st := range states {
		for _, step := range steps {
			t.Run(st.name+"/"+step.name, func(t *testing.T) {
				e := siteEngagement(t)
				st.to(t, e)
				before := e.Clone()
				wantErr(t, step.do(e, st.run), ECONFLICT, "is no longer current")
				wantUnchanged(t, before, e)
			})
		}
	}
}

func TestSiteStep(t *testing.T) {
	e := siteEngagement(t)
	mustOK(t, RequestSite(e, idMST, newSite, t0))
	held := e.Site
	buildSite(t, e, 1)
	if held.GroupID != "" || held.KnownRows != nil {
		t.Errorf("SiteStep changed the site in place: %+v", *held)
	}
	if e.Site.GroupID != "group-1" || e.Site.SiteID != testSiteID || !slices.Equal(e.Site.KnownRows, []string{"1", "2"}) || e.Site.State != SiteSettingUp {
		t.Errorf("site = %+v", *e.Site)
	}
	// The job's own steps are not history; only the outcome is.
	if h := lastEntry(t, e); h.Action != ActionSite || h.Detail != `set-up requested: new site "Contoso migration" (Contoso-migration)` {
		t.Errorf("history = %+v", h)
	}
}

func TestSiteFail(t *testing.T) {
	e := siteEngagement(t)
	mustOK(t, RequestSite(e, idMST, newSite, t0))
	long := strings.Repeat("é", MaxReasonLen+10)
	mustOK(t, SiteFail(e, 1, long, t0.Add(time.Hour)))
	if e.Site.State != SiteFailed || len([]rune(e.Site.Error)) != MaxReasonLen || !strings.HasSuffix(e.Site.Error, "…") {
		t.Errorf("failed site = %s %q", e.Site.State, e.Site.Error)
	}
	if h := lastEntry(t, e); h.Actor != BotActor || h.Action != ActionSite || h.Task != "collaboration-site" || h.Detail != "set-up failed: "+e.Site.Error || !h.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("history = %+v", h)
	}
	if e.State("collaboration-site").Status != StatusOpen {
		t.Error("a failed site marked its task")
	}
}

func TestSiteDone(t *testing.T) {
	at := t0.Add(5 * time.Hour)
	for _, tt := range []struct {
		name      string
		setup     func(tb testing.TB, e *Engagement)
		after     func(tb testing.TB, e *Engagement) // once the site is requested
		requester string
		marked    []string
		onBehalf  Role
		left      []string // a fragment of each reason, in order
	}{
		{name: "workshops settled, by the MST", requester: idMST,
			setup:  func(tb testing.TB, e *Engagement) { mustDone(tb, e, "assessment", "workshop-imap") },
			marked: SiteTasks},
		{name: "workshops settled, by the lead", requester: idFRP,
			setup:  func(tb testing.TB, e *Engagement) { mustDone(tb, e, "assessment", "workshop-imap") },
			marked: SiteTasks},
		{name: "workshops settled, by the MVM", requester: idMVM,
			setup:  func(tb testing.TB, e *Engagement) { mustDone(tb, e, "assessment", "workshop-imap") },
			marked: SiteTasks},
		{name: "a task already settled is skipped", requester: idMST,
			setup: func(tb testing.TB, e *Engagement) {
				mustDone(tb, e, "assessment", "workshop-imap")
				e.settle(table[byKey["known-errors"]], TaskState{Status: StatusDone, By: idMST, At: t0})
			},
			marked: []string{"collaboration-site", "issue-tracker"}},
		{name: "workshops open", requester: idMST,
			left: []string{"2979 waits for 1635 IMAP migration workshop", "3615 waits for 2979 Migration collaboration site", "3282 waits for 1635 IMAP migration workshop"}},
		// The site is the evidence: it completes its tasks whoever asked.
		{name: "workshops settled, requester left", requester: idMST,
			setup:  func(tb testing.TB, e *Engagement) { mustDone(tb, e, "assessment", "workshop-imap") },
			after:  func(tb testing.TB, e *Engagement) { mustOK(tb, RemoveRole(e, idFRP, idMST, MST, t0)) },
			marked: SiteTasks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := siteEngagement(t)
			if tt.setup != nil {
				tt.setup(t, e)
			}
			mustOK(t, RequestSite(e, tt.requester, SiteRequest{Mode: SiteExisting, URL: testSite}, t0))
			if tt.after != nil {
				tt.after(t, e)
			}
			buildSite(t, e, 1)
			n := len(e.History)
			settled := map[string]TaskState{}
			for _, k := range SiteTasks {
				settled[k] = e.State(k)
			}

			marked, left, err := SiteDone(e, 1, at)
			mustOK(t, err)
			var keys []string
			for _, m := range marked {
				keys = append(keys, m.Key)
			}
			if !slices.Equal(keys, tt.marked) {
				t.Errorf("marked %v, want %v", keys, tt.marked)
			}
			if len(left) != len(tt.left) {
				t.Fatalf("left %q, want %d reasons", left, len(tt.left))
			}
			for i, f := range tt.left {
				if !strings.Contains(left[i], f) {
					t.Errorf("left[%d] = %q, want it to contain %q", i, left[i], f)
				}
			}

			if e.Site.State != SiteReady || !e.Site.Ready.Equal(at) || !e.Site.Waiting.IsZero() || e.Site.Error != "" || e.Site.GroupID != "group-1" {
				t.Errorf("site = %+v", *e.Site)
			}
			if len(e.History) != n+1+len(tt.marked) {
				t.Fatalf("history = %+v", e.History[n:])
			}
			if h := e.History[n]; h != (AuditEntry{At: at, Actor: BotActor, Action: ActionSite, Task: "collaboration-site", Detail: "ready: " + testSite}) {
				t.Errorf("ready entry = %+v", h)
			}
			detail := "by evidence: site"
			for i, k := range tt.marked {
				if h := e.History[n+1+i]; h != (AuditEntry{At: at, Actor: tt.requester, Action: ActionMarkDone, Task: k, Detail: detail}) {
					t.Errorf("entry of %s = %+v", k, h)
				}
				if st := e.State(k); st != (TaskState{Status: StatusDone, By: tt.requester, OnBehalfOf: tt.onBehalf, At: at}) {
					t.Errorf("state of %s = %+v", k, st)
				}
			}
			for _, k := range SiteTasks {
				if slices.Contains(tt.marked, k) {
					continue
				}
				if st := e.State(k); st != settled[k] {
					t.Errorf("state of %s changed from %+v to %+v", k, settled[k], st)
				}
			}
		})
	}
}

func TestSiteAlias(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Contoso", "Contoso"},
		{"Contoso Migration 2025", "Contoso-Migration-2025"},
		{"  Contoso -- Migration!  ", "Contoso-Migration"},
		{"Contoso — Migration", "Contoso-Migration"},
		{"Ünïcode", "n-code"},
		{"mig_ration.site", "mig-ration-site"},
		{"", ""},
		{"!!!", ""},
		{"Миграция", ""},
		{strings.Repeat("a", 100), strings.Repeat("a", MaxSiteAliasLen)},
		{strings.Repeat("a", MaxSiteAliasLen-1) + " b", strings.Repeat("a", MaxSiteAliasLen-1)},
		{strings.Repeat("a", MaxSiteAliasLen-2) + " b", strings.Repeat("a", MaxSiteAliasLen-2) + "-b"},
	} {
		got := SiteAlias(tt.name)
		if got != tt.want {
			t.Errorf("SiteAlias(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got != "" && !ValidSiteAlias(got) {
			t.Errorf("SiteAlias(%q) = %q is not valid", tt.name, got)
		}
	}
}

func TestValidSiteAlias(t *testing.T) {
	for _, tt := range []struct {
		alias string
		want  bool
	}{
		{"contoso", true},
		{"Contoso-Migration_2025.site", true},
		{strings.Repeat("a", MaxSiteAliasLen), true},
		{"", false},
		{strings.Repeat("a", MaxSiteAliasLen+1), false},
		{"contoso migration", false},
		{"mig@contoso", false},
		{"migración", false},
		{"a\x7f", false},
		{"a/b", false},
		{"(mig)", false},
		{".contoso", false},
		{"contoso.", false},
		{"con..toso", false},
	} {
		if got := ValidSiteAlias(tt.alias); got != tt.want {
			t.Errorf("ValidSiteAlias(%q) = %t, want %t", tt.alias, got, tt.want)
		}
	}
}

func TestCloneSite(t *testing.T) {
	if (&Engagement{}).Clone().Site != nil {
		t.Error("clone of no site has one")
	}
	e := siteEngagement(t)
	mustOK(t, RequestSite(e, idMST, newSite, t0))
	buildSite(t, e, 1)
	before := mustJSON(t, e)
	c := e.Clone()
	if !reflect.DeepEqual(c, e) {
		t.Fatal("clone differs")
	}
	if c.Site == e.Site {
		t.Fatal("Clone shares the site")
	}
	c.Site.Owners[0] = "x"
	c.Site.Members[0] = "x"
	c.Site.KnownRows[0] = "x"
	c.Site.Owners = append(c.Site.Owners[:1], "y")
	c.Site.Docs.ID = "x"
	c.Site.State = SiteFailed
	if mustJSON(t, e) != before {
		t.Error("changing the clone's site changed the original")
	}
}

func TestSiteJSON(t *testing.T) {
	e := siteEngagement(t)
	mustOK(t, RequestSite(e, idMST, newSite, t0))
	buildSite(t, e, 1)
	if _, _, err := SiteDone(e, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var got Engagement
	mustOK(t, json.Unmarshal(b, &got))
	if !reflect.DeepEqual(got.Site, e.Site) {
		t.Errorf("round trip:\n got %+v\nwant %+v", *got.Site, *e.Site)
	}
	// The stored names never change.
	var raw struct {
		Site map[string]any `json:"site"`
	}
	mustOK(t, json.Unmarshal(b, &raw))
	for k, v := range map[string]any{"mode": "new", "state": "ready", "run": 1.0, "alias": "Contoso-migration", "groupId": "group-1", "webUrl": testSite} {
		if raw.Site[k] != v {
			t.Errorf("site.%s = %v, want %v", k, raw.Site[k], v)
		}
	}
	if _, ok := raw.Site["waiting"]; ok {
		t.Error("a zero wait is stored")
	}
}

// TestSetUpSiteElsewhere: a site set up outside mvmbot settles the three
// site tasks as overrides with the reason, in order (the tracker after the
// site), and every refusal changes nothing.
func TestSetUpSiteElsewhere(t *testing.T) {
	const reason = "FastTrack portal library, tracker and known errors lists made by hand"
	t.Run("recorded", func(t *testing.T) {
		e := siteEngagement(t)
		mustDone(t, e, "assessment", "workshop-imap")
		n := len(e.History)
		done, err := SetUpSiteElsewhere(e, idMST, "  "+reason+" ", t0)
		mustOK(t, err)
		var keys []string
		for _, d := range done {
			keys = append(keys, d.Key)
		}
		if !slices.Equal(keys, SiteTasks) {
			t.Errorf("settled %v, want %v", keys, SiteTasks)
		}
		for i, k := range SiteTasks {
			want := TaskState{Status: StatusDone, By: idMST, At: t0, Override: true, Reason: "set up elsewhere: " + reason}
			if st := e.State(k); st != want {
				t.Errorf("state of %s = %+v", k, st)
			}
			if h := e.History[n+i]; h != (AuditEntry{At: t0, Actor: idMST, Action: ActionOverride, Task: k, Detail: "done: set up elsewhere: " + reason}) {
				t.Errorf("entry of %s = %+v", k, h)
			}
		}
		if got := len(Overrides(e)); got != 3 {
			t.Errorf("%d overrides, want 3", got)
		}
		if e.Site != nil {
			t.Errorf("a site of mvmbot's was recorded: %+v", e.Site)
		}
		// No second site over the one recorded elsewhere.
		recorded := mustJSON(t, e)
		if err := RequestSite(e, idMST, SiteRequest{Mode: SiteExisting, URL: testSite}, t0); ErrorCode(err) != ECONFLICT || !strings.Contains(ErrorMessage(err), "recorded as set up elsewhere") {
			t.Errorf("RequestSite after the record: %v", err)
		}
		if mustJSON(t, e) != recorded {
			t.Error("a refused RequestSite changed the engagement")
		}
	})
	for _, tt := range []struct {
		name   string
		setup  func(tb testing.TB, e *Engagement)
		actor  string
		reason string
		code   string
		want   string
	}{
		{name: "workshops open", actor: idMST, reason: reason, code: EINVALID, want: "2979 waits for 1635"},
		{name: "no reason", actor: idMST, reason: "  ", code: EINVALID, want: "Say where the site"},
		{name: "the customer", actor: idCustomer, reason: reason, code: EFORBIDDEN},
		{name: "mvmbot's site being set up", actor: idMST, reason: reason, code: ECONFLICT, want: "already",
			setup: func(tb testing.TB, e *Engagement) {
				mustOK(tb, RequestSite(e, idMST, SiteRequest{Mode: SiteExisting, URL: testSite}, t0))
			}},
		{name: "already settled", actor: idMST, reason: reason, code: EINVALID, want: "already settled",
			setup: func(tb testing.TB, e *Engagement) {
				if _, err := SetUpSiteElsewhere(e, idMST, reason, t0); err != nil {
					tb.Fatal(err)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := siteEngagement(t)
			if tt.name != "workshops open" {
				mustDone(t, e, "assessment", "workshop-imap")
			}
			if tt.setup != nil {
				tt.setup(t, e)
			}
			before := mustJSON(t, e)
			_, err := SetUpSiteElsewhere(e, tt.actor, tt.reason, t0)
			if ErrorCode(err) != tt.code || !strings.Contains(ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want %s containing %q", err, tt.code, tt.want)
			}
			if mustJSON(t, e) != before {
				t.Error("a refusal changed the engagement")
			}
		})
	}
}
