package playbook

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The migration collaboration site (tasks 2979, 3615, 3282; issue 7): a
// customer SharePoint site, existing or made for the engagement with a
// Microsoft 365 group, holding a "Migration documents" library, the
// "Migration issues" tracker list and the "Known migration errors" list.
// The bot sets it up in a durable job; this file keeps where that job
// stands, so that a restart resumes it and a second run repeats nothing.

// ActionSite is the history action of the collaboration site. Stored: never
// rename it.
const ActionSite Action = "site"

// SiteMode is how the site was obtained.
type SiteMode string

// Site modes. Stored: never rename one.
const (
	SiteExisting SiteMode = "existing" // a site the customer or partner already has
	SiteNew      SiteMode = "new"      // a Microsoft 365 group's team site, made by the bot
)

// SiteState is where the site's setup stands.
type SiteState string

// Site states. Stored: never rename one.
const (
	SiteSettingUp SiteState = "setting_up" // the setup job is working
	SiteReady     SiteState = "ready"
	SiteFailed    SiteState = "failed" // the job gave up; Repair runs it again
)

// SiteTasks are the playbook tasks the site's setup delivers.
var SiteTasks = []string{"collaboration-site", "issue-tracker", "known-errors"}

// Site is an engagement's collaboration site and how far its setup got.
// The job fills the ids as each step succeeds; a step whose id is set is
// not repeated.
type Site struct {
	Mode  SiteMode  `json:"mode"`
	State SiteState `json:"state"`
	// Run counts setups: the first is 1, each Repair or Retry adds one. The
	// setup job carries it, so a job left over from an earlier run stops.
	Run         int       `json:"run"`
	RequestedBy string    `json:"requestedBy"`
	Requested   time.Time `json:"requested"`
	// URL is the existing site's address as pasted (SiteExisting).
	URL string `json:"url,omitempty"`
	// Name and Alias are the new group's display name and mail nickname,
	// Owners and Members their Entra object ids (SiteNew).
	Name    string   `json:"name,omitempty"`
	Alias   string   `json:"alias,omitempty"`
	Owners  []string `json:"owners,omitempty"`
	Members []string `json:"members,omitempty"`

	// GroupRequested is set just before the group is created: a group
	// found with the alias afterwards is this run's (a create whose answer
	// was lost), one found before it belongs to someone else.
	GroupRequested bool   `json:"groupRequested,omitempty"`
	GroupID        string `json:"groupId,omitempty"`
	SiteID         string `json:"siteId,omitempty"`
	WebURL         string `json:"webUrl,omitempty"`
	// Docs, Issues and Known are the library and the two lists.
	Docs   ListRef `json:"docs,omitzero"`
	Issues ListRef `json:"issues,omitzero"`
	Known  ListRef `json:"known,omitzero"`
	// KnownRows are the ids of the known errors published in Known.
	KnownRows []string `json:"knownRows,omitempty"`

	// Waiting is when the job began to wait for a new group's site, which
	// SharePoint provisions asynchronously; zero when not waiting.
	Waiting time.Time `json:"waiting,omitzero"`
	Ready   time.Time `json:"ready,omitzero"`
	// Error is why the last run failed, for the person (SiteFailed).
	Error string `json:"error,omitempty"`
}

// ListRef names a SharePoint list or library.
type ListRef struct {
	ID     string `json:"id,omitempty"`
	WebURL string `json:"webUrl,omitempty"`
}

func (s *Site) clone() *Site {
	if s == nil {
		return nil
	}
	c := *s
	c.Owners = slices.Clone(s.Owners)
	c.Members = slices.Clone(s.Members)
	c.KnownRows = slices.Clone(s.KnownRows)
	return &c
}

// SiteRequest is what the site card asks: an existing site's URL, or a
// new group's name and alias.
type SiteRequest struct {
	Mode  SiteMode
	URL   string
	Name  string
	Alias string
}

// Limits of a site request, those of Microsoft 365 groups.
const (
	MaxSiteNameLen  = 256
	MaxSiteAliasLen = 64
	MaxSiteURLLen   = 2048
)

