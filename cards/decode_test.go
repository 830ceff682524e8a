package cards_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/cards"
	"github.com/mvmbot/mvmbot/playbook"
)

// The one-input forms: absent is "", text is itself, anything else is
// refused with the form's sentence, and data that is no object with the
// malformed-card one.
func TestDecodeTextForms(t *testing.T) {
	forms := []struct {
		name   string
		key    string
		decode func(json.RawMessage) (string, error)
	}{
		{"na reason", cards.ReasonInput("e1", "3217"), func(r json.RawMessage) (string, error) {
			return cards.DecodeNAReason(r, cards.ActionData{Engagement: "e1", Task: "3217"})
		}},
		{"lead", cards.LeadInput, cards.DecodeLead},
		{"resolution", cards.ResolutionInput(4), func(r json.RawMessage) (string, error) { return cards.DecodeResolution(r, 4) }},
		{"close waive", cards.CloseWaiveInput("survey"), func(r json.RawMessage) (string, error) { return cards.DecodeCloseWaive(r, "survey") }},
		{"close reason", cards.CloseReasonInput, cards.DecodeCloseReason},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			for _, tt := range []struct {
				raw     string
				want    string
				wantErr bool
			}{
				{`{"engagement":"e1"}`, "", false},
				{``, "", false},
				{`{"` + f.key + `":"enough licenses"}`, "enough licenses", false},
				{`{"` + f.key + `":7}`, "", true},
				{`{"` + f.key + `":null}`, "", true},
				{`{"` + f.key + `":["a"]}`, "", true},
				{`[1]`, "", true},
				{`{`, "", true},
			} {
				got, err := f.decode(json.RawMessage(tt.raw))
				if got != tt.want || (err != nil) != tt.wantErr {
					t.Errorf("decode %s = %q, %v; want %q, error %v", tt.raw, got, err, tt.want, tt.wantErr)
				}
				if err != nil && playbook.ErrorCode(err) != playbook.EINVALID {
					t.Errorf("decode %s: %v is not EINVALID", tt.raw, err)
				}
			}
		})
	}
	if got, _ := cards.DecodeLead(json.RawMessage(`{"lead":"  29:grace "}`)); got != "29:grace" {
		t.Errorf("DecodeLead kept the spaces: %q", got)
	}
}

