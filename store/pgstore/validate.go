package pgstore

import (
	"encoding/json"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// The input rules are the bbolt store's (store/dedup.go, job.go,
// engagement.go), checked before any transaction; storetest holds both
// backends to them.

func validateTurn(t playbook.Turn) error {
	if t.Ref != nil {
		if err := validateRef(*t.Ref); err != nil {
			return err
		}
	}
	if t.Result.Status < 0 || t.Result.Status > 999 {
		return playbook.Errorf(playbook.EINVALID, "The result status %d is not an HTTP status.", t.Result.Status)
	}
	if len(t.Result.Body) > 0 && !json.Valid(t.Result.Body) {
		return playbook.Errorf(playbook.EINVALID, "The result body is not valid JSON.")
	}
	if err := validateJobs(t.Jobs); err != nil {
		return err
	}
	if t.Engagement != nil {
		return validateEngagement(t.Engagement, t.ExpectVersion)
	}
	return nil
}

func validateRef(ref playbook.ConversationRef) error {
	if ref.Key == "" {
		return playbook.Errorf(playbook.EINVALID, "A conversation reference needs a key.")
	}
	return nil
}

func validateJobs(jobs []playbook.Job) error {
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

func validateEngagement(e *playbook.Engagement, expect int) error {
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
