package playbook

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Batch membership and pre-flight results arrive as CSV: pasted in a card
// or imported with `mvmbot import batch`. Both parsers are all or nothing:
// every bad row is reported with its line number, and nothing is returned
// for import when any row is bad. docs/schedule.md gives the formats.

// CSV limits.
const (
	MaxBatchRows     = 50_000   // data rows of one file: one event's members at most
	MaxBatchCSVBytes = 16 << 20 // bytes of one file; read no more than this plus one
	MaxUnitLen       = 2048     // characters of a user, path or target
	MaxRowErrors     = 100      // row errors listed; the rest are counted
)

// BatchKind is what an event's units are.
type BatchKind string

// Batch kinds. Stored: never rename one.
const (
	BatchUsers BatchKind = "user" // mailboxes, drives, accounts: an email address each
	BatchPaths BatchKind = "path" // folders, shares, team folders: a path each
)

// BatchMember is one unit of an event.
type BatchMember struct {
	Unit   string `json:"unit"`             // the source user (email) or path
	Target string `json:"target,omitempty"` // the target user or location; "" = the default mapping
}

// RowError is one bad row of a CSV file.
type RowError struct {
	Line    int    `json:"line"` // 1-based, counting the header and blank lines
	Message string `json:"message"`
}

func (r RowError) String() string {
	return fmt.Sprintf("line %d: %s", r.Line, r.Message)
}

// RowErrorsText lists row errors for a person, one a line, at most max of
// them and a count of the rest.
func RowErrorsText(errs []RowError, max int) string {
	var b strings.Builder
	for i, r := range errs {
		if i == max {
			fmt.Fprintf(&b, "… and %s more.\n", countStr(len(errs)-max))
			break
		}
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// batchColumn is one column a CSV format knows.
type batchColumn struct {
	name     string
	aliases  []string
	required bool
}

var (
	batchUserColumns = []batchColumn{
		{name: "user", aliases: []string{"email", "emailaddress", "mailbox", "upn", "source"}, required: true},
		{name: "target", aliases: []string{"destination", "targetuser", "targetupn"}},
	}
	batchPathColumns = []batchColumn{
		{name: "path", aliases: []string{"folder", "source", "sourcepath"}, required: true},
		{name: "target", aliases: []string{"destination", "targetpath", "targeturl"}},
	}
	preflightColumns = []batchColumn{
		{name: "unit", aliases: []string{"user", "path", "email", "source"}, required: true},
		{name: "result", aliases: []string{"status", "outcome"}, required: true},
		{name: "reason", aliases: []string{"error", "message", "detail"}},
	}
)

// credentialColumns are headers that mean someone put credentials in the file.
var credentialColumns = []string{"password", "pwd", "pass", "secret", "token", "key", "apikey", "clientsecret"}

// batchTable reads a CSV file's header and rows, checking what every format
// shares: size, UTF-8, header, row count, field count, blank rows.
type batchTable struct {
	r     *csv.Reader
	cols  []int // for each format column, its index in the file; -1 absent
	width int
	row   int // data rows read
}

func openBatchCSV(data []byte, format []batchColumn, what string) (*batchTable, error) {
	if len(data) > MaxBatchCSVBytes {
		return nil, Errorf(EINVALID, "The file is %s bytes; the limit is %s (%s rows). Split it.", countStr(len(data)), countStr(MaxBatchCSVBytes), countStr(MaxBatchRows))
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, Errorf(EINVALID, "The file is UTF-16 text; save it as \"CSV UTF-8\" and try again.")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	t := &batchTable{r: csv.NewReader(bytes.NewReader(data))}
	t.r.FieldsPerRecord = -1
	t.r.ReuseRecord = true
	hdr, line, err := t.next()
	if err == io.EOF {
		return nil, Errorf(EINVALID, "The %s file is empty: give a header line (%s) and one row per unit.", what, batchColumnNames(format))
	}
	var re *batchRowErr
	if errors.As(err, &re) {
		return nil, Errorf(EINVALID, "Line %d, the header: %s.", re.Line, re.Message)
	}
	if err != nil {
		return nil, err
	}
	t.width = len(hdr)
	t.cols = make([]int, len(format))
	for i := range t.cols {
		t.cols[i] = -1
	}
	for j, h := range hdr {
		name := squash(h)
		if isCredentialColumn(name) {
			return nil, Errorf(EINVALID, "Line %d: column %q looks like a credential. Never put passwords or keys in a batch file; they go through the secure credential process (3614).", line, h)
		}
		k := -1
		for i, c := range format {
			if name == c.name || slices.Contains(c.aliases, name) {
				k = i
			}
		}
		if k < 0 {
			return nil, Errorf(EINVALID, "Line %d: the header has column %q, which the %s file does not take. Columns: %s.", line, strings.TrimSpace(h), what, batchColumnNames(format))
		}
		if t.cols[k] >= 0 {
			return nil, Errorf(EINVALID, "Line %d: the header names the %s column twice (%q and %q).", line, format[k].name, hdr[t.cols[k]], h)
		}
		t.cols[k] = j
	}
	for i, c := range format {
		if c.required && t.cols[i] < 0 {
			return nil, Errorf(EINVALID, "Line %d: the header has no %s column. The first line names the columns: %s.", line, c.name, batchColumnNames(format))
		}
	}
	return t, nil
}

func isCredentialColumn(name string) bool {
	return slices.Contains(credentialColumns, name) || strings.Contains(name, "password")
}

func batchColumnNames(format []batchColumn) string {
	s := make([]string, len(format))
	for i, c := range format {
		s[i] = c.name
		if !c.required {
			s[i] += " (optional)"
		}
	}
	return strings.Join(s, ", ")
}

// next returns the next record that is not blank, with its line. A
// malformed record comes back as a *batchRowErr; a file-level problem as an
// *Error; the end as io.EOF.
func (t *batchTable) next() ([]string, int, error) {
	for {
		rec, err := t.r.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if !errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, pe.StartLine, &batchRowErr{RowError{pe.StartLine, batchCSVErrText(pe.Err)}}
			}
		} else if err != nil {
			return nil, 0, err
		}
		line, _ := t.r.FieldPos(0)
		blank := true
		for i, f := range rec {
			if !utf8.ValidString(f) {
				l, _ := t.r.FieldPos(i)
				return nil, l, Errorf(EINVALID, "Line %d is not UTF-8 text (column %d). Save the file as \"CSV UTF-8\" and try again; nothing was imported.", l, i+1)
			}
			rec[i] = strings.TrimSpace(f)
			blank = blank && rec[i] == ""
		}
		if !blank {
			return rec, line, nil
		}
	}
}

type batchRowErr struct{ RowError }

func (e *batchRowErr) Error() string { return e.RowError.String() }

func batchCSVErrText(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "a quote inside an unquoted field; put the field in double quotes and double the quote (\"\")"
	case errors.Is(err, csv.ErrQuote):
		return "a quoted field is not closed, or text follows its closing quote"
	}
	return err.Error()
}

