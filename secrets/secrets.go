package secrets

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Finding is one credential-looking span of a string. It holds where the
// secret is, never the secret: Start and End are byte offsets into the
// scanned string (s[Start:End] is the secret).
type Finding struct {
	Rule  string // the id of the rule that matched, e.g. "aws-access-token"
	Start int
	End   int
}

// String names the rule and the position, and nothing of the secret, so a
// Finding is safe to log.
func (f Finding) String() string {
	return fmt.Sprintf("%s at bytes %d-%d", f.Rule, f.Start, f.End)
}

// MaxScan is how much of a string Find looks at: the questionnaire caps a
// whole submission at 32 KiB and a chat message is shorter, so anything
// longer is refused before it gets here. Find reports a string longer than
// this as one finding of rule "oversized" over the part not scanned, so that
// a caller never keeps text it could not check.
const MaxScan = 64 << 10

// Find returns the credential-looking spans of s, in order of position,
// without overlaps (where two rules match the same text, the more specific
// rule, earlier in Rules, wins). It returns nil for ordinary text.
func Find(s string) []Finding {
	var out []Finding
	if len(s) > MaxScan {
		out = append(out, Finding{Rule: "oversized", Start: MaxScan, End: len(s)})
		s = s[:MaxScan]
	}
	if len(s) < minLen {
		return out
	}
	lower := strings.ToLower(s)
	var all []Finding
	for i := range compiled {
		r := &compiled[i]
		if !r.wanted(lower) || r.prefilter != nil && !r.prefilter(s) {
			continue
		}
		for _, m := range r.re.FindAllStringSubmatchIndex(s, -1) {
			if f, ok := r.finding(s, m); ok {
				all = append(all, f)
			}
		}
	}
	// all is in rule order: accept each finding that does not overlap one
	// already accepted, so the more specific rule names the secret.
	var kept []Finding
	for _, f := range all {
		if !slices.ContainsFunc(kept, func(k Finding) bool { return f.Start < k.End && k.Start < f.End }) {
			kept = append(kept, f)
		}
	}
	slices.SortFunc(kept, func(a, b Finding) int { return a.Start - b.Start })
	return append(kept, out...)
}

// Check reports whether s looks like it holds a credential, and names the
// first rule that matched. It has the shape of playbook.SecretFinder.
func Check(s string) (rule string, found bool) {
	fs := Find(s)
	if len(fs) == 0 {
		return "", false
	}
	return fs[0].Rule, true
}

// Redact returns s with every finding replaced by "[REDACTED:rule-id]".
func Redact(s string) string {
	fs := Find(s)
	if len(fs) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, f := range fs {
		b.WriteString(s[last:f.Start])
		b.WriteString("[REDACTED:" + f.Rule + "]")
		last = f.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// minLen is the shortest string any rule can match.
const minLen = 8

// rule is a Rule compiled.
type rule struct {
	Rule
	re       *regexp.Regexp
	allow    []*regexp.Regexp
	keywords []string
}

var compiled = mustCompile(table)

func mustCompile(rs []Rule) []rule {
	out := make([]rule, len(rs))
	ids := map[string]bool{}
	for i, r := range rs {
		if r.ID == "" || ids[r.ID] {
			// The table is code: a broken one is a programming error that
			// every test run reports at once.
			panic("secrets: empty or duplicate rule id " + r.ID)
		}
		ids[r.ID] = true
		c := rule{Rule: r, re: regexp.MustCompile(r.Pattern)}
		if r.Group > c.re.NumSubexp() {
			panic("secrets: rule " + r.ID + ": no capture group " + fmt.Sprint(r.Group))
		}
		for _, a := range r.Allow {
			c.allow = append(c.allow, regexp.MustCompile(a))
		}
		for _, k := range r.Keywords {
			c.keywords = append(c.keywords, strings.ToLower(k))
		}
		out[i] = c
	}
	return out
}

// wanted is gitleaks' keyword pre-filter: a rule with keywords runs only on
// text containing one of them.
func (r *rule) wanted(lower string) bool {
	if len(r.keywords) == 0 {
		return true
	}
	for _, k := range r.keywords {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}

// finding turns a match into a Finding when the secret passes the rule's
// entropy threshold, allow-list and check.
func (r *rule) finding(s string, m []int) (Finding, bool) {
	start, end := m[2*r.Group], m[2*r.Group+1]
	if start < 0 {
		return Finding{}, false
	}
	secret := s[start:end]
	if r.Entropy > 0 && entropy(secret) <= r.Entropy {
		return Finding{}, false
	}
	for _, a := range r.allow {
		if a.MatchString(secret) {
			return Finding{}, false
		}
	}
	if r.check != nil && !r.check(s, m) {
		return Finding{}, false
	}
	return Finding{Rule: r.ID, Start: start, End: end}, true
}
