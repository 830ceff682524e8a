package cards_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteEveryCard writes every card of everyCard, one JSON file each, to
// the folder named by MVMBOT_CARDS_OUT, for scripts/cardcheck to render in
// Microsoft's renderer at Teams' widths (a schema cannot see a cut button).
// Without the variable it does nothing.
func TestWriteEveryCard(t *testing.T) {
	dir := os.Getenv("MVMBOT_CARDS_OUT")
	if dir == "" {
		t.Skip("MVMBOT_CARDS_OUT not set: scripts/cardcheck sets it")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, card := range everyCard(t) {
		raw, err := json.MarshalIndent(card, "", " ")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fileName(name)+".json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fileName turns a card's name ("next, MST big") into a file name
// ("next-mst-big").
func fileName(name string) string {
	f := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	return strings.Join(f, "-")
}
