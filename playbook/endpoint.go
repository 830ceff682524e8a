package playbook

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The migration endpoint's concurrency, read from what Exchange Online
// PowerShell prints, not typed (docs/schedule.md): Get-MigrationEndpoint
// | Format-List (one "Name : value" a line, endpoints separated by a blank
// line), or | Export-Csv.

// MigrationEndpoint is one endpoint as Get-MigrationEndpoint shows it.
type MigrationEndpoint struct {
	Identity     string
	EndpointType string // IMAP, Gmail, ExchangeRemoteMove, …
	RemoteServer string
	// MaxConcurrentMigrations and MaxConcurrentIncrementalSyncs are the
	// endpoint's limits; Unlimited (the type is Unlimited<int>) reads as
	// UnlimitedConcurrency.
	MaxConcurrentMigrations       int
	MaxConcurrentIncrementalSyncs int
}

// UnlimitedConcurrency is what an endpoint whose MaxConcurrentMigrations
// is Unlimited runs at most: "There is a limit of 300 concurrent
// migrations for each type of migration endpoint" (How to manage maximum
// concurrent migration batches).
const UnlimitedConcurrency = 300

// maxEndpointText bounds a pasted endpoint listing.
const maxEndpointText = 64 << 10

// ParseMigrationEndpoint reads Get-MigrationEndpoint's output, as
// Format-List prints it or as Export-Csv writes it: each endpoint's
// Identity, EndpointType, RemoteServer, MaxConcurrentMigrations and
// MaxConcurrentIncrementalSyncs (other properties are ignored). An
// endpoint without MaxConcurrentMigrations, a value that is neither a
// count nor Unlimited, or a listing of none is refused, naming the line.
func ParseMigrationEndpoint(data []byte) ([]MigrationEndpoint, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	switch {
	case len(data) > maxEndpointText:
		return nil, Errorf(EINVALID, "The endpoint listing is %s bytes; paste Get-MigrationEndpoint | Format-List for the migration's endpoints only (at most %s).", countStr(len(data)), countStr(maxEndpointText))
	case !utf8.Valid(data):
		return nil, Errorf(EINVALID, "The endpoint listing is not UTF-8 text.")
	}
	text := strings.TrimSpace(string(stripTypeLine(data)))
	if text == "" {
		return nil, Errorf(EINVALID, "The endpoint listing is empty: paste what Get-MigrationEndpoint | Format-List prints.")
	}
	first, _, _ := strings.Cut(text, "\n")
	if !strings.Contains(first, ":") && strings.Contains(first, ",") {
		return parseEndpointCSV(data)
	}
	var out []MigrationEndpoint
	var cur map[string]string
	start := 0
	flush := func() error {
		if cur == nil {
			return nil
		}
		ep, err := endpointOf(cur, start)
		if err != nil {
			return err
		}
		out = append(out, ep)
		cur = nil
		return nil
	}
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#TYPE") {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(strings.TrimSpace(name), " \t") {
			if cur != nil && strings.HasPrefix(line, " ") {
				continue // a long value Format-List wrapped onto the next line
			}
			return nil, Errorf(EINVALID, "Line %d is not a property of Get-MigrationEndpoint | Format-List (Name : value). Paste the Format-List output, not the table Get-MigrationEndpoint prints by default.", i+1)
		}
		if cur == nil {
			cur, start = map[string]string{}, i+1
		}
		cur[squash(name)] = strings.TrimSpace(value)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseEndpointCSV reads Get-MigrationEndpoint | Export-Csv.