// RequestSite starts the setup of e's collaboration site for actorID.
// Owners are the members with an Entra object id who hold MST, MVM or FRP
// roles or lead (the requester first); the other members with one are the
// group's members. Returns ECONFLICT when e is closed or a site is set up
// or being set up (Repair runs it again); EFORBIDDEN (see Can, ActionSite);
// EINVALID for a request without a usable URL, name or alias, or a new
// group without any owner known to Entra.
func RequestSite(e *Engagement, actorID string, r SiteRequest, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionSite, nil); err != nil {
		return err
	}
	if err := e.checkNotElsewhere(); err != nil {
		return err
	}
	if e.Site != nil && e.Site.State != SiteFailed {
		return Errorf(ECONFLICT, "The collaboration site is already %s: type **site** to see it, or Repair.", siteStateText(e.Site.State))
	}
	s := Site{Mode: r.Mode, State: SiteSettingUp, RequestedBy: actorID, Requested: now.UTC()}
	if e.Site != nil {
		s.Run = e.Site.Run
	}
	s.Run++
	var detail string
	switch r.Mode {
	case SiteExisting:
		u, err := checkSiteURL(r.URL)
		if err != nil {
			return err
		}
		s.URL = u
		detail = "existing site " + u
	case SiteNew:
		name, alias := strings.TrimSpace(r.Name), strings.TrimSpace(r.Alias)
		if alias == "" {
			alias = SiteAlias(name)
		}
		switch {
		case name == "" || utf8.RuneCountInString(name) > MaxSiteNameLen:
			return Errorf(EINVALID, "Give the new site a name of 1 to %d characters.", MaxSiteNameLen)
		case !ValidSiteAlias(alias):
			eg := SiteAlias(name)
			if eg == "" { // a name without ASCII letters or digits
				eg = SiteAlias(e.Customer + " migration")
			}
			return Errorf(EINVALID, "The alias %q will not do: use 1 to %d letters, digits, '-', '_' or '.', e.g. %q.", truncateRunes(alias, 70), MaxSiteAliasLen, eg)
		}
		s.Name, s.Alias = name, alias
		if old := e.Site; old != nil && old.Mode == SiteNew && strings.EqualFold(old.Alias, alias) {
			// The failed run may have made the group: it is still ours.
			s.GroupRequested, s.GroupID = old.GroupRequested, old.GroupID
		}
		s.Owners, s.Members = siteOwners(e, actorID)
		if len(s.Owners) == 0 {
			return Errorf(EINVALID, "A new group needs an owner known to Entra ID, and no MST, MVM, FRP or lead of this engagement has an Entra object id yet. Ask one of them to send a message in this chat first, or use an existing site.")
		}
		detail = fmt.Sprintf("new site %q (%s)", name, alias)
	default:
		return Errorf(EINVALID, "Choose to use an existing site or to create a new one.")
	}
	e.Site = &s
	e.audit(now, actorID, ActionSite, "collaboration-site", "set-up requested: "+detail)
	return nil
}

// RepairSite runs the setup of e's site again with the same request: every
// step finds what an earlier run made and makes only what is missing.
// Returns ENOTFOUND without a site; ECONFLICT when e is closed or a setup
// is running; EFORBIDDEN (see Can, ActionSite).
func RepairSite(e *Engagement, actorID string, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionSite, nil); err != nil {
		return err
	}
	if err := e.checkNotElsewhere(); err != nil {
		return err
	}
	if e.Site == nil {
		return Errorf(ENOTFOUND, "There is no collaboration site yet: type **site** to set one up.")
	}
	if e.Site.State == SiteSettingUp {
		return Errorf(ECONFLICT, "The collaboration site is being set up right now; I post when it is done.")
	}
	s := e.Site.clone()
	s.State, s.Error, s.Waiting, s.Ready = SiteSettingUp, "", time.Time{}, time.Time{}
	s.Run++
	e.Site = s
	e.audit(now, actorID, ActionSite, "collaboration-site", fmt.Sprintf("set-up run %d", s.Run))
	return nil
}

// SiteStep records what a setup step found or made. The job calls it with
// the run it works for; ECONFLICT when that run is no longer current.
func SiteStep(e *Engagement, run int, step func(*Site)) error {
	if e.Site == nil || e.Site.Run != run || e.Site.State != SiteSettingUp {
		return Errorf(ECONFLICT, "The site's set-up run %d is no longer current.", run)
	}
	s := e.Site.clone()
	step(s)
	e.Site = s
	return nil
}

