package fakes

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GraphRequest is one request the fake Graph received, as sent.
type GraphRequest struct {
	Method string
	Path   string     // decoded, including the /v1.0 prefix
	Query  url.Values // decoded query ($filter, $top, ...)
	Header http.Header
	Body   []byte // as received (still gzipped if the client gzipped it)
}

// JSON decodes the request body as a JSON object; nil if it is not one.
func (r GraphRequest) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

// GraphFault makes the fake answer matching requests with an error instead
// of serving them.
type GraphFault struct {
	Method string // "" matches any method
	// Path matches requests whose path, after the /v1.0 prefix, starts
	// with it, case-insensitively ("/users/mst@contoso.com/events"); ""
	// matches all.
	Path       string
	Status     int    // e.g. 403, 429, 503
	Code       string // OData error code; a typical one for Status when ""
	Message    string // OData error message; a typical one when ""
	RetryAfter string // Retry-After header value (seconds or HTTP date); none when ""
	Times      int    // how many matching requests fail; 0 or less: all of them
	// Contains, when set, matches only requests whose body holds it (one
	// meeting's subject among others).
	Contains string
}

// GraphBusy is one busy block in a fake mailbox.
type GraphBusy struct {
	Start, End time.Time
	Status     string // busy (default), tentative, oof, workingElsewhere
}

// GraphSchedule is what getSchedule reports for one mailbox.
type GraphSchedule struct {
	Busy      []GraphBusy
	WorkDays  []time.Weekday // default Monday to Friday
	WorkStart string         // "08:00:00" by default
	WorkEnd   string         // "17:00:00" by default
	TimeZone  string         // working hours' zone; "UTC" by default
	// Error makes the mailbox answer with a per-person error (as Graph
	// does for an unknown address), e.g. "ErrorMailRecipientNotFound".
	Error string
}

// Graph plays the parts of Microsoft Graph v1.0 that mvmbot uses: calendar
// getSchedule and events (create with transactionId deduplication, get,
// patch, cancel), groups (create, filter by mailNickname, group site with a
// provisioning delay), sites by path, lists, columns and list items. It
// answers like Graph: JSON with @odata.context, 201 for creates, 202 for
// cancel, OData error bodies, and it decompresses a gzip body and rejects
// one that is labelled gzip but is not (as Graph does).
//
// It records every request. Point GRAPH_BASE_URL (graph.Config.BaseURL) at
// URL. It does not check tokens; it records the Authorization header.
type Graph struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []GraphRequest
	faults   []*GraphFault
	seq      int

	events    map[string]map[string]any // id → event
	eventKeys []string                  // creation order
	txns      map[string]string         // organizer|transactionId → id
	joinAfter int                       // GETs before a new event has its join URL
	joinGets  map[string]int
	schedules map[string]GraphSchedule // lower-case address → schedule

	groups        map[string]map[string]any
	groupSite     map[string]string // group id → site id
	groupCreated  map[string]time.Time
	groupPolls    map[string]int
	provPolls     int
	provAfter     time.Duration
	sharePointHst string

	sites     map[string]*fakeSite
	sitePaths map[string]string // lower(host + path) → site id
}

type fakeSite struct {
	id, name, displayName, webURL string
	lists                         []*fakeList
}

type fakeList struct {
	id, name, displayName, template, webURL string
	columns                                 []map[string]any
	items                                   []*fakeItem
	nextItem                                int
}

type fakeItem struct {
	id                string
	fields            map[string]any
	created, modified time.Time
}

// NewGraph starts a fake Graph. Group sites are provisioned at once until
// SetSiteProvisioning says otherwise; new events have their join URL at
// once until SetJoinURLDelay says otherwise.
func NewGraph() *Graph {
	g := &Graph{
		events:        map[string]map[string]any{},
		txns:          map[string]string{},
		joinGets:      map[string]int{},
		schedules:     map[string]GraphSchedule{},
		groups:        map[string]map[string]any{},
		groupSite:     map[string]string{},
		groupCreated:  map[string]time.Time{},
		groupPolls:    map[string]int{},
		sharePointHst: "contoso.sharepoint.com",
		sites:         map[string]*fakeSite{},
		sitePaths:     map[string]string{},
	}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	return g
}

// URL is the Graph root with its version, e.g. http://127.0.0.1:PORT/v1.0.
func (g *Graph) URL() string { return g.srv.URL + "/v1.0" }

// Close stops the server.
func (g *Graph) Close() { g.srv.Close() }

// Requests returns a copy of every request received so far, in order.
func (g *Graph) Requests() []GraphRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.requests)
}

