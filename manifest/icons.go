package manifest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// Icon sizes Teams requires, in pixels.
const (
	ColorIconSize   = 192
	OutlineIconSize = 32
)

// ColorIcon returns the 192x192 full-colour PNG: the mark in white on an
// opaque teal square. The square fills the whole image because Teams rounds
// the corners itself; transparent corners would show the accent colour.
func ColorIcon() []byte { return bytes.Clone(colorPNG()) }

// OutlineIcon returns the 32x32 outline PNG: every pixel is either opaque
// white or fully transparent, which is what Teams' validation accepts for the
// monochrome icon it tints in the app bar.
func OutlineIcon() []byte { return bytes.Clone(outlinePNG()) }

// The icons are drawn once; callers get copies so nobody can scribble on the
// shared bytes.
var (
	colorPNG   = sync.OnceValue(func() []byte { return encodePNG(drawColor()) })
	outlinePNG = sync.OnceValue(func() []byte { return encodePNG(drawOutline()) })
)

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	// Encoding an in-memory image to a buffer fails only on a bug here.
	if err := png.Encode(&buf, img); err != nil {
		panic("manifest: encode icon: " + err.Error())
	}
	return buf.Bytes()
}

// The mark is a "velocity arrow": an arrow with two speed lines, for moving
// content fast, drawn in a unit square (x right, y down). It is defined by
// geometry rather than pixels so the same shape renders at 192 and 32.
func markCovers(x, y float64) bool {
	p := point{x, y}
	return inTriangle(p, point{0.56, 0.16}, point{0.56, 0.84}, point{0.96, 0.50}) ||
		inCapsule(p, point{0.24, 0.50}, point{0.62, 0.50}, 0.10) ||
		inCapsule(p, point{0.08, 0.25}, point{0.38, 0.25}, 0.065) ||
		inCapsule(p, point{0.08, 0.75}, point{0.38, 0.75}, 0.065)
}

type point struct{ x, y float64 }

// The float64 conversions around products stop the compiler from fusing
// multiply-adds (it does on arm64, not on amd64), so every platform samples
// the same edge pixels and the PNG bytes are the same everywhere.

func cross(o, a, b point) float64 {
	return float64((a.x-o.x)*(b.y-o.y)) - float64((a.y-o.y)*(b.x-o.x))
}

func inTriangle(p, a, b, c point) bool {
	d1, d2, d3 := cross(a, b, p), cross(b, c, p), cross(c, a, p)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}

// inCapsule reports whether p is within r of the segment ab: a line with
// round caps.
func inCapsule(p, a, b point, r float64) bool {
	dx, dy := b.x-a.x, b.y-a.y
	t := (float64((p.x-a.x)*dx) + float64((p.y-a.y)*dy)) / (float64(dx*dx) + float64(dy*dy))
	t = min(max(t, 0), 1)
	ex, ey := p.x-(a.x+float64(t*dx)), p.y-(a.y+float64(t*dy))
	return float64(ex*ex)+float64(ey*ey) <= float64(r*r)
}

// supersample is the grid per pixel side used to estimate how much of a
// pixel the mark covers; 4x4 gives smooth edges at 192 px.
const supersample = 4

// coverage returns how many of the pixel's supersample² sample points
// fall inside the mark placed in the square [off, off+span) of the image.
func coverage(px, py int, off, span float64) int {
	n := 0
	for sy := 0; sy < supersample; sy++ {
		for sx := 0; sx < supersample; sx++ {
			x := (float64(px) + (float64(sx)+0.5)/supersample - off) / span
			y := (float64(py) + (float64(sy)+0.5)/supersample - off) / span
			if x >= 0 && x < 1 && y >= 0 && y < 1 && markCovers(x, y) {
				n++
			}
		}
	}
	return n
}

// Teal, distinct from Teams' own purple; the top is lighter than the bottom
// so the square does not look flat. DefaultAccentColor is the middle.
var (
	colorTop    = color.NRGBA{0x13, 0x94, 0x9F, 0xFF}
	colorBottom = color.NRGBA{0x09, 0x64, 0x6D, 0xFF}
)

func drawColor() *image.NRGBA {
	const size = ColorIconSize
	// The mark spans the middle 60%, inside the safe area Teams leaves
	// uncropped.
	const off, span = size * 0.2, size * 0.6
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	total := supersample * supersample
	for y := 0; y < size; y++ {
		bg := lerp(colorTop, colorBottom, y, size-1)
		for x := 0; x < size; x++ {
			c := coverage(x, y, off, span)
			img.SetNRGBA(x, y, lerp(bg, color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}, c, total))
		}
	}
	return img
}

func drawOutline() *image.NRGBA {
	const size = OutlineIconSize
	// One pixel of margin so the arrow tip is not clipped by the app bar.
	const off, span = 1, size - 2
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	half := supersample * supersample / 2
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// Thresholded, not anti-aliased: a half-transparent white pixel
			// is what validators flag as "not white or transparent".
			if coverage(x, y, off, span) >= half {
				img.SetNRGBA(x, y, color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF})
			}
		}
	}
	return img
}

// lerp mixes a and b in the ratio n/d with integer arithmetic, so the icon
// bytes do not depend on floating-point rounding.
func lerp(a, b color.NRGBA, n, d int) color.NRGBA {
	mix := func(x, y uint8) uint8 { return uint8((int(x)*(d-n) + int(y)*n + d/2) / d) }
	return color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), mix(a.A, b.A)}
}
