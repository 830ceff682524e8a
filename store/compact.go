package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize is how many bytes Compact copies per transaction into the
// new file, so that a large database is not held in memory at once.
const compactTxSize = 4 << 20

// Compact rewrites the database file at path into a new file that holds
// only its live records, and renames the new file over the old one, so
// that path is at any moment the old file or the complete new one. bbolt
// leaves deleted records in free pages until they are reused: after a
// purge their bytes are still in the file, and in every backup copied from
// it. After Compact they are in neither (the old file's blocks are freed
// by the file system; they are not overwritten on disk).
//
// Compact opens the file itself (Open's checks and lock apply): the bot
// must not be serving it, and Compact returns ErrInUse when it is.
func Compact(path string, opts *Options) (err error) {
	src, err := Open(path, opts)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := src.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".compact-*")
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	tmp := f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, PageSize: pageSize})
	if err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := bolt.Compact(dst, src.bolt, compactTxSize); err != nil {
		dst.Close()
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := errors.Join(dst.Sync(), dst.Close()); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
