package playbook

import (
	"slices"
	"testing"
)

// TestHistoryApart: the history as a store keeps it apart. StoredForm
// drops the entries and counts them; HistoryFrom gives the entries a store
// holding n lacks, and refuses a copy that does not reach back to n;
// PrependHistory puts older entries back; Kept copies the entries
// decisions read, as they are added and from a whole history.
func TestHistoryApart(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	for _, text := range []string{"one", "two", "three"} {
		_, err := AddNote(e, idFRP, text, t0)
		mustOK(t, err)
	}
	e.audit(t0, idFRP, ActionOverride, "events", "event 1 started early")
	whole := slices.Clone(e.History)
	if len(e.Kept) != 1 || e.Kept[0].Action != ActionOverride {
		t.Fatalf("Kept = %+v, want the override", e.Kept)
	}

	stored := e.StoredForm()
	if stored.History != nil || stored.HistoryBase != len(whole) || stored.HistoryLen() != len(whole) || len(e.History) != len(whole) {
		t.Fatalf("StoredForm: %d entries, base %d; the original keeps %d", len(stored.History), stored.HistoryBase, len(e.History))
	}
	_, err := AddNote(stored, idFRP, "after", t0)
	mustOK(t, err)
	added, err := stored.HistoryFrom(len(whole))
	if err != nil || len(added) != 1 || added[0].Detail != "after" {
		t.Fatalf("HistoryFrom(stored) = %+v, %v; want the one note", added, err)
	}
	if _, err := stored.HistoryFrom(len(whole) - 1); err == nil {
		t.Error("HistoryFrom before the copy's first entry: no error")
	}
	if _, err := stored.HistoryFrom(len(whole) + 2); err == nil {
		t.Error("HistoryFrom past the copy's last entry: no error")
	}

	stored.PrependHistory(whole[2:])
	if stored.HistoryBase != 2 || len(stored.History) != len(whole)-1 || stored.History[0] != whole[2] {
		t.Fatalf("PrependHistory: base %d, %d entries", stored.HistoryBase, len(stored.History))
	}
	if o := Overrides(stored); len(o) != 1 {
		t.Errorf("Overrides from Kept = %+v", o)
	}

	old := &Engagement{History: whole}
	old.KeepFromHistory()
	if !slices.Equal(old.Kept, e.Kept) {
		t.Errorf("KeepFromHistory = %+v, want %+v", old.Kept, e.Kept)
	}
}
