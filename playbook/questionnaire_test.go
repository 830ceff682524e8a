package playbook

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// validAnswers is a complete, valid questionnaire for e at t0.
func validAnswers(e *Engagement) Answers {
	all := Answers{
		"customer-org": "Contoso Ltd", "tenant-domain": "contoso.onmicrosoft.com",
		"tech-contact-name": "Ivan IT", "tech-contact-email": "ivan@contoso.com", "tech-contact-phone": "+44 20 7946 0958",
		"business-contact-name": "Bea Business", "business-contact-email": "bea@contoso.com",
		"comms-owner": "Cora Comms", "time-zone": "Europe/London",
		"window-start": "2025-04-01", "window-end": "2025-09-30", "blackout-dates": "2025-06-30",
		"users-in-scope": "250", "data-volume-gb": "5000", "pilot-size": "20", "batch-size": "50",
		"migration-path": "benefit", "network-access": "allowlist", "secure-credentials": "yes",
		"exchange-version": "2016", "exchange-hybrid": "full", "exchange-mailboxes": "240",
		"imap-host": "imap.contoso.com", "imap-port": "993", "imap-security": "tls", "imap-auth": "basic",
		"imap-mailboxes": "240", "imap-avg-mailbox-gb": "4.5", "imap-max-mailbox-gb": "48",
		"box-enterprise-id": "123456", "box-admin": "box.admin@contoso.com", "box-users": "200", "box-volume-gb": "1000", "box-notes": "no",
		"dropbox-team-type": "team-space", "dropbox-admin": "db.admin@contoso.com", "dropbox-members": "50", "dropbox-volume-gb": "500",
		"gdrive-domain": "contoso.com", "gdrive-admin": "ga@contoso.com", "gdrive-users": "100", "gdrive-shared-drives": "12", "gdrive-volume-gb": "800",
		"fileshare-paths": "30", "fileshare-volume-gb": "2000", "fileshare-largest-file-gb": "12", "fileshare-permissions": "unsure",
	}
	a := Answers{}
	for _, f := range Fields(e) {
		if v, ok := all[f.ID]; ok {
			a[f.ID] = v
		}
	}
	return a
}

// fakeFinder flags what the secrets package would, for the values these
// tests use; the real rule set is tested with the questionnaire in
// secrets/questionnaire_test.go.
func fakeFinder(v string) (string, bool) {
	if strings.Contains(strings.ToLower(v), "password=") {
		return "password-assignment", true
	}
	return "", false
}

func TestQuestionnaireDefinition(t *testing.T) {
	if err := ValidateQuestionnaire(questionnaireSections, questionnaireFields); err != nil {
		t.Fatal(err)
	}
	// Every source has its section, and every section has fields.
	for _, s := range Sources() {
		if !slices.ContainsFunc(qSections, func(x Section) bool { return slices.Contains(x.Sources, s) }) {
			t.Errorf("no section for %s", s)
		}
	}
	for _, s := range qSections {
		if !slices.ContainsFunc(qFields, func(f Field) bool { return f.Section == s.ID }) {
			t.Errorf("section %s has no field", s.ID)
		}
	}
	for _, f := range qFields {
		if f.Why == "" {
			t.Errorf("field %s: no Why; docs/questionnaire.md needs the reason", f.ID)
		}
		for _, w := range []string{"password", "secret", "token", "key"} {
			// Asking for a credential is what 3614 forbids. "Box enterprise
			// ID" and "admin account" are fine; a label asking for a key is
			// not.
			if strings.Contains(strings.ToLower(f.Label), w) {
				t.Errorf("field %s asks for a %s: %q", f.ID, w, f.Label)
			}
		}
	}
}

