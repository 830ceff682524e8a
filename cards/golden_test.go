package cards_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/internal/schema"
	"github.com/mvmbot/mvmbot/playbook"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

// goldenCards are the cards pinned byte for byte: the ones people see most
// (next steps, a questionnaire page, status, a workshop invitation, the
// weekly report), named as everyCard names them. Status and the report are
// pinned without the progress picture: it is a PNG package chart draws, and
// a diff of it cannot be reviewed.
var goldenCards = []string{"next, FRP", "workshop invitation", "report, no picture"}

// TestGolden pins representative cards to testdata/golden, so that a change
// to what people see shows up in review as a diff of the card. The files
// hold the bytes Card.MarshalJSON sends, indented (json.Indent adds only
// whitespace). Run `go test ./cards -update` after an intended change and
// review the diff.
func TestGolden(t *testing.T) {
	every := everyCard(t)
	pinned := map[string]*cards.Card{}
	for _, name := range goldenCards {
		c, ok := every[name]
		if !ok {
			t.Fatalf("no card %q in everyCard", name)
		}
		pinned[name] = c
	}
	pinned["status"] = cards.Status(sample(t), t0.AddDate(0, 2, 0), cards.Picture{})
	e := qEngagement(t, true, playbook.IMAP, playbook.Box)
	section := playbook.Sections(e)[0].ID
	pinned["questionnaire page"] = cards.QuestionnaireCard(e, section, typical(e), nil, cards.QuestionnaireOpts{Version: 7, Notice: "Draft saved."})

	for name, c := range pinned {
		t.Run(name, func(t *testing.T) {
			raw, err := c.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			golden := filepath.Join("testdata", "golden", fileName(name)+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cards -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("card differs from %s (run go test ./cards -update if intended)\ngot:\n%s", golden, got.Bytes())
			}
			if err := schema.ValidateCard(want); err != nil {
				t.Errorf("golden file itself does not validate: %v", err)
			}
		})
	}
}
