package playbook

import (
	"bytes"
	"strings"
	"testing"
)

// Each layout is recognised by its header and read by its documented
// columns.
func TestParseStatusReportLayouts(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  StatusReport
		rows  int
		check func(t *testing.T, rows []UnitStatus)
	}{
		{"get-migrationuser.csv", ReportMigrationUser, 21, nil},
		{"get-migrationuserstatistics.csv", ReportMigrationUser, 3, func(t *testing.T, rows []UnitStatus) {
			if r := rows[0]; r.Bytes != 1610612736 || r.TotalBytes != 1610612736 || r.Items != 12000 {
				t.Errorf("statistics row 1 %+v", r)
			}
			if r := rows[2]; r.Bytes != 0 || r.TotalBytes != 2147483648 || r.Status != "Failed" {
				t.Errorf("statistics row 3 %+v", r)
			}
		}},
		{"spmt-summaryreport.csv", ReportSummary, 4, nil},
		{"mm-fileshare-summaryreport.csv", ReportSummary, 2, func(t *testing.T, rows []UnitStatus) {
			if r := rows[1]; r.Unit != `\\fs01\hr` || r.Status != "failure" || r.Bytes != 524288 || r.Items != 1 || r.Skipped != 1 {
				t.Errorf("Migration Manager summary row 2 %+v", r)
			}
		}},
		{"spmt-itemreport.csv", ReportItems, 5, func(t *testing.T, rows []UnitStatus) {
			if r := rows[4]; r.Status != string(OutcomeFailed) || !strings.HasPrefix(r.Error, "Invalid characters in the file name") || r.Bytes != 4096 {
				t.Errorf("item row 5 %+v", r)
			}
			if r := rows[2]; r.Status != string(OutcomeSkipped) {
				t.Errorf("item row 3 %+v", r)
			}
		}},
		{"spmt-failuresummary.csv", ReportItems, 2, func(t *testing.T, rows []UnitStatus) {
			if r := rows[1]; r.Code != "0x0131000F" || r.Status != string(OutcomeFailed) || r.Item != `\\fs01\legal\Contracts\lease.pdf` {
				t.Errorf("failure summary row 2 %+v", r)
			}
		}},
		{"mm-cloud-migrationlog.csv", ReportCloudItems, 4, func(t *testing.T, rows []UnitStatus) {
			if r := rows[2]; r.Unit != "/bob@contoso.com" || r.Code != "MFILELOCKED" || r.Status != string(OutcomeFailed) || r.Name != "Bob Kim" {
				t.Errorf("log row 3 %+v", r)
			}
			if r := rows[0]; r.Code != "" || r.Status != string(OutcomeMigrated) || r.Bytes != 1048576 {
				t.Errorf("log row 1 %+v", r)
			}
		}},
		{"mm-cloud-migration-errors.csv", ReportCloudItems, 1, nil},
		{"mm-cloud-migration-summary.csv", ReportCloudSummary, 4, func(t *testing.T, rows []UnitStatus) {
			if r := rows[2]; r.Status != "260" || r.Error != "260 Storage Quota Exceeded on Destination name" {
				t.Errorf("summary row 3 %+v", r)
			}
			if r := rows[0]; r.Bytes != 1048576 || r.Items != 1 || r.Skipped != 1 || r.Error != "" {
				t.Errorf("summary row 1 %+v", r)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			rows, r, bad, err := ParseStatusReport(readMicrosoft(t, tc.file))
			if err != nil || bad != nil || r != tc.want || len(rows) != tc.rows {
				t.Fatalf("%s: %d rows, %v %v", r, len(rows), bad, err)
			}
			if tc.check != nil {
				tc.check(t, rows)
			}
		})
	}
}

// Bad files are refused whole, naming the row or the column.
func TestParseStatusReportRefusals(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown layout", "Name,Result\nx,y\n", "none of the status files' columns"},
		{"item status", "Source,File name,Status\n\\\\fs\\a\\b.txt,b.txt,Teleported\n", `status "Teleported" is not one`},
		{"item size", "Source,File name,Status,File size\n\\\\fs\\a\\b.txt,b.txt,Migrated,big\n", `File size "big" is not a count`},
		{"cloud code", "SourcePath,StatusCode\n/ann@contoso.com,999\n", "not one of Migration Manager's cloud status codes"},
		{"cloud errors without code", "SourcePath,FullPath,Action\n/a,/a/b,Migrate\n", "neither Status"},
		{"endpoint as status", "Identity,MaxConcurrentMigrations\nIMAP,20\n", "Get-MigrationEndpoint's output"},
		{"bytes", "Identity,Status,BytesTransferred\nann@contoso.com,Synced,lots\n", `BytesTransferred "lots" is not a count`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, bad, err := ParseStatusReport([]byte(tc.in))
			text := ErrorMessage(err)
			for _, b := range bad {
				text += " " + b.Message
			}
			if ErrorCode(err) != EINVALID || rows != nil || !strings.Contains(text, tc.want) {
				t.Errorf("%v %v; want %q", bad, err, tc.want)
			}
		})
	}
}

