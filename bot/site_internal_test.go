package bot

import (
	"testing"
	"time"
)

func TestProvisionPoll(t *testing.T) {
	for _, tt := range []struct{ hint, waited, want time.Duration }{
		{15 * time.Second, 0, 15 * time.Second},
		{15 * time.Second, 59 * time.Second, 15 * time.Second},
		{15 * time.Second, 2 * time.Minute, 30 * time.Second},
		{15 * time.Second, 10 * time.Minute, time.Minute},
		{0, 0, time.Second},
		{2 * time.Minute, 5 * time.Minute, time.Minute},
	} {
		if got := provisionPoll(tt.hint, tt.waited); got != tt.want {
			t.Errorf("provisionPoll(%s, %s) = %s, want %s", tt.hint, tt.waited, got, tt.want)
		}
	}
}
