package graph_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/internal/fakes"
)

// TestCredentialSendsToken runs the production path: a real azidentity
// ClientSecretCredential gets a token from the fake Entra authority (TLS)
// and msgraph-sdk-go sends it to the fake Graph.
func TestCredentialSendsToken(t *testing.T) {
	authority, err := fakes.NewAuthority()
	if err != nil {
		t.Fatal(err)
	}
	defer authority.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := authority.WriteCA(caFile); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the CA file")
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	cred, err := azidentity.NewClientSecretCredential("contoso-tenant", "app-id", "s3cret", &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: authority.URL()},
			Transport: trusting,
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := fakes.NewGraph()
	defer f.Close()
	c, err := graph.New(graph.Config{BaseURL: f.URL(), Credential: cred, Organizer: organizer})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := c.CreateMeeting(context.Background(), workshop()); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range f.Requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer fake-connector-token-1" {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, got)
		}
	}
	if n := authority.TokenRequests(); n != 1 {
		t.Errorf("%d token requests, want 1 (azidentity caches the token)", n)
	}
	path, form := authority.LastRequest()
	if path != "/contoso-tenant/oauth2/v2.0/token" || !strings.HasPrefix(form["scope"], "https://graph.microsoft.com/.default") ||
		form["grant_type"] != "client_credentials" || form["client_id"] != "app-id" {
		t.Errorf("token request %s %v", path, form)
	}
	if form["client_secret"] != "s3cret" {
		t.Errorf("client secret not sent: %v", form)
	}
}
