package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// TestDamagedDatabase: serve, doctor, backup and every sub-command that
// opens the file answer a damaged one (pages zeroed, or cut short) with
// one sentence naming the file and the way back, and no panic.
func TestDamagedDatabase(t *testing.T) {
	damages := map[string]func(f *os.File, size int64) error{
		"pages zeroed": func(f *os.File, size int64) error {
			_, err := f.WriteAt(make([]byte, size-2*2048), 2*2048)
			return err
		},
		"cut short": func(f *os.File, size int64) error { return f.Truncate(size / 2) },
	}
	commands := [][]string{
		{"serve"},
		{"doctor"},
		{"backup", "--out", "COPY"},
		{"export", "questionnaire", "--engagement", "e-1"},
		{"purge", "--closed-before", "2026-01-01"},
		{"jobs", "list"},
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "mvmbot.db")
			db, err := store.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				ref := playbook.ConversationRef{Key: fmt.Sprintf("19:c-%03d@thread.tacv2", i), ServiceURL: "https://smba.trafficmanager.net/emea/", TenantID: "t-1", BotID: "28:bot"}
				if err := db.PutRef(context.Background(), ref); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := damage(f, fi.Size()); err != nil {
				t.Fatal(err)
			}
			f.Close()
			for _, args := range commands {
				args = append([]string(nil), args...)
				for i, a := range args {
					args[i] = strings.ReplaceAll(a, "COPY", filepath.Join(dir, "copy.db"))
				}
				out, err := runCmd(t, env{"MVMBOT_DB": path, "PORT": "0"}, args...)
				if err == nil {
					t.Errorf("%s on a damaged file succeeded:\n%s", args[0], out)
					continue
				}
				msg := err.Error()
				if args[0] == "doctor" {
					msg = out
				}
				for _, want := range []string{path + " is damaged", "restore the latest backup"} {
					if !strings.Contains(msg, want) {
						t.Errorf("%s: %q lacks %q", args[0], msg, want)
					}
				}
				if args[0] != "doctor" && strings.Contains(msg, "\n") {
					t.Errorf("%s: more than one line: %q", args[0], msg)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "copy.db")); err == nil {
				t.Error("backup wrote a copy of the damaged file")
			}
		})
	}
}