func TestValidateQuestionnaireFaults(t *testing.T) {
	sec := []Section{{ID: "a", Title: "A"}, {ID: "b", Title: "B", Sources: []Source{Box}}}
	ok := Field{ID: "x", Section: "a", Label: "X", Type: TypeText}
	cases := []struct {
		name string
		ss   []Section
		fs   []Field
		want string
	}{
		{"dup section", []Section{{ID: "a", Title: "A"}, {ID: "a", Title: "A"}}, nil, "duplicate"},
		{"bad id", sec, []Field{{ID: "X Y", Section: "a", Label: "X", Type: TypeText}}, "lower-case"},
		{"reserved id", sec, []Field{{ID: "engagement", Section: "a", Label: "X", Type: TypeText}}, "not one of"},
		{"dup field", sec, []Field{ok, ok}, "duplicate id"},
		{"unknown section", sec, []Field{{ID: "x", Section: "z", Label: "X", Type: TypeText}}, "unknown section"},
		{"order", sec, []Field{{ID: "x", Section: "b", Label: "X", Type: TypeText}, {ID: "y", Section: "a", Label: "Y", Type: TypeText}}, "section order"},
		{"no label", sec, []Field{{ID: "x", Section: "a", Type: TypeText}}, "no label"},
		{"type", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: "blob"}}, "unknown type"},
		{"range", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeInteger}}, "Min < Max"},
		{"range on text", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeText, Max: 3}}, "for numbers"},
		{"no options", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeChoice}}, "options"},
		{"dup option", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeChoice, Options: []Option{{"a", "A"}, {"A", "B"}}}}, "twice"},
		{"bad default", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeInteger, Min: 1, Max: 9, Default: "10"}}, "default"},
		{"source outside section", sec, []Field{{ID: "x", Section: "b", Label: "X", Type: TypeText, Sources: []Source{IMAP}}}, "outside"},
		{"maxlen", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeText, MaxLen: 5000}}, "MaxLen"},
		{"future on text", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeText, Future: true}}, "Future"},
		{"unknown ref", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeInteger, Min: 0, Max: 1, AtMost: "nope"}}, "unknown field"},
		{"ref type", sec, []Field{ok, {ID: "y", Section: "a", Label: "Y", Type: TypeInteger, Min: 0, Max: 1, AtMost: "x"}}, "type"},
		{"ref scope", sec, []Field{{ID: "x", Section: "a", Label: "X", Type: TypeInteger, Min: 0, Max: 1, AtMost: "y"}, {ID: "y", Section: "b", Label: "Y", Type: TypeInteger, Min: 0, Max: 1}}, "may not have"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateQuestionnaire(c.ss, c.fs)
			wantErr(t, err, EINVALID, c.want)
		})
	}
}

func TestSections(t *testing.T) {
	ids := func(ss []Section) string {
		var s []string
		for _, x := range ss {
			s = append(s, x.ID)
		}
		return strings.Join(s, ",")
	}
	cases := []struct {
		onPrem bool
		ss     []Source
		want   string
	}{
		{false, []Source{IMAP}, "organisation,schedule,approach,imap"},
		{true, []Source{IMAP}, "organisation,schedule,approach,exchange,imap"},
		{false, []Source{FileShare, Box}, "organisation,schedule,approach,box,fileshare"},
		{true, Sources(), "organisation,schedule,approach,exchange,imap,box,dropbox,gdrive,fileshare"},
	}
	for _, c := range cases {
		e := mustEngagement(t, c.onPrem, c.ss...)
		if got := ids(Sections(e)); got != c.want {
			t.Errorf("Sections(%v, onPrem %t) = %s, want %s", c.ss, c.onPrem, got, c.want)
		}
		for _, f := range Fields(e) {
			if !slices.ContainsFunc(Sections(e), func(s Section) bool { return s.ID == f.Section }) {
				t.Errorf("field %s of a section not shown", f.ID)
			}
		}
	}
	e := mustEngagement(t, false, Box)
	if got := len(SectionFields(e, "imap")); got != 0 {
		t.Errorf("IMAP fields in a Box engagement: %d", got)
	}
	if s, ok := AdjacentSection(e, "approach", 1); !ok || s.ID != "box" {
		t.Errorf("next after approach = %v, %t", s.ID, ok)
	}
	if _, ok := AdjacentSection(e, "organisation", -1); ok {
		t.Error("a section before the first")
	}
	if _, ok := AdjacentSection(e, "imap", 1); ok {
		t.Error("a section after one not in the engagement")
	}
}

