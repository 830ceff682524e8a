package playbook

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
	}{
		{"FRP", FRP}, {"frp", FRP}, {" Partner ", FRP}, {"FastTrack Ready Partner", FRP},
		{"customer", Customer}, {"CUSTOMER", Customer},
		{"mst", MST}, {"Migration Support Team", MST}, {"migration-support", MST},
		{"mvm", MVM}, {"Migration Velocity Manager", MVM},
	}
	for _, tt := range tests {
		if got, err := ParseRole(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "admin", "fr p x"} {
		_, err := ParseRole(in)
		wantErr(t, err, EINVALID, "is not a role. Roles: FRP, Customer, MST, MVM.")
	}
	if Role("frp").Valid() || !MVM.Valid() {
		t.Error("Valid accepts only canonical spellings")
	}
	rs := Roles()
	rs[0] = "x"
	if Roles()[0] != FRP {
		t.Error("Roles() shares its slice")
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want Source
	}{
		{"imap", IMAP}, {"IMAP", IMAP},
		{"box", Box}, {"Box.com", Box},
		{"dropbox", Dropbox}, {"Drop Box", Dropbox},
		{"gdrive", GoogleDrive}, {"google drive", GoogleDrive}, {"Google-Drive", GoogleDrive}, {"GoogleDrive", GoogleDrive}, {"google_drive", GoogleDrive},
		{"file share", FileShare}, {"fileshare", FileShare}, {"File Shares", FileShare}, {"FileShare", FileShare}, {"smb", FileShare},
	}
	for _, tt := range tests {
		if got, err := ParseSource(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSource(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "onedrive", "exchange"} {
		_, err := ParseSource(in)
		wantErr(t, err, EINVALID, "is not a migration source. Sources: IMAP, Box, Dropbox, GoogleDrive, FileShare.")
		_, err = ParseSources(in)
		wantErr(t, err, EINVALID, "is not a migration source.")
	}
	// A suite is its mail and its Drive: naming it never drops the mail.
	for _, in := range []string{"Google Workspace", "gsuite", "G Suite", "google", "Google Apps"} {
		if _, err := ParseSource(in); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), "IMAP, Google Drive") {
			t.Errorf("ParseSource(%q) = %v; want the two sources named", in, err)
		}
		if got, err := ParseSources(in); err != nil || !slices.Equal(got, []Source{IMAP, GoogleDrive}) {
			t.Errorf("ParseSources(%q) = %v, %v; want IMAP and GoogleDrive", in, got, err)
		}
	}
	if got, err := ParseSources("box"); err != nil || !slices.Equal(got, []Source{Box}) {
		t.Errorf("ParseSources(box) = %v, %v", got, err)
	}
	if Source("gdrive").Valid() || !FileShare.Valid() {
		t.Error("Valid accepts only canonical spellings")
	}
	ss := Sources()
	ss[0] = "x"
	if Sources()[0] != IMAP {
		t.Error("Sources() shares its slice")
	}
}

func TestParsePhase(t *testing.T) {
	tests := []struct {
		in   string
		want Phase
	}{
		{"assess", PhaseAssess}, {"Assessment", PhaseAssess}, {"PREPARE", PhasePrepare},
		{"enable", PhaseEnable}, {"onboarding", PhaseOnboard}, {"migrate", PhaseMigrate}, {"Closure", PhaseClose},
	}
	for _, tt := range tests {
		if got, err := ParsePhase(tt.in); err != nil || got != tt.want {
			t.Errorf("ParsePhase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	_, err := ParsePhase("plan")
	wantErr(t, err, EINVALID, `"plan" is not a phase. Phases: assess, prepare, enable, onboard, migrate, close.`)
	if Phase("x").Valid() || !PhaseEnable.Valid() {
		t.Error("Phase.Valid")
	}
	if PhaseMigrate.Title() != "Migration" || Phase("x").Title() != "x" {
		t.Error("Phase.Title")
	}
}
