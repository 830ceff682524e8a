package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Engagement is one customer migration, bound to one Teams conversation. It
// is a plain value: a store persists it as JSON, and the functions of this
// package change it in memory. Those functions are not safe for concurrent
// use on the same Engagement; the store serializes writers.
type Engagement struct {
	ID string `json:"id"`
	// Version counts saved changes. This package never touches it: the store
	// bumps it on every save and refuses a save whose Version is stale, and
	// cards carry it so that a click on an old card is detected.
	Version        int      `json:"version"`
	Customer       string   `json:"customer"`
	TenantDomain   string   `json:"tenantDomain"`
	Sources        []Source `json:"sources"`
	OnPremExchange bool     `json:"onPremExchange"`
	// Segment decides, with the sources, whether the MVM role exists
	// (MVMApplies); SegmentUnknown for engagements set up before it was
	// asked.
	Segment     Segment   `json:"segment,omitempty"`
	TargetStart time.Time `json:"targetStart,omitzero"`
	TargetEnd   time.Time `json:"targetEnd,omitzero"`
	// Conversation binds the engagement to its Teams channel or group chat.
	// The bot fills it; this package only carries it.
	Conversation string   `json:"conversation,omitempty"`
	Members      []Member `json:"members"`
	// States holds the state of each task that is not open, by task key. A
	// task that is absent is open.
	States      map[string]TaskState `json:"tasks,omitempty"`
	Created     time.Time            `json:"created"`
	CreatedBy   string               `json:"createdBy"`
	Closed      time.Time            `json:"closed,omitzero"`
	ClosedBy    string               `json:"closedBy,omitempty"`
	CloseReason string               `json:"closeReason,omitempty"`
	// History is append-only: every accepted change adds one entry, and
	// nothing removes or edits one. It may be the tail of the whole
	// history: entry i of History is entry HistoryBase+i of the whole. A
	// store keeps the history apart from the engagement and reads an
	// engagement without it (History empty, HistoryBase the number of
	// entries stored), so that a turn's cost does not grow with the
	// history; the turn appends, and the store writes only the new
	// entries. Readers of older entries load them explicitly (a store's
	// History read, then PrependHistory).
	History []AuditEntry `json:"history"`
	// HistoryBase is how many entries of the whole history come before
	// History (see History).
	HistoryBase int `json:"historyBase,omitempty"`
	// Kept holds copies of the history entries that later decisions read
	// (keptActions: overrides, questionnaire submissions and reviews), in
	// order, so that those decisions need not load the history. They are
	// few: one per decision of a manager or submitted version.
	Kept []AuditEntry `json:"kept,omitempty"`
	// BatchSeq is the last BatchRev given to an event's batch.
	BatchSeq int `json:"batchSeq,omitempty"`
	// Questionnaire holds the submitted questionnaire versions (task 1034),
	// v1 first. Append-only: a version never changes once submitted.
	Questionnaire []QuestionnaireVersion `json:"questionnaire,omitempty"`
	// QuestionnaireDraft is the questionnaire in progress, not validated;
	// nil when there is none.
	QuestionnaireDraft *QuestionnaireDraft `json:"questionnaireDraft,omitempty"`
	// The migration records (issue 8; schedule.go, events.go and their
	// neighbours): accepted plan versions, v1 first and append-only; the
	// events of the latest plan, by number; post-migration issues;
	// escalations; the close-out checklist's checks and waivers by item;
	// satisfaction survey answers.
	Plans       []Plan                `json:"plans,omitempty"`
	Events      []Event               `json:"events,omitempty"`
	Issues      []Issue               `json:"issues,omitempty"`
	Escalations []Escalation          `json:"escalations,omitempty"`
	CloseChecks map[string]CloseCheck `json:"closeChecks,omitempty"`
	Survey      []SurveyResponse      `json:"survey,omitempty"`
	// Workshops holds the MST workshops' meetings (issue 6; meetings.go),
	// by workshop key; a workshop absent is not scheduled.
	Workshops []Workshop `json:"workshops,omitempty"`
	// Feed is the reporting feed's key, hashed (feed.go); nil: no feed.
	Feed *FeedKey `json:"feed,omitempty"`
	// Site is the migration collaboration site (site.go); nil: none yet.
	Site *Site `json:"site,omitempty"`
	// ReportSchedule is when the weekly report is posted
	// (report_schedule.go); nil: the bot's default.
	ReportSchedule *ReportSchedule `json:"reportSchedule,omitempty"`
}

// Member is a person in the engagement.
type Member struct {
	ID          string `json:"id"` // Teams user id, "29:…"
	AADObjectID string `json:"aadObjectId,omitempty"`
	// Email is the address Teams' roster gave for them (their mail, else
	// their user principal name): workshop invitations go to it.
	Email string `json:"email,omitempty"`
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
	// Lead is true for exactly one member: the one who set the engagement up,
	// until SetLead hands over.
	Lead bool `json:"lead,omitempty"`
}

