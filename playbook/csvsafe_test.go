package playbook

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCSVSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"＝1+1", "'＝1+1"},
		{"＋1", "'＋1"},
		{"－1", "'－1"},
		{"＠x", "'＠x"},
		{"  =1", "'  =1"},
		{"\u3000=1", "'\u3000=1"},
		{`"=1"`, `'"=1"`},
		{"'=1", "''=1"},
		{"“=1”", "'“=1”"},
		{"x;=cmd|' /C calc'!A0", "x;=cmd|' /C calc'!A0"}, // quoted as a whole: one cell
		{"a=b", "a=b"},
	}
	for _, tc := range tests {
		if got := csvSafe(tc.in); got != tc.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The semicolon case stays one quoted cell.
	w := &csvWriter{}
	w.Write("x;=cmd|' /C calc'!A0", "b")
	if got := string(w.Bytes()); got != "\"x;=cmd|' /C calc'!A0\",\"b\"\n" {
		t.Errorf("row = %q", got)
	}
}

// FuzzCSVWriter: whatever the cells, the output is RFC 4180 CSV whose
// every cell is quoted, reads back as the same cells (each possibly behind
// an apostrophe), and has no cell a spreadsheet would run as a formula.
func FuzzCSVWriter(f *testing.F) {
	for _, s := range []string{"", "=1", " ＝1", "a,b", "\"q\"", "x\ny", "\r\n", "'@", "\t-"} {
		f.Add(s, "plain")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		w := &csvWriter{crlf: true}
		w.Write(a, b)
		out := w.Bytes()
		if !bytes.HasPrefix(out, []byte(`"`)) || !bytes.HasSuffix(out, []byte("\"\r\n")) {
			t.Fatalf("not quoted: %q", out)
		}
		r := csv.NewReader(bytes.NewReader(out))
		r.LazyQuotes = false
		rows, err := r.ReadAll()
		if err != nil || len(rows) != 1 || len(rows[0]) != 2 {
			t.Fatalf("read back %q: %v, %q", out, err, rows)
		}
		for i, in := range []string{a, b} {
			got := rows[0][i]
			// Lines inside a cell end with \r\n (a lone \r is dropped, as
			// encoding/csv's UseCRLF does), which reads back as \n.
			in = strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "")
			if got != in && got != "'"+in {
				t.Errorf("cell %d: %q read back as %q", i, in, got)
			}
			if got == "" || got[0] == '\'' {
				continue
			}
			if got[0] == '\t' || got[0] == '\r' {
				t.Errorf("cell %q starts with a tab or CR", got)
			}
			rest := strings.TrimLeftFunc(got, func(r rune) bool { return unicode.IsSpace(r) || isQuoteRune(r) })
			if first, _ := utf8.DecodeRuneInString(rest); strings.ContainsRune("=+-@＝＋－＠", first) {
				t.Errorf("cell %q would run as a formula", got)
			}
		}
	})
}
