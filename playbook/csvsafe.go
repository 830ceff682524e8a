package playbook

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The CSV the bot hands out (issues export, the report CSV, questionnaire
// exports) is opened in spreadsheets, which run a cell that looks like a
// formula. OWASP's CSV injection rules
// (https://owasp.org/www-community/attacks/CSV_Injection): quote every
// cell, so a separator inside one (a ; in locales that split on it) cannot
// start a new cell, and prefix with an apostrophe every cell that begins,
// after any leading whitespace or quotes, with = + - @, or that begins with
// a tab or carriage return; spreadsheets read the fullwidth forms
// (＝ ＋ － ＠) as the same characters, so they count too.

// csvWriter writes RFC 4180 CSV with every cell quoted and defused.
type csvWriter struct {
	buf  bytes.Buffer
	crlf bool // end lines, also those inside a cell, with \r\n (as encoding/csv's UseCRLF)
}

// Write writes one row.
func (w *csvWriter) Write(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteByte('"')
		c = strings.ReplaceAll(csvSafe(c), `"`, `""`)
		if w.crlf {
			c = crlfLines.Replace(c)
		}
		w.buf.WriteString(c)
		w.buf.WriteByte('"')
	}
	if w.crlf {
		w.buf.WriteString("\r\n")
	} else {
		w.buf.WriteByte('\n')
	}
}

// crlfLines ends the lines inside a cell with \r\n, as encoding/csv does.
var crlfLines = strings.NewReplacer("\r\n", "\r\n", "\r", "", "\n", "\r\n")

// Bytes returns what was written.
func (w *csvWriter) Bytes() []byte { return w.buf.Bytes() }

// csvSafe defuses a cell a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	rest := strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || isQuoteRune(r) })
	r, _ := utf8.DecodeRuneInString(rest)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}

// isQuoteRune is a quotation mark a spreadsheet may skip before a formula.
func isQuoteRune(r rune) bool {
	switch r {
	case '"', '\'', '＂', '＇', '‘', '’', '“', '”':
		return true
	}
	return false
}