// An item report's rows add up to their unit's outcome: failed when an item
// failed (with Microsoft's error matched to the known error), migrated
// otherwise, its bytes its migrated files'.
func TestRecordStatusItemReport(t *testing.T) {
	e, _ := mustPlanned(t, FileShare)
	ms := []BatchMember{
		{Unit: `\\fs01\finance`, Target: "https://contoso.sharepoint.com/sites/Finance", TargetList: "Documents"},
		{Unit: `\\fs01\hr`, Target: "https://contoso.sharepoint.com/sites/HR", TargetList: "Documents"},
		{Unit: `\\fs01\legal`, Target: "https://contoso.sharepoint.com/sites/Legal", TargetList: "Documents"},
	}
	mustOK(t, SetEventMembers(e, idMST, 1, BatchPaths, ms, t0))
	mustOK(t, WaivePreflight(e, idMST, 1, "shares scanned by the agent", t0))
	mustNeedsDone(t, e, "migration-events")
	mustOK(t, StartEvent(e, idMST, 1, t0))
	rows, _, err := ParseStatusFile(readMicrosoft(t, "spmt-itemreport.csv"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := RecordStatus(e, idMST, 1, rows, t0)
	if err != nil || s.Migrated != 1 || s.Failed != 1 || s.Unreported != 1 {
		t.Fatalf("%+v %v", s, err)
	}
	fin := FindUnit(e, `\\fs01\finance`)[0].Outcome
	if fin.Items != 2 || fin.Bytes != 3145728 || fin.Skipped != 1 || fin.Outcome != OutcomeMigrated {
		t.Errorf("finance %+v", fin)
	}
	hr := FindUnit(e, `\\fs01\hr`)[0]
	if hr.Outcome.Outcome != OutcomeFailed || hr.Outcome.FailedItems != 1 || hr.Outcome.Items != 1 || hr.Known == nil || hr.Known.ID != "invalid-characters" ||
		len(hr.Outcome.Failures) != 1 || hr.Outcome.Failures[0].Item != `\\fs01\hr\Reviews\what?.docx` {
		t.Errorf("hr %+v %+v", hr.Outcome, hr.Known)
	}
	// The failure summary then adds legal's checked-out file.
	rows, _, err = ParseStatusFile(readMicrosoft(t, "spmt-failuresummary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RecordStatus(e, idMST, 1, rows, t0); err != nil {
		t.Fatal(err)
	}
	if w := FindUnit(e, `\\fs01\legal`)[0]; w.Known == nil || w.Known.ID != "file-locked" || w.Outcome.Code != "0x0131000F" {
		t.Errorf("legal %+v", w.Outcome)
	}
	// An item under no member's path is refused, nothing recorded.
	before := len(e.History)
	if _, err := RecordStatus(e, idMST, 1, []UnitStatus{{Unit: `\\fs02\x\y.txt`, Item: `\\fs02\x\y.txt`, Status: "failed"}}, t0); ErrorCode(err) != EINVALID || len(e.History) != before {
		t.Errorf("stranger item: %v", err)
	}
}

// Migration Manager's cloud reports name the source account; a users event
// of Box or Google Drive finds its members by it.
func TestRecordStatusCloudReports(t *testing.T) {
	e, _ := mustPlanned(t, Box)
	ms := []BatchMember{{Unit: "ann@contoso.com"}, {Unit: "bob@contoso.com"}, {Unit: "cy@contoso.com"}, {Unit: "di@contoso.com"}}
	mustOK(t, SetEventMembers(e, idMST, 1, BatchUsers, ms, t0))
	mustOK(t, WaivePreflight(e, idMST, 1, "scanned in Migration Manager", t0))
	mustNeedsDone(t, e, "migration-events")
	mustOK(t, StartEvent(e, idMST, 1, t0))
	for _, f := range []string{"mm-cloud-migration-summary.csv", "mm-cloud-migrationlog.csv"} {
		rows, _, err := ParseStatusFile(readMicrosoft(t, f))
		if err != nil {
			t.Fatal(f, err)
		}
		if _, err := RecordStatus(e, idMST, 1, rows, t0); err != nil {
			t.Fatal(f, err)
		}
	}
	if w := FindUnit(e, "cy@contoso.com")[0]; w.Known == nil || w.Known.ID != "destination-quota" {
		t.Errorf("cy %+v", w.Outcome)
	}
	if w := FindUnit(e, "bob@contoso.com")[0]; w.Known == nil || w.Known.ID != "file-locked" || w.Outcome.Failures[0].Code != "MFILELOCKED" {
		t.Errorf("bob %+v", w.Outcome)
	}
	if w := FindUnit(e, "ann@contoso.com")[0]; w.Outcome.Outcome != OutcomeMigrated || w.Outcome.Bytes != 1048576 {
		t.Errorf("ann %+v", w.Outcome)
	}
}

// FuzzParseStatusReport: any bytes are read whole or refused with an
// EINVALID and bounded row errors on lines of the file, never a panic;
// Get-MigrationEndpoint's reader likewise.
func FuzzParseStatusReport(f *testing.F) {
	for _, s := range []string{
		"Identity,Status\nann@contoso.com,Synced\n", "#TYPE x\n\"Identity\",\"Status\",\"BytesTransferred\"\n\"a@b.cc\",\"Failed\",\"1 GB (1,073,741,824 bytes)\"\n",
		"Source,Destination,Status,Migrated bytes\n\\\\fs\\a,https://c/x,success,10\n", "Source,File name,Status,File size\n\\\\fs\\a\\b,b,Failed,1\n",
		"SourcePath,FullPath,Status,ResultCode\n/a,/a/b,Failed,MFILELOCKED\n", "SourcePath,StatusCode\n/a,260\n",
		"Identity : A\nMaxConcurrentMigrations : Unlimited\n", "\"0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, _, bad, err := ParseStatusReport(data)
		lines := bytes.Count(data, []byte("\n")) + 1
		switch {
		case err == nil && (len(rows) == 0 || bad != nil):
			t.Fatalf("accepted with %d rows and %d row errors", len(rows), len(bad))
		case err != nil && (ErrorCode(err) != EINVALID || rows != nil || len(bad) > MaxRowErrors):
			t.Fatalf("refusal: %v, %d rows, %d row errors", err, len(rows), len(bad))
		}
		for _, r := range bad {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("row error on line %d of a %d-line file", r.Line, lines)
			}
		}
		for _, r := range rows {
			if _, ok := outcomeOf(r.Status); !ok || r.Bytes < 0 || r.Unit == "" {
				t.Fatalf("row %+v", r)
			}
		}
		if eps, err := ParseMigrationEndpoint(data); err == nil {
			for _, ep := range eps {
				if ep.MaxConcurrentMigrations < 0 || ep.MaxConcurrentIncrementalSyncs < 0 {
					t.Fatalf("endpoint %+v", ep)
				}
			}
		} else if ErrorCode(err) != EINVALID {
			t.Fatalf("endpoint refusal: %v", err)
		}
	})
}

// Migration Manager's cloud scan summary is a pre-flight: each task passes
// on a success code and fails otherwise with Microsoft's code and reason,
// matched to the known error; as a migration status it is refused.
func TestParsePreflightFileScanSummary(t *testing.T) {
	data := readMicrosoft(t, "mm-cloud-scansummary.csv")
	rs, bad, err := ParsePreflightFile(data)
	if err != nil || bad != nil || len(rs) != 2 {
		t.Fatal(rs, bad, err)
	}
	if rs[0] != (PreflightResult{Unit: "ann@contoso.com", Passed: true}) || rs[1].Passed || !strings.Contains(rs[1].Reason, "402 Connector authorization failed") || !strings.Contains(rs[1].Reason, "MAUTHMOVERAPP") {
		t.Errorf("results %+v", rs)
	}
	if k, ok := MatchKnownError(rs[1].Reason, KnownErrors(Box)); !ok || k.ID != "connector-not-authorized" {
		t.Errorf("known error %v %v", k.ID, ok)
	}
	if _, _, err := ParseStatusFile(data); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "pre-flight results") {
		t.Errorf("scan summary as status: %v", err)
	}
	if rs, _, err := ParsePreflightFile([]byte("unit,result\na@b.cc,passed\n")); err != nil || len(rs) != 1 {
		t.Errorf("mvmbot's pre-flight CSV: %v %v", rs, err)
	}
	if _, bad, _ := ParsePreflightFile([]byte("SourcePath,ScanStatusCode\n/a@b.cc,7\n")); len(bad) != 1 {
		t.Errorf("bad code: %v", bad)
	}
}
