package playbook

import (
	"fmt"
	"slices"
	"strings"
)

// The migration questionnaire (task 1034) as data: sections, then fields.
// Cards, validation, the view, the diff and the export are all built from
// this one definition. docs/questionnaire.md gives every field with the
// reason a practitioner asks for it; TestQuestionnaireDocs keeps the two in
// step. Field ids are stored in submitted versions and sent in cards: never
// rename one.

// FieldType is the kind of answer a field takes; it decides the card input
// and the validation.
type FieldType string

// Field types.
const (
	TypeText        FieldType = "text"        // one line
	TypeLongText    FieldType = "longtext"    // several lines
	TypeEmail       FieldType = "email"       // name@domain
	TypePhone       FieldType = "phone"       // with country code: +44 20 7946 0958
	TypeDomain      FieldType = "domain"      // a DNS name: contoso.com, imap.gmail.com
	TypeNumber      FieldType = "number"      // a decimal in [Min, Max]
	TypeInteger     FieldType = "integer"     // a whole number in [Min, Max]
	TypeDate        FieldType = "date"        // YYYY-MM-DD
	TypeDates       FieldType = "dates-list"  // dates and ranges: 2027-03-01, 2027-03-10/2027-03-12
	TypeChoice      FieldType = "choice"      // one of Options
	TypeMultiChoice FieldType = "multichoice" // some of Options, comma-separated
	TypeBool        FieldType = "bool"        // "true" or "false"
	TypeTimeZone    FieldType = "timezone"    // an IANA zone from TimeZones
)

var fieldTypes = []FieldType{TypeText, TypeLongText, TypeEmail, TypePhone, TypeDomain, TypeNumber, TypeInteger,
	TypeDate, TypeDates, TypeChoice, TypeMultiChoice, TypeBool, TypeTimeZone}

// Limits on what a submission may hold. A value longer than its cap is cut
// to the cap before it is shown again, and refused.
const (
	MaxValueLen     = 1000     // characters of any one answer but a long text
	MaxLongValueLen = 4000     // characters of a long text
	MaxSubmitBytes  = 32 << 10 // bytes of a whole submission, ids and values
	MaxDates        = 60       // entries of a dates list
)

// Option is one choice of a choice or multichoice field: Value is stored,
// Title is shown.
type Option struct {
	Value string
	Title string
}

// Section is one page of the questionnaire card. The common sections come
// first, then one per source of the engagement.
type Section struct {
	ID    string
	Title string
	Intro string // one or two sentences at the top of the page
	// Sources and Condition limit the section as they limit a Task: empty
	// Sources means every engagement.
	Sources   []Source
	Condition Condition
}

// Field is one question.
type Field struct {
	// ID is the stored key and the card input id: lower-case letters,
	// digits and hyphens. Never renamed.
	ID      string
	Section string
	Label   string
	// Help is a sentence under the field: what to give, where to find it.
	Help string
	// Placeholder is an example shown in an empty field.
	Placeholder string
	// Why is the reason a migration practitioner asks for it
	// (docs/questionnaire.md).
	Why      string
	Type     FieldType
	Required bool
	// Min and Max bound a number or integer, inclusive.
	Min, Max float64
	// MaxLen caps a text-like answer, in characters; 0 means the type's
	// default (see maxLen).
	MaxLen  int
	Options []Option
	// Default is the value a new questionnaire starts with ("993").
	Default string
	// Sources and Condition limit the field within its section; a field
	// inherits its section's when it sets none.
	Sources   []Source
	Condition Condition

	// Cross-field rules, checked when both answers are valid. They name
	// another field of the questionnaire.
	After   string // a date strictly after that field's date
	AtMost  string // a number not above that field's number
	AtLeast string // a number not below that field's number
	PartOf  string // summed with the other fields naming the same total, not above it
	// Future marks a date or dates list that must not be in the past (unless
	// unchanged since the last version) nor more than five years ahead.
	Future bool
}

// Where the source documents point customers (docs/questionnaire.md cites
// them): the FastTrack portal, whose Migration Hub Learning Center holds the
// migration guidance, and the Migration Support Team's address for what it
// does not answer.
const (
	FastTrackPortal       = "https://fasttrack.microsoft.com/"
	MigrationSupportEmail = "FTMigrationSupport@microsoft.com"
)