// TestFieldCheck covers each type's rule, alone.
func TestFieldCheck(t *testing.T) {
	f := func(typ FieldType) Field { return Field{ID: "f", Type: typ} }
	num := Field{ID: "n", Type: TypeNumber, Min: 0, Max: 1000}
	integer := Field{ID: "i", Type: TypeInteger, Min: 1, Max: 1_000_000}
	choice := Field{ID: "c", Type: TypeChoice, Options: []Option{{"tls", "TLS (SSL)"}, {"none", "None"}}}
	multi := Field{ID: "m", Type: TypeMultiChoice, Options: []Option{{"a", "Alpha"}, {"b", "Beta"}, {"c", "Gamma"}}}
	cases := []struct {
		field    Field
		in, want string // want is the normalized value, or "!" + a fragment of the message
	}{
		{f(TypeText), "Contoso", "Contoso"},
		{f(TypeEmail), "Ivan.IT+mig@Contoso.COM", "Ivan.IT+mig@contoso.com"},
		{f(TypeEmail), "ivan@contoso", "!email address"},
		{f(TypeEmail), "ivan", "!email address"},
		{f(TypeEmail), "@contoso.com", "!email address"},
		{f(TypeEmail), "ivan..it@contoso.com", "!email address"},
		{f(TypeEmail), "ivan it@contoso.com", "!email address"},
		{f(TypeEmail), "ivan@contoso.com.", "ivan@contoso.com"},
		{f(TypePhone), "+44 20 7946 0958", "+44 20 7946 0958"},
		{f(TypePhone), "0044 20  7946 0958 ext. 12", "+44 20 7946 0958 ext. 12"},
		{f(TypePhone), "+1 (425) 555-0100 x7", "+1 (425) 555-0100 ext. 7"},
		{f(TypePhone), "020 7946 0958", "!country code"},
		{f(TypePhone), "+44 12", "!country code"},
		{f(TypePhone), "+44 20 7946 0958 0958 0958", "!country code"},
		{f(TypePhone), "+44 call me", "!country code"},
		{f(TypeDomain), "IMAP.Contoso.com", "imap.contoso.com"},
		{f(TypeDomain), "https://imap.contoso.com/", "!no https://"},
		{f(TypeDomain), "imap.contoso.com:993", "!without a port"},
		{f(TypeDomain), "10.0.0.5", "!IP address"},
		{f(TypeDomain), "localhost", "!domain or host name"},
		{f(TypeDomain), "bad_name.com", "!domain or host name"},
		{num, "4.5", "4.5"},
		{num, "1,000", "1000"},
		{num, "0", "0"},
		{num, "1000.5", "!between 0 and 1,000"},
		{num, "-1", "!digits only"},
		{num, "1,5", "!digits only"},
		{num, "5 GB", "!digits only"},
		{num, "1e3", "!digits only"},
		{num, "NaN", "!digits only"},
		{integer, "250", "250"},
		{integer, "250.0", "250"},
		{integer, "1 000 000", "1000000"},
		{integer, "2.5", "!whole number"},
		{integer, "0", "!between 1 and 1,000,000"},
		{integer, "1000001", "!between 1 and 1,000,000"},
		{integer, strings.Repeat("9", 400), "!between 1 and 1,000,000"},
		{f(TypeDate), "2027-01-15", "2027-01-15"},
		{f(TypeDate), "15/01/2027", "!YYYY-MM-DD"},
		{f(TypeDate), "2027-02-30", "!YYYY-MM-DD"},
		{f(TypeDates), "2027-03-31; 2027-01-01,2027-06-28/2027-07-02\n2027-01-01", "2027-01-01, 2027-03-31, 2027-06-28/2027-07-02"},
		{f(TypeDates), "2027-12-24 to 2027-12-26, 2027-08-01..2027-08-03", "2027-08-01/2027-08-03, 2027-12-24/2027-12-26"},
		{f(TypeDates), "2027-07-02/2027-06-28", "!ends before it starts"},
		{f(TypeDates), "2027-01-01/2028-06-01", "!longer than a year"},
		{f(TypeDates), "Easter", "!not a date"},
		{f(TypeDates), strings.Repeat("2027-01-01,", MaxDates+1), "!At most"},
		{choice, "tls", "tls"},
		{choice, "TLS (ssl)", "tls"},
		{choice, "ssl3", "!Choose one of: TLS (SSL); None"},
		{multi, "c, a,a", "a,c"},
		{multi, "a,z", `!"z" is not an option`},
		{f(TypeBool), "Yes", "true"},
		{f(TypeBool), "false", "false"},
		{f(TypeBool), "maybe", "!yes or no"},
		{f(TypeTimeZone), "europe/london", "Europe/London"},
		{f(TypeTimeZone), "GMT+1", "!time zone"},
	}
	for _, c := range cases {
		got, msg := c.field.check(c.in)
		if strings.HasPrefix(c.want, "!") {
			if msg == "" || !strings.Contains(msg, c.want[1:]) {
				t.Errorf("%s check(%q) = %q, %q; want a message with %q", c.field.Type, c.in, got, msg, c.want[1:])
			}
			continue
		}
		if msg != "" || got != c.want {
			t.Errorf("%s check(%q) = %q, %q; want %q", c.field.Type, c.in, got, msg, c.want)
		}
	}
}

func TestValidateAnswersValid(t *testing.T) {
	e := mustEngagement(t, true, Sources()...)
	in := validAnswers(e)
	in["tenant-domain"] = " Contoso.OnMicrosoft.com "
	in["users-in-scope"] = "1,000"
	in["blackout-dates"] = "2025-07-04, 2025-06-30"
	clean, fe := ValidateAnswers(e, in, t0, fakeFinder)
	if fe != nil {
		t.Fatalf("errors: %v", fe)
	}
	for k, want := range map[string]string{"tenant-domain": "contoso.onmicrosoft.com", "users-in-scope": "1000", "blackout-dates": "2025-06-30, 2025-07-04"} {
		if clean[k] != want {
			t.Errorf("clean[%s] = %q, want %q", k, clean[k], want)
		}
	}
	if len(clean) != len(in) {
		t.Errorf("clean has %d answers, in %d", len(clean), len(in))
	}
	if in["users-in-scope"] != "1,000" {
		t.Error("ValidateAnswers changed its input")
	}
}

