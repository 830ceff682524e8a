package bot

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/infracloudio/msbotbuilder-go/schema"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// ReportSource reads the engagement a feed request names.
type ReportSource interface {
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	// HistoryReader reads the history the report's notes come from.
	HistoryReader
}

// ServeReport is the read-only reporting feed for Power BI's Web connector:
// GET /api/reports/{engagement}.json (the weekly report's figures) or .csv
// (events, units, issues and tasks), with the engagement's feed key as
// ?key= or "Authorization: Bearer". A wrong, revoked or missing key and an
// unknown engagement get the same 401, so neither keys nor ids can be
// probed.
func (s *Server) ServeReport(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	id, format, ok := strings.Cut(file, ".")
	if !ok || (format != "json" && format != "csv") || id == "" {
		writeError(w, http.StatusNotFound, "NotFound", "use /api/reports/<engagement id>.json or .csv")
		return
	}
	key := r.URL.Query().Get("key")
	if h := r.Header.Get("Authorization"); key == "" && strings.HasPrefix(h, "Bearer ") {
		key = strings.TrimPrefix(h, "Bearer ")
	}
	var e *playbook.Engagement
	if s.Reports != nil {
		e, _ = s.Reports.Engagement(r.Context(), id)
	}
	if !playbook.FeedKeyValid(e, key) {
		s.log().Warn("reporting feed refused", "engagement", id)
		w.Header().Set("WWW-Authenticate", `Bearer realm="mvmbot reports"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "a valid feed key is needed: ask the MVM")
		return
	}
	if format == "json" {
		if err := loadHistory(r.Context(), s.Reports, e, 0); err != nil {
			s.log().Error("reporting feed", "engagement", id, "err", err)
			writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(playbook.ReportCSV(e))
		return
	}
	body, err := json.Marshal(playbook.WeeklyReport(e, s.now()))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalError", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// feedCommands are the commands of this file (see Command).
var feedCommands = []Command{
	{Name: "feed", Usage: "feed [new|revoke <engagement id>]", Scopes: []string{"personal"},
		Description: "The read-only reporting feed for Power BI: create, rotate or revoke its key",
		Help: "In our personal chat only, since the key is shown once and to you alone. **feed** lists your engagements and whether their feed has a key; " +
			"**feed new <id>** makes a key (a new one replaces the old), **feed revoke <id>** closes the feed. The MVM (the MST without IMAP) may. " +
			"Power BI reads `/api/reports/<id>.json` or `.csv` with the key as `?key=` (docs/reporting.md).",
		Rank: 230,
		Run:  (*turn).feed},
}

// feed runs "feed", "feed new <id>" and "feed revoke <id>": the key of the
// read-only reporting feed (task 4008's generic customer access). Only in
// the personal chat: the key is shown once, and the channel is no place
// for it.
func (t *turn) feed(args string) (answer, error) {
	if !t.personal() {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Ask me for the reporting feed in our personal chat: its key is shown once, and to you alone.")
	}
	verb, rest := splitCommand(args)
	id := strings.TrimSpace(rest)
	if verb == "" {
		return t.feedList()
	}
	if (verb != "new" && verb != "revoke") || id == "" {
		return answer{}, playbook.Errorf(playbook.EINVALID, "Say **feed new <engagement id>** or **feed revoke <engagement id>**; **feed** lists your engagements.")
	}
	e, err := t.c.Engagements.Engagement(t.ctx, id)
	if err == nil {
		if _, member := e.Member(t.a.From.ID); !member {
			err = errNotYours
		}
	}
	if err != nil {
		// The same answer whether the engagement does not exist or is not
		// the person's: ids are not to be probed.
		return answer{}, playbook.Errorf(playbook.ENOTFOUND, "You belong to no engagement %q. Type **feed** for yours.", truncate(id, 60))
	}
	if verb == "revoke" {
		if err := playbook.RevokeFeedKey(e, t.a.From.ID, t.now); err != nil {
			return answer{}, err
		}
		bump(e)
		return save(e, answer{text: fmt.Sprintf("The %s reporting feed is closed: its key no longer works.", markdown.Escape(e.Customer))}), nil
	}
	key, err := newFeedKey()
	if err != nil {
		return answer{}, err
	}
	rotated := e.Feed != nil
	if err := playbook.SetFeedKey(e, t.a.From.ID, key, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	what := "A key for"
	if rotated {
		what = "A new key for (the old one no longer works)"
	}
	root := t.c.BaseURL
	if root == "" {
		root = "https://<your bot's host>"
	}
	secret := fmt.Sprintf("%s the %s reporting feed, shown this once: `%s`\n\n"+
		"Power BI, Get data > Web: `%s/api/reports/%s.json?key=%s` (or `.csv`). "+
		"Keep it like a password; **feed revoke %s** closes the feed, **feed new %s** replaces the key.",
		what, markdown.Escape(e.Customer), key, strings.TrimRight(root, "/"), e.ID, key, e.ID, e.ID)
	ans := save(e, answer{})
	ans.private = []Outgoing{{Type: string(schema.Message), Text: secret, TextFormat: "markdown"}}
	return ans, nil
}

func (t *turn) feedList() (answer, error) {
	es, err := t.c.Engagements.EngagementsOf(t.ctx, t.a.From.ID)
	if err != nil {
		return answer{}, err
	}
	if len(es) == 0 {
		return answer{text: "You belong to no engagement yet."}, nil
	}
	var b strings.Builder
	b.WriteString("Your engagements' reporting feeds:\n\n")
	for _, e := range es {
		state := "no key"
		if e.Feed != nil {
			state = "key made " + e.Feed.Created.Format("2 Jan 2006")
		}
		fmt.Fprintf(&b, "- **%s** (`%s`): %s\n", markdown.Escape(e.Customer), e.ID, state)
	}
	b.WriteString("\n**feed new <id>** makes a key, **feed revoke <id>** closes the feed.")
	return answer{text: b.String()}, nil
}

var errNotYours = playbook.Errorf(playbook.ENOTFOUND, "not a member")

// newFeedKey is 32 random bytes, URL-safe, so it can sit in a query string.
func newFeedKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make feed key: %w", err)
	}
	return "mvmf_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}
