package main

import "testing"

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