// SiteDone marks run ready, then marks done, for the person who asked, the
// site's tasks that may be marked now (done by the bot on their behalf, as
// the history says). It returns the tasks marked and, for each one left
// open, why. Returns ECONFLICT when run is not current.
func SiteDone(e *Engagement, run int, now time.Time) (marked []Task, left []string, err error) {
	if e.Site == nil || e.Site.Run != run || e.Site.State != SiteSettingUp {
		return nil, nil, Errorf(ECONFLICT, "The site's set-up run %d is no longer current.", run)
	}
	s := e.Site.clone()
	s.State, s.Ready, s.Waiting, s.Error = SiteReady, now.UTC(), time.Time{}, ""
	e.Site = s
	e.audit(now, BotActor, ActionSite, "collaboration-site", "ready: "+s.WebURL)
	for _, key := range SiteTasks {
		t := table[byKey[key]]
		if e.State(key).Status != StatusOpen {
			continue
		}
		if e.completeByEvidence(t, s.RequestedBy, now) {
			marked = append(marked, t)
			continue
		}
		if bs := openNeeds(e, t); len(bs) > 0 {
			left = append(left, fmt.Sprintf("%s waits for %s. Those come first.", t.Ref(), e.describeBlockers(bs)))
		}
	}
	e.completeWaiting(now)
	return marked, left, nil
}

// SiteFail ends run as failed with the reason for the person. ECONFLICT
// when run is not current.
func SiteFail(e *Engagement, run int, reason string, now time.Time) error {
	if e.Site == nil || e.Site.Run != run || e.Site.State != SiteSettingUp {
		return Errorf(ECONFLICT, "The site's set-up run %d is no longer current.", run)
	}
	s := e.Site.clone()
	s.State, s.Error, s.Waiting = SiteFailed, truncateRunes(reason, MaxReasonLen), time.Time{}
	e.Site = s
	e.audit(now, BotActor, ActionSite, "collaboration-site", "set-up failed: "+s.Error)
	return nil
}

func siteStateText(s SiteState) string {
	switch s {
	case SiteSettingUp:
		return "being set up"
	case SiteReady:
		return "set up"
	}
	return string(s)
}

// siteOwners returns the Entra object ids of the new group's owners (the
// requester, the lead, the MST, MVM and FRP) and members: everyone with an
// id, the owners first, since Graph does not make an owner a member and an
// owner who is not one cannot work in the group's site.
func siteOwners(e *Engagement, actorID string) (owners, members []string) {
	add := func(list *[]string, id string) {
		if id != "" && !slices.Contains(*list, id) {
			*list = append(*list, id)
		}
	}
	if m, ok := e.Member(actorID); ok {
		add(&owners, m.AADObjectID)
	}
	for _, m := range e.Members {
		if m.Lead || m.Has(MST) || m.Has(MVM) || m.Has(FRP) {
			add(&owners, m.AADObjectID)
		}
	}
	members = slices.Clone(owners)
	for _, m := range e.Members {
		add(&members, m.AADObjectID)
	}
	return owners, members
}

// SharePointDomains are the SharePoint Online host suffixes of the public,
// US government and China clouds.
var SharePointDomains = []string{".sharepoint.com", ".sharepoint.us", ".sharepoint.cn"}

// checkSiteURL returns the trimmed URL of an existing site, or EINVALID
// for what is plainly not a SharePoint Online site: so that the form, not
// the set-up job, says so. The Graph client checks again (and may accept
// a vanity host it is configured for).
func checkSiteURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Errorf(EINVALID, "Paste the address of the existing SharePoint site, e.g. https://contoso.sharepoint.com/sites/Migration.")
	}
	if len(s) > MaxSiteURLLen {
		return "", Errorf(EINVALID, "That address is longer than %d characters.", MaxSiteURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", Errorf(EINVALID, "%q is not a site address: paste one starting with https://, e.g. https://contoso.sharepoint.com/sites/Migration.", truncateRunes(s, 80))
	}
	host := strings.ToLower(u.Hostname())
	if !slices.ContainsFunc(SharePointDomains, func(d string) bool { return strings.HasSuffix(host, d) && len(host) > len(d) }) {
		return "", Errorf(EINVALID, "%s is not SharePoint Online: paste the site's address, which ends in .sharepoint.com, e.g. https://contoso.sharepoint.com/sites/Migration.", truncateRunes(host, 80))
	}
	if strings.HasSuffix(strings.SplitN(host, ".", 2)[0], "-my") {
		return "", Errorf(EINVALID, "%s is a OneDrive, not a team or communication site: paste the SharePoint site's address.", truncateRunes(host, 80))
	}
	return s, nil
}

