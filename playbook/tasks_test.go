package playbook

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultTableIsValid(t *testing.T) {
	if err := Validate(defaultTasks); err != nil {
		t.Fatal(err)
	}
	// Every id the seeds name is somewhere in the table.
	ids := strings.Fields("1699 1635 3169 4119 2467 3009 4027 3614 3312 4008 1034 2979 3615 3282 3160 3159 3158 3157 1141 3217 1672 3392 3306 2474 3954 1871 2481 1370 2323")
	for _, id := range ids {
		if ts, err := LookupTask(id); err != nil || len(ts) == 0 {
			t.Errorf("playbook id %s: %v", id, err)
		}
	}
}

// TestValidateErrors breaks a copy of the table in every way Validate knows.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(ts []Task) []Task
		message string
	}{
		{"empty key", func(ts []Task) []Task { ts[0].Key = ""; return ts }, `key "" must be`},
		{"digit key", func(ts []Task) []Task { ts[0].Key = "1699"; return ts }, `key "1699" must be`},
		{"upper-case key", func(ts []Task) []Task { ts[0].Key = "Assessment"; return ts }, "must be lower-case"},
		{"hyphen-ended key", func(ts []Task) []Task { ts[0].Key = "assessment-"; return ts }, "must be lower-case"},
		{"duplicate key", func(ts []Task) []Task { ts[2].Key = ts[1].Key; return ts }, "task workshop-imap: duplicate key"},
		{"no title", func(ts []Task) []Task { ts[0].Title = " "; return ts }, "no title"},
		{"id not a number", func(ts []Task) []Task { ts[0].IDs = []string{"16a9"}; return ts }, `playbook id "16a9" is not a number`},
		{"id twice", func(ts []Task) []Task { ts[0].IDs = []string{"1699", "1699"}; return ts }, "listed twice"},
		{"unknown phase", func(ts []Task) []Task { ts[0].Phase = "plan"; return ts }, `unknown phase "plan"`},
		{"phase order", func(ts []Task) []Task { ts[1].Phase = PhaseClose; return ts }, "keep the table in phase order"},
		{"unknown owner", func(ts []Task) []Task { ts[0].Owner = "PM"; return ts }, `unknown owner role "PM"`},
		{"helper is owner", func(ts []Task) []Task { ts[0].Helpers = []Role{FRP}; return ts }, "helper role"},
		{"unknown helper", func(ts []Task) []Task { ts[0].Helpers = []Role{"x"}; return ts }, "helper role"},
		{"unknown source", func(ts []Task) []Task { ts[0].Sources = []Source{"SharePoint"}; return ts }, `source "SharePoint"`},
		{"source twice", func(ts []Task) []Task { ts[0].Sources = []Source{Box, Box}; return ts }, "listed twice"},
		{"unknown condition", func(ts []Task) []Task { ts[0].Condition = "maybe"; return ts }, `unknown condition "maybe"`},
		{"unknown need", func(ts []Task) []Task { ts[1].Needs = []string{"lunch"}; return ts }, `needs unknown task "lunch"`},
		{"self need", func(ts []Task) []Task { ts[1].Needs = []string{ts[1].Key}; return ts }, "needs itself"},
		{"need twice", func(ts []Task) []Task { ts[1].Needs = []string{"assessment", "assessment"}; return ts }, "needs assessment twice"},
		{"need of a later phase", func(ts []Task) []Task { ts[0].Needs = []string{"decommission"}; return ts },
			"task assessment (assess): needs decommission of the later phase close"},
		{"cycle", func(ts []Task) []Task {
			i := slices.IndexFunc(ts, func(t Task) bool { return t.Key == "core-onboarding" })
			ts[i].Needs = []string{"exchange-hybrid"}
			return ts
		}, "dependency cycle: core-onboarding -> exchange-hybrid -> identity-sync -> core-onboarding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := make([]Task, len(defaultTasks))
			for i, x := range defaultTasks {
				ts[i] = x.clone()
			}
			wantErr(t, Validate(tt.edit(ts)), EINVALID, tt.message)
		})
	}
}

func TestMustLoadPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "invalid task table") {
			t.Errorf("recover() = %v", r)
		}
	}()
	mustLoad([]Task{{Key: "a"}})
}

func TestLookupTask(t *testing.T) {
	tests := []struct {
		ref  string
		want []string
	}{
		{"1699", []string{"assessment"}},
		{" #1699 ", []string{"assessment"}},
		{"Core-Onboarding", []string{"core-onboarding"}},
		{"3169", []string{"workshop-box", "inventory-box"}},
		{"2467", []string{"workshop-gdrive", "inventory-gdrive"}},
		{"3157", []string{"exchange-hybrid"}},
	}
	for _, tt := range tests {
		ts, err := LookupTask(tt.ref)
		var got []string
		for _, x := range ts {
			got = append(got, x.Key)
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("LookupTask(%q) = %v, %v; want %v", tt.ref, got, err, tt.want)
		}
	}
	_, err := LookupTask("")
	wantErr(t, err, EINVALID, "Say which task")
	_, err = LookupTask("12")
	wantErr(t, err, ENOTFOUND, `There is no playbook task "12".`)
}