// yesNo is the choice for facts the customer may not know yet: an explicit
// "not sure" is better than a silent default.
var yesNo = []Option{{"yes", "Yes"}, {"no", "No"}, {"unsure", "Not sure yet"}}

var questionnaireSections = []Section{
	{ID: "organisation", Title: "Organisation and contacts",
		Intro: "Who the customer is and who the migration team talks to. The FastTrack portal (" + FastTrackPortal + ") and its Migration Hub Learning Center guide each step; questions they and this questionnaire do not answer go to the Migration Support Team, " + MigrationSupportEmail + "."},
	{ID: "schedule", Title: "Schedule and scope",
		Intro: "When the migration may run and how much moves. Estimates are fine; the inventory tools refine them."},
	{ID: "approach", Title: "Approach, connectivity and credentials",
		Intro: "How the migration runs. Never type a password, key or token here: credentials go through the secure credential process (3614)."},
	{ID: "exchange", Title: "Exchange on-premises", Condition: IfOnPremExchange,
		Intro: "The on-premises Exchange organisation and its hybrid configuration with Exchange Online (3160, 3159, 3158, 3157)."},
	{ID: "imap", Title: "IMAP mail", Sources: []Source{IMAP},
		Intro: "The IMAP server the mailboxes move from. An IMAP migration moves mail folders only (no contacts, calendar items or tasks), at most 500,000 items a mailbox, newest first, and messages up to 35 MB."},
	{ID: "box", Title: "Box", Sources: []Source{Box},
		Intro: "The Box enterprise the content moves from. Migration Manager connects when a Box admin authorises it and adds the app, by its client ID, in Box's Custom Apps Manager. Files up to 15 GB."},
	{ID: "dropbox", Title: "Dropbox", Sources: []Source{Dropbox},
		Intro: "The Dropbox team the content moves from. Migration Manager connects when a Dropbox admin signs in with the admin account and allows it. Files up to 15 GB."},
	{ID: "gdrive", Title: "Google Drive", Sources: []Source{GoogleDrive},
		Intro: "The Google Workspace the My Drive and shared drive content moves from. Migration Manager connects when a Google admin installs the Microsoft 365 migration app from the Google Workspace Marketplace (Domain Install); no key changes hands. Files up to 15 GB."},
	{ID: "fileshare", Title: "File shares", Sources: []Source{FileShare},
		Intro: "The file servers and shares the content moves from. Migration Manager reads them through its agent, installed on a Windows machine that can reach the shares. Files up to 250 GB."},
}

