package bot_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/internal/download"
	"github.com/mvmbot/mvmbot/playbook"
)

// attached is p's personal-chat message carrying file name at url, as
// Teams sends it (Microsoft Learn, "Send and receive files using bot").
func attached(h *harness, c *conv, p person, name, url string) map[string]any {
	a := inPersonal(h.message(c.nextID(), ""), p)
	delete(a, "text")
	a["attachments"] = []any{map[string]any{
		"contentType": "application/vnd.microsoft.teams.file.download.info",
		"contentUrl":  "https://contoso-my.sharepoint.com/personal/vi/Documents/Applications/" + name,
		"name":        name,
		"content":     map[string]any{"downloadUrl": url, "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "csv", "etag": "123"},
	}}
	return a
}

// TestAttachedBatchFile: the MVM attaches a batch CSV in the personal chat;
// the bot downloads it from a fake download server, checks it whole (a bad
// row imports nothing and says which), asks which event, and the click
// imports the members (the IMAP CSV's passwords dropped). A file that is no
// batch, and a file in the group chat, get an answer that says so.
func TestAttachedBatchFile(t *testing.T) {
	files := map[string]string{
		"/bad.csv":   "EmailAddress,UserName,Password\r\nann@contoso.com,ann,pw1\r\nnot-an-address,bob,pw2\r\n",
		"/good.csv":  "EmailAddress,UserName,Password\r\nann@contoso.com,ann,pw1\r\nbob@contoso.com,bob,pw2\r\n",
		"/notes.csv": "colour,size\r\nred,3\r\n",
	}
	dl, h, c := withFiles(t, files)

	before := c.engagement()
	if s := text(c.post(attached(h, c, vi, "bad.csv", dl.URL+"/bad.csv"))); !strings.Contains(s, "Nothing was imported from **bad.csv**") || !strings.Contains(s, "line 3") || strings.Contains(s, "pw") {
		t.Errorf("bad file: %q", s)
	}
	assertUnchanged(t, c, before)

	if s := text(c.post(attached(h, c, vi, "notes.csv", dl.URL+"/notes.csv"))); !strings.Contains(s, "is not a file I read") {
		t.Errorf("not a batch: %q", s)
	}
	if s := text(c.post(attached(h, c, vi, "gone.csv", dl.URL+"/gone.csv"))); !strings.Contains(s, "could not download **gone.csv**") || strings.Contains(s, dl.URL) {
		t.Errorf("download failed: %q", s)
	}
	group := h.groupMessage(c.nextID(), vi, "")
	group["attachments"] = attached(h, c, vi, "good.csv", dl.URL+"/good.csv")["attachments"]
	if s := text(c.post(group)); !strings.Contains(s, "only in our personal chat") {
		t.Errorf("group chat: %q", s)
	}

	picker := replyCard(t, c.post(attached(h, c, vi, "good.csv", dl.URL+"/good.csv")))
	if s := cardText(t, picker); !strings.Contains(s, "Which migration event?") || !strings.Contains(s, "lists 2 users") {
		t.Fatalf("picker: %s", s)
	}
	assertUnchanged(t, c, before)
	data := action(t, picker, "fileMembers", "")
	if data["event"] != float64(1) {
		t.Fatalf("first button is for event %v", data["event"])
	}
	// Only the MVM (the MST without one) sets members: the customer's
	// click is refused.
	if got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), cy, "fileMembers", data), cy)); got.StatusCode != refusal || !strings.Contains(string(got.Value), "Your roles: Customer") {
		t.Errorf("customer's import not refused for the role: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
	// The file gone by the time of the click: nothing is imported.
	gone := maps.Clone(data)
	gone["url"] = dl.URL + "/gone.csv"
	if got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), vi, "fileMembers", gone), vi)); !strings.Contains(string(got.Value), "could not download **good.csv** again (the download failed)") {
		t.Errorf("a file gone at the click: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
	got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), vi, "fileMembers", data), vi))
	if s := cardText(t, got.card(t)); !strings.Contains(s, "set the members of event 1 from good.csv: 2 user") || !strings.Contains(s, "Password column") {
		t.Errorf("import: %s", s)
	}
	ev := c.engagement().Events[0]
	if ev.MemberKind != playbook.BatchUsers || len(ev.Members) != 2 || ev.Members[1].Unit != "bob@contoso.com" || strings.Contains(mustJSON(t, ev), "pw2") {
		t.Errorf("event 1 members: %+v", ev.Members)
	}
}

