package playbook

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readMicrosoft(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "microsoft", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Microsoft's example bulk files for file shares, read field by field.
func TestParseBatchFileMicrosoftFileShare(t *testing.T) {
	mm := []BatchMember{
		{Unit: `\\MigrationTests\testfiles`, Target: "https://contoso.sharepoint.com/sites/sitecollection", TargetList: "Documents", TargetFolder: "SubFolderName"},
		{Unit: `\\MigrationTests\testfiles`, Target: "https://contoso-my.sharepoint.com/personal/user_contoso_onmicrosoft_com", TargetList: "Documents"},
	}
	spmt := []BatchMember{
		{Unit: `C:\MigrationTests\testfiles`, Target: "https://contoso.sharepoint.com/sites/Sample/", TargetList: "DocLibraryName", TargetFolder: "DocLibraryName_subfolder"},
		{Unit: `\\sharedfolder\homedrives\meganb`, Target: "https://contoso-my.sharepoint.com/personal/meganb_contoso_com/", TargetList: "DocLibraryName", TargetFolder: "DocLibraryName_subfolder"},
	}
	json := []BatchMember{
		{Unit: `\\contoso\fileshare\dept1`, Target: "https://a830edad9050849387E18042320.sharepoint.com", TargetList: "Documents", TargetFolder: "dept1"},
		{Unit: `\\contoso\fileshare\dept2`, Target: "https://a830edad9050849387E18042320.sharepoint.com", TargetList: "Documents", TargetFolder: "dept2"},
	}
	for _, tt := range []struct {
		file string
		want []BatchMember
	}{
		{"mm-fileshare-bulk-upload.csv", mm},
		{"mm-fileshare-bulk-upload-with-header.csv", mm},
		{"spmt-bulk-fileshares.csv", spmt},
		{"mm-bulk-upload.json", json},
	} {
		t.Run(tt.file, func(t *testing.T) {
			f, rowErrs, err := ParseBatchFile(readMicrosoft(t, tt.file), BatchPaths)
			if err != nil || rowErrs != nil || f.Format != FormatFileShare || !slices.Equal(f.Members, tt.want) {
				t.Fatalf("got %+v, %v %v\nwant %+v", f, rowErrs, err, tt.want)
			}
			// Written back in Microsoft's layout and read again.
			back, _, err := ParseBatchFile(WriteBatchCSV(BatchPaths, f.Members), BatchPaths)
			if err != nil || !slices.Equal(back.Members, tt.want) {
				t.Errorf("written back: %+v, %v", back.Members, err)
			}
		})
	}
	// SPMT's example also moves a SharePoint Server site: refused, the row
	// named, nothing kept.
	f, rowErrs, err := ParseBatchFile(readMicrosoft(t, "spmt-bulk.csv"), BatchPaths)
	wantErr(t, err, EINVALID, "1 row is invalid")
	if f.Members != nil || len(rowErrs) != 1 || rowErrs[0].Line != 2 || !strings.Contains(rowErrs[0].Message, "SharePoint Server site") {
		t.Errorf("rows %v", rowErrs)
	}
}

func TestParseBatchFileFileShareRefusals(t *testing.T) {
	const ok = `\\fs01\share,,,https://contoso.sharepoint.com/sites/a,Documents,` + "\n"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"misspelt header", "FileSharePath,,,SharePoint Site URL,DocLibrary,DocSubFolder\n" + ok, []string{"Line 1, column 4", `"SharePoint Site URL"`, "Target Web"}},
		{"header in column B", "Source,Library,,TargetWeb,TargetDocLib,TargetSubFolder\n" + ok, []string{"Line 1, column 2", "Source DocLib"}},
		{"five columns", `\\fs01\share,,,https://contoso.sharepoint.com/sites/a,Documents` + "\n" + ok, []string{"line 1: 5 fields; the bulk file has six"}},
		{"source doclib for a share", `\\fs01\share,Documents,,https://contoso.sharepoint.com/sites/a,Documents,` + "\n", []string{"columns B and C) must be blank"}},
		{"not https", `\\fs01\share,,,http://contoso.sharepoint.com/sites/a,Documents,` + "\n", []string{"not an https://"}},
		{"onedrive page", `\\fs01\share,,,https://contoso-my.sharepoint.com/personal/a/_layouts/15/onedrive.aspx,Documents,` + "\n", []string{"_layouts/15/onedrive.aspx"}},
		{"myfiles", `\\fs01\share,,,https://contoso-my.sharepoint.com/personal/a,MyFiles,` + "\n", []string{"a OneDrive's document library is Documents"}},
		{"no library", `\\fs01\share,,,https://contoso.sharepoint.com/sites/a,,` + "\n", []string{"no Target DocLib (column E)"}},
		{"duplicate entry", ok + ok, []string{"line 2: repeats line 1: a bulk file cannot have duplicate entries"}},
		{"json trailing comma", `{"Tasks": [{"SourcePath": "\\\\fs\\a", "TargetPath": "https://c.sharepoint.com", "TargetList": "Documents",}]}`, []string{"not valid JSON at line 1, column 109"}},
		{"json missing list", `{"Tasks": [{"SourcePath": "\\\\fs\\a", "TargetPath": "https://c.sharepoint.com"}]}`, []string{"task 1: no TargetList"}},
		{"json no tasks", `{"Tasks": []}`, []string{"no Tasks"}},
		{"json wrong type", `{"Tasks": [{"SourcePath": 5}]}`, []string{"number where it needs string", "line 1, column"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, rowErrs, err := ParseBatchFile([]byte(tt.in), BatchPaths)
			wantErr(t, err, EINVALID, tt.want...)
			if f.Members != nil {
				t.Errorf("members %v (rows %v)", f.Members, rowErrs)
			}
		})
	}
	// A share moved to two destinations is two tasks, as Migration
	// Manager's own example has it; an event takes them.
	e, _ := mustPlanned(t, FileShare)
	f, _, err := ParseBatchFile(readMicrosoft(t, "mm-fileshare-bulk-upload.csv"), BatchPaths)
	if err != nil {
		t.Fatal(err)
	}
	if err := SetEventMembers(e, idMST, 1, BatchPaths, f.Members, t0); err != nil {
		t.Errorf("Microsoft's example into an event: %v", err)
	}
}
