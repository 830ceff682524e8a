package fakes_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mvmbot/mvmbot/internal/fakes"
)

func do(t *testing.T, method, url, body string, hdr ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, resp.Header
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestGraphEventsLikeGraph(t *testing.T) {
	g := fakes.NewGraph()
	defer g.Close()
	events := g.URL() + "/users/mst@contoso.com/events"

	status, m, _ := do(t, "POST", events, `{"start":{"dateTime":"2025-06-02T10:00:00","timeZone":"UTC"},"end":{"dateTime":"2025-06-02T11:00:00","timeZone":"UTC"}}`)
	if status != 400 || errCode(m) != "ErrorInvalidRequest" {
		t.Errorf("no subject: %d %v", status, m)
	}

	ev := `{"subject":"Workshop","transactionId":"t-1","isOnlineMeeting":true,"onlineMeetingProvider":"teamsForBusiness",
		"start":{"dateTime":"2025-06-02T10:00:00","timeZone":"Europe/Berlin"},"end":{"dateTime":"2025-06-02T11:00:00","timeZone":"Europe/Berlin"}}`
	status, first, _ := do(t, "POST", events, ev, "Prefer", `outlook.timezone="UTC"`)
	if status != 201 || first["id"] == nil || first["@odata.context"] == nil {
		t.Fatalf("create: %d %v", status, first)
	}
	if start := first["start"].(map[string]any); start["dateTime"] != "2025-06-02T08:00:00.0000000" || start["timeZone"] != "UTC" {
		t.Errorf("Prefer UTC ignored: %v", start)
	}
	if om, _ := first["onlineMeeting"].(map[string]any); om["joinUrl"] == nil {
		t.Errorf("no join URL: %v", first)
	}
	status, again, _ := do(t, "POST", events, ev)
	if status != 201 || again["id"] != first["id"] || len(g.Events()) != 1 {
		t.Errorf("duplicate transactionId: %d %v, %d events", status, again["id"], len(g.Events()))
	}
	status, _, _ = do(t, "POST", events+"/"+first["id"].(string)+"/cancel", `{"comment":"sorry"}`)
	if status != 202 {
		t.Errorf("cancel: %d", status)
	}
	status, m, _ = do(t, "GET", events+"/nope", "")
	if status != 404 || errCode(m) != "ErrorItemNotFound" {
		t.Errorf("unknown event: %d %v", status, m)
	}
}

func TestGraphRejectsMislabelledGzip(t *testing.T) {
	g := fakes.NewGraph()
	defer g.Close()
	url := g.URL() + "/groups"
	body := `{"displayName":"M","mailNickname":"m","mailEnabled":true,"securityEnabled":false,"groupTypes":["Unified"]}`
	status, m, _ := do(t, "POST", url, body, "Content-Encoding", "gzip")
	if status != 400 || !strings.Contains(m["error"].(map[string]any)["message"].(string), "Unable to read JSON request payload") {
		t.Errorf("plain body labelled gzip: %d %v", status, m)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	status, m, _ = do(t, "POST", url, zipped.String(), "Content-Encoding", "gzip")
	if status != 201 || m["id"] == nil {
		t.Errorf("real gzip: %d %v", status, m)
	}
}

func TestGraphFaultsAndProvisioning(t *testing.T) {
	g := fakes.NewGraph()
	defer g.Close()
	g.Fail(fakes.GraphFault{Method: "POST", Path: "/groups", Status: 429, RetryAfter: "7", Times: 1})
	g.SetSiteProvisioning(1, 0)
	body := `{"displayName":"M","mailNickname":"m","mailEnabled":true,"securityEnabled":false,"groupTypes":["Unified"]}`
	status, m, h := do(t, "POST", g.URL()+"/groups", body)
	if status != 429 || h.Get("Retry-After") != "7" || errCode(m) != "TooManyRequests" {
		t.Errorf("fault: %d %v %v", status, h, m)
	}
	status, grp, _ := do(t, "POST", g.URL()+"/groups", body)
	if status != 201 {
		t.Fatalf("after the fault: %d %v", status, grp)
	}
	site := g.URL() + "/groups/" + grp["id"].(string) + "/sites/root"
	if status, m, _ := do(t, "GET", site, ""); status != 404 || errCode(m) != "itemNotFound" {
		t.Errorf("while provisioning: %d %v", status, m)
	}
	if status, m, _ := do(t, "GET", site, ""); status != 200 || m["webUrl"] != "https://contoso.sharepoint.com/sites/m" {
		t.Errorf("provisioned: %d %v", status, m)
	}
	if n := len(g.RequestsTo("GET", "/groups/")); n != 2 {
		t.Errorf("recorded %d GETs, want 2", n)
	}
}