func TestResolveTask(t *testing.T) {
	tests := []struct {
		sources []Source
		hybrid  bool
		ref     string
		want    string
	}{
		{[]Source{GoogleDrive}, false, "2467", ""}, // both gdrive tasks: ambiguous
		{[]Source{IMAP, GoogleDrive}, false, "1635", "workshop-imap"},
		{[]Source{Dropbox}, false, "4119", "workshop-dropbox"},
		{[]Source{Dropbox}, true, "3159", "exchange-hybrid"},
		{[]Source{Dropbox}, true, "1370", "dns-mail-flow"}, // mail through on-premises Exchange
		{[]Source{FileShare}, false, "inventory-fileshare", "inventory-fileshare"},
		{[]Source{FileShare}, false, "workshop-fileshare", "workshop-fileshare"},
		{[]Source{Box}, false, "2323", "decommission"},
	}
	for _, tt := range tests {
		e := &Engagement{Sources: tt.sources, OnPremExchange: tt.hybrid}
		got, err := ResolveTask(e, tt.ref)
		if tt.want == "" {
			wantErr(t, err, EINVALID, "Name one by its key")
			continue
		}
		if err != nil || got.Key != tt.want {
			t.Errorf("ResolveTask(%v, %s) = %s, %v; want %s", tt.sources, tt.ref, got.Key, err, tt.want)
		}
	}
}

func TestTaskAccessors(t *testing.T) {
	tests := []struct {
		key, ref, idList string
		skippable        bool
	}{
		{"assessment", "1699", "1699", false},
		{"workshop-box", "workshop-box", "3169", false}, // 3169 is shared: the key is the only unambiguous name
		{"migration-decision", "migration-decision", "", false},
		{"exchange-hybrid", "3160", "3160, 3159, 3158, 3157", true},
		{"credential-review", "3614", "3614", true},
		{"dns-mail-flow", "1370", "1370", true},
	}
	for _, tt := range tests {
		task, ok := TaskByKey(tt.key)
		if !ok {
			t.Fatalf("TaskByKey(%s): not found", tt.key)
		}
		if task.Ref() != tt.ref || task.IDList() != tt.idList || task.Skippable() != tt.skippable {
			t.Errorf("%s: Ref %q IDList %q Skippable %t; want %q %q %t", tt.key, task.Ref(), task.IDList(), task.Skippable(), tt.ref, tt.idList, tt.skippable)
		}
	}
	if _, ok := TaskByKey("nope"); ok {
		t.Error("TaskByKey(nope) found something")
	}
	a, _ := TaskByKey("assessment")
	if got := a.String(); got != "1699 Complete the technical assessment and submit the SME request" {
		t.Errorf("String() = %q", got)
	}
	// A task outside the loaded table names itself by its key.
	if got := (Task{Key: "x", IDs: []string{"1"}}).Ref(); got != "x" {
		t.Errorf("Ref() = %q", got)
	}
	// Callers cannot change the table through what they are given.
	ts := Tasks()
	ts[0].IDs[0] = "0"
	q, _ := TaskByKey("questionnaire")
	q.Helpers[0] = FRP
	if a, _ := TaskByKey("assessment"); a.IDs[0] != "1699" {
		t.Error("Tasks() shares the table's slices")
	}
	if q, _ := TaskByKey("questionnaire"); q.Helpers[0] != MST {
		t.Error("TaskByKey shares the table's slices")
	}
	if len(Tasks()) != len(defaultTasks) {
		t.Error("Tasks() is not the whole table")
	}
}

func TestApplicable(t *testing.T) {
	tests := []struct {
		sources []Source
		hybrid  bool
		n       int
	}{
		// 21 tasks apply everywhere; then each source's workshop and
		// inventory, the hybrid, and DNS when mail moves.
		{[]Source{IMAP}, false, 23},
		{[]Source{IMAP}, true, 24},
		{[]Source{Box}, false, 23},
		{[]Source{Box}, true, 25},
		{[]Source{Dropbox}, false, 22},
		{Sources(), true, 31},
	}
	for _, tt := range tests {
		e := &Engagement{Sources: tt.sources, OnPremExchange: tt.hybrid}
		if got := len(Applicable(e)); got != tt.n {
			t.Errorf("Applicable(%v, hybrid %t) has %d tasks, want %d", tt.sources, tt.hybrid, got, tt.n)
		}
	}
}
