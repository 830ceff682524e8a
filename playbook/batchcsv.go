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
	// Unit is the source user (email) or path. For a mailbox read from
	// Microsoft's IMAP migration CSV it is the Microsoft 365 mailbox (the
	// CSV's EmailAddress), which is how Exchange Online names the migration
	// user (Get-MigrationUser's Identity), and Login holds the source.
	Unit   string `json:"unit"`
	Target string `json:"target,omitempty"` // the target user or location; "" = the default mapping
	// Login is the source IMAP login (the IMAP CSV's UserName), in whatever
	// form the IMAP server takes: user, domain\user, or an administrator
	// form (Domain/Admin/User, user*admin, #user@domain#admin#).
	Login string `json:"login,omitempty"`
	// UserRoot is the mailbox's place in the IMAP server's virtual shared
	// folders (Courier, Oracle), from the IMAP CSV's optional UserRoot.
	UserRoot string `json:"userRoot,omitempty"`
	// TargetList and TargetFolder are a file-share task's destination
	// library and folder in the site Target (SPMT's and Migration
	// Manager's Target DocLib and Target SubFolder).
	TargetList   string `json:"targetList,omitempty"`
	TargetFolder string `json:"targetFolder,omitempty"`
}

// memberKey is what makes two members the same: the unit, and for a path
// its destination too (Migration Manager's own example moves one share to
// two destinations).
func memberKey(kind BatchKind, m BatchMember) string {
	k := batchUnitKey(kind, m.Unit)
	if kind == BatchPaths && (m.Target != "" || m.TargetList != "" || m.TargetFolder != "") {
		k += "\x00" + strings.ToLower(strings.TrimRight(m.Target, "/")+"\x00"+m.TargetList+"\x00"+m.TargetFolder)
	}
	return k
}

// RowError is one bad row of a CSV file.
type RowError struct {
	Line    int    `json:"line"` // 1-based, counting the header and blank lines
	Message string `json:"message"`
}

func (r RowError) String() string {
	if r.Line == 0 { // not a line: a JSON task names itself
		return r.Message
	}
	return fmt.Sprintf("line %d: %s", r.Line, r.Message)
}