// RequestsTo returns the requests with this method whose path (after /v1.0)
// starts with prefix, case-insensitively.
func (g *Graph) RequestsTo(method, prefix string) []GraphRequest {
	var out []GraphRequest
	for _, r := range g.Requests() {
		if (method == "" || r.Method == method) && hasPrefixFold(strings.TrimPrefix(r.Path, "/v1.0"), prefix) {
			out = append(out, r)
		}
	}
	return out
}

// ClearRequests forgets the recorded requests.
func (g *Graph) ClearRequests() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = nil
}

// Fail adds a fault; faults are checked in the order added.
func (g *Graph) Fail(f GraphFault) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = append(g.faults, &f)
}

// ClearFaults removes all faults.
func (g *Graph) ClearFaults() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = nil
}

// SetSchedule sets what getSchedule reports for address.
func (g *Graph) SetSchedule(address string, s GraphSchedule) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.schedules[strings.ToLower(address)] = s
}

// SetJoinURLDelay makes new online meetings lack onlineMeeting.joinUrl for
// their first n reads (GET), as Graph sometimes fills it late.
func (g *Graph) SetJoinURLDelay(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.joinAfter = n
}

// SetSiteProvisioning makes GET /groups/{id}/sites/root answer 404
// itemNotFound until it has done so polls times for that group, or until
// after has passed since the group was created (when after > 0), whichever
// comes first.
func (g *Graph) SetSiteProvisioning(polls int, after time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.provPolls, g.provAfter = polls, after
}

// AddSite adds a site at https://{host}{path} (path "" for the root site)
// and returns its id.
func (g *Graph) AddSite(host, path, displayName string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addSiteLocked(host, path, displayName)
}

func (g *Graph) addSiteLocked(host, path, displayName string) string {
	g.seq++
	id := fmt.Sprintf("%s,%s,%s", host, guid(g.seq, 1), guid(g.seq, 2))
	name := path[strings.LastIndex(path, "/")+1:]
	if name == "" {
		name = host
	}
	g.sites[id] = &fakeSite{id: id, name: name, displayName: displayName, webURL: "https://" + host + path}
	g.sitePaths[strings.ToLower(host+path)] = id
	return id
}

// AddList creates a list on a site from the same JSON body POST
// /sites/{id}/lists takes, and returns its id.
func (g *Graph) AddList(siteID string, body map[string]any) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sites[siteID]
	if s == nil {
		return "", fmt.Errorf("fake graph: no site %q", siteID)
	}
	l, status, msg := g.createListLocked(s, body)
	if l == nil {
		return "", fmt.Errorf("fake graph: add list: %d %s", status, msg)
	}
	return l.id, nil
}

// ListItems returns the fields of the items of a list, in creation order.
func (g *Graph) ListItems(siteID, listID string) []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.listLocked(siteID, listID)
	if l == nil {
		return nil
	}
	out := make([]map[string]any, len(l.items))
	for i, it := range l.items {
		out[i] = cloneMap(it.fields)
	}
	return out
}

// Events returns the events created so far, in creation order, as JSON
// objects.
func (g *Graph) Events() []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]map[string]any, len(g.eventKeys))
	for i, id := range g.eventKeys {
		out[i] = cloneMap(g.events[id])
	}
	return out
}

// Groups returns the groups created so far, keyed by id.
func (g *Graph) Groups() map[string]map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]map[string]any{}
	for id, grp := range g.groups {
		out[id] = cloneMap(grp)
	}
	return out
}

// serve records the request, applies faults, then routes it.
func (g *Graph) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := GraphRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: raw}
	g.mu.Lock()
	g.requests = append(g.requests, req)
	fault := g.faultLocked(r.Method, strings.TrimPrefix(r.URL.Path, "/v1.0"), plainBody(r, raw))
	g.mu.Unlock()
	if fault != nil {
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		code, msg := fault.Code, fault.Message
		if code == "" {
			code, msg = typicalError(fault.Status)
		}
		g.odataError(w, fault.Status, code, msg)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v1.0/") {
		g.odataError(w, http.StatusBadRequest, "BadRequest", "Invalid version: "+r.URL.Path)
		return
	}

	var body map[string]any
	if len(raw) > 0 {
		data := raw
		if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err == nil {
				data, err = io.ReadAll(zr)
			}
			if err != nil {
				g.odataError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
				return
			}
		}
		if err := json.Unmarshal(data, &body); err != nil {
			g.odataError(w, http.StatusBadRequest, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
			return
		}
	}
	g.route(w, r, strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/"), "/"), body)
}

// plainBody is a request's body as sent before compression: raw itself
// unless it is gzip that decodes.
func plainBody(r *http.Request, raw []byte) []byte {
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		return raw
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return raw
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return raw
	}
	return data
}

