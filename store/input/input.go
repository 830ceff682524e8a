// Package input holds the rules both store backends apply to what they are
// given, before any transaction: the bbolt store (package store) and the
// PostgreSQL one (package pgstore) refuse the same records with the same
// sentences, and store/storetest holds both to them.
package input

import (
	"encoding/json"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// Turn checks a turn's reference, result, jobs and engagement (see the
// functions below): EINVALID with a sentence for the first that is wrong.
func Turn(t playbook.Turn) error {
	if t.Ref != nil {
		if err := Ref(*t.Ref); err != nil {
			return err
		}
	}
	if t.Result.Status < 0 || t.Result.Status > 999 {
		return playbook.Errorf(playbook.EINVALID, "The result status %d is not an HTTP status.", t.Result.Status)
	}
	if len(t.Result.Body) > 0 && !json.Valid(t.Result.Body) {
		return playbook.Errorf(playbook.EINVALID, "The result body is not valid JSON.")
	}
	if err := Jobs(t.Jobs); err != nil {
		return err
	}
	if t.Engagement != nil {
		return Engagement(t.Engagement, t.ExpectVersion)
	}
	return nil
}

// Ref checks a conversation reference: it needs a key.
func Ref(ref playbook.ConversationRef) error {
	if ref.Key == "" {
		return playbook.Errorf(playbook.EINVALID, "A conversation reference needs a key.")
	}
	return nil
}

// Jobs checks jobs to queue: each has a kind, arguments that are JSON,
// and no negative maximum of attempts.
func Jobs(jobs []playbook.Job) error {
	for i, j := range jobs {
		switch {
		case j.Kind == "":
			return playbook.Errorf(playbook.EINVALID, "Job %d has no kind.", i)
		case len(j.Args) > 0 && !json.Valid(j.Args):
			return playbook.Errorf(playbook.EINVALID, "Job %d has arguments that are not valid JSON.", i)
		case j.MaxAttempts < 0:
			return playbook.Errorf(playbook.EINVALID, "Job %d has a negative maximum of attempts.", i)
		}
	}
	return nil
}

// Engagement checks an engagement saved over version expect: it has an
// ID, its Version is expect+1, and every member has an id without a NUL
// byte (the bbolt store's index keys separate ids with one).
func Engagement(e *playbook.Engagement, expect int) error {
	switch {
	case strings.TrimSpace(e.ID) == "":
		return playbook.Errorf(playbook.EINVALID, "An engagement needs an ID.")
	case expect < 0:
		return playbook.Errorf(playbook.EINVALID, "ExpectVersion %d is negative.", expect)
	case e.Version != expect+1:
		return playbook.Errorf(playbook.EINVALID, "Engagement %s is saved as version %d, so its Version must be %d, not %d.", e.ID, expect+1, expect+1, e.Version)
	}
	for _, m := range e.Members {
		if m.ID == "" || strings.IndexByte(m.ID, 0) >= 0 {
			return playbook.Errorf(playbook.EINVALID, "Engagement %s has a member without a valid id.", e.ID)
		}
	}
	return nil
}