// Has reports whether m holds role r.
func (m Member) Has(r Role) bool {
	return hasRole(m.Roles, r)
}

// CanLead reports whether m may lead an engagement: the lead is on the
// partner or Microsoft side (FRP, MST or MVM), never a customer.
func (m Member) CanLead() bool {
	return !m.Has(Customer) && (m.Has(FRP) || m.Has(MST) || m.Has(MVM))
}

// display is how messages name a person: their name, else their id.
func (m Member) display() string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

func (m Member) clone() Member {
	m.Roles = slices.Clone(m.Roles)
	return m
}

// Status is where a task stands in one engagement.
type Status string

// Task statuses.
const (
	StatusOpen          Status = "open"
	StatusDone          Status = "done"
	StatusNotApplicable Status = "not_applicable"
)

// TaskState records who settled a task, when and why.
type TaskState struct {
	Status Status `json:"status"`
	By     string `json:"by"` // member id of the person who recorded it
	// OnBehalfOf is the owner role when someone else (the lead, the MVM or a
	// helper role) recorded the task for them; empty when the owner did.
	OnBehalfOf Role      `json:"onBehalfOf,omitempty"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason,omitempty"` // why not applicable, or the override's reason
	// Override is true when the task was settled without what normally
	// settles it (its evidence, or its being part of the work: a workshop
	// held elsewhere, tasks set aside by closing early), with Reason.
	Override bool `json:"override,omitempty"`
}

// AuditEntry is one line of an engagement's history.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // member id
	Action Action    `json:"action"`
	Task   string    `json:"task,omitempty"` // task key
	Detail string    `json:"detail,omitempty"`
}

// Clone returns a deep copy of e: changing one never changes the other.
func (e *Engagement) Clone() *Engagement {
	c := *e
	c.Sources = slices.Clone(e.Sources)
	c.Members = make([]Member, len(e.Members))
	for i, m := range e.Members {
		c.Members[i] = m.clone()
	}
	if e.Members == nil {
		c.Members = nil
	}
	if e.States != nil {
		c.States = make(map[string]TaskState, len(e.States))
		for k, v := range e.States {
			c.States[k] = v
		}
	}
	c.History = slices.Clone(e.History)
	c.Kept = slices.Clone(e.Kept)
	c.cloneQuestionnaire(e)
	c.cloneMigration(e)
	c.Workshops = cloneWorkshops(e.Workshops)
	if e.Feed != nil {
		f := *e.Feed
		c.Feed = &f
	}
	c.Site = e.Site.clone()
	if e.ReportSchedule != nil {
		r := *e.ReportSchedule
		c.ReportSchedule = &r
	}
	return &c
}

// IsClosed reports whether the engagement has been closed; a closed
// engagement refuses every change.
func (e *Engagement) IsClosed() bool {
	return !e.Closed.IsZero()
}

// State returns the state of the task with that key; a task never touched
// is StatusOpen.
func (e *Engagement) State(key string) TaskState {
	if st, ok := e.States[key]; ok {
		return st
	}
	return TaskState{Status: StatusOpen}
}

// Member returns a copy of the member with that Teams user id.
func (e *Engagement) Member(id string) (Member, bool) {
	if i := e.memberIndex(id); i >= 0 {
		return e.Members[i].clone(), true
	}
	return Member{}, false
}

// Lead returns a copy of the lead, and false if the engagement has none.
func (e *Engagement) Lead() (Member, bool) {
	for _, m := range e.Members {
		if m.Lead {
			return m.clone(), true
		}
	}
	return Member{}, false
}

// Holders returns copies of the members holding role r, in member order.
func (e *Engagement) Holders(r Role) []Member {
	var ms []Member
	for _, m := range e.Members {
		if m.Has(r) {
			ms = append(ms, m.clone())
		}
	}
	return ms
}

func (e *Engagement) memberIndex(id string) int {
	if id == "" {
		return -1
	}
	return slices.IndexFunc(e.Members, func(m Member) bool { return m.ID == id })
}

func (e *Engagement) hasIMAP() bool {
	return hasSource(e.Sources, IMAP)
}

func (e *Engagement) hasMail() bool {
	return e.OnPremExchange || slices.ContainsFunc(e.Sources, Source.Mail)
}

// Applies reports whether task t is part of engagement e: its sources and
// condition match. A task that applies may still be marked not applicable
// later, if it is Skippable.
func Applies(e *Engagement, t Task) bool {
	return notApplying(e, t) == applies
}