// TestValidateAnswersRules is one case per rule: a change to a valid
// questionnaire, and the message it must bring on which field.
func TestValidateAnswersRules(t *testing.T) {
	long := strings.Repeat("x", MaxValueLen+50)
	cases := []struct {
		name   string
		change Answers // "" deletes
		field  string
		want   string
	}{
		{"required", Answers{"tech-contact-email": ""}, "tech-contact-email", "required"},
		{"required blank", Answers{"customer-org": "   "}, "customer-org", "required"},
		{"optional may be empty", Answers{"blackout-dates": ""}, "", ""},
		{"email", Answers{"business-contact-email": "bea at contoso"}, "business-contact-email", "email address"},
		{"phone", Answers{"tech-contact-phone": "7946 0958"}, "tech-contact-phone", "country code"},
		{"domain", Answers{"tenant-domain": "contoso"}, "tenant-domain", "domain or host name"},
		{"integer", Answers{"users-in-scope": "lots"}, "users-in-scope", "whole number between 1 and 1,000,000"},
		{"range", Answers{"imap-port": "70000"}, "imap-port", "between 1 and 65,535"},
		{"number", Answers{"data-volume-gb": "5 TB"}, "data-volume-gb", "digits only"},
		{"choice", Answers{"migration-path": "maybe"}, "migration-path", "Choose one of"},
		{"time zone", Answers{"time-zone": "CET"}, "time-zone", "time zone"},
		{"text too long", Answers{"customer-org": strings.Repeat("C", 201)}, "customer-org", "At most 200 characters"},
		{"value over cap", Answers{"customer-org": long}, "customer-org", "was cut"},
		{"long text over cap", Answers{"notes": strings.Repeat("n", MaxLongValueLen+1)}, "notes", "At most 4,000"},
		{"line break", Answers{"customer-org": "Contoso\nLtd"}, "customer-org", "single line"},
		{"long text line breaks ok", Answers{"notes": "line one\r\nline two\n\ttabbed"}, "", ""},
		{"control character", Answers{"notes": "bell\x07"}, "notes", "control characters"},
		{"invalid utf-8", Answers{"notes": "\xff\xfe"}, "notes", "not valid text"},
		{"window end before start", Answers{"window-end": "2025-03-31"}, "window-end", "Must be after “Preferred migration window: start” (2025-04-01)"},
		{"window end equals start", Answers{"window-end": "2025-04-01"}, "window-end", "Must be after"},
		{"start in the past", Answers{"window-start": "2025-01-02"}, "window-start", "in the past"},
		{"yesterday is fine (time zones)", Answers{"window-start": "2025-03-02"}, "", ""},
		{"too far", Answers{"window-end": "2031-01-01"}, "window-end", "more than five years"},
		{"blackout in the past", Answers{"blackout-dates": "2025-02-01, 2025-06-30"}, "blackout-dates", "2025-02-01 is in the past"},
		{"pilot above users", Answers{"pilot-size": "300"}, "pilot-size", "Cannot be more than “Number of users in scope” (250)"},
		{"batch above users", Answers{"batch-size": "251"}, "batch-size", "Cannot be more than"},
		{"box users above users", Answers{"box-users": "251"}, "box-users", "Cannot be more than"},
		{"largest mailbox below average", Answers{"imap-max-mailbox-gb": "2"}, "imap-max-mailbox-gb", "Cannot be less than “Average mailbox size (GB)” (4.5)"},
		{"largest file above share volume", Answers{"fileshare-largest-file-gb": "2001"}, "fileshare-largest-file-gb", "Cannot be more than"},
		{"sources above total", Answers{"data-volume-gb": "4000"}, "data-volume-gb", "The sources add up to 4,300"},
		{"gmail needs an app password", Answers{"imap-host": "imap.gmail.com"}, "imap-auth", "2-Step Verification and an app password"},
		{"gmail with an app password", Answers{"imap-host": "imap.gmail.com", "imap-auth": "app-password"}, "", ""},
		{"gmail with admin credentials", Answers{"imap-host": "imap.googlemail.com", "imap-auth": "admin"}, "imap-auth", "Google Workspace migration instead, which is not IMAP"},
		{"app password elsewhere", Answers{"imap-auth": "app-password"}, "imap-auth", "App passwords are Gmail's"},
		{"oauth is no IMAP migration option", Answers{"imap-auth": "oauth"}, "imap-auth", "Administrator (super-user) credentials"},
		{"microsoft 365 over IMAP", Answers{"imap-host": "outlook.office365.com"}, "imap-host", "not migrated over IMAP"},
		{"outlook.com over IMAP", Answers{"imap-host": "imap-mail.outlook.com", "imap-auth": "basic"}, "imap-host", "signs in with Basic authentication"},
		{"endpoint security values", Answers{"imap-security": "starttls"}, "imap-security", "Choose one of: SSL; TLS; None"},
		{"unknown field", Answers{"favourite-colour": "blue"}, FormError, `not part of this engagement's questionnaire, so they were not kept: "favourite-colour"`},
		{"unnamed field", Answers{"<script>": "x"}, FormError, "1 more"},
		{"secret in a value", Answers{"connectivity-notes": "VPN; password=Hunter2!"}, "connectivity-notes", "looks like a credential (password-assignment)"},
		{"secret in a key", Answers{"password=Hunter2!": "x"}, FormError, "1 more"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mustEngagement(t, true, Sources()...)
			in := validAnswers(e)
			for k, v := range c.change {
				in[k] = v
			}
			clean, fe := ValidateAnswers(e, in, t0, fakeFinder)
			if c.field == "" && c.want == "" {
				if fe != nil {
					t.Fatalf("errors: %v", fe)
				}
				return
			}
			if !strings.Contains(fe[c.field], c.want) {
				t.Fatalf("errors[%q] = %q, want %q (all: %v)", c.field, fe[c.field], c.want, fe)
			}
			if len(fe) != 1 {
				t.Errorf("more errors than the one: %v", fe)
			}
			for k, v := range clean {
				if strings.Contains(v, "Hunter2") || strings.Contains(k, "Hunter2") {
					t.Errorf("clean kept the credential in %s", k)
				}
				if _, known := FieldByID(k); !known {
					t.Errorf("clean kept unknown field %q", k)
				}
				if len([]rune(v)) > MaxLongValueLen {
					t.Errorf("clean[%s] is %d characters", k, len(v))
				}
			}
			// The wrong value comes back as typed, for the card (unless it
			// is a credential, or over the cap).
			if v, ok := c.change[c.field]; ok && c.field != FormError && len(v) < MaxValueLen &&
				!strings.Contains(c.want, "credential") && !strings.Contains(c.want, "not valid") {
				if strings.TrimSpace(v) != clean[c.field] && !strings.Contains(c.want, "required") {
					t.Errorf("clean[%s] = %q, want it as typed %q", c.field, clean[c.field], v)
				}
			}
		})
	}
}

