package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestReportingFeed walks the feed key's life through the endpoint: made in
// the personal chat and shown once, never stored as given, the feed read
// with it as JSON and CSV, refused without it, rotated and revoked.
func TestReportingFeed(t *testing.T) {
	h := newHarness(t, harnessOpts{inline: true})
	now := time.Now()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-feed", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:feed@thread.tacv2",
	}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		t.Fatal(err)
	}
	e.Members = append(e.Members, playbook.Member{ID: "29:user-1", Name: "Pat", Roles: []playbook.Role{playbook.MVM}})
	e.Version = 1
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}

	get := func(path, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	keyRE := regexp.MustCompile("`(mvmf_[A-Za-z0-9_-]+)`")
	newKey := func(id string) string {
		t.Helper()
		n := len(h.conn.Calls())
		if s, _ := h.post(h.message(id, "feed new e-feed"), ""); s != 200 {
			t.Fatalf("feed new: status %d", s)
		}
		calls := h.conn.WaitCalls(n+1, 10*time.Second)
		text, _ := calls[len(calls)-1].Activity()["text"].(string)
		m := keyRE.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no key in the reply %q", text)
		}
		return m[1]
	}

	if s, _ := get("/api/reports/e-feed.json", ""); s != 401 {
		t.Errorf("feed without a key: %d, want 401", s)
	}
	key := newKey("f1")
	h.srv.Wait()
	stored, err := h.db.Engagement(context.Background(), "e-feed")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(stored)
	if strings.Contains(string(raw), key) {
		t.Fatal("the feed key is stored as given")
	}
	if n, _ := h.db.Pending(context.Background()); n != 0 {
		t.Errorf("%d jobs pending: the key's reply must not wait in the store", n)
	}

	status, body := get("/api/reports/e-feed.json", key)
	if status != 200 || !json.Valid([]byte(body)) || !strings.Contains(body, "Contoso") {
		t.Errorf("JSON feed: %d %.200s", status, body)
	}
	if status, body := get("/api/reports/e-feed.csv?key="+key, ""); status != 200 || !strings.Contains(body, ",") {
		t.Errorf("CSV feed: %d %.200s", status, body)
	}
	for name, path := range map[string]string{
		"wrong key":        "/api/reports/e-feed.json?key=mvmf_wrong",
		"other engagement": "/api/reports/e-other.json?key=" + key,
		"unknown format":   "/api/reports/e-feed.xml?key=" + key,
		"no format":        "/api/reports/e-feed?key=" + key,
	} {
		if s, _ := get(path, ""); s != 401 && s != 404 {
			t.Errorf("%s: %d, want 401 or 404", name, s)
		}
	}

	rotated := newKey("f2")
	if s, _ := get("/api/reports/e-feed.json", key); s != 401 {
		t.Errorf("old key after rotation: %d, want 401", s)
	}
	if s, _ := get("/api/reports/e-feed.json", rotated); s != 200 {
		t.Errorf("new key after rotation: %d, want 200", s)
	}
	if s, _ := h.post(h.message("f3", "feed revoke e-feed"), ""); s != 200 {
		t.Fatal("feed revoke")
	}
	h.srv.Wait()
	h.drain() // the revoke's answer goes out through a job
	if s, _ := get("/api/reports/e-feed.json", rotated); s != 401 {
		t.Errorf("revoked key: %d, want 401", s)
	}

	// Not in a channel, and not for someone else's engagement.
	ch := h.message("f4", "feed new e-feed")
	ch["conversation"] = map[string]any{"id": "19:feed@thread.tacv2;messageid=1", "conversationType": "channel", "tenantId": "tenant-1"}
	n := len(h.conn.Calls())
	h.post(ch, "")
	h.srv.Wait()
	calls := h.conn.WaitCalls(n+1, 10*time.Second)
	if text, _ := calls[len(calls)-1].Activity()["text"].(string); !strings.Contains(text, "personal chat") || keyRE.MatchString(text) {
		t.Errorf("feed in a channel answered %q", text)
	}
	stranger := h.message("f5", "feed new e-feed")
	stranger["from"] = map[string]any{"id": "29:stranger", "name": "Sam"}
	n = len(h.conn.Calls())
	h.post(stranger, "")
	h.srv.Wait()
	calls = h.conn.WaitCalls(n+1, 10*time.Second)
	if text, _ := calls[len(calls)-1].Activity()["text"].(string); keyRE.MatchString(text) || !strings.Contains(text, "no engagement") {
		t.Errorf("a stranger's feed new answered %q", text)
	}
}

