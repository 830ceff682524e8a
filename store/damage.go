package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	bolt "go.etcd.io/bbolt"
)

// A damaged file must give one clear error, never a panic or a fault.
// bbolt trusts its pages: a zeroed or overwritten page makes it panic, and
// a file cut short makes a read of the mapped memory fault (SIGBUS). So:
//
//   - before bbolt maps a file, metaCheck reads its meta pages as bbolt
//     does and refuses a file shorter than its last page;
//   - the file is read through read-only first (preCheck), because bbolt
//     panics on a damaged page while holding its writer lock, or, to
//     rebuild a free-page list that was not stored (NoFreelistSync), in a
//     goroutine of its own: no recover reaches the one, and the other
//     leaves the file locked;
//   - every transaction runs with faults turned into panics and recovers
//     them (guard); a recovered panic is reported as damage when bbolt's
//     consistency check confirms it, and re-raised when it does not (a bug
//     is not a damaged file).

// bbolt's meta page layout (go.etcd.io/bbolt/internal/common/meta.go): a
// 16-byte page header, then magic, version, page size, flags (4 bytes
// each), the root bucket (16), the free-list page id, the high-water page
// id, the transaction id (8 each) and an FNV-64a checksum of what precedes
// it.
const (
	metaOffset   = 16
	metaLen      = 64
	boltMagic    = 0xED0CDAED
	noFreelistID = ^uint64(0)
)

type fileMeta struct {
	pageSize uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

func readMeta(b []byte) (fileMeta, bool) {
	if len(b) < metaLen {
		return fileMeta{}, false
	}
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(b[:56])
	if le.Uint32(b[0:]) != boltMagic || h.Sum64() != le.Uint64(b[56:]) {
		return fileMeta{}, false
	}
	return fileMeta{pageSize: uint64(le.Uint32(b[8:])), freelist: le.Uint64(b[32:]), pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}, true
}

// metaCheck reads path's meta pages and returns the one bbolt will use,
// with ok false when the file is new or empty, or when neither meta page is
// valid (bbolt's Open says so then). A file shorter than the meta's last
// page is damaged.
func metaCheck(path string) (m fileMeta, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, false, nil
	} else if err != nil {
		return m, false, fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return m, false, fmt.Errorf("open database %s: %w", path, err)
	}
	size := uint64(fi.Size())
	if size == 0 {
		return m, false, nil
	}
	buf := make([]byte, 64<<10+metaLen)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return m, false, fmt.Errorf("open database %s: %w", path, err)
	}
	buf = buf[:n]
	at := func(off uint64) (fileMeta, bool) {
		if off+metaOffset+metaLen > uint64(len(buf)) {
			return fileMeta{}, false
		}
		return readMeta(buf[off+metaOffset:])
	}
	m0, ok0 := at(0)
	var m1 fileMeta
	var ok1 bool
	if ok0 {
		m1, ok1 = at(m0.pageSize)
	} else {
		// bbolt finds the second meta page with the OS page size when the
		// first is unreadable; this package writes pageSize.
		for _, ps := range []uint64{uint64(os.Getpagesize()), pageSize, 4096} {
			if m1, ok1 = at(ps); ok1 && m1.pageSize == ps {
				break
			}
			ok1 = false
		}
	}
	switch {
	case ok0 && (!ok1 || m0.txid >= m1.txid):
		m = m0
	case ok1:
		m = m1
	default:
		return m, false, nil
	}
	if m.pageSize == 0 || size < m.pgid*m.pageSize {
		return m, true, &damagedError{path: path, what: fmt.Sprintf("the file is %d bytes, shorter than the %d its pages need: it was cut short", size, m.pgid*m.pageSize)}
	}
	return m, true, nil
}

// preCheck reads the file through, read-only, before it is opened for
// writing: bbolt panics on a damaged page while it holds its writer lock or
// in a goroutine of its own, and neither can be recovered cleanly. With a
// stored free-page list it runs bbolt's consistency check (which recovers
// its own panics, and reads that list too); without one it walks every
// bucket, where a panic is this goroutine's.
func preCheck(path string, timeout time.Duration, freelistStored bool) (err error) {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if err != nil {
		return err
	}
	defer bdb.Close()
	defer recoverDamage(path, &err)
	db := &DB{bolt: bdb, path: path}
	return bdb.View(func(tx *bolt.Tx) error {
		if freelistStored {
			return db.checkTx(tx)
		}
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
	})
}

func walkBucket(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return walkBucket(child)
			}
		}
		return nil
	})
}

// recoverDamage, deferred, turns a panic or fault while reading path into
// a damaged error. For use where the whole file is being read on purpose
// (open, walk): any panic there comes from the pages.
func recoverDamage(path string, err *error) {
	if p := recover(); p != nil {
		*err = &damagedError{path: path, what: "bbolt could not read a page: " + firstLine(fmt.Sprint(p))}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// isDamageErr reports bbolt's own errors for an unreadable meta page.
func isDamageErr(err error) bool {
	return errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum)
}

// guard runs fn (a transaction) with faults as panics. A panic is checked
// against the file: damage found by Check becomes a damaged error; none
// found means a bug, and the panic goes on.
func (db *DB) guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if cerr := db.check(); errors.Is(cerr, ErrDamaged) {
			err = cerr
			return
		}
		panic(p)
	}()
	return fn()
}

// Check runs bbolt's consistency check over the whole file (every page
// reachable once, free pages not in use, no page beyond the end) and
// returns an error wrapping ErrDamaged naming the first problems. It reads
// the whole file: meant for doctor, not for every request.
func (db *DB) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.check()
}

func (db *DB) check() error {
	return mapErr(db.boltView(db.checkTx))
}

// checkTx is Check within tx: a backup checks the snapshot it copies.
func (db *DB) checkTx(tx *bolt.Tx) error {
	var problems []string
	for e := range tx.Check() {
		if len(problems) < 3 {
			problems = append(problems, firstLine(e.Error()))
		} else if len(problems) == 3 {
			problems = append(problems, "…")
		}
	}
	if len(problems) > 0 {
		return &damagedError{path: db.path, what: "its consistency check failed: " + strings.Join(problems, "; ")}
	}
	return nil
}
