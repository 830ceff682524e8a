package playbook

import (
	"slices"
	"testing"
)

func closeKeys(e *Engagement) (keys, open []string) {
	for _, c := range CloseChecklist(e) {
		keys = append(keys, c.Key)
		if !c.Settled() {
			open = append(open, c.Key)
		}
	}
	return keys, open
}

func TestCloseOut(t *testing.T) {
	e, _ := mustPlanned(t)
	keys, open := closeKeys(e)
	if want := []string{CloseEvents, CloseIssues, CloseCredentials, CloseEnvironment, CloseDNS, CloseSurvey}; !slices.Equal(keys, want) || !slices.Equal(open, []string{CloseEvents, CloseCredentials, CloseEnvironment, CloseDNS, CloseSurvey}) {
		t.Fatalf("checklist %v, open %v", keys, open)
	}
	if keys, _ := closeKeys(mustEngagement(t, false, Box)); slices.Contains(keys, CloseDNS) {
		t.Error("DNS item without mail")
	}

	before := e.Clone()
	wantErr(t, CloseOut(e, idMVM, "", t0), EINVALID,
		"Close-out is not complete: All migration events completed or cancelled (11 events still to finish: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 1 more)",
		"Migration credentials deleted (confirmed by the MVM) (waits for the migration events to finish)", "DNS records and mail flow done (1370) (1370 is open (the FRP's))",
		"waive it with a reason")
	refusalUnchanged(t, before, e)

	// The credentials and the environment are in use while events run:
	// they cannot be checked until the events item is settled, and say so.
	for _, c := range CloseChecklist(e) {
		if (c.Key == CloseCredentials || c.Key == CloseEnvironment) && (c.Waits == "" || c.Detail != "waits for the migration events to finish") {
			t.Errorf("%s before the events: %+v", c.Key, c)
		}
	}
	before = e.Clone()
	wantErr(t, CheckCloseItem(e, idMVM, CloseCredentials, t0), ECONFLICT, "cannot be checked yet", "migration events are still to finish")
	refusalUnchanged(t, before, e)

	for n := 1; n <= 10; n++ {
		walkTo(t, e, n, EventCompleted)
	}
	mustCancel(t, e, 11)
	x, err := OpenIssue(e, idCustomer, "Missing folder", "u2-1@contoso.com", 2, t0)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, HandOverIssue(e, idMST, x.ID, "Microsoft support case 2503030010001", t0))
	mustOK(t, CheckCloseItem(e, idMVM, CloseCredentials, t0))
	mustOK(t, WaiveCloseItem(e, idMVM, "Environment", "the environment is shared with the next wave", t0))
	if _, err := RecordSurvey(e, idCustomer, 10, "", "", t0); err != nil {
		t.Fatal(err)
	}
	if _, open := closeKeys(e); !slices.Equal(open, []string{CloseDNS}) {
		t.Fatalf("open = %v", open)
	}

	for _, tt := range []struct {
		name, actor, key, reason, code, want string
	}{
		{"check an automatic item", idMVM, CloseDNS, "", EINVALID, "checks itself from the engagement's state"},
		{"check twice", idMVM, CloseCredentials, "", ECONFLICT, "already done"},
		{"check a done automatic item", idMVM, CloseEvents, "", ECONFLICT, "already done"},
		{"waive a waived item", idMVM, CloseEnvironment, "again", ECONFLICT, "already waived"},
		{"waive without reason", idMVM, CloseDNS, " ", EINVALID, "Say why"},
		{"unknown item", idMVM, "coffee", "", ENOTFOUND, `"coffee" is not a close-out item of this engagement. Items: events, issues, credentials, environment, dns-mail-flow, survey`},
		{"the MST", idMST, CloseDNS, "x", EFORBIDDEN, "Only the MVM can check or waive close-out items"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := e.Clone()
			var err error
			if tt.reason == "" {
				err = CheckCloseItem(e, tt.actor, tt.key, t0)
			} else {
				err = WaiveCloseItem(e, tt.actor, tt.key, tt.reason, t0)
			}
			wantErr(t, err, tt.code, tt.want)
			refusalUnchanged(t, before, e)
		})
	}

	mustDoneThrough(t, e, "dns-mail-flow")
	if _, open := closeKeys(e); len(open) != 0 {
		t.Fatalf("open = %v", open)
	}
	before = e.Clone()
	wantErr(t, CloseOut(e, idFRP, "", t0), EFORBIDDEN, "Only the MVM can close")
	refusalUnchanged(t, before, e)
	// 2323 is the close-out itself: with every other task settled, Close
	// closes and completes it.
	mustOK(t, CloseOut(e, idMVM, "", t0))
	if !e.IsClosed() {
		t.Fatal("not closed")
	}
	if st := e.State("decommission"); st.Status != StatusDone || st.By != idMVM || st.Override {
		t.Errorf("2323 after close-out: %+v", st)
	}
	// Read-only afterwards.
	before = e.Clone()
	wantErr(t, CloseOut(e, idMVM, "", t0), ECONFLICT, "was closed")
	_, err = AddNote(e, idMVM, "late", t0)
	wantErr(t, err, ECONFLICT, "was closed")
	_, err = RecordSurvey(e, idCustomer, 5, "", "", t0)
	wantErr(t, err, ECONFLICT, "was closed")
	_, err = OpenIssue(e, idCustomer, "x", "", 0, t0)
	wantErr(t, err, ECONFLICT, "was closed")
	wantErr(t, CheckCloseItem(e, idMVM, CloseSurvey, t0), ECONFLICT, "was closed")
	refusalUnchanged(t, before, e)
}