var questionnaireFields = []Field{
	// organisation
	{ID: "customer-org", Section: "organisation", Label: "Customer organisation", Type: TypeText, Required: true, MaxLen: 200,
		Placeholder: "Contoso Ltd",
		Why:         "The legal name goes on the migration documentation (3954) and the environment build request (3306)."},
	{ID: "tenant-domain", Section: "organisation", Label: "Tenant primary domain", Type: TypeDomain, Required: true,
		Placeholder: "contoso.onmicrosoft.com",
		Help:        "The Microsoft 365 tenant the content moves to: its .onmicrosoft.com name or primary verified domain.",
		Why:         "Identifies the target tenant for the environment build (3306) and the identity match of every user."},
	{ID: "tech-contact-name", Section: "organisation", Label: "Technical point of contact: name", Type: TypeText, Required: true, MaxLen: 200,
		Why: "The person who answers pre-flight questions and remediates migration issues (the customer's job, not the FRP's)."},
	{ID: "tech-contact-email", Section: "organisation", Label: "Technical point of contact: email", Type: TypeEmail, Required: true,
		Placeholder: "it.lead@contoso.com",
		Why:         "Where pre-flight results, batch reports and issue updates go."},
	{ID: "tech-contact-phone", Section: "organisation", Label: "Technical point of contact: phone", Type: TypePhone, Required: true,
		Placeholder: "+44 20 7946 0958",
		Help:        "With the country code; the migration team may be in another country.",
		Why:         "Cut-over nights and failed batches need someone reachable at once."},
	{ID: "business-contact-name", Section: "organisation", Label: "Business contact: name", Type: TypeText, Required: true, MaxLen: 200,
		Why: "The person who owns the schedule and signs off scope changes; the MVM's escalation counterpart."},
	{ID: "business-contact-email", Section: "organisation", Label: "Business contact: email", Type: TypeEmail, Required: true,
		Why: "Where schedule, progress reports and escalations go."},
	{ID: "business-contact-phone", Section: "organisation", Label: "Business contact: phone", Type: TypePhone,
		Why: "Optional: for escalations that cannot wait for email."},
	{ID: "comms-owner", Section: "organisation", Label: "Communication plan owner", Type: TypeText, Required: true, MaxLen: 200,
		Help: "Who tells users what happens and when (announcements, pilot invitations, cut-over notices).",
		Why:  "End-user communication is the customer's; the MVM role guide stresses stakeholder communication for long migration windows."},
	{ID: "comms-owner-email", Section: "organisation", Label: "Communication plan owner: email", Type: TypeEmail,
		Why: "Optional: where the communication templates and batch lists go."},
	{ID: "time-zone", Section: "organisation", Label: "Customer time zone", Type: TypeTimeZone, Required: true,
		Help: "The time zone migration events and the window are planned in.",
		Why:  "Batches, cut-overs and workshops are scheduled in the customer's local time; the migration team works across zones."},

	// schedule
	{ID: "window-start", Section: "schedule", Label: "Preferred migration window: start", Type: TypeDate, Required: true, Future: true,
		Why: "The MVM builds the schedule and the migration events (1871) inside the window."},
	{ID: "window-end", Section: "schedule", Label: "Preferred migration window: end", Type: TypeDate, Required: true, Future: true,
		After: "window-start",
		Why:   "Bounds the schedule; with the volume it gives the velocity the environment must reach."},
	{ID: "blackout-dates", Section: "schedule", Label: "Blackout dates", Type: TypeDates, Future: true, MaxLen: 1000,
		Placeholder: "2027-03-31, 2027-06-28/2027-07-02",
		Help:        "Dates no migration may run: single days or ranges (start/end), separated by commas.",
		Why:         "Quarter-end close, audits, holidays and change freezes: no batch or cut-over is scheduled on them."},
	{ID: "users-in-scope", Section: "schedule", Label: "Number of users in scope", Type: TypeInteger, Required: true, Min: 1, Max: 1_000_000,
		Why: "Sizes batches, licences (3217) and the environment; the other counts are checked against it."},
	{ID: "data-volume-gb", Section: "schedule", Label: "Total data volume (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000_000,
		Help: "All sources together, in gigabytes (1 TB = 1,000 GB). An estimate is fine.",
		Why:  "With the window it sets the throughput the migration environment is built for (3306)."},
	{ID: "pilot-size", Section: "schedule", Label: "Pilot size (users)", Type: TypeInteger, Required: true, Min: 1, Max: 10_000,
		AtMost: "users-in-scope",
		Help:   "Users in the first, pilot migration.",
		Why:    "The MVM role guide: pilot migrations come first and inform the velocity batch sizes."},
	{ID: "batch-size", Section: "schedule", Label: "Preferred batch size (users)", Type: TypeInteger, Required: true, Min: 1, Max: 100_000,
		AtMost: "users-in-scope",
		Help:   "Users per migration event after the pilot.",
		Why:    "The starting point for velocity batches; the MVM adjusts it after the pilot."},

	// approach
	{ID: "migration-path", Section: "approach", Label: "Who migrates", Type: TypeChoice, Required: true,
		Options: []Option{{"benefit", "FastTrack Data Migration benefit"}, {"self", "The customer self-migrates"}, {"undecided", "Not decided yet"}},
		Why:     "The MST helps the customer decide; only the benefit path goes on to the MVM's onboarding (1672, 3392…)."},
	{ID: "network-access", Section: "approach", Label: "How the migration service reaches the sources", Type: TypeChoice, Required: true,
		Options: []Option{{"public", "Over the internet, no restriction"}, {"allowlist", "Over the internet, after IP allow-listing"}, {"private", "Private network only (VPN or on-premises agent needed)"}, {"unsure", "Not sure yet"}},
		Why:     "Secure remote connectivity (3312) must be in place before the environment is onboarded (3392)."},
	{ID: "connectivity-notes", Section: "approach", Label: "Network and secure connectivity notes", Type: TypeLongText,
		Help: "Firewalls, proxies, VPN, allow-listing owners, bandwidth limits. No passwords.",
		Why:  "The MST elaborates the connectivity (3312) from these notes."},
	{ID: "secure-credentials", Section: "approach", Label: "Do source credentials need the secure credential process (3614)?", Type: TypeChoice, Required: true,
		Options: yesNo,
		Why:     "Decides whether the optional credential review (3614) applies or is marked not applicable."},
	{ID: "notes", Section: "approach", Label: "Anything else the migration team should know", Type: TypeLongText,
		Why: "Constraints the fields above do not capture: legal holds, sensitive sites, VIP users."},

	// exchange, with on-premises Exchange only
	{ID: "exchange-version", Section: "exchange", Label: "Exchange Server version", Type: TypeChoice, Required: true,
		Options: []Option{{"2010", "Exchange 2010 or older"}, {"2013", "Exchange 2013"}, {"2016", "Exchange 2016"}, {"2019", "Exchange 2019"}, {"se", "Exchange Server Subscription Edition"}},
		Why:     "Older versions need an upgrade or a different hybrid topology before the hybrid configuration."},
	{ID: "exchange-hybrid", Section: "exchange", Label: "Exchange hybrid status", Type: TypeChoice, Required: true,
		Options: []Option{{"full", "Full hybrid configured"}, {"minimal", "Minimal or express hybrid configured"}, {"in-progress", "Being configured"}, {"not-started", "Not started"}, {"not-planned", "Not planned (cut-over migration)"}},
		Why:     "The FRP's hybrid configuration (3160, 3159, 3158, 3157) must be complete before the environment onboarding (3392); \"not planned\" is the reason to mark it not applicable."},
	{ID: "exchange-mailboxes", Section: "exchange", Label: "On-premises mailboxes", Type: TypeInteger, Required: true, Min: 0, Max: 1_000_000,
		Why: "Sizes the mailbox moves alongside the other sources."},

	// IMAP
	{ID: "imap-host", Section: "imap", Label: "IMAP server host", Type: TypeDomain, Required: true,
		Placeholder: "imap.contoso.com",
		Why:         "The migration endpoint connects to it; the MST checks it is reachable (3312)."},
	{ID: "imap-port", Section: "imap", Label: "IMAP port", Type: TypeInteger, Required: true, Min: 1, Max: 65535, Default: "993",
		Help: "The migration endpoint's default is 993; 993 is typical for SSL, 143 for TLS or no encryption.",
		Why:  "The migration endpoint connects to it through the customer's firewall (3312)."},
	{ID: "imap-security", Section: "imap", Label: "Connection security", Type: TypeChoice, Required: true, Default: "ssl",
		Options: []Option{{"ssl", "SSL"}, {"tls", "TLS"}, {"none", "None (unencrypted)"}},
		Help:    "The migration endpoint's Security setting: SSL, TLS or none.",
		Why:     "The migration endpoint must be told; an unencrypted server needs a risk sign-off."},
	{ID: "imap-auth", Section: "imap", Label: "Credentials in the migration CSV", Type: TypeChoice, Required: true,
		Options: []Option{{"basic", "Each user's IMAP user name and password"}, {"admin", "Administrator (super-user) credentials"}, {"app-password", "Gmail: an app password per mailbox (2-Step Verification on)"}},
		Help:    "An IMAP migration signs in with Basic authentication (user name and password). Gmail needs 2-Step Verification and an app password for each mailbox. A Google Workspace organisation can use Microsoft's Google Workspace migration instead (not IMAP). Outlook.com and Microsoft 365 mailboxes are not migrated over IMAP. Passwords go through the secure credential process (3614), never here.",
		Why:     "Decides the UserName form of the migration CSV (administrator forms differ by server), and what goes through 3614."},
	{ID: "imap-product", Section: "imap", Label: "IMAP server product", Type: TypeText, MaxLen: 200,
		Placeholder: "Dovecot, Zimbra, Gmail, Lotus Domino…",
		Why:         "Each product has known migration errors (3282) and throttling limits."},
	{ID: "imap-mailboxes", Section: "imap", Label: "Mailboxes to migrate", Type: TypeInteger, Required: true, Min: 1, Max: 1_000_000,
		Why: "Sizes batches and the mailbox mapping file."},
	{ID: "imap-avg-mailbox-gb", Section: "imap", Label: "Average mailbox size (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 1_000,
		Why: "With the mailbox count it estimates the mail volume and the time per batch."},
	{ID: "imap-max-mailbox-gb", Section: "imap", Label: "Largest mailbox size (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000,
		AtLeast: "imap-avg-mailbox-gb",
		Why:     "Mailboxes over the Exchange Online quota need an archive or a clean-up before they move."},

	// Box
	{ID: "box-enterprise-id", Section: "box", Label: "Box enterprise ID", Type: TypeInteger, Required: true, Min: 1, Max: 999_999_999_999,
		Help: "In the Box Admin Console, under Account & Billing.",
		Why:  "Identifies the enterprise the migration app is authorised for."},
	{ID: "box-admin", Section: "box", Label: "Box admin account", Type: TypeEmail, Required: true,
		Help: "The Box admin who authorises Migration Manager and adds its app in the Custom Apps Manager. Its email only, never its password.",
		Why:  "Migration Manager connects to Box on this admin's authorisation."},
	{ID: "box-users", Section: "box", Label: "Box users in scope", Type: TypeInteger, Required: true, Min: 1, Max: 1_000_000,
		AtMost: "users-in-scope",
		Why:    "Sizes the user mapping and the batches."},
	{ID: "box-volume-gb", Section: "box", Label: "Box data volume (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000_000,
		PartOf: "data-volume-gb",
		Why:    "Sizes the Box share of the schedule; the inventory tool (3169) refines it."},
	{ID: "box-notes", Section: "box", Label: "Box Notes in use", Type: TypeChoice, Required: true, Options: yesNo,
		Why: "Box Notes convert to Word documents and lose some formatting: users must be told."},

	// Dropbox
	{ID: "dropbox-team-type", Section: "dropbox", Label: "Dropbox team type", Type: TypeChoice, Required: true,
		Options: []Option{{"team-space", "Team space (newer teams)"}, {"team-folders", "Team folders (older teams)"}, {"unsure", "Not sure yet"}},
		Why:     "The two team structures map to SharePoint and OneDrive differently."},
	{ID: "dropbox-plan", Section: "dropbox", Label: "Dropbox plan", Type: TypeChoice,
		Options: []Option{{"standard", "Standard"}, {"advanced", "Advanced"}, {"business", "Business or Business Plus"}, {"enterprise", "Enterprise"}, {"education", "Education"}},
		Why:     "Optional: API limits and admin features differ by plan."},
	{ID: "dropbox-admin", Section: "dropbox", Label: "Dropbox team admin account", Type: TypeEmail, Required: true,
		Help: "The Dropbox admin who signs in to connect Migration Manager. Its email only, never its password.",
		Why:  "Migration Manager connects to Dropbox when this admin signs in and allows it."},
	{ID: "dropbox-members", Section: "dropbox", Label: "Dropbox members in scope", Type: TypeInteger, Required: true, Min: 1, Max: 1_000_000,
		AtMost: "users-in-scope",
		Why:    "Sizes the user mapping and the batches."},
	{ID: "dropbox-volume-gb", Section: "dropbox", Label: "Dropbox data volume (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000_000,
		PartOf: "data-volume-gb",
		Why:    "Sizes the Dropbox share of the schedule."},

	// Google Drive
	{ID: "gdrive-domain", Section: "gdrive", Label: "Google Workspace primary domain", Type: TypeDomain, Required: true,
		Placeholder: "contoso.com",
		Why:         "Identifies the Workspace tenant and drives the user mapping."},
	{ID: "gdrive-admin", Section: "gdrive", Label: "Google Workspace admin account", Type: TypeEmail, Required: true,
		Help: "A super admin, groups admin, user management admin or help desk admin, who installs the Microsoft 365 migration app from the Google Workspace Marketplace (Domain Install). Its email only: the connection needs no key or password.",
		Why:  "Migration Manager connects to Google Drive through the app this admin installs for the domain."},
	{ID: "gdrive-users", Section: "gdrive", Label: "Google Drive users in scope", Type: TypeInteger, Required: true, Min: 1, Max: 1_000_000,
		AtMost: "users-in-scope",
		Why:    "Sizes the user mapping and the batches."},
	{ID: "gdrive-shared-drives", Section: "gdrive", Label: "Shared drives", Type: TypeInteger, Required: true, Min: 0, Max: 1_000_000,
		Why: "Each shared drive becomes a SharePoint site or library: it shapes the target structure."},
	{ID: "gdrive-volume-gb", Section: "gdrive", Label: "Google Drive data volume (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000_000,
		PartOf: "data-volume-gb",
		Why:    "Sizes the Drive share of the schedule; the inventory tool (2467) refines it."},

	// File shares
	{ID: "fileshare-paths", Section: "fileshare", Label: "Number of shares or paths", Type: TypeInteger, Required: true, Min: 1, Max: 100_000,
		Why: "Each path becomes a migration task with its own target; the count shapes the mapping file."},
	{ID: "fileshare-platform", Section: "fileshare", Label: "File server platform", Type: TypeChoice,
		Options: []Option{{"windows", "Windows Server"}, {"nas", "NAS appliance (NetApp, Dell, Synology…)"}, {"other", "Other"}},
		Why:     "Optional: which permissions model to expect; Migration Manager's agent runs on a Windows machine that reaches the shares either way."},
	{ID: "fileshare-volume-gb", Section: "fileshare", Label: "File share data volume (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 10_000_000,
		PartOf: "data-volume-gb",
		Why:    "Sizes the file share part of the schedule; the inventory tool (3009) refines it."},
	{ID: "fileshare-largest-file-gb", Section: "fileshare", Label: "Largest file (GB)", Type: TypeNumber, Required: true, Min: 0, Max: 100_000,
		AtMost: "fileshare-volume-gb",
		Help:   "Migration Manager and SPMT move files up to 250 GB from a file share.",
		Why:    "Files over the SharePoint limit must be split or left behind."},
	{ID: "fileshare-permissions", Section: "fileshare", Label: "Map NTFS permissions to Microsoft 365", Type: TypeChoice, Required: true, Options: yesNo,
		Why: "Permission mapping needs the identity sync (1141) in place and a mapping of local groups; it changes the plan."},
}

