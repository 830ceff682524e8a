package playbook

import (
	"encoding/json"
	"time"
)

// The records below are not rules of the playbook but plain data that the
// bot and the store exchange. They live here, in the root package, so that
// neither has to import the other (the layout of STYLE.md §1): bot declares
// the store interfaces it needs in terms of these types, store implements
// them, and cmd/mvmbot wires the two together.

// ConversationRef is what the bot needs to post into a conversation later,
// without an inbound activity: Teams' serviceUrl can differ by region and
// change, so the one from the latest inbound activity is kept.
type ConversationRef struct {
	// Key identifies the conversation for the bot: the Teams channel id for a
	// channel (each post in a channel is its own conversation id), else the
	// conversation id.
	Key            string    `json:"key"`
	ServiceURL     string    `json:"serviceUrl"`
	ChannelID      string    `json:"channelId"`
	ConversationID string    `json:"conversationId"`
	Type           string    `json:"conversationType,omitempty"` // personal, groupChat, channel
	TenantID       string    `json:"tenantId,omitempty"`
	BotID          string    `json:"botId,omitempty"`
	BotName        string    `json:"botName,omitempty"`
	TeamsChannelID string    `json:"teamsChannelId,omitempty"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// Job is a unit of durable background work: an outbound post, a Graph call, a
// reminder. Kind names the worker and is never renamed once stored; Args is
// the worker's JSON input.
type Job struct {
	ID          uint64          `json:"id"` // assigned by the store; 0 before
	Kind        string          `json:"kind"`
	Key         string          `json:"key,omitempty"` // unique while the job exists; "" for none
	Args        json.RawMessage `json:"args"`
	RunAt       time.Time       `json:"runAt"`
	Attempt     int             `json:"attempt"`     // attempts made so far
	MaxAttempts int             `json:"maxAttempts"` // 0 means the store's default
	LastError   string          `json:"lastError,omitempty"`
	CreatedAt   time.Time       `json:"createdAt"`
	LeaseUntil  time.Time       `json:"leaseUntil,omitempty"`
}

// Result is what the bot answered an inbound activity with, kept so that a
// redelivered activity gets the same answer and no second effect.
type Result struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
	At     time.Time       `json:"at"`
}

// Turn is everything handling one inbound activity changes, committed in one
// transaction: the activity is recorded as processed, the conversation
// reference refreshed, the engagement it changed saved, and the outbound
// jobs enqueued (an outbox), or none of it happens.
type Turn struct {
	DedupKey string           // "" when the activity needs no dedup record
	Result   Result           // stored under DedupKey
	Ref      *ConversationRef // nil: leave references alone
	Jobs     []Job

	// Engagement, when not nil, is saved whole (optimistic concurrency):
	// the stored engagement with its ID must have Version ExpectVersion (0:
	// there must be none), and Engagement.Version must be ExpectVersion+1,
	// the version it is saved with. A stored version that differs makes
	// the whole turn fail with ECONFLICT, so that the caller can handle the
	// activity again on the fresh state; so does binding a conversation
	// that an open engagement of another ID is bound to.
	Engagement    *Engagement
	ExpectVersion int

	// Background is set when no request waits on the commit (the record
	// of an activity already answered): the store may then hold it a few
	// milliseconds, to share one commit with others.
	Background bool
}
