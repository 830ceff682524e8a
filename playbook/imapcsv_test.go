package playbook

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Microsoft's example IMAP migration CSVs, each read field by field: the
// Microsoft 365 mailbox is the unit, UserName the source login in every
// administrator form, UserRoot kept, Password dropped.
func TestParseBatchFileMicrosoftIMAP(t *testing.T) {
	three := func(login func(first, last string) string, root bool) []BatchMember {
		var ms []BatchMember
		for _, u := range [][3]string{{"terrya", "terry", "adams"}, {"annb", "ann", "beebe"}, {"paulc", "paul", "cannon"}} {
			m := BatchMember{Unit: u[0] + "@contoso.edu", Login: login(u[1], u[2])}
			if root {
				m.UserRoot = "/users/" + u[1] + "." + u[2]
			}
			ms = append(ms, m)
		}
		return ms
	}
	tests := []struct {
		file      string
		want      []BatchMember
		passwords []string
	}{
		{"imap-migration.csv", three(func(f, l string) string { return `contoso\` + f + "." + l }, false), []string{"1091990", "2111991", "3281986"}},
		{"imap-migration-admin-exchange.csv", three(func(f, l string) string { return "contoso-students/mailadmin/" + f + "." + l }, false), []string{"P@ssw0rd"}},
		{"imap-migration-admin-dovecot.csv", three(func(f, l string) string { return f + "." + l + "*mailadmin" }, false), []string{"P@ssw0rd"}},
		{"imap-migration-admin-mirapoint.csv", three(func(f, l string) string { return "#" + f + "." + l + "@contoso-students.edu#mailadmin#" }, false), []string{"P@ssw0rd"}},
		{"imap-migration-userroot-courier.csv", three(func(string, string) string { return "mailadmin" }, true), []string{"P@ssw0rd"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "microsoft", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, rowErrs, err := ParseBatchFile(data, BatchUsers)
			if err != nil || rowErrs != nil {
				t.Fatalf("%v %v", err, rowErrs)
			}
			if f.Format != FormatIMAP || f.Kind != BatchUsers || f.PasswordsDropped != 3 || !slices.Equal(f.Members, tt.want) {
				t.Errorf("got %+v\nwant %+v", f, tt.want)
			}
			if n := f.Notice(); !strings.Contains(n, "was not kept") || !strings.Contains(n, "3614") {
				t.Errorf("notice %q", n)
			}
			back := WriteBatchCSV(BatchUsers, f.Members)
			for _, p := range tt.passwords {
				if bytes.Contains(back, []byte(p)) || strings.Contains(f.Notice(), p) {
					t.Errorf("password %q survived reading", p)
				}
			}
			again, _, err := ParseBatchFile(back, BatchUsers)
			if err != nil || !slices.Equal(again.Members, f.Members) || again.PasswordsDropped != 0 {
				t.Errorf("written back and read: %+v, %v", again, err)
			}
		})
	}
}

// Header spellings that are not Microsoft's are refused with the line and
// column named, and nothing the old reader got wrong gets through: a file
// with only EmailAddress is no longer read as source logins.
func TestParseBatchFileIMAPRefusals(t *testing.T) {
	tests := []struct {
		name, in string
		kind     BatchKind
		want     []string
	}{
		{"spaced header", "Email Address,UserName,Password\na@contoso.edu,a,p\n", BatchUsers, []string{"Line 1, column 1", `"Email Address"`, "write EmailAddress"}},
		{"hyphenated user name", "EmailAddress,User-Name,Password\na@contoso.edu,a,p\n", BatchUsers, []string{"Line 1, column 2", "write UserName"}},
		{"user root spaced", "EmailAddress,UserName,Password,User Root\na@contoso.edu,a,p,/u\n", BatchUsers, []string{"Line 1, column 4", "write UserRoot"}},
		{"only the target", "EmailAddress\nann@contoso.edu\n", BatchUsers, []string{`column "UserName" is missing`, "source IMAP login"}},
		{"only the login", "UserName,Password\nann,p\n", BatchUsers, []string{`column "EmailAddress" is missing`}},
		{"a stranger column", "EmailAddress,UserName,Password,Quota\na@contoso.edu,a,p,5\n", BatchUsers, []string{"Line 1, column 4", `no column "Quota"`}},
		{"twice", "EmailAddress,UserName,username\na@contoso.edu,a,b\n", BatchUsers, []string{"names UserName twice"}},
		{"as paths", "EmailAddress,UserName\na@contoso.edu,a\n", BatchPaths, []string{"import it as users"}},
		{"header only", "EmailAddress,UserName,Password\n", BatchUsers, []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := ParseBatchFile([]byte(tt.in), tt.kind)
			wantErr(t, err, EINVALID, tt.want...)
			if f.Members != nil {
				t.Errorf("members %v", f.Members)
			}
		})
	}
	// Row errors name the row and never quote a password.
	in := "EmailAddress,UserName,Password\nann,ann.login,S3cret-one\nbob@contoso.edu,,S3cret-two\ncy@contoso.edu,cy\x01x,S3cret-three\nann@contoso.edu,a,S3cret-four\nANN@contoso.edu,b,S3cret-five\nd@contoso.edu,d\n"
	f, rowErrs, err := ParseBatchFile([]byte(in), BatchUsers)
	wantErr(t, err, EINVALID, "5 rows are invalid", "nothing was imported")
	want := []RowError{
		{2, `EmailAddress (the Microsoft 365 mailbox): "ann" is not an email address such as ann@contoso.com`},
		{3, "no UserName (the source IMAP login)"},
		{4, "the UserName (the source IMAP login) contains control characters"},
		{6, "ANN@contoso.edu repeats line 5"},
		{7, "2 fields, but the header has 3"},
	}
	if f.Members != nil || !slices.Equal(rowErrs, want) {
		t.Errorf("rows %v\nwant %v", rowErrs, want)
	}
	if strings.Contains(ErrorMessage(err)+RowErrorsText(rowErrs, 100), "S3cret") {
		t.Error("an error quotes a password")
	}
}

// Microsoft's limits: 50,000 rows and 10 MB. One more row, or one more
// byte, is refused before any member is kept.
func TestParseBatchFileIMAPLimits(t *testing.T) {
	rows := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("EmailAddress,UserName,Password\n")
		for i := range n {
			b.WriteString("u" + strconv.Itoa(i) + "@contoso.edu,u" + strconv.Itoa(i) + ",pw\n")
		}
		return b.Bytes()
	}
	if f, _, err := ParseBatchFile(rows(MaxBatchRows), BatchUsers); err != nil || len(f.Members) != MaxBatchRows {
		t.Fatalf("50,000 rows: %d, %v", len(f.Members), err)
	}
	_, _, err := ParseBatchFile(rows(MaxBatchRows+1), BatchUsers)
	wantErr(t, err, EINVALID, "more than 50,000 rows")
	big := rows(10)
	big = append(big, bytes.Repeat([]byte("\n"), MaxIMAPCSVBytes)...)
	_, _, err = ParseBatchFile(big, BatchUsers)
	wantErr(t, err, EINVALID, "at most 10 MB")
}
