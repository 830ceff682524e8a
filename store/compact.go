package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
// must not be serving it, and Compact returns ErrInUse when it is; the
// serving process uses CompactServing.
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
	tmp, err := compactInto(src.bolt, path)
	if err != nil {
		return err
	}
	return replaceFile(tmp, path)
}

// CompactServing is Compact for the process that has the database open and
// serves from it: it holds every transaction off (they wait, they do not
// fail), copies the live records into a new file, closes the old file,
// renames the new one over it and opens it, then lets the transactions go
// on against the new file. The pause lasts the copy: a few milliseconds
// for a file of some megabytes. Should the new file not open, the DB is
// closed (every call then returns ErrClosed) and the error says to restart.
func (db *DB) CompactServing() (err error) {
	db.swap.Lock()
	defer db.swap.Unlock()
	if db.closed.Load() {
		return ErrClosed
	}
	tmp, err := compactInto(db.bolt, db.path)
	if err != nil {
		return err
	}
	if err := db.bolt.Close(); err != nil {
		os.Remove(tmp)
		db.closed.Store(true)
		return fmt.Errorf("compact %s: close the old file: %w; restart mvmbot", db.path, err)
	}
	rerr := replaceFile(tmp, db.path)
	// The lock on the file was released with the old file: take it again
	// at once, on whichever file path now names.
	nb, oerr := openBolt(db.path, 5*time.Second)
	if oerr != nil {
		db.closed.Store(true)
		return fmt.Errorf("compact %s: open the rewritten file: %w; restart mvmbot", db.path, errors.Join(rerr, oerr))
	}
	db.bolt = nb
	return rerr
}

// compactInto copies src's live records into a new file beside path and
// returns its name; the caller renames it or removes it. A process that
// dies meanwhile leaves the file behind: Open removes it
// (removeRewriteLeftovers).
func compactInto(src *bolt.DB, path string) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), rewritePrefix(path)+"*")
	if err != nil {
		return "", fmt.Errorf("compact %s: %w", path, err)
	}
	tmp = f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, PageSize: pageSize})
	if err != nil {
		return "", fmt.Errorf("compact %s: %w", path, err)
	}
	if err := bolt.Compact(dst, src, compactTxSize); err != nil {
		dst.Close()
		return "", fmt.Errorf("compact %s: %w", path, err)
	}
	// The new file holds no freed bytes: no purge waits for a rewrite.
	if err := dst.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			return b.Delete(keyRewritePending)
		}
		return nil
	}); err != nil {
		dst.Close()
		return "", fmt.Errorf("compact %s: %w", path, err)
	}
	if err := errors.Join(dst.Sync(), dst.Close()); err != nil {
		return "", fmt.Errorf("compact %s: %w", path, err)
	}
	return tmp, nil
}

// replaceFile renames tmp over path and makes the rename durable.
func replaceFile(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// rewritePrefix starts the names of the temporary files compactInto makes
// beside path.
func rewritePrefix(path string) string { return "." + filepath.Base(path) + ".compact-" }

// RewriteFiles lists the temporary files that rewrites of the file at path
// (Compact, a purge) have left beside it: each holds a copy of the data.
func RewriteFiles(path string) []string {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), rewritePrefix(path)+"*"))
	return m
}

// removeRewriteLeftovers removes the temporary files of rewrites that a
// process killed during them left beside path. Each is a copy of the live
// records of its time, which a later purge would not reach: purged means
// gone there too. Called by Open, with the file's lock held: only the
// process holding it rewrites, so a temporary file found then is no one's.
func removeRewriteLeftovers(path string) error {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, de := range entries {
		if !de.Type().IsRegular() || !strings.HasPrefix(de.Name(), rewritePrefix(path)) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