// reserved are the keys of a card's action data (cards.ActionData and the
// questionnaire's own): no field may take one as its id.
var reserved = []string{"verb", "engagement", "version", "task", "section", "to"}

// The validated questionnaire, loaded once.
var qSections, qFields, qByID = mustLoadQuestionnaire(questionnaireSections, questionnaireFields)

func mustLoadQuestionnaire(ss []Section, fs []Field) ([]Section, []Field, map[string]int) {
	if err := ValidateQuestionnaire(ss, fs); err != nil {
		// The table is code: a broken one is a programming error that every
		// test run reports at once.
		panic("playbook: invalid questionnaire: " + err.Error())
	}
	fs = slices.Clone(fs)
	idx := make(map[string]int, len(fs))
	for i := range fs {
		// Fields inherit their section's sources and condition.
		s := ss[slices.IndexFunc(ss, func(s Section) bool { return s.ID == fs[i].Section })]
		if len(fs[i].Sources) == 0 {
			fs[i].Sources = s.Sources
		}
		if fs[i].Condition == Always {
			fs[i].Condition = s.Condition
		}
		idx[fs[i].ID] = i
	}
	return slices.Clone(ss), fs, idx
}

// ValidateQuestionnaire checks a questionnaire definition: unique, well-formed
// ids, known types, sections, sources and conditions; fields in section
// order; ranges on every number; options on every choice, unique; defaults
// valid; cross-field rules naming fields of a compatible type that apply
// whenever the field does. It returns EINVALID naming the first fault.
func ValidateQuestionnaire(ss []Section, fs []Field) error {
	secIdx := map[string]int{}
	for i, s := range ss {
		if _, dup := secIdx[s.ID]; dup || !validKey(s.ID) {
			return Errorf(EINVALID, "section %d: id %q is malformed or duplicate", i, s.ID)
		}
		secIdx[s.ID] = i
		if strings.TrimSpace(s.Title) == "" {
			return Errorf(EINVALID, "section %s: no title", s.ID)
		}
		if err := checkScope("section "+s.ID, s.Sources, s.Condition); err != nil {
			return err
		}
	}
	ids := map[string]int{}
	last := 0
	for i, f := range fs {
		where := fmt.Sprintf("field %d (%s)", i, f.ID)
		if !validKey(f.ID) || slices.Contains(reserved, f.ID) {
			return Errorf(EINVALID, "%s: id must be lower-case letters, digits and hyphens, and not one of %s", where, strings.Join(reserved, ", "))
		}
		if _, dup := ids[f.ID]; dup {
			return Errorf(EINVALID, "%s: duplicate id", where)
		}
		ids[f.ID] = i
		si, ok := secIdx[f.Section]
		if !ok {
			return Errorf(EINVALID, "%s: unknown section %q", where, f.Section)
		}
		if si < last {
			return Errorf(EINVALID, "%s: section %s after a later section; keep fields in section order", where, f.Section)
		}
		last = si
		if strings.TrimSpace(f.Label) == "" {
			return Errorf(EINVALID, "%s: no label", where)
		}
		if !slices.Contains(fieldTypes, f.Type) {
			return Errorf(EINVALID, "%s: unknown type %q", where, f.Type)
		}
		if err := checkScope(where, f.Sources, f.Condition); err != nil {
			return err
		}
		sec := ss[si]
		if len(sec.Sources) > 0 && len(f.Sources) > 0 && slices.ContainsFunc(f.Sources, func(s Source) bool { return !hasSource(sec.Sources, s) }) {
			return Errorf(EINVALID, "%s: sources %s outside its section's %s", where, joinSources(f.Sources), joinSources(sec.Sources))
		}
		if sec.Condition != Always && f.Condition != Always && f.Condition != sec.Condition {
			return Errorf(EINVALID, "%s: condition %q differs from its section's %q", where, f.Condition, sec.Condition)
		}
		numeric := f.Type == TypeNumber || f.Type == TypeInteger
		if numeric && !(f.Min < f.Max) {
			return Errorf(EINVALID, "%s: a number needs Min < Max", where)
		}
		if !numeric && (f.Min != 0 || f.Max != 0) {
			return Errorf(EINVALID, "%s: Min and Max are for numbers", where)
		}
		if f.MaxLen < 0 || f.MaxLen > hardCap(f) {
			return Errorf(EINVALID, "%s: MaxLen %d outside 0..%d", where, f.MaxLen, hardCap(f))
		}
		hasOptions := f.Type == TypeChoice || f.Type == TypeMultiChoice
		if hasOptions != (len(f.Options) > 0) {
			return Errorf(EINVALID, "%s: options are required for choices and only for them", where)
		}
		for j, o := range f.Options {
			if o.Value == "" || strings.TrimSpace(o.Title) == "" || strings.Contains(o.Value, ",") {
				return Errorf(EINVALID, "%s: option %d needs a value without commas and a title", where, j)
			}
			if slices.ContainsFunc(f.Options[:j], func(p Option) bool {
				return strings.EqualFold(p.Value, o.Value) || strings.EqualFold(p.Title, o.Title)
			}) {
				return Errorf(EINVALID, "%s: option %q listed twice", where, o.Value)
			}
		}
		if f.Default != "" {
			if _, msg := f.check(f.Default); msg != "" {
				return Errorf(EINVALID, "%s: default %q: %s", where, f.Default, msg)
			}
		}
		if f.Future && f.Type != TypeDate && f.Type != TypeDates {
			return Errorf(EINVALID, "%s: Future is for dates", where)
		}
	}
	for i, f := range fs {
		where := fmt.Sprintf("field %d (%s)", i, f.ID)
		for _, ref := range []struct {
			name, id string
			types    []FieldType
		}{
			{"After", f.After, []FieldType{TypeDate}},
			{"AtMost", f.AtMost, []FieldType{TypeNumber, TypeInteger}},
			{"AtLeast", f.AtLeast, []FieldType{TypeNumber, TypeInteger}},
			{"PartOf", f.PartOf, []FieldType{TypeNumber, TypeInteger}},
		} {
			if ref.id == "" {
				continue
			}
			j, ok := ids[ref.id]
			if !ok || j == i {
				return Errorf(EINVALID, "%s: %s names unknown field %q", where, ref.name, ref.id)
			}
			o := fs[j]
			if !slices.Contains(ref.types, f.Type) || !slices.Contains(ref.types, o.Type) {
				return Errorf(EINVALID, "%s: %s %s needs fields of type %v", where, ref.name, ref.id, ref.types)
			}
			// The other field must exist wherever this one does: common, or
			// in the same section.
			if os := ss[secIdx[o.Section]]; (len(os.Sources) > 0 || os.Condition != Always) && o.Section != f.Section {
				return Errorf(EINVALID, "%s: %s %s is in a section this field's engagement may not have", where, ref.name, ref.id)
			}
		}
	}
	return nil
}

