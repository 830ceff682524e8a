package playbook

import "strings"

// Source is a system the customer's content is migrated from. An engagement
// has one or more.
type Source string

// The sources the FastTrack data-migration benefit covers.
const (
	IMAP        Source = "IMAP"
	Box         Source = "Box"
	Dropbox     Source = "Dropbox"
	GoogleDrive Source = "GoogleDrive"
	FileShare   Source = "FileShare"
)

var sources = []Source{IMAP, Box, Dropbox, GoogleDrive, FileShare}

// Sources returns every source in canonical order (the order the seeds list
// the workshop ids in). The slice is the caller's.
func Sources() []Source {
	return append([]Source(nil), sources...)
}

// Valid reports whether s is one of the sources above, spelled canonically.
func (s Source) Valid() bool {
	return sourceIndex(s) >= 0
}

// Mail reports whether s carries mail, which makes the post-migration DNS
// and mail-flow task (1370) apply.
func (s Source) Mail() bool {
	return s == IMAP
}

func sourceIndex(s Source) int {
	for i, x := range sources {
		if s == x {
			return i
		}
	}
	return -1
}

// ParseSource reads a source the way people type it, case-insensitive and
// ignoring spaces, hyphens and underscores: "imap", "box", "drop box",
// "gdrive", "google drive", "file share", "fileshare", "smb". Returns
// EINVALID naming the valid sources otherwise.
func ParseSource(s string) (Source, error) {
	switch squash(s) {
	case "imap", "imapmail":
		return IMAP, nil
	case "box", "boxcom":
		return Box, nil
	case "dropbox":
		return Dropbox, nil
	case "googledrive", "gdrive":
		return GoogleDrive, nil
	case "google", "googleworkspace", "gsuite", "googleapps":
		return "", Errorf(EINVALID, "%q is two sources: its mail (IMAP) and Google Drive. Name the ones that move, for instance \"IMAP, Google Drive\".", strings.TrimSpace(s))
	case "fileshare", "fileshares", "fileserver", "smb", "fs":
		return FileShare, nil
	}
	return "", Errorf(EINVALID, "%q is not a migration source. Sources: %s.", strings.TrimSpace(s), joinSources(sources))
}

// ParseSources reads one source as people type it, as ParseSource does,
// except that a whole suite names every source it holds: "Google
// Workspace", "G Suite" (and "Google Apps", "Google") mean its mail and
// its Drive, IMAP and GoogleDrive, so that naming the suite never drops
// the mail.
func ParseSources(s string) ([]Source, error) {
	switch squash(s) {
	case "google", "googleworkspace", "gsuite", "googleapps":
		return []Source{IMAP, GoogleDrive}, nil
	}
	src, err := ParseSource(s)
	if err != nil {
		return nil, err
	}
	return []Source{src}, nil
}

func joinSources(ss []Source) string {
	s := make([]string, len(ss))
	for i, x := range ss {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

func hasSource(ss []Source, s Source) bool {
	return sourceIndexIn(ss, s) >= 0
}

func sourceIndexIn(ss []Source, s Source) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}
