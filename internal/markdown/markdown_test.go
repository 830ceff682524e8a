package markdown

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Contoso", "Contoso"},
		{"[phish](https://evil.example)", `\[phish\]\(https://evil.example\)`},
		{"**bold** _it_", `\*\*bold\*\* \_it\_`},
		{"![img](x)", `\!\[img\]\(x\)`},
		{"<at>Pat</at>", `\<at\>Pat\</at\>`},
		{"`code`", "\\`code\\`"},
		{`back\slash`, `back\\slash`},
		{"- item", `\- item`},
		{"line\n+ item\n  12. item", "line\n\\+ item\n  12\\. item"},
		{"2026 plan", "2026 plan"},
		{"Müller & Söhne", "Müller & Söhne"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzEscape: an escaped string holds no unescaped character Markdown
// reads, and unescaping gives the input back.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"[a](b)", "**x**", "- y", "1. z", `\`, "<at>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		var out strings.Builder
		for i := 0; i < len(e); i++ {
			c := e[i]
			if c == '\\' && i+1 < len(e) {
				out.WriteByte(e[i+1])
				i++
				continue
			}
			if strings.IndexByte("`*_~[]()<>#|!", c) >= 0 {
				t.Fatalf("Escape(%q) = %q leaves %q bare", s, e, c)
			}
			out.WriteByte(c)
		}
		if out.String() != s {
			t.Fatalf("Escape(%q) = %q unescapes to %q", s, e, out.String())
		}
	})
}