func checkScope(where string, ss []Source, c Condition) error {
	for j, s := range ss {
		if !s.Valid() || slices.Contains(ss[:j], s) {
			return Errorf(EINVALID, "%s: source %q is unknown or listed twice", where, s)
		}
	}
	switch c {
	case Always, IfOnPremExchange, IfMail:
		return nil
	}
	return Errorf(EINVALID, "%s: unknown condition %q", where, c)
}

// scopeApplies reports whether sources and condition let something be part
// of e, as they do for a Task.
func scopeApplies(e *Engagement, ss []Source, c Condition) bool {
	if len(ss) > 0 && !slices.ContainsFunc(ss, func(s Source) bool { return hasSource(e.Sources, s) }) {
		return false
	}
	switch c {
	case IfOnPremExchange:
		return e.OnPremExchange
	case IfMail:
		return e.hasMail()
	}
	return true
}

// Sections returns the questionnaire sections of e, in order: the common
// ones, Exchange on-premises when e has it, then one per source of e. The
// slice is the caller's.
func Sections(e *Engagement) []Section {
	var out []Section
	for _, s := range qSections {
		if scopeApplies(e, s.Sources, s.Condition) {
			out = append(out, s.clone())
		}
	}
	return out
}

// SectionByID returns the section with that id, whatever the engagement.
func SectionByID(id string) (Section, bool) {
	for _, s := range qSections {
		if s.ID == id {
			return s.clone(), true
		}
	}
	return Section{}, false
}

