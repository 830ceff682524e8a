package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// ReportSource reads the engagement a feed request names.
type ReportSource interface {
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
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