func TestValidateAnswersOtherSources(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	in := validAnswers(e)
	in["box-users"] = "10"
	in["exchange-hybrid"] = "full"
	_, fe := ValidateAnswers(e, in, t0, nil)
	want := `"box-users" (only with Box), "exchange-hybrid" (only with on-premises Exchange)`
	if !strings.Contains(fe[FormError], want) {
		t.Errorf("form error = %q, want %q", fe[FormError], want)
	}
	// Without Box, the Box volume does not count towards the total, and
	// without Google Workspace nobody asks for its domain.
	delete(in, "box-users")
	delete(in, "exchange-hybrid")
	if _, fe := ValidateAnswers(e, in, t0, nil); fe != nil {
		t.Errorf("IMAP-only questionnaire: %v", fe)
	}
}

func TestValidateAnswersTooLarge(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	in := validAnswers(e)
	for i := range 40 {
		in[strings.Repeat("k", 10)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 1000)
	}
	clean, fe := ValidateAnswers(e, in, t0, nil)
	if !strings.Contains(fe[FormError], "at most 32 KiB") || !strings.Contains(fe[FormError], "35 more") {
		t.Errorf("form error = %q", fe[FormError])
	}
	if clean.Size() > MaxSubmitBytes {
		t.Errorf("clean is %d bytes", clean.Size())
	}
}

func TestPastDateKeptFromLastVersion(t *testing.T) {
	e := mustEngagement(t, false, Box)
	mustDoneThrough(t, e, "workshop-box")
	v1, fe, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, nil)
	if err != nil {
		t.Fatal(err, fe)
	}
	// Months later the window has started; a new version keeps its start
	// and its past blackout day, and may not add a new past date.
	later := t0.AddDate(0, 5, 0)
	in := v1.Answers.Clone()
	in["users-in-scope"] = "260"
	if _, fe, err := SubmitQuestionnaire(e, idCustomer, in, later, nil); err != nil {
		t.Fatalf("resubmission with the same past dates: %v %v", err, fe)
	}
	in["window-start"] = "2025-04-02"
	in["blackout-dates"] = "2025-06-30, 2025-07-01"
	_, fe, err = SubmitQuestionnaire(e, idCustomer, in, later, nil)
	wantErr(t, err, EINVALID, "2 answers need attention")
	if !strings.Contains(fe["window-start"], "in the past") || !strings.Contains(fe["blackout-dates"], "2025-07-01 is in the past") {
		t.Errorf("errors = %v", fe)
	}
}

