package playbook

import (
	"fmt"
	"slices"
	"testing"
)

var workshopOf = map[Source]string{
	IMAP: "workshop-imap", Box: "workshop-box", Dropbox: "workshop-dropbox",
	GoogleDrive: "workshop-gdrive", FileShare: "workshop-fileshare",
}

var inventoryOf = map[Source]string{
	Box: "inventory-box", GoogleDrive: "inventory-gdrive", FileShare: "inventory-fileshare",
}

// TestWalk drives every single-source engagement, with and without
// on-premises Exchange, from setup to closure. Each wave, every role does
// everything NextSteps offers it, as a team working in parallel would. At
// every wave some role has something to do until all is settled, blocked
// tasks refuse to be marked done, and at the checkpoints below each role's
// list is exactly what a practitioner expects.
func TestWalk(t *testing.T) {
	for _, src := range Sources() {
		for _, hybrid := range []bool{false, true} {
			for _, skip := range []bool{false, true} {
				name := fmt.Sprintf("%s/hybrid=%t/skipOptional=%t", src, hybrid, skip)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					walk(t, src, hybrid, skip)
				})
			}
		}
	}
}

func walk(t *testing.T, src Source, hybrid, skipOptional bool) {
	e := mustEngagement(t, hybrid, src)
	// Without IMAP the MVM's tasks fall to the MST.
	migTeam := MST
	if src == IMAP {
		migTeam = MVM
	}
	mail := src == IMAP || hybrid
	var inv []string
	if k, ok := inventoryOf[src]; ok {
		inv = []string{k}
	}
	var hybridTask, dnsTask []string
	if hybrid {
		hybridTask = []string{"exchange-hybrid"}
	}
	if mail {
		dnsTask = []string{"dns-mail-flow"}
	}
	if skipOptional {
		for _, k := range []string{"credential-review", "temporary-licenses"} {
			if _, err := MarkNotApplicable(e, idFRP, k, "not needed for this customer", t0); err != nil {
				t.Fatal(err)
			}
		}
	}

	// checkpoints[wave][role] is the exact Ready list; roles not named have
	// nothing ready.
	checkpoints := map[int]map[Role][]string{
		0: {FRP: {"assessment"}},
		1: {FRP: {"core-onboarding"}, MST: {workshopOf[src], "hub-workshop"}},
		2: {
			FRP:      {"identity-sync"},
			Customer: {"questionnaire"},
			MST:      slices.Concat([]string{"credential-review", "remote-connectivity", "reporting-workshop", "collaboration-site", "known-errors"}, inv),
		},
		// The tracker (3615) is part of the site: the site ready and 2979
		// done complete it, so the MST has nothing left to mark here.
		3:  {FRP: hybridTask, Customer: {"migration-decision"}},
		4:  {migTeam: {"questionnaire-validation"}},
		5:  {migTeam: {"temporary-licenses", "environment-onboarding"}},
		9:  {migTeam: {"migration-events"}},
		10: {migTeam: {"migration-issues"}, FRP: dnsTask},
		11: {migTeam: {"decommission"}},
	}
	if skipOptional {
		checkpoints[2][MST] = slices.DeleteFunc(checkpoints[2][MST], func(k string) bool { return k == "credential-review" })
		checkpoints[5][migTeam] = []string{"environment-onboarding"}
	}

	const wantWaves = 12
	wave := 0
	for ; ; wave++ {
		if wave > 50 {
			t.Fatal("no end in sight after 50 waves")
		}
		var union []Step
		for _, r := range Roles() {
			s := NextStepsForRoles(e, r)
			if cp, ok := checkpoints[wave]; ok {
				want := cp[r]
				if want == nil {
					want = []string{}
				}
				if got := stepKeys(s.Ready); !slices.Equal(got, want) {
					t.Errorf("wave %d: %s ready = %v, want %v", wave, r, got, want)
				}
			}
			for _, w := range s.Waiting {
				if len(w.BlockedBy) == 0 {
					t.Errorf("wave %d: %s waits on nothing", wave, w.Task.Key)
				}
				// The dependency rule holds: a waiting task refuses to be done.
				c := e.Clone()
				if _, err := MarkDone(c, holder[w.Owner], w.Task.Key, t0); ErrorCode(err) != EINVALID {
					t.Errorf("wave %d: MarkDone(%s) while blocked = %v, want EINVALID", wave, w.Task.Key, err)
				}
			}
			// A member sees exactly their role's list.
			if id, ok := holder[r]; ok {
				if _, member := e.Member(id); member {
					got, err := NextSteps(e, id)
					if err != nil || !slices.Equal(stepKeys(got.Ready), stepKeys(s.Ready)) || !slices.Equal(stepKeys(got.Waiting), stepKeys(s.Waiting)) {
						t.Errorf("wave %d: NextSteps(%s) = %v, %v; want %v", wave, id, stepKeys(got.Ready), err, stepKeys(s.Ready))
					}
				}
			}
			union = append(union, s.Ready...)
		}
		if Progress(e).Overall.Complete() {
			if len(union) != 0 {
				t.Errorf("wave %d: all done but %v still ready", wave, stepKeys(union))
			}
			break
		}
		if len(union) == 0 {
			m, _ := NextMilestone(e)
			t.Fatalf("wave %d: nobody can act, yet %v remain", wave, stepKeys(m.Remaining))
		}
		for _, s := range union {
			if len(s.Holders) == 0 {
				t.Fatalf("wave %d: %s is ready but nobody holds %s", wave, s.Task.Key, s.Owner)
			}
			if s.Task.Key == closeTask { // completed by closing
				closer := idFRP // the lead
				if src == IMAP {
					closer = idMVM
				}
				mustOK(t, Close(e, closer, "", t0))
				continue
			}
			if e.State(s.Task.Key).Status != StatusOpen {
				continue // completed by its evidence as another task settled
			}
			giveEvidence(e, s.Task)
			if _, err := MarkDone(e, s.Holders[0].ID, s.Task.Key, t0); err != nil {
				t.Fatalf("wave %d: MarkDone(%s): %v", wave, s.Task.Key, err)
			}
		}
	}
	if wave != wantWaves {
		t.Errorf("finished after %d waves, want %d", wave, wantWaves)
	}
	if _, ok := NextMilestone(e); ok {
		t.Error("NextMilestone after everything is done: ok = true")
	}
	if !e.IsClosed() || e.State(closeTask).Status != StatusDone {
		t.Errorf("2323 is completed by closing: closed %t, %+v", e.IsClosed(), e.State(closeTask))
	}
	if s := NextStepsForRoles(e, Roles()...); !s.Closed || len(s.Ready)+len(s.Waiting) != 0 {
		t.Errorf("after Close: %+v", s)
	}
}

