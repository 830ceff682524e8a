package chart_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/chart"
	"github.com/mvmbot/mvmbot/playbook"
)

// maxPNG is the most a picture may weigh: as a data URI it grows by a
// third, and the report card around it must stay under Teams' 28 KB.
const maxPNG = 12 * 1024

func phases() []playbook.PhaseProgress {
	var out []playbook.PhaseProgress
	for i, p := range playbook.Phases() {
		out = append(out, playbook.PhaseProgress{Phase: p, Tally: playbook.Tally{Done: max(0, 6-2*i), Applicable: 6}})
	}
	return out
}

func weeks(n int) []playbook.WeekUnits {
	start := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []playbook.WeekUnits
	for i := range n {
		out = append(out, playbook.WeekUnits{Week: start.AddDate(0, 0, 7*i), Forecast: min(20_000, 1_500*(i+1)), Migrated: min(20_000, 1_200*i)})
	}
	return out
}

func TestProgress(t *testing.T) {
	for name, tt := range map[string]struct {
		scope int
		weeks []playbook.WeekUnits
	}{
		"burn-up":     {20_000, weeks(14)},
		"a year":      {20_000, weeks(52)},
		"one week":    {50, weeks(1)},
		"no plan":     {0, nil},
		"nothing yet": {0, []playbook.WeekUnits{{Week: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)}}},
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := chart.Progress(tt.scope, tt.weeks, phases())
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			h := chart.Height
			if len(tt.weeks) == 0 {
				h = chart.PhasesHeight
			}
			if b := img.Bounds(); b.Dx() != chart.Width || b.Dy() != h {
				t.Errorf("size %v, want %dx%d", b, chart.Width, h)
			}
			if len(raw) > maxPNG {
				t.Errorf("%d bytes, over %d", len(raw), maxPNG)
			}
			if uri := chart.DataURI(raw); !strings.HasPrefix(uri, "data:image/png;base64,iVBOR") {
				t.Errorf("data URI starts %.40s", uri)
			}
			// MVMBOT_CHART_OUT keeps the pictures to look at.
			if dir := os.Getenv("MVMBOT_CHART_OUT"); dir != "" {
				if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".png"), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProgress is the cost the status and report cards add.
func BenchmarkProgress(b *testing.B) {
	ws, ps := weeks(14), phases()
	for b.Loop() {
		if _, err := chart.Progress(20_000, ws, ps); err != nil {
			b.Fatal(err)
		}
	}
}
