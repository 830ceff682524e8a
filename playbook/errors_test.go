package playbook

import "testing"

// TestErrorfEscapesTyped: a value echoed with %q is what a person typed,
// and must not become Markdown in their reply; the message's own Markdown
// and %s and %d values stay as written.
func TestErrorfEscapesTyped(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []any
		want   string
	}{
		{"There is no playbook task %q.", []any{"[phish](https://evil.example)"}, `There is no playbook task "\[phish\]\(https://evil.example\)".`},
		{"%q is not a role.", []any{"*x* <b>y</b>"}, `"\*x\* \<b\>y\</b\>" is not a role.`},
		{"Line %d: %q.", []any{3, "a\nb"}, `Line 3: "a\\nb".`},
		{"**%s** waits for %s.", []any{"1370", "1871 (migration events)"}, "**1370** waits for 1871 (migration events)."},
		{"%-6s|%5.2f", []any{"ab", 1.5}, "ab    | 1.50"},
	} {
		if got := Errorf(EINVALID, tc.format, tc.args...).Message; got != tc.want {
			t.Errorf("Errorf(%q) = %q, want %q", tc.format, got, tc.want)
		}
	}
}
