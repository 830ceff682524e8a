package playbook_test

import (
	"fmt"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

func ExampleProposePlan() {
	day := func(d int) time.Time { return time.Date(2027, 3, d, 0, 0, 0, 0, time.UTC) }
	p, err := playbook.ProposePlan(playbook.PlanInput{
		Units:           5_000,
		WindowStart:     day(1), // a Monday
		WindowEnd:       day(12),
		Blackouts:       []playbook.DateRange{{Start: day(5), End: day(5)}},
		PilotSize:       50,
		PilotReviewDays: 2,
		PreferredBatch:  500,
		MaxBatch:        2_000,
	}, time.Date(2027, 2, 22, 9, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	for _, ev := range p.Events {
		fmt.Printf("%d %s %-5s %5d\n", ev.N, ev.Date.Format("Mon 2 Jan"), ev.Kind, ev.Units)
	}
	fmt.Println(p.Sizing)
	fmt.Println(p.Forecast)

	_, err = playbook.ProposePlan(playbook.PlanInput{Units: 50_000, WindowStart: day(1), WindowEnd: day(12),
		PilotSize: 50, PreferredBatch: 500, MaxBatch: 2_000}, time.Date(2027, 2, 22, 9, 0, 0, 0, time.UTC))
	fmt.Println(playbook.ErrorMessage(err))
	// Output:
	// 1 Mon 1 Mar pilot    50
	// 2 Thu 4 Mar batch   825
	// 3 Mon 8 Mar batch   825
	// 4 Tue 9 Mar batch   825
	// 5 Wed 10 Mar batch   825
	// 6 Thu 11 Mar batch   825
	// 7 Fri 12 Mar batch   825
	// The preferred 500 units a batch would need 10 batch days; 6 working days are left after the pilot and its 2 working days of review, so batches are raised to 825 units (the maximum is 2,000) and end on 12 Mar 2027.
	// [{2027-03 5000}]
	// 49,950 units left after the pilot need 25 batch days at 2,000 a day, but the window 1 Mar 2027 to 12 Mar 2027 has 9 working days left outside blackouts. Widen the window, allow weekends, shorten the blackouts, raise the maximum batch size to 5,550, or take units out of scope.
}
