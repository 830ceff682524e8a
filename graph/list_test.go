package graph_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/graph"
	"github.com/mvmbot/mvmbot/playbook"
)

var trackerSpec = graph.ListSpec{
	DisplayName: "Post-migration issues",
	Description: "Issue tracker (task 3615)",
	Columns: []graph.Column{
		{Name: "Status", Type: graph.ColumnChoice, Choices: []string{"Open", "Customer", "MST", "Closed"}, Required: true},
		{Name: "Users", Type: graph.ColumnNumber},
		{Name: "Reported", Type: graph.ColumnDateTime},
		{Name: "Blocking", Type: graph.ColumnBoolean},
		{Name: "Details", Type: graph.ColumnText},
	},
}

func TestEnsureList(t *testing.T) {
	f, c := newFake(t)
	site := f.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration")
	l, err := c.EnsureList(context.Background(), site, trackerSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Created || l.ID == "" || l.DisplayName != trackerSpec.DisplayName || !strings.HasPrefix(l.WebURL, "https://contoso.sharepoint.com/sites/Migration/Lists/") {
		t.Errorf("list = %+v", l)
	}
	req := one(t, f, "POST", "/sites/"+site+"/lists")
	assertJSON(t, "list body", req.Body, `{
		"@odata.type": "#microsoft.graph.list",
		"displayName": "Post-migration issues",
		"description": "Issue tracker (task 3615)",
		"list": {"template": "genericList"},
		"columns": [
			{"name": "Status", "required": true, "choice": {"choices": ["Open", "Customer", "MST", "Closed"]}},
			{"name": "Users", "number": {}},
			{"name": "Reported", "dateTime": {}},
			{"name": "Blocking", "boolean": {}},
			{"name": "Details", "text": {}}
		]}`)

	again, err := c.EnsureList(context.Background(), site, trackerSpec)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != l.ID || again.Created {
		t.Errorf("second EnsureList = %+v, want the same list, not created", again)
	}
	if n := len(f.RequestsTo("POST", "/sites/")); n != 1 {
		t.Errorf("%d POSTs after two EnsureList calls, want 1", n)
	}

	lib := graph.ListSpec{DisplayName: "Migration documents", Template: graph.TemplateDocumentLibrary}
	if _, err := c.EnsureList(context.Background(), site, lib); err != nil {
		t.Fatal(err)
	}
	if body := f.RequestsTo("POST", "/sites/")[1].JSON(); !reflect.DeepEqual(body["list"], map[string]any{"template": "documentLibrary"}) {
		t.Errorf("library body = %v", body)
	}
}

func TestEnsureListReportsOtherColumns(t *testing.T) {
	f, c := newFake(t)
	site := f.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration")
	if _, err := f.AddList(site, map[string]any{
		"displayName": "post-migration ISSUES",
		"columns": []any{
			map[string]any{"name": "Status", "text": map[string]any{}},
			map[string]any{"name": "Users", "number": map[string]any{}},
			map[string]any{"name": "Owner", "personOrGroup": map[string]any{}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	_, err := c.EnsureList(context.Background(), site, trackerSpec)
	var mm *graph.ListMismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("err = %v, want *ListMismatchError", err)
	}
	if want := []string{"Reported", "Blocking", "Details"}; !reflect.DeepEqual(mm.Missing, want) {
		t.Errorf("Missing = %v, want %v", mm.Missing, want)
	}
	if want := []string{"Status: want choice, have text"}; !reflect.DeepEqual(mm.WrongType, want) {
		t.Errorf("WrongType = %v, want %v", mm.WrongType, want)
	}
	assertCode(t, err, playbook.ECONFLICT)
	if msg := playbook.ErrorMessage(err); !strings.Contains(msg, "Reported, Blocking, Details") {
		t.Errorf("message %q does not name the missing columns", msg)
	}
	if n := len(f.RequestsTo("POST", "/sites/")); n != 0 {
		t.Errorf("%d POSTs; an existing list must not be created again", n)
	}
}

func TestEnsureListRejectsBadSpec(t *testing.T) {
	f, c := newFake(t)
	for name, spec := range map[string]graph.ListSpec{
		"no name":         {},
		"bad template":    {DisplayName: "x", Template: "survey"},
		"space in column": {DisplayName: "x", Columns: []graph.Column{{Name: "Due date", Type: graph.ColumnDateTime}}},
		"twice":           {DisplayName: "x", Columns: []graph.Column{{Name: "A", Type: graph.ColumnText}, {Name: "a", Type: graph.ColumnText}}},
		"no choices":      {DisplayName: "x", Columns: []graph.Column{{Name: "S", Type: graph.ColumnChoice}}},
		"unknown type":    {DisplayName: "x", Columns: []graph.Column{{Name: "S", Type: "lookup"}}},
	} {
		if _, err := c.EnsureList(context.Background(), "site-1", spec); playbook.ErrorCode(err) != playbook.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid specs", n)
	}
}

func TestItems(t *testing.T) {
	f, c := newFake(t)
	site := f.AddSite("contoso.sharepoint.com", "/sites/Migration", "Migration")
	l, err := c.EnsureList(context.Background(), site, trackerSpec)
	if err != nil {
		t.Fatal(err)
	}
	reported := time.Date(2025, 6, 3, 14, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	it, err := c.AddItem(context.Background(), site, l.ID, map[string]any{
		"Title": "Mailbox ada@ fails pre-flight", "Status": "Open", "Users": 12, "Reported": reported, "Blocking": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, "item body", one(t, f, "POST", "/sites/"+site+"/lists/"+l.ID+"/items").Body, `{
		"@odata.type": "#microsoft.graph.listItem",
		"fields": {"Title": "Mailbox ada@ fails pre-flight", "Status": "Open", "Users": 12, "Reported": "2025-06-03T12:30:00Z", "Blocking": true}}`)
	wantFields := map[string]any{"Title": "Mailbox ada@ fails pre-flight", "Status": "Open", "Users": float64(12), "Reported": "2025-06-03T12:30:00Z", "Blocking": true, "id": "1"}
	if it.ID != "1" || !reflect.DeepEqual(it.Fields, wantFields) || it.Created.IsZero() {
		t.Errorf("item = %+v", it)
	}

	if err := c.UpdateItem(context.Background(), site, l.ID, it.ID, map[string]any{"Status": "Closed", "Blocking": false}); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, "fields patch", one(t, f, "PATCH", "/sites/").Body, `{"Status": "Closed", "Blocking": false}`)
	assertCode(t, c.UpdateItem(context.Background(), site, l.ID, "99", map[string]any{"Status": "Closed"}), playbook.ENOTFOUND)

	_, err = c.AddItem(context.Background(), site, l.ID, map[string]any{"Title": "x", "Severity": "high"})
	assertCode(t, err, playbook.EINVALID)
	if !strings.Contains(playbook.ErrorMessage(err), "Field 'Severity' is not recognized") {
		t.Errorf("message = %q", playbook.ErrorMessage(err))
	}

	for i := 2; i <= 5; i++ {
		if _, err := c.AddItem(context.Background(), site, l.ID, map[string]any{"Title": "more", "Status": "Open"}); err != nil {
			t.Fatal(err)
		}
	}
	f.ClearRequests()
	var ids []string
	page, next, err := c.Items(context.Background(), site, l.ID, "fields/Status eq 'Open'", 2)
	for pages := 1; ; pages++ {
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page {
			ids = append(ids, it.ID)
		}
		if next == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 2", pages)
			}
			break
		}
		page, next, err = c.MoreItems(context.Background(), next)
	}
	if want := []string{"2", "3", "4", "5"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("open items = %v, want %v", ids, want)
	}
	first := f.Requests()[0]
	if first.Query.Get("$filter") != "fields/Status eq 'Open'" || first.Query.Get("$expand") != "fields" || first.Query.Get("$top") != "2" {
		t.Errorf("query = %v", first.Query)
	}
	if first.Header.Get("Prefer") != "HonorNonIndexedQueriesWarningMayFailRandomly" {
		t.Errorf("Prefer = %q", first.Header.Get("Prefer"))
	}

	_, _, err = c.MoreItems(context.Background(), "https://evil.example/v1.0/sites/x/lists/y/items?$skiptoken=2")
	assertCode(t, err, playbook.EINVALID)
	_, _, err = c.Items(context.Background(), site, l.ID, "", 5000)
	assertCode(t, err, playbook.EINVALID)
}