// Why a task is not part of an engagement; applies when it is.
type applicability int

const (
	applies applicability = iota
	otherSource
	noOnPremExchange
	noMail
)

// notApplying is the reason t is not part of e. Applies runs for every
// task on every next-steps question, so it only classifies; whyNot turns
// the reason into a sentence when someone needs one.
func notApplying(e *Engagement, t Task) applicability {
	if len(t.Sources) > 0 && !slices.ContainsFunc(t.Sources, func(s Source) bool { return hasSource(e.Sources, s) }) {
		return otherSource
	}
	switch {
	case t.Condition == IfOnPremExchange && !e.OnPremExchange:
		return noOnPremExchange
	case t.Condition == IfMail && !e.hasMail():
		return noMail
	}
	return applies
}

// whyNot says, for a person, why t is not part of e; "" if it is.
func whyNot(e *Engagement, t Task) string {
	switch notApplying(e, t) {
	case otherSource:
		return fmt.Sprintf("%s (%s) applies only to %s migrations; this engagement migrates %s.",
			t.Ref(), t.Title, joinOr(t.Sources), joinSources(e.Sources))
	case noOnPremExchange:
		return fmt.Sprintf("%s (%s) applies only when the customer has on-premises Exchange, and this engagement has none.", t.Ref(), t.Title)
	case noMail:
		return fmt.Sprintf("%s (%s) applies only when mail is migrated (IMAP or on-premises Exchange); this engagement migrates %s.",
			t.Ref(), t.Title, joinSources(e.Sources))
	}
	return ""
}

func joinOr(ss []Source) string {
	s := joinSources(ss)
	if i := strings.LastIndex(s, ", "); i >= 0 {
		s = s[:i] + " or " + s[i+2:]
	}
	return s
}

// Applicable returns the tasks that are part of e, in table order, including
// those marked not applicable.
func Applicable(e *Engagement) []Task {
	var ts []Task
	for _, t := range table {
		if Applies(e, t) {
			ts = append(ts, t.clone())
		}
	}
	return ts
}

// OwnerOf returns the role that does t in e. The MVM's tasks are held by
// Manager(e): the MVM where the role applies and someone holds it, the MST
// (the migration team) otherwise.
func OwnerOf(e *Engagement, t Task) Role {
	if t.Owner == MVM {
		return Manager(e)
	}
	return t.Owner
}

// ResolveTask returns the one task of e that ref names: a task key, or a
// playbook id (a leading "#" is ignored). Returns ENOTFOUND for a ref that is
// no task at all, and EINVALID, saying why, for a task that is not part of
// this engagement or for an id that names two of its tasks (3169 in a Box
// engagement is both workshop-box and inventory-box: the person must use the
// key).
func ResolveTask(e *Engagement, ref string) (Task, error) {
	cands, err := LookupTask(ref)
	if err != nil {
		return Task{}, err
	}
	var ok []Task
	var why []string
	for _, t := range cands {
		if w := whyNot(e, t); w != "" {
			why = append(why, w)
		} else {
			ok = append(ok, t)
		}
	}
	switch len(ok) {
	case 0:
		return Task{}, Errorf(EINVALID, "%s", strings.Join(why, " "))
	case 1:
		return ok[0], nil
	}
	alts := make([]string, len(ok))
	for i, t := range ok {
		alts[i] = fmt.Sprintf("%s (%s)", t.Key, t.Title)
	}
	return Task{}, Errorf(EINVALID, "%s names %d tasks in this engagement: %s. Name one by its key.",
		normRef(ref), len(ok), strings.Join(alts, "; "))
}

// satisfied reports whether a need no longer holds anything up: it is done,
// marked not applicable, or not part of e at all.
func satisfied(e *Engagement, key string) bool {
	t := table[byKey[key]]
	return !Applies(e, t) || e.State(key).Status != StatusOpen
}

// openNeeds returns the needs of t that still hold it up, in t.Needs order.
func openNeeds(e *Engagement, t Task) []Task {
	var ts []Task
	for _, n := range t.Needs {
		if !satisfied(e, n) {
			ts = append(ts, table[byKey[n]])
		}
	}
	return ts
}

// settledDependents returns the tasks of e that need t and are done or
// marked not applicable: reopening t would leave them settled on an open
// need.
func settledDependents(e *Engagement, t Task) []Task {
	var ts []Task
	for _, d := range table {
		if slices.Contains(d.Needs, t.Key) && Applies(e, d) && e.State(d.Key).Status != StatusOpen {
			ts = append(ts, d)
		}
	}
	return ts
}

func refs(ts []Task) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.Ref()
	}
	return strings.Join(s, ", ")
}

func day(t time.Time) string {
	return t.Format("2 Jan 2006")
}