func TestSubmitQuestionnaire(t *testing.T) {
	e := mustEngagement(t, false, IMAP, Box)
	in := validAnswers(e)

	// Before the workshops, the version is kept but 1034 waits.
	v1, fe, err := SubmitQuestionnaire(e, idCustomer, in, t0, fakeFinder)
	if err != nil || fe != nil {
		t.Fatalf("submit: %v %v", err, fe)
	}
	if v1.N != 1 || v1.By != idCustomer || !v1.At.Equal(t0) || !maps.Equal(v1.Answers, in) {
		t.Errorf("v1 = %+v", v1)
	}
	if st := e.State("questionnaire").Status; st != StatusOpen {
		t.Errorf("1034 is %s before the workshops", st)
	}
	last := e.History[len(e.History)-1]
	if last.Action != ActionSubmitQuestionnaire || last.Task != "questionnaire" || last.Detail != "v1, "+itoa(len(in))+" answers" {
		t.Errorf("history = %+v", last)
	}

	// The same answers again: no empty version.
	_, _, err = SubmitQuestionnaire(e, idCustomer, in, t0, fakeFinder)
	wantErr(t, err, ECONFLICT, "Nothing changed since v1")

	// Once the workshops are held, v1 completes 1034: the bot records it,
	// the evidence was already there.
	mustDoneThrough(t, e, "workshop-box") // and workshop-imap, before it
	if st := e.State("questionnaire"); st.Status != StatusDone || st.By != BotActor {
		t.Errorf("1034 once the workshops are done = %+v", st)
	}
	// The MST submits v2 on the customer's behalf: a new version, 1034
	// stays done.
	in2 := in.With(Answers{"pilot-size": "25", "box-notes": "yes"})
	n := len(e.History)
	v2, _, err := SubmitQuestionnaire(e, idMST, in2, t0.AddDate(0, 0, 1), fakeFinder)
	if err != nil {
		t.Fatal(err)
	}
	if v2.N != 2 || len(e.Questionnaire) != 2 {
		t.Errorf("v2 = %+v, versions %d", v2, len(e.Questionnaire))
	}
	if got := e.History[n:]; len(got) != 1 || got[0].Detail != "v2, 2 changes from v1" {
		t.Errorf("history = %+v", got)
	}
	// v1 is untouched.
	if e.Questionnaire[0].Answers["pilot-size"] != "20" {
		t.Error("v1 changed")
	}
	// The returned version is a copy.
	v2.Answers["pilot-size"] = "999"
	if e.Questionnaire[1].Answers["pilot-size"] != "25" {
		t.Error("the returned version shares the stored one")
	}
	// v3 leaves 1034 done.
	if _, _, err := SubmitQuestionnaire(e, idCustomer, in2.With(Answers{"notes": "VIPs last"}), t0.AddDate(0, 0, 2), nil); err != nil {
		t.Fatal(err)
	}
	if e.State("questionnaire").Status != StatusDone || len(e.Questionnaire) != 3 {
		t.Error("v3")
	}
}

func TestSubmitQuestionnaireRefusals(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	in := validAnswers(e)

	// Invalid: nothing changes.
	before := e.Clone()
	bad := in.With(Answers{"pilot-size": "1000", "tech-contact-email": "nope"})
	_, fe, err := SubmitQuestionnaire(e, idCustomer, bad, t0, nil)
	wantErr(t, err, EINVALID, "2 answers need attention; nothing was submitted.")
	if len(fe) != 2 {
		t.Errorf("errors = %v", fe)
	}
	if mustJSON(t, e) != mustJSON(t, before) {
		t.Error("a refused submission changed the engagement")
	}
	_, fe, err = SubmitQuestionnaire(e, idCustomer, in.With(Answers{"x": "y"}), t0, nil)
	wantErr(t, err, EINVALID, "The submission was refused")
	if len(fe) != 1 {
		t.Errorf("errors = %v", fe)
	}

	// Who may: the customer, the MST, the lead or the MVM; not a stranger.
	_, _, err = SubmitQuestionnaire(e, idStranger, in, t0, nil)
	wantErr(t, err, EFORBIDDEN, "not a member")
	other := mustEngagement(t, false, IMAP)
	mustOK(t, AssignRole(other, idFRP, Member{ID: "29:fred-frp2", Name: "Fred"}, FRP, t0))
	_, _, err = SubmitQuestionnaire(other, "29:fred-frp2", in, t0, nil)
	wantErr(t, err, EFORBIDDEN, "Only the Customer")
	if _, err := SaveDraft(other, "29:fred-frp2", in, t0, nil); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("draft by a second FRP: %v", err)
	}

	// Closed.
	mustOK(t, Close(e, idMVM, "cancelled", t0))
	_, _, err = SubmitQuestionnaire(e, idCustomer, in, t0, nil)
	wantErr(t, err, ECONFLICT, "closed")
	_, err = SaveDraft(e, idCustomer, in, t0, nil)
	wantErr(t, err, ECONFLICT, "closed")
}

