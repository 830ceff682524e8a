package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// damagedFile makes a database with a few hundred records and closes it;
// it returns its path and size.
func damagedFile(t *testing.T) (string, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mvmbot.db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 150 {
		ref := playbook.ConversationRef{Key: fmt.Sprintf("19:conv-%04d@thread.tacv2", i), ServiceURL: "https://smba.trafficmanager.net/emea/", TenantID: "tenant-1", BotID: "28:bot"}
		if err := db.PutRef(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, fi.Size()
}

// TestDamagedFile: a file whose pages are zeroed or overwritten, or which
// is cut short, gives an error wrapping ErrDamaged whose sentence names the
// file and the way back (a backup), never a panic or a fault: from Open, or
// from the first read of the damaged part, and always from Check.
func TestDamagedFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, f *os.File, size int64)
	}{
		{"truncated to half", func(t *testing.T, f *os.File, size int64) { must(t, f.Truncate(size/2/pageSize*pageSize)) }},
		{"last page cut short", func(t *testing.T, f *os.File, size int64) {
			m, ok, err := metaCheck(f.Name())
			if err != nil || !ok {
				t.Fatalf("meta of the undamaged file: %+v, %v, %v", m, ok, err)
			}
			must(t, f.Truncate(int64(m.pgid*m.pageSize)-pageSize/2))
		}},
		{"meta pages zeroed", func(t *testing.T, f *os.File, size int64) { write(t, f, 0, make([]byte, 2*pageSize)) }},
		{"data pages zeroed", func(t *testing.T, f *os.File, size int64) {
			write(t, f, 2*pageSize, make([]byte, size-2*pageSize))
		}},
		{"data pages overwritten", func(t *testing.T, f *os.File, size int64) {
			junk := []byte(strings.Repeat("\xff\x13garbage\x00", int(size)/10+1))[:size-2*pageSize]
			write(t, f, 2*pageSize, junk)
		}},
		{"one page in the middle zeroed", func(t *testing.T, f *os.File, size int64) {
			for p := int64(2); p*pageSize < size; p++ {
				write(t, f, p*pageSize, make([]byte, 16)) // the page header only
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, size := damagedFile(t)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			must(t, err)
			tc.damage(t, f, size)
			must(t, f.Close())

			db, err := Open(path, nil)
			if err == nil {
				err = db.Check(context.Background())
				if _, rerr := db.Refs(context.Background()); rerr != nil && !errors.Is(rerr, ErrDamaged) {
					t.Errorf("Refs on the damaged file = %v, want ErrDamaged or success", rerr)
				}
				db.Close()
			}
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("damaged file: %v, want ErrDamaged", err)
			}
			// Nothing is left holding the file.
			if db, err := Open(path, &Options{Timeout: 100 * time.Millisecond}); !errors.Is(err, ErrDamaged) {
				if db != nil {
					db.Close()
				}
				t.Errorf("second open: %v, want ErrDamaged again", err)
			}
			for _, want := range []string{path, "damaged", "backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func write(t *testing.T, f *os.File, off int64, b []byte) {
	t.Helper()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
