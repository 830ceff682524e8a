package bot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteEveryCard writes the cards only the bot builds whole (the help
// card with the real command table) to MVMBOT_CARDS_OUT, beside the cards
// package's, for scripts/cardcheck. Without the variable it does nothing.
func TestWriteEveryCard(t *testing.T) {
	dir := os.Getenv("MVMBOT_CARDS_OUT")
	if dir == "" {
		t.Skip("MVMBOT_CARDS_OUT not set: scripts/cardcheck sets it")
	}
	raw, err := json.MarshalIndent(theRegistry().helpCard("Contoso Onboarding"), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "help-bot-commands.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
