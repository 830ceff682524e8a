package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
)

// TestReportCSVText: the export is a code block; a long one is cut at a
// row, says so and stays under the cap; a cell cannot end the block.
func TestReportCSVText(t *testing.T) {
	e := &playbook.Engagement{ID: "e1", Customer: "Contoso"}
	small := reportCSVText(e)
	if !strings.HasPrefix(small, "The Contoso engagement as CSV") || !strings.Contains(small, "\n```\n\"record\",\"id\",\"date\",\"state\",\"name\",\"units\",\"migrated\",\"failed\",\"detail\"") || !strings.HasSuffix(small, "\n```") {
		t.Errorf("small export: %q", small)
	}
	ev := playbook.Event{N: 1, Kind: "batch", Date: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), MemberKind: playbook.BatchUsers}
	for i := range 3000 {
		ev.Members = append(ev.Members, playbook.BatchMember{Unit: fmt.Sprintf("user%04d@contoso.com", i)})
	}
	ev.Members[0].Target = "```oops"
	e.Events = []playbook.Event{ev}
	big := reportCSVText(e)
	if !strings.Contains(big, "**cut**: the first") || !strings.Contains(big, " rows, as one message holds no more") {
		t.Errorf("long export does not say it was cut: %q", big[:300])
	}
	if len(big) > reportCSVMax+600 {
		t.Errorf("long export is %d bytes", len(big))
	}
	if strings.Count(big, "```") != 2 || !strings.HasSuffix(big, "@contoso.com\",\"\",\"\",\"\",\"\"\n```") {
		t.Errorf("code block broken or row cut in the middle: …%q", big[len(big)-80:])
	}
}

// TestNextSlot: the next weekly slot in the customer's zone, across a
// daylight saving change, never now itself.
func TestNextSlot(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip(err)
	}
	mon9 := WeeklyTime{Day: time.Monday, Hour: 9}
	for _, tt := range []struct {
		now  time.Time
		w    WeeklyTime
		loc  *time.Location
		want time.Time
	}{
		{time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), mon9, time.UTC, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), mon9, time.UTC, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), mon9, time.UTC, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), WeeklyTime{Day: time.Friday, Hour: 16, Minute: 30}, time.UTC, time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC)},
		// Sunday before the clocks go forward: 09:00 BST is 08:00 UTC.
		{time.Date(2027, 3, 28, 12, 0, 0, 0, time.UTC), mon9, london, time.Date(2027, 3, 29, 8, 0, 0, 0, time.UTC)},
		{time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC), WeeklyTime{Day: time.Sunday, Hour: 23}, london, time.Date(2027, 1, 10, 23, 0, 0, 0, time.UTC)},
	} {
		if got := NextSlot(tt.now, tt.w, tt.loc); !got.Equal(tt.want) {
			t.Errorf("NextSlot(%s, %v %02d:%02d, %s) = %s, want %s", tt.now, tt.w.Day, tt.w.Hour, tt.w.Minute, tt.loc, got, tt.want)
		}
	}
}
