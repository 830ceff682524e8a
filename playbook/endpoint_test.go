package playbook

import (
	"strings"
	"testing"
)

// The endpoint's concurrency is read from what Get-MigrationEndpoint
// prints, Format-List or Export-Csv, and wrong listings are refused.
func TestParseMigrationEndpoint(t *testing.T) {
	eps, err := ParseMigrationEndpoint(readMicrosoft(t, "get-migrationendpoint.txt"))
	if err != nil || len(eps) != 1 {
		t.Fatal(eps, err)
	}
	if ep := eps[0]; ep != (MigrationEndpoint{Identity: "IMAP_TLS_Endpoint", EndpointType: "IMAP", RemoteServer: "imap.contoso.com", MaxConcurrentMigrations: 50, MaxConcurrentIncrementalSyncs: 10}) {
		t.Errorf("endpoint %+v", ep)
	}
	two := "Identity : A\r\nEndpointType : IMAP\r\nMaxConcurrentMigrations : 20\r\n\r\nIdentity : G\r\nEndpointType : Gmail\r\nMaxConcurrentMigrations : Unlimited\r\n"
	eps, err = ParseMigrationEndpoint([]byte(two))
	if err != nil || len(eps) != 2 || eps[1].MaxConcurrentMigrations != UnlimitedConcurrency || EndpointConcurrency(eps) != 20 {
		t.Errorf("two endpoints: %+v %v", eps, err)
	}
	csv := "#TYPE Microsoft.Exchange.Migration.MigrationEndpoint\n\"Identity\",\"EndpointType\",\"MaxConcurrentMigrations\",\"MaxConcurrentIncrementalSyncs\"\n\"IMAP1\",\"IMAP\",\"100\",\"20\"\n"
	if eps, err := ParseMigrationEndpoint([]byte(csv)); err != nil || len(eps) != 1 || eps[0].MaxConcurrentMigrations != 100 || eps[0].MaxConcurrentIncrementalSyncs != 20 {
		t.Errorf("Export-Csv: %+v %v", eps, err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "  \n", "empty"},
		{"table", "Identity          EndpointType\n--------          ------------\nIMAP_TLS_Endpoint IMAP\n", "not the table"},
		{"no concurrency", "Identity : A\nEndpointType : IMAP\n", "has no MaxConcurrentMigrations"},
		{"bad value", "Identity : A\nMaxConcurrentMigrations : lots\n", `"lots" is neither a count nor Unlimited`},
		{"csv bad value", "Identity,MaxConcurrentMigrations\nA,-1\n", "neither a count"},
	} {
		if _, err := ParseMigrationEndpoint([]byte(tc.in)); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if SourceConcurrency(IMAP, 50) != 50 || SourceConcurrency(Box, 50) != 50 || SourceConcurrency(GoogleDrive, 0) != 50 || SourceConcurrency(FileShare, 50) != 0 {
		t.Error("SourceConcurrency")
	}
}
