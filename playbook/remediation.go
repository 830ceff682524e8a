package playbook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Known migration errors (task 3282): a failure reason from pre-flight or
// a batch report is matched against a table of known errors, each saying
// what the failure means, what fixes it and who does. The built-in table is
// in remediation_data.go; docs/known-errors.md shows it, and the
// collaboration site publishes the same rows as a SharePoint list.

// KnownError is one known migration error.
type KnownError struct {
	// ID is stable: pre-flight results store it. Never rename one.
	ID string `json:"id"`
	// Sources limits the error to these sources; empty means every source.
	Sources []Source `json:"sources,omitempty"`
	// Pattern is matched against a failure reason, ignoring case: a
	// substring, or a regular expression (RE2 syntax) when Regexp is true.
	Pattern string `json:"pattern"`
	Regexp  bool   `json:"regexp,omitempty"`
	// Meaning says what went wrong, for the customer.
	Meaning string `json:"meaning"`
	// Remediation says what fixes it.
	Remediation string `json:"remediation"`
	// Remediates is the role that does the fix: the customer for their own
	// data and systems (the FRP never remediates migration issues), the MST
	// for the migration platform.
	Remediates Role `json:"remediates"`
	// Official quotes Microsoft's own texts or codes for this error, each of
	// which Pattern matches; Doc is the page that documents them and the fix.
	Official []string `json:"official,omitempty"`
	Doc      string   `json:"doc,omitempty"`
}

// knownErrorCache caches the regular expressions of known errors by pattern.
var knownErrorCache sync.Map // string → *regexp.Regexp, or error

func knownErrorRegexp(pattern string) (*regexp.Regexp, error) {
	if v, ok := knownErrorCache.Load(pattern); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		knownErrorCache.Store(pattern, err)
		return nil, err
	}
	knownErrorCache.Store(pattern, re)
	return re, nil
}

// Matches reports whether reason is an instance of k. An invalid regular
// expression matches nothing (ValidateKnownErrors reports it).
func (k KnownError) Matches(reason string) bool {
	if k.Pattern == "" {
		return false
	}
	if !k.Regexp {
		return strings.Contains(strings.ToLower(reason), strings.ToLower(k.Pattern))
	}
	re, err := knownErrorRegexp(k.Pattern)
	return err == nil && re.MatchString(reason)
}

// MatchKnownError returns the first known error, in table order, whose
// pattern matches reason, and false when none does. Order the table from
// the most specific pattern to the most general.
func MatchKnownError(reason string, known []KnownError) (KnownError, bool) {
	if strings.TrimSpace(reason) == "" {
		return KnownError{}, false
	}
	for _, k := range known {
		if k.Matches(reason) {
			return k.clone(), true
		}
	}
	return KnownError{}, false
}

func (k KnownError) clone() KnownError {
	k.Sources = slices.Clone(k.Sources)
	k.Official = slices.Clone(k.Official)
	return k
}

// ValidateKnownErrors checks a table of known errors: unique well-formed
// ids, a pattern (a valid regular expression when Regexp), a meaning, a
// remediation, a valid role, valid sources. It returns EINVALID naming the
// first fault.
func ValidateKnownErrors(known []KnownError) error {
	ids := map[string]bool{}
	for i, k := range known {
		where := fmt.Sprintf("known error %d (%s)", i+1, k.ID)
		switch {
		case !validKey(k.ID) || ids[k.ID]:
			return Errorf(EINVALID, "%s: the id must be unique lower-case letters, digits and hyphens", where)
		case strings.TrimSpace(k.Pattern) == "":
			return Errorf(EINVALID, "%s: no pattern", where)
		case strings.TrimSpace(k.Meaning) == "" || strings.TrimSpace(k.Remediation) == "":
			return Errorf(EINVALID, "%s: a meaning and a remediation are required", where)
		case !k.Remediates.Valid():
			return Errorf(EINVALID, "%s: %q is not a role", where, k.Remediates)
		}
		ids[k.ID] = true
		if k.Regexp {
			if _, err := knownErrorRegexp(k.Pattern); err != nil {
				return Errorf(EINVALID, "%s: the pattern is not a regular expression: %v", where, err)
			}
		}
		if err := checkScope(where, k.Sources, Always); err != nil {
			return err
		}
		for _, o := range k.Official {
			if !k.Matches(o) {
				return Errorf(EINVALID, "%s: the pattern does not match Microsoft's text %q", where, o)
			}
		}
		if k.Doc != "" && !strings.HasPrefix(k.Doc, "https://") {
			return Errorf(EINVALID, "%s: the doc %q is not an https address", where, k.Doc)
		}
	}
	return nil
}

// builtinKnownErrors is the checked table, loaded once.
var builtinKnownErrors = mustLoadKnownErrors(knownErrorTable)

func mustLoadKnownErrors(ks []KnownError) []KnownError {
	if err := ValidateKnownErrors(ks); err != nil {
		panic("playbook: invalid known errors: " + err.Error())
	}
	return ks
}

// KnownErrors returns the built-in known errors that apply to any of the
// sources (those for every source included), in matching order; every
// known error when no source is given. The slice is the caller's.
func KnownErrors(ss ...Source) []KnownError {
	var out []KnownError
	for _, k := range builtinKnownErrors {
		if len(ss) == 0 || len(k.Sources) == 0 || slices.ContainsFunc(k.Sources, func(s Source) bool { return hasSource(ss, s) }) {
			out = append(out, k.clone())
		}
	}
	return out
}

// KnownErrorByID returns the built-in known error with that id.
func KnownErrorByID(id string) (KnownError, bool) {
	for _, k := range builtinKnownErrors {
		if k.ID == id {
			return k.clone(), true
		}
	}
	return KnownError{}, false
}
