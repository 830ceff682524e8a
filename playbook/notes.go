package playbook

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ActionNote names a status note in the history. Stored: never rename it.
const ActionNote Action = "note"

// Note is a dated status note: an entry of the audit history, which is
// where notes live (they are never edited nor removed).
type Note struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"` // member id
	Text string    `json:"text"`
}

// AddNote records a status note by actorID (the MVM, the MST or the FRP) in
// the history, and returns it. Line breaks are kept, surrounding space is
// trimmed. Returns ECONFLICT when e is closed; EFORBIDDEN for other roles;
// EINVALID for an empty note or one longer than MaxReasonLen bytes.
func AddNote(e *Engagement, actorID, text string, now time.Time) (Note, error) {
	if err := e.checkOpen(); err != nil {
		return Note{}, err
	}
	if err := Can(e, actorID, ActionNote, nil); err != nil {
		return Note{}, err
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return Note{}, Errorf(EINVALID, "Write the note after the command: note <text>.")
	case len(text) > MaxReasonLen || !utf8.ValidString(text):
		return Note{}, Errorf(EINVALID, "A note is at most %d characters of text; this one has %d.", MaxReasonLen, len(text))
	}
	e.audit(now, actorID, ActionNote, "", text)
	return Note{At: now.UTC(), By: actorID, Text: text}, nil
}

// Notes returns e's status notes, newest first, at most limit of them (all
// when limit <= 0), from e.History: a store reads an engagement without its
// history, so load it first (see Engagement.History).
func Notes(e *Engagement, limit int) []Note {
	var out []Note
	for i := len(e.History) - 1; i >= 0; i-- {
		h := e.History[i]
		if h.Action != ActionNote {
			continue
		}
		out = append(out, Note{At: h.At, By: h.Actor, Text: h.Detail})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}
