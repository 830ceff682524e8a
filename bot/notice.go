package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mvmbot/mvmbot/playbook"
)

// What the people hear about a failing job (docs/operations.md, "Jobs that
// fail"): once, right after the first failed attempt, that it is being
// retried and when; once when it ends in the dead letters, with what to do.
// Each goes to the conversation of the job's engagement, as a post keyed by
// the job, so an outage of any length makes at most two posts per job.

// noticeStore is what telling needs from storage.
type noticeStore interface {
	refReader
	Engagement(ctx context.Context, id string) (*playbook.Engagement, error)
	CommitTurn(ctx context.Context, t playbook.Turn) ([]playbook.Job, *playbook.Result, error)
}

// postNotice posts text to the conversation of engagement id (nothing when
// the engagement is gone), keyed so that a retried telling posts once.
func postNotice(ctx context.Context, s noticeStore, r *Runner, id, key, text string) error {
	e, err := s.Engagement(ctx, id)
	if playbook.ErrorCode(err) == playbook.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	send, err := proactivePost(ctx, s, e, key, textReply(text))
	if err != nil {
		return err
	}
	leased, _, err := s.CommitTurn(ctx, playbook.Turn{Jobs: []playbook.Job{send}})
	if err != nil {
		return err
	}
	if r != nil {
		r.Submit(leased)
	}
	return nil
}

// failureReason is a failure as one sentence for the people: the service's
// own message when it gave one, otherwise what is known.
func failureReason(err error) string {
	var snooze *snoozeError
	var hint retryHint
	switch {
	case playbook.ErrorCode(err) != playbook.EINTERNAL:
		return playbook.ErrorMessage(err)
	case errors.As(err, &snooze), errors.As(err, &hint) && hint.Retryable():
		return "Microsoft Graph is busy or unavailable."
	case errors.Is(err, context.DeadlineExceeded):
		return "Microsoft Graph did not answer in time."
	}
	return "Microsoft Graph did not answer as expected (the bot's log has the details)."
}

// internalReason is a failure on the bot's side, for jobs that do not call
// Graph.
func internalReason(err error) string {
	if playbook.ErrorCode(err) != playbook.EINTERNAL {
		return playbook.ErrorMessage(err)
	}
	return "An error on the bot's side stopped it (the bot's log has the details)."
}

// retryingText is the notice after a first failed attempt.
func retryingText(what string, n JobNotice) string {
	return fmt.Sprintf("I could not %s yet: %s\n\nI keep trying (next at %s UTC) and post here how it ends; there is nothing to do for now.",
		what, failureReason(n.Err), n.Next.UTC().Format("15:04"))
}

func noticeKey(j playbook.Job, n JobNotice) string {
	if n.Dead {
		return fmt.Sprintf("notice.dead|%d", j.ID)
	}
	return fmt.Sprintf("notice.retrying|%d", j.ID)
}

// engagementOf reads the engagement id every job of an engagement carries.
func engagementOf(j playbook.Job) (string, error) {
	var a struct {
		Engagement string `json:"engagement"`
	}
	if err := json.Unmarshal(j.Args, &a); err != nil {
		return "", fmt.Errorf("decode job %d: %w", j.ID, err)
	}
	return a.Engagement, nil
}

// isTold is whether err is a Told: the worker posted the outcome itself.
func isTold(err error) bool {
	var p *permanentError
	return errors.As(err, &p) && p.told
}
