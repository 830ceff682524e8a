// Package identity builds the bot's Entra credential with azidentity, for
// the two places that need an app token: the Bot Connector (scope
// https://api.botframework.com/.default) and Microsoft Graph.
//
// The credential is made once and shared; azidentity caches each token until
// shortly before it expires, so callers ask for a token on every call and
// never cache one themselves.
package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// App types, as the Bot Framework SDKs name them (MicrosoftAppType).
const (
	SingleTenant    = "SingleTenant"
	MultiTenant     = "MultiTenant"
	UserAssignedMSI = "UserAssignedMSI"
)

// multiTenantAuthority is the tenant a multi-tenant bot gets connector tokens
// from.
const multiTenantAuthority = "botframework.com"

// BotConnectorScope is the scope of tokens for the Bot Connector.
const BotConnectorScope = "https://api.botframework.com/.default"

// Secret is a client secret. It prints as [REDACTED] in logs and %v, so a
// configuration struct can be logged whole.
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// String implements fmt.Stringer.
func (Secret) String() string { return "[REDACTED]" }

// Config is the app identity.
type Config struct {
	AppID    string
	Secret   Secret
	TenantID string
	AppType  string // SingleTenant, MultiTenant or UserAssignedMSI
	// AuthorityHost overrides the Entra authority (sovereign clouds, tests).
	// Instance discovery is then off: it would ask the public cloud.
	AuthorityHost string
}

// ResolveAppType returns the app type to use: the one given, else
// SingleTenant when a tenant is set, else MultiTenant.
func ResolveAppType(appType, tenantID string) (string, error) {
	switch {
	case appType == "" && tenantID != "":
		return SingleTenant, nil
	case appType == "":
		return MultiTenant, nil
	}
	for _, t := range []string{SingleTenant, MultiTenant, UserAssignedMSI} {
		if strings.EqualFold(appType, t) {
			return t, nil
		}
	}
	return "", fmt.Errorf("MicrosoftAppType %q: want SingleTenant, MultiTenant or UserAssignedMSI", appType)
}

// Credential returns the credential for cfg.
func Credential(cfg Config) (azcore.TokenCredential, error) {
	if cfg.AppID == "" {
		return nil, errors.New("no app id: set MicrosoftAppId")
	}
	appType, err := ResolveAppType(cfg.AppType, cfg.TenantID)
	if err != nil {
		return nil, err
	}
	opts := azcore.ClientOptions{}
	if cfg.AuthorityHost != "" {
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.AuthorityHost}
	}
	switch appType {
	case UserAssignedMSI:
		return azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: opts,
			ID:            azidentity.ClientID(cfg.AppID),
		})
	case MultiTenant:
		cfg.TenantID = multiTenantAuthority
	case SingleTenant:
		if cfg.TenantID == "" {
			return nil, errors.New("a SingleTenant bot needs MicrosoftAppTenantId")
		}
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("a %s bot needs MicrosoftAppPassword (the client secret)", appType)
	}
	return azidentity.NewClientSecretCredential(cfg.TenantID, cfg.AppID, string(cfg.Secret), &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            opts,
		DisableInstanceDiscovery: cfg.AuthorityHost != "",
	})
}

// TokenSource adapts a credential to one scope. It keeps the last token
// until five minutes before it expires (or until azidentity's suggested
// refresh time): azidentity caches too, but its lookup costs a few
// microseconds of locking and copying on every outbound call, which a bot
// posting thousands of replies a minute feels. It never fetches more often
// than azidentity would. Safe for concurrent use.
type TokenSource struct {
	Cred  azcore.TokenCredential
	Scope string

	mu  sync.Mutex
	tok azcore.AccessToken
}

// NewTokenSource returns a token source for scope.
func NewTokenSource(cred azcore.TokenCredential, scope string) *TokenSource {
	return &TokenSource{Cred: cred, Scope: scope}
}

// renewBefore is how long before expiry a kept token is replaced.
const renewBefore = 5 * time.Minute

// Token returns a bearer token for the scope.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	tok := s.tok
	s.mu.Unlock()
	now := time.Now()
	if tok.Token != "" && now.Before(tok.ExpiresOn.Add(-renewBefore)) && (tok.RefreshOn.IsZero() || now.Before(tok.RefreshOn)) {
		return tok.Token, nil
	}
	tok, err := s.Cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{s.Scope}})
	if err != nil {
		return "", fmt.Errorf("get token for %s: %w", s.Scope, err)
	}
	s.mu.Lock()
	s.tok = tok
	s.mu.Unlock()
	return tok.Token, nil
}
