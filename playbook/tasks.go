package playbook

import (
	"slices"
	"strings"
)

// Task is one step of the playbook. The table below is the playbook as
// data; a practitioner changes the playbook by editing it, and Validate (run
// when the package loads) refuses a table with unknown or circular
// dependencies.
type Task struct {
	// Key is the task's stable name: lower-case letters, digits and hyphens,
	// never all digits. Engagements store task state by Key, so a Key is
	// never renamed once released.
	Key string `json:"key"`
	// IDs are the FastTrack playbook task ids, most significant first. Several
	// tasks may share an id (Box 3169 is both the Box migration workshop and
	// the Box inventory-tool guidance), and some tasks have none.
	IDs   []string `json:"ids"`
	Phase Phase    `json:"phase"`
	Title string   `json:"title"`
	// Owner is the role accountable for the task. Tasks owned by MVM fall to
	// MST in engagements without an IMAP source; see OwnerOf.
	Owner Role `json:"owner"`
	// Helpers are roles that assist the owner and may mark the task done on
	// the owner's behalf (the MST assists the customer with the
	// questionnaire).
	Helpers []Role `json:"helpers"`
	// Sources limits the task to engagements migrating at least one of
	// these sources; empty means every engagement.
	Sources   []Source  `json:"sources"`
	Condition Condition `json:"condition"`
	// Optional tasks ("optional", "if applicable") may be marked not
	// applicable. Until then they count like any other task, so that
	// skipping one is a recorded decision and not an oversight.
	Optional bool `json:"optional"`
	// Needs are the keys of the tasks that must be done (or not applicable)
	// first. A need that does not apply to an engagement is ignored there.
	Needs []string `json:"needs"`

	ref string // set by load: what a person types to name this task
}

// Condition is a fact about the engagement, other than its sources, that
// decides whether a task applies.
type Condition string

// The conditions a task may carry.
const (
	Always Condition = ""
	// IfOnPremExchange applies when the customer has on-premises Exchange
	// (the hybrid configuration).
	IfOnPremExchange Condition = "on-premises-exchange"
	// IfMail applies when mail is migrated: an IMAP source, or on-premises
	// Exchange.
	IfMail Condition = "mail"
)

// Skippable reports whether the task may be marked not applicable: optional
// and conditional tasks may, the rest of the playbook may not.
func (t Task) Skippable() bool {
	return t.Optional || t.Condition != Always
}

// Ref is the shortest name a person can type to mean this task and nothing
// else: its first playbook id when no other task shares one of its ids, else
// its key.
func (t Task) Ref() string {
	if t.ref != "" {
		return t.ref
	}
	return t.Key
}

// IDList is the task's playbook ids for display ("3160, 3159, 3158, 3157"),
// or "" for a task without one.
func (t Task) IDList() string {
	return strings.Join(t.IDs, ", ")
}

// String is Ref and Title, as chat replies name a task: "1699 Complete the
// technical assessment and submit the SME request".
func (t Task) String() string {
	return t.Ref() + " " + t.Title
}

func (t Task) hasID(id string) bool {
	return slices.Contains(t.IDs, id)
}

// clone copies the slices so that callers cannot change the table.
func (t Task) clone() Task {
	t.IDs = slices.Clone(t.IDs)
	t.Helpers = slices.Clone(t.Helpers)
	t.Sources = slices.Clone(t.Sources)
	t.Needs = slices.Clone(t.Needs)
	return t
}

// workshops lists every source's migration workshop; tasks that need "the
// workshops" wait for those of the engagement's sources only.
var workshops = []string{"workshop-imap", "workshop-box", "workshop-dropbox", "workshop-gdrive", "workshop-fileshare"}

func needs(keys ...[]string) []string {
	return slices.Concat(keys...)
}

