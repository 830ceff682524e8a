package secrets

import (
	"math"
	"regexp"
	"strings"
	"unicode"
)

// Rule is one kind of credential.
type Rule struct {
	// ID names the rule in findings, logs and replies. Ported rules keep
	// gitleaks' id.
	ID          string
	Description string
	// Origin says where the rule comes from: "gitleaks" (ported unchanged
	// from gitleaks v8.30.1 config/gitleaks.toml), "gitleaks, adapted"
	// (ported, with the change written in Description) or "mvmbot".
	Origin string
	// Pattern is an RE2 regular expression; Group is the capture group that
	// holds the secret (0: the whole match).
	Pattern string
	Group   int
	// Keywords: the rule runs only when the text contains one of them,
	// case-insensitive (gitleaks' pre-filter). None: always.
	Keywords []string
	// Entropy is the Shannon entropy (bits per character) the secret must
	// exceed, as in gitleaks; 0: no threshold.
	Entropy float64
	// Allow lists patterns of secrets that are known examples, not
	// credentials (gitleaks' allowlists).
	Allow []string

	check func(s string, m []int) bool // a further test of the match
	// prefilter, when set, must accept the text for the rule to run (a
	// cheaper test than the regular expression, for rules without
	// keywords).
	prefilter func(s string) bool
}

// Rules returns the rule set, most specific first. The slice is the
// caller's.
func Rules() []Rule {
	return append([]Rule(nil), table...)
}

// end is where a token ends in prose: gitleaks' terminator (a quote, space,
// semicolon, escaped newline or the end), widened to the punctuation that
// follows a word in a sentence.
const end = `(?:[\x60'"\s;.,:!?)\]}>]|\\[nr]|$)`