func TestDrafts(t *testing.T) {
	e := mustEngagement(t, false, GoogleDrive)
	// A new questionnaire starts from what the engagement knows.
	w := WorkingAnswers(e)
	if w["customer-org"] != "Contoso" || w["tenant-domain"] != "contoso.onmicrosoft.com" || len(w) != 2 {
		t.Errorf("start = %v", w)
	}
	if w := WorkingAnswers(mustEngagement(t, false, IMAP)); w["imap-port"] != "993" || w["imap-security"] != "ssl" {
		t.Errorf("IMAP defaults = %v", w)
	}

	// A draft keeps invalid values, drops credentials and unknown fields,
	// and adds no history.
	n := len(e.History)
	page := Answers{"users-in-scope": "lots", "pilot-size": "9999999", "connectivity-notes": "password=Hunter2!", "box-users": "3"}
	fe, err := SaveDraft(e, idCustomer, WorkingAnswers(e).With(page), t0, fakeFinder)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fe["connectivity-notes"], "credential") || !strings.Contains(fe[FormError], `"box-users" (only with Box)`) || len(fe) != 2 {
		t.Errorf("draft errors = %v", fe)
	}
	d := e.QuestionnaireDraft
	if d == nil || d.By != idCustomer || d.Answers["users-in-scope"] != "lots" || d.Answers["pilot-size"] != "9999999" || d.Answers["customer-org"] != "Contoso" {
		t.Fatalf("draft = %+v", d)
	}
	if _, ok := d.Answers["connectivity-notes"]; ok {
		t.Error("the draft kept a credential")
	}
	if len(e.History) != n {
		t.Error("a draft added history")
	}
	// Clearing a field removes it.
	if _, err := SaveDraft(e, idMST, WorkingAnswers(e).With(Answers{"pilot-size": ""}), t0, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := WorkingAnswers(e)["pilot-size"]; ok || e.QuestionnaireDraft.By != idMST {
		t.Error("cleared field kept")
	}
	// Too large: refused, the old draft stays.
	huge := Answers{"notes": strings.Repeat("n", MaxSubmitBytes+1)}
	_, err = SaveDraft(e, idCustomer, huge, t0, nil)
	wantErr(t, err, EINVALID, "at most 32 KiB")
	if e.QuestionnaireDraft.By != idMST {
		t.Error("a refused draft replaced the draft")
	}

	// Submitting clears the draft; the card then starts from the version.
	mustDoneThrough(t, e, "workshop-gdrive")
	v, _, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e.QuestionnaireDraft != nil || !maps.Equal(WorkingAnswers(e), v.Answers) {
		t.Error("after submit")
	}
	wantErr(t, DiscardDraft(e, idCustomer), ENOTFOUND)
	if _, err := SaveDraft(e, idCustomer, v.Answers.With(Answers{"notes": "x"}), t0, nil); err != nil {
		t.Fatal(err)
	}
	mustOK(t, DiscardDraft(e, idCustomer))
	if !maps.Equal(WorkingAnswers(e), v.Answers) {
		t.Error("after discard")
	}
}

func TestCloneQuestionnaire(t *testing.T) {
	e := mustEngagement(t, false, Box)
	mustDoneThrough(t, e, "workshop-box")
	if _, _, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := SaveDraft(e, idCustomer, Answers{"notes": "draft"}, t0, nil); err != nil {
		t.Fatal(err)
	}
	c := e.Clone()
	// Versions are shared (never changed in place); the draft is copied.
	c.QuestionnaireDraft.Answers["notes"] = "changed"
	if _, _, err := SubmitQuestionnaire(c, idCustomer, validAnswers(c).With(Answers{"pilot-size": "21"}), t0, nil); err != nil {
		t.Fatal(err)
	}
	if e.Questionnaire[0].Answers["notes"] != "" || e.QuestionnaireDraft.Answers["notes"] != "draft" || len(e.Questionnaire) != 1 {
		t.Error("the clone shares questionnaire data")
	}
	// JSON round trip.
	var back Engagement
	if err := json.Unmarshal([]byte(mustJSON(t, e)), &back); err != nil {
		t.Fatal(err)
	}
	if mustJSON(t, &back) != mustJSON(t, e) {
		t.Error("JSON round trip differs")
	}
	// An engagement without a questionnaire has no questionnaire keys.
	if s := mustJSON(t, mustEngagement(t, false, Box)); strings.Contains(s, "questionnaire\"") || strings.Contains(s, "questionnaireDraft") {
		t.Errorf("empty questionnaire serialized: %s", s)
	}
}

