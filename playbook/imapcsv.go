package playbook

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Microsoft's IMAP migration CSV (Exchange Online, "CSV files for IMAP
// migration batches"; docs/schedule.md cites it): EmailAddress is the
// Microsoft 365 mailbox, UserName the source IMAP login (user name,
// domain\user, or the administrator form of the IMAP server), Password its
// password, and the optional UserRoot the mailbox's place in virtual
// shared folders (Courier, Oracle). The header names must be spelled as
// Microsoft spells them: "Email Address" is invalid.
const (
	imapEmailAddress = "EmailAddress"
	imapUserName     = "UserName"
	imapPassword     = "Password"
	imapUserRoot     = "UserRoot"

	// MaxIMAPCSVBytes is Microsoft's limit for one IMAP migration CSV: "up
	// to 50,000 rows, one row for each user, and can be as large as 10 MB".
	MaxIMAPCSVBytes = 10 << 20
)

// imapColumns are the IMAP CSV's columns in the order rows() hands them.
var imapColumns = []string{imapEmailAddress, imapUserName, imapPassword, imapUserRoot}

// isIMAPHeader reports whether a header is Microsoft's IMAP migration CSV:
// it names EmailAddress or UserName (in any spelling, so that a misspelt
// one is refused as Microsoft would rather than read as something else).
func isIMAPHeader(hdr []string) bool {
	return slices.ContainsFunc(hdr, func(h string) bool {
		n := squash(h)
		return n == "emailaddress" || n == "username"
	})
}

// parseIMAPCSV reads the rows of an IMAP migration CSV whose header hdr t
// has read on line. Passwords are counted, never copied.
func parseIMAPCSV(data []byte, t *batchTable, hdr []string, line int) (BatchFile, []RowError, error) {
	if len(data) > MaxIMAPCSVBytes {
		return BatchFile{}, nil, Errorf(EINVALID, "The IMAP migration CSV is %s bytes; Microsoft takes one of at most 10 MB (%s bytes) and 50,000 rows. Divide it into two or more files.", countStr(len(data)), countStr(MaxIMAPCSVBytes))
	}
	t.cols = []int{-1, -1, -1, -1}
	for j, h := range hdr {
		h = strings.TrimSpace(h)
		i := slices.IndexFunc(imapColumns, func(c string) bool { return squash(c) == squash(h) })
		switch {
		case i < 0:
			return BatchFile{}, nil, Errorf(EINVALID, "Line %d, column %d: Microsoft's IMAP migration CSV has no column %q. Its columns: EmailAddress, UserName, Password, and UserRoot (optional). (In mvmbot's own layout the source column is user, not EmailAddress, which is the Microsoft 365 mailbox.)", line, j+1, h)
		case !strings.EqualFold(h, imapColumns[i]):
			return BatchFile{}, nil, Errorf(EINVALID, "Line %d, column %d: %q is not how Microsoft's IMAP migration CSV spells the column; write %s, one word with no spaces (the migration fails otherwise).", line, j+1, h, imapColumns[i])
		case t.cols[i] >= 0:
			return BatchFile{}, nil, Errorf(EINVALID, "Line %d, column %d: the header names %s twice (columns %d and %d).", line, j+1, imapColumns[i], t.cols[i]+1, j+1)
		}
		t.cols[i] = j
	}
	for i := range imapColumns[:2] {
		if t.cols[i] < 0 {
			return BatchFile{}, nil, Errorf(EINVALID, "Line %d: column %q is missing. Microsoft's IMAP migration CSV needs EmailAddress (the Microsoft 365 mailbox) and UserName (the source IMAP login) in its header row, and Password (which the bot does not keep).", line, imapColumns[i])
		}
	}
	f := BatchFile{Kind: BatchUsers, Format: FormatIMAP}
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		mailbox, login, password, root := r[0], r[1], r[2], r[3]
		if password != "" {
			f.PasswordsDropped++
		}
		if msg := checkUnitEmail(mailbox); msg != "" {
			return "EmailAddress (the Microsoft 365 mailbox): " + msg
		}
		if msg := checkIMAPText("UserName (the source IMAP login)", login, true); msg != "" {
			return msg
		}
		if msg := checkIMAPText("UserRoot", root, false); msg != "" {
			return msg
		}
		k := batchUnitKey(BatchUsers, mailbox)
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", mailbox, first)
		}
		seen[k] = line
		f.Members = append(f.Members, BatchMember{Unit: mailbox, Login: login, UserRoot: root})
		return ""
	})
	return finishBatch(f, bad, err, "The IMAP migration CSV has a header but no rows: list one mailbox a row.")
}

// checkIMAPText says what is wrong with a login or a user root; "" if
// nothing. The value itself is never quoted back: a login in an
// administrator form names the administrator.
func checkIMAPText(what, v string, required bool) string {
	switch {
	case v == "" && required:
		return "no " + what
	case utf8.RuneCountInString(v) > MaxUnitLen:
		return fmt.Sprintf("the %s is longer than %s characters", what, countStr(MaxUnitLen))
	case strings.ContainsFunc(v, unicode.IsControl):
		return fmt.Sprintf("the %s contains control characters", what)
	}
	return ""
}
