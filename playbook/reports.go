package playbook

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The status files of the content tools: SPMT's and Migration Manager's
// file share reports (one layout for both, "Using the SharePoint Migration
// Tool reports" and "Migration Manager Reports") and Migration Manager's
// cloud reports for Box, Dropbox and Google Drive ("Migration Manager:
// Reports, errors & status codes for cloud migrations"). docs/schedule.md
// cites the pages and their columns. Each is recognised by its header, by
// Microsoft's column names (any case and spacing), and read into
// UnitStatus rows: a task's row (a summary) is its unit's status, an
// item's row (a file or folder) counts towards its unit's.

// StatusReport names the layout a status file was read in.
type StatusReport string

// Status file layouts.
const (
	ReportMigrationUser StatusReport = "Get-MigrationUser"     // or Get-MigrationUserStatistics
	ReportSummary       StatusReport = "SummaryReport.csv"     // SPMT and Migration Manager (file share), a task a row
	ReportItems         StatusReport = "ItemReport.csv"        // also ItemFailureReport.csv and FailureSummary.csv, an item a row
	ReportCloudItems    StatusReport = "MigrationLog.csv"      // Migration Manager cloud, also Migration errors.csv
	ReportCloudSummary  StatusReport = "Migration summary.csv" // Migration Manager cloud, a task a row
	ReportEndpoint      StatusReport = "Get-MigrationEndpoint" // not a status: ParseMigrationEndpoint
	ReportScan          StatusReport = "ScanSummary.csv"       // Migration Manager cloud scan: pre-flight, ParsePreflightFile
	reportUnknown       StatusReport = ""
)

const (
	// gib is the bytes of the GB the tools count: Exchange writes
	// "28.45 GB (30,551,458,399 bytes)", 30,551,458,399 / 2^30 = 28.45.
	gib                 = float64(1 << 30)
	maxItemFailuresKept = 10  // failed items kept a unit
	itemFailureTextLen  = 500 // bytes of an item's message kept
)

// pickColumns maps format's columns to their index in hdr (-1 absent),
// ignoring the columns it does not know: the tools write many.
func pickColumns(hdr []string, format []batchColumn) []int {
	cols := make([]int, len(format))
	for i := range cols {
		cols[i] = -1
	}
	for j, h := range hdr {
		n := squash(h)
		for i, c := range format {
			if (n == c.name || slices.Contains(c.aliases, n)) && cols[i] < 0 {
				cols[i] = j
			}
		}
	}
	return cols
}

// missingColumn names the first required column of format not in cols.
func missingColumn(cols []int, format []batchColumn, names []string) (string, bool) {
	for i, c := range format {
		if c.required && cols[i] < 0 {
			return names[i], true
		}
	}
	return "", false
}

// reportOf tells the layouts apart by the header's columns.
func reportOf(hdr []string) StatusReport {
	has := func(names ...string) bool {
		for _, n := range names {
			if !slices.ContainsFunc(hdr, func(h string) bool { return squash(h) == n }) {
				return false
			}
		}
		return true
	}
	switch {
	case has("maxconcurrentmigrations"):
		return ReportEndpoint
	case has("scanstatuscode"):
		return ReportScan
	case has("identity"):
		return ReportMigrationUser
	case has("sourcepath", "statuscode"):
		return ReportCloudSummary
	case has("sourcepath", "fullpath"):
		return ReportCloudItems
	case has("source", "filename"), has("source", "itemname"):
		return ReportItems
	case has("source"):
		return ReportSummary
	}
	return reportUnknown
}

// ParseStatusFile reads a status file in any layout the tools write (see
// StatusReport): Get-MigrationUser's or Get-MigrationUserStatistics'
// Export-Csv (ParseMigrationUserCSV); SPMT's and Migration Manager's
// SummaryReport.csv, ItemReport.csv, ItemFailureReport.csv and
// FailureSummary.csv; Migration Manager's cloud MigrationLog.csv,
// Migration errors.csv and Migration summary.csv. All or nothing, with the
// file checks and row errors of ParseBatchFile.
func ParseStatusFile(data []byte) ([]UnitStatus, []RowError, error) {
	rows, _, bad, err := ParseStatusReport(data)
	return rows, bad, err
}

