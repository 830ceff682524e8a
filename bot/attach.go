package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/download"
	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Files attached in the personal chat. Teams puts a file a person sends the
// bot in their OneDrive and gives the bot its pre-authenticated downloadUrl
// (content type application/vnd.microsoft.teams.file.download.info; only
// in the personal chat, and only with the manifest's supportsFiles: Microsoft
// Learn, "Send and receive files using bot"). The file is read and handed
// to the first route that reads its kind: a batch file (mvmbot's members
// CSV, Microsoft's IMAP migration CSV, the SPMT/Migration Manager file-share
// CSV) becomes an event's members, after the person picks the event.

// fileDownloadInfo is the attachment content type of a file sent to the bot.
const fileDownloadInfo = "application/vnd.microsoft.teams.file.download.info"

// Files fetches an attached file (internal/download.Client): only from
// Teams' file storage (loopback in local mode), bounded in size and time.
type Files interface {
	Get(ctx context.Context, url string) ([]byte, error)
}

// attachButtons are the buttons of this file's cards (see Button).
var attachButtons = []Button{
	{Verbs: []string{cards.VerbFileMembers}, Run: (*turn).fileMembers},
	{Verbs: []string{cards.VerbFileStatus}, Run: (*turn).fileStatus},
}

// attachedFile is a file a message carries.
type attachedFile struct {
	Name string
	URL  string // downloadUrl: carries a token, never logged or shown
}

// attachment returns the file the activity carries, if any.
func (t *turn) attachment() (attachedFile, bool) {
	for _, a := range t.a.Attachments {
		if a.ContentType != fileDownloadInfo {
			continue
		}
		c, _ := a.Content.(map[string]any)
		u, _ := c["downloadUrl"].(string)
		if u == "" {
			continue
		}
		return attachedFile{Name: a.Name, URL: u}, true
	}
	return attachedFile{}, false
}

// fileRoute is one kind of file the bot reads.
type fileRoute interface {
	// Answer reads the file for the person (asking what it is for, or
	// saying what is wrong with it); ok is false, and nothing else is
	// done, when data is not this route's kind of file. One parse serves
	// both: a file may be 16 MB.
	Answer(t *turn, f attachedFile, data []byte) (a answer, ok bool, err error)
}

// fileRoutes are tried in order: a status file first, because a batch
// file's columns never make a status layout, while a status export with
// an EmailAddress column could pass for a batch.
var fileRoutes = []fileRoute{statusFile{}, membersFile{}}

// fileAttached answers a message that carries a file.
func (t *turn) fileAttached(f attachedFile) (answer, error) {
	name := markdown.Escape(f.Name)
	if !t.personal() {
		return answer{text: "I read attached files only in our personal chat (Teams gives bots files only there): attach **" + name + "** there."}, nil
	}
	if t.c.Files == nil {
		return answer{text: "This bot is not set up to read attached files. Paste the rows in the event's card instead (**events**)."}, nil
	}
	data, err := t.c.Files.Get(t.ctx, f.URL)
	if err != nil {
		return answer{text: fmt.Sprintf("I could not download **%s** (%s). Attach it again, or paste its rows in the event's card (**events**).", name, downloadProblem(err))}, nil
	}
	for _, r := range fileRoutes {
		if a, ok, err := r.Answer(t, f, data); ok || err != nil {
			return a, err
		}
	}
	return answer{text: fmt.Sprintf("**%s** is not a file I read. I read an event's batch: mvmbot's CSV (a **user** or **path** column, and optionally **target**), Microsoft's IMAP migration CSV (EmailAddress, UserName) or the SPMT/Migration Manager file-share CSV; and an event's status: Get-MigrationUser or Get-MigrationUserStatistics exported with Export-Csv, or an SPMT or Migration Manager report.", name)}, nil
}