// defaultTasks is the playbook. Keep it in phase order: NextSteps lists tasks
// by phase, then by their position here. docs/playbook.md gives the reason
// for every dependency the seeds do not state; update it with the table.
var defaultTasks = []Task{
	// assess
	{Key: "assessment", IDs: []string{"1699"}, Phase: PhaseAssess, Owner: FRP,
		Title: "Complete the technical assessment and submit the SME request"},

	// prepare: the MST's guidance, one migration workshop per source
	{Key: "workshop-imap", IDs: []string{"1635"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{IMAP},
		Title: "IMAP migration workshop: onboarding timeline and scope", Needs: []string{"assessment"}},
	{Key: "workshop-box", IDs: []string{"3169"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{Box},
		Title: "Box migration workshop: onboarding timeline and scope", Needs: []string{"assessment"}},
	{Key: "workshop-dropbox", IDs: []string{"4119"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{Dropbox},
		Title: "Dropbox migration workshop: onboarding timeline and scope", Needs: []string{"assessment"}},
	{Key: "workshop-gdrive", IDs: []string{"2467"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{GoogleDrive},
		Title: "Google Drive migration workshop: onboarding timeline and scope", Needs: []string{"assessment"}},
	{Key: "workshop-fileshare", IDs: []string{"3009"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{FileShare},
		Title: "File share migration workshop: onboarding timeline and scope", Needs: []string{"assessment"}},
	{Key: "hub-workshop", IDs: []string{"4027"}, Phase: PhasePrepare, Owner: MST,
		Title: "Migration Hub workshop (may be held together with the migration workshop)", Needs: []string{"assessment"}},
	{Key: "credential-review", IDs: []string{"3614"}, Phase: PhasePrepare, Owner: MST, Optional: true,
		Title: "Review secure credential management requirements (optional)", Needs: workshops},
	{Key: "remote-connectivity", IDs: []string{"3312"}, Phase: PhasePrepare, Owner: MST,
		Title: "Secure remote connectivity needed for the migration", Needs: workshops},
	{Key: "reporting-workshop", IDs: []string{"4008"}, Phase: PhasePrepare, Owner: MST,
		Title: "Power BI reporting workshop and generic customer access", Needs: []string{"hub-workshop"}},
	{Key: "questionnaire", IDs: []string{"1034"}, Phase: PhasePrepare, Owner: Customer, Helpers: []Role{MST},
		Title: "Complete the migration questionnaire", Needs: workshops},
	{Key: "collaboration-site", IDs: []string{"2979"}, Phase: PhasePrepare, Owner: MST,
		Title: "Migration collaboration site (customer SharePoint site or portal library)", Needs: workshops},
	{Key: "issue-tracker", IDs: []string{"3615"}, Phase: PhasePrepare, Owner: MST,
		Title: "Post-migration issue tracker created", Needs: []string{"collaboration-site"}},
	{Key: "known-errors", IDs: []string{"3282"}, Phase: PhasePrepare, Owner: MST,
		Title: "Lists of known migration errors provided", Needs: workshops},
	{Key: "inventory-box", IDs: []string{"3169"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{Box},
		Title: "Box inventory tool, SharePoint/OneDrive limits and source test tools", Needs: []string{"workshop-box"}},
	{Key: "inventory-gdrive", IDs: []string{"2467"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{GoogleDrive},
		Title: "Google Drive inventory tool, SharePoint/OneDrive limits and source test tools", Needs: []string{"workshop-gdrive"}},
	{Key: "inventory-fileshare", IDs: []string{"3009"}, Phase: PhasePrepare, Owner: MST, Sources: []Source{FileShare},
		Title: "File share inventory tool, SharePoint/OneDrive limits and source test tools", Needs: []string{"workshop-fileshare"}},
	{Key: "migration-decision", Phase: PhasePrepare, Owner: Customer, Helpers: []Role{MST},
		Title: "Decide: self-migrate or use the FastTrack Data Migration benefit",
		Needs: []string{"questionnaire", "hub-workshop", "inventory-box", "inventory-gdrive", "inventory-fileshare"}},

	// enable: the FRP's work, in parallel with prepare
	{Key: "core-onboarding", Phase: PhaseEnable, Owner: FRP,
		Title: "Core onboarding: complete all enablement tasks", Needs: []string{"assessment"}},
	{Key: "identity-sync", IDs: []string{"1141"}, Phase: PhaseEnable, Owner: FRP,
		Title: "Identity synchronization", Needs: []string{"core-onboarding"}},
	{Key: "exchange-hybrid", IDs: []string{"3160", "3159", "3158", "3157"}, Phase: PhaseEnable, Owner: FRP, Condition: IfOnPremExchange,
		Title: "On-premises Exchange hybrid configuration", Needs: []string{"identity-sync"}},

	// onboard: the MVM (IMAP) or the MST/migration team
	{Key: "temporary-licenses", IDs: []string{"3217"}, Phase: PhaseOnboard, Owner: MVM, Optional: true,
		Title: "Temporary Office 365 licenses for the migration (if applicable)", Needs: []string{"questionnaire-validation"}},
	{Key: "questionnaire-validation", IDs: []string{"1672"}, Phase: PhaseOnboard, Owner: MVM,
		Title: "Questionnaire completion and validation",
		Needs: needs([]string{"questionnaire", "migration-decision", "hub-workshop"}, workshops)},
	{Key: "environment-onboarding", IDs: []string{"3392"}, Phase: PhaseOnboard, Owner: MVM,
		Title: "Onboard the customer to the migration environment",
		Needs: []string{"questionnaire-validation", "core-onboarding", "identity-sync", "exchange-hybrid", "credential-review", "remote-connectivity"}},
	{Key: "environment-build", IDs: []string{"3306"}, Phase: PhaseOnboard, Owner: MVM,
		Title: "Build request for the dedicated Azure migration environment, validated", Needs: []string{"environment-onboarding"}},
	{Key: "test-migration", IDs: []string{"2474"}, Phase: PhaseOnboard, Owner: MVM,
		Title: "Test migration and validation", Needs: []string{"environment-build", "temporary-licenses"}},
	{Key: "migration-handover", IDs: []string{"3954"}, Phase: PhaseOnboard, Owner: MVM,
		Title: "Transition to the migration team and migration documentation", Needs: []string{"test-migration", "collaboration-site"}},

	// migrate
	{Key: "migration-events", IDs: []string{"1871"}, Phase: PhaseMigrate, Owner: MVM,
		Title: "Manage scheduled migration events (batches, pilot, velocity)",
		Needs: []string{"migration-handover", "issue-tracker", "known-errors", "reporting-workshop"}},
	{Key: "migration-issues", IDs: []string{"2481"}, Phase: PhaseMigrate, Owner: MVM,
		Title: "Manage post-migration issues with the MST", Needs: []string{"migration-events"}},
	{Key: "dns-mail-flow", IDs: []string{"1370"}, Phase: PhaseMigrate, Owner: FRP, Condition: IfMail,
		Title: "Post-mail-migration DNS records and mail flow", Needs: []string{"migration-events"}},

	// close
	{Key: "decommission", IDs: []string{"2323"}, Phase: PhaseClose, Owner: MVM,
		Title: "Decommission the environment and remove migration credentials",
		Needs: []string{"migration-events", "migration-issues", "dns-mail-flow"}},
}

// table is the validated playbook; byKey indexes it.
var table, byKey = mustLoad(defaultTasks)

func mustLoad(ts []Task) ([]Task, map[string]int) {
	if err := Validate(ts); err != nil {
		// The table is code: a broken one is a programming error that every
		// test run reports at once.
		panic("playbook: invalid task table: " + err.Error())
	}
	ts = slices.Clone(ts)
	idCount := map[string]int{}
	for _, t := range ts {
		for _, id := range t.IDs {
			idCount[id]++
		}
	}
	idx := make(map[string]int, len(ts))
	for i := range ts {
		t := &ts[i]
		idx[t.Key] = i
		t.ref = t.Key
		if len(t.IDs) > 0 && !slices.ContainsFunc(t.IDs, func(id string) bool { return idCount[id] > 1 }) {
			t.ref = t.IDs[0]
		}
	}
	return ts, idx
}

// Tasks returns the whole playbook in table order, whatever the sources. The
// slice and the tasks are the caller's.
func Tasks() []Task {
	ts := make([]Task, len(table))
	for i, t := range table {
		ts[i] = t.clone()
	}
	return ts
}

// TaskByKey returns the task with that key (case-insensitive), and false if
// there is none.
func TaskByKey(key string) (Task, bool) {
	i, ok := byKey[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return Task{}, false
	}
	return table[i].clone(), true
}

// LookupTask returns the tasks a person means by ref, whatever the
// engagement: the task with that key, or every task with that playbook id
// (two for a shared id such as 3169), in table order. A leading "#" is
// ignored. Returns ENOTFOUND if nothing matches. To name one task of an
// engagement, use ResolveTask.
func LookupTask(ref string) ([]Task, error) {
	r := normRef(ref)
	if r == "" {
		return nil, Errorf(EINVALID, "Say which task: a playbook id such as 1699, or a key such as core-onboarding.")
	}
	if i, ok := byKey[r]; ok {
		return []Task{table[i].clone()}, nil
	}
	var ts []Task
	for _, t := range table {
		if t.hasID(r) {
			ts = append(ts, t.clone())
		}
	}
	if len(ts) == 0 {
		return nil, Errorf(ENOTFOUND, "There is no playbook task %q.", strings.TrimSpace(ref))
	}
	return ts, nil
}

func normRef(ref string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(ref)), "#")
}

// Validate checks a task table: every key well formed and unique, ids made of
// digits, known phases, roles, sources and conditions, tasks in phase order,
// and every need a known task of the same or an earlier phase, with no
// cycle. It returns EINVALID naming the first fault.
func Validate(ts []Task) error {
	keys := make(map[string]int, len(ts))
	last := -1
	for i, t := range ts {
		if !validKey(t.Key) {
			return Errorf(EINVALID, "task %d: key %q must be lower-case letters, digits and hyphens, and not all digits", i, t.Key)
		}
		if _, dup := keys[t.Key]; dup {
			return Errorf(EINVALID, "task %s: duplicate key", t.Key)
		}
		keys[t.Key] = i
		if strings.TrimSpace(t.Title) == "" {
			return Errorf(EINVALID, "task %s: no title", t.Key)
		}
		for j, id := range t.IDs {
			if !allDigits(id) {
				return Errorf(EINVALID, "task %s: playbook id %q is not a number", t.Key, id)
			}
			if slices.Contains(t.IDs[:j], id) {
				return Errorf(EINVALID, "task %s: playbook id %s listed twice", t.Key, id)
			}
		}
		p := t.Phase.index()
		if p < 0 {
			return Errorf(EINVALID, "task %s: unknown phase %q", t.Key, t.Phase)
		}
		if p < last {
			return Errorf(EINVALID, "task %s: phase %s after a later phase; keep the table in phase order", t.Key, t.Phase)
		}
		last = p
		if !t.Owner.Valid() {
			return Errorf(EINVALID, "task %s: unknown owner role %q", t.Key, t.Owner)
		}
		for _, r := range t.Helpers {
			if !r.Valid() || r == t.Owner {
				return Errorf(EINVALID, "task %s: helper role %q is unknown or the owner", t.Key, r)
			}
		}
		for j, s := range t.Sources {
			if !s.Valid() || slices.Contains(t.Sources[:j], s) {
				return Errorf(EINVALID, "task %s: source %q is unknown or listed twice", t.Key, s)
			}
		}
		switch t.Condition {
		case Always, IfOnPremExchange, IfMail:
		default:
			return Errorf(EINVALID, "task %s: unknown condition %q", t.Key, t.Condition)
		}
	}
	for _, t := range ts {
		for j, n := range t.Needs {
			k, ok := keys[n]
			switch {
			case !ok:
				return Errorf(EINVALID, "task %s: needs unknown task %q", t.Key, n)
			case n == t.Key:
				return Errorf(EINVALID, "task %s: needs itself", t.Key)
			case slices.Contains(t.Needs[:j], n):
				return Errorf(EINVALID, "task %s: needs %s twice", t.Key, n)
			case ts[k].Phase.index() > t.Phase.index():
				return Errorf(EINVALID, "task %s (%s): needs %s of the later phase %s", t.Key, t.Phase, n, ts[k].Phase)
			}
		}
	}
	return findCycle(ts, keys)
}

// findCycle runs a depth-first search and reports the first cycle as a
// path, so the fault can be found in the table.
func findCycle(ts []Task, keys map[string]int) error {
	const (
		unseen = iota
		active
		finished
	)
	state := make([]int, len(ts))
	var path []string
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case active:
			start := slices.Index(path, ts[i].Key)
			return Errorf(EINVALID, "dependency cycle: %s", strings.Join(append(path[start:], ts[i].Key), " -> "))
		case finished:
			return nil
		}
		state[i] = active
		path = append(path, ts[i].Key)
		for _, n := range ts[i].Needs {
			if err := visit(keys[n]); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[i] = finished
		return nil
	}
	for i := range ts {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

func validKey(k string) bool {
	if k == "" || allDigits(k) || k[0] == '-' || k[len(k)-1] == '-' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
