package playbook

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The transitions below share one contract: they check in a fixed order
// (engagement open, input, permission via Can, task state, dependencies),
// change e in place only when every check passes, append exactly one
// AuditEntry, and never touch e.Version. On error e is unchanged and the
// error is an *Error whose message a person can read. A caller that needs
// the state before the change (to diff, or to retry on a version conflict)
// takes e.Clone() first.

// NewEngagementParams are what the person setting up an engagement gives.
type NewEngagementParams struct {
	// ID is the store's; NewEngagement keeps it as given, even empty.
	ID             string
	Customer       string
	TenantDomain   string // "contoso.onmicrosoft.com" or a verified domain
	Sources        []Source
	OnPremExchange bool
	Segment        Segment
	// TargetStart and TargetEnd are both set or both zero (dates not yet
	// agreed: no phase is ever overdue).
	TargetStart  time.Time
	TargetEnd    time.Time
	Conversation string
}

// NewEngagement sets up an engagement. creator becomes its first member and
// its lead, with creator.Roles. Sources are deduplicated and put in
// canonical order, the domain is lower-cased. Returns EINVALID for a missing
// customer, no or unknown sources, a malformed domain, only one target
// date or an end not after the start, a creator without id or roles, or the
// MVM role outside an IMAP engagement; EFORBIDDEN when the creator's roles
// may not set up (see Can).
func NewEngagement(p NewEngagementParams, creator Member, now time.Time) (*Engagement, error) {
	now = now.UTC()
	d := details{p.Customer, p.TenantDomain, p.Sources, p.OnPremExchange, p.TargetStart, p.TargetEnd, p.Segment}
	if err := d.normalize(); err != nil {
		return nil, err
	}
	creator.ID = strings.TrimSpace(creator.ID)
	creator.Name = strings.TrimSpace(creator.Name)
	if creator.ID == "" {
		return nil, Errorf(EINVALID, "Who is setting this engagement up? The creator has no Teams user id.")
	}
	rs, err := normRoles(creator.Roles)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, Errorf(EINVALID, "Say which role you play in this engagement: %s.", joinRoles(roles))
	}
	if hasRole(rs, MVM) && !MVMApplies(&Engagement{Sources: d.sources, Segment: d.segment}) {
		return nil, errMVMNotApplicable(&Engagement{Sources: d.sources, Segment: d.segment})
	}
	creator.Roles = rs
	creator.Lead = true

	e := &Engagement{
		ID:             p.ID,
		Customer:       d.customer,
		TenantDomain:   d.domain,
		Sources:        d.sources,
		OnPremExchange: d.onPremExchange,
		Segment:        d.segment,
		TargetStart:    d.start,
		TargetEnd:      d.end,
		Conversation:   p.Conversation,
		Members:        []Member{creator},
		Created:        now,
		CreatedBy:      creator.ID,
	}
	if err := Can(e, creator.ID, ActionSetUp, nil); err != nil {
		return nil, err
	}
	if hasRole(rs, Customer) {
		return nil, errLeadCustomer(creator.display())
	}
	e.audit(now, creator.ID, ActionSetUp, "", d.describe())
	return e, nil
}

// EngagementUpdate changes an engagement's details: nil fields stay as they
// are. Sources, when not nil, replace the sources.
type EngagementUpdate struct {
	Customer       *string
	TenantDomain   *string
	Sources        []Source
	OnPremExchange *bool
	Segment        *Segment
	TargetStart    *time.Time
	TargetEnd      *time.Time
}

