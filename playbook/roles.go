package playbook

import "strings"

// Role is what a member does in an engagement. A member may hold several
// roles, and several members may hold the same role.
type Role string

// The roles of the FastTrack data-migration playbook.
const (
	FRP      Role = "FRP"      // FastTrack Ready Partner consultant: assessment, enablement, DNS
	Customer Role = "Customer" // the customer: questionnaire, decision, remediation
	MST      Role = "MST"      // Migration Support Team: workshops, guidance, platform issues
	MVM      Role = "MVM"      // Migration Velocity Manager: IMAP engagements only
)

var roles = []Role{FRP, Customer, MST, MVM}

// Roles returns every role, in the order the playbook introduces them. The
// slice is the caller's.
func Roles() []Role {
	return append([]Role(nil), roles...)
}

// Valid reports whether r is one of the roles above, spelled canonically.
func (r Role) Valid() bool {
	for _, x := range roles {
		if r == x {
			return true
		}
	}
	return false
}

// ParseRole reads a role the way people type it: case-insensitive, with the
// long names accepted too ("frp", "partner", "migration support team").
// Returns EINVALID naming the valid roles otherwise.
func ParseRole(s string) (Role, error) {
	switch squash(s) {
	case "frp", "partner", "fasttrackreadypartner":
		return FRP, nil
	case "customer", "cust":
		return Customer, nil
	case "mst", "migrationsupport", "migrationsupportteam":
		return MST, nil
	case "mvm", "migrationvelocitymanager":
		return MVM, nil
	}
	return "", Errorf(EINVALID, "%q is not a role. Roles: %s.", strings.TrimSpace(s), joinRoles(roles))
}

// squash lower-cases s and drops spaces, hyphens, underscores and dots, so
// that "Google Drive", "google-drive" and "googledrive" compare equal.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '\t', '-', '_', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func joinRoles(rs []Role) string {
	if len(rs) == 0 {
		return "none"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func hasRole(rs []Role, r Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