func parseEndpointCSV(data []byte) ([]MigrationEndpoint, error) {
	t, hdr, _, err := readBatchHeader(stripTypeLine(data), "endpoint", "Identity, MaxConcurrentMigrations")
	if err != nil {
		return nil, err
	}
	t.cols = make([]int, len(hdr))
	for i := range t.cols {
		t.cols[i] = i
	}
	var out []MigrationEndpoint
	var perr error
	bad, err := t.rows(func(line int, r []string) string {
		m := map[string]string{}
		for i, h := range hdr {
			m[squash(h)] = r[i]
		}
		ep, err := endpointOf(m, line)
		if err != nil {
			perr = err
			return ErrorMessage(err)
		}
		out = append(out, ep)
		return ""
	})
	switch {
	case err != nil:
		return nil, err
	case len(bad) > 0:
		return nil, perr
	case len(out) == 0:
		return nil, Errorf(EINVALID, "The endpoint export has a header but no endpoints.")
	}
	return out, nil
}

// endpointOf reads one endpoint's properties, found from line on.
func endpointOf(m map[string]string, line int) (MigrationEndpoint, error) {
	ep := MigrationEndpoint{Identity: m["identity"], EndpointType: m["endpointtype"], RemoteServer: m["remoteserver"]}
	if ep.Identity == "" {
		ep.Identity = m["name"]
	}
	for _, f := range []struct {
		key, name string
		dst       *int
		required  bool
	}{
		{"maxconcurrentmigrations", "MaxConcurrentMigrations", &ep.MaxConcurrentMigrations, true},
		{"maxconcurrentincrementalsyncs", "MaxConcurrentIncrementalSyncs", &ep.MaxConcurrentIncrementalSyncs, false},
	} {
		v, ok := m[f.key]
		switch {
		case !ok && f.required:
			return ep, Errorf(EINVALID, "The endpoint from line %d (%s) has no %s: paste Get-MigrationEndpoint | Format-List, which prints it.", line, truncateText(firstOf(ep.Identity, "no Identity"), 80), f.name)
		case !ok:
			continue
		case strings.EqualFold(v, "Unlimited"):
			*f.dst = UnlimitedConcurrency
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return ep, Errorf(EINVALID, "The endpoint from line %d: %s %q is neither a count nor Unlimited.", line, f.name, truncateText(v, 40))
		}
		*f.dst = n
	}
	return ep, nil
}

// EndpointConcurrency is the concurrent migrations of the mail endpoints
// in eps (IMAP, and those that name no type), summed: a batch runs on one
// endpoint, and the plan's batches may be spread over them. 0 for none.
func EndpointConcurrency(eps []MigrationEndpoint) int {
	n := 0
	for _, ep := range eps {
		if ep.EndpointType == "" || strings.EqualFold(ep.EndpointType, "IMAP") {
			n += ep.MaxConcurrentMigrations
		}
	}
	return n
}

// EndpointsText describes eps for a person.
func EndpointsText(eps []MigrationEndpoint) string {
	var s []string
	for _, ep := range eps {
		s = append(s, fmt.Sprintf("%s (%s, %s): %s concurrent migrations, %s incremental syncs", truncateText(firstOf(ep.Identity, "unnamed"), 80),
			firstOf(ep.EndpointType, "type not shown"), truncateText(firstOf(ep.RemoteServer, "server not shown"), 80),
			countStr(ep.MaxConcurrentMigrations), countStr(ep.MaxConcurrentIncrementalSyncs)))
	}
	return strings.Join(s, "; ")
}

// cloudTaskConcurrency is how many tasks Migration Manager runs at once
// for Box, Dropbox and Google Drive: "only 50 task rows can run
// simultaneously ... This limit does not apply to file share migration"
// (Migration Manager FAQ).
const cloudTaskConcurrency = 50

// SourceConcurrency is the units src's tool migrates at once: the mail
// endpoints' concurrency for IMAP (0: not imported), Migration Manager's
// 50 tasks for the cloud sources, 0 (unknown) for file shares.
func SourceConcurrency(src Source, endpoints int) int {
	switch {
	case src.Mail():
		return endpoints
	case src == Box || src == Dropbox || src == GoogleDrive:
		return cloudTaskConcurrency
	}
	return 0
}
