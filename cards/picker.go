package cards

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// VerbPick runs data.command for data.engagement: the engagement picker's
// buttons. Stored in cards: never rename it.
const VerbPick = "pick"

// MaxPickCommand bounds the command a picker button carries (a typed
// command is short; this keeps a crafted card from carrying a page).
const MaxPickCommand = 500

// Picker asks which engagement a command typed in the personal chat is
// for, when the person belongs to several: one button per engagement,
// whose click runs the command there.
func Picker(command string, es []*playbook.Engagement) *Card {
	body := []Element{
		Title("Which engagement?"),
		Text(fmt.Sprintf("You belong to %d engagements. Run **%s** for:", len(es), markdown.Escape(truncate(command, 80)))),
	}
	for _, e := range es {
		body = append(body, Actions(Execute(truncate(e.Customer, 60), VerbPick, map[string]any{"engagement": e.ID, "command": command})))
	}
	body = append(body, Subtle("In the engagement's channel or group chat the command needs no choice."))
	return New(body...)
}

// DecodePick returns the command a picker button carries. Returns EINVALID
// for data without one, or one too long.
func DecodePick(raw json.RawMessage) (string, error) {
	var d struct {
		Command string `json:"command"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || strings.TrimSpace(d.Command) == "" || len(d.Command) > MaxPickCommand {
		return "", playbook.Errorf(playbook.EINVALID, "This button does not say which command to run, so nothing was done. Type the command again.")
	}
	return strings.TrimSpace(d.Command), nil
}

// VerbFileMembers imports an attached batch file into the event a button
// names (data: engagement, event, url, file, kind). Stored in cards: never
// rename it.
const VerbFileMembers = "fileMembers"

// FileEvent is one event an attached batch file may go to.
type FileEvent struct {
	Engagement *playbook.Engagement
	Event      playbook.Event
}

// FileEvents asks which event an attached batch file (name, with n units
// of kind) is for: one button per event the person may give members to.
// url is the file's download address, read again on the click.
func FileEvents(name string, n int, kind playbook.BatchKind, url string, events []FileEvent) *Card {
	intro := fmt.Sprintf("**%s** lists %s. Import them as the members of:", markdown.Escape(truncate(name, 120)), Plural(n, string(kind)))
	return fileEvents(intro, VerbFileMembers, map[string]any{"url": url, "file": truncate(name, 200), "kind": string(kind)}, events, true)
}

// VerbFileStatus imports an attached status file (a migration status
// export or a migration report) as the status of the event a button names
// (data: engagement, event, url, file). Stored in cards: never rename it.
const VerbFileStatus = "fileStatus"

// FileStatusEvents asks which running or completed event an attached
// status file (name, read as report, with n units) is for.
func FileStatusEvents(name, report string, n int, url string, events []FileEvent) *Card {
	intro := fmt.Sprintf("**%s** (read as %s) has the status of %s. Record it as the status of:", markdown.Escape(truncate(name, 120)), report, Plural(n, "unit"))
	return fileEvents(intro, VerbFileStatus, map[string]any{"url": url, "file": truncate(name, 200)}, events, false)
}

// fileEvents is the event picker for an attached file: one button per
// event, each carrying data plus its engagement and event.
func fileEvents(intro, verb string, data map[string]any, events []FileEvent, replaces bool) *Card {
	body := []Element{Title("Which migration event?"), Text(intro)}
	for _, fe := range events {
		title := fmt.Sprintf("%s: event %d, %s", fe.Engagement.Customer, fe.Event.N, fe.Event.Date.Format("2 Jan 2006"))
		if replaces && len(fe.Event.Members) > 0 {
			title += fmt.Sprintf(" (replaces %d)", len(fe.Event.Members))
		}
		d := map[string]any{"engagement": fe.Engagement.ID, "event": fe.Event.N}
		for k, v := range data {
			d[k] = v
		}
		body = append(body, Actions(Execute(truncate(title, 100), verb, d)))
	}
	body = append(body, Subtle("Nothing is imported until you choose. The file is read again when you click, so a click within a few minutes of attaching it works best."))
	return New(body...)
}

// FileMembersData is what a FileEvents button carries.
type FileMembersData struct {
	Event int                `json:"event"`
	URL   string             `json:"url"`
	File  string             `json:"file"`
	Kind  playbook.BatchKind `json:"kind"`
}

// DecodeFileMembers reads a FileEvents button's data; EINVALID when a
// field is missing.
func DecodeFileMembers(raw json.RawMessage) (FileMembersData, error) {
	var d FileMembersData
	if err := json.Unmarshal(raw, &d); err != nil || d.Event < 1 || d.URL == "" || (d.Kind != playbook.BatchUsers && d.Kind != playbook.BatchPaths) {
		return FileMembersData{}, playbook.Errorf(playbook.EINVALID, "This button does not say which file and event it is for, so nothing was imported. Attach the file again.")
	}
	return d, nil
}

// FileStatusData is what a FileStatusEvents button carries.
type FileStatusData struct {
	Event int    `json:"event"`
	URL   string `json:"url"`
	File  string `json:"file"`
}

// DecodeFileStatus reads a FileStatusEvents button's data; EINVALID when a
// field is missing.
func DecodeFileStatus(raw json.RawMessage) (FileStatusData, error) {
	var d FileStatusData
	if err := json.Unmarshal(raw, &d); err != nil || d.Event < 1 || d.URL == "" {
		return FileStatusData{}, playbook.Errorf(playbook.EINVALID, "This button does not say which file and event it is for, so nothing was imported. Attach the file again.")
	}
	return d, nil
}
