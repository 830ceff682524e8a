package bot

import (
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestDNSReminderWording: the post after the last mail event offers done
// 1370 only when nothing holds it, and otherwise names what it waits for
// (playbook's DNSWaits), so the FRP is never told to record a done the
// playbook refuses. The endpoint test TestDNSReminder walks the first case.
func TestDNSReminderWording(t *testing.T) {
	events, ok := playbook.TaskByKey("migration-events")
	if !ok {
		t.Fatal("no migration-events task")
	}
	e := &playbook.Engagement{ID: "e1", Members: []playbook.Member{{ID: "29:frp", Name: "Pat Partner", Roles: []playbook.Role{playbook.FRP}}}}
	for _, tc := range []struct {
		name        string
		waits       []playbook.Task
		want, never string
	}{
		{"nothing holds 1370", nil, "Mark it with **done 1370**", "once"},
		{"1871 still open", []playbook.Task{events}, "You can record **done 1370** once **1871** (" + events.Title + ") is done", "Mark it with"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			post := dnsReminder(e, tc.waits)
			if !strings.Contains(post.Text, tc.want) || strings.Contains(post.Text, tc.never) {
				t.Errorf("post %q: want %q and no %q", post.Text, tc.want, tc.never)
			}
			if !strings.Contains(post.Text, "<at>Pat Partner</at>") {
				t.Errorf("post does not mention the FRP: %q", post.Text)
			}
		})
	}
}