// RowErrorsText lists row errors for a person, at most max of them and a
// count of the rest, each a paragraph of its own: Teams' Markdown joins
// lines split by a single line break.
func RowErrorsText(errs []RowError, max int) string {
	lines := make([]string, 0, min(len(errs), max+1))
	for i, r := range errs {
		if i == max {
			lines = append(lines, fmt.Sprintf("… and %s more.", countStr(len(errs)-max)))
			break
		}
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n\n")
}

// batchColumn is one column a CSV format knows.
type batchColumn struct {
	name     string
	aliases  []string
	required bool
}

var (
	// emailaddress is not an alias: in Microsoft's IMAP migration CSV it is
	// the target mailbox, and a header with it is read as that file.
	batchUserColumns = []batchColumn{
		{name: "user", aliases: []string{"email", "mailbox", "upn", "source"}, required: true},
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
	row   int    // data rows read
	of    string // what width counts, for a person: "the header has"
}

func openBatchCSV(data []byte, format []batchColumn, what string) (*batchTable, error) {
	t, hdr, line, err := readBatchHeader(data, what, batchColumnNames(format))
	if err != nil {
		return nil, err
	}
	return t, t.mapColumns(hdr, line, format, what)
}

// readBatchHeader checks what every file shares (size, UTF-16, a header)
// and reads the header line; columns names them for a person.
func readBatchHeader(data []byte, what, columns string) (*batchTable, []string, int, error) {
	if len(data) > MaxBatchCSVBytes {
		return nil, nil, 0, Errorf(EINVALID, "The file is %s bytes; the limit is %s (%s rows). Split it.", countStr(len(data)), countStr(MaxBatchCSVBytes), countStr(MaxBatchRows))
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, nil, 0, Errorf(EINVALID, "The file is UTF-16 text; save it as \"CSV UTF-8\" and try again.")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	t := &batchTable{r: csv.NewReader(bytes.NewReader(data))}
	t.r.FieldsPerRecord = -1
	t.r.ReuseRecord = true
	hdr, line, err := t.next()
	if err == io.EOF {
		return nil, nil, 0, Errorf(EINVALID, "The %s file is empty: give a header line (%s) and one row per unit.", what, columns)
	}
	var re *batchRowErr
	if errors.As(err, &re) {
		return nil, nil, 0, Errorf(EINVALID, "Line %d, the header: %s.", re.Line, re.Message)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	t.width = len(hdr)
	return t, slices.Clone(hdr), line, nil
}

// mapColumns finds format's columns in the header hdr, read on line.
func (t *batchTable) mapColumns(hdr []string, line int, format []batchColumn, what string) error {
	t.cols = make([]int, len(format))
	for i := range t.cols {
		t.cols[i] = -1
	}
	for j, h := range hdr {
		name := squash(h)
		if isCredentialColumn(name) {
			return Errorf(EINVALID, "Line %d: column %q looks like a credential. Never put passwords or keys in a batch file; they go through the secure credential process (3614).", line, h)
		}
		k := -1
		for i, c := range format {
			if name == c.name || slices.Contains(c.aliases, name) {
				k = i
			}
		}
		if k < 0 {
			return Errorf(EINVALID, "Line %d: the header has column %q, which the %s file does not take. Columns: %s.", line, strings.TrimSpace(h), what, batchColumnNames(format))
		}
		if t.cols[k] >= 0 {
			return Errorf(EINVALID, "Line %d: the header names the %s column twice (%q and %q).", line, format[k].name, hdr[t.cols[k]], h)
		}
		t.cols[k] = j
	}
	for i, c := range format {
		if c.required && t.cols[i] < 0 {
			return Errorf(EINVALID, "Line %d: the header has no %s column. The first line names the columns: %s.", line, c.name, batchColumnNames(format))
		}
	}
	return nil
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
			of := t.of
			if of == "" {
				of = "the header has"
			}
			bad = append(bad, RowError{line, fmt.Sprintf("%d fields, but %s %d", len(rec), of, t.width)})
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

// BatchFormat is the layout a batch file was written in.
type BatchFormat string

// Batch file formats.
const (
	FormatMembers BatchFormat = "members" // mvmbot's own: user or path, and target
	FormatIMAP    BatchFormat = "imap"    // Microsoft's IMAP migration CSV
)

// BatchFile is a batch file as read: its members, the format it was in,
// and what was left out of it on purpose.
type BatchFile struct {
	Kind    BatchKind
	Format  BatchFormat
	Members []BatchMember
	// PasswordsDropped counts the rows whose Password the reader dropped:
	// passwords are never kept, the migration service gets them through
	// the secure credential process (3614).
	PasswordsDropped int
}

// Notice is what the person who gave the file must be told besides the
// count: that its passwords were not kept, and where credentials go. ""
// when there is nothing to tell.
func (f BatchFile) Notice() string {
	if f.PasswordsDropped == 0 {
		return ""
	}
	return fmt.Sprintf("The Password column (%s) was not kept: the bot never stores passwords. Send the credentials to the migration service through the secure credential process (3614), never in chat.",
		nOf(f.PasswordsDropped, "row", "rows"))
}

// ParseBatchCSV reads an event's members as ParseBatchFile does, and
// returns only the members.
func ParseBatchCSV(data []byte, kind BatchKind) (members []BatchMember, rowErrs []RowError, err error) {
	f, rowErrs, err := ParseBatchFile(data, kind)
	return f.Members, rowErrs, err
}

// ParseBatchFile reads an event's members in one of two layouts.
//
// mvmbot's own: a header line naming the columns (for users: user, and
// optionally target; for paths: path, and optionally target; any case,
// common aliases accepted), then one unit a row.
//
// SPMT's and Migration Manager's file-share bulk file, for paths: the
// six-column CSV (a header row optional) or the JSON of Tasks
// (ParseBulkJSON); each row is a task, Unit its source path, Target,
// TargetList and TargetFolder its destination.
//
// Microsoft's IMAP migration CSV, as Exchange Online takes it
// (docs/schedule.md): a header with EmailAddress (the Microsoft 365
// mailbox), UserName (the source IMAP login, in any administrator form),
// optionally Password and UserRoot, spelled as Microsoft spells them (one
// word each; "Email Address" is refused, naming the column). Each row is a
// mailbox: Unit is EmailAddress, Login UserName, UserRoot UserRoot. The
// Password of every row is dropped while reading and never copied anywhere,
// not even into an error; PasswordsDropped counts them.
//
// Blank lines are skipped; fields may be quoted as RFC 4180 says. Every row
// is checked: the unit's shape (an email address for users, a path without
// control characters for paths), field count, and duplicates (case-
// insensitive; both lines named).
//
// All or nothing: when any row is bad, the members are nil, rowErrs lists
// every bad row (at most MaxRowErrors; the error counts them all) and err
// is EINVALID. A problem with the file itself (not UTF-8, no header, an
// unknown or credential column, more than MaxBatchRows rows, more than
// MaxBatchCSVBytes) returns only err.
func ParseBatchFile(data []byte, kind BatchKind) (BatchFile, []RowError, error) {
	var format []batchColumn
	switch kind {
	case BatchUsers:
		format = batchUserColumns
	case BatchPaths:
		format = batchPathColumns
	default:
		return BatchFile{}, nil, Errorf(EINVALID, "%q is not a kind of batch; use %s or %s.", kind, BatchUsers, BatchPaths)
	}
	if kind == BatchPaths && bytes.HasPrefix(bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n"), []byte("{")) {
		return ParseBulkJSON(data)
	}
	what := string(kind) + " batch"
	t, hdr, line, err := readBatchHeader(data, what, batchColumnNames(format))
	if err != nil {
		return BatchFile{}, nil, err
	}
	if kind == BatchPaths && isFileShareCSV(hdr) {
		return parseFileShareCSV(t, hdr, line)
	}
	if isIMAPHeader(hdr) {
		if kind != BatchUsers {
			return BatchFile{}, nil, Errorf(EINVALID, "This is Microsoft's IMAP migration CSV (EmailAddress, UserName): it lists mailboxes, so import it as users, not %ss.", kind)
		}
		return parseIMAPCSV(data, t, hdr, line)
	}
	if err := t.mapColumns(hdr, line, format, what); err != nil {
		return BatchFile{}, nil, err
	}
	var members []BatchMember
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
	return finishBatch(BatchFile{Kind: kind, Format: FormatMembers, Members: members}, bad, err,
		fmt.Sprintf("The file has a header but no rows: list one %s a row.", kind))
}

// finishBatch ends a batch file's reading, all or nothing: the file read,
// or the error of the file (err), of its rows (bad), or of having none
// (empty says so).
func finishBatch(f BatchFile, bad []RowError, err error, empty string) (BatchFile, []RowError, error) {
	ms, rowErrs, err := finishRows(f.Members, bad, err, empty)
	if err != nil {
		return BatchFile{}, rowErrs, err
	}
	f.Members = ms
	return f, nil, nil
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

// WriteBatchCSV writes members as ParseBatchCSV reads them, header first:
// mailboxes read from Microsoft's IMAP migration CSV in its layout (without
// passwords, which were never kept), the others in mvmbot's.
func WriteBatchCSV(kind BatchKind, members []BatchMember) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if kind == BatchPaths && slices.ContainsFunc(members, func(m BatchMember) bool { return m.TargetList != "" }) {
		// SPMT's and Migration Manager's layout, without a header row.
		for _, m := range members {
			_ = w.Write([]string{m.Unit, "", "", m.Target, m.TargetList, m.TargetFolder})
		}
		w.Flush()
		return b.Bytes()
	}
	if kind == BatchUsers && slices.ContainsFunc(members, func(m BatchMember) bool { return m.Login != "" }) {
		_ = w.Write([]string{imapEmailAddress, imapUserName, imapUserRoot})
		for _, m := range members {
			_ = w.Write([]string{m.Unit, m.Login, m.UserRoot})
		}
		w.Flush()
		return b.Bytes()
	}
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
	return finishRows(results, bad, err, "The file has a header but no rows: list one unit a row.")
}

// finishRows ends a file's reading, all or nothing: the rows read, or the
// error of the file (err), of its rows (bad), or of having none (empty
// says so).
func finishRows[T any](out []T, bad []RowError, err error, empty string) ([]T, []RowError, error) {
	switch {
	case err != nil:
		return nil, nil, err
	case len(bad) > 0:
		return nil, capBatchRows(bad), errBatchRows(bad)
	case len(out) == 0:
		return nil, nil, Errorf(EINVALID, "%s", empty)
	}
	return out, nil, nil
}