// Update applies u to e, validated as NewEngagement validates. A new source
// or condition brings its tasks in as open, even under tasks already done;
// the states of tasks that no longer apply are kept and count again if the
// task comes back. Returns ECONFLICT when e is closed, EFORBIDDEN unless the actor is
// the lead or the MVM, EINVALID for invalid details or for removing IMAP
// while someone holds the MVM role. An update that changes nothing returns
// nil and records nothing.
func Update(e *Engagement, actorID string, u EngagementUpdate, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	d := details{e.Customer, e.TenantDomain, e.Sources, e.OnPremExchange, e.TargetStart, e.TargetEnd, e.Segment}
	if u.Segment != nil {
		d.segment = *u.Segment
	}
	if u.Customer != nil {
		d.customer = *u.Customer
	}
	if u.TenantDomain != nil {
		d.domain = *u.TenantDomain
	}
	if u.Sources != nil {
		d.sources = u.Sources
	}
	if u.OnPremExchange != nil {
		d.onPremExchange = *u.OnPremExchange
	}
	if u.TargetStart != nil {
		d.start = *u.TargetStart
	}
	if u.TargetEnd != nil {
		d.end = *u.TargetEnd
	}
	if err := d.normalize(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionUpdate, nil); err != nil {
		return err
	}
	if mvms := e.Holders(MVM); len(mvms) > 0 && !MVMApplies(&Engagement{Sources: d.sources, Segment: d.segment}) {
		return Errorf(EINVALID, "%s holds the MVM role, which exists only in IMAP engagements and for customers outside the commercial segment. Remove that role first.", mvms[0].display())
	}
	old := details{e.Customer, e.TenantDomain, e.Sources, e.OnPremExchange, e.TargetStart, e.TargetEnd, e.Segment}
	changes := old.diff(d)
	if changes == "" {
		return nil
	}
	e.Customer, e.TenantDomain, e.Sources, e.OnPremExchange, e.Segment = d.customer, d.domain, d.sources, d.onPremExchange, d.segment
	e.TargetStart, e.TargetEnd = d.start, d.end
	e.audit(now, actorID, ActionUpdate, "", changes)
	return nil
}

// MarkDone records task ref (a key or a playbook id, see ResolveTask) as done
// by actorID, on the owner's behalf when the actor is a helper role of the
// task, and returns the task. Returns ECONFLICT when e is closed or the task
// is already done or marked not applicable; ENOTFOUND or EINVALID when ref
// names no task of e; EFORBIDDEN (see Can); EINVALID naming the blockers
// while a need is still open; EINVALID saying how it completes for a task
// whose evidence is not there (HowCompletes).
func MarkDone(e *Engagement, actorID, ref string, now time.Time) (Task, error) {
	t, onBehalf, err := e.prepareTask(actorID, ActionMarkDone, ref)
	if err != nil {
		return Task{}, err
	}
	if err := e.checkOpenTask(t); err != nil {
		return Task{}, err
	}
	if bs := openNeeds(e, t); len(bs) > 0 {
		return Task{}, Errorf(EINVALID, "%s waits for %s. Those come first.", t.Ref(), e.describeBlockers(bs))
	}
	c := HowCompletes(e, t)
	if !c.Present {
		return Task{}, Errorf(EINVALID, "%s", c.How)
	}
	e.settle(t, TaskState{Status: StatusDone, By: actorID, OnBehalfOf: onBehalf, At: now.UTC()})
	var detail []string
	if onBehalf != "" {
		detail = append(detail, "on behalf of the "+string(onBehalf))
	}
	if c.Evidence != EvidenceNone {
		detail = append(detail, "by evidence: "+string(c.Evidence))
	}
	e.audit(now, actorID, ActionMarkDone, t.Key, strings.Join(detail, ", "))
	e.completeWaiting(now)
	return t, nil
}

// Reopen sets a done or not-applicable task back to open and returns it.
// Those who may mark a task done may reopen it when done; those who may mark
// it not applicable may reopen it when so marked. Returns ECONFLICT when e
// is closed or the task is already open; EINVALID naming them while tasks
// that need it are settled (reopen those first, so that no settled task
// rests on an open one); and the errors of ResolveTask and Can.
func Reopen(e *Engagement, actorID, ref string, now time.Time) (Task, error) {
	if err := e.checkOpen(); err != nil {
		return Task{}, err
	}
	t, err := ResolveTask(e, ref)
	if err != nil {
		return Task{}, err
	}
	was := e.State(t.Key).Status
	a := ActionReopen
	if was == StatusNotApplicable {
		a = ActionMarkNotApplicable
	}
	onBehalf, err := authorize(e, actorID, a, &t)
	if err != nil {
		return Task{}, err
	}
	if was == StatusOpen {
		return Task{}, Errorf(ECONFLICT, "%s is already open.", t.Ref())
	}
	if ds := settledDependents(e, t); len(ds) > 0 {
		if len(ds) == 1 {
			return Task{}, Errorf(EINVALID, "%s cannot be reopened while %s, which needs it, is settled. Reopen that first.", t.Ref(), refs(ds))
		}
		return Task{}, Errorf(EINVALID, "%s cannot be reopened while %s, which need it, are settled. Reopen those first.", t.Ref(), refs(ds))
	}
	delete(e.States, t.Key)
	detail := "was " + strings.ReplaceAll(string(was), "_", " ")
	if onBehalf != "" {
		detail += ", on behalf of the " + string(onBehalf)
	}
	e.audit(now, actorID, ActionReopen, t.Key, detail)
	return t, nil
}