// TestAttachedStatusFile: a status export attached in the personal chat
// is checked whole, then recorded as the status of the running event the
// MVM picks; a bad row records nothing.
func TestAttachedStatusFile(t *testing.T) {
	const head = "#TYPE Microsoft.Exchange.Migration.MigrationUserStatistics\r\n\"Identity\",\"Status\",\"BytesTransferred\",\"Error\"\r\n"
	files := map[string]string{
		"/good.csv": head + "\"user00@contoso.com\",\"Synced\",\"1 GB (1,073,741,824 bytes)\",\"\"\r\n" +
			"\"user04@contoso.com\",\"Failed\",\"0 B (0 bytes)\",\"We had trouble signing in to this account. Confirm that you're using the correct user name and password.\"\r\n",
		"/bad.csv": head + "\"ann@contoso.com\",\"Teleporting\",\"\",\"\"\r\n",
	}
	dl, h, c := withFiles(t, files)

	// Before any event runs there is nothing to record status for.
	before := c.engagement()
	if s := text(c.post(attached(h, c, vi, "good.csv", dl.URL+"/good.csv"))); !strings.Contains(s, "no running or completed migration event") && !strings.Contains(s, "none of your engagements") {
		t.Errorf("no running event: %q", s)
	}
	assertUnchanged(t, c, before)

	e := c.engagement()
	if err := playbook.WaivePreflight(e, vi.id, 1, "same server as the test migration", qNow); err != nil {
		t.Fatal(err)
	}
	if err := playbook.StartEvent(e, vi.id, 1, qNow); err != nil {
		t.Fatal(err)
	}
	commit(t, c, e)

	before = c.engagement()
	if s := text(c.post(attached(h, c, vi, "bad.csv", dl.URL+"/bad.csv"))); !strings.Contains(s, "Nothing was imported from **bad.csv**") || !strings.Contains(s, "Teleporting") {
		t.Errorf("bad file: %q", s)
	}
	assertUnchanged(t, c, before)

	picker := replyCard(t, c.post(attached(h, c, vi, "good.csv", dl.URL+"/good.csv")))
	if s := cardText(t, picker); !strings.Contains(s, "Which migration event?") || !strings.Contains(s, "status of 2 units") {
		t.Fatalf("picker: %s", s)
	}
	assertUnchanged(t, c, before)
	data := action(t, picker, "fileStatus", "")
	if data["event"] != float64(1) {
		t.Fatalf("first button is for event %v", data["event"])
	}
	if got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), cy, "fileStatus", data), cy)); got.StatusCode != refusal || !strings.Contains(string(got.Value), "Your roles: Customer") {
		t.Errorf("customer's status not refused for the role: %d %s", got.StatusCode, got.Value)
	}
	assertUnchanged(t, c, before)
	got := c.invoke(inPersonal(h.groupInvoke(c.nextID(), vi, "fileStatus", data), vi))
	if got.StatusCode != 200 {
		t.Fatalf("import: %d %s", got.StatusCode, got.Value)
	}
	if s := string(got.Value); !strings.Contains(s, "imported Get-MigrationUser for event 1: 1 migrated") {
		t.Errorf("import answer: %s", s)
	}
	if s := text(c.say(vi, "status user04@contoso.com")); !strings.Contains(s, "Migration status **Failed**") {
		t.Errorf("status of bob after the import: %q", s)
	}
}

// withFiles serves files (path → body) as Teams' download host would, and
// starts an engagement with an accepted plan whose bot downloads from it.
func withFiles(t *testing.T, files map[string]string) (*httptest.Server, *harness, *conv) {
	t.Helper()
	dl := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(dl.Close)
	h := newHarness(t, harnessOpts{auth: true, now: func() time.Time { return qNow }})
	c := &conv{t: t, h: h}
	acceptedPlan(t, c)
	h.srv.Handler = bot.Conversation{Engagements: h.db, Refs: h.db, Drafts: h.db, Now: func() time.Time { return qNow },
		Files: &download.Client{Local: true}}
	return dl, h, c
}