// TestReportingFeedShape pins the JSON feed's public shape (docs/reporting.md):
// lowerCamelCase keys everywhere, durations in seconds.
func TestReportingFeedShape(t *testing.T) {
	h := newHarness(t, harnessOpts{inline: true})
	now := time.Now()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e-shape", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP}, Conversation: "19:shape@thread.tacv2",
	}, playbook.Member{ID: "29:lead", Name: "Lee", Roles: []playbook.Role{playbook.FRP}}, now.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	e.Members = append(e.Members, playbook.Member{ID: "29:mvm", Name: "Pat", Roles: []playbook.Role{playbook.MVM}})
	// Target dates in the past make tasks overdue.
	e.TargetStart, e.TargetEnd = now.AddDate(0, 0, -30), now.AddDate(0, 0, -1)
	key := "mvmf_" + strings.Repeat("k", playbook.MinFeedKeyLength)
	if err := playbook.SetFeedKey(e, "29:mvm", key, now); err != nil {
		t.Fatal(err)
	}
	issue, err := playbook.OpenIssue(e, "29:lead", "Calendar missing", "ana@contoso.com", 0, now.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.Escalate(e, "29:lead", "high", "The calendar is still missing", issue.ID, now.Add(-90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.AddNote(e, "29:mvm", "Kick-off done", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := playbook.RecordSurvey(e, "29:mvm", 9, "Smooth so far", "Ana (Contoso)", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.Version = 1
	if _, _, err := h.db.CommitTurn(context.Background(), playbook.Turn{Engagement: e}); err != nil {
		t.Fatal(err)
	}

	req, _ := http.NewRequest(http.MethodGet, h.url+"/api/reports/e-shape.json?key="+key, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("feed: status %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}

	keysOf := func(v any, where string) []string {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T, want an object", where, v)
		}
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	sorted := func(ks ...string) []string { slices.Sort(ks); return ks }
	first := func(v any, where string) any {
		t.Helper()
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			t.Fatalf("%s: %v, want a non-empty array", where, v)
		}
		return a[0]
	}
	for _, c := range []struct {
		where string
		v     any
		want  []string
	}{
		{"top level", doc, sorted("customer", "at", "since", "closed", "planVersion", "units", "thisMonth", "months",
			"events", "nextEvents", "preflight", "preflightFailed", "issues", "escalatedIssues", "escalations",
			"overdue", "overrides", "notes", "remindDns", "metrics")},
		{"units", doc["units"], sorted("inScope", "plannedToDate", "migrated", "failed", "migratedThisWeek")},
		{"thisMonth", doc["thisMonth"], sorted("month", "forecast", "actual")},
		{"events", doc["events"], sorted("total", "planned", "preflight", "ready", "running", "completed", "cancelled")},
		{"issues", doc["issues"], sorted("total", "open", "escalated", "handedOver", "resolved", "openedThisWeek", "closedThisWeek")},
		{"metrics", doc["metrics"], sorted("unitsCompletePercent", "monthAlignedPercent", "alignedMonths", "pastMonths",
			"notesThisWeek", "noteWeeks", "weeks", "mandatoryTasks", "milestonesDone", "milestones", "nps", "escalationsOpened")},
		{"metrics.nps", doc["metrics"].(map[string]any)["nps"], sorted("responses", "promoters", "passives", "detractors", "score", "latest")},
		{"metrics.mandatoryTasks", doc["metrics"].(map[string]any)["mandatoryTasks"], sorted("done", "applicable")},
		{"notes[0]", first(doc["notes"], "notes"), sorted("at", "by", "text")},
		{"overdue[0]", first(doc["overdue"], "overdue"), sorted("task", "owner", "holders", "blockedBy", "due")},
		{"overdue[0].task", first(doc["overdue"], "overdue").(map[string]any)["task"], sorted("key", "ids", "phase", "title",
			"owner", "helpers", "sources", "condition", "optional", "needs")},
	} {
		if got := keysOf(c.v, c.where); !slices.Equal(got, c.want) {
			t.Errorf("%s keys:\n got %q\nwant %q", c.where, got, c.want)
		}
	}

	esc := first(doc["escalations"], "escalations").(map[string]any)
	for _, k := range []string{"id", "by", "at", "severity", "state", "text", "issue", "ageSeconds"} {
		if _, ok := esc[k]; !ok {
			t.Errorf("escalations[0] has no %q: %v", k, esc)
		}
	}
	if _, ok := esc["Age"]; ok {
		t.Error("escalations[0] still has Age")
	}
	if age, _ := esc["ageSeconds"].(float64); age < 90*60 || age > 90*60+600 {
		t.Errorf("escalations[0].ageSeconds = %v, want about 5400 (seconds, not nanoseconds)", esc["ageSeconds"])
	}
	if iss := first(doc["escalatedIssues"], "escalatedIssues").(map[string]any); iss["title"] != "Calendar missing" || iss["openedBy"] != "29:lead" {
		t.Errorf("escalatedIssues[0] = %v", iss)
	}
	if at, _ := doc["at"].(string); at == "" {
		t.Errorf("at = %v, want an RFC 3339 string", doc["at"])
	} else if _, err := time.Parse(time.RFC3339, at); err != nil {
		t.Errorf("at: %v", err)
	}

	// No key anywhere starts with an upper-case letter.
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if r, _ := utf8.DecodeRuneInString(k); unicode.IsUpper(r) {
					t.Errorf("key %s.%s starts with an upper-case letter", path, k)
				}
				walk(x, path+"."+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(doc, "$")
}