// ParseStatusReport is ParseStatusFile, also naming the layout it read.
func ParseStatusReport(data []byte) ([]UnitStatus, StatusReport, []RowError, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	t, hdr, line, err := readBatchHeader(stripTypeLine(data), "status",
		"Identity and Status (Get-MigrationUser); Source, Destination and Status (SPMT's SummaryReport.csv); Source, File name and Status (ItemReport.csv); SourcePath and StatusCode or FullPath (Migration Manager's cloud reports)")
	if err != nil {
		return nil, reportUnknown, nil, err
	}
	var rows []UnitStatus
	var bad []RowError
	r := reportOf(hdr)
	switch r {
	case ReportMigrationUser:
		rows, bad, err = ParseMigrationUserCSV(data)
	case ReportSummary:
		rows, bad, err = parseSummaryReport(t, hdr, line)
	case ReportItems:
		rows, bad, err = parseItemReport(t, hdr, line)
	case ReportCloudItems:
		rows, bad, err = parseCloudItems(t, hdr, line)
	case ReportCloudSummary:
		rows, bad, err = parseCloudSummary(t, hdr, line)
	case ReportScan:
		err = Errorf(EINVALID, "This is Migration Manager's scan summary, a pre-flight check, not a migration status: paste it as the event's pre-flight results.")
	case ReportEndpoint:
		err = Errorf(EINVALID, "This is Get-MigrationEndpoint's output, the endpoint's concurrency, not a migration status: paste it in the plan card's Mail endpoint field.")
	default:
		err = Errorf(EINVALID, "Line %d: the header has none of the status files' columns. Export Get-MigrationUser (Identity, Status), or take SPMT's or Migration Manager's report as the tool wrote it (SummaryReport.csv, ItemReport.csv, FailureSummary.csv, MigrationLog.csv, Migration summary.csv).", line)
	}
	return rows, r, bad, err
}

// stripTypeLine blanks Windows PowerShell's "#TYPE" line (Export-Csv
// without -NoTypeInformation): blanked, not cut, so that line numbers stay
// right.
func stripTypeLine(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("#TYPE")) {
		return data
	}
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		return nil
	}
	return append(bytes.Repeat([]byte(" "), i), data[i:]...)
}

// checkReportUnit refuses a unit no event could have.
func checkReportUnit(u, column string) string {
	if u == "" || utf8.RuneCountInString(u) > MaxUnitLen || strings.ContainsFunc(u, unicode.IsControl) {
		return "no " + column + ", or one too long or with control characters"
	}
	return ""
}

// parseCount reads a count or a size as the tools write it: digits,
// thousands separators allowed, and Exchange's ByteQuantifiedSize
// ("28.45 GB (30,551,458,399 bytes)"), whose bytes are read. "" is 0.
func parseCount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if i := strings.LastIndexByte(s, '('); i >= 0 && strings.HasSuffix(s, "bytes)") {
		s = strings.TrimSpace(strings.TrimSuffix(s[i+1:], "bytes)"))
	}
	n, err := strconv.ParseInt(strings.NewReplacer(",", "", "\u00a0", "", " ", "").Replace(s), 10, 64)
	return n, err == nil && n >= 0
}

