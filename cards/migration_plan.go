package cards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mvmbot/mvmbot/playbook"
)

// Verbs of the plan card. Stored in cards: never rename one.
const (
	VerbPlan       = "plan"       // the plan card, proposed from the questionnaire
	VerbPlanRecalc = "planRecalc" // propose again with the card's adjustments
	VerbPlanAccept = "planAccept" // accept the proposal the card's adjustments give
)

// Input ids of the plan card's adjustments.
const (
	PlanPilotInput    = "pilotSize"
	PlanBatchInput    = "batchSize"
	PlanMaxBatchInput = "maxBatch"
	PlanWeekendsInput = "weekends"
	// PlanEndpointInput is Get-MigrationEndpoint's output, pasted: the
	// endpoint's MaxConcurrentMigrations is read from it, not typed.
	PlanEndpointInput = "endpoint"
)

// PlanSourceInput is the id of the input with the units from src, shown
// when the engagement migrates from more than one source.
func PlanSourceInput(src playbook.Source) string { return "units" + string(src) }

// PlanKey is the data key naming the questionnaire version a plan card was
// proposed from.
const PlanKey = "questionnaire"

// PlanAdjust is what the MVM may adjust on the plan card; the rest comes
// from the validated questionnaire.
type PlanAdjust struct {
	PilotSize, PreferredBatch, MaxBatch int
	AllowWeekends                       bool
	// Concurrency is the mail endpoints' MaxConcurrentMigrations, read
	// from the pasted Get-MigrationEndpoint output (Endpoint; else the
	// accepted plan's), 0 when unknown; it scales the measured pace
	// (playbook.Throughput, playbook.SourceConcurrency).
	Concurrency int
	// Endpoint is the pasted Get-MigrationEndpoint output, kept as typed;
	// Endpoints what was read from it.
	Endpoint  string
	Endpoints []playbook.MigrationEndpoint
	// Split is the units of each source of a multi-source engagement, each
	// planned in its own events; nil for a single source.
	Split []playbook.SourceUnits
}

// PlanView is what the plan card shows.
type PlanView struct {
	Questionnaire int            // the version the proposal is made from
	Adjust        PlanAdjust     // the values in the inputs
	Plan          *playbook.Plan // the proposal; nil when Problem says why there is none
	Problem       string         // why the adjustments give no plan, or ""
	Notice        string         // what just happened, or ""
	Accepted      *playbook.Plan // the latest accepted version, if any
	// Paces are the pace completed events measured, by source; empty
	// before any event completed.
	Paces []SourcePace
	// AtPace is when the accepted plan ends at the measured pace; nil
	// when nothing is measured.
	AtPace *playbook.ForecastEnd
	// BySource is when each source's events end at its own pace.
	BySource []playbook.SourceForecast
}

// SourcePace is the pace one source's completed events measured.
type SourcePace struct {
	Source     playbook.Source
	Throughput playbook.Throughput
	Capacity   int // units a batch day at that pace and the endpoint's concurrency
}

// maxPlanEvents bounds the events listed on the plan card.
const maxPlanEvents = 40

