package graph

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/sites"

	"github.com/mvmbot/mvmbot/playbook"
)

// Items page sizes.
const (
	DefaultPageSize = 100
	MaxPageSize     = 999
)

// preferNonIndexed lets $filter use columns without an index, as small
// tracker lists have; Graph rejects such a filter without it.
const preferNonIndexed = "HonorNonIndexedQueriesWarningMayFailRandomly"

var columnName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// EnsureList makes the list exist on the site and returns it: it finds the
// list by display name (GET /sites/{id}/lists, then its columns) or creates
// it with its columns (POST /sites/{id}/lists; Sites.Manage.All, or
// Sites.Selected with a manage grant). Calling it again finds the same
// list. A list of that name with missing columns, or columns of another
// type, gives a *ListMismatchError (ECONFLICT) naming them; extra columns
// are fine. Returns EINVALID for a bad spec.
func (c *Client) EnsureList(ctx context.Context, siteID string, spec ListSpec) (List, error) {
	if err := checkSpec(siteID, &spec); err != nil {
		return List{}, err
	}
	found, err := c.findList(ctx, siteID, spec)
	if err != nil || found != nil {
		return deref(found), err
	}

	body := models.NewList()
	body.SetDisplayName(ptr(spec.DisplayName))
	if spec.Description != "" {
		body.SetDescription(ptr(spec.Description))
	}
	info := models.NewListInfo()
	info.SetTemplate(ptr(spec.Template))
	body.SetList(info)
	cols := make([]models.ColumnDefinitionable, 0, len(spec.Columns))
	for _, col := range spec.Columns {
		cols = append(cols, columnDefinition(col))
	}
	body.SetColumns(cols)
	got, err := c.svc.Sites().BySiteId(siteID).Lists().Post(ctx, body, nil)
	if err != nil {
		err = c.fail(ctx, err, "create the list "+spec.DisplayName, PermSitesManage)
		if playbook.ErrorCode(err) == playbook.ECONFLICT {
			// Created meanwhile by someone else: check theirs.
			if again, ferr := c.findList(ctx, siteID, spec); ferr != nil || again != nil {
				return deref(again), ferr
			}
		}
		return List{}, err
	}
	return List{ID: str(got.GetId()), DisplayName: str(got.GetDisplayName()), WebURL: str(got.GetWebUrl()), Created: true}, nil
}

// findList returns the list named spec.DisplayName, nil if there is none,
// or a *ListMismatchError.
//
// perm is the permission EnsureList needs, named on a 403 even though
// these reads need less.
func (c *Client) findList(ctx context.Context, siteID string, spec ListSpec) (*List, error) {
	const op, perm = "read the lists of the site", PermSitesManage
	lists := c.svc.Sites().BySiteId(siteID).Lists()
	page, err := lists.Get(ctx, &sites.ItemListsRequestBuilderGetRequestConfiguration{
		QueryParameters: &sites.ItemListsRequestBuilderGetQueryParameters{Select: []string{"id", "name", "displayName", "webUrl", "list"}},
	})
	var hit models.Listable
	for hit == nil {
		if err != nil {
			return nil, c.fail(ctx, err, op, perm)
		}
		for _, l := range page.GetValue() {
			if strings.EqualFold(str(l.GetDisplayName()), spec.DisplayName) {
				hit = l
				break
			}
		}
		next := str(page.GetOdataNextLink())
		if hit != nil || next == "" {
			break
		}
		if err := c.ownLink(next); err != nil {
			return nil, err
		}
		page, err = lists.WithUrl(next).Get(ctx, nil)
	}
	if hit == nil {
		return nil, nil
	}

	listID := str(hit.GetId())
	cols, err := c.svc.Sites().BySiteId(siteID).Lists().ByListId(listID).Columns().Get(ctx, nil)
	if err != nil {
		return nil, c.fail(ctx, err, "read the columns of the list "+spec.DisplayName, perm)
	}
	have := map[string]ColumnType{}
	for _, col := range cols.GetValue() {
		have[strings.ToLower(str(col.GetName()))] = typeOf(col)
	}
	mismatch := &ListMismatchError{SiteID: siteID, ListID: listID, List: str(hit.GetDisplayName())}
	for _, want := range spec.Columns {
		got, ok := have[strings.ToLower(want.Name)]
		switch {
		case !ok:
			mismatch.Missing = append(mismatch.Missing, want.Name)
		case got != want.Type:
			mismatch.WrongType = append(mismatch.WrongType, fmt.Sprintf("%s: want %s, have %s", want.Name, want.Type, got))
		}
	}
	if len(mismatch.Missing)+len(mismatch.WrongType) > 0 {
		return nil, mismatch
	}
	return &List{ID: listID, DisplayName: str(hit.GetDisplayName()), WebURL: str(hit.GetWebUrl())}, nil
}

