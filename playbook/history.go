package playbook

import (
	"fmt"
	"slices"
)

// The history kept apart. An engagement's history only grows, and with
// months of notes it dwarfs the rest of the record; a store keeps it in
// its own records and reads an engagement without it (see
// Engagement.History). What the playbook's decisions read from the history
// is copied into Engagement.Kept as it is added, so no decision needs the
// stored history; the readers of the whole history (the history card, the
// weekly report, a workshop's calendar entry) load it.

// keptActions are the actions whose entries Engagement.Kept copies: the
// overrides (status and the report list them) and the questionnaire's
// submissions and reviews (ReviewOf).
var keptActions = []Action{ActionOverride, ActionSubmitQuestionnaire, ActionValidateQuestionnaire, ActionRequestChanges}

// appendHistory adds entry a to the history, and to Kept when later
// decisions read it.
func (e *Engagement) appendHistory(a AuditEntry) {
	e.History = append(e.History, a)
	if slices.Contains(keptActions, a.Action) {
		e.Kept = append(e.Kept, a)
	}
}

// HistoryLen is the number of entries in e's whole history: those before
// e.History and those in it.
func (e *Engagement) HistoryLen() int {
	return e.HistoryBase + len(e.History)
}

// HistoryFrom returns the entries of e's whole history from number n on,
// the ones a store holding the first n has not got. It fails when e.History
// starts after n: e was not read from that store's state.
func (e *Engagement) HistoryFrom(n int) ([]AuditEntry, error) {
	if n < e.HistoryBase || n > e.HistoryLen() {
		return nil, fmt.Errorf("history of engagement %s: %d entries are stored, and this copy holds entries %d to %d", e.ID, n, e.HistoryBase, e.HistoryLen())
	}
	return e.History[n-e.HistoryBase:], nil
}

// PrependHistory puts older, entries HistoryBase-len(older) to HistoryBase
// of the whole history as a store read them, before e.History.
func (e *Engagement) PrependHistory(older []AuditEntry) {
	if len(older) == 0 {
		return
	}
	n := min(len(older), e.HistoryBase)
	e.History = append(slices.Clone(older[len(older)-n:]), e.History...)
	e.HistoryBase -= n
}

// StoredForm returns a shallow copy of e as a store keeps it apart from its
// history, its events' batches, its questionnaire versions and its issues:
// History empty and HistoryBase its whole length, no event with Members or
// Outcomes (see Batches), no Questionnaire and no Issues (parts_apart.go).
func (e *Engagement) StoredForm() *Engagement {
	c := *e
	c.HistoryBase = e.HistoryLen()
	c.History = nil
	c.withoutBatches()
	c.Questionnaire, c.Issues = nil, nil // kept apart too (parts_apart.go)
	return &c
}

// KeepFromHistory fills e.Kept from e.History, which must be whole: for a
// store moving records written before Kept existed out of their history.
func (e *Engagement) KeepFromHistory() {
	if e.HistoryBase != 0 {
		return
	}
	e.Kept = nil
	for _, a := range e.History {
		if slices.Contains(keptActions, a.Action) {
			e.Kept = append(e.Kept, a)
		}
	}
}
