package cards

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/internal/markdown"
	"github.com/mvmbot/mvmbot/playbook"
)

// Input ids of the set-up form. Cards already sent carry them: never rename.
const (
	FieldCustomer       = "customer"
	FieldTenantDomain   = "tenantDomain"
	FieldSources        = "sources"
	FieldOnPremExchange = "onPremExchange"
	FieldTargetStart    = "targetStart"
	FieldTargetEnd      = "targetEnd"
	FieldRole           = "role"
	FieldSegment        = "segment"
)

// dateLayout is how Input.Date sends a date.
const dateLayout = "2006-01-02"

// SetupForm is the set-up (or edit) form as typed: Raw keeps every field as
// the person sent it, so a refused form comes back as they left it; the
// typed fields are what could be read. Errors, by field id, say what could
// not be read; Problem is a refusal of the whole form (a playbook rule).
type SetupForm struct {
	Customer       string
	TenantDomain   string
	Sources        []playbook.Source
	OnPremExchange bool
	Segment        playbook.Segment // SegmentUnknown when not given
	TargetStart    time.Time        // zero when not given
	TargetEnd      time.Time
	Role           playbook.Role // set-up only: the creator's own role

	Raw     map[string]string
	Errors  map[string]string
	Problem string
}

// OK reports whether every field could be read.
func (f SetupForm) OK() bool { return len(f.Errors) == 0 }

// SetupFormOf fills the form from an engagement, for editing.
func SetupFormOf(e *playbook.Engagement) SetupForm {
	f := SetupForm{
		Customer: e.Customer, TenantDomain: e.TenantDomain, Sources: e.Sources,
		OnPremExchange: e.OnPremExchange, Segment: e.Segment, TargetStart: e.TargetStart, TargetEnd: e.TargetEnd,
	}
	ss := make([]string, len(e.Sources))
	for i, s := range e.Sources {
		ss[i] = string(s)
	}
	f.Raw = map[string]string{
		FieldCustomer:       e.Customer,
		FieldTenantDomain:   e.TenantDomain,
		FieldSources:        strings.Join(ss, ","),
		FieldOnPremExchange: fmt.Sprint(e.OnPremExchange),
		FieldSegment:        string(e.Segment),
	}
	if !e.TargetStart.IsZero() {
		f.Raw[FieldTargetStart] = e.TargetStart.Format(dateLayout)
		f.Raw[FieldTargetEnd] = e.TargetEnd.Format(dateLayout)
	}
	return f
}

