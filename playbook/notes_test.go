package playbook

import (
	"strings"
	"testing"
	"time"
)

func TestNotes(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	for i, id := range []string{idMVM, idMST, idFRP} {
		n, err := AddNote(e, id, "  batch 3 moved\nto Friday ", t0.Add(time.Duration(i)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if n.Text != "batch 3 moved\nto Friday" || n.By != id {
			t.Errorf("note = %+v", n)
		}
	}
	got := Notes(e, 2)
	if len(got) != 2 || got[0].By != idFRP || got[1].By != idMST || !got[0].At.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("Notes = %+v", got)
	}
	if len(Notes(e, 0)) != 3 {
		t.Error("Notes(0) is not all")
	}
	for _, tt := range []struct {
		name, actor, text, code, want string
	}{
		{"customer", idCustomer, "hi", EFORBIDDEN, "Only the MVM, the MST or the FRP can write status notes"},
		{"stranger", idStranger, "hi", EFORBIDDEN, "not a member"},
		{"empty", idMVM, " \n ", EINVALID, "Write the note"},
		{"long", idMVM, strings.Repeat("x", MaxReasonLen+1), EINVALID, "at most 2000 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Clone()
			_, err := AddNote(e, tt.actor, tt.text, t0)
			wantErr(t, err, tt.code, tt.want)
			refusalUnchanged(t, before, e)
		})
	}
}