// AdjacentSection returns the section of e step places from the one with
// that id (-1: back, +1: next), and false at either end or for a section
// that is not part of e.
func AdjacentSection(e *Engagement, id string, step int) (Section, bool) {
	ss := Sections(e)
	i := slices.IndexFunc(ss, func(s Section) bool { return s.ID == id })
	if i < 0 || i+step < 0 || i+step >= len(ss) {
		return Section{}, false
	}
	return ss[i+step], true
}

// Fields returns the questions of e, in order. The slice is the caller's.
func Fields(e *Engagement) []Field {
	var out []Field
	for _, f := range qFields {
		if fieldApplies(e, f) {
			out = append(out, f.clone())
		}
	}
	return out
}

// SectionFields returns the questions of e in one section, in order.
func SectionFields(e *Engagement, section string) []Field {
	var out []Field
	for _, f := range Fields(e) {
		if f.Section == section {
			out = append(out, f)
		}
	}
	return out
}

// AllFields returns every question of the questionnaire, whatever the
// engagement, in order.
func AllFields() []Field {
	out := make([]Field, len(qFields))
	for i, f := range qFields {
		out[i] = f.clone()
	}
	return out
}

// FieldByID returns the field with that id, whatever the engagement.
func FieldByID(id string) (Field, bool) {
	i, ok := qByID[id]
	if !ok {
		return Field{}, false
	}
	return qFields[i].clone(), true
}