func TestDecodePlan(t *testing.T) {
	base := cards.PlanAdjust{PilotSize: 10, PreferredBatch: 100, MaxBatch: 500}
	for _, tt := range []struct {
		raw         string
		want        cards.PlanAdjust
		wantQ       int
		wantProblem bool
	}{
		{`{"questionnaire":2}`, base, 2, false},
		{`{"questionnaire":2,"pilotSize":"25","batchSize":200,"weekends":"true"}`, cards.PlanAdjust{PilotSize: 25, PreferredBatch: 200, MaxBatch: 500, AllowWeekends: true}, 2, false},
		{`{"pilotSize":"1,000"}`, cards.PlanAdjust{PilotSize: 1000, PreferredBatch: 100, MaxBatch: 500}, 0, false},
		{`{"pilotSize":"ten"}`, base, 0, true},
		{`{"batchSize":-1}`, base, 0, true},
		{`{"maxBatch":2.5}`, base, 0, true},
		{`{"weekends":"sometimes"}`, base, 0, true},
		{`{"endpoint":"Identity : IMAP_TLS_Endpoint\nEndpointType : IMAP\nMaxConcurrentMigrations : 50\nMaxConcurrentIncrementalSyncs : 10"}`, cards.PlanAdjust{PilotSize: 10, PreferredBatch: 100, MaxBatch: 500, Concurrency: 50,
			Endpoint:  "Identity : IMAP_TLS_Endpoint\nEndpointType : IMAP\nMaxConcurrentMigrations : 50\nMaxConcurrentIncrementalSyncs : 10",
			Endpoints: []playbook.MigrationEndpoint{{Identity: "IMAP_TLS_Endpoint", EndpointType: "IMAP", MaxConcurrentMigrations: 50, MaxConcurrentIncrementalSyncs: 10}}}, 0, false},
		{`{"endpoint":"MaxConcurrentMigrations : -5"}`, cards.PlanAdjust{PilotSize: 10, PreferredBatch: 100, MaxBatch: 500, Endpoint: "MaxConcurrentMigrations : -5"}, 0, true},
		{`{"endpoint":"  "}`, base, 0, false},
		{`{"concurrency":"50"}`, base, 0, false}, // typed concurrency is no longer read
	} {
		f, err := cards.DecodePlan(json.RawMessage(tt.raw), base)
		if err != nil {
			t.Errorf("DecodePlan(%s): %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(f.Adjust, tt.want) || f.Questionnaire != tt.wantQ || (f.Problem != nil) != tt.wantProblem {
			t.Errorf("DecodePlan(%s) = %+v; want %+v, questionnaire %d, problem %v", tt.raw, f, tt.want, tt.wantQ, tt.wantProblem)
		}
	}
	split := cards.PlanAdjust{PreferredBatch: 100, Split: []playbook.SourceUnits{{Source: playbook.IMAP, Units: 500}, {Source: playbook.Box, Units: 500}}}
	f, err := cards.DecodePlan(json.RawMessage(`{"unitsBox":"120"}`), split)
	if err != nil || f.Problem != nil || f.Adjust.Split[0].Units != 500 || f.Adjust.Split[1].Units != 120 || split.Split[1].Units != 500 {
		t.Errorf("split: %+v, %v; base after %+v", f, err, split)
	}
	if f, _ := cards.DecodePlan(json.RawMessage(`{"unitsIMAP":"many"}`), split); f.Problem == nil || !strings.Contains(playbook.ErrorMessage(f.Problem), "units from IMAP") || f.Adjust.Split[0].Units != 500 {
		t.Errorf("split, not a count: %+v", f)
	}
	if _, err := cards.DecodePlan(json.RawMessage(`[`), base); playbook.ErrorCode(err) != playbook.EINVALID {
		t.Errorf("DecodePlan of malformed data: %v; want EINVALID", err)
	}
}

func TestDecodeEventCompletion(t *testing.T) {
	for _, tt := range []struct {
		raw              string
		migrated, failed int
		wantErr          bool
	}{
		{`{}`, 0, 0, false},
		{`{"` + cards.MigratedInput(3) + `":"95","` + cards.FailedInput(3) + `":5}`, 95, 5, false},
		{`{"` + cards.MigratedInput(3) + `":"lots"}`, 0, 0, true},
		{`{"` + cards.FailedInput(3) + `":1.5}`, 0, 0, true},
	} {
		m, f, err := cards.DecodeEventCompletion(json.RawMessage(tt.raw), 3)
		if m != tt.migrated || f != tt.failed || (err != nil) != tt.wantErr {
			t.Errorf("DecodeEventCompletion(%s) = %d, %d, %v; want %d, %d, error %v", tt.raw, m, f, err, tt.migrated, tt.failed, tt.wantErr)
		}
	}
}

func TestDecodeRecordPageSurvey(t *testing.T) {
	for _, tt := range []struct {
		name string
		raw  string
		run  func(json.RawMessage) (any, error)
		want any // nil: an EINVALID refusal
	}{
		{"record", `{"event":3,"reason":"late"}`, func(r json.RawMessage) (any, error) {
			b, err := cards.DecodeRecord(r, "event", "event", "events")
			if err != nil {
				return nil, err
			}
			s, err := b.Text("reason")
			return [2]any{b.ID, s}, err
		}, [2]any{3, "late"}},
		{"record without its number", `{"reason":"late"}`, func(r json.RawMessage) (any, error) {
			return cards.DecodeRecord(r, "event", "event", "events")
		}, nil},
		{"record with a fraction", `{"event":1.5}`, func(r json.RawMessage) (any, error) {
			return cards.DecodeRecord(r, "event", "event", "events")
		}, nil},
		{"record input not text", `{"event":1,"reason":7}`, func(r json.RawMessage) (any, error) {
			b, err := cards.DecodeRecord(r, "event", "event", "events")
			if err != nil {
				return nil, err
			}
			return b.Text("reason")
		}, nil},
		{"page absent", `{}`, func(r json.RawMessage) (any, error) { return cards.DecodePage(r, 1, "no page") }, 1},
		{"page", `{"page":4}`, func(r json.RawMessage) (any, error) { return cards.DecodePage(r, 1, "no page") }, 4},
		{"page below the first", `{"page":0}`, func(r json.RawMessage) (any, error) { return cards.DecodePage(r, 1, "no page") }, nil},
		{"page as text", `{"page":"2"}`, func(r json.RawMessage) (any, error) { return cards.DecodePage(r, 0, "no page") }, nil},
		{"survey", `{"score":" 9 ","comment":"good"}`, func(r json.RawMessage) (any, error) { return cards.DecodeSurvey(r) }, cards.SurveyAnswer{Score: 9, Comment: "good"}},
		{"survey without a score", `{"comment":"good"}`, func(r json.RawMessage) (any, error) { return cards.DecodeSurvey(r) }, nil},
		{"malformed", `[1]`, func(r json.RawMessage) (any, error) { return cards.DecodeSurvey(r) }, nil},
	} {
		got, err := tt.run(json.RawMessage(tt.raw))
		if tt.want == nil {
			if playbook.ErrorCode(err) != playbook.EINVALID {
				t.Errorf("%s: got %v, %v; want EINVALID", tt.name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