// counts reads the named count fields of a row into dst, or says which is
// not a count.
func counts(fields []string, names []string, dst ...*int64) string {
	for i, d := range dst {
		n, ok := parseCount(fields[i])
		if !ok {
			return fmt.Sprintf("%s %q is not a count", names[i], truncateText(fields[i], 40))
		}
		*d = n
	}
	return ""
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// summaryReportColumns are the columns of SummaryReport.csv the bot reads,
// by SPMT's names and Migration Manager's (file share) where they differ.
var summaryReportColumns = []batchColumn{
	{name: "source", required: true},
	{name: "destination", required: true},
	{name: "status", required: true},
	{name: "itemsnotmigratedincurrentround", aliases: []string{"itemsnotmigrated"}},
	{name: "endtime"},
	{name: "migratedbytes"},
	{name: "totalbytes"},
	{name: "migrateditemsincurrentround", aliases: []string{"migrateditems"}},
}

var summaryReportNames = []string{"Source", "Destination", "Status", "Items not migrated in current round", "End time", "Migrated bytes", "Total bytes", "Migrated items in current round"}

// taskStatuses are the task statuses of SummaryReport.csv, as Microsoft
// lists them: "Status of each task (success, failure, in progress, not
// started)".
var taskStatuses = map[string]Outcome{
	"success": OutcomeMigrated, "failure": OutcomeFailed,
	"in progress": OutcomeInProgress, "not started": OutcomeInProgress,
}

func parseSummaryReport(t *batchTable, hdr []string, line int) ([]UnitStatus, []RowError, error) {
	t.cols = pickColumns(hdr, summaryReportColumns)
	if c, ok := missingColumn(t.cols, summaryReportColumns, summaryReportNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; SPMT's SummaryReport.csv has Source, Destination and Status.", line, c)
	}
	var out []UnitStatus
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		if msg := checkReportUnit(r[0], "Source"); msg != "" {
			return msg
		}
		st := strings.ToLower(strings.Join(strings.Fields(r[2]), " "))
		if _, ok := taskStatuses[st]; !ok {
			return fmt.Sprintf("status %q is not one of SummaryReport.csv's (success, failure, in progress, not started)", truncateText(r[2], 40))
		}
		u := UnitStatus{Unit: r[0], Status: st, LastSync: r[4]}
		var skipped, items int64
		if msg := counts(r[3:4], summaryReportNames[3:4], &skipped); msg != "" {
			return msg
		}
		if msg := counts(r[5:8], summaryReportNames[5:8], &u.Bytes, &u.TotalBytes, &items); msg != "" {
			return msg
		}
		u.Skipped, u.Items = int(min(skipped, 1<<31)), int(min(items, 1<<31))
		k := batchUnitKey(BatchPaths, u.Unit) + "\x00" + strings.ToLower(r[1])
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s to %s repeats line %d", u.Unit, r[1], first)
		}
		seen[k] = line
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The summary report has a header but no rows.")
}

// itemReportColumns are the columns of ItemReport.csv (and of
// ItemFailureReport.csv, "Item name" and "Item size", and FailureSummary.csv)
// the bot reads.
var itemReportColumns = []batchColumn{
	{name: "source", required: true},
	{name: "filename", aliases: []string{"itemname"}, required: true},
	{name: "status", required: true},
	{name: "filesize", aliases: []string{"itemsize"}},
	{name: "message"},
	{name: "errorcode"},
	{name: "resultcategory"},
}

var itemReportNames = []string{"Source", "File name", "Status", "File size", "Message", "Error code", "Result category"}

// itemStatuses are the item statuses the bot reads from the item reports.
// Microsoft documents the column ("Status indicating at what stage the file
// is"; FailureSummary.csv: "shows as "Failed"") but not its values; these
// are the stages the item summary counts (ItemSummary.csv: Read, Packaged,
// Uploaded, Submitted, Migrated, Failed …) and the words of the cloud logs
// (Success, Skipped, Failed). A value not listed is refused with its row.
var itemStatuses = map[string]Outcome{
	"migrated": OutcomeMigrated, "success": OutcomeMigrated, "succeeded": OutcomeMigrated, "completed": OutcomeMigrated,
	"failed": OutcomeFailed, "failure": OutcomeFailed, "error": OutcomeFailed,
	"skipped": OutcomeSkipped, "filtered out": OutcomeSkipped, "filtered": OutcomeSkipped, "not migrated": OutcomeSkipped,
	"scanned": OutcomeInProgress, "read": OutcomeInProgress, "packaged": OutcomeInProgress, "uploaded": OutcomeInProgress,
	"reuploaded": OutcomeInProgress, "submitted": OutcomeInProgress, "resubmitted": OutcomeInProgress,
	"in progress": OutcomeInProgress, "queued": OutcomeInProgress, "running": OutcomeInProgress,
}

