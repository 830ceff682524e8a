package manifest

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// zipTime is the modification time of every entry. A fixed time makes the
// zip depend only on its contents, so rebuilding the same version gives the
// same bytes.
var zipTime = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// WritePackage writes the Teams app package for opts to w: a zip holding
// manifest.json, color.png and outline.png at its root, which is the only
// layout Teams accepts. The manifest is built and validated before the first
// byte is written, so an invalid opts writes nothing.
func WritePackage(w io.Writer, opts Options) error {
	m, err := Build(opts)
	if err != nil {
		return err
	}
	return writeZip(w, m)
}

// writeZip writes the package around an already validated manifest.
func writeZip(w io.Writer, m []byte) error {
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{ManifestFile, m},
		{ColorIconFile, colorPNG()},
		{OutlineIconFile, outlinePNG()},
	} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return fmt.Errorf("manifest: zip %s: %w", f.name, err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("manifest: zip %s: %w", f.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("manifest: zip: %w", err)
	}
	return nil
}

// Package writes the app package for opts to the file outPath, for the
// "mvmbot package" sub-command. It validates first and writes through a
// temporary file in the same directory that is renamed into place only when
// complete, so outPath is either the old file, untouched, or the new
// complete package; never a partial zip that Teams would reject with a
// confusing message.
func Package(outPath string, opts Options) (err error) {
	if outPath == "" {
		return &OptionsError{Problems: []string{"output path is missing"}}
	}
	// Validate before touching the file system, so a bad app id or name
	// leaves no temporary file behind even if removal below failed.
	m, err := Build(opts)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(outPath)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("manifest: create %s: %w", outPath, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeIfExists(tmp.Name()))
		}
	}()
	if err := writeZip(tmp, m); err != nil {
		tmp.Close()
		return err
	}
	// Sync before rename: otherwise a crash can leave a renamed but empty
	// file on file systems that reorder metadata and data writes.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("manifest: write %s: %w", outPath, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("manifest: write %s: %w", outPath, err)
	}
	// CreateTemp makes the file private (0600); the package holds nothing
	// secret and is meant to be uploaded by someone else.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("manifest: write %s: %w", outPath, err)
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return fmt.Errorf("manifest: write %s: %w", outPath, err)
	}
	return nil
}

func removeIfExists(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