// table is the rule set. The gitleaks rules are ported from
// github.com/zricethezav/gitleaks/v8 config/gitleaks.toml (v8.30.1, MIT
// licence, Copyright (c) 2019 Zachary Rice); the ids are gitleaks' so that
// their documentation applies.
var table = []Rule{
	{ID: "private-key", Origin: "gitleaks, adapted",
		Description: "A PEM private key. Adapted: the key body is optional, since a key pasted into a chat is often cut off after its header.",
		Pattern:     `(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S-]{64,}?KEY(?: BLOCK)?-----)?`,
		Keywords:    []string{"-----begin"}},
	{ID: "aws-access-token", Origin: "gitleaks", Description: "An AWS access key id.",
		Pattern:  `\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`,
		Group:    1,
		Keywords: []string{"a3t", "akia", "asia", "abia", "acca"}, Entropy: 3,
		Allow: []string{`.+EXAMPLE$`}},
	{ID: "github-pat", Origin: "gitleaks", Description: "A GitHub personal access token.",
		Pattern: `ghp_[0-9a-zA-Z]{36}`, Keywords: []string{"ghp_"}, Entropy: 3},
	{ID: "github-fine-grained-pat", Origin: "gitleaks", Description: "A GitHub fine-grained personal access token.",
		Pattern: `github_pat_\w{82}`, Keywords: []string{"github_pat_"}, Entropy: 3},
	{ID: "github-oauth", Origin: "gitleaks", Description: "A GitHub OAuth access token.",
		Pattern: `gho_[0-9a-zA-Z]{36}`, Keywords: []string{"gho_"}, Entropy: 3},
	{ID: "github-app-token", Origin: "gitleaks", Description: "A GitHub App token.",
		Pattern: `(?:ghu|ghs)_[0-9a-zA-Z]{36}`, Keywords: []string{"ghu_", "ghs_"}, Entropy: 3},
	{ID: "github-refresh-token", Origin: "gitleaks", Description: "A GitHub refresh token.",
		Pattern: `ghr_[0-9a-zA-Z]{36}`, Keywords: []string{"ghr_"}, Entropy: 3},
	{ID: "gitlab-pat", Origin: "gitleaks", Description: "A GitLab personal access token.",
		Pattern: `glpat-[\w-]{20}`, Keywords: []string{"glpat-"}, Entropy: 3},
	{ID: "slack-bot-token", Origin: "gitleaks", Description: "A Slack bot token.",
		Pattern: `xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*`, Keywords: []string{"xoxb"}, Entropy: 3},
	{ID: "slack-user-token", Origin: "gitleaks", Description: "A Slack user token.",
		Pattern: `xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}`, Keywords: []string{"xoxp-", "xoxe-"}, Entropy: 2},
	{ID: "slack-app-token", Origin: "gitleaks", Description: "A Slack app-level token.",
		Pattern: `(?i)xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+`, Keywords: []string{"xapp"}, Entropy: 2},
	{ID: "slack-legacy-token", Origin: "gitleaks", Description: "A Slack legacy token.",
		Pattern: `xox[os]-\d+-\d+-\d+-[a-fA-F\d]+`, Keywords: []string{"xoxo", "xoxs"}, Entropy: 2},
	{ID: "slack-webhook-url", Origin: "gitleaks", Description: "A Slack incoming webhook URL (anyone holding it can post).",
		Pattern: `(?:https?://)?hooks.slack.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}`, Keywords: []string{"hooks.slack.com"}},
	{ID: "microsoft-teams-webhook", Origin: "gitleaks", Description: "A Microsoft Teams incoming webhook URL (anyone holding it can post).",
		Pattern:  `https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}`,
		Keywords: []string{"webhook.office.com", "webhookb2", "incomingwebhook"}},
	{ID: "azure-ad-client-secret", Origin: "gitleaks, adapted",
		Description: "A Microsoft Entra ID (Azure AD) application client secret (xxx8Q~…). Adapted: also ends before ; ! ? and ].",
		Pattern:     `(?:^|[\\'"\x60\s>=:(,)\[])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),;!?\]])`,
		Group:       1, Keywords: []string{"q~"}, Entropy: 3},
	{ID: "gcp-api-key", Origin: "gitleaks", Description: "A Google Cloud API key.",
		Pattern: `\b(AIza[\w-]{35})` + end, Group: 1, Keywords: []string{"aiza"}, Entropy: 4},
	{ID: "jwt", Origin: "gitleaks", Description: "A JSON Web Token (an OAuth access or ID token).",
		Pattern: `\b(ey[a-zA-Z0-9]{17,}\.ey[a-zA-Z0-9\/\\_-]{17,}\.(?:[a-zA-Z0-9\/\\_-]{10,}={0,2})?)` + end,
		Group:   1, Keywords: []string{"ey"}, Entropy: 3},
	{ID: "stripe-access-token", Origin: "gitleaks", Description: "A Stripe secret or restricted key.",
		Pattern: `\b((?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99})` + end, Group: 1,
		Keywords: []string{"sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod"}, Entropy: 2},
	{ID: "dropbox-short-lived-api-token", Origin: "gitleaks, adapted",
		Description: "A Dropbox short-lived access token. Adapted: found without the word \"dropbox\" nearby (a Dropbox questionnaire answer need not say it), and the newer sl.u. form.",
		Pattern:     `\b(sl\.(?:u\.)?[A-Za-z0-9\-=_]{135,})`, Group: 1, Keywords: []string{"sl."}, Entropy: 3},
	{ID: "dropbox-long-lived-api-token", Origin: "gitleaks, adapted",
		Description: "A Dropbox long-lived access token. Adapted: found without the word \"dropbox\" nearby.",
		Pattern:     `(?i)\b([a-z0-9]{11}AAAAAAAAAA[a-z0-9\-_=]{43})` + end, Group: 1, Keywords: []string{"aaaaaaaaaa"}},

	// mvmbot's rules: what people paste into a chat or a form, rather than
	// commit to a repository.
	{ID: "google-oauth-client-secret", Origin: "mvmbot",
		Description: "A Google OAuth client secret (GOCSPX-…), as a Google Drive migration's OAuth app has.",
		Pattern:     `\b(GOCSPX-[A-Za-z0-9_-]{28})` + end, Group: 1, Keywords: []string{"gocspx-"}, Entropy: 3},
	{ID: "azure-storage-account-key", Origin: "mvmbot",
		Description: "An Azure Storage account key, alone or in a connection string (AccountKey=…, 64 bytes in base64).",
		Pattern:     `(?i)\baccount[ _-]?key\s*[=:]\s*["']?([A-Za-z0-9+/]{86}==)`, Group: 1, Keywords: []string{"key"}},
	{ID: "azure-shared-access-key", Origin: "mvmbot",
		Description: "An Azure shared access key (Service Bus, Event Hubs, IoT Hub connection strings: SharedAccessKey=…).",
		Pattern:     `(?i)\bshared[ _-]?access[ _-]?key\s*[=:]\s*["']?([A-Za-z0-9+/]{40,}={0,2})`, Group: 1, Keywords: []string{"sharedaccesskey", "shared access key", "shared_access_key"}},
	{ID: "azure-sas-token", Origin: "mvmbot",
		Description: "An Azure shared access signature (a URL or connection string with sig=…).",
		Pattern:     `(?i)(?:^|[?&;\s])sig=([A-Za-z0-9%+/]{30,}(?:%3D|=){0,2})`, Group: 1, Keywords: []string{"sig="}},
	{ID: "url-credentials", Origin: "mvmbot",
		Description: "A user name and password in a URL (imaps://user:password@host).",
		Pattern:     `(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s/:@]{1,128}:([^\s/@]{3,128})@[a-z0-9\[]`, Group: 1,
		Keywords: []string{"://"}, check: notPlaceholder(1)},
	{ID: "authorization-header", Origin: "mvmbot",
		Description: "An HTTP Authorization header or bearer token (after gitleaks' curl-auth-header, without the curl command).",
		Pattern:     `(?i)(?:\bauthorization\s*[:=]\s*(?:basic|bearer|token)\s+|\bbearer\s+)([A-Za-z0-9._~+/-]{16,}={0,2})`, Group: 1,
		Keywords: []string{"authorization", "bearer"}, Entropy: 3},
	{ID: "password-assignment", Origin: "mvmbot",
		Description: "A password given in words or as a setting: password=…, Pwd=… in a connection string, \"password: …\", \"the password is …\" (in the spirit of gitleaks' generic-api-key, for prose).",
		Pattern:     `(?i)(?:\b|_)(?:pass(?:word|wd|phrase|code)?s?|pwd)\s*(=|:|\s+is\s+|\s+was\s+)\s*["'\x60]?([^\s"'\x60;,]{4,})`, Group: 2,
		Keywords: []string{"pass", "pwd"}, check: assignment(1, 2, 4)},
	{ID: "secret-assignment", Origin: "mvmbot",
		Description: "A secret, key or token given as a setting or in words: client_secret=…, \"API key: …\", \"the token is …\".",
		Pattern:     `(?i)(?:\b|_)(?:client[ _.-]?secret|secret(?:[ _.-]?key)?|api[ _.-]?key|access[ _.-]?key|account[ _.-]?key|private[ _.-]?key|(?:auth|access|refresh|sas|bearer|api)?[ _.-]?token|app[ _.-]?password|credentials?|creds)\s*(=|:|\s+is\s+|\s+was\s+)\s*["'\x60]?([^\s"'\x60;,]{8,})`, Group: 2,
		Keywords: []string{"secret", "key", "token", "password", "cred"}, check: assignment(1, 2, 8)},
	{ID: "high-entropy-token", Origin: "mvmbot",
		Description: "A long random token: 24 or more letters, digits and + / _ ~ - (base64 or base64url), with upper case, lower case and digits mixed as random text mixes them, and high Shannon entropy. GUIDs (tenant ids) and hex digests do not match: they lack upper case.",
		Pattern:     `(?:^|[^A-Za-z0-9+/_~=-])([A-Za-z0-9+/_~-]{24,}={0,2})`, Group: 1,
		Entropy: 3.7, check: randomLooking(1), prefilter: hasTokenRun(24)},
}

