package playbook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The bulk files of SPMT and Migration Manager for file shares
// (docs/schedule.md cites Microsoft's pages): a CSV of six columns, Source,
// Source DocLib, Source SubFolder, Target Web, Target DocLib, Target
// SubFolder, UTF-8, with no header row in SPMT's examples and an optional
// one in Migration Manager's; or a JSON file of Tasks with SourcePath,
// TargetPath, TargetList and TargetListRelativePath.

// FormatFileShare is SPMT's and Migration Manager's bulk file.
const FormatFileShare BatchFormat = "fileshare"

// fileShareColumns names the six columns for a person.
var fileShareColumns = []string{"Source", "Source DocLib", "Source SubFolder", "Target Web", "Target DocLib", "Target SubFolder"}

// fileShareHeaders are the header spellings of Microsoft's examples, by
// column (squashed): SPMT's and Migration Manager's.
var fileShareHeaders = [6][]string{
	{"source", "filesharepath"},
	{"sourcedoclib", ""},
	{"sourcesubfolder", ""},
	{"targetweb", "sharepointsite"},
	{"targetdoclib", "doclibrary"},
	{"targetsubfolder", "docsubfolder"},
}

// isFileSharePath reports whether s is a file share path: a UNC path
// (\\server\share) or a local one (C:\folder), as SPMT and Migration
// Manager take them.
func isFileSharePath(s string) bool {
	if strings.HasPrefix(s, `\\`) && len(s) > 2 {
		return true
	}
	return len(s) >= 3 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') && unicode.IsLetter(rune(s[0]))
}

// isFileShareCSV reports whether the first record of a paths file is a
// bulk file's: a file share path first (mvmbot's own layout always starts
// with its header), or six fields or more with one of Microsoft's header
// spellings first.
func isFileShareCSV(first []string) bool {
	a := strings.TrimSpace(first[0])
	return isFileSharePath(a) || len(first) >= 6 && slices.Contains(fileShareHeaders[0], squash(a))
}

// parseFileShareCSV reads an SPMT or Migration Manager file-share CSV
// whose first record t has read (hdr, on line).
func parseFileShareCSV(t *batchTable, first []string, line int) (BatchFile, []RowError, error) {
	f := BatchFile{Kind: BatchPaths, Format: FormatFileShare}
	seen := map[string]int{}
	var bad []RowError
	row := func(line int, r []string) {
		if msg := checkFileShareRow(r); msg != "" {
			bad = append(bad, RowError{line, msg})
			return
		}
		m := BatchMember{Unit: r[0], Target: r[3], TargetList: r[4], TargetFolder: r[5]}
		k := memberKey(BatchPaths, m)
		if at, dup := seen[k]; dup {
			bad = append(bad, RowError{line, fmt.Sprintf("repeats line %d: a bulk file cannot have duplicate entries", at)})
			return
		}
		seen[k] = line
		f.Members = append(f.Members, m)
	}
	if !isFileSharePath(strings.TrimSpace(first[0])) {
		// A header row: Migration Manager's is optional, and its names are
		// Microsoft's examples' (blank for the two columns file shares leave
		// empty).
		if len(first) != 6 {
			return BatchFile{}, nil, Errorf(EINVALID, "Line %d: the header has %d columns; the file-share bulk file has six: %s.", line, len(first), strings.Join(fileShareColumns, ", "))
		}
		for j, h := range first {
			if !slices.Contains(fileShareHeaders[j], squash(h)) {
				return BatchFile{}, nil, Errorf(EINVALID, "Line %d, column %d: %q is not a header of Microsoft's file-share bulk file; column %d is %s (SPMT's example writes %s, Migration Manager's %s).",
					line, j+1, strings.TrimSpace(h), j+1, fileShareColumns[j], orBlank(fileShareHeaders[j][0]), orBlank(fileShareHeaders[j][1]))
			}
		}
	} else {
		t.row++
		row(line, first)
	}
	t.width, t.cols, t.of = 6, []int{0, 1, 2, 3, 4, 5}, "the bulk file has"
	more, err := t.rows(func(line int, r []string) string {
		row(line, slices.Clone(r))
		return ""
	})
	bad = append(bad, more...)
	if err != nil {
		return BatchFile{}, nil, err
	}
	return finishBatch(f, bad, nil, "The bulk file has no rows: list one source and its destination a row.")
}

func orBlank(s string) string {
	if s == "" {
		return "a blank"
	}
	return s
}

// checkFileShareRow says what is wrong with a row of the bulk file; "" if
// nothing.
func checkFileShareRow(r []string) string {
	switch {
	case len(r) != 6:
		return fmt.Sprintf("%d fields; the bulk file has six (%s), blank where not needed", len(r), strings.Join(fileShareColumns, ", "))
	case r[0] == "":
		return "no Source (column A): give the file share path"
	case strings.HasPrefix(strings.ToLower(r[0]), "http://") || strings.HasPrefix(strings.ToLower(r[0]), "https://"):
		return "Source (column A) is a SharePoint Server site; this engagement's bulk files move file shares"
	case !isFileSharePath(r[0]):
		return `Source (column A) is not a file share path such as \\server\share\folder`
	case r[1] != "" || r[2] != "":
		return "Source DocLib and Source SubFolder (columns B and C) must be blank for a file share"
	}
	for i, v := range r {
		if utf8.RuneCountInString(v) > MaxUnitLen || strings.ContainsFunc(v, unicode.IsControl) {
			return fmt.Sprintf("%s (column %c) is longer than %s characters or contains control characters", fileShareColumns[i], 'A'+i, countStr(MaxUnitLen))
		}
	}
	return checkFileShareTarget(r[3], r[4], "Target Web (column D)", "Target DocLib (column E)")
}

