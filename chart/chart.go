// Package chart draws the progress pictures the report and status cards
// show: units migrated against the forecast, week by week (a burn-up), and
// each phase's share of tasks done, as one small PNG.
//
// It uses gonum.org/v1/plot: the plotting library of the gonum project,
// maintained and released with it, pure Go (no cgo, no browser), with
// fonts embedded, so the same data draws the same picture on every machine
// and in CI. The picture is reduced to a small palette so that it fits
// inside a card as a data URI (Teams' limit on a message is about 28 KB).
package chart

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// Width and Height are the picture's size in pixels: about the width of a
// Teams card, so it is shown at its own size and stays sharp. The phases
// alone take PhasesHeight.
const (
	Width        = 560
	Height       = 360
	PhasesHeight = 190
)

// Teams' light theme: its brand purple for what was done, a grey for the
// forecast and what is left.
var (
	purple = color.RGBA{R: 0x62, G: 0x64, B: 0xa7, A: 0xff}
	grey   = color.RGBA{R: 0x8a, G: 0x88, B: 0x86, A: 0xff}
	light  = color.RGBA{R: 0xe1, G: 0xdf, B: 0xdd, A: 0xff}
	ink    = color.RGBA{R: 0x24, G: 0x24, B: 0x24, A: 0xff}
)

// Progress draws the burn-up of weeks against scope above the phases'
// progress, as a PNG. Without weeks (no accepted plan yet, or no events)
// it draws the phases alone.
func Progress(scope int, weeks []playbook.WeekUnits, phases []playbook.PhaseProgress) ([]byte, error) {
	h := Height
	if len(weeks) == 0 {
		h = PhasesHeight
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(Width)*vg.Inch/96, vg.Length(h)*vg.Inch/96), vgimg.UseDPI(96))
	// A margin on the right, where the last tick's label ("100") would be cut.
	dc := vgdraw.Crop(vgdraw.New(img), 0, -vg.Points(14), vg.Points(2), -vg.Points(2))
	ph, err := phasePlot(phases)
	if err != nil {
		return nil, err
	}
	if len(weeks) == 0 {
		ph.Draw(dc)
	} else {
		bu, err := burnUpPlot(scope, weeks)
		if err != nil {
			return nil, err
		}
		tiles := vgdraw.Tiles{Rows: 2, Cols: 1, PadTop: 2, PadBottom: 2, PadX: 4, PadY: vg.Points(6)}
		cs := plot.Align([][]*plot.Plot{{bu}, {ph}}, tiles, dc)
		bu.Draw(cs[0][0])
		ph.Draw(cs[1][0])
	}
	return encode(img.Image())
}