func checkSpec(siteID string, spec *ListSpec) error {
	if siteID == "" {
		return playbook.Errorf(playbook.EINVALID, "no site id")
	}
	if strings.TrimSpace(spec.DisplayName) == "" {
		return playbook.Errorf(playbook.EINVALID, "the list needs a display name")
	}
	switch spec.Template {
	case "":
		spec.Template = TemplateGenericList
	case TemplateGenericList, TemplateDocumentLibrary:
	default:
		return playbook.Errorf(playbook.EINVALID, "list template %q: want %s or %s", spec.Template, TemplateGenericList, TemplateDocumentLibrary)
	}
	seen := map[string]bool{}
	for _, col := range spec.Columns {
		if !columnName.MatchString(col.Name) {
			return playbook.Errorf(playbook.EINVALID, "column name %q: want a letter, then up to 31 letters, digits or '_'", col.Name)
		}
		if seen[strings.ToLower(col.Name)] {
			return playbook.Errorf(playbook.EINVALID, "column %q appears twice", col.Name)
		}
		seen[strings.ToLower(col.Name)] = true
		switch col.Type {
		case ColumnText, ColumnNumber, ColumnDateTime, ColumnBoolean:
		case ColumnChoice:
			if len(col.Choices) == 0 {
				return playbook.Errorf(playbook.EINVALID, "choice column %q has no choices", col.Name)
			}
		default:
			return playbook.Errorf(playbook.EINVALID, "column %q: unknown type %q", col.Name, col.Type)
		}
	}
	return nil
}

func columnDefinition(col Column) models.ColumnDefinitionable {
	d := models.NewColumnDefinition()
	d.SetName(ptr(col.Name))
	if col.Required {
		d.SetRequired(ptr(true))
	}
	switch col.Type {
	case ColumnText:
		t := models.NewTextColumn()
		if col.Multiline {
			t.SetAllowMultipleLines(ptr(true))
			t.SetLinesForEditing(ptr(int32(6)))
			t.SetTextType(ptr("plain"))
		}
		d.SetText(t)
	case ColumnNumber:
		n := models.NewNumberColumn()
		d.SetNumber(n)
	case ColumnDateTime:
		t := models.NewDateTimeColumn()
		d.SetDateTime(t)
	case ColumnBoolean:
		b := models.NewBooleanColumn()
		d.SetBoolean(b)
	case ColumnChoice:
		ch := models.NewChoiceColumn()
		ch.SetChoices(slices.Clone(col.Choices))
		d.SetChoice(ch)
	}
	return d
}

func typeOf(col models.ColumnDefinitionable) ColumnType {
	switch {
	case col.GetText() != nil:
		return ColumnText
	case col.GetNumber() != nil:
		return ColumnNumber
	case col.GetDateTime() != nil:
		return ColumnDateTime
	case col.GetBoolean() != nil:
		return ColumnBoolean
	case col.GetChoice() != nil:
		return ColumnChoice
	}
	return "other"
}

// AddItem adds an item to a list (POST /sites/{id}/lists/{id}/items;
// Sites.ReadWrite.All, or Sites.Selected with a write grant). fields are
// keyed by column internal name; time.Time values are sent as UTC
// ISO 8601. Returns EINVALID when Graph rejects a field.
func (c *Client) AddItem(ctx context.Context, siteID, listID string, fields map[string]any) (Item, error) {
	if siteID == "" || listID == "" {
		return Item{}, playbook.Errorf(playbook.EINVALID, "no site or list id")
	}
	if len(fields) == 0 {
		return Item{}, playbook.Errorf(playbook.EINVALID, "the item has no fields")
	}
	body := models.NewListItem()
	body.SetFields(fieldSet(fields))
	got, err := c.svc.Sites().BySiteId(siteID).Lists().ByListId(listID).Items().Post(ctx, body, nil)
	if err != nil {
		return Item{}, c.fail(ctx, err, "add the list item", PermSitesWrite)
	}
	return toItem(got), nil
}

// UpdateItem sets fields of a list item, leaving the others (PATCH
// /sites/{id}/lists/{id}/items/{id}/fields; Sites.ReadWrite.All, or
// Sites.Selected with a write grant). Returns ENOTFOUND for an unknown item.
func (c *Client) UpdateItem(ctx context.Context, siteID, listID, itemID string, fields map[string]any) error {
	if siteID == "" || listID == "" || itemID == "" {
		return playbook.Errorf(playbook.EINVALID, "no site, list or item id")
	}
	if len(fields) == 0 {
		return playbook.Errorf(playbook.EINVALID, "no fields to update")
	}
	_, err := c.svc.Sites().BySiteId(siteID).Lists().ByListId(listID).Items().ByListItemId(itemID).Fields().Patch(ctx, fieldSet(fields), nil)
	return c.fail(ctx, err, "update the list item", PermSitesWrite)
}