func (g *Graph) faultLocked(method, path string, body []byte) *GraphFault {
	for i, f := range g.faults {
		if (f.Method != "" && f.Method != method) || !hasPrefixFold(path, f.Path) || !bytes.Contains(body, []byte(f.Contains)) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				g.faults = slices.Delete(g.faults, i, i+1)
			}
		}
		return f
	}
	return nil
}

func (g *Graph) route(w http.ResponseWriter, r *http.Request, seg []string, body map[string]any) {
	n, m := len(seg), r.Method
	is := func(i int, s string) bool { return i < n && strings.EqualFold(seg[i], s) }
	switch {
	case n == 4 && is(0, "users") && is(2, "calendar") && is(3, "getSchedule") && m == http.MethodPost:
		g.getSchedule(w, r, seg[1], body)
	case n == 3 && is(0, "users") && is(2, "events") && m == http.MethodPost:
		g.createEvent(w, r, seg[1], body)
	case n == 4 && is(0, "users") && is(2, "events") && (m == http.MethodGet || m == http.MethodPatch):
		g.event(w, r, seg[1], seg[3], body)
	case n == 5 && is(0, "users") && is(2, "events") && is(4, "cancel") && m == http.MethodPost:
		g.cancelEvent(w, seg[3], body)
	case n == 1 && is(0, "groups") && m == http.MethodPost:
		g.createGroup(w, body)
	case n == 1 && is(0, "groups") && m == http.MethodGet:
		g.listGroups(w, r)
	case n == 4 && is(0, "groups") && is(2, "sites") && is(3, "root") && m == http.MethodGet:
		g.groupRootSite(w, seg[1])
	case n >= 2 && is(0, "sites") && strings.Contains(seg[1], ":") && m == http.MethodGet:
		g.siteByPath(w, seg[1:])
	case n == 2 && is(0, "sites") && m == http.MethodGet:
		g.site(w, seg[1])
	case n == 3 && is(0, "sites") && is(2, "lists"):
		g.lists(w, r, seg[1], body)
	case n == 5 && is(0, "sites") && is(2, "lists") && is(4, "columns") && m == http.MethodGet:
		g.columns(w, seg[1], seg[3])
	case n == 5 && is(0, "sites") && is(2, "lists") && is(4, "items"):
		g.items(w, r, seg[1], seg[3], body)
	case n == 7 && is(0, "sites") && is(2, "lists") && is(4, "items") && is(6, "fields") && m == http.MethodPatch:
		g.patchFields(w, seg[1], seg[3], seg[5], body)
	default:
		g.odataError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", seg[n-1]))
	}
}

// --- calendar ---

var freeBusyDigit = map[string]byte{"free": '0', "tentative": '1', "busy": '2', "oof": '3', "workingElsewhere": '4'}

func (g *Graph) getSchedule(w http.ResponseWriter, r *http.Request, user string, body map[string]any) {
	// Action parameters bind case-insensitively in Graph; msgraph-sdk-go
	// sends them as the metadata spells them (Schedules, StartTime, ...).
	people, _ := param(body, "schedules").([]any)
	start, errS := readDTZ(param(body, "startTime"))
	end, errE := readDTZ(param(body, "endTime"))
	interval := 30
	if v, ok := param(body, "availabilityViewInterval").(float64); ok {
		interval = int(v)
	}
	switch {
	case len(people) == 0:
		g.odataError(w, http.StatusBadRequest, "ErrorInvalidParameter", "The parameter 'schedules' is required.")
		return
	case errS != nil || errE != nil:
		g.odataError(w, http.StatusBadRequest, "ErrorInvalidParameter", "startTime and endTime must be dateTimeTimeZone values.")
		return
	case !end.After(start):
		g.odataError(w, http.StatusBadRequest, "ErrorInvalidParameter", "The end time must be after the start time.")
		return
	case interval < 5 || interval > 1440:
		g.odataError(w, http.StatusBadRequest, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440.")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []any
	for _, p := range people {
		addr, _ := p.(string)
		s, ok := g.schedules[strings.ToLower(addr)]
		if !ok {
			s = GraphSchedule{}
		}
		if s.Error != "" {
			out = append(out, map[string]any{
				"scheduleId":       addr,
				"availabilityView": "",
				"error":            map[string]any{"message": "The specified mailbox could not be found.", "responseCode": s.Error},
			})
			continue
		}
		slots := int(end.Sub(start) / (time.Duration(interval) * time.Minute))
		view := bytes.Repeat([]byte{'0'}, slots)
		var items []any
		for _, b := range s.Busy {
			if !b.End.After(start) || !b.Start.Before(end) {
				continue
			}
			status := b.Status
			if status == "" {
				status = "busy"
			}
			items = append(items, map[string]any{
				"isPrivate": false, "status": status,
				"start": map[string]any{"dateTime": b.Start.UTC().Format("2006-01-02T15:04:05.0000000"), "timeZone": "UTC"},
				"end":   map[string]any{"dateTime": b.End.UTC().Format("2006-01-02T15:04:05.0000000"), "timeZone": "UTC"},
			})
			for i := range view {
				ss := start.Add(time.Duration(i*interval) * time.Minute)
				se := ss.Add(time.Duration(interval) * time.Minute)
				if b.Start.Before(se) && b.End.After(ss) && freeBusyDigit[status] > view[i] {
					view[i] = freeBusyDigit[status]
				}
			}
		}
		days := s.WorkDays
		if days == nil {
			days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
		}
		var dayNames []any
		for _, d := range days {
			dayNames = append(dayNames, strings.ToLower(d.String()))
		}
		out = append(out, map[string]any{
			"scheduleId":       addr,
			"availabilityView": string(view),
			"scheduleItems":    orEmpty(items),
			"workingHours": map[string]any{
				"daysOfWeek": dayNames,
				"startTime":  orDefault(s.WorkStart, "08:00:00") + ".0000000",
				"endTime":    orDefault(s.WorkEnd, "17:00:00") + ".0000000",
				"timeZone":   map[string]any{"name": orDefault(s.TimeZone, "UTC")},
			},
		})
	}
	g.writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": g.URL() + "/$metadata#Collection(microsoft.graph.scheduleInformation)",
		"value":          orEmpty(out),
	})
}