// DataURI is png as a data: URI for an Adaptive Card Image.
func DataURI(png []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// style gives p Teams' look: a sans-serif face (Liberation Sans, embedded
// by gonum), small text, grey axes.
func style(p *plot.Plot) {
	p.BackgroundColor = color.White
	sans := func(ts *text.Style, size float64) {
		ts.Font.Variant, ts.Font.Size, ts.Color = "Sans", vg.Points(size), ink
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Color, a.Tick.Color = grey, grey
		sans(&a.Tick.Label, 10)
		sans(&a.Label.TextStyle, 10)
	}
	sans(&p.Title.TextStyle, 11.5)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	sans(&p.Legend.TextStyle, 10)
}

// burnUpPlot is units migrated and forecast, running totals by week.
func burnUpPlot(scope int, weeks []playbook.WeekUnits) (*plot.Plot, error) {
	p := plot.New()
	style(p)
	last := weeks[len(weeks)-1]
	p.Title.Text = fmt.Sprintf("Units migrated: %s of %s", count(last.Migrated), count(scope))
	forecast := make(plotter.XYs, len(weeks))
	migrated := make(plotter.XYs, len(weeks))
	for i, w := range weeks {
		forecast[i] = plotter.XY{X: float64(i), Y: float64(w.Forecast)}
		migrated[i] = plotter.XY{X: float64(i), Y: float64(w.Migrated)}
	}
	fl, err := plotter.NewLine(forecast)
	if err != nil {
		return nil, fmt.Errorf("forecast line: %w", err)
	}
	fl.Color, fl.Width, fl.Dashes = grey, vg.Points(1.5), []vg.Length{vg.Points(4), vg.Points(3)}
	ml, err := plotter.NewLine(migrated)
	if err != nil {
		return nil, fmt.Errorf("migrated line: %w", err)
	}
	ml.Color, ml.Width = purple, vg.Points(2.5)
	ml.FillColor = color.RGBA{R: 0xe8, G: 0xe8, B: 0xf4, A: 0xff}
	p.Add(fl, ml)
	p.Legend.Add("migrated", ml)
	p.Legend.Add("forecast", fl)
	p.Legend.Top, p.Legend.Left = true, true
	p.Y.Min, p.Y.Max = 0, float64(max(scope, last.Forecast, last.Migrated, 1))
	p.Y.Tick.Marker = unitTicks{}
	p.X.Min, p.X.Max = 0, float64(max(len(weeks)-1, 1))
	p.X.Tick.Marker = weekTicks(weeks)
	return p, nil
}

// phasePlot is each phase's share of its tasks done, as horizontal bars.
func phasePlot(phases []playbook.PhaseProgress) (*plot.Plot, error) {
	p := plot.New()
	style(p)
	p.Title.Text = "Tasks done by phase (%)"
	done := make(plotter.Values, len(phases))
	names := make([]string, len(phases))
	// The first phase on top: bars count up from the bottom.
	for i, ph := range phases {
		j := len(phases) - 1 - i
		done[j] = float64(ph.Percent())
		names[j] = ph.Phase.Title()
	}
	rest := make(plotter.Values, len(phases))
	for i, v := range done {
		rest[i] = 100 - v
	}
	bars, err := plotter.NewBarChart(done, vg.Points(11))
	if err != nil {
		return nil, fmt.Errorf("phase bars: %w", err)
	}
	bars.Horizontal, bars.Color, bars.LineStyle.Width = true, purple, 0
	back, err := plotter.NewBarChart(rest, vg.Points(11))
	if err != nil {
		return nil, fmt.Errorf("phase bars: %w", err)
	}
	back.Horizontal, back.Color, back.LineStyle.Width = true, light, 0
	back.StackOn(bars)
	p.Add(bars, back)
	p.NominalY(names...)
	p.X.Min, p.X.Max = 0, 100
	p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 25}, {Value: 50, Label: "50"}, {Value: 75}, {Value: 100, Label: "100"}})
	return p, nil
}

// weekTicks labels about six weeks by their Monday ("3 Mar").
func weekTicks(weeks []playbook.WeekUnits) plot.Ticker {
	step := max(1, (len(weeks)+5)/6)
	var ts []plot.Tick
	for i := 0; i < len(weeks); i += step {
		ts = append(ts, plot.Tick{Value: float64(i), Label: weeks[i].Week.Format("2 Jan")})
	}
	return plot.ConstantTicks(ts)
}

// unitTicks are gonum's default ticks written as counts (12,000, not 12000
// or 1.2e+04).
type unitTicks struct{}

func (unitTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = count(int(ts[i].Value))
		}
	}
	return ts
}

// count writes n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// palette is what the picture is reduced to: white, greys for text and
// axes, and ramps of the two colours, so that anti-aliased edges stay
// smooth and the PNG stays a few kilobytes.
var palette = func() color.Palette {
	p := color.Palette{color.White}
	for i := 0; i < 12; i++ {
		v := uint8(i * 255 / 12)
		p = append(p, color.RGBA{R: v, G: v, B: v, A: 0xff})
	}
	for _, c := range []color.RGBA{purple, grey, light, {R: 0xe8, G: 0xe8, B: 0xf4, A: 0xff}} {
		for _, a := range []float64{1, 0.75, 0.5, 0.25} {
			mix := func(x uint8) uint8 { return uint8(float64(x)*a + 255*(1-a)) }
			p = append(p, color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xff})
		}
	}
	return p
}()

func encode(src image.Image) ([]byte, error) {
	dst := image.NewPaletted(src.Bounds(), palette)
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&b, dst); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return b.Bytes(), nil
}

// Picture is e's progress as the status and report cards show it: the
// drawing as a data URI (it needs no public URL, so local mode shows it
// too) and the same numbers in words. A drawing that fails gives no
// picture; the cards' text still holds the numbers.
func Picture(e *playbook.Engagement, now time.Time) (cards.Picture, error) {
	scope, weeks := playbook.BurnUp(e, now)
	phases := playbook.Progress(e).Phases
	raw, err := Progress(scope, weeks, phases)
	if err != nil {
		return cards.Picture{}, fmt.Errorf("progress picture of %s: %w", e.ID, err)
	}
	return cards.Picture{URL: DataURI(raw), Alt: cards.ProgressAlt(scope, weeks, phases)}, nil
}