// rows calls fn for every data row, with the format's columns in format
// order ("" for an absent optional one), and collects row errors. It stops
// with an *Error when the file has more than MaxBatchRows rows, without
// reading further.
func (t *batchTable) rows(fn func(line int, fields []string) string) ([]RowError, error) {
	var bad []RowError
	fields := make([]string, len(t.cols))
	for {
		rec, line, err := t.next()
		if err == io.EOF {
			return bad, nil
		}
		t.row++
		if t.row > MaxBatchRows {
			return nil, Errorf(EINVALID, "The file has more than %s rows (line %s is row %s). One event takes at most %s units: split the file over several events.",
				countStr(MaxBatchRows), countStr(line), countStr(t.row), countStr(MaxBatchRows))
		}
		var re *batchRowErr
		switch {
		case errors.As(err, &re):
			bad = append(bad, re.RowError)
			continue
		case err != nil:
			return nil, err
		case len(rec) != t.width:
			bad = append(bad, RowError{line, fmt.Sprintf("%d fields, but the header has %d", len(rec), t.width)})
			continue
		}
		for i, j := range t.cols {
			fields[i] = ""
			if j >= 0 {
				fields[i] = rec[j]
			}
		}
		if msg := fn(line, fields); msg != "" {
			bad = append(bad, RowError{line, msg})
		}
	}
}

// errRows is the error that comes with row errors: nothing imported.
func errBatchRows(bad []RowError) error {
	return Errorf(EINVALID, "%s; nothing was imported. Fix them and import the whole file again.\n%s",
		nOf(len(bad), "row is invalid", "rows are invalid"), RowErrorsText(bad, 10))
}

// ParseBatchCSV reads an event's members: a header line naming the columns
// (for users: user, and optionally target; for paths: path, and optionally
// target; any case, common aliases accepted), then one unit a row. Blank
// lines are skipped; fields may be quoted as RFC 4180 says. Every row is
// checked: the unit's shape (an email address for users, a path without
// control characters for paths), field count, and duplicates (case-
// insensitive; both lines named).
//
// All or nothing: when any row is bad, members is nil, rowErrs lists every
// bad row (at most MaxRowErrors; the error counts them all) and err is
// EINVALID. A problem with the file itself (not UTF-8, no header, an
// unknown or credential column, more than MaxBatchRows rows, more than
// MaxBatchCSVBytes) returns only err.
func ParseBatchCSV(data []byte, kind BatchKind) (members []BatchMember, rowErrs []RowError, err error) {
	var format []batchColumn
	switch kind {
	case BatchUsers:
		format = batchUserColumns
	case BatchPaths:
		format = batchPathColumns
	default:
		return nil, nil, Errorf(EINVALID, "%q is not a kind of batch; use %s or %s.", kind, BatchUsers, BatchPaths)
	}
	t, err := openBatchCSV(data, format, string(kind)+" batch")
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	bad, err := t.rows(func(line int, f []string) string {
		if msg := checkBatchUnit(kind, f[0]); msg != "" {
			return msg
		}
		if msg := checkBatchTarget(kind, f[1]); msg != "" {
			return msg
		}
		k := batchUnitKey(kind, f[0])
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", f[0], first)
		}
		seen[k] = line
		members = append(members, BatchMember{Unit: f[0], Target: f[1]})
		return ""
	})
	switch {
	case err != nil:
		return nil, nil, err
	case len(bad) > 0:
		return nil, capBatchRows(bad), errBatchRows(bad)
	case len(members) == 0:
		return nil, nil, Errorf(EINVALID, "The file has a header but no rows: list one %s a row.", kind)
	}
	return members, nil, nil
}

