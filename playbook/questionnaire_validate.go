package playbook

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Answers are a questionnaire's values by field id, as cards submit them:
// strings. A stored Answers holds only fields with a value.
type Answers map[string]string

// Clone returns a copy of a.
func (a Answers) Clone() Answers {
	if a == nil {
		return nil
	}
	c := make(Answers, len(a))
	for k, v := range a {
		c[k] = v
	}
	return c
}

// With returns a copy of a with b's values laid over it; an empty value in b
// removes the field (the person cleared it). Neither a nor b changes. This is
// how one section's inputs join the answers of the others.
func (a Answers) With(b Answers) Answers {
	c := a.Clone()
	if c == nil {
		c = Answers{}
	}
	for k, v := range b {
		if strings.TrimSpace(v) == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// Size is the bytes of a's ids and values, the measure of MaxSubmitBytes.
func (a Answers) Size() int {
	n := 0
	for k, v := range a {
		n += len(k) + len(v)
	}
	return n
}

// FieldErrors are messages for a person, by field id. The key FormError
// holds a message about the submission as a whole (too large, unknown
// fields).
type FieldErrors map[string]string

// FormError is the FieldErrors key of a message about the whole submission.
const FormError = ""

// SecretFinder says whether a value looks like a credential, naming the rule
// that matched; secrets.Check is one. This package imports only the standard
// library, so the caller passes it in; nil finds nothing.
type SecretFinder func(value string) (rule string, found bool)

// ValidateAnswers checks a whole questionnaire of e as submitted at now and
// returns the answers cleaned, with a message for each wrong field. Every
// field of Fields(e) is checked: required answers present; each value
// within its cap and its MaxLength; numbers, integers and their ranges;
// email, phone, domain, date and time-zone formats; choices among their
// options; dates not in the past (unless unchanged since the last version)
// nor more than five years ahead; and the cross-field rules (the window ends
// after it starts, the pilot is not larger than the users in scope, and so
// on). Fields that are not part of e are refused by name under FormError,
// as is a submission over MaxSubmitBytes; a value find flags is dropped
// (never kept, never shown again) with a message pointing to the secure
// credential process (3614).
//
// clean holds every non-empty answer of a field of e: normalized when the
// answer is valid (trimmed, domains lower-cased, numbers plain, dates
// sorted), else as the person typed it, cut to its cap, so that a card can
// show it again next to the message. FieldErrors is nil when everything is
// valid. ValidateAnswers changes nothing.
func ValidateAnswers(e *Engagement, answers Answers, now time.Time, find SecretFinder) (Answers, FieldErrors) {
	clean, fe := sanitize(e, answers, find)
	var prev Answers
	if v, ok := LatestQuestionnaire(e); ok {
		prev = v.Answers
	}
	ok := map[string]bool{} // fields whose answer is valid
	for _, f := range Fields(e) {
		if _, bad := fe[f.ID]; bad {
			continue
		}
		v, given := clean[f.ID]
		if !given {
			if f.Required {
				fe[f.ID] = "This answer is required."
			}
			continue
		}
		if utf8.RuneCountInString(v) > f.MaxLength() {
			fe[f.ID] = fmt.Sprintf("At most %s characters, please; this has %s.", formatNumber(float64(f.MaxLength())), formatNumber(float64(utf8.RuneCountInString(v))))
			continue
		}
		norm, msg := f.check(v)
		if msg == "" && f.Future {
			msg = future(f, norm, prev[f.ID], now)
		}
		if msg != "" {
			fe[f.ID] = msg
			continue
		}
		clean[f.ID] = norm
		ok[f.ID] = true
	}
	crossCheck(e, clean, ok, fe)
	if len(fe) == 0 {
		return clean, nil
	}
	return clean, fe
}

// sanitize keeps the answers of fields of e, each trimmed and cut to its
// cap, and drops unknown fields and values that look like credentials, with
// messages. It is what a draft gets: no other validation.
func sanitize(e *Engagement, answers Answers, find SecretFinder) (Answers, FieldErrors) {
	fe := FieldErrors{}
	clean := Answers{}
	var form []string
	if n := answers.Size(); n > MaxSubmitBytes {
		form = append(form, fmt.Sprintf("This submission is %s KiB; the questionnaire takes at most %d KiB. Shorten the longest answers.",
			formatNumber(math.Ceil(float64(n)/1024)), MaxSubmitBytes>>10))
	}
	var unknown []string
	unnamed := 0
	for _, k := range sortedKeys(answers) {
		i, known := qByID[k]
		if !known || !fieldApplies(e, qFields[i]) {
			if name, ok := printableID(k, find); ok {
				if known {
					name += " (" + scopeName(qFields[i]) + ")"
				}
				unknown = append(unknown, name)
			} else {
				unnamed++
			}
			continue
		}
		f := qFields[i]
		v := answers[k]
		if !utf8.ValidString(v) {
			fe[k] = "This is not valid text; type it again."
			continue
		}
		v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
		if v == "" {
			continue
		}
		if find != nil {
			if rule, found := find(v); found {
				fe[k] = secretMessage(rule)
				continue
			}
		}
		if r := []rune(v); len(r) > hardCap(f) {
			v = string(r[:hardCap(f)])
			fe[k] = fmt.Sprintf("At most %s characters, please; this had %s and was cut.", formatNumber(float64(f.MaxLength())), formatNumber(float64(len(r))))
		} else if msg := badCharacters(f, v); msg != "" {
			fe[k] = msg
		}
		clean[k] = v
	}
	if len(unknown) > 0 || unnamed > 0 {
		const show = 5
		msg := "These answers are not part of this engagement's questionnaire, so they were not kept: "
		if len(unknown) > show {
			unnamed += len(unknown) - show
			unknown = unknown[:show]
		}
		parts := unknown
		if unnamed > 0 {
			parts = append(parts, fmt.Sprintf("%d more", unnamed))
		}
		form = append(form, msg+strings.Join(parts, ", ")+".")
	}
	if len(form) > 0 {
		fe[FormError] = strings.Join(form, " ")
	}
	return clean, fe
}

// secretMessage is what a person reads when a value looked like a
// credential. It names the rule, never the value.
func secretMessage(rule string) string {
	return fmt.Sprintf("This looks like a credential (%s), so it was not kept. Never put passwords, keys or tokens in the questionnaire: they go through the secure credential process (3614) with the MST.", rule)
}

// printableID returns an unknown key as a message may name it: short ids of
// letters, digits, hyphens and underscores only, and never one that looks
// like a credential.
func printableID(k string, find SecretFinder) (string, bool) {
	if k == "" || len(k) > 40 {
		return "", false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return "", false
		}
	}
	if find != nil {
		if _, found := find(k); found {
			return "", false
		}
	}
	return `"` + k + `"`, true
}

// scopeName says why a known field is not part of an engagement.
func scopeName(f Field) string {
	if len(f.Sources) > 0 {
		return "only with " + joinOr(f.Sources)
	}
	if f.Condition == IfOnPremExchange {
		return "only with on-premises Exchange"
	}
	return "not asked here"
}

// badCharacters refuses control characters: line breaks are for long texts
// only.
func badCharacters(f Field, v string) string {
	for _, r := range v {
		if r == '\n' || r == '\t' {
			if f.Type != TypeLongText {
				return "Use a single line."
			}
			continue
		}
		if unicode.IsControl(r) {
			return "This contains control characters; type it again."
		}
	}
	return ""
}

// check validates v, trimmed and non-empty, for f's type alone, and returns
// it normalized, or a message for a person.
func (f Field) check(v string) (string, string) {
	switch f.Type {
	case TypeText, TypeLongText:
		return v, ""
	case TypeEmail:
		return checkEmail(v)
	case TypePhone:
		return checkPhone(v)
	case TypeDomain:
		return checkHost(v)
	case TypeNumber, TypeInteger:
		return f.checkNumber(v)
	case TypeDate:
		d, err := time.Parse(dateLayout, v)
		if err != nil {
			return v, "Give a date as YYYY-MM-DD, such as 2027-01-15."
		}
		return d.Format(dateLayout), ""
	case TypeDates:
		ds, msg := parseDates(v)
		if msg != "" {
			return v, msg
		}
		return ds.String(), ""
	case TypeChoice:
		if o, ok := f.option(v); ok {
			return o.Value, ""
		}
		return v, "Choose one of: " + f.titles() + "."
	case TypeMultiChoice:
		var vals []string
		for _, x := range splitList(v) {
			o, ok := f.option(x)
			if !ok {
				return v, fmt.Sprintf("%q is not an option. Choose from: %s.", truncateRunes(x, 40), f.titles())
			}
			if !slices.Contains(vals, o.Value) {
				vals = append(vals, o.Value)
			}
		}
		slices.SortFunc(vals, func(a, b string) int { return f.optionIndex(a) - f.optionIndex(b) })
		return strings.Join(vals, ","), ""
	case TypeBool:
		switch strings.ToLower(v) {
		case "true", "yes", "1", "on":
			return "true", ""
		case "false", "no", "0", "off":
			return "false", ""
		}
		return v, "Answer yes or no."
	case TypeTimeZone:
		if z, ok := timeZone(v); ok {
			return z, ""
		}
		return v, "Choose a time zone from the list, such as Europe/London or America/New_York."
	}
	return v, "This field cannot be answered." // unreachable: ValidateQuestionnaire checks types
}

const dateLayout = "2006-01-02"

func (f Field) option(v string) (Option, bool) {
	for _, o := range f.Options {
		if strings.EqualFold(o.Value, v) || strings.EqualFold(o.Title, v) {
			return o, true
		}
	}
	return Option{}, false
}

func (f Field) optionIndex(v string) int {
	return slices.IndexFunc(f.Options, func(o Option) bool { return o.Value == v })
}

func (f Field) titles() string {
	ts := make([]string, len(f.Options))
	for i, o := range f.Options {
		ts[i] = o.Title
	}
	return strings.Join(ts, "; ")
}

// numberRe is a plain decimal, with optional thousands separators (comma or
// space, groups of three) and an optional fraction: "1500", "1,500",
// "1 500.5". "1,5" is refused rather than guessed.
var numberRe = regexp.MustCompile(`^\+?(?:\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.\d+)?$`)

func (f Field) checkNumber(v string) (string, string) {
	rng := fmt.Sprintf("between %s and %s", formatNumber(f.Min), formatNumber(f.Max))
	whole := f.Type == TypeInteger
	kind := "a number"
	if whole {
		kind = "a whole number"
	}
	if !numberRe.MatchString(v) {
		return v, fmt.Sprintf("Give %s %s, digits only (no units).", kind, rng)
	}
	n, err := strconv.ParseFloat(strings.NewReplacer(",", "", " ", "", "+", "").Replace(v), 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return v, fmt.Sprintf("Give %s %s.", kind, rng)
	}
	if whole && n != math.Trunc(n) {
		return v, fmt.Sprintf("Give a whole number %s.", rng)
	}
	if n < f.Min || n > f.Max {
		return v, fmt.Sprintf("Give %s %s.", kind, rng)
	}
	return strconv.FormatFloat(n, 'f', -1, 64), ""
}

// checkEmail accepts name@domain: a local part of the characters RFC 5322
// allows unquoted, without leading, trailing or double dots, up to 64
// characters, and a domain as checkHost takes it. The domain is lower-cased.
func checkEmail(v string) (string, string) {
	bad := "Give an email address such as name@contoso.com."
	i := strings.LastIndexByte(v, '@')
	if i <= 0 || i == len(v)-1 || len(v) > 254 {
		return v, bad
	}
	local, dom := v[:i], v[i+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return v, bad
	}
	for _, r := range local {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", r)) {
			return v, bad
		}
	}
	d, err := normDomain(dom)
	if err != nil {
		return v, bad
	}
	return local + "@" + d, ""
}

