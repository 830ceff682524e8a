package main

import (
	"net/http"

	"github.com/mvmbot/mvmbot/bot"
)

// routes is every HTTP route the process serves: the Bot Framework
// endpoint and health checks, the reporting feed for Power BI and the
// workshops' invitations.
func routes(srv *bot.Server, engagements bot.EngagementReader) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/messages", srv.ServeMessages)
	mux.HandleFunc("GET /healthz", srv.ServeHealth)
	mux.HandleFunc("GET /readyz", srv.ServeReady)
	mux.HandleFunc("GET /api/reports/{file}", srv.ServeReport)
	mux.HandleFunc("GET /ics/{token}", bot.ServeICS(engagements))
	return srv.Recover(mux)
}
