package secrets_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/secrets"
)

// Check is the detector the bot hands to the playbook.
var _ playbook.SecretFinder = secrets.Check

// TestQuestionnaireDropsCredentials runs the real rule set through the
// questionnaire: credentials typed into any field are neither kept nor shown
// again, the person is pointed to 3614, and every other answer stays.
func TestQuestionnaireDropsCredentials(t *testing.T) {
	now := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	e, err := playbook.NewEngagement(playbook.NewEngagementParams{
		ID: "e", Customer: "Contoso", TenantDomain: "contoso.onmicrosoft.com",
		Sources: []playbook.Source{playbook.IMAP, playbook.GoogleDrive, playbook.Box},
	}, playbook.Member{ID: "29:fay", Name: "Fay", Roles: []playbook.Role{playbook.FRP}}, now)
	if err != nil {
		t.Fatal(err)
	}
	fakes := map[string]string{
		"connectivity-notes": "VPN to fs01. DefaultEndpointsProtocol=https;AccountName=contosomig;AccountKey=UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGA==;EndpointSuffix=core.windows.net",
		"notes":              "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
		"box-admin":          "box.admin@contoso.com password=Winter2027!",
		"gdrive-admin":       "ga@contoso.com client_secret=GOCSPX-q8Vx3mR7tZ2pL9nW4sYbC6dF",
		"imap-product":       "Dovecot, bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJhcGk6Ly9tdm1ib3QiLCJ0aWQiOiI2ZjlmIn0.q8Vx3mR7tZ2pL9nW4sYbC6dF1gH5jK0a",
		"comms-owner":        "Cora abc8Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd",
	}
	ordinary := playbook.Answers{
		"customer-org": "Contoso Ltd", "tenant-domain": "contoso.onmicrosoft.com", "imap-host": "imap.gmail.com",
		"gdrive-domain": "contoso.com", "tech-contact-email": "ivan@contoso.com", "tech-contact-phone": "+44 20 7946 0958",
		"window-start": "2025-04-01", "blackout-dates": "2025-06-30/2025-07-02",
		"tech-contact-name": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", // a tenant id is not a secret
	}
	in := ordinary.With(playbook.Answers(fakes))
	clean, fe := playbook.ValidateAnswers(e, in, now, secrets.Check)
	for id, v := range fakes {
		if !strings.Contains(fe[id], "looks like a credential") || !strings.Contains(fe[id], "3614") {
			t.Errorf("%s: message %q", id, fe[id])
		}
		if _, kept := clean[id]; kept {
			t.Errorf("%s: the credential was kept", id)
		}
		for _, m := range fe {
			if strings.Contains(m, v) {
				t.Errorf("a message repeats the value of %s", id)
			}
		}
	}
	for id, v := range ordinary {
		if clean[id] != v {
			t.Errorf("%s = %q, want %q kept", id, clean[id], v)
		}
		if strings.Contains(fe[id], "credential") {
			t.Errorf("%s flagged as a credential", id)
		}
	}
	// The same for a draft.
	if err := playbook.AssignRole(e, "29:fay", playbook.Member{ID: "29:carol"}, playbook.Customer, now); err != nil {
		t.Fatal(err)
	}
	dfe, err := playbook.SaveDraft(e, "29:carol", in, now, secrets.Check)
	if err != nil {
		t.Fatal(err)
	}
	for id := range fakes {
		if _, kept := e.QuestionnaireDraft.Answers[id]; kept || dfe[id] == "" {
			t.Errorf("draft: %s kept or not reported", id)
		}
	}
	if e.QuestionnaireDraft.Answers["imap-host"] != "imap.gmail.com" {
		t.Error("draft lost an ordinary answer")
	}
}
