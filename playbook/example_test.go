package playbook_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

func names(ms []playbook.Member) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Name)
	}
	if len(s) == 0 {
		return "nobody yet"
	}
	return strings.Join(s, ", ")
}

func ExampleNextSteps() {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		Customer:     "Contoso",
		TenantDomain: "contoso.onmicrosoft.com",
		Sources:      []playbook.Source{playbook.Box},
	}, playbook.Member{ID: "29:fay", Name: "Fay", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		panic(err)
	}
	_ = playbook.AssignRole(e, "29:fay", playbook.Member{ID: "29:carol", Name: "Carol"}, playbook.Customer, now)
	_ = playbook.AssignRole(e, "29:fay", playbook.Member{ID: "29:max", Name: "Max"}, playbook.MST, now)
	if _, err := playbook.MarkDone(e, "29:fay", "1699", now); err != nil {
		panic(err)
	}

	for _, id := range []string{"29:fay", "29:carol"} {
		s, _ := playbook.NextSteps(e, id)
		fmt.Printf("%s can do now:\n", s.Roles[0])
		for _, st := range s.Ready {
			fmt.Printf("  %s\n", st.Task)
		}
		if len(s.Waiting) > 0 {
			fmt.Printf("%s waits:\n", s.Roles[0])
		}
		for _, st := range s.Waiting {
			fmt.Printf("  %s, for:\n", st.Task.Ref())
			for _, b := range st.BlockedBy {
				fmt.Printf("    %s (%s: %s)\n", b.Task.Ref(), b.Owner, names(b.Holders))
			}
		}
	}
	// Output:
	// FRP can do now:
	//   core-onboarding Core onboarding: complete all enablement tasks
	// FRP waits:
	//   1141, for:
	//     core-onboarding (FRP: Fay)
	// Customer can do now:
	// Customer waits:
	//   1034, for:
	//     workshop-box (MST: Max)
	//   migration-decision, for:
	//     1034 (Customer: Carol)
	//     4027 (MST: Max)
	//     inventory-box (MST: Max)
}

// A playbook id shared by two tasks of the engagement must be named by key.
func ExampleMarkDone() {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	e, _ := playbook.NewEngagement(playbook.NewEngagementParams{
		Customer:     "Contoso",
		TenantDomain: "contoso.com",
		Sources:      []playbook.Source{playbook.Box},
	}, playbook.Member{ID: "29:max", Name: "Max", Roles: []playbook.Role{playbook.MST}}, now)
	_ = playbook.AssignRole(e, "29:max", playbook.Member{ID: "29:fay", Name: "Fay"}, playbook.FRP, now)
	_, _ = playbook.MarkDone(e, "29:fay", "1699", now) // the FRP's own task

	_, err := playbook.MarkDone(e, "29:max", "3169", now)
	fmt.Println(playbook.ErrorCode(err)+":", playbook.ErrorMessage(err))
	// A workshop is done when it is held, not when someone says so.
	_, err = playbook.MarkDone(e, "29:max", "workshop-box", now)
	fmt.Println(playbook.ErrorCode(err)+":", playbook.ErrorMessage(err))
	// Output:
	// invalid: 3169 names 2 tasks in this engagement: workshop-box (Box migration workshop: onboarding timeline and scope); inventory-box (Box inventory tool, SharePoint/OneDrive limits and source test tools). Name one by its key.
	// invalid: workshop-box completes when its workshop is marked held on the workshops card (type **workshops**), or, if it was held elsewhere, with **workshop workshop-box held elsewhere** followed by where and when.
}