func capBatchRows(bad []RowError) []RowError {
	if len(bad) > MaxRowErrors {
		return bad[:MaxRowErrors:MaxRowErrors]
	}
	return bad
}

// checkUnit says what is wrong with a unit of that kind; "" if nothing.
func checkBatchUnit(kind BatchKind, u string) string {
	if u == "" {
		return fmt.Sprintf("no %s", kind)
	}
	if utf8.RuneCountInString(u) > MaxUnitLen {
		return fmt.Sprintf("the %s is longer than %s characters", kind, countStr(MaxUnitLen))
	}
	if strings.ContainsFunc(u, unicode.IsControl) {
		return fmt.Sprintf("the %s contains control characters", kind)
	}
	if kind == BatchUsers {
		return checkUnitEmail(u)
	}
	return ""
}

func checkBatchTarget(kind BatchKind, t string) string {
	if t == "" {
		return ""
	}
	if utf8.RuneCountInString(t) > MaxUnitLen {
		return fmt.Sprintf("the target is longer than %s characters", countStr(MaxUnitLen))
	}
	if strings.ContainsFunc(t, unicode.IsControl) {
		return "the target contains control characters"
	}
	if kind == BatchUsers {
		if msg := checkUnitEmail(t); msg != "" {
			return "target: " + msg
		}
	}
	return ""
}

// checkEmail accepts name@domain with a DNS domain and no spaces.
func checkUnitEmail(s string) string {
	local, dom, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(dom, "@") || strings.ContainsFunc(s, unicode.IsSpace) || len(s) > 254 {
		return fmt.Sprintf("%q is not an email address such as ann@contoso.com", s)
	}
	if _, err := normDomain(dom); err != nil {
		return fmt.Sprintf("%q is not an email address: %s is not a domain name", s, dom)
	}
	return ""
}

// unitKey is what makes two units the same: case never counts (mail
// addresses, and the file systems and cloud stores migrated, ignore it),
// nor does the slash direction or a trailing slash of a path.
func batchUnitKey(kind BatchKind, u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if kind == BatchPaths {
		u = strings.ReplaceAll(u, `\`, "/")
		if len(u) > 1 {
			u = strings.TrimRight(u, "/")
		}
	}
	return u
}

// WriteBatchCSV writes members as ParseBatchCSV reads them, header first.
func WriteBatchCSV(kind BatchKind, members []BatchMember) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	col := string(kind)
	if kind != BatchUsers && kind != BatchPaths {
		col = "unit"
	}
	_ = w.Write([]string{col, "target"})
	for _, m := range members {
		_ = w.Write([]string{m.Unit, m.Target})
	}
	w.Flush()
	return b.Bytes()
}

// ParsePreflightCSV reads pre-flight results: a header naming unit, result
// and optionally reason (aliases accepted), then one unit a row. Result is
// passed (also pass, ok, success) or failed (also fail, error); a failure
// needs a reason, which picks its remediation. All or nothing, with the
// same file checks and row errors as ParseBatchCSV.
func ParsePreflightCSV(data []byte) (results []PreflightResult, rowErrs []RowError, err error) {
	t, err := openBatchCSV(data, preflightColumns, "pre-flight results")
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}
	bad, err := t.rows(func(line int, f []string) string {
		unit, res, reason := f[0], f[1], f[2]
		if unit == "" {
			return "no unit"
		}
		if utf8.RuneCountInString(unit) > MaxUnitLen || strings.ContainsFunc(unit, unicode.IsControl) {
			return "the unit is too long or contains control characters"
		}
		var passed bool
		switch strings.ToLower(res) {
		case "passed", "pass", "ok", "success", "succeeded":
			passed = true
		case "failed", "fail", "error", "failure":
		default:
			return fmt.Sprintf("result %q is neither passed nor failed", res)
		}
		if !passed && reason == "" {
			return fmt.Sprintf("%s failed without a reason; the reason picks the remediation", unit)
		}
		if len(reason) > MaxReasonLen {
			return fmt.Sprintf("the reason is longer than %d characters", MaxReasonLen)
		}
		k := batchUnitKey(BatchPaths, unit) // the strictest sameness covers users too
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", unit, first)
		}
		seen[k] = line
		results = append(results, PreflightResult{Unit: unit, Passed: passed, Reason: reason})
		return ""
	})
	switch {
	case err != nil:
		return nil, nil, err
	case len(bad) > 0:
		return nil, capBatchRows(bad), errBatchRows(bad)
	case len(results) == 0:
		return nil, nil, Errorf(EINVALID, "The file has a header but no rows: list one unit a row.")
	}
	return results, nil, nil
}