// MarkNotApplicable records that task ref does not apply to this engagement,
// with the reason, and returns the task. Only Skippable tasks (optional or
// conditional) may be marked. Returns EINVALID for a task that is not
// skippable or an empty reason; ECONFLICT when e is closed or the task is
// already done or marked; and the errors of ResolveTask and Can.
func MarkNotApplicable(e *Engagement, actorID, ref, reason string, now time.Time) (Task, error) {
	if err := e.checkOpen(); err != nil {
		return Task{}, err
	}
	t, err := ResolveTask(e, ref)
	if err != nil {
		return Task{}, err
	}
	if !t.Skippable() {
		var sk []Task
		for _, x := range table {
			if x.Skippable() && Applies(e, x) {
				sk = append(sk, x)
			}
		}
		return Task{}, Errorf(EINVALID, "%s is part of every engagement and cannot be marked not applicable. Only optional and conditional tasks can: %s.", t.Ref(), refs(sk))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Task{}, Errorf(EINVALID, "Say why %s does not apply; the reason goes into the engagement's history.", t.Ref())
	}
	if err := Can(e, actorID, ActionMarkNotApplicable, &t); err != nil {
		return Task{}, err
	}
	if err := e.checkOpenTask(t); err != nil {
		return Task{}, err
	}
	e.settle(t, TaskState{Status: StatusNotApplicable, By: actorID, At: now.UTC(), Reason: reason})
	e.audit(now, actorID, ActionMarkNotApplicable, t.Key, reason)
	return t, nil
}

// AssignRole gives role r to person m (ID required; AADObjectID and Name
// update the member's record when given; m.Roles and m.Lead are ignored),
// adding m to the engagement if they are not yet a member. Returns
// ECONFLICT when e is closed or m already holds r; EINVALID for an unknown
// role, a person without id, or MVM outside an IMAP engagement; EFORBIDDEN
// unless the actor is the lead or the MVM.
func AssignRole(e *Engagement, actorID string, m Member, r Role, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if !r.Valid() {
		return Errorf(EINVALID, "%q is not a role. Roles: %s.", r, joinRoles(roles))
	}
	m.ID, m.Name, m.AADObjectID, m.Email = strings.TrimSpace(m.ID), strings.TrimSpace(m.Name), strings.TrimSpace(m.AADObjectID), strings.TrimSpace(m.Email)
	if m.ID == "" {
		return Errorf(EINVALID, "Say who gets the %s role: the person has no Teams user id.", r)
	}
	if r == MVM && !MVMApplies(e) {
		return errMVMNotApplicable(e)
	}
	if err := Can(e, actorID, ActionAssignRole, nil); err != nil {
		return err
	}
	i := e.memberIndex(m.ID)
	if i >= 0 && r == Customer && e.Members[i].Lead {
		return errLeadCustomer(e.Members[i].display())
	}
	if i >= 0 && e.Members[i].Has(r) {
		return Errorf(ECONFLICT, "%s already holds the %s role.", e.Members[i].display(), r)
	}
	if i < 0 {
		e.Members = append(e.Members, Member{ID: m.ID})
		i = len(e.Members) - 1
	}
	x := &e.Members[i]
	if m.Name != "" {
		x.Name = m.Name
	}
	if m.AADObjectID != "" {
		x.AADObjectID = m.AADObjectID
	}
	if m.Email != "" {
		x.Email = m.Email
	}
	x.Roles = append(x.Roles, r)
	slices.SortFunc(x.Roles, func(a, b Role) int { return slices.Index(roles, a) - slices.Index(roles, b) })
	e.audit(now, actorID, ActionAssignRole, "", fmt.Sprintf("%s to %s (%s)", r, x.display(), x.ID))
	return nil
}

