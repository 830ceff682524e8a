package cards_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// workshopCards are the workshop cards of issue 6 in their states, for
// TestEveryCardValidates.
func workshopCards(t *testing.T) map[string]*cards.Card {
	t.Helper()
	e := qEngagement(t, false, playbook.IMAP, playbook.Box)
	start := qNow.Add(48 * time.Hour).Truncate(time.Hour)
	w := playbook.Workshop{Key: playbook.WorkshopTogether, Tasks: playbook.TogetherTasks(e), Status: playbook.WorkshopScheduled,
		Start: start, End: start.Add(90 * time.Minute), TimeZone: "Europe/Berlin", JoinURL: "https://teams.microsoft.com/l/meetup-join/x",
		Attendees: []playbook.Attendee{{Email: "mo@contoso.com", Name: "Mo"}, {Email: "carol@contoso.com"}}, Token: "tok"}
	if _, err := playbook.MarkDone(e, "29:fay", "1699", qNow); err != nil { // the workshops wait for it
		t.Fatal(err)
	}
	if err := playbook.SetWorkshop(e, "29:fay", w, qNow); err != nil {
		t.Fatal(err)
	}
	empty := qEngagement(t, false, playbook.GoogleDrive)
	slots := []playbook.Interval{{Start: start, End: start.Add(time.Hour)}, {Start: start.Add(time.Hour), End: start.Add(2 * time.Hour)}}
	return map[string]*cards.Card{
		"workshops, none scheduled":       cards.Workshops(empty, cards.WorkshopsView{CanSchedule: true}),
		"workshops, together scheduled":   cards.Workshops(e, cards.WorkshopsView{CanSchedule: true, Notice: "Scheduled."}),
		"workshops, read only":            cards.Workshops(e, cards.WorkshopsView{}),
		"workshop schedule form":          cards.WorkshopSchedule(e, cards.WorkshopForm{Key: "hub-workshop", Minutes: 60, Earliest: qNow, From: 9, To: 17, Zone: "Europe/Berlin", Problem: "No slot."}),
		"workshop slots":                  cards.WorkshopSlots(e, "hub-workshop", slots, "Europe/Berlin", "From working hours only."),
		"workshop slots, none":            cards.WorkshopSlots(e, "hub-workshop", nil, "", ""),
		"workshop invitation":             cards.Invitation(e, w, cards.InvitationView{ICSURL: "https://bot.example/ics/tok", Now: start, CanAct: true, Graph: true}),
		"workshop invitation, local mode": cards.Invitation(e, w, cards.InvitationView{ICSPath: "/ics/tok", Now: qNow, CanAct: true}),
	}
}

func TestWorkshopsCard(t *testing.T) {
	e := qEngagement(t, false, playbook.IMAP, playbook.Box)
	raw, _ := json.Marshal(cards.Workshops(e, cards.WorkshopsView{CanSchedule: true}))
	s := string(raw)
	for _, want := range []string{"(1635)", "(3169)", "(4027)", "(3312)", "(4008)", "Schedule together", "Not scheduled.", "Add credential review (3614)"} {
		if !strings.Contains(s, want) {
			t.Errorf("workshops card lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Review secure credential") {
		t.Errorf("credential review shown although the questionnaire does not ask for it:\n%s", s)
	}
}

func TestDecodeWorkshopForm(t *testing.T) {
	f, err := cards.DecodeWorkshopForm(json.RawMessage(`{"minutes":"90","earliest":"2027-01-04","fromHour":"9","toHour":"17"}`))
	if err != nil || f.Minutes != 90 || f.From != 9 || f.To != 17 || f.Earliest.Format(time.DateOnly) != "2027-01-04" {
		t.Errorf("DecodeWorkshopForm = %+v, %v", f, err)
	}
	for _, bad := range []string{`{"minutes":"x","earliest":"2027-01-04","fromHour":"9","toHour":"17"}`, `{"minutes":"60","earliest":"soon","fromHour":"9","toHour":"17"}`,
		`{"minutes":"60","earliest":"2027-01-04","fromHour":"17","toHour":"9"}`} {
		if _, err := cards.DecodeWorkshopForm(json.RawMessage(bad)); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("DecodeWorkshopForm(%s) = %v, want EINVALID", bad, err)
		}
	}
}

func TestDecodeWorkshopPick(t *testing.T) {
	want := time.Date(2027, 1, 6, 9, 0, 0, 0, time.UTC)
	for _, raw := range []string{
		`{"slot":"2027-01-06T09:00:00Z/60"}`,               // the list
		`{"slot":"2027-01-06T10:00:00+01:00/60"}`,          // any offset
		`{"slot":"2027-01-06T09:00:00Z","minutes":60}`,     // a slot button of an older card
		`{"slot":"2027-01-06T09:00:00Z/60","minutes":"x"}`, // the list wins
	} {
		start, d, err := cards.DecodeWorkshopPick(json.RawMessage(raw))
		if err != nil || !start.Equal(want) || d != time.Hour {
			t.Errorf("DecodeWorkshopPick(%s) = %v, %v, %v", raw, start, d, err)
		}
	}
	for _, bad := range []string{`{}`, `{"slot":"2027-01-06T09:00:00Z"}`, `{"slot":"2027-01-06T09:00:00Z/x"}`, `{"slot":"2027-01-06T09:00:00Z/5"}`,
		`{"slot":"2027-01-06T09:00:00Z/600"}`, `{"slot":"monday/60"}`, `{"slot":7}`} {
		if _, _, err := cards.DecodeWorkshopPick(json.RawMessage(bad)); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("DecodeWorkshopPick(%s) = %v, want EINVALID", bad, err)
		}
	}
}

// TestSlotPickerIsAList: every slot a line of its own with its whole time,
// and one Book button that sends the choice.
func TestSlotPickerIsAList(t *testing.T) {
	e := qEngagement(t, false, playbook.Box)
	start := time.Date(2027, 1, 6, 9, 0, 0, 0, time.UTC)
	slots := []playbook.Interval{{Start: start, End: start.Add(time.Hour)}, {Start: start.Add(time.Hour), End: start.Add(2 * time.Hour)}}
	raw := cardBytes(t, cards.WorkshopSlots(e, "hub-workshop", slots, "Europe/Berlin", ""))
	var c struct {
		Body []struct {
			ID      string
			Style   string
			Choices []struct{ Title, Value string }
		}
		Actions []struct {
			Verb, AssociatedInputs string
		}
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var list []struct{ Title, Value string }
	for _, b := range c.Body {
		if b.ID == "slot" && b.Style == "expanded" {
			list = b.Choices
		}
	}
	if len(list) != 2 || list[1].Value != "2027-01-06T10:00:00Z/60" || !strings.Contains(list[1].Title, "11:00–12:00") {
		t.Fatalf("slot list = %+v in %s", list, raw)
	}
	if len(c.Actions) == 0 || c.Actions[0].Verb != cards.VerbWorkshopPick || c.Actions[0].AssociatedInputs == "none" {
		t.Errorf("first action = %+v, want Book sending the inputs", c.Actions)
	}
}
