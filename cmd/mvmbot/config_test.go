package main

import (
	"testing"
	"time"
)

// TestLinkBase: the links the bot hands out are absolute in local mode
// too, on the configured port, unless MVMBOT_PUBLIC_URL names the root.
func TestLinkBase(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "http://localhost:3978"},
		{map[string]string{"PORT": "3991"}, "http://localhost:3991"},
		{map[string]string{"PORT": "3991", "MVMBOT_PUBLIC_URL": "https://mvmbot.contoso.com/"}, "https://mvmbot.contoso.com"},
	} {
		cfg, err := loadConfig(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if got := cfg.linkBase(); got != tc.want {
			t.Errorf("%v: linkBase = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestEscalationReminder(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		bad  bool
	}{
		{"", 0, false}, // bot.DefaultRemindAfter
		{"8h", 8 * time.Hour, false},
		{"8s", 8 * time.Second, false},
		{"500ms", 0, true},
		{"daily", 0, true},
	} {
		cfg, err := loadConfig(func(k string) string {
			if k == "MVMBOT_ESCALATION_REMINDER" {
				return tc.v
			}
			return ""
		})
		if (err != nil) != tc.bad || (!tc.bad && cfg.RemindAfter != tc.want) {
			t.Errorf("%q: RemindAfter %s, err %v; want %s, refused %v", tc.v, cfg.RemindAfter, err, tc.want, tc.bad)
		}
	}
}