// RemoveRole takes role r from the member with that id. A member left with
// no role who is not the lead leaves the engagement. Removing the last
// holder of a role that owns open tasks is the lead's decision alone
// (UnownedTasks says, afterwards, what it left without an owner). Returns
// ECONFLICT when e is closed; EINVALID for an unknown role; EFORBIDDEN unless the actor
// is the lead or the MVM, or is not the lead when the role's last holder
// goes with open tasks; ENOTFOUND when the person is not a member or does
// not hold r.
func RemoveRole(e *Engagement, actorID, memberID string, r Role, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if !r.Valid() {
		return Errorf(EINVALID, "%q is not a role. Roles: %s.", r, joinRoles(roles))
	}
	if err := Can(e, actorID, ActionRemoveRole, nil); err != nil {
		return err
	}
	i := e.memberIndex(memberID)
	if i < 0 {
		return Errorf(ENOTFOUND, "%s is not a member of this engagement.", memberID)
	}
	m := e.Members[i]
	if !m.Has(r) {
		return Errorf(ENOTFOUND, "%s does not hold the %s role. Their roles: %s.", m.display(), r, joinRoles(m.Roles))
	}
	if len(e.Holders(r)) == 1 {
		if left := unownedIf(e, r); len(left) > 0 {
			if l, ok := e.Lead(); !ok || l.ID != actorID {
				return Errorf(EFORBIDDEN, "%s is the last %s, whose open tasks (%s) would be left without an owner. Only %s can remove the last holder of a role with open tasks; or give the role to someone else first.",
					m.display(), r, refs(left), e.leadName())
			}
		}
	}
	m.Roles = slices.DeleteFunc(m.Roles, func(x Role) bool { return x == r })
	detail := fmt.Sprintf("%s from %s (%s)", r, m.display(), m.ID)
	if len(m.Roles) == 0 && !m.Lead {
		e.Members = slices.Delete(e.Members, i, i+1)
		detail += "; no role left, left the engagement"
	} else {
		e.Members[i] = m
	}
	e.audit(now, actorID, ActionRemoveRole, "", detail)
	return nil
}

// SetLead hands the lead to the member with that id. Returns ECONFLICT when
// e is closed or they already lead; EFORBIDDEN unless the actor is the lead
// or the MVM; ENOTFOUND when the person is not a member; EINVALID when they
// hold the Customer role or none of FRP, MST and MVM: the lead is on the
// partner or Microsoft side.
func SetLead(e *Engagement, actorID, memberID string, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionSetLead, nil); err != nil {
		return err
	}
	i := e.memberIndex(memberID)
	if i < 0 {
		return Errorf(ENOTFOUND, "%s is not a member of this engagement; give them a role first.", memberID)
	}
	if e.Members[i].Lead {
		return Errorf(ECONFLICT, "%s already leads this engagement.", e.Members[i].display())
	}
	if to := e.Members[i]; !to.CanLead() {
		return errLeadCustomer(to.display())
	}
	for j := range e.Members {
		e.Members[j].Lead = j == i
	}
	e.audit(now, actorID, ActionSetLead, "", fmt.Sprintf("to %s (%s)", e.Members[i].display(), e.Members[i].ID))
	return nil
}

// Close ends the engagement and completes 2323, the close-out, which Close
// itself is the evidence of. With every other task settled, reason may be
// empty; with tasks still open (the customer cancelled, say), a reason is
// required, and every open task is set aside as not applicable with that
// reason, marked as an override: a closed engagement has no open task.
// Returns ECONFLICT when already closed; EFORBIDDEN (see Can: the MVM where
// the role applies and is held, else the lead); EINVALID naming the open
// tasks when some remain and no reason is given.
func Close(e *Engagement, actorID, reason string, now time.Time) error {
	if err := e.checkOpen(); err != nil {
		return err
	}
	if err := Can(e, actorID, ActionClose, nil); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	var open []Task
	for _, t := range table {
		if t.Key != closeTask && Applies(e, t) && e.State(t.Key).Status == StatusOpen {
			open = append(open, t)
		}
	}
	if len(open) > 0 && reason == "" {
		return Errorf(EINVALID, "%s still open: %s. Give a reason to close anyway, such as the customer cancelling.", nOf(len(open), "task is", "tasks are"), refs(open))
	}
	if len(reason) > MaxReasonLen {
		return Errorf(EINVALID, "The reason is longer than %d characters.", MaxReasonLen)
	}
	at := now.UTC()
	detail := reason
	if len(open) > 0 {
		for _, t := range open {
			e.settle(t, TaskState{Status: StatusNotApplicable, By: actorID, At: at, Reason: "engagement closed: " + reason, Override: true})
		}
		detail = fmt.Sprintf("%s; set aside: %s", reason, refs(open))
		// The tasks set aside are overrides: on record as one, so that
		// status, next and the report list it with the others.
		e.audit(now, actorID, ActionOverride, closeTask, fmt.Sprintf("closed with %s: %s", nOf(len(open), "task set aside", "tasks set aside"), detail))
	}
	if t := table[byKey[closeTask]]; Applies(e, t) && e.State(t.Key).Status == StatusOpen {
		st := TaskState{Status: StatusDone, By: actorID, At: at}
		if len(open) > 0 {
			st = TaskState{Status: StatusNotApplicable, By: actorID, At: at, Reason: "engagement closed: " + reason, Override: true}
		}
		e.settle(t, st)
	}
	e.Closed, e.ClosedBy, e.CloseReason = at, actorID, reason
	e.audit(now, actorID, ActionClose, "", detail)
	return nil
}

