package cards_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// siteCards are the cards of issue 7 (collaboration site and issue
// tracker), each in its states, the worst case included, for
// TestEveryCardValidates.
func siteCards(t *testing.T) map[string]*cards.Card {
	t.Helper()
	e := migrationEngagement(t)
	out := map[string]*cards.Card{
		"site, none, may set up":  cards.Site(e, cards.SiteView{CanManage: true}),
		"site, none, may not":     cards.Site(e, cards.SiteView{}),
		"site, local":             cards.Site(e, cards.SiteView{Local: true, CanManage: true}),
		"site, form with error":   cards.Site(e, cards.SiteView{CanManage: true, Notice: "Not saved", Attention: true, Form: cards.SiteForm{Mode: "existing", URL: "http://x", Error: "Paste an https address."}}),
		"issue form, empty":       cards.IssueFormCard(e, cards.IssueForm{}),
		"issue form, with values": cards.IssueFormCard(e, cards.IssueForm{Title: strings.Repeat("t", 255), Source: "imap", Unit: strings.Repeat("u", 300), ErrorText: strings.Repeat("e", playbook.MaxReasonLen), Severity: "critical", Event: "3", Error: "There is no event 3."}),
		"issues, none":            cards.Issues(e, cards.IssuesView{}),
	}
	out["site, local, set up elsewhere refused"] = cards.Site(e, cards.SiteView{Local: true, CanManage: true, Attention: true,
		Notice: "Say where the site, its issue tracker and the known errors list are.", Form: cards.SiteForm{Elsewhere: strings.Repeat("w", playbook.MaxReasonLen)}})
	elsewhere := e.Clone()
	elsewhere.States = map[string]playbook.TaskState{"collaboration-site": playbook.TaskState{Status: playbook.StatusDone, By: "29:mo", At: qNow, Override: true,
		Reason: "set up elsewhere: " + strings.Repeat("w", playbook.MaxReasonLen)}}
	out["site, local, recorded elsewhere"] = cards.Site(elsewhere, cards.SiteView{Local: true, CanManage: true})
	out["site, recorded elsewhere, Graph"] = cards.Site(elsewhere, cards.SiteView{CanManage: true})
	e.Site = &playbook.Site{Mode: playbook.SiteNew, State: playbook.SiteSettingUp, Run: 1, Name: "Contoso migration", Alias: "Contoso-migration", Waiting: qNow}
	out["site, waiting for SharePoint"] = cards.Site(e, cards.SiteView{CanManage: true})
	e.Site = &playbook.Site{Mode: playbook.SiteExisting, State: playbook.SiteFailed, Run: 2, URL: "https://contoso.sharepoint.com/sites/m", Error: strings.Repeat("x", playbook.MaxReasonLen)}
	out["site, failed"] = cards.Site(e, cards.SiteView{CanManage: true})
	link := "https://contoso.sharepoint.com/sites/m/Lists/Migration%20issues"
	e.Site = &playbook.Site{Mode: playbook.SiteExisting, State: playbook.SiteReady, Run: 1, URL: "https://contoso.sharepoint.com/sites/m", WebURL: "https://contoso.sharepoint.com/sites/m",
		Docs: playbook.ListRef{ID: "d", WebURL: link}, Issues: playbook.ListRef{ID: "i", WebURL: link}, Known: playbook.ListRef{ID: "k", WebURL: link}, KnownRows: []string{"a", "b"}, Ready: qNow}
	out["site, ready"] = cards.Site(e, cards.SiteView{CanManage: true})

	long := strings.Repeat("x", playbook.MaxReasonLen)
	for i := range 25 {
		if _, err := playbook.ReportIssue(e, "29:carol", playbook.IssueReport{Title: strings.Repeat("t", 255), Source: playbook.IMAP, Unit: strings.Repeat("u", 500), ErrorText: long}, qNow.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := playbook.AssignIssue(e, "29:vi", 2, "29:mo", qNow); err != nil {
		t.Fatal(err)
	}
	esc, err := playbook.Escalate(e, "29:carol", "high", "Issue #2", 2, qNow)
	if err != nil {
		t.Fatal(err)
	}
	all := func(playbook.Action) bool { return true }
	out["issues, first page, all buttons"] = cards.Issues(e, cards.IssuesView{May: all, Tracker: link, Notice: "Issue #1 resolved."})
	out["issues, last page"] = cards.Issues(e, cards.IssuesView{May: all, Page: 2})
	out["issues, page past the end"] = cards.Issues(e, cards.IssuesView{Page: 99})
	known, _ := playbook.KnownErrorByID(playbook.KnownErrors(playbook.IMAP)[0].ID)
	out["issue reported, known error"] = cards.IssueReported(e, e.Issues[0], &known, link)
	out["issue reported, local"] = cards.IssueReported(e, e.Issues[1], nil, "")
	out["issue escalated"] = cards.IssueEscalated(e, e.Issues[1], esc)
	return out
}

func TestIssuesPages(t *testing.T) {
	e := migrationEngagement(t)
	for i := range 25 {
		if _, err := playbook.ReportIssue(e, "29:carol", playbook.IssueReport{Title: "issue"}, qNow.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		page       int
		first      string
		prev, next bool
	}{{0, "#1 issue", false, true}, {1, "#11 issue", true, true}, {2, "#21 issue", true, false}, {7, "#21 issue", true, false}} {
		raw, _ := json.Marshal(cards.Issues(e, cards.IssuesView{Page: tc.page}))
		s := string(raw)
		if !strings.Contains(s, tc.first) {
			t.Errorf("page %d does not start at %s", tc.page, tc.first)
		}
		if strings.Contains(s, `"Previous"`) != tc.prev || strings.Contains(s, `"Next"`) != tc.next {
			t.Errorf("page %d: previous %v next %v wanted", tc.page, tc.prev, tc.next)
		}
	}
}

func TestDecodeSiteAndIssueForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		ok   bool
	}{
		{"site, all strings", `{"siteMode":"new","siteName":"x","siteAlias":"y","siteUrl":""}`, true},
		{"site, number", `{"siteMode":1}`, false},
		{"site, not an object", `[1]`, false},
		{"issue, event as number", `{"issueTitle":"x","issueEvent":3}`, true},
		{"issue, title as number", `{"issueTitle":3}`, false},
		{"issue, severity as list", `{"issueSeverity":["high"]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if strings.HasPrefix(tc.name, "site") {
				_, err = cards.DecodeSiteForm(json.RawMessage(tc.raw))
			} else {
				_, err = cards.DecodeIssueForm(json.RawMessage(tc.raw))
			}
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && playbook.ErrorCode(err) != playbook.EINVALID {
				t.Fatalf("code %s, want EINVALID", playbook.ErrorCode(err))
			}
		})
	}
}

// TestIssueSourceNone: "Not about one source" has a value (a choice of ""
// makes Microsoft's renderer drop the input), read back as no source.
func TestIssueSourceNone(t *testing.T) {
	f, err := cards.DecodeIssueForm(json.RawMessage(`{"issueTitle":"x","issueSource":"none"}`))
	if err != nil || f.Source != "" {
		t.Errorf("DecodeIssueForm(none) = %+v, %v", f, err)
	}
	raw := string(cardBytes(t, cards.IssueFormCard(qEngagement(t, false, playbook.IMAP, playbook.Box), cards.IssueForm{})))
	if strings.Contains(raw, `"value":""`) || !strings.Contains(raw, `"value":"none"`) {
		t.Errorf("issue form: %s", raw)
	}
}