// notPlaceholder accepts a match whose group g is not a placeholder such as
// "****", "<password>", "${PASS}" or "none".
func notPlaceholder(g int) func(string, []int) bool {
	return func(s string, m []int) bool {
		return !placeholder(s[m[2*g]:m[2*g+1]])
	}
}

// assignment accepts keyword-separator-value matches whose value looks like a
// secret rather than a word of a sentence: with "=" any value of minLen
// characters that is not a placeholder; with ":" or "is" the value must
// also look like a password (digits, symbols or inner capitals), since
// "password: see 3614" or "the token is expired" are sentences.
func assignment(sep, val, minLen int) func(string, []int) bool {
	return func(s string, m []int) bool {
		v := s[m[2*val]:m[2*val+1]]
		if len([]rune(v)) < minLen || placeholder(v) {
			return false
		}
		if strings.TrimSpace(s[m[2*sep]:m[2*sep+1]]) == "=" {
			return true
		}
		return passwordLike(v)
	}
}

var placeholderRe = regexp.MustCompile(`(?i)^(?:[*•x.#?_-]+|<.*|\[.*|\{.*|\$.*|%.*%|\(.*|n/?a|none|null|nil|empty|true|false|yes|no|tbd|tbc|todo|unknown|redacted|hidden|required|optional|provided|pending|same|separately)$`)

