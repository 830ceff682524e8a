package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/identity"
)

// graphClients are what the bot does through Microsoft Graph, nil for what
// it does without: the workshops' Teams meetings and the collaboration
// site with its issue tracker.
type graphClients struct {
	workshops bot.Workshops
	sites     bot.SiteGraph
}

// newGraph builds the one Graph client when the bot has an app id
// (MicrosoftAppId), with the app's credential and the Graph scope derived
// from GRAPH_BASE_URL. Workshops go through it when an organizer mailbox is
// set too (MVMBOT_ORGANIZER); otherwise they are recorded and offered as
// .ics invitations. In local mode Graph is never called: the issue tracker
// is kept in mvmbot.
func newGraph(cfg config, log *slog.Logger) (graphClients, error) {
	if cfg.localMode() {
		log.Info("without Microsoft Graph: workshops get an .ics invitation, the issue tracker is kept in mvmbot", "reason", "MicrosoftAppId not set")
		return graphClients{}, nil
	}
	cred, err := identity.Credential(cfg.identity())
	if err != nil {
		return graphClients{}, fmt.Errorf("graph credential: %w", err)
	}
	g, err := graph.New(graph.Config{BaseURL: cfg.GraphBaseURL, Credential: cred, Organizer: cfg.Organizer, Logger: log})
	if err != nil {
		return graphClients{}, fmt.Errorf("graph client: %w", err)
	}
	out := graphClients{sites: g}
	if cfg.Organizer == "" {
		log.Info("workshops without Graph: recorded with an .ics invitation", "reason", "MVMBOT_ORGANIZER not set")
	} else {
		out.workshops = g
		log.Info("workshops through Microsoft Graph", "organizer", cfg.Organizer, "graph", cfg.GraphBaseURL)
	}
	return out, nil
}

var (
	_ bot.Workshops = (*graph.Client)(nil)
	_ bot.SiteGraph = (*graph.Client)(nil)
)

// workshopReconcile is how often every engagement's workshop jobs are
// queued again. The turn that changes a workshop queues its jobs itself;
// this is the safety net (and queues reminders after a restore).
const workshopReconcile = time.Minute