func TestDiff(t *testing.T) {
	a := Answers{"pilot-size": "20", "customer-org": "Contoso", "notes": "x", "retired-field": "1"}
	b := Answers{"pilot-size": "25", "customer-org": "Contoso", "box-notes": "yes", "zzz": "2"}
	got := Diff(a, b)
	want := []FieldChange{
		{"pilot-size", "Pilot size (users)", "schedule", "20", "25"},
		{"notes", "Anything else the migration team should know", "approach", "x", ""},
		{"box-notes", "Box Notes in use", "box", "", "yes"},
		{"retired-field", "retired-field", "", "1", ""},
		{"zzz", "zzz", "", "", "2"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Diff =\n%+v\nwant\n%+v", got, want)
	}
	if Diff(a, a) != nil {
		t.Error("Diff of equal answers")
	}
}

func TestExport(t *testing.T) {
	e := mustEngagement(t, false, FileShare)
	v := QuestionnaireVersion{N: 2, By: idCustomer, At: t0, Answers: Answers{
		"customer-org":          "=HYPERLINK(\"http://evil\")",
		"fileshare-permissions": "unsure",
		"notes":                 "-1+1, \"quoted\"\nsecond line",
		"comms-owner":           "@Cora",
		"users-in-scope":        "250",
	}}
	j, err := ExportJSON(e, v)
	if err != nil {
		t.Fatal(err)
	}
	var x QuestionnaireExport
	if err := json.Unmarshal(j, &x); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, a := range x.Answers {
		order = append(order, a.Field)
	}
	if strings.Join(order, ",") != "customer-org,comms-owner,users-in-scope,notes,fileshare-permissions" {
		t.Errorf("order = %v", order)
	}
	if x.Version != 2 || x.SubmittedByName != "Carol" || x.Answers[4].Display != "Not sure yet" || x.Answers[4].Section != "fileshare" {
		t.Errorf("export = %+v", x)
	}
	j2, _ := ExportJSON(e, v)
	if string(j) != string(j2) {
		t.Error("JSON export is not stable")
	}

	c, err := ExportCSV(e, v)
	if err != nil {
		t.Fatal(err)
	}
	want := `"version","submitted_at","submitted_by","section","field","label","value","display"` + "\r\n" +
		`"2","2025-03-03T09:00:00Z","Carol (29:carol-customer)","organisation","customer-org","Customer organisation","'=HYPERLINK(""http://evil"")","'=HYPERLINK(""http://evil"")"` + "\r\n" +
		`"2","2025-03-03T09:00:00Z","Carol (29:carol-customer)","organisation","comms-owner","Communication plan owner","'@Cora","'@Cora"` + "\r\n" +
		`"2","2025-03-03T09:00:00Z","Carol (29:carol-customer)","schedule","users-in-scope","Number of users in scope","250","250"` + "\r\n" +
		`"2","2025-03-03T09:00:00Z","Carol (29:carol-customer)","approach","notes","Anything else the migration team should know","'-1+1, ""quoted""` + "\r\n" + `second line","'-1+1, ""quoted""` + "\r\n" + `second line"` + "\r\n" +
		`"2","2025-03-03T09:00:00Z","Carol (29:carol-customer)","fileshare","fileshare-permissions","Map NTFS permissions to Microsoft 365","unsure","Not sure yet"` + "\r\n"
	if string(c) != want {
		t.Errorf("CSV =\n%s\nwant\n%s", c, want)
	}
	for _, s := range []string{"=1", "+1", "-1", "@x", "\tx", "\rx"} {
		if csvSafe(s)[0] != '\'' {
			t.Errorf("csvSafe(%q) = %q", s, csvSafe(s))
		}
	}
	if csvSafe("Contoso") != "Contoso" || csvSafe("") != "" {
		t.Error("csvSafe changed a safe value")
	}
}

func TestQuestionnaireVersionN(t *testing.T) {
	e := mustEngagement(t, false, Box)
	_, err := QuestionnaireVersionN(e, 1)
	wantErr(t, err, ENOTFOUND, "not been submitted")
	if _, ok := LatestQuestionnaire(e); ok {
		t.Error("latest of none")
	}
	if _, _, err := SubmitQuestionnaire(e, idCustomer, validAnswers(e), t0, nil); err != nil {
		t.Fatal(err)
	}
	if v, err := QuestionnaireVersionN(e, 1); err != nil || v.N != 1 {
		t.Errorf("v1 = %+v, %v", v, err)
	}
	_, err = QuestionnaireVersionN(e, 2)
	wantErr(t, err, ENOTFOUND, "v1 to v1")
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 65535: "65,535", 1234567.25: "1,234,567.25", -1500: "-1,500", 999999999999: "999,999,999,999"} {
		if got := formatNumber(in); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", in, got, want)
		}
	}
}

func itoa(n int) string { return formatNumber(float64(n)) }

func FuzzValidateAnswers(f *testing.F) {
	f.Add("pilot-size", "20", "window-end", "2025-09-30")
	f.Add("blackout-dates", "2025-06-30/2025-07-01", "tech-contact-phone", "+44 20 7946 0958")
	f.Add("x", "\xff", "notes", strings.Repeat("n", 5000))
	e := mustEngagement(f, true, Sources()...)
	base := validAnswers(e)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		in := base.Clone()
		in[k1], in[k2] = v1, v2
		clean, fe := ValidateAnswers(e, in, t0, fakeFinder)
		if clean.Size() > MaxSubmitBytes+MaxLongValueLen*4 {
			t.Fatalf("clean is %d bytes", clean.Size())
		}
		if fe == nil {
			// Valid answers validate again to themselves.
			again, fe2 := ValidateAnswers(e, clean, t0, fakeFinder)
			if fe2 != nil || !maps.Equal(again, clean) {
				t.Fatalf("not idempotent: %v %v", fe2, again)
			}
		}
	})
}