func (g *Graph) createEvent(w http.ResponseWriter, r *http.Request, organizer string, body map[string]any) {
	subject, _ := body["subject"].(string)
	if strings.TrimSpace(subject) == "" {
		g.odataError(w, http.StatusBadRequest, "ErrorInvalidRequest", "The event subject is required.")
		return
	}
	for _, k := range []string{"start", "end"} {
		if _, err := readDTZ(body[k]); err != nil {
			g.odataError(w, http.StatusBadRequest, "ErrorInvalidRequest", fmt.Sprintf("The %s of the event is missing or invalid: %v.", k, err))
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	txn, _ := body["transactionId"].(string)
	key := strings.ToLower(organizer) + "|" + txn
	if id, ok := g.txns[key]; ok && txn != "" {
		// Graph drops the duplicate and answers with the first event.
		g.writeEventLocked(w, r, http.StatusCreated, organizer, id)
		return
	}
	g.seq++
	id := fmt.Sprintf("AAMkAGVmMDEz-%06d", g.seq)
	ev := cloneMap(body)
	ev["id"] = id
	ev["iCalUId"] = fmt.Sprintf("040000008200E00074C5B7101A82E008%016d", g.seq)
	ev["webLink"] = "https://outlook.office365.com/owa/?itemid=" + id + "&exvsurl=1&path=/calendar/item"
	ev["organizer"] = map[string]any{"emailAddress": map[string]any{"address": organizer}}
	ev["isCancelled"] = false
	ev["createdDateTime"] = time.Now().UTC().Format(time.RFC3339Nano)
	ev["originalStartTimeZone"] = dtzZone(body["start"])
	ev["originalEndTimeZone"] = dtzZone(body["end"])
	ev["onlineMeeting"] = nil
	if online, _ := body["isOnlineMeeting"].(bool); online {
		if g.joinAfter == 0 {
			ev["onlineMeeting"] = map[string]any{"joinUrl": joinURL(g.seq)}
		} else {
			g.joinGets[id] = g.joinAfter
		}
	}
	g.events[id] = ev
	g.eventKeys = append(g.eventKeys, id)
	if txn != "" {
		g.txns[key] = id
	}
	g.writeEventLocked(w, r, http.StatusCreated, organizer, id)
}

func (g *Graph) event(w http.ResponseWriter, r *http.Request, organizer, id string, body map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ev := g.events[id]
	if ev == nil {
		g.odataError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	if r.Method == http.MethodPatch {
		for k, v := range body {
			ev[k] = v
		}
		if z := dtzZone(body["start"]); z != nil {
			ev["originalStartTimeZone"] = z
		}
		if z := dtzZone(body["end"]); z != nil {
			ev["originalEndTimeZone"] = z
		}
		g.writeEventLocked(w, r, http.StatusOK, organizer, id)
		return
	}
	if left, ok := g.joinGets[id]; ok {
		if left > 0 {
			g.joinGets[id] = left - 1
		} else {
			n, _ := strconv.Atoi(id[strings.LastIndex(id, "-")+1:])
			ev["onlineMeeting"] = map[string]any{"joinUrl": joinURL(n)}
			delete(g.joinGets, id)
		}
	}
	g.writeEventLocked(w, r, http.StatusOK, organizer, id)
}

func (g *Graph) cancelEvent(w http.ResponseWriter, id string, body map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ev := g.events[id]
	// Cancel moves the event to Deleted Items, where it has another id
	// (event: cancel, Microsoft Graph v1.0): a second cancel by the old id
	// finds nothing, and the attendees hear of the cancellation once.
	if ev == nil || ev["isCancelled"] == true {
		g.odataError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	ev["isCancelled"] = true
	if c := param(body, "comment"); c != nil {
		ev["cancellationComment"] = c
	}
	w.WriteHeader(http.StatusAccepted)
}

// writeEventLocked writes an event, in UTC when the client prefers it.
func (g *Graph) writeEventLocked(w http.ResponseWriter, r *http.Request, status int, organizer, id string) {
	ev := cloneMap(g.events[id])
	if strings.Contains(r.Header.Get("Prefer"), `outlook.timezone="UTC"`) {
		for _, k := range []string{"start", "end"} {
			if t, err := readDTZ(ev[k]); err == nil {
				ev[k] = map[string]any{"dateTime": t.UTC().Format("2006-01-02T15:04:05.0000000"), "timeZone": "UTC"}
			}
		}
	}
	ev["@odata.context"] = fmt.Sprintf("%s/$metadata#users('%s')/events/$entity", g.URL(), url.PathEscape(organizer))
	g.writeJSON(w, status, ev)
}

// --- groups and sites ---

func (g *Graph) createGroup(w http.ResponseWriter, body map[string]any) {
	name, _ := body["displayName"].(string)
	nick, _ := body["mailNickname"].(string)
	_, mailOK := body["mailEnabled"].(bool)
	_, secOK := body["securityEnabled"].(bool)
	switch {
	case name == "":
		g.odataError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'Group'.")
		return
	case nick == "" || strings.ContainsAny(nick, " @()\\[]\";:<>,"):
		g.odataError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'Group'.")
		return
	case !mailOK || !secOK:
		g.odataError(w, http.StatusBadRequest, "Request_BadRequest", "A value is required for properties 'mailEnabled' and 'securityEnabled' of resource 'Group'.")
		return
	}
	for _, k := range []string{"owners@odata.bind", "members@odata.bind"} {
		refs, _ := body[k].([]any)
		for _, ref := range refs {
			s, _ := ref.(string)
			if !strings.Contains(s, "/users/") && !strings.Contains(s, "/directoryObjects/") {
				g.odataError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid object identifier '%s'.", s))
				return
			}
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, grp := range g.groups {
		if strings.EqualFold(grp["mailNickname"].(string), nick) {
			g.odataError(w, http.StatusBadRequest, "Request_BadRequest", "Another object with the same value for property mailNickname already exists.")
			return
		}
	}
	g.seq++
	id := guid(g.seq, 0)
	grp := map[string]any{
		"id": id, "displayName": name, "mailNickname": nick,
		"description": body["description"], "groupTypes": body["groupTypes"],
		"mailEnabled": body["mailEnabled"], "securityEnabled": body["securityEnabled"],
		"visibility": body["visibility"], "mail": nick + "@contoso.onmicrosoft.com",
		"createdDateTime": time.Now().UTC().Format(time.RFC3339),
	}
	g.groups[id] = grp
	g.groupCreated[id] = time.Now()
	g.groupSite[id] = g.addSiteLocked(g.sharePointHst, "/sites/"+nick, name)
	out := cloneMap(grp)
	out["@odata.context"] = g.URL() + "/$metadata#groups/$entity"
	g.writeJSON(w, http.StatusCreated, out)
}

var eqFilter = regexp.MustCompile(`^\s*([A-Za-z/]+)\s+eq\s+('(?:[^']|'')*'|true|false|-?[0-9.]+)\s*$`)

func (g *Graph) listGroups(w http.ResponseWriter, r *http.Request) {
	filter := r.URL.Query().Get("$filter")
	field, want := "", any(nil)
	if filter != "" {
		var ok bool
		if field, want, ok = parseEq(filter); !ok {
			g.odataError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query.")
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	ids := make([]string, 0, len(g.groups))
	for id := range g.groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []any
	for _, id := range ids {
		grp := g.groups[id]
		if field != "" && !equalFold(grp[field], want) {
			continue
		}
		out = append(out, cloneMap(grp))
	}
	g.writeJSON(w, http.StatusOK, map[string]any{"@odata.context": g.URL() + "/$metadata#groups", "value": orEmpty(out)})
}

func (g *Graph) groupRootSite(w http.ResponseWriter, groupID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	siteID, ok := g.groupSite[groupID]
	if !ok {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "Item not found")
		return
	}
	byPolls := g.groupPolls[groupID] >= g.provPolls
	byTime := g.provAfter > 0 && time.Since(g.groupCreated[groupID]) >= g.provAfter
	if !byPolls && !byTime {
		g.groupPolls[groupID]++
		g.odataError(w, http.StatusNotFound, "itemNotFound", "Item not found")
		return
	}
	g.writeSiteLocked(w, siteID)
}

func (g *Graph) siteByPath(w http.ResponseWriter, seg []string) {
	host, first, _ := strings.Cut(seg[0], ":")
	path := strings.TrimSuffix(strings.Join(append([]string{first}, seg[1:]...), "/"), ":")
	if path != "" && !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.sitePaths[strings.ToLower(host+strings.TrimSuffix(path, "/"))]
	if !ok {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	g.writeSiteLocked(w, id)
}

func (g *Graph) site(w http.ResponseWriter, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if byHost, ok := g.sitePaths[strings.ToLower(id)]; ok { // GET /sites/{hostname}
		id = byHost
	}
	if _, ok := g.sites[id]; !ok {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	g.writeSiteLocked(w, id)
}

func (g *Graph) writeSiteLocked(w http.ResponseWriter, id string) {
	s := g.sites[id]
	g.writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": g.URL() + "/$metadata#sites/$entity",
		"id":             s.id, "name": s.name, "displayName": s.displayName, "webUrl": s.webURL,
		"createdDateTime": "2024-01-01T00:00:00Z",
		"siteCollection":  map[string]any{"hostname": strings.SplitN(s.id, ",", 2)[0]},
	})
}

// --- lists and items ---

var columnFacets = []string{"text", "number", "dateTime", "boolean", "choice", "personOrGroup", "currency", "lookup", "hyperlinkOrPicture"}

func (g *Graph) lists(w http.ResponseWriter, r *http.Request, siteID string, body map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sites[siteID]
	if s == nil {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		var out []any
		for _, l := range s.lists {
			out = append(out, listJSON(l))
		}
		g.writeJSON(w, http.StatusOK, map[string]any{"@odata.context": g.URL() + "/$metadata#sites('" + siteID + "')/lists", "value": orEmpty(out)})
	case http.MethodPost:
		l, status, msg := g.createListLocked(s, body)
		if l == nil {
			code := "invalidRequest"
			if status == http.StatusConflict {
				code = "nameAlreadyExists"
			}
			g.odataError(w, status, code, msg)
			return
		}
		out := listJSON(l)
		out["@odata.context"] = g.URL() + "/$metadata#sites('" + siteID + "')/lists/$entity"
		g.writeJSON(w, http.StatusCreated, out)
	default:
		g.odataError(w, http.StatusMethodNotAllowed, "BadRequest", "Method not allowed")
	}
}

func (g *Graph) createListLocked(s *fakeSite, body map[string]any) (*fakeList, int, string) {
	name, _ := body["displayName"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, http.StatusBadRequest, "The displayName of the list is required."
	}
	for _, l := range s.lists {
		if strings.EqualFold(l.displayName, name) {
			return nil, http.StatusConflict, "A list, survey, discussion board, or document library with the specified title already exists in this Web site.  Please choose another title."
		}
	}
	template := "genericList"
	if info, ok := body["list"].(map[string]any); ok {
		if t, ok := info["template"].(string); ok {
			template = t
		}
	}
	if template != "genericList" && template != "documentLibrary" {
		return nil, http.StatusBadRequest, fmt.Sprintf("Invalid template '%s'.", template)
	}
	g.seq++
	l := &fakeList{id: guid(g.seq, 3), name: strings.ReplaceAll(name, " ", ""), displayName: name, template: template}
	l.webURL = s.webURL + "/Lists/" + l.name
	l.columns = []map[string]any{
		{"name": "Title", "displayName": "Title", "text": map[string]any{}},
		{"name": "Created", "displayName": "Created", "readOnly": true, "dateTime": map[string]any{}},
		{"name": "Modified", "displayName": "Modified", "readOnly": true, "dateTime": map[string]any{}},
	}
	cols, _ := body["columns"].([]any)
	for _, c := range cols {
		col, _ := c.(map[string]any)
		cname, _ := col["name"].(string)
		facets := 0
		for _, f := range columnFacets {
			if _, ok := col[f]; ok {
				facets++
			}
		}
		if cname == "" || facets != 1 {
			return nil, http.StatusBadRequest, fmt.Sprintf("Invalid column definition '%s': a column needs a name and exactly one type.", cname)
		}
		col = cloneMap(col)
		if _, ok := col["displayName"]; !ok {
			col["displayName"] = cname
		}
		l.columns = append(l.columns, col)
	}
	for i, c := range l.columns {
		c["id"] = guid(g.seq, 100+i)
	}
	s.lists = append(s.lists, l)
	return l, http.StatusCreated, ""
}

func listJSON(l *fakeList) map[string]any {
	return map[string]any{
		"id": l.id, "name": l.name, "displayName": l.displayName, "webUrl": l.webURL,
		"list": map[string]any{"template": l.template, "hidden": false, "contentTypesEnabled": false},
	}
}

func (g *Graph) listLocked(siteID, listID string) *fakeList {
	s := g.sites[siteID]
	if s == nil {
		return nil
	}
	for _, l := range s.lists {
		if l.id == listID || strings.EqualFold(l.displayName, listID) {
			return l
		}
	}
	return nil
}

func (g *Graph) columns(w http.ResponseWriter, siteID, listID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.listLocked(siteID, listID)
	if l == nil {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "The specified list was not found")
		return
	}
	out := make([]any, len(l.columns))
	for i, c := range l.columns {
		out[i] = cloneMap(c)
	}
	g.writeJSON(w, http.StatusOK, map[string]any{"@odata.context": g.URL() + "/$metadata#sites('" + siteID + "')/lists('" + listID + "')/columns", "value": out})
}

func (g *Graph) items(w http.ResponseWriter, r *http.Request, siteID, listID string, body map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.listLocked(siteID, listID)
	if l == nil {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "The specified list was not found")
		return
	}
	switch r.Method {
	case http.MethodPost:
		fields, _ := body["fields"].(map[string]any)
		if err := checkFields(l, fields); err != "" {
			g.odataError(w, http.StatusBadRequest, "invalidRequest", err)
			return
		}
		l.nextItem++
		now := time.Now().UTC()
		it := &fakeItem{id: strconv.Itoa(l.nextItem), fields: cloneMap(fields), created: now, modified: now}
		it.fields["id"] = it.id
		l.items = append(l.items, it)
		out := itemJSON(l, it, true)
		out["@odata.context"] = g.URL() + "/$metadata#sites('" + siteID + "')/lists('" + listID + "')/items/$entity"
		g.writeJSON(w, http.StatusCreated, out)
	case http.MethodGet:
		q := r.URL.Query()
		match := func(*fakeItem) bool { return true }
		if f := q.Get("$filter"); f != "" {
			field, want, ok := parseEq(f)
			if !ok || !strings.HasPrefix(field, "fields/") {
				g.odataError(w, http.StatusBadRequest, "invalidRequest", "Invalid filter clause")
				return
			}
			col := strings.TrimPrefix(field, "fields/")
			if !strings.Contains(r.Header.Get("Prefer"), "HonorNonIndexedQueriesWarningMayFailRandomly") {
				g.odataError(w, http.StatusBadRequest, "invalidRequest", fmt.Sprintf("Field '%s' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, but be warned that such queries may fail on large lists.", col))
				return
			}
			match = func(it *fakeItem) bool { return equalFold(it.fields[col], want) }
		}
		top := 200
		if v, err := strconv.Atoi(q.Get("$top")); err == nil && v > 0 {
			top = v
		}
		skip, _ := strconv.Atoi(q.Get("$skiptoken"))
		expand := strings.Contains(q.Get("$expand"), "fields")
		var out []any
		next := ""
		seen := 0
		for _, it := range l.items {
			if !match(it) {
				continue
			}
			seen++
			if seen <= skip {
				continue
			}
			if len(out) == top {
				nq := url.Values{}
				for k, v := range q {
					nq[k] = v
				}
				nq.Set("$skiptoken", strconv.Itoa(skip+top))
				next = g.URL() + "/sites/" + siteID + "/lists/" + listID + "/items?" + nq.Encode()
				break
			}
			out = append(out, itemJSON(l, it, expand))
		}
		resp := map[string]any{"@odata.context": g.URL() + "/$metadata#sites('" + siteID + "')/lists('" + listID + "')/items", "value": orEmpty(out)}
		if next != "" {
			resp["@odata.nextLink"] = next
		}
		g.writeJSON(w, http.StatusOK, resp)
	default:
		g.odataError(w, http.StatusMethodNotAllowed, "BadRequest", "Method not allowed")
	}
}

func (g *Graph) patchFields(w http.ResponseWriter, siteID, listID, itemID string, body map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.listLocked(siteID, listID)
	if l == nil {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "The specified list was not found")
		return
	}
	var it *fakeItem
	for _, x := range l.items {
		if x.id == itemID {
			it = x
		}
	}
	if it == nil {
		g.odataError(w, http.StatusNotFound, "itemNotFound", "The specified list item was not found")
		return
	}
	if err := checkFields(l, body); err != "" {
		g.odataError(w, http.StatusBadRequest, "invalidRequest", err)
		return
	}
	for k, v := range body {
		it.fields[k] = v
	}
	it.modified = time.Now().UTC()
	out := cloneMap(it.fields)
	out["@odata.context"] = g.URL() + "/$metadata#sites('" + siteID + "')/lists('" + listID + "')/items('" + itemID + "')/fields/$entity"
	g.writeJSON(w, http.StatusOK, out)
}

func checkFields(l *fakeList, fields map[string]any) string {
	if len(fields) == 0 {
		return "The request must have fields."
	}
	for k := range fields {
		if strings.HasPrefix(k, "@odata") {
			continue
		}
		known := false
		for _, c := range l.columns {
			if c["name"] == k {
				known = true
			}
		}
		if !known {
			return fmt.Sprintf("Field '%s' is not recognized", k)
		}
	}
	return ""
}

func itemJSON(l *fakeList, it *fakeItem, withFields bool) map[string]any {
	out := map[string]any{
		"id":                   it.id,
		"createdDateTime":      it.created.Format(time.RFC3339),
		"lastModifiedDateTime": it.modified.Format(time.RFC3339),
		"webUrl":               l.webURL + "/" + it.id + "_.000",
	}
	if withFields {
		out["fields"] = cloneMap(it.fields)
	}
	return out
}

// --- helpers ---

func (g *Graph) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("request-id", fmt.Sprintf("fake-%d", time.Now().UnixNano()))
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (g *Graph) odataError(w http.ResponseWriter, status int, code, msg string) {
	g.writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": code, "message": msg,
		"innerError": map[string]any{
			"date":       time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id": "00000000-0000-0000-0000-000000000000",
		},
	}})
}

func typicalError(status int) (code, msg string) {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest", "Invalid request."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token is empty."
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "itemNotFound", "The resource could not be found."
	case http.StatusConflict:
		return "conflict", "The request conflicts with the current state."
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Too many requests."
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable", "The service is temporarily unavailable."
	case http.StatusGatewayTimeout:
		return "gatewayTimeout", "The gateway timed out."
	}
	return "generalException", "An unexpected error occurred."
}

