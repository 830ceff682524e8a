package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/playbook"
)

// KindSend is the job kind of every post to the Bot Connector. Stored jobs
// carry it, so it is never renamed.
const KindSend = "connector.send"

// sendArgs is what a KindSend job sends.
type sendArgs struct {
	Op             string // reply, send, update
	ServiceURL     string
	ConversationID string
	ActivityID     string // replied to (reply) or replaced (update)
	TenantID       string
	Proactive      bool
	Activity       Outgoing
}

// sendRecord is the stored form of sendArgs. The activity is kept as the
// JSON it will be posted as, so the worker sends it without decoding and
// encoding it again (a card is most of a job's bytes).
type sendRecord struct {
	Op             string          `json:"op"`
	ServiceURL     string          `json:"serviceUrl"`
	ConversationID string          `json:"conversationId"`
	ActivityID     string          `json:"activityId,omitempty"`
	TenantID       string          `json:"tenantId,omitempty"`
	Proactive      bool            `json:"proactive,omitempty"`
	Activity       json.RawMessage `json:"activity"`
}

func sendJob(key string, a sendArgs) (playbook.Job, error) {
	if a.Op == "reply" {
		a.Activity.ReplyToID = a.ActivityID
	}
	act, err := a.Activity.Marshal()
	if err != nil {
		return playbook.Job{}, fmt.Errorf("encode send job: %w", err)
	}
	j, err := newJob(sendRecord{
		Op: a.Op, ServiceURL: a.ServiceURL, ConversationID: a.ConversationID, ActivityID: a.ActivityID,
		TenantID: a.TenantID, Proactive: a.Proactive, Activity: act,
	})
	j.Key = key
	return j, err
}

// sender is the KindSend worker.
type sender struct {
	connector *botframework.Connector
	limits    *botframework.RateLimiter
}

func (s *sender) work(ctx context.Context, j playbook.Job) error { return Work(s.send)(ctx, j) }

func (s *sender) send(ctx context.Context, _ playbook.Job, a sendRecord) error {
	if a.Proactive && s.limits != nil {
		if err := s.limits.Wait(ctx, a.TenantID, a.ConversationID); err != nil {
			return err
		}
	}
	var err error
	switch a.Op {
	case "reply":
		err = s.connector.PostRaw(ctx, "reply", http.MethodPost, a.ServiceURL, botframework.ActivityPath(a.ConversationID, a.ActivityID), a.Activity)
	case "send":
		err = s.connector.PostRaw(ctx, "send", http.MethodPost, a.ServiceURL, botframework.ActivityPath(a.ConversationID, ""), a.Activity)
	case "update":
		err = s.connector.PostRaw(ctx, "update", http.MethodPut, a.ServiceURL, botframework.ActivityPath(a.ConversationID, a.ActivityID), a.Activity)
	default:
		return Permanent(fmt.Errorf("unknown send op %q", a.Op))
	}
	if err == nil {
		return nil
	}
	var cerr *botframework.ConnectorError
	if errors.As(err, &cerr) {
		if !cerr.Temporary() {
			return Permanent(err)
		}
		if cerr.RetryAfter > 0 {
			return Snooze(cerr.RetryAfter)
		}
	}
	return err
}

// Kind is the stored name of the send job, never renamed.
func (sendRecord) Kind() string { return KindSend }

// AddSendWorker registers the KindSend worker: posts to the Bot Connector,
// proactive ones paced by limits (nil: not paced).
func AddSendWorker(ws Workers, connector *botframework.Connector, limits *botframework.RateLimiter) {
	s := &sender{connector: connector, limits: limits}
	AddWorker(ws, s.send)
}