// DecodeSetup reads a submitted set-up form (the button's data merged with
// the inputs, as Teams sends it). Every input arrives as a string; a field
// that is missing reads as empty, a field of another type or that cannot
// be parsed gets an entry in Errors. withRole asks for the creator's role
// (set-up, not edit). Whether the values make a valid engagement is
// playbook.NewEngagement's (or Update's) to say. Returns EINVALID when raw
// is not a JSON object.
func DecodeSetup(raw json.RawMessage, withRole bool) (SetupForm, error) {
	m, err := object(raw)
	if err != nil {
		return SetupForm{}, err
	}
	f := SetupForm{Raw: map[string]string{}, Errors: map[string]string{}}
	fields := []string{FieldCustomer, FieldTenantDomain, FieldSources, FieldOnPremExchange, FieldSegment, FieldTargetStart, FieldTargetEnd}
	if withRole {
		fields = append(fields, FieldRole)
	}
	for _, k := range fields {
		switch v := m[k].(type) {
		case nil:
		case string:
			f.Raw[k] = v
		default:
			f.Errors[k] = "Not text; please type it again."
		}
	}
	f.Customer = strings.TrimSpace(f.Raw[FieldCustomer])
	f.TenantDomain = strings.TrimSpace(f.Raw[FieldTenantDomain])
	for s := range strings.SplitSeq(f.Raw[FieldSources], ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		srcs, err := playbook.ParseSources(s)
		if err != nil {
			f.Errors[FieldSources] = playbook.ErrorMessage(err)
			continue
		}
		for _, src := range srcs {
			if !slices.Contains(f.Sources, src) {
				f.Sources = append(f.Sources, src)
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(f.Raw[FieldOnPremExchange])) {
	case "", "false":
	case "true":
		f.OnPremExchange = true
	default:
		f.Errors[FieldOnPremExchange] = "Tick the box or leave it empty."
	}
	if seg, err := playbook.ParseSegment(f.Raw[FieldSegment]); err != nil {
		f.Errors[FieldSegment] = playbook.ErrorMessage(err)
	} else {
		f.Segment = seg
	}
	for _, d := range []struct {
		key string
		dst *time.Time
	}{{FieldTargetStart, &f.TargetStart}, {FieldTargetEnd, &f.TargetEnd}} {
		s := strings.TrimSpace(f.Raw[d.key])
		if s == "" {
			continue
		}
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			f.Errors[d.key] = fmt.Sprintf("%q is not a date (YYYY-MM-DD).", s)
			continue
		}
		*d.dst = t
	}
	if withRole {
		if s := strings.TrimSpace(f.Raw[FieldRole]); s == "" {
			f.Errors[FieldRole] = "Say which role you play in this engagement."
		} else if r, err := playbook.ParseRole(s); err != nil {
			f.Errors[FieldRole] = playbook.ErrorMessage(err)
		} else {
			f.Role = r
		}
	}
	return f, nil
}

// SetupParams are what the set-up card needs besides the form.
type SetupParams struct {
	// Target is the button's data: the engagement and version being edited;
	// zero for a new engagement.
	Target ActionData
	Notice string // a line above the form, e.g. why it came back
}

// Setup is the set-up form, or the edit form when p.Target names an
// engagement: the fields hold f.Raw, with f.Errors under their fields and
// f.Problem at the top.
func Setup(f SetupForm, p SetupParams) *Card {
	editing := p.Target.Engagement != ""
	title, intro, button := "Set up this engagement",
		"One engagement is one customer migration, run in this conversation. You become its lead; add the others with **role @person ROLE** afterwards.",
		"Set up"
	if editing {
		title, intro, button = "Edit the engagement", "Change the details; the history records what changed.", "Save"
	}
	raw := func(k string) string { return f.Raw[k] }
	opts := func(k, label, placeholder string, required bool) InputOpts {
		return InputOpts{Label: label, Placeholder: placeholder, Value: raw(k), Required: required, Error: f.Errors[k]}
	}
	sources := make([]Choice, 0, len(playbook.Sources()))
	for _, s := range playbook.Sources() {
		sources = append(sources, Choice{Title: sourceTitle(s), Value: string(s)})
	}
	var head []Element
	head = append(head, Title(title))
	if p.Notice != "" {
		head = append(head, Notice(p.Notice, true))
	}
	if f.Problem != "" {
		head = append(head, Notice(f.Problem, true))
	}
	head = append(head, Text(intro))
	body := Body(head,
		TextInput(FieldCustomer, opts(FieldCustomer, "Customer", "Contoso Ltd", true), false, 200),
		TextInput(FieldTenantDomain, opts(FieldTenantDomain, "Customer tenant domain", "contoso.onmicrosoft.com", true), false, 253),
		ChoiceInput(FieldSources, opts(FieldSources, "Migration sources", "", true), sources, true),
		ToggleInput(FieldOnPremExchange, opts(FieldOnPremExchange, "Exchange", "", false), "The customer has on-premises Exchange (hybrid configuration)"),
		ChoiceInput(FieldSegment, opts(FieldSegment, "Customer segment (decides whether an MVM is engaged besides IMAP)", "Choose the segment", false), segmentChoices(), false),
		DateInput(FieldTargetStart, opts(FieldTargetStart, "Target start (optional)", "", false)),
		DateInput(FieldTargetEnd, opts(FieldTargetEnd, "Target end (optional)", "", false)),
	)
	if !editing {
		roles := []Choice{
			{"FRP: FastTrack Ready Partner", string(playbook.FRP)},
			{"MST: Migration Support Team", string(playbook.MST)},
			{"MVM: Migration Velocity Manager (IMAP, or a customer outside Commercial)", string(playbook.MVM)},
		}
		body = append(body, ChoiceInput(FieldRole, opts(FieldRole, "Your role", "Choose your role", true), roles, false)...)
	}
	c := New(body...)
	c.Actions = []Element{Button(button, VerbSetupSave, p.Target)}
	return c
}

// Existing shows an engagement's details with an edit button: the answer
// to a second set-up. notice says why it is shown.
func Existing(e *playbook.Engagement, notice string, canEdit bool) *Card {
	body := []Element{Title(customer(e))}
	if notice != "" {
		body = append(body, Notice(notice, false))
	}
	body = append(body, Facts(detailFacts(e)...))
	c := New(body...)
	target := ActionData{Engagement: e.ID, Version: e.Version}
	if canEdit && !e.IsClosed() {
		c.Actions = append(c.Actions, Button("Edit details", VerbSetup, target))
	}
	c.Actions = append(c.Actions, quiet(Button("Status", VerbStatus, target)), quiet(Button("Roles", VerbRoles, target)))
	return c
}

func detailFacts(e *playbook.Engagement) []Fact {
	ss := make([]string, len(e.Sources))
	for i, s := range e.Sources {
		ss[i] = sourceTitle(s)
	}
	exch := "no"
	if e.OnPremExchange {
		exch = "yes (hybrid configuration applies)"
	}
	dates := "not agreed yet"
	if !e.TargetStart.IsZero() {
		dates = e.TargetStart.Format(day) + " to " + e.TargetEnd.Format(day)
	}
	lead := "nobody"
	if l, ok := e.Lead(); ok {
		lead = markdown.Escape(l.Name)
	}
	fs := []Fact{
		{"Tenant", e.TenantDomain},
		{"Sources", strings.Join(ss, ", ")},
		{"On-premises Exchange", exch},
		{"Segment", e.Segment.String()},
		{"Target", dates},
		{"Lead", lead},
		{"Set up", e.Created.Format(day) + " by " + memberName(e, e.CreatedBy)},
	}
	if e.IsClosed() {
		fs = append(fs, Fact{"Closed", e.Closed.Format(day) + " by " + memberName(e, e.ClosedBy)})
	}
	return fs
}

// segmentChoices are the customer segments setup offers.
func segmentChoices() []Choice {
	var cs []Choice
	for _, s := range playbook.Segments() {
		cs = append(cs, Choice{Title: string(s), Value: string(s)})
	}
	return cs
}

func sourceTitle(s playbook.Source) string {
	switch s {
	case playbook.GoogleDrive:
		return "Google Drive"
	case playbook.FileShare:
		return "File share"
	}
	return string(s)
}
