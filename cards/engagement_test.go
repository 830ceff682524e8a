package cards_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/chart"
	"github.com/mvmbot/mvmbot/playbook"
)

var t0 = time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)

// sample returns an IMAP + Box engagement with on-premises Exchange, target
// dates, the four roles held, and some work done.
func sample(t testing.TB) *playbook.Engagement {
	t.Helper()
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e1", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP, playbook.Box}, OnPremExchange: true,
		TargetStart: t0, TargetEnd: t0.AddDate(0, 0, 100), Conversation: "19:chan",
	}, playbook.Member{ID: "29:pat", Name: "Pat Partner", Roles: []playbook.Role{playbook.FRP}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		id, name string
		r        playbook.Role
	}{{"29:cy", "Cy Customer", playbook.Customer}, {"29:mo", "Mo Support", playbook.MST}, {"29:vi", "Vi Velocity", playbook.MVM}} {
		if err := playbook.AssignRole(e, "29:pat", playbook.Member{ID: m.id, Name: m.name}, m.r, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := playbook.MarkDone(e, "29:pat", "1699", t0); err != nil {
		t.Fatal(err)
	}
	e.Version = 6
	return e
}

// big returns an engagement at its largest: every source, 80 members, a
// long history.
func big(t *testing.T) *playbook.Engagement {
	t.Helper()
	e := sample(t)
	if err := playbook.Update(e, "29:pat", playbook.EngagementUpdate{Sources: playbook.Sources()}, t0); err != nil {
		t.Fatal(err)
	}
	for i := range 80 {
		m := playbook.Member{ID: fmt.Sprintf("29:member-%02d", i), Name: strings.Repeat("Long Name ", 5) + fmt.Sprint(i)}
		if err := playbook.AssignRole(e, "29:pat", m, playbook.Roles()[i%4], t0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 200 {
		e.History = append(e.History, playbook.AuditEntry{At: t0, Actor: "29:pat", Action: playbook.ActionMarkDone, Task: "assessment", Detail: strings.Repeat("x", 300) + fmt.Sprint(i)})
	}
	return e
}

// picture is e's progress picture, as the bot draws it.
func picture(t *testing.T, e *playbook.Engagement, now time.Time) cards.Picture {
	t.Helper()
	p, err := chart.Picture(e, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// engagementCards is every engagement card builder in the states worth
// checking; TestEveryCardValidates walks them.
func engagementCards(t *testing.T) map[string]*cards.Card {
	e, b := sample(t), big(t)
	closed := sample(t)
	if err := playbook.Close(closed, "29:vi", "cancelled", t0); err != nil {
		t.Fatal(err)
	}
	bad, err := cards.DecodeSetup(json.RawMessage(`{"customer":"Fabrikam","sources":"IMAP,Lotus","targetStart":"soon","role":"boss","onPremExchange":7}`), true)
	if err != nil {
		t.Fatal(err)
	}
	bad.Problem = "Give the customer's tenant domain."
	undo := cards.ActionData{Engagement: "e1", Version: 7, Task: "assessment"}
	// Another engagement with the same optional tasks: its inputs must
	// not share ids with e's.
	other := big(t)
	other.ID = "e2"
	m := map[string]*cards.Card{
		"setup, empty":         cards.Setup(cards.SetupForm{}, cards.SetupParams{}),
		"setup, errors kept":   cards.Setup(bad, cards.SetupParams{Notice: "Fix the fields below."}),
		"setup, edit":          cards.Setup(cards.SetupFormOf(e), cards.SetupParams{Target: cards.ActionData{Engagement: "e1", Version: 6}}),
		"existing":             cards.Existing(e, "This conversation already has an engagement.", true),
		"existing, closed":     cards.Existing(closed, "", false),
		"roles":                cards.Roles(e, "Mo Support now holds MST.", "29:cy"),
		"roles, lead":          cards.Roles(e, "", "29:pat"),
		"roles, big":           cards.Roles(b, "", "29:pat"),
		"roles, closed":        cards.Roles(closed, "", "29:vi"),
		"next, FRP":            cards.Next(cards.NextView{PersonID: "29:pat", Name: "Pat Partner", Sections: []*playbook.Engagement{e}, Notice: "1699 is done.", Undo: &undo}),
		"next, MST big":        cards.Next(cards.NextView{PersonID: "29:member-02", Sections: []*playbook.Engagement{b}}),
		"next, MVM":            cards.Next(cards.NextView{PersonID: "29:vi", Sections: []*playbook.Engagement{e}}),
		"next, not a member":   cards.Next(cards.NextView{PersonID: "29:stranger", Sections: []*playbook.Engagement{e}, Notice: "Stale card.", Attention: true}),
		"next, closed":         cards.Next(cards.NextView{PersonID: "29:pat", Sections: []*playbook.Engagement{closed}}),
		"next, personal":       cards.Next(cards.NextView{PersonID: "29:pat", Personal: true, Sections: []*playbook.Engagement{e, other, closed}}),
		"next, personal, none": cards.Next(cards.NextView{PersonID: "29:pat", Personal: true}),
		"status":               cards.Status(e, t0.AddDate(0, 2, 0), picture(t, e, t0.AddDate(0, 2, 0))),
		"status, no dates":     cards.Status(closed, t0, cards.Picture{}),
		"status, big, overdue": cards.Status(b, t0.AddDate(1, 0, 0), picture(t, b, t0.AddDate(1, 0, 0))),
		"history":              cards.History(e, 1),
		"history, big":         cards.History(b, 1),
		"history, p2":          cards.History(b, 2),
		"history, p999":        cards.History(b, 999),
		"installed, team":      cards.Installed(botName, false),
		"installed, personal":  cards.Installed(botName, true),
	}
	return m
}

func TestNextCardRefreshesForMembers(t *testing.T) {
	e := big(t)
	c := cards.Next(cards.NextView{PersonID: "29:pat", Sections: []*playbook.Engagement{e}})
	if c.Refresh == nil || len(c.Refresh.UserIDs) != cards.MaxRefreshUsers {
		t.Fatalf("refresh = %+v; want userIds capped at %d", c.Refresh, cards.MaxRefreshUsers)
	}
	if c.Refresh.Action.Get("verb") != cards.VerbNext {
		t.Errorf("refresh verb = %v, want %s", c.Refresh.Action.Get("verb"), cards.VerbNext)
	}
	p := cards.Next(cards.NextView{PersonID: "29:pat", Personal: true, Sections: []*playbook.Engagement{e}})
	if got := p.Refresh.UserIDs; len(got) != 1 || got[0] != "29:pat" {
		t.Errorf("personal refresh userIds = %v, want only the person", got)
	}
}

func TestNextCardButtons(t *testing.T) {
	e := sample(t)
	raw, _ := json.Marshal(cards.Next(cards.NextView{PersonID: "29:pat", Sections: []*playbook.Engagement{e}}))
	s := string(raw)
	// The FRP's ready task after 1699 is core onboarding, with a Done button
	// carrying the engagement, its version and the task key.
	if !strings.Contains(s, `"data":{"engagement":"e1","version":6,"task":"core-onboarding"}`) {
		t.Errorf("no Done button for core-onboarding with engagement and version:\n%s", s)
	}
	// The customer has no Done button for the FRP's tasks.
	raw, _ = json.Marshal(cards.Next(cards.NextView{PersonID: "29:cy", Sections: []*playbook.Engagement{e}}))
	if strings.Contains(string(raw), "core-onboarding") {
		t.Error("the customer's card offers the FRP's task")
	}
}

func TestDecodeAction(t *testing.T) {
	tests := []struct {
		in      string
		want    cards.ActionData
		wantErr bool
	}{
		{`{"engagement":"e1","version":3,"task":"assessment","reason-x":"y"}`, cards.ActionData{Engagement: "e1", Version: 3, Task: "assessment"}, false},
		{`{"verb":"done","engagement":" e1 "}`, cards.ActionData{Verb: "done", Engagement: "e1"}, false},
		{`{}`, cards.ActionData{}, false},
		{`null`, cards.ActionData{}, false},
		{``, cards.ActionData{}, false},
		{`{"engagement":7}`, cards.ActionData{}, true},
		{`{"version":"3"}`, cards.ActionData{}, true},
		{`{"version":2.5}`, cards.ActionData{}, true},
		{`{"version":-1}`, cards.ActionData{}, true},
		{`{"task":["a"]}`, cards.ActionData{}, true},
		{`[1,2]`, cards.ActionData{}, true},
		{`"done"`, cards.ActionData{}, true},
	}
	for _, tt := range tests {
		got, err := cards.DecodeAction(json.RawMessage(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("DecodeAction(%s) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("DecodeAction(%s): code %s, want invalid", tt.in, playbook.ErrorCode(err))
		}
	}
}

func TestDecodeSetup(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		withRole   bool
		wantErrors []string // field ids with an error
		check      func(cards.SetupForm) bool
	}{
		{"complete", `{"customer":" Contoso ","tenantDomain":"contoso.com","sources":"IMAP,Box","onPremExchange":"true","targetStart":"2027-01-04","targetEnd":"2027-04-14","role":"frp"}`, true, nil,
			func(f cards.SetupForm) bool {
				return f.Customer == "Contoso" && len(f.Sources) == 2 && f.OnPremExchange && f.Role == playbook.FRP && f.TargetEnd.Equal(time.Date(2027, 4, 14, 0, 0, 0, 0, time.UTC))
			}},
		{"google workspace is its mail and its drive", `{"sources":"Google Workspace, imap"}`, false, nil,
			func(f cards.SetupForm) bool {
				return slices.Equal(f.Sources, []playbook.Source{playbook.IMAP, playbook.GoogleDrive})
			}},
		{"missing fields read empty", `{}`, false, nil, func(f cards.SetupForm) bool { return f.Customer == "" && len(f.Sources) == 0 }},
		{"role required at set-up", `{"customer":"C"}`, true, []string{"role"}, nil},
		{"wrong types", `{"customer":5,"sources":["IMAP"],"onPremExchange":true}`, false, []string{"customer", "sources", "onPremExchange"}, nil},
		{"unparsable values", `{"sources":"IMAP,Lotus Notes","targetStart":"next week","onPremExchange":"maybe","role":"boss"}`, true, []string{"sources", "targetStart", "onPremExchange", "role"},
			func(f cards.SetupForm) bool { return f.Raw["targetStart"] == "next week" && len(f.Sources) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := cards.DecodeSetup(json.RawMessage(tt.in), tt.withRole)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.wantErrors {
				if f.Errors[k] == "" {
					t.Errorf("no error for %s; errors %v", k, f.Errors)
				}
			}
			if len(f.Errors) != len(tt.wantErrors) {
				t.Errorf("errors %v, want only %v", f.Errors, tt.wantErrors)
			}
			if tt.check != nil && !tt.check(f) {
				t.Errorf("decoded %+v", f)
			}
		})
	}
	if _, err := cards.DecodeSetup(json.RawMessage(`[]`), true); playbook.ErrorCode(err) != playbook.EINVALID {
		t.Errorf("DecodeSetup([]) error %v, want invalid", err)
	}
}

// TestRolesOffersHandover: the roles card offers "Hand over the lead…" to
// those playbook.Can lets hand it over (the lead, the MVM of an IMAP
// engagement), listing every member but the lead, and to nobody once the
// engagement is closed.
func TestRolesOffersHandover(t *testing.T) {
	e := sample(t)
	closed := sample(t)
	if err := playbook.Close(closed, "29:vi", "cancelled", t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		e      *playbook.Engagement
		viewer string
		offer  bool
	}{
		{"the lead", e, "29:pat", true},
		{"the MVM", e, "29:vi", true},
		{"the customer", e, "29:cy", false},
		{"a stranger", e, "29:stranger", false},
		{"closed, the lead", closed, "29:pat", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(cards.Roles(tt.e, "", tt.viewer))
			if err != nil {
				t.Fatal(err)
			}
			s := string(raw)
			if got := strings.Contains(s, "Hand over the lead"); got != tt.offer {
				t.Fatalf("offers the handover: %v, want %v: %s", got, tt.offer, s)
			}
			if !tt.offer {
				return
			}
			for _, want := range []string{`"verb":"lead"`, `"value":"29:mo"`, `"value":"29:vi"`, fmt.Sprintf(`"version":%d`, tt.e.Version)} {
				if !strings.Contains(s, want) {
					t.Errorf("handover lacks %s: %s", want, s)
				}
			}
			if strings.Contains(s, `"value":"29:pat"`) {
				t.Errorf("the lead is offered the lead: %s", s)
			}
			if strings.Contains(s, `"value":"29:cy"`) {
				t.Errorf("the customer is offered the lead: %s", s)
			}
		})
	}
}

// BenchmarkNextCard is the card of a "next steps" turn in the personal
// chat: built, then encoded as the connector sends it.
func BenchmarkNextCard(b *testing.B) {
	e := sample(b)
	view := cards.NextView{PersonID: "29:pat", Personal: true, Sections: []*playbook.Engagement{e}}
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = cards.Next(view)
		}
	})
	c := cards.Next(view)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode-reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal((*plainCard)(c)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestReason reads the not-applicable reason under the id naming the
// engagement, and under the bare task id of cards posted before.
func TestReason(t *testing.T) {
	d := cards.ActionData{Engagement: "e2", Task: "dns-mail-flow"}
	for _, tt := range []struct {
		m       map[string]any
		want    any
		present bool
	}{
		{map[string]any{cards.ReasonInput("e2", "dns-mail-flow"): "no mail"}, "no mail", true},
		{map[string]any{"reason-dns-mail-flow": "old card"}, "old card", true},
		{map[string]any{cards.ReasonInput("e1", "dns-mail-flow"): "other engagement"}, nil, false},
		{map[string]any{}, nil, false},
	} {
		if v, ok := cards.Reason(tt.m, d); v != tt.want || ok != tt.present {
			t.Errorf("Reason(%v) = %v, %v; want %v, %v", tt.m, v, ok, tt.want, tt.present)
		}
	}
}

// TestStatusNamesTasks: the status card names open tasks by id or title,
// never by key ("workshop-box" reads as code).
func TestStatusNamesTasks(t *testing.T) {
	raw, err := json.Marshal(cards.Status(sample(t), t0.AddDate(0, 2, 0), cards.Picture{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"workshop-box", "inventory-box", "migration-decision"} {
		if strings.Contains(string(raw), key) {
			t.Errorf("status card names %s by its key: %s", key, raw)
		}
	}
	if !strings.Contains(string(raw), "Box migration workshop (MST)") {
		t.Errorf("status card lacks the workshop's title: %s", raw)
	}
}