// downloadProblem says in words why a download failed, without the URL.
func downloadProblem(err error) string {
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, download.ErrTooLarge):
		return fmt.Sprintf("it is larger than %d MB", playbook.MaxBatchCSVBytes>>20)
	case errors.Is(err, download.ErrRefused):
		return "it is not stored where Teams keeps files"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return "it took too long"
	}
	return "the download failed"
}

// membersFile is the batch-file route: an event's members.
type membersFile struct{}

// batchKindOf returns the kind data parses as (users first), "" when it is
// no batch file; rowErrs are its bad rows when it is one.
func batchKindOf(data []byte) (playbook.BatchFile, []playbook.RowError, error) {
	var first error
	for _, k := range []playbook.BatchKind{playbook.BatchUsers, playbook.BatchPaths} {
		f, rowErrs, err := playbook.ParseBatchFile(data, k)
		if err == nil || len(rowErrs) > 0 {
			f.Kind = k
			return f, rowErrs, err
		}
		if first == nil {
			first = err
		}
	}
	return playbook.BatchFile{}, nil, first
}

// Answer checks the whole file (nothing is imported while a row is bad)
// and asks which event it is for: the open events of the person's
// engagements where they may set members.
func (membersFile) Answer(t *turn, f attachedFile, data []byte) (answer, bool, error) {
	name := markdown.Escape(f.Name)
	bf, rowErrs, err := batchKindOf(data)
	switch {
	case len(rowErrs) > 0:
		return badRows(name, rowErrs), true, nil
	case err != nil:
		return answer{}, false, nil // not a batch file
	}
	choices, err := t.fileEventChoices(playbook.ActionEventMembers, func(ev playbook.Event) bool { return !ev.State.Terminal() })
	if err != nil {
		return answer{}, true, err
	}
	if len(choices) == 0 {
		return answer{text: fmt.Sprintf("**%s** lists %s, but there is no open migration event you can give members to (the MVM does, the MST without one, once a plan is accepted).", name, cards.Plural(len(bf.Members), string(bf.Kind)))}, true, nil
	}
	return answer{card: cards.FileEvents(f.Name, len(bf.Members), bf.Kind, f.URL, choices)}, true, nil
}

// fileEventChoices are the events of the person's engagements where they
// may take action and that keep accepts, at most maxFileEvents.
func (t *turn) fileEventChoices(action playbook.Action, keep func(playbook.Event) bool) ([]cards.FileEvent, error) {
	if err := t.needStore(); err != nil {
		return nil, err
	}
	es, err := t.mine()
	if err != nil {
		return nil, err
	}
	var choices []cards.FileEvent
	for _, e := range es {
		if playbook.Can(e, t.a.From.ID, action, nil) != nil {
			continue
		}
		for _, ev := range e.Events {
			if keep(ev) && len(choices) < maxFileEvents {
				choices = append(choices, cards.FileEvent{Engagement: e, Event: ev})
			}
		}
	}
	return choices, nil
}

// statusFile is the status route: a migration status export or report,
// recorded as an event's per-unit status.
type statusFile struct{}

// Answer checks the whole file (nothing is recorded while a row is bad)
// and asks which running or completed event it is the status of.
func (statusFile) Answer(t *turn, f attachedFile, data []byte) (answer, bool, error) {
	name := markdown.Escape(f.Name)
	rows, report, rowErrs, err := playbook.ParseStatusReport(data)
	switch {
	case len(rowErrs) > 0:
		return badRows(name, rowErrs), true, nil
	case err != nil:
		return answer{}, false, nil // not a status file
	}
	choices, err := t.fileEventChoices(playbook.ActionEventStatus, func(ev playbook.Event) bool {
		return ev.State == playbook.EventRunning || ev.State == playbook.EventCompleted
	})
	if err != nil {
		return answer{}, true, err
	}
	if len(choices) == 0 {
		return answer{text: fmt.Sprintf("**%s** has the status of %s, but none of your engagements has a running or completed migration event you may record status for (the MVM or the MST).", name, cards.Plural(len(rows), "unit"))}, true, nil
	}
	return answer{card: cards.FileStatusEvents(f.Name, string(report), len(rows), f.URL, choices)}, true, nil
}

