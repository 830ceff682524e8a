package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/mvmbot/mvmbot/internal/download"
)

// TestDownloadProblem: a failed download of an attached file is said in
// words from the error's kind, however the client wrapped it.
func TestDownloadProblem(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("download from x: %w (20 bytes, at most 10)", download.ErrTooLarge), "it is larger than 16 MB"},
		{fmt.Errorf("%w: not a Teams file download address", download.ErrRefused), "it is not stored where Teams keeps files"},
		{fmt.Errorf("%w: redirected away from Teams' file storage", download.ErrRefused), "it is not stored where Teams keeps files"},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), "it took too long"},
		{fmt.Errorf("get: %w", &net.DNSError{Err: "i/o timeout", IsTimeout: true}), "it took too long"},
		{errors.New("connection reset by peer"), "the download failed"},
	} {
		if got := downloadProblem(tc.err); got != tc.want {
			t.Errorf("downloadProblem(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