// SiteAlias makes a group alias (mail nickname) from a name: ASCII letters
// and digits kept, runs of anything else become one '-', at most 64
// characters; "" when nothing is left.
func SiteAlias(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteRune(r)
		if b.Len() >= MaxSiteAliasLen {
			break
		}
	}
	return strings.TrimRight(b.String()[:min(b.Len(), MaxSiteAliasLen)], "-")
}

// ValidSiteAlias reports whether s is a usable mail nickname: Exchange
// also refuses a dot at either end or two in a row.
func ValidSiteAlias(s string) bool {
	if s == "" || len(s) > MaxSiteAliasLen || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// SetUpSiteElsewhere records the site tasks (SiteTasks: 2979, 3615, 3282)
// done without a site of mvmbot's: the site, its issue tracker and the
// known errors list were set up outside it (the FastTrack portal's
// library, or a site made by hand where Graph is not configured), as the
// reason says. Like MarkHeldElsewhere, the record is an override: its
// states, the history, status and the report show it as such. It returns
// the tasks it settled. Returns ECONFLICT when e is closed or mvmbot's own
// site is set up or being set up; EFORBIDDEN (see Can, ActionSite);
// EINVALID without a reason, while a task's needs are open, or when no
// site task is left open.
func SetUpSiteElsewhere(e *Engagement, actorID, reason string, now time.Time) ([]Task, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if err := Can(e, actorID, ActionSite, nil); err != nil {
		return nil, err
	}
	if e.Site != nil && e.Site.State != SiteFailed {
		return nil, Errorf(ECONFLICT, "The collaboration site is already %s: type **site** to see it.", siteStateText(e.Site.State))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxReasonLen {
		return nil, Errorf(EINVALID, "Say where the site, its issue tracker and the known errors list are, in at most %d characters; the reason goes into the history as an override.", MaxReasonLen)
	}
	open := openSiteTasks(e)
	if len(open) == 0 {
		return nil, Errorf(EINVALID, "The site's tasks (%s) are already settled.", refs(siteTasks()))
	}
	// The tracker needs the site, which this settles first; anything else
	// open (the workshops) comes first, as for the site made by mvmbot.
	for _, t := range open {
		var bs []Task
		for _, b := range openNeeds(e, t) {
			if !slices.Contains(SiteTasks, b.Key) {
				bs = append(bs, b)
			}
		}
		if len(bs) > 0 {
			return nil, Errorf(EINVALID, "%s waits for %s. Those come first.", t.Ref(), e.describeBlockers(bs))
		}
	}
	for _, t := range open {
		e.settleOverride(t, actorID, elsewhere+reason, now)
	}
	e.completeWaiting(now)
	return open, nil
}

// elsewhere begins the reason of a site task SetUpSiteElsewhere settled.
const elsewhere = "set up elsewhere: "

// SiteElsewhere returns, when SetUpSiteElsewhere settled the site (2979),
// its state and the reason as the person gave it.
func SiteElsewhere(e *Engagement) (TaskState, string, bool) {
	st := e.State("collaboration-site")
	if !st.Override || !strings.HasPrefix(st.Reason, elsewhere) {
		return TaskState{}, "", false
	}
	return st, strings.TrimPrefix(st.Reason, elsewhere), true
}

// SiteTasksOpen reports whether a site task that applies to e is open:
// while one is, the site card offers a way to settle it.
func SiteTasksOpen(e *Engagement) bool {
	return len(openSiteTasks(e)) > 0
}

func openSiteTasks(e *Engagement) []Task {
	var open []Task
	for _, t := range siteTasks() {
		if Applies(e, t) && e.State(t.Key).Status == StatusOpen {
			open = append(open, t)
		}
	}
	return open
}

// siteTasks are the tasks of SiteTasks, in its order.
func siteTasks() []Task {
	ts := make([]Task, 0, len(SiteTasks))
	for _, k := range SiteTasks {
		if t, ok := taskByKey(k); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

// checkNotElsewhere refuses to set up or repair a site of mvmbot's while
// the site's tasks stand as set up elsewhere: the record would then hold
// two sites for one engagement.
func (e *Engagement) checkNotElsewhere() error {
	if _, where, ok := SiteElsewhere(e); ok {
		return Errorf(ECONFLICT, "The collaboration site is recorded as set up elsewhere (%q). To have me set one up instead, reopen its tasks (3615, 3282, then 2979) with **undo** first.", where)
	}
	return nil
}