// Items returns one page of a list's items with their fields (GET
// /sites/{id}/lists/{id}/items?$expand=fields; Sites.Read.All, or
// Sites.Selected). filter is an OData filter on fields, e.g.
// "fields/Status eq 'Open'" ("" for all); non-indexed columns are allowed.
// pageSize 0 means DefaultPageSize. nextLink is "" on the last page, else
// pass it to MoreItems.
func (c *Client) Items(ctx context.Context, siteID, listID, filter string, pageSize int) ([]Item, string, error) {
	if siteID == "" || listID == "" {
		return nil, "", playbook.Errorf(playbook.EINVALID, "no site or list id")
	}
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 1 || pageSize > MaxPageSize {
		return nil, "", playbook.Errorf(playbook.EINVALID, "page size %d: want 1 to %d", pageSize, MaxPageSize)
	}
	q := &sites.ItemListsItemItemsRequestBuilderGetQueryParameters{
		Expand: []string{"fields"},
		Top:    ptr(int32(pageSize)),
	}
	h := headers()
	if filter != "" {
		q.Filter = ptr(filter)
		h = headers("Prefer", preferNonIndexed)
	}
	got, err := c.svc.Sites().BySiteId(siteID).Lists().ByListId(listID).Items().Get(ctx,
		&sites.ItemListsItemItemsRequestBuilderGetRequestConfiguration{QueryParameters: q, Headers: h})
	if err != nil {
		return nil, "", c.fail(ctx, err, "read the list items", PermSitesRead)
	}
	return toItems(got)
}

// MoreItems returns the page of items nextLink (from Items or MoreItems)
// points at. The link must be under the client's base URL.
func (c *Client) MoreItems(ctx context.Context, nextLink string) ([]Item, string, error) {
	if err := c.ownLink(nextLink); err != nil {
		return nil, "", err
	}
	got, err := c.svc.Sites().BySiteId("x").Lists().ByListId("x").Items().WithUrl(nextLink).Get(ctx,
		&sites.ItemListsItemItemsRequestBuilderGetRequestConfiguration{Headers: headers("Prefer", preferNonIndexed)})
	if err != nil {
		return nil, "", c.fail(ctx, err, "read the list items", PermSitesRead)
	}
	return toItems(got)
}

// ownLink refuses a link outside the base URL, so no token goes elsewhere.
func (c *Client) ownLink(link string) error {
	if !strings.HasPrefix(link, c.baseURL+"/") {
		return playbook.Errorf(playbook.EINVALID, "next link %q is not under %s", link, c.baseURL)
	}
	return nil
}

func toItems(got models.ListItemCollectionResponseable) ([]Item, string, error) {
	if got == nil {
		return nil, "", errors.New("graph: empty items page")
	}
	out := make([]Item, 0, len(got.GetValue()))
	for _, it := range got.GetValue() {
		out = append(out, toItem(it))
	}
	return out, str(got.GetOdataNextLink()), nil
}

func toItem(it models.ListItemable) Item {
	if it == nil {
		return Item{}
	}
	out := Item{ID: str(it.GetId()), WebURL: str(it.GetWebUrl()), Fields: map[string]any{}}
	if t := it.GetCreatedDateTime(); t != nil {
		out.Created = t.UTC()
	}
	if t := it.GetLastModifiedDateTime(); t != nil {
		out.Modified = t.UTC()
	}
	if f := it.GetFields(); f != nil {
		for k, v := range f.GetAdditionalData() {
			out.Fields[k] = plain(v)
		}
		if id := f.GetId(); id != nil {
			out.Fields["id"] = *id
		}
	}
	return out
}

// fieldSet builds the request's fieldValueSet; time.Time becomes UTC
// ISO 8601 as SharePoint dateTime columns take it.
func fieldSet(fields map[string]any) models.FieldValueSetable {
	data := make(map[string]any, len(fields))
	for k, v := range fields {
		switch t := v.(type) {
		case time.Time:
			data[k] = t.UTC().Format(time.RFC3339)
		case *time.Time:
			if t != nil {
				data[k] = t.UTC().Format(time.RFC3339)
			}
		default:
			data[k] = v
		}
	}
	fs := models.NewFieldValueSet()
	fs.SetAdditionalData(data)
	return fs
}

// plain turns the kiota JSON parser's raw values (pointers, int64) into
// what encoding/json gives for an any.
func plain(v any) any {
	switch t := v.(type) {
	case *string:
		if t == nil {
			return nil
		}
		return *t
	case *bool:
		if t == nil {
			return nil
		}
		return *t
	case *int64:
		if t == nil {
			return nil
		}
		return float64(*t)
	case *float64:
		if t == nil {
			return nil
		}
		return *t
	case *int32:
		if t == nil {
			return nil
		}
		return float64(*t)
	case *float32:
		if t == nil {
			return nil
		}
		return float64(*t)
	case *int8:
		if t == nil {
			return nil
		}
		return float64(*t)
	case *uint8:
		if t == nil {
			return nil
		}
		return float64(*t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = plain(x)
		}
		return out
	}
	return v
}

func deref(l *List) List {
	if l == nil {
		return List{}
	}
	return *l
}
