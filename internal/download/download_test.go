package download

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestAllowed(t *testing.T) {
	for _, tt := range []struct {
		raw   string
		local bool
		want  bool
	}{
		{"https://contoso-my.sharepoint.com/personal/ann/_layouts/15/download.aspx?UniqueId=1", false, true},
		{"https://contoso.sharepoint.us/x", false, true},
		{"http://contoso-my.sharepoint.com/x", false, false},
		{"https://sharepoint.com/x", false, false},
		{"https://contoso.sharepoint.com.evil.example/x", false, false},
		{"https://evil.example/contoso.sharepoint.com", false, false},
		{"https://user:pw@contoso.sharepoint.com/x", false, false},
		{"https://contoso.sharepoint.com:8443/x", false, false},
		{"http://127.0.0.1:5105/x", false, false},
		{"http://127.0.0.1:5105/x", true, true},
		{"http://localhost/x", true, true},
		{"http://[::1]:80/x", true, true},
		{"http://10.0.0.1/x", true, false},
		{"https://contoso.sharepoint.com/x", true, false},
		{"file:///etc/passwd", true, false},
	} {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := (&Client{Local: tt.local}).Allowed(u); got != tt.want {
			t.Errorf("Allowed(%s, local %v) = %v, want %v", tt.raw, tt.local, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte("user\nann@contoso.com\n"))
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", 100)))
		case "/away":
			http.Redirect(w, r, "http://10.0.0.1/x", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := &Client{Local: true, MaxBytes: 50}
	if b, err := c.Get(t.Context(), srv.URL+"/ok"); err != nil || string(b) != "user\nann@contoso.com\n" {
		t.Errorf("ok: %q, %v", b, err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/big"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big: %v", err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/away"); err == nil || !strings.Contains(err.Error(), "redirected away") {
		t.Errorf("redirect: %v", err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "status 404") {
		t.Errorf("missing: %v", err)
	}
	if _, err := (&Client{}).Get(t.Context(), srv.URL+"/ok"); !errors.Is(err, ErrRefused) {
		t.Errorf("loopback in production: %v", err)
	}
}