func TestIssues(t *testing.T) {
	e, _ := mustPlanned(t)
	a, err := OpenIssue(e, idCustomer, " Calendar missing ", "ann@contoso.com", 1, t0)
	if err != nil || a.ID != 1 || a.Title != "Calendar missing" || a.State != IssueOpen {
		t.Fatalf("issue = %+v, %v", a, err)
	}
	mustOK(t, ResolveIssue(e, idCustomer, 1, "IMAP moves no calendars; exported by hand", t0))
	for _, tt := range []struct {
		name string
		do   func(*Engagement) error
		code string
		want string
	}{
		{"resolve twice", func(e *Engagement) error { return ResolveIssue(e, idMVM, 1, "x", t0) }, ECONFLICT, "Issue 1 is already resolved"},
		{"no title", func(e *Engagement) error { _, err := OpenIssue(e, idCustomer, "", "", 0, t0); return err }, EINVALID, "Describe the issue"},
		{"unknown event", func(e *Engagement) error { _, err := OpenIssue(e, idCustomer, "x", "", 42, t0); return err }, ENOTFOUND, "no event 42"},
		{"FRP resolves", func(e *Engagement) error {
			x, _ := OpenIssue(e, idCustomer, "x", "", 0, t0)
			return ResolveIssue(e, idFRP, x.ID, "y", t0)
		}, EFORBIDDEN, "Only the MVM, the MST or the customer can resolve an issue"},
		{"customer hands over", func(e *Engagement) error { return HandOverIssue(e, idCustomer, 9, "x", t0) }, EFORBIDDEN, "Only the MVM or the MST can hand an issue over"},
		{"hand over without whom", func(e *Engagement) error {
			x, _ := OpenIssue(e, idCustomer, "x", "", 0, t0)
			return HandOverIssue(e, idMST, x.ID, "", t0)
		}, EINVALID, "to whom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := e.Clone()
			wantErr(t, tt.do(x), tt.code, tt.want)
			if n := len(x.History) - len(e.History); n > 1 { // the setup may open one issue
				t.Errorf("%d history entries added", n)
			}
		})
	}
}

// TestCloseEventsNeedEvents: with no migration event the events item is
// not done (1871's own rule), so close-out cannot read "all events
// completed" for a migration that never ran; it may be waived.
func TestCloseEventsNeedEvents(t *testing.T) {
	e := mustEngagement(t, false, IMAP)
	c, err := e.closeItem(CloseEvents)
	if err != nil || c.Done || c.Detail != "no migration events yet" {
		t.Fatalf("events item = %+v, %v", c, err)
	}
	mustOK(t, WaiveCloseItem(e, idMVM, CloseEvents, "the customer migrated on their own", t0))
	if c, _ := e.closeItem(CloseEvents); !c.Settled() {
		t.Errorf("waived events item not settled: %+v", c)
	}
}