// prepareTask runs the checks every task transition starts with.
func (e *Engagement) prepareTask(actorID string, a Action, ref string) (Task, Role, error) {
	if err := e.checkOpen(); err != nil {
		return Task{}, "", err
	}
	t, err := ResolveTask(e, ref)
	if err != nil {
		return Task{}, "", err
	}
	onBehalf, err := authorize(e, actorID, a, &t)
	if err != nil {
		return Task{}, "", err
	}
	return t, onBehalf, nil
}

func (e *Engagement) checkOpen() error {
	if !e.IsClosed() {
		return nil
	}
	by := e.ClosedBy
	if m, ok := e.Member(by); ok {
		by = m.display()
	}
	return Errorf(ECONFLICT, "The %s engagement was closed on %s by %s; it no longer changes.", e.Customer, day(e.Closed), by)
}

// checkOpenTask refuses to settle a task twice.
func (e *Engagement) checkOpenTask(t Task) error {
	st := e.State(t.Key)
	by := st.By
	if m, ok := e.Member(by); ok {
		by = m.display()
	}
	switch st.Status {
	case StatusDone:
		return Errorf(ECONFLICT, "%s is already done (by %s on %s).", t.Ref(), by, day(st.At))
	case StatusNotApplicable:
		return Errorf(ECONFLICT, "%s is already marked not applicable (by %s on %s: %s). Reopen it first.", t.Ref(), by, day(st.At), st.Reason)
	}
	return nil
}

func (e *Engagement) settle(t Task, st TaskState) {
	if e.States == nil {
		e.States = map[string]TaskState{}
	}
	e.States[t.Key] = st
}

func (e *Engagement) audit(now time.Time, actor string, a Action, task, detail string) {
	e.appendHistory(AuditEntry{At: now.UTC(), Actor: actor, Action: a, Task: task, Detail: detail})
}

// UnownedTasks returns the open tasks of e whose owner is r while nobody
// holds r: what removing r's last holder left without an owner.
func UnownedTasks(e *Engagement, r Role) []Task {
	if len(e.Holders(r)) > 0 {
		return nil
	}
	return openOwnedBy(e, r)
}

// unownedIf is UnownedTasks after r's last holder has gone. Removing the
// last MVM hands the MVM's tasks to the MST (Manager), so those count
// only if nobody holds MST either.
func unownedIf(e *Engagement, r Role) []Task {
	c := e.Clone()
	c.Members = slices.DeleteFunc(c.Members, func(m Member) bool { return m.Has(r) && len(m.Roles) == 1 && !m.Lead })
	for i := range c.Members {
		c.Members[i].Roles = slices.DeleteFunc(c.Members[i].Roles, func(x Role) bool { return x == r })
	}
	return UnownedTasks(c, r)
}

func openOwnedBy(e *Engagement, r Role) []Task {
	var ts []Task
	for _, t := range table {
		if Applies(e, t) && OwnerOf(e, t) == r && e.State(t.Key).Status == StatusOpen {
			ts = append(ts, t)
		}
	}
	return ts
}

func errLeadCustomer(name string) error {
	return Errorf(EINVALID, "The lead is on the partner or Microsoft side (FRP, MST or MVM), never the customer, so %s cannot lead this engagement while holding the Customer role or none of those.", name)
}

// describeBlockers names tasks with who holds them up: "1034 (Customer:
// Carol), 4027 (MST: nobody yet)".
func (e *Engagement) describeBlockers(ts []Task) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		owner := OwnerOf(e, t)
		var names []string
		for _, m := range e.Holders(owner) {
			names = append(names, m.display())
		}
		who := "nobody yet"
		if len(names) > 0 {
			who = strings.Join(names, ", ")
		}
		s[i] = fmt.Sprintf("%s %s (%s: %s)", t.Ref(), t.Title, owner, who)
	}
	return strings.Join(s, "; ")
}