// fileStatus records the attached status file as the status of the event
// the button names: read again and checked whole, as when attached.
func (t *turn) fileStatus(_ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	fd, err := cards.DecodeFileStatus(raw)
	if err != nil {
		return answer{}, err
	}
	e, data, refused, err := t.refetch(d, playbook.ActionEventStatus, fd.URL, fd.File)
	if err != nil || refused != nil {
		return answerOf(refused), err
	}
	return t.importStatus(e, fd.Event, fd.File, data)
}

// refetch is a file button's start: the engagement it names, where the
// person must be allowed action, and the file downloaded again. refused is
// the answer when the file cannot be had; nothing is changed then.
func (t *turn) refetch(d cards.ActionData, action playbook.Action, url, file string) (e *playbook.Engagement, data []byte, refused *answer, err error) {
	if e, err = t.target(d); err != nil {
		return nil, nil, nil, err
	}
	if err := playbook.Can(e, t.a.From.ID, action, nil); err != nil {
		return nil, nil, nil, err
	}
	if t.c.Files == nil {
		return nil, nil, &answer{text: "This bot is not set up to read attached files."}, nil
	}
	if data, err = t.c.Files.Get(t.ctx, url); err != nil {
		return nil, nil, &answer{text: fmt.Sprintf("I could not download **%s** again (%s), so nothing was imported. Attach it again.", markdown.Escape(file), downloadProblem(err))}, nil
	}
	return e, data, nil, nil
}

// answerOf is *a, or no answer for nil.
func answerOf(a *answer) answer {
	if a == nil {
		return answer{}
	}
	return *a
}

// maxFileEvents bounds the event picker's buttons: a card stays small.
const maxFileEvents = 30

// fileMembers imports the attached file into the event the button names:
// read again, checked whole as when attached, and set through
// playbook.SetEventMembers (which says who may).
func (t *turn) fileMembers(_ string, d cards.ActionData, raw json.RawMessage) (answer, error) {
	fd, err := cards.DecodeFileMembers(raw)
	if err != nil {
		return answer{}, err
	}
	e, data, refused, err := t.refetch(d, playbook.ActionEventMembers, fd.URL, fd.File)
	if err != nil || refused != nil {
		return answerOf(refused), err
	}
	name := markdown.Escape(fd.File)
	bf, rowErrs, err := playbook.ParseBatchFile(data, fd.Kind)
	switch {
	case len(rowErrs) > 0:
		return badRows(name, rowErrs), nil
	case err != nil:
		if !personError(err) {
			return answer{}, err
		}
		return answer{text: fmt.Sprintf("Nothing was imported from **%s**: %s", name, playbook.ErrorMessage(err))}, nil
	}
	if err := playbook.SetEventMembers(e, t.a.From.ID, fd.Event, fd.Kind, bf.Members, t.now); err != nil {
		return answer{}, err
	}
	bump(e)
	notice := fmt.Sprintf("%s set the members of event %d from %s: %s.", displayName(t.me()), fd.Event, markdown.Escape(fd.File), cards.Plural(len(bf.Members), string(fd.Kind)))
	if n := bf.Notice(); n != "" {
		notice += " " + n
	}
	return save(e, answer{card: t.eventsCard(e, notice, false)}), nil
}

// badRows is the answer to a batch file with bad rows: nothing imported,
// each bad row a paragraph.
func badRows(name string, rowErrs []playbook.RowError) answer {
	return answer{text: fmt.Sprintf("Nothing was imported from **%s**: fix these rows and attach it again.\n\n%s", name,
		playbook.RowErrorsText(rowErrs, maxRowErrors))}
}