// PlanCard is the migration plan proposed from the questionnaire: its
// events, the sizing explanation and the monthly forecast, with inputs to
// adjust it and Recalculate and Accept.
func PlanCard(e *playbook.Engagement, v PlanView) *Card {
	body := []Element{Title(customer(e) + ": migration plan")}
	if v.Notice != "" {
		body = append(body, Notice(v.Notice, false))
	}
	if v.Accepted != nil {
		body = append(body, Subtle(fmt.Sprintf("Plan v%d was accepted on %s by %s; accepting this proposal makes v%d.",
			v.Accepted.Version, v.Accepted.AcceptedAt.Format(day), truncate(memberName(e, v.Accepted.AcceptedBy), 40), v.Accepted.Version+1)))
	}
	body = append(body, Subtle(fmt.Sprintf("Proposed from questionnaire v%d (units, window, blackout dates, time zone). Change those in the questionnaire; adjust the rest below.", v.Questionnaire)))
	if v.Problem != "" {
		body = append(body, Notice(v.Problem, true))
	}
	if p := v.Plan; p != nil {
		tz := p.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		body = append(body, Facts(
			Fact{"Units", count(p.Units)},
			Fact{"Window", p.Window.Start.Format(day) + " to " + p.Window.End.Format(day) + " (" + tz + ")"},
			Fact{"Batch size", count(p.BatchSize)},
			Fact{"Events", strconv.Itoa(len(p.Events))},
		))
		if p.Sizing != "" {
			body = append(body, Text(truncate(p.Sizing, 600)))
		}
		body = append(body, Heading("Events"))
		var fs []Fact
		for i, ev := range p.Events {
			if i == maxPlanEvents {
				fs = append(fs, Fact{"…", fmt.Sprintf("and %d more", len(p.Events)-i)})
				break
			}
			v := fmt.Sprintf("%s, %s units", ev.Kind, count(ev.Units))
			if ev.Source != "" {
				v += ", " + string(ev.Source)
			}
			if ev.EstimatedGB > 0 {
				v += fmt.Sprintf(", about %s GB", count(int(ev.EstimatedGB+0.5)))
			}
			fs = append(fs, Fact{fmt.Sprintf("%d. %s", ev.N, ev.Date.Format("Mon 2 Jan 2006")), v})
		}
		body = append(body, Facts(fs...))
		if len(p.Forecast) > 0 {
			var ms []string
			for _, m := range p.Forecast {
				ms = append(ms, m.Month+": "+count(m.Units))
			}
			body = append(body, Heading("Monthly forecast"), Text(truncate(strings.Join(ms, " · "), 1500)))
		}
	}
	if len(v.Paces) > 0 || v.AtPace != nil || len(v.BySource) > 0 {
		body = append(body, Heading("Measured pace"))
		var fs []Fact
		for _, sp := range v.Paces {
			tp := sp.Throughput
			gb := "GB from the bytes the status files reported"
			switch {
			case tp.Measured == 0:
				gb = "GB estimated from the planned volume: import a status with bytes to measure them"
			case tp.Measured < tp.Events:
				gb = "GB partly from the bytes reported, partly estimated"
			}
			fs = append(fs, Fact{string(sp.Source), fmt.Sprintf("%s units in %s (%s), %.1f units and %.1f GB a day (%s); a batch day takes up to %s",
				count(tp.Units), Plural(tp.Events, "event"), days(tp.Days), tp.UnitsPerDay(), tp.GBPerDay(), gb, count(sp.Capacity))})
		}
		if len(fs) > 0 {
			body = append(body, Facts(fs...))
		}
		if v.AtPace != nil && len(v.BySource) < 2 {
			body = append(body, Text(v.AtPace.String()))
		}
		for _, f := range v.BySource {
			if len(v.BySource) > 1 {
				body = append(body, Text(string(f.Source)+": "+f.String()))
			}
		}
	}
	lo := 0.0
	body = append(body, Heading("Adjust"))
	body = append(body, Body(
		NumberInput(PlanPilotInput, InputOpts{Label: "Pilot size (units; 0 for no pilot)", Value: strconv.Itoa(v.Adjust.PilotSize)}, &lo, nil),
		NumberInput(PlanBatchInput, InputOpts{Label: "Preferred batch size (units per batch day)", Value: strconv.Itoa(v.Adjust.PreferredBatch)}, &lo, nil),
		NumberInput(PlanMaxBatchInput, InputOpts{Label: "Most units one batch day may take (0: the preferred size)", Value: strconv.Itoa(v.Adjust.MaxBatch)}, &lo, nil),
		ToggleInput(PlanWeekendsInput, InputOpts{Label: "Weekends", Value: strconv.FormatBool(v.Adjust.AllowWeekends)}, "Events may run on Saturdays and Sundays"),
	)...)
	endpoint := "Not imported: the pace of mail is not scaled to the endpoint. Paste what **Get-MigrationEndpoint | Format-List** prints below."
	switch {
	case len(v.Adjust.Endpoints) > 0:
		endpoint = fmt.Sprintf("%s concurrent migrations, read from %s.", count(v.Adjust.Concurrency), playbook.EndpointsText(v.Adjust.Endpoints))
	case v.Adjust.Concurrency > 0:
		endpoint = fmt.Sprintf("%s concurrent migrations, as the accepted plan recorded. Paste Get-MigrationEndpoint's output again to change it.", count(v.Adjust.Concurrency))
	}
	body = append(body, Subtle("Mail endpoint: "+endpoint+" Box, Dropbox and Google Drive run 50 Migration Manager tasks at once."))
	body = append(body, TextInput(PlanEndpointInput, InputOpts{Label: "Get-MigrationEndpoint | Format-List (the endpoint's MaxConcurrentMigrations)", Placeholder: "Identity : IMAP_Endpoint\nMaxConcurrentMigrations : 20", Value: v.Adjust.Endpoint}, true, 64<<10)...)
	for _, s := range v.Adjust.Split {
		body = append(body, NumberInput(PlanSourceInput(s.Source), InputOpts{Label: fmt.Sprintf("Units from %s (its own events; 0 for none)", s.Source), Value: strconv.Itoa(s.Units)}, &lo, nil)...)
	}
	d := ActionData{Engagement: e.ID, Version: e.Version}.data()
	d[PlanKey] = v.Questionnaire
	c := New(body...)
	c.Actions = []Element{Execute("Recalculate", VerbPlanRecalc, d)}
	if v.Plan != nil {
		c.Actions = append(c.Actions, Execute("Accept", VerbPlanAccept, d))
	}
	return c
}

// days writes a measured duration as people read it: "12 hours", "2.5 days".
func days(d float64) string {
	if d < 1 {
		return fmt.Sprintf("%.0f hours", d*24)
	}
	return fmt.Sprintf("%.1f days", d)
}
