package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/mvmbot/mvmbot/bot"
	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/identity"
)

// newWorkshops is the Graph client workshops are scheduled through: built
// when the bot has an app id (MicrosoftAppId) and an organizer mailbox
// (MVMBOT_ORGANIZER), with the app's credential and the Graph scope derived
// from GRAPH_BASE_URL. Otherwise it returns nil, local mode: workshops are
// recorded and offered as .ics invitations, and Graph is never called.
func newWorkshops(cfg config, log *slog.Logger) (bot.Workshops, error) {
	if cfg.localMode() || cfg.Organizer == "" {
		log.Info("workshops without Graph: recorded with an .ics invitation", "reason", "MicrosoftAppId or MVMBOT_ORGANIZER not set")
		return nil, nil
	}
	cred, err := identity.Credential(cfg.identity())
	if err != nil {
		return nil, fmt.Errorf("graph credential: %w", err)
	}
	g, err := graph.New(graph.Config{BaseURL: cfg.GraphBaseURL, Credential: cred, Organizer: cfg.Organizer, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("graph client: %w", err)
	}
	log.Info("workshops through Microsoft Graph", "organizer", cfg.Organizer, "graph", cfg.GraphBaseURL)
	return g, nil
}

var _ bot.Workshops = (*graph.Client)(nil)

// workshopReconcile is how often the workshop jobs are queued: a picked
// slot waits at most this long for its meeting to be created.
const workshopReconcile = 5 * time.Second