// windowsZones are the Windows zone ids the fake understands (Graph knows
// them all).
var windowsZones = map[string]string{
	"W. Europe Standard Time":   "Europe/Berlin",
	"Romance Standard Time":     "Europe/Paris",
	"GMT Standard Time":         "Europe/London",
	"Eastern Standard Time":     "America/New_York",
	"Central Standard Time":     "America/Chicago",
	"Pacific Standard Time":     "America/Los_Angeles",
	"India Standard Time":       "Asia/Calcutta",
	"Tokyo Standard Time":       "Asia/Tokyo",
	"AUS Eastern Standard Time": "Australia/Sydney",
}

// readDTZ reads a dateTimeTimeZone JSON value; zones it does not know are
// read as UTC.
func readDTZ(v any) (time.Time, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return time.Time{}, fmt.Errorf("not a dateTimeTimeZone")
	}
	dt, _ := m["dateTime"].(string)
	tz, _ := m["timeZone"].(string)
	if dt == "" || tz == "" {
		return time.Time{}, fmt.Errorf("dateTime and timeZone are required")
	}
	if iana, ok := windowsZones[tz]; ok {
		tz = iana
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return time.ParseInLocation("2006-01-02T15:04:05.9999999", dt, loc)
}

// param reads an action parameter, matching its name case-insensitively.
func param(body map[string]any, name string) any {
	for k, v := range body {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func dtzZone(v any) any {
	if m, ok := v.(map[string]any); ok {
		return m["timeZone"]
	}
	return nil
}

func parseEq(filter string) (field string, value any, ok bool) {
	m := eqFilter.FindStringSubmatch(filter)
	if m == nil {
		return "", nil, false
	}
	switch v := m[2]; {
	case strings.HasPrefix(v, "'"):
		return m[1], strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
	case v == "true" || v == "false":
		return m[1], v == "true", true
	default:
		f, err := strconv.ParseFloat(v, 64)
		return m[1], f, err == nil
	}
}

func equalFold(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return strings.EqualFold(as, bs)
	}
	return a == b
}

func joinURL(n int) string {
	return fmt.Sprintf("https://teams.microsoft.com/l/meetup-join/19%%3ameeting_fake%06d%%40thread.v2/0", n)
}

func guid(n, k int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, k)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// cloneMap copies a JSON object deeply enough that callers cannot change
// the fake's state.
func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	var out map[string]any
	b, _ := json.Marshal(m)
	_ = json.Unmarshal(b, &out)
	return out
}
