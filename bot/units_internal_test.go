package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// importStatus, the route for a status file attached in the personal chat,
// refuses a bad file whole, naming the file and every bad row, and a
// person who may not record status; TestStatusImportWalk covers the
// recording it shares with the events card (recordStatusFile).
func TestImportStatusRefuses(t *testing.T) {
	tr := &turn{a: &Activity{}, now: time.Now()}
	tr.a.From.ID = "someone"
	e := &playbook.Engagement{ID: "e1", Customer: "Contoso"}
	_, err := tr.importStatus(e, 1, "ItemReport.csv", []byte("Source,File name,Status\n\\\\fs\\a\\b.txt,b.txt,Teleported\n\\\\fs\\a\\c.txt,c.txt,Gone\n"))
	if msg := playbook.ErrorMessage(err); playbook.ErrorCode(err) != playbook.EINVALID || !strings.HasPrefix(msg, "ItemReport.csv: Nothing was imported: 2 rows") || !strings.Contains(msg, "line 3") {
		t.Errorf("bad file: %v", err)
	}
	_, err = tr.importStatus(e, 1, "users.csv", []byte("Identity,Status\nann@contoso.com,Synced\n"))
	if playbook.ErrorCode(err) != playbook.EFORBIDDEN || !strings.HasPrefix(playbook.ErrorMessage(err), "users.csv: ") || e.Version != 0 {
		t.Errorf("a stranger's file: %v", err)
	}
}
