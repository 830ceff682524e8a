package manifest

import (
	"archive/zip"
	"bytes"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mvmbot/mvmbot/internal/schema"
)

func readZip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		if _, dup := files[f.Name]; dup {
			t.Fatalf("%s appears twice", f.Name)
		}
		files[f.Name] = data
	}
	return files
}

func TestWritePackage(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
	}{
		{"sample", func(*Options) {}},
		{"minimal", func(o *Options) { o.Domains, o.Commands, o.FullName = nil, nil, "" }},
		{"sso and files", func(o *Options) {
			o.WebApplicationInfo = &WebApplicationInfo{ID: testEntraID}
			o.SupportsFiles = true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := baseOptions()
			tt.mutate(&opts)
			var buf bytes.Buffer
			if err := WritePackage(&buf, opts); err != nil {
				t.Fatal(err)
			}
			files := readZip(t, buf.Bytes())
			if len(files) != 3 {
				t.Fatalf("zip holds %d files %v, want exactly 3", len(files), keys(files))
			}
			for _, name := range []string{ManifestFile, ColorIconFile, OutlineIconFile} {
				if _, ok := files[name]; !ok {
					t.Fatalf("zip lacks %s at its root (has %v)", name, keys(files))
				}
			}
			want, err := Build(opts)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(files[ManifestFile], want) {
				t.Errorf("manifest.json in the zip differs from Build's output")
			}
			if err := schema.ValidateManifest(files[ManifestFile]); err != nil {
				t.Errorf("zipped manifest does not validate: %v", err)
			}
			p := mustParse(t, files[ManifestFile])
			// The manifest must name the icon files the zip really holds.
			for name, size := range map[string]int{p.Icons.Color: ColorIconSize, p.Icons.Outline: OutlineIconSize} {
				data, ok := files[name]
				if !ok {
					t.Fatalf("manifest names icon %q, not in the zip", name)
				}
				cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
				if err != nil || cfg.Width != size || cfg.Height != size {
					t.Errorf("%s: %dx%d (err %v), want %dx%d", name, cfg.Width, cfg.Height, err, size, size)
				}
			}
			var again bytes.Buffer
			if err := WritePackage(&again, opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Errorf("two packages of the same options differ")
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestWritePackageInvalidWritesNothing(t *testing.T) {
	opts := baseOptions()
	opts.AppID = "not-a-guid"
	var buf bytes.Buffer
	err := WritePackage(&buf, opts)
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("err = %v, want an options error", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for invalid options", buf.Len())
	}
}

func TestPackage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "mvmbot.zip")
	if err := os.WriteFile(out, []byte("old package"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Package(out, baseOptions()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if files := readZip(t, data); len(files) != 3 {
		t.Errorf("package holds %d files", len(files))
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v (err %v), want 0644", fi.Mode().Perm(), err)
	}
	assertOnly(t, dir, "mvmbot.zip")
}

func TestPackageFailureLeavesNoFile(t *testing.T) {
	bad := baseOptions()
	bad.AppID = "abc"
	schemaBad := baseOptions()
	schemaBad.Name = "a name far too long for the Teams app bar"

	tests := []struct {
		name     string
		opts     Options
		existing bool
		check    func(error) bool
	}{
		{"bad app id, new file", bad, false, func(err error) bool { return errors.Is(err, ErrInvalidOptions) }},
		{"bad app id, old file kept", bad, true, func(err error) bool { return errors.Is(err, ErrInvalidOptions) }},
		{"schema violation, old file kept", schemaBad, true, func(err error) bool { var se *SchemaError; return errors.As(err, &se) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "mvmbot.zip")
			if tt.existing {
				if err := os.WriteFile(out, []byte("old package"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Package(out, tt.opts)
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v, want the validation error", err)
			}
			if tt.existing {
				if data, _ := os.ReadFile(out); string(data) != "old package" {
					t.Errorf("old package was changed to %q", data)
				}
				assertOnly(t, dir, "mvmbot.zip")
			} else {
				assertOnly(t, dir)
			}
		})
	}
}

func TestPackageMissingDir(t *testing.T) {
	dir := t.TempDir()
	err := Package(filepath.Join(dir, "no", "such", "mvmbot.zip"), baseOptions())
	if err == nil {
		t.Fatal("Package into a missing directory succeeded")
	}
	assertOnly(t, dir)
	if err := Package("", baseOptions()); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("empty path: err = %v, want an options error", err)
	}
}

// assertOnly fails unless dir holds exactly the named entries, which
// catches temporary files left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range names {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}
