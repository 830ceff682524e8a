package playbook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseBatchCSV(t *testing.T) {
	tests := []struct {
		name string
		kind BatchKind
		in   string
		want []BatchMember
	}{
		{"users", BatchUsers, "user\nann@contoso.com\nbob@contoso.com\n",
			[]BatchMember{{Unit: "ann@contoso.com"}, {Unit: "bob@contoso.com"}}},
		{"aliases, case, spaces, CRLF, BOM, blank lines", BatchUsers, "\uFEFF E-Mail , Target UPN\r\n\r\n ann@contoso.com , ann@contoso.onmicrosoft.com\r\n,\r\n\r\nbob@contoso.com,\r\n",
			[]BatchMember{{Unit: "ann@contoso.com", Target: "ann@contoso.onmicrosoft.com"}, {Unit: "bob@contoso.com"}}},
		{"columns in any order", BatchUsers, "target,user\nt@contoso.com,s@contoso.com\n",
			[]BatchMember{{Unit: "s@contoso.com", Target: "t@contoso.com"}}},
		{"quoted paths with commas and quotes", BatchPaths, "path,target\n\"\\\\fs01\\Finance\\Q1, Q2\",https://contoso.sharepoint.com/sites/fin\n\"/Box/The \"\"Big\"\" Plan\",\n",
			[]BatchMember{{Unit: `\\fs01\Finance\Q1, Q2`, Target: "https://contoso.sharepoint.com/sites/fin"}, {Unit: `/Box/The "Big" Plan`}}},
		{"no final newline", BatchPaths, "path\n/a", []BatchMember{{Unit: "/a"}}},
		{"unicode", BatchPaths, "path\n/Équipe/日本語\n", []BatchMember{{Unit: "/Équipe/日本語"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rowErrs, err := ParseBatchCSV([]byte(tt.in), tt.kind)
			if err != nil || rowErrs != nil {
				t.Fatalf("err %v, rows %v", err, rowErrs)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseBatchCSVRowErrors(t *testing.T) {
	tests := []struct {
		name string
		kind BatchKind
		in   string
		want []RowError
	}{
		{"duplicates name both lines", BatchUsers, "user\nann@contoso.com\n\nbob@contoso.com\nANN@contoso.com\n",
			[]RowError{{5, "ANN@contoso.com repeats line 2"}}},
		{"paths ignore case, slash direction and trailing slash", BatchPaths, "path\n\\\\fs\\share\\a\n//fs/share/A/\n",
			[]RowError{{3, "//fs/share/A/ repeats line 2"}}},
		{"every bad row", BatchUsers, "user,target\nann@contoso.com,\nnot-an-email,\nbob@contoso.com,bob\n\"carl@contoso.com\n",
			[]RowError{
				{3, `"not-an-email" is not an email address such as ann@contoso.com`},
				{4, `target: "bob" is not an email address such as ann@contoso.com`},
				{5, "a quoted field is not closed, or text follows its closing quote"},
			}},
		{"field counts", BatchUsers, "user,target\nann@contoso.com\nbob@contoso.com,b@contoso.com,extra\n",
			[]RowError{{2, "1 fields, but the header has 2"}, {3, "3 fields, but the header has 2"}}},
		{"bare quote", BatchPaths, "path\n/a\"b\n", []RowError{{2, `a quote inside an unquoted field; put the field in double quotes and double the quote ("")`}}},
		{"empty unit", BatchPaths, "path,target\n,/x\n", []RowError{{2, "no path"}}},
		{"control characters", BatchPaths, "path\n\"/a\tb\"\n", []RowError{{2, "the path contains control characters"}}},
		{"too long", BatchPaths, "path\n/" + strings.Repeat("a", MaxUnitLen) + "\n", []RowError{{2, "the path is longer than 2,048 characters"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rowErrs, err := ParseBatchCSV([]byte(tt.in), tt.kind)
			wantErr(t, err, EINVALID, "nothing was imported")
			if got != nil {
				t.Errorf("members = %v, want none", got)
			}
			if !slices.Equal(rowErrs, tt.want) {
				t.Errorf("rows =\n%v\nwant\n%v", rowErrs, tt.want)
			}
		})
	}
}

func TestParseBatchCSVFileErrors(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("user\n")
		for i := range n {
			fmt.Fprintf(&b, "u%d@contoso.com\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name string
		kind BatchKind
		in   string
		want []string
	}{
		{"empty", BatchUsers, "", []string{"empty: give a header line (user, target (optional))"}},
		{"blank only", BatchUsers, "\n\n  \n", []string{"empty"}},
		{"header only", BatchUsers, "user\n", []string{"header but no rows"}},
		{"no header", BatchUsers, "ann@contoso.com\n", []string{`Line 1: the header has column "ann@contoso.com", which the user batch file does not take. Columns: user, target (optional)`}},
		{"wrong columns", BatchPaths, "user\nann@contoso.com\n", []string{`column "user"`, "Columns: path, target (optional)"}},
		{"missing required", BatchUsers, "target\nann@contoso.com\n", []string{"the header has no user column"}},
		{"column twice", BatchUsers, "user,email\na@b.com,c@d.com\n", []string{`names the user column twice ("user" and "email")`}},
		{"password column", BatchUsers, "user,Password\nann@contoso.com,hunter2\n", []string{`column "Password" looks like a credential`, "3614"}},
		{"not UTF-8", BatchUsers, "user\nann@contoso.com\nj\xe9r\xf4me@contoso.com\n", []string{`Line 3 is not UTF-8 text (column 1)`, "CSV UTF-8"}},
		{"not UTF-8 in the header", BatchUsers, "us\xe9r\n", []string{"Line 1 is not UTF-8"}},
		{"UTF-16", BatchUsers, "\xff\xfeu\x00s\x00", []string{"UTF-16"}},
		{"100k rows", BatchUsers, many(100_000), []string{"more than 50,000 rows (line 50,002 is row 50,001)", "split the file"}},
		{"too big", BatchPaths, "path\n" + strings.Repeat("/a\n", MaxBatchCSVBytes/3+1), []string{"the limit is 16,777,216"}},
		{"unknown kind", "mailbox", "user\na@b.com\n", []string{"not a kind of batch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rowErrs, err := ParseBatchCSV([]byte(tt.in), tt.kind)
			wantErr(t, err, EINVALID, tt.want...)
			if got != nil || rowErrs != nil {
				t.Errorf("got %d members, %d row errors", len(got), len(rowErrs))
			}
		})
	}
	// Exactly the cap is fine.
	if got, _, err := ParseBatchCSV([]byte(many(MaxBatchRows)), BatchUsers); err != nil || len(got) != MaxBatchRows {
		t.Errorf("50,000 rows: %d, %v", len(got), err)
	}
}

func TestParseBatchCSVCapsRowErrors(t *testing.T) {
	in := "user\n" + strings.Repeat("bad\n", 500)
	_, rowErrs, err := ParseBatchCSV([]byte(in), BatchUsers)
	wantErr(t, err, EINVALID, "500 rows are invalid", "… and 490 more.")
	if len(rowErrs) != MaxRowErrors || rowErrs[99].Line != 101 {
		t.Errorf("row errors: %d, last %v", len(rowErrs), rowErrs[len(rowErrs)-1])
	}
}

func TestParsePreflightCSV(t *testing.T) {
	got, rowErrs, err := ParsePreflightCSV([]byte("Unit,Status,Error\nann@contoso.com,passed,\nbob@contoso.com,FAILED,\"Mailbox quota exceeded, 52 GB\"\n/Box/x,ok,\n"))
	if err != nil || rowErrs != nil {
		t.Fatal(err, rowErrs)
	}
	want := []PreflightResult{{Unit: "ann@contoso.com", Passed: true}, {Unit: "bob@contoso.com", Reason: "Mailbox quota exceeded, 52 GB"}, {Unit: "/Box/x", Passed: true}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	_, rowErrs, err = ParsePreflightCSV([]byte("unit,result,reason\na@b.com,passed,\nx,maybe,\nc@d.com,failed,\nA@B.COM,passed,\n,passed,\n"))
	wantErr(t, err, EINVALID, "4 rows are invalid")
	wantRows := []RowError{
		{3, `result "maybe" is neither passed nor failed`},
		{4, "c@d.com failed without a reason; the reason picks the remediation"},
		{5, "A@B.COM repeats line 2"},
		{6, "no unit"},
	}
	if !slices.Equal(rowErrs, wantRows) {
		t.Errorf("rows = %v", rowErrs)
	}
	_, _, err = ParsePreflightCSV([]byte("unit,reason\na,b\n"))
	wantErr(t, err, EINVALID, "no result column")
}

// FuzzParseBatchCSV: whatever strangers paste, the parser does not panic,
// and what it accepts writes back and parses to the same members.
func FuzzParseBatchCSV(f *testing.F) {
	for _, s := range []string{
		"user\nann@contoso.com\n", "path,target\n\"a,b\",c\n", "\uFEFFuser\r\nx@y.zz\r\n", "user\n\"a\"\"b@c.com\"\n",
		"path\n/a\n/A/\n", "user,password\n", "path\n\"unterminated\n", "path\n\xff\n", "target,path\n,/x\n\n\n/y,/z\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, paths bool) {
		kind := BatchUsers
		if paths {
			kind = BatchPaths
		}
		ms, rowErrs, err := ParseBatchCSV(data, kind)
		if err == nil {
			if len(ms) == 0 || rowErrs != nil {
				t.Fatalf("accepted with %d members and %d row errors", len(ms), len(rowErrs))
			}
			back, rows2, err := ParseBatchCSV(WriteBatchCSV(kind, ms), kind)
			if err != nil || rows2 != nil || !slices.Equal(back, ms) {
				t.Fatalf("round trip: %q -> %q (%v)", ms, back, err)
			}
			return
		}
		if ErrorCode(err) != EINVALID || ms != nil || len(rowErrs) > MaxRowErrors {
			t.Fatalf("refusal: %v, %d members, %d row errors", err, len(ms), len(rowErrs))
		}
		for _, r := range rowErrs {
			if r.Line < 1 || r.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("row error on line %d of a %d-line file", r.Line, bytes.Count(data, []byte("\n"))+1)
			}
		}
		// Each rule's refusal is also what SetEventMembers would refuse:
		// accepted members are valid members.
	})
}

func BenchmarkParseBatchCSV50k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("user,target\n")
	for i := range MaxBatchRows {
		fmt.Fprintf(&buf, "user%d@contoso.com,user%d@contoso.onmicrosoft.com\n", i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseBatchCSV(data, BatchUsers); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRowErrorsText: each bad row is a paragraph of its own, since Teams'
// Markdown joins lines split by one line break, and past max only a count.
func TestRowErrorsText(t *testing.T) {
	errs := []RowError{{Line: 2, Message: "no user"}, {Line: 3, Message: "bad target"}, {Line: 7, Message: "no user"}}
	if got, want := RowErrorsText(errs, 2), "line 2: no user\n\nline 3: bad target\n\n… and 1 more."; got != want {
		t.Errorf("RowErrorsText = %q, want %q", got, want)
	}
	if got := RowErrorsText(nil, 2); got != "" {
		t.Errorf("RowErrorsText(nil) = %q", got)
	}
}
