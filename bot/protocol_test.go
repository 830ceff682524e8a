package bot

import (
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/botframework"
	"github.com/mvmbot/mvmbot/internal/fakes"
)

// epoch is the time every fake clock starts at.
var epoch = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

type fakeClock = fakes.Clock

func newClock() *fakeClock { return fakes.NewClock(epoch) }

// startConnector starts a fake Bot Connector, closed at the end of the test.
func startConnector(t testing.TB) *fakes.Connector {
	t.Helper()
	fc := fakes.NewConnector()
	t.Cleanup(fc.Close)
	return fc
}

// fastConnector retries without noticeable waits.
func fastConnector() *botframework.Connector {
	return &botframework.Connector{BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}
}

func msg(text string) *Outgoing { return &Outgoing{Type: "message", Text: text} }