// TestWalkMultiSource checks that an engagement with several sources waits
// for every source's workshop and inventory, and for nothing of the others.
func TestWalkMultiSource(t *testing.T) {
	e := mustEngagement(t, false, GoogleDrive, IMAP, Box)
	mustDone(t, e, "assessment")
	got := stepKeys(NextStepsForRoles(e, MST).Ready)
	want := []string{"workshop-imap", "workshop-box", "workshop-gdrive", "hub-workshop"}
	if !slices.Equal(got, want) {
		t.Errorf("MST ready = %v, want %v", got, want)
	}
	mustDone(t, e, "workshop-imap", "workshop-box")
	s := NextStepsForRoles(e, Customer)
	if len(s.Waiting) == 0 || s.Waiting[0].Task.Key != "questionnaire" {
		t.Fatalf("customer waiting = %v", stepKeys(s.Waiting))
	}
	if got := stepKeys(s.Waiting[0].BlockedBy); !slices.Equal(got, []string{"workshop-gdrive"}) {
		t.Errorf("questionnaire blocked by %v, want [workshop-gdrive]", got)
	}
	// The MVM owns the migration-team tasks as soon as IMAP is one source.
	q, _ := TaskByKey("questionnaire-validation")
	if o := OwnerOf(e, q); o != MVM {
		t.Errorf("OwnerOf(1672) = %s, want MVM", o)
	}
}
