package graph

import (
	"context"
	"net/url"
	"strings"

	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/mvmbot/mvmbot/playbook"
)

// SiteByURL finds the SharePoint site a person pasted, e.g.
// https://contoso.sharepoint.com/sites/Migration/Shared%20Documents/...
// (GET /sites/{host}:/{path}; Sites.Selected with a read grant, or
// Sites.Read.All). Only the site collection part of the path counts
// (/sites/X or /teams/X, else the root site). Returns EINVALID for a URL
// that is not https, not SharePoint Online (or a Config.SiteHosts host), or
// a OneDrive; ENOTFOUND when there is no such site.
func (c *Client) SiteByURL(ctx context.Context, siteURL string) (Site, error) {
	host, path, err := c.parseSiteURL(siteURL)
	if err != nil {
		return Site{}, err
	}
	raw := c.baseURL + "/sites/" + host
	if path != "" {
		raw += ":" + path
	}
	got, err := c.svc.Sites().BySiteId(host).WithUrl(raw).Get(ctx, nil)
	if err != nil {
		return Site{}, c.fail(ctx, err, "open the SharePoint site "+siteURL, PermSitesRead)
	}
	return toSite(got), nil
}

// parseSiteURL validates a SharePoint URL and returns its host and the
// escaped server-relative path of its site collection ("" for the root).
func (c *Client) parseSiteURL(siteURL string) (host, path string, err error) {
	invalid := func(why string) (string, string, error) {
		return "", "", playbook.Errorf(playbook.EINVALID, "%q is not a SharePoint site address: %s", siteURL, why)
	}
	u, perr := url.Parse(strings.TrimSpace(siteURL))
	switch {
	case perr != nil:
		return invalid("it does not parse as a URL")
	case u.Scheme != "https":
		return invalid("it must start with https://")
	case u.User != nil:
		return invalid("it must not contain a user name or password")
	case u.Host == "" || u.Port() != "":
		return invalid("it needs a host name and no port")
	}
	host = strings.ToLower(u.Hostname())
	if !c.sharePointHost(host) {
		return invalid("the host must end in .sharepoint.com (or be one the bot is configured for)")
	}
	if strings.HasSuffix(strings.SplitN(host, ".", 2)[0], "-my") {
		return invalid("it is a OneDrive, not a team or communication site")
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(segs) >= 2 && (strings.EqualFold(segs[0], "sites") || strings.EqualFold(segs[0], "teams")) && segs[1] != "" {
		path = "/" + strings.ToLower(segs[0]) + "/" + url.PathEscape(segs[1])
	}
	return host, path, nil
}

func (c *Client) sharePointHost(host string) bool {
	for _, h := range c.siteHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	for _, d := range playbook.SharePointDomains {
		if strings.HasSuffix(host, d) && len(host) > len(d) {
			return true
		}
	}
	return false
}

// CreateGroup creates a Microsoft 365 group (POST /groups; Group.Create)
// with the given owners and members; SharePoint provisions its team site
// asynchronously (see GroupSite). Graph does not deduplicate this call: a
// job that may run twice looks the group up first with
// GroupByMailNickname. Returns EINVALID for a group Graph or this package
// rejects, among them a mail nickname already taken.
func (c *Client) CreateGroup(ctx context.Context, g Group) (string, error) {
	switch {
	case strings.TrimSpace(g.DisplayName) == "":
		return "", playbook.Errorf(playbook.EINVALID, "the group needs a display name")
	case len(g.DisplayName) > 256:
		return "", playbook.Errorf(playbook.EINVALID, "the group's display name is longer than 256 characters")
	case !validNickname(g.MailNickname):
		return "", playbook.Errorf(playbook.EINVALID, "mail nickname %q: want 1 to 64 letters, digits, '-', '_' or '.' (graph.MailNickname makes one)", g.MailNickname)
	case len(g.Owners) == 0:
		return "", playbook.Errorf(playbook.EINVALID, "the group needs at least one owner; a group an app creates has none otherwise")
	}
	visibility := g.Visibility
	switch strings.ToLower(visibility) {
	case "", "private":
		visibility = "Private"
	case "public":
		visibility = "Public"
	default:
		return "", playbook.Errorf(playbook.EINVALID, "group visibility %q: want Private or Public", g.Visibility)
	}

	body := models.NewGroup()
	body.SetDisplayName(ptr(g.DisplayName))
	if g.Description != "" {
		body.SetDescription(ptr(g.Description))
	}
	body.SetGroupTypes([]string{"Unified"})
	body.SetMailEnabled(ptr(true))
	body.SetMailNickname(ptr(g.MailNickname))
	body.SetSecurityEnabled(ptr(false))
	body.SetVisibility(ptr(visibility))
	binds := map[string]any{"owners@odata.bind": c.userRefs(g.Owners)}
	if len(g.Members) > 0 {
		binds["members@odata.bind"] = c.userRefs(g.Members)
	}
	body.SetAdditionalData(binds)
	got, err := c.svc.Groups().Post(ctx, body, nil)
	if err != nil {
		return "", c.fail(ctx, err, "create the group "+g.MailNickname, PermGroupCreate)
	}
	return str(got.GetId()), nil
}

// userRefs turns user ids into the directory object URLs odata.bind wants.
func (c *Client) userRefs(ids []string) []string {
	refs := make([]string, len(ids))
	for i, id := range ids {
		refs[i] = c.baseURL + "/users/" + url.PathEscape(id)
	}
	return refs
}

// GroupByMailNickname returns the id of the group with this mail nickname
// (GET /groups?$filter=mailNickname eq '...'; Group.Read.All). Returns
// ENOTFOUND when there is none.
func (c *Client) GroupByMailNickname(ctx context.Context, nickname string) (string, error) {
	if !validNickname(nickname) {
		return "", playbook.Errorf(playbook.EINVALID, "mail nickname %q: want 1 to 64 letters, digits, '-', '_' or '.'", nickname)
	}
	got, err := c.svc.Groups().Get(ctx, &groups.GroupsRequestBuilderGetRequestConfiguration{
		QueryParameters: &groups.GroupsRequestBuilderGetQueryParameters{
			Filter: ptr("mailNickname eq '" + odataString(nickname) + "'"),
			Select: []string{"id", "displayName", "mailNickname"},
		},
	})
	if err != nil {
		return "", c.fail(ctx, err, "look up the group "+nickname, PermGroupReadAll)
	}
	for _, g := range got.GetValue() {
		if strings.EqualFold(str(g.GetMailNickname()), nickname) {
			return str(g.GetId()), nil
		}
	}
	return "", playbook.Errorf(playbook.ENOTFOUND, "no Microsoft 365 group has the mail nickname %q", nickname)
}

// GroupSite returns the team site of a group (GET /groups/{id}/sites/root;
// Sites.Read.All, or Sites.Selected once granted on the site). Until
// SharePoint has provisioned it (seconds to ~15 minutes after CreateGroup)
// Graph answers 404: the error then has ErrNotProvisioned in its chain, code
// ENOTFOUND, and is Retryable with RetryDelay NotProvisionedPoll. An
// unknown group id looks the same.
func (c *Client) GroupSite(ctx context.Context, groupID string) (Site, error) {
	if groupID == "" {
		return Site{}, playbook.Errorf(playbook.EINVALID, "no group id")
	}
	got, err := c.svc.Groups().ByGroupId(groupID).Sites().BySiteId("root").Get(ctx, nil)
	if err != nil {
		return Site{}, notProvisioned(c.fail(ctx, err, "open the group's SharePoint site", PermSitesRead))
	}
	return toSite(got), nil
}

// MailNickname makes a valid mail nickname from any text; see
// playbook.SiteAlias.
func MailNickname(s string) string { return playbook.SiteAlias(s) }

func validNickname(s string) bool { return playbook.ValidSiteAlias(s) }

// odataString escapes a value for a single-quoted OData string literal.
func odataString(s string) string { return strings.ReplaceAll(s, "'", "''") }

func toSite(s models.Siteable) Site {
	if s == nil {
		return Site{}
	}
	return Site{
		ID:          str(s.GetId()),
		Name:        str(s.GetName()),
		DisplayName: str(s.GetDisplayName()),
		WebURL:      str(s.GetWebUrl()),
	}
}