func placeholder(v string) bool {
	return placeholderRe.MatchString(v)
}

// passwordLike reports whether v mixes in what passwords have and words do
// not: a digit, a symbol, or a capital letter after the first character.
func passwordLike(v string) bool {
	for i, r := range v {
		switch {
		case unicode.IsDigit(r):
			return true
		case unicode.IsUpper(r) && i > 0:
			return true
		case strings.ContainsRune("!@#$%^&*+=?~|<>[]{}()/\\", r):
			return true
		}
	}
	return false
}

// randomLooking accepts a token that mixes upper case, lower case and digits,
// changes character class often (at least 35% of neighbouring letters and
// digits differ in class) and has less than half of its characters in runs
// of three or more lower-case letters, as random text does ("q8Vx3mR7tZ2p")
// and identifiers do not ("FastTrackMigrationWave2Batch3PilotGroup"). On
// random base64 of 24 characters this misses about 3.5% of tokens, of 32
// characters about 1%, of 40 or more under 0.5%: the rules for known formats
// come first, and this one is the backstop.
func randomLooking(g int) func(string, []int) bool {
	return func(s string, m []int) bool {
		t := strings.TrimRight(s[m[2*g]:m[2*g+1]], "=")
		var upper, lower, digit bool
		changes, n, prev := 0, 0, -1
		wordy, run := 0, 0 // characters in runs of 3+ lower-case letters, as in words
		for _, r := range t {
			if r >= 'a' && r <= 'z' {
				run++
				if run == 3 {
					wordy += 3
				} else if run > 3 {
					wordy++
				}
			} else {
				run = 0
			}
			var c int
			switch {
			case r >= 'A' && r <= 'Z':
				c, upper = 0, true
			case r >= 'a' && r <= 'z':
				c, lower = 1, true
			case r >= '0' && r <= '9':
				c, digit = 2, true
			default:
				continue // separators and base64 symbols: rare in random text, common in paths
			}
			if prev >= 0 && c != prev {
				changes++
			}
			prev = c
			n++
		}
		if !upper || !lower || !digit || n < 2 {
			return false
		}
		return float64(changes)/float64(n-1) >= 0.35 && float64(wordy)/float64(len(t)) < 0.5
	}
}

// hasTokenRun reports whether s has n or more base64 characters in a row,
// as a long token needs.
func hasTokenRun(n int) func(string) bool {
	return func(s string) bool {
		run := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '_' || c == '~' || c == '-' {
				if run++; run >= n {
					return true
				}
			} else {
				run = 0
			}
		}
		return false
	}
}

// entropy is the Shannon entropy of s in bits per character, as gitleaks
// computes it.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var e float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		e -= p * math.Log2(p)
	}
	return e
}