var (
	phoneExtRe = regexp.MustCompile(`(?i)\s*(?:ext\.?|extension|x|#)\s*(\d{1,6})$`)
	phoneRe    = regexp.MustCompile(`^\+[0-9 ().\-/]+$`)
)

// checkPhone accepts an international number: a leading + (or 00) and the
// country code, 7 to 15 digits (E.164), spaces, dots, hyphens, slashes and
// brackets between them, and an optional extension ("ext. 12", "x12").
func checkPhone(v string) (string, string) {
	bad := "Give the number with its country code, such as +44 20 7946 0958 (an extension may follow: ext. 12)."
	main, ext := v, ""
	if m := phoneExtRe.FindStringSubmatchIndex(v); m != nil {
		main, ext = v[:m[0]], v[m[2]:m[3]]
	}
	main = strings.TrimSpace(main)
	if strings.HasPrefix(main, "00") {
		main = "+" + main[2:]
	}
	if !phoneRe.MatchString(main) {
		return v, bad
	}
	digits := 0
	for _, r := range main {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 7 || digits > 15 {
		return v, bad
	}
	out := strings.Join(strings.Fields(main), " ")
	if ext != "" {
		out += " ext. " + ext
	}
	return out, ""
}

// checkHost accepts a DNS name as normDomain does, lower-cased, and says
// what to fix for the usual slips: a URL, an address, an IP address.
func checkHost(v string) (string, string) {
	if strings.Contains(v, "://") || strings.ContainsAny(v, "/@ ") {
		return v, "Give the name alone, such as contoso.com: no https://, no path, no user name."
	}
	if _, err := netip.ParseAddr(strings.Trim(v, "[]")); err == nil {
		return v, "Give a host name rather than an IP address (TLS certificates name hosts)."
	}
	h := v
	if i := strings.LastIndexByte(h, ':'); i > 0 && allDigits(h[i+1:]) {
		return v, "Give the name alone, without a port: the port has its own field."
	}
	d, err := normDomain(h)
	if err != nil {
		return v, "Give a domain or host name such as contoso.com or imap.contoso.com."
	}
	return d, ""
}

// dateRange is one entry of a dates list; a single day has From == To.
type dateRange struct{ From, To time.Time }

type dateList []dateRange

func (l dateList) String() string {
	s := make([]string, len(l))
	for i, r := range l {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

func (r dateRange) String() string {
	if r.From.Equal(r.To) {
		return r.From.Format(dateLayout)
	}
	return r.From.Format(dateLayout) + "/" + r.To.Format(dateLayout)
}

var (
	listSep  = regexp.MustCompile(`[,;\n]+`)
	rangeSep = []string{"..", " to ", "–", "—", "/", " - "}
)

// parseDates reads a dates list: days (YYYY-MM-DD) and ranges
// (YYYY-MM-DD/YYYY-MM-DD, or with "..", " to ", " - " or a dash between),
// separated by commas, semicolons or new lines. It returns them sorted,
// without duplicates.
func parseDates(v string) (dateList, string) {
	var out dateList
	for _, item := range listSep.Split(v, -1) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(out) >= MaxDates {
			return nil, fmt.Sprintf("At most %d dates or ranges, please: use ranges for long periods.", MaxDates)
		}
		from, to := item, item
		for _, sep := range rangeSep {
			if a, b, ok := strings.Cut(item, sep); ok {
				from, to = strings.TrimSpace(a), strings.TrimSpace(b)
				break
			}
		}
		f, err1 := time.Parse(dateLayout, from)
		t, err2 := time.Parse(dateLayout, to)
		if err1 != nil || err2 != nil {
			return nil, fmt.Sprintf("%q is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD/YYYY-MM-DD).", truncateRunes(item, 40))
		}
		if t.Before(f) {
			return nil, fmt.Sprintf("The range %s ends before it starts.", truncateRunes(item, 40))
		}
		if t.Sub(f) > 366*24*time.Hour {
			return nil, fmt.Sprintf("The range %s is longer than a year; is the year right?", truncateRunes(item, 40))
		}
		out = append(out, dateRange{f, t})
	}
	slices.SortFunc(out, func(a, b dateRange) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return a.To.Compare(b.To)
	})
	return slices.Compact(out), ""
}

// future checks a normalized date or dates list against now: nothing in the
// past, unless it was already in the last version (a migration under way
// keeps its start date), and nothing more than five years ahead. The past is
// judged with a day's grace, so that no time zone's today is refused.
func future(f Field, norm, prev string, now time.Time) string {
	today := now.UTC().Truncate(24 * time.Hour)
	earliest, latest := today.AddDate(0, 0, -1), today.AddDate(5, 0, 0)
	var ranges, before dateList
	if f.Type == TypeDate {
		d, _ := time.Parse(dateLayout, norm)
		ranges = dateList{{d, d}}
		if p, err := time.Parse(dateLayout, prev); err == nil {
			before = dateList{{p, p}}
		}
	} else {
		ranges, _ = parseDates(norm)
		before, _ = parseDates(prev)
	}
	for _, r := range ranges {
		if r.To.Before(earliest) && !slices.Contains(before, r) {
			if f.Type == TypeDate {
				return "This date is in the past."
			}
			return fmt.Sprintf("%s is in the past.", r)
		}
		if r.From.After(latest) {
			return fmt.Sprintf("%s is more than five years away; is the year right?", r.From.Format(dateLayout))
		}
	}
	return ""
}

// gmailHosts are Gmail's IMAP servers: an IMAP migration reaches them only
// with 2-Step Verification and an app password per mailbox (Microsoft's
// prepare-gmail-or-google-workspace-accounts; docs/questionnaire.md).
var gmailHosts = []string{"imap.gmail.com", "imap.googlemail.com"}

// microsoftIMAPHosts serve Outlook.com and Microsoft 365 mailboxes, which
// accept no Basic authentication over IMAP, while an IMAP migration endpoint
// signs in with Basic authentication: they cannot be IMAP sources.
var microsoftIMAPHosts = []string{"outlook.office365.com", "outlook.office.com", "imap-mail.outlook.com", "outlook.live.com"}

// checkIMAPAuth applies Microsoft's IMAP migration facts to the host and
// the credentials chosen.
func checkIMAPAuth(clean Answers, ok map[string]bool, fe FieldErrors) {
	host := clean["imap-host"]
	switch {
	case !ok["imap-host"]:
	case slices.Contains(microsoftIMAPHosts, host):
		fe["imap-host"] = fmt.Sprintf("%s serves Outlook.com or Microsoft 365 mailboxes, which take no Basic authentication over IMAP, and an IMAP migration signs in with Basic authentication: they are not migrated over IMAP. Ask the Migration Support Team for the right path.", host)
	case ok["imap-auth"] && slices.Contains(gmailHosts, host) && clean["imap-auth"] != "app-password":
		fe["imap-auth"] = "Gmail over IMAP needs 2-Step Verification and an app password for each mailbox: choose the app password. A Google Workspace organisation can use Microsoft's Google Workspace migration instead, which is not IMAP."
	case ok["imap-auth"] && clean["imap-auth"] == "app-password" && !slices.Contains(gmailHosts, host):
		fe["imap-auth"] = fmt.Sprintf("App passwords are Gmail's (imap.gmail.com); %s takes the user's or an administrator's user name and password.", host)
	}
}

// crossCheck applies the rules between fields to the answers valid so far.
func crossCheck(e *Engagement, clean Answers, ok map[string]bool, fe FieldErrors) {
	num := func(id string) float64 {
		n, _ := strconv.ParseFloat(clean[id], 64)
		return n
	}
	parts := map[string][]Field{}
	for _, f := range Fields(e) {
		if !ok[f.ID] {
			continue
		}
		if f.PartOf != "" {
			parts[f.PartOf] = append(parts[f.PartOf], f)
		}
		other := func(id string) (Field, bool) {
			o, _ := FieldByID(id)
			return o, ok[id]
		}
		if o, valid := other(f.After); f.After != "" && valid && clean[f.ID] <= clean[o.ID] {
			fe[f.ID] = fmt.Sprintf("Must be after “%s” (%s).", o.Label, clean[o.ID])
		}
		if o, valid := other(f.AtMost); f.AtMost != "" && valid && num(f.ID) > num(o.ID) {
			fe[f.ID] = fmt.Sprintf("Cannot be more than “%s” (%s).", o.Label, formatNumber(num(o.ID)))
		}
		if o, valid := other(f.AtLeast); f.AtLeast != "" && valid && num(f.ID) < num(o.ID) {
			fe[f.ID] = fmt.Sprintf("Cannot be less than “%s” (%s).", o.Label, formatNumber(num(o.ID)))
		}
	}
	for total, fs := range parts {
		if !ok[total] {
			continue
		}
		sum := 0.0
		var each []string
		for _, f := range fs {
			sum += num(f.ID)
			each = append(each, fmt.Sprintf("%s %s", f.Label, formatNumber(num(f.ID))))
		}
		if sum > num(total)*1.000001 {
			fe[total] = fmt.Sprintf("The sources add up to %s (%s), more than this total. Correct one or the other.",
				formatNumber(sum), strings.Join(each, "; "))
		}
	}
	checkIMAPAuth(clean, ok, fe)
}

// formatNumber writes n with thousands separators: 1000000 -> "1,000,000",
// 4.5 -> "4.5".
func formatNumber(n float64) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func sortedKeys(a Answers) []string {
	ks := make([]string, 0, len(a))
	for k := range a {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