// itemStatusNames lists itemStatuses' values for a person.
func itemStatusNames() string {
	var s []string
	for k := range itemStatuses {
		s = append(s, k)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// itemOutcome is an item row's outcome: its status, and failed whatever
// the status when Microsoft's error code says so.
func itemOutcome(status, code string) (Outcome, bool) {
	o, ok := itemStatuses[strings.ToLower(strings.Join(strings.Fields(status), " "))]
	if !ok {
		return "", false
	}
	if realCode(code) && o != OutcomeMigrated {
		o = OutcomeFailed
	}
	return o, true
}

// realCode reports whether a result code names an error: the cloud logs
// write "None" or "null" for none, and PSUCCESS for a permission set.
func realCode(c string) bool {
	switch strings.ToLower(strings.TrimSpace(c)) {
	case "", "none", "null", "0", "psuccess":
		return false
	}
	return true
}

func parseItemReport(t *batchTable, hdr []string, line int) ([]UnitStatus, []RowError, error) {
	t.cols = pickColumns(hdr, itemReportColumns)
	if c, ok := missingColumn(t.cols, itemReportColumns, itemReportNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; SPMT's ItemReport.csv has Source, File name and Status (ItemFailureReport.csv: Item name).", line, c)
	}
	var out []UnitStatus
	bad, err := t.rows(func(line int, r []string) string {
		if msg := checkReportUnit(r[0], "Source"); msg != "" {
			return msg
		}
		o, ok := itemOutcome(r[2], r[5])
		if !ok {
			return fmt.Sprintf("status %q is not one the bot reads from an item report (%s)", truncateText(r[2], 40), itemStatusNames())
		}
		u := UnitStatus{Unit: r[0], Item: joinItem(r[0], r[1]), Status: string(o), Code: r[5], Error: truncateText(firstOf(r[4], r[6]), itemFailureTextLen)}
		if msg := counts(r[3:4], itemReportNames[3:4], &u.Bytes); msg != "" {
			return msg
		}
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The item report has a header but no rows.")
}

// joinItem names an item by its source and name, unless the source
// already ends with the name.
func joinItem(src, name string) string {
	if name == "" || strings.HasSuffix(strings.ReplaceAll(strings.ToLower(src), `\`, "/"), "/"+strings.ToLower(name)) {
		return src
	}
	sep := "/"
	if strings.Contains(src, `\`) {
		sep = `\`
	}
	return strings.TrimRight(src, `\/`) + sep + name
}

func firstOf(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return strings.TrimSpace(x)
		}
	}
	return ""
}

// cloudItemColumns are the columns of Migration Manager's cloud
// MigrationLog.csv (an item a row, Status the item's final status) and
// Migration errors.csv (no Status: every row is an error; TopFailureReason)
// the bot reads.
var cloudItemColumns = []batchColumn{
	{name: "sourcepath", required: true},
	{name: "fullpath", required: true},
	{name: "status"},
	{name: "resultcode"},
	{name: "failurereason", aliases: []string{"topfailurereason"}},
	{name: "sourcesize"},
	{name: "name"},
}

var cloudItemNames = []string{"SourcePath", "FullPath", "Status", "ResultCode", "FailureReason", "SourceSize", "Name"}

func parseCloudItems(t *batchTable, hdr []string, line int) ([]UnitStatus, []RowError, error) {
	t.cols = pickColumns(hdr, cloudItemColumns)
	if c, ok := missingColumn(t.cols, cloudItemColumns, cloudItemNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; Migration Manager's MigrationLog.csv has SourcePath, FullPath and Status.", line, c)
	}
	errorsOnly := t.cols[2] < 0
	if errorsOnly && t.cols[3] < 0 {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has neither Status (MigrationLog.csv) nor ResultCode (Migration errors.csv).", line)
	}
	var out []UnitStatus
	bad, err := t.rows(func(line int, r []string) string {
		if msg := checkReportUnit(r[0], "SourcePath"); msg != "" {
			return msg
		}
		status := r[2]
		if errorsOnly {
			status = "failed"
		}
		o, ok := itemOutcome(status, r[3])
		if !ok {
			return fmt.Sprintf("status %q is not one the bot reads from MigrationLog.csv (%s)", truncateText(r[2], 40), itemStatusNames())
		}
		u := UnitStatus{Unit: r[0], Item: firstOf(r[1], r[0]), Status: string(o), Code: r[3], Error: truncateText(r[4], itemFailureTextLen), Name: r[6]}
		if !realCode(u.Code) {
			u.Code = ""
		}
		if msg := counts(r[5:6], cloudItemNames[5:6], &u.Bytes); msg != "" {
			return msg
		}
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The migration log has a header but no rows.")
}

// cloudSummaryColumns are the columns of Migration Manager's cloud
// Migration summary.csv the bot reads.
var cloudSummaryColumns = []batchColumn{
	{name: "sourcepath", required: true},
	{name: "statuscode", required: true},
	{name: "filessuccessful"},
	{name: "filesfailed"},
	{name: "filesskipped"},
	{name: "datasuccessful"},
	{name: "name"},
}

var cloudSummaryNames = []string{"SourcePath", "StatusCode", "FilesSuccessful", "FilesFailed", "FilesSkipped", "DataSuccessful", "Name"}

// CloudStatusCode is one of Migration Manager's cloud task status codes,
// with Microsoft's message, as its page lists them.
type CloudStatusCode struct {
	Code    int
	Message string
	Outcome Outcome
}

// cloudStatusCodes are Migration Manager's cloud task status codes, from
// the "Status codes" table of mm-cloud-reports: 1xx success, 2xx errors
// (230 cancelled, 250 running), 3xx and 6xx running or queued, 4xx and 500
// failures.
var cloudStatusCodes = []CloudStatusCode{
	{100, "Success", OutcomeMigrated},
	{101, "Success. No files needed copying", OutcomeMigrated},
	{102, "Success. Some files aren't supported by Destination name and weren't transferred.", OutcomeMigrated},
	{120, "Success. Some files aren't supported by Source name and weren't transferred.", OutcomeMigrated},
	{122, "Success. Some unsupported files not transferred.", OutcomeMigrated},
	{201, "Some upload errors. Try again.", OutcomeFailed},
	{202, "No files copied. Some upload errors. Try again.", OutcomeFailed},
	{210, "Some download errors. Try again.", OutcomeFailed},
	{211, "Some download and upload errors. Try again.", OutcomeFailed},
	{220, "No files copied. Some download errors. Try again.", OutcomeFailed},
	{222, "No files copied. Some download and upload errors. Try again.", OutcomeFailed},
	{227, "Some files aren't supported on the source or destination", OutcomeFailed},
	{230, "Canceled", OutcomeStopped},
	{250, "Already running", OutcomeInProgress},
	{260, "Storage Quota Exceeded on Destination name", OutcomeFailed},
	{261, "Quota API Exceeded on Destination name", OutcomeFailed},
	{300, "Running", OutcomeInProgress},
	{302, "Waiting for Microsoft batch processing", OutcomeInProgress},
	{400, "General failure. Try again.", OutcomeFailed},
	{401, "Couldn't upload anything. Try again.", OutcomeFailed},
	{402, "Connector authorization failed. Try reauthorizing Source name or Destination name", OutcomeFailed},
	{403, "No status. Try again.", OutcomeFailed},
	{404, "Crashed. Try again.", OutcomeFailed},
	{405, "Crashed. Try again.", OutcomeFailed},
	{410, "Couldn't connect to Source name. Try reauthorizing.", OutcomeFailed},
	{411, "Invalid root path", OutcomeFailed},
	{422, "User for schedule not found", OutcomeFailed},
	{423, "Connector not found", OutcomeFailed},
	{490, "Ended by company name Admin. Try again..", OutcomeStopped},
	{491, "Microsoft migration reporting communication failure. Try again.", OutcomeFailed},
	{500, "Unknown, contact support", OutcomeFailed},
	{600, "Queued to start. This will take a few moments.", OutcomeInProgress},
	{601, "Queued to start. This will take a few moments.", OutcomeInProgress},
	{620, "Running pre-checks", OutcomeInProgress},
}

func parseCloudSummary(t *batchTable, hdr []string, line int) ([]UnitStatus, []RowError, error) {
	t.cols = pickColumns(hdr, cloudSummaryColumns)
	if c, ok := missingColumn(t.cols, cloudSummaryColumns, cloudSummaryNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; Migration Manager's Migration summary.csv has SourcePath and StatusCode.", line, c)
	}
	var out []UnitStatus
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		if msg := checkReportUnit(r[0], "SourcePath"); msg != "" {
			return msg
		}
		code, err := strconv.Atoi(strings.TrimSpace(r[1]))
		i := slices.IndexFunc(cloudStatusCodes, func(c CloudStatusCode) bool { return c.Code == code })
		if err != nil || i < 0 {
			return fmt.Sprintf("StatusCode %q is not one of Migration Manager's cloud status codes (100 to 620)", truncateText(r[1], 40))
		}
		sc := cloudStatusCodes[i]
		u := UnitStatus{Unit: r[0], Status: strconv.Itoa(code), Name: r[6]}
		var ok, failed, skipped int64
		if msg := counts(r[2:6], cloudSummaryNames[2:6], &ok, &failed, &skipped, &u.Bytes); msg != "" {
			return msg
		}
		u.Items, u.FailedItems, u.Skipped = int(min(ok, 1<<31)), int(min(failed, 1<<31)), int(min(skipped, 1<<31))
		if sc.Outcome == OutcomeFailed || sc.Outcome == OutcomeStopped {
			u.Error = fmt.Sprintf("%d %s", code, sc.Message)
		}
		k := batchUnitKey(BatchPaths, u.Unit)
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", u.Unit, first)
		}
		seen[k] = line
		out = append(out, u)
		return ""
	})
	return finishRows(out, bad, err, "The migration summary has a header but no rows.")
}

// cloudOutcome is what a cloud status code means.
func cloudOutcome(status string) (Outcome, bool) {
	code, err := strconv.Atoi(status)
	if err != nil {
		return "", false
	}
	i := slices.IndexFunc(cloudStatusCodes, func(c CloudStatusCode) bool { return c.Code == code })
	if i < 0 {
		return "", false
	}
	return cloudStatusCodes[i].Outcome, true
}

// scanSummaryColumns are the columns of Migration Manager's cloud scan
// ScanSummary.csv the bot reads: a scan is a pre-flight check.
var scanSummaryColumns = []batchColumn{
	{name: "sourcepath", required: true},
	{name: "scanstatuscode", required: true},
	{name: "resultcode"},
	{name: "topfailurereason"},
	{name: "scanstatus"},
}

var scanSummaryNames = []string{"SourcePath", "ScanStatusCode", "ResultCode", "TopFailureReason", "ScanStatus"}

// ParsePreflightFile reads pre-flight results: mvmbot's CSV
// (ParsePreflightCSV), or Migration Manager's cloud scan summary
// (ScanSummary.csv: SourcePath, ScanStatusCode, ResultCode,
// TopFailureReason), recognised by its ScanStatusCode column, whose task
// passes when its status code is a success (1xx) and fails otherwise with
// Microsoft's code, message and failure reason as the reason. A cloud
// SourcePath that is an account's root ("/ann@contoso.com") is the
// account's address. All or nothing.
func ParsePreflightFile(data []byte) ([]PreflightResult, []RowError, error) {
	t, hdr, line, err := readBatchHeader(bytes.TrimPrefix(data, []byte("\uFEFF")), "pre-flight results", "unit, result, reason; or Migration Manager's ScanSummary.csv")
	if err != nil || !reportOfScan(hdr) {
		return ParsePreflightCSV(data)
	}
	t.cols = pickColumns(hdr, scanSummaryColumns)
	if c, ok := missingColumn(t.cols, scanSummaryColumns, scanSummaryNames); ok {
		return nil, nil, Errorf(EINVALID, "Line %d: the header has no %s column; Migration Manager's ScanSummary.csv has SourcePath and ScanStatusCode.", line, c)
	}
	var out []PreflightResult
	seen := map[string]int{}
	bad, err := t.rows(func(line int, r []string) string {
		unit := r[0]
		if strings.HasPrefix(unit, "/") && strings.Count(unit, "/") == 1 && strings.Contains(unit, "@") {
			unit = unit[1:]
		}
		if msg := checkReportUnit(unit, "SourcePath"); msg != "" {
			return msg
		}
		code, err := strconv.Atoi(strings.TrimSpace(r[1]))
		i := slices.IndexFunc(cloudStatusCodes, func(c CloudStatusCode) bool { return c.Code == code })
		if err != nil || i < 0 {
			return fmt.Sprintf("ScanStatusCode %q is not one of Migration Manager's cloud status codes (100 to 620)", truncateText(r[1], 40))
		}
		sc := cloudStatusCodes[i]
		res := PreflightResult{Unit: unit, Passed: sc.Outcome == OutcomeMigrated}
		if !res.Passed {
			reason := fmt.Sprintf("%d %s", code, sc.Message)
			if realCode(r[2]) {
				reason += "; " + strings.TrimSpace(r[2])
			}
			if r[3] != "" {
				reason += " " + r[3]
			}
			res.Reason = truncateText(reason, MaxReasonLen-4)
		}
		k := batchUnitKey(BatchPaths, unit)
		if first, dup := seen[k]; dup {
			return fmt.Sprintf("%s repeats line %d", unit, first)
		}
		seen[k] = line
		out = append(out, res)
		return ""
	})
	return finishRows(out, bad, err, "The scan summary has a header but no rows.")
}

// reportOfScan reports whether hdr is a cloud scan summary's.
func reportOfScan(hdr []string) bool {
	return slices.ContainsFunc(hdr, func(h string) bool { return squash(h) == "scanstatuscode" })
}