func fieldApplies(e *Engagement, f Field) bool {
	return scopeApplies(e, f.Sources, f.Condition)
}

// MaxLength is the most characters the field takes: its MaxLen, else its
// type's default.
func (f Field) MaxLength() int {
	if f.MaxLen > 0 {
		return f.MaxLen
	}
	switch f.Type {
	case TypeLongText:
		return MaxLongValueLen
	case TypeText:
		return 200
	case TypeEmail:
		return 254
	case TypeDomain:
		return 253
	case TypePhone:
		return 40
	case TypeNumber, TypeInteger:
		return 32
	case TypeDate:
		return 10
	}
	return MaxValueLen
}

// hardCap is the most of a value ever kept, even to show it again.
func hardCap(f Field) int {
	if f.Type == TypeLongText {
		return MaxLongValueLen
	}
	return MaxValueLen
}

// Display is how a person reads the stored value v of f: option titles for
// choices, Yes/No for a toggle, the value itself otherwise.
func (f Field) Display(v string) string {
	switch f.Type {
	case TypeChoice:
		return f.optionTitle(v)
	case TypeMultiChoice:
		var ts []string
		for _, x := range splitList(v) {
			ts = append(ts, f.optionTitle(x))
		}
		return strings.Join(ts, ", ")
	case TypeBool:
		switch v {
		case "true":
			return "Yes"
		case "false":
			return "No"
		}
	}
	return v
}

func (f Field) optionTitle(v string) string {
	for _, o := range f.Options {
		if o.Value == v {
			return o.Title
		}
	}
	return v
}

func (f Field) clone() Field {
	f.Options = slices.Clone(f.Options)
	f.Sources = slices.Clone(f.Sources)
	return f
}

func (s Section) clone() Section {
	s.Sources = slices.Clone(s.Sources)
	return s
}
