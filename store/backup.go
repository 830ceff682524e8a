package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mvmbot/mvmbot/playbook"
	bolt "go.etcd.io/bbolt"
)

// WriteTo writes a consistent snapshot of the whole database file to w and
// returns the number of bytes written; the result opens with Open. The
// snapshot passes Check first: a damaged file gives an error wrapping
// ErrDamaged, not a damaged copy. It runs
// in one read transaction, so the bot keeps serving (writers are not
// blocked) while the copy is made. DB thereby implements io.WriterTo.
//
// Caveat: a read transaction pins the memory map; a write that must grow the
// file waits until the copy finishes. With a slow w, prefer Backup to a
// local file and ship that file afterwards.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.view(context.Background(), func(tx *bolt.Tx) error {
		// A copy of a damaged file is no backup: check first.
		if err := db.checkTx(tx); err != nil {
			return err
		}
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("write database snapshot: %w", err)
	}
	return n, nil
}

// Backup writes a consistent snapshot of the database to path while the
// database keeps serving; like WriteTo it refuses a damaged file. It writes a temporary file in path's directory,
// syncs it and renames it over path, so path is at any moment either the
// previous file or the complete new snapshot. ctx cancels the copy. The
// directory must exist; path must not be the database itself (EINVALID).
func (db *DB) Backup(ctx context.Context, path string) (err error) {
	if same, serr := sameFile(db.path, path); serr != nil {
		return fmt.Errorf("backup to %s: %w", path, serr)
	} else if same {
		return fmt.Errorf("backup to %s: %w", path, playbook.Errorf(playbook.EINVALID, "The backup cannot overwrite the database it copies."))
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := db.view(ctx, func(tx *bolt.Tx) error {
		if err := db.checkTx(tx); err != nil {
			return err
		}
		_, err := tx.WriteTo(ctxWriter{ctx, f})
		return err
	}); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// sameFile reports whether a and b name the same file; a missing b is not.
func sameFile(a, b string) (bool, error) {
	ai, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	bi, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return os.SameFile(ai, bi), nil
}

// ctxWriter fails writes once ctx is done, which aborts tx.WriteTo.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (cw ctxWriter) Write(p []byte) (int, error) {
	if err := cw.ctx.Err(); err != nil {
		return 0, err
	}
	return cw.w.Write(p)
}