// checkFileShareTarget checks a destination: a SharePoint or OneDrive
// site address and a library, "Documents" for a OneDrive (Microsoft: "the
// document library of a OneDrive target should be Documents not MyFiles").
func checkFileShareTarget(web, list, webName, listName string) string {
	lw := strings.ToLower(web)
	switch {
	case web == "":
		return "no " + webName + ": give the SharePoint site or OneDrive address"
	case !strings.HasPrefix(lw, "https://"):
		return webName + " is not an https:// SharePoint site or OneDrive address"
	case strings.Contains(lw, "_layouts/15/onedrive.aspx"):
		return webName + " ends in _layouts/15/onedrive.aspx; give the OneDrive address without it"
	case list == "":
		return "no " + listName + ": give the document library"
	case strings.EqualFold(list, "MyFiles"):
		return listName + " is MyFiles; a OneDrive's document library is Documents"
	}
	return ""
}

// fileShareJSON is the bulk JSON file.
type fileShareJSON struct {
	Tasks []struct {
		SourcePath             string `json:"SourcePath"`
		TargetPath             string `json:"TargetPath"`
		TargetList             string `json:"TargetList"`
		TargetListRelativePath string `json:"TargetListRelativePath"`
	} `json:"Tasks"`
}

// ParseBulkJSON reads Migration Manager's and SPMT's JSON bulk file for
// file shares: {"Tasks": [{"SourcePath", "TargetPath", "TargetList",
// "TargetListRelativePath", "Settings"}…]}; SourcePath, TargetPath and
// TargetList are required (Migration Manager's minimum), Settings are the
// tool's and ignored. All or nothing, with the limits of ParseBatchFile; a
// file that is not JSON is refused with its line and column.
func ParseBulkJSON(data []byte) (BatchFile, []RowError, error) {
	if len(data) > MaxBatchCSVBytes {
		return BatchFile{}, nil, Errorf(EINVALID, "The file is %s bytes; the limit is %s. Split it.", countStr(len(data)), countStr(MaxBatchCSVBytes))
	}
	if !utf8.Valid(data) {
		return BatchFile{}, nil, Errorf(EINVALID, "The file is not UTF-8 text; save it as UTF-8 and try again.")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var doc fileShareJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(data, se.Offset)
			return BatchFile{}, nil, Errorf(EINVALID, "The bulk file is not valid JSON at line %d, column %d: %s (a comma before a closing brace is a common cause).", l, c, se.Error())
		case errors.As(err, &te):
			l, c := lineCol(data, te.Offset)
			return BatchFile{}, nil, Errorf(EINVALID, "The bulk file has %s where it needs %s, at line %d, column %d (field %s).", te.Value, te.Type, l, c, te.Field)
		}
		return BatchFile{}, nil, Errorf(EINVALID, "The bulk file is not valid JSON: %v.", err)
	}
	if len(doc.Tasks) > MaxBatchRows {
		return BatchFile{}, nil, Errorf(EINVALID, "The file has %s tasks; one event takes at most %s. Split it over several events.", countStr(len(doc.Tasks)), countStr(MaxBatchRows))
	}
	f := BatchFile{Kind: BatchPaths, Format: FormatFileShare}
	seen := map[string]int{}
	var bad []RowError
	for i, tk := range doc.Tasks {
		n := i + 1
		r := []string{strings.TrimSpace(tk.SourcePath), "", "", strings.TrimSpace(tk.TargetPath), strings.TrimSpace(tk.TargetList), strings.TrimSpace(tk.TargetListRelativePath)}
		msg := checkFileShareRow(r)
		msg = strings.NewReplacer("Source (column A)", "SourcePath", "Target Web (column D)", "TargetPath", "Target DocLib (column E)", "TargetList").Replace(msg)
		m := BatchMember{Unit: r[0], Target: r[3], TargetList: r[4], TargetFolder: r[5]}
		if at, dup := seen[memberKey(BatchPaths, m)]; msg == "" && dup {
			msg = fmt.Sprintf("repeats task %d: a bulk file cannot have duplicate entries", at)
		}
		if msg != "" {
			bad = append(bad, RowError{0, "task " + strconv.Itoa(n) + ": " + msg})
			continue
		}
		seen[memberKey(BatchPaths, m)] = n
		f.Members = append(f.Members, m)
	}
	return finishBatch(f, bad, nil, `The bulk file has no Tasks: list one {"SourcePath", "TargetPath", "TargetList"} a task.`)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	l := bytes.Count(before, []byte("\n")) + 1
	return l, int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}