// details are the fields NewEngagement and Update validate alike.
type details struct {
	customer       string
	domain         string
	sources        []Source
	onPremExchange bool
	start, end     time.Time
	segment        Segment
}

func (d *details) normalize() error {
	d.customer = strings.Join(strings.Fields(d.customer), " ")
	if d.customer == "" {
		return Errorf(EINVALID, "Give the customer's name.")
	}
	if utf8.RuneCountInString(d.customer) > 200 {
		return Errorf(EINVALID, "The customer's name is longer than 200 characters.")
	}
	dom, err := normDomain(d.domain)
	if err != nil {
		return err
	}
	d.domain = dom
	if len(d.sources) == 0 {
		return Errorf(EINVALID, "Give at least one migration source: %s.", joinSources(sources))
	}
	var ss []Source
	for _, s := range d.sources {
		if !s.Valid() {
			return Errorf(EINVALID, "%q is not a migration source. Sources: %s.", s, joinSources(sources))
		}
		if !hasSource(ss, s) {
			ss = append(ss, s)
		}
	}
	slices.SortFunc(ss, func(a, b Source) int { return sourceIndex(a) - sourceIndex(b) })
	d.sources = ss
	seg, err := ParseSegment(string(d.segment))
	if err != nil {
		return err
	}
	d.segment = seg
	switch {
	case d.start.IsZero() && d.end.IsZero():
	case d.start.IsZero() || d.end.IsZero():
		return Errorf(EINVALID, "Give both target dates, start and end, or neither.")
	case !d.end.After(d.start):
		return Errorf(EINVALID, "The target end (%s) must come after the target start (%s).", day(d.end), day(d.start))
	}
	return nil
}

func (d details) describe() string {
	s := fmt.Sprintf("%s (%s); sources %s", d.customer, d.domain, joinSources(d.sources))
	if d.onPremExchange {
		s += "; on-premises Exchange"
	}
	if d.segment != SegmentUnknown {
		s += "; segment " + string(d.segment)
	}
	if !d.start.IsZero() {
		s += fmt.Sprintf("; target %s to %s", day(d.start), day(d.end))
	}
	return s
}

// diff describes, for the audit history, what changed from d to n; "" if
// nothing did.
func (d details) diff(n details) string {
	var c []string
	if d.customer != n.customer {
		c = append(c, fmt.Sprintf("customer %q -> %q", d.customer, n.customer))
	}
	if d.domain != n.domain {
		c = append(c, fmt.Sprintf("domain %s -> %s", d.domain, n.domain))
	}
	if !slices.Equal(d.sources, n.sources) {
		c = append(c, fmt.Sprintf("sources %s -> %s", joinSources(d.sources), joinSources(n.sources)))
	}
	if d.onPremExchange != n.onPremExchange {
		c = append(c, fmt.Sprintf("on-premises Exchange %t -> %t", d.onPremExchange, n.onPremExchange))
	}
	if d.segment != n.segment {
		c = append(c, fmt.Sprintf("segment %s -> %s", d.segment, n.segment))
	}
	if !d.start.Equal(n.start) || !d.end.Equal(n.end) {
		c = append(c, fmt.Sprintf("target dates %s -> %s", dates(d.start, d.end), dates(n.start, n.end)))
	}
	return strings.Join(c, "; ")
}

func dates(start, end time.Time) string {
	if start.IsZero() {
		return "none"
	}
	return day(start) + " to " + day(end)
}

// normDomain lower-cases a DNS name and checks its shape: at least two
// labels of letters, digits and inner hyphens, 63 characters a label at
// most, and a top-level label that is not all digits (no IP addresses).
func normDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	bad := Errorf(EINVALID, "%q is not a domain name such as contoso.onmicrosoft.com.", strings.TrimSpace(s))
	if d == "" {
		return "", Errorf(EINVALID, "Give the customer's tenant domain, such as contoso.onmicrosoft.com.")
	}
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 || allDigits(labels[len(labels)-1]) {
		return "", bad
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad
			}
		}
	}
	return d, nil
}

func normRoles(rs []Role) ([]Role, error) {
	var out []Role
	for _, r := range rs {
		if !r.Valid() {
			return nil, Errorf(EINVALID, "%q is not a role. Roles: %s.", r, joinRoles(roles))
		}
		if !hasRole(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Role) int { return slices.Index(roles, a) - slices.Index(roles, b) })
	return out, nil
}
