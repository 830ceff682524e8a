package manifest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

func TestIconSizes(t *testing.T) {
	tests := []struct {
		name string
		png  []byte
		size int
	}{
		{ColorIconFile, ColorIcon(), 192},
		{OutlineIconFile, OutlineIcon(), 32},
	}
	for _, tt := range tests {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(tt.png))
		if err != nil || format != "png" {
			t.Fatalf("%s: format %q, err %v; want png", tt.name, format, err)
		}
		if cfg.Width != tt.size || cfg.Height != tt.size {
			t.Errorf("%s is %dx%d, want %dx%d", tt.name, cfg.Width, cfg.Height, tt.size, tt.size)
		}
		if b := decodePNG(t, tt.png).Bounds(); b.Min != (image.Point{}) || b.Dx() != tt.size || b.Dy() != tt.size {
			t.Errorf("%s bounds %v, want 0,0-%d,%d", tt.name, b, tt.size, tt.size)
		}
	}
}

// TestOutlineIcon checks what Teams validates: white on transparent, and
// nothing in between (a grey or half-transparent pixel fails validation).
func TestOutlineIcon(t *testing.T) {
	img := decodePNG(t, OutlineIcon())
	var white, clear int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			switch {
			case c.A == 0:
				clear++
			case c == color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}:
				white++
			default:
				t.Fatalf("pixel (%d,%d) = %v, want opaque white or alpha 0", x, y, c)
			}
		}
	}
	if white == 0 || clear == 0 {
		t.Errorf("white = %d, transparent = %d pixels; want both", white, clear)
	}
	// The mark should be a shape, not a speck or a filled square.
	if frac := float64(white) / float64(white+clear); frac < 0.15 || frac > 0.6 {
		t.Errorf("mark covers %.0f%% of the outline icon, want 15..60%%", frac*100)
	}
	// The one-pixel margin keeps the border transparent.
	for i := 0; i < OutlineIconSize; i++ {
		for _, p := range []image.Point{{i, 0}, {0, i}, {i, OutlineIconSize - 1}, {OutlineIconSize - 1, i}} {
			if _, _, _, a := img.At(p.X, p.Y).RGBA(); a != 0 {
				t.Fatalf("border pixel %v is not transparent", p)
			}
		}
	}
}

func TestColorIcon(t *testing.T) {
	img := decodePNG(t, ColorIcon())
	colours := map[color.NRGBA]bool{}
	var chromatic, white int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if c.A != 0xFF {
				t.Fatalf("pixel (%d,%d) alpha %d, want opaque", x, y, c.A)
			}
			colours[c] = true
			if c.R != c.G || c.G != c.B {
				chromatic++
			}
			if c.R == 0xFF && c.G == 0xFF && c.B == 0xFF {
				white++
			}
		}
	}
	total := b.Dx() * b.Dy()
	if chromatic < total/2 {
		t.Errorf("only %d of %d pixels have colour; want a full-colour icon", chromatic, total)
	}
	if white == 0 {
		t.Errorf("no white pixels: the mark is missing")
	}
	if len(colours) < 16 {
		t.Errorf("%d distinct colours; want a gradient and anti-aliased edges", len(colours))
	}
}

func TestIconsDeterministic(t *testing.T) {
	for name, draw := range map[string]func() *image.NRGBA{"color": drawColor, "outline": drawOutline} {
		if a, b := encodePNG(draw()), encodePNG(draw()); !bytes.Equal(a, b) {
			t.Errorf("%s icon differs between two draws", name)
		}
	}
	// Callers get copies: scribbling on one must not change the next.
	c := ColorIcon()
	c[len(c)-1] ^= 0xFF
	if bytes.Equal(c, ColorIcon()) {
		t.Errorf("ColorIcon returned shared bytes")
	}
}
