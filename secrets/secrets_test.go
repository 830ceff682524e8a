package secrets

import (
	"strings"
	"testing"
)

// The fakes below are shaped like real credentials (right prefixes, lengths
// and alphabets) and were generated at random for these tests: none is or
// was ever valid anywhere.
const (
	fakeStorageKey = "UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGA=="
	fakeAlnum36    = "JTeKdNnFRIBXuDL7DxtpYlSXpfKtHF4vUCsM"
	fakeAlnum82    = "ehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i"
	fakeAlnum32    = "0B3JrTAwR4y9ojfljoQoaF1LlqsajAIx"
	fakeBase64_32  = "nJBR8yCw24PznqetvQ105t7H89+uzI9kZWZkGnuiZg8="
	fakeURLSafe    = "MBH8NXApHFeZDRoAkSaJGfJdnQYS3zWd"
	fakeDropbox140 = "WtGSU8po-799NksnRH9ucAUsdMlHUvTCQCyEZDz_TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5di4PzJ59FHz"
	fakeJWT        = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJhcGk6Ly9tdm1ib3QiLCJ0aWQiOiI2ZjlmIiwidXBuIjoiY2Fyb2xAY29udG9zby5jb20ifQ.q8Vx3mR7tZ2pL9nW4sYbC6dF1gH5jK0aQeUoI8yT3rE"
	fakePEM        = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8s7rZ1mEbBh9qgqB0pKNM3vQx\nq8Vx3mR7tZ2pL9nW4sYbC6dF1gH5jK0aQeUoI8yT3rE7wQ2zX5cV9bN4mL1kJ6h\n-----END RSA PRIVATE KEY-----"
)

func TestFindsCredentials(t *testing.T) {
	cases := []struct {
		name, text, rule, secret string
	}{
		{"aws key id", "aws_access_key_id = AKIAZ3MSJV4WWNKWW5FG", "aws-access-token", "AKIAZ3MSJV4WWNKWW5FG"},
		{"aws key id alone", "AKIAZ3MSJV4WWNKWW5FG", "aws-access-token", "AKIAZ3MSJV4WWNKWW5FG"},
		{"github pat", "token for the sync: ghp_" + fakeAlnum36, "github-pat", "ghp_" + fakeAlnum36},
		{"github fine-grained", "github_pat_" + fakeAlnum82, "github-fine-grained-pat", "github_pat_" + fakeAlnum82},
		{"github oauth", "gho_" + fakeAlnum36, "github-oauth", "gho_" + fakeAlnum36},
		{"github app", "ghs_" + fakeAlnum36, "github-app-token", "ghs_" + fakeAlnum36},
		{"gitlab", "glpat-Xy7Zk2Lm9Np4Qr6St1Uv", "gitlab-pat", "glpat-Xy7Zk2Lm9Np4Qr6St1Uv"},
		{"slack bot", "xoxb-2847561937-4829174619283-Kq8vR2mT7xZpL4nW9sYbC3dF", "slack-bot-token", "xoxb-2847561937-4829174619283-Kq8vR2mT7xZpL4nW9sYbC3dF"},
		{"slack user", "xoxp-2847561937-4829174619-4829174619283-" + fakeAlnum32, "slack-user-token", "xoxp-2847561937-4829174619-4829174619283-" + fakeAlnum32},
		{"slack webhook", "post to https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/" + fakeAlnum32[:24] + " please", "slack-webhook-url", "https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/" + fakeAlnum32[:24]},
		{"teams webhook", "https://contoso.webhook.office.com/webhookb2/6f9619ff-8b86-d011-b42d-00cf4fc964ff@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/0b3jrtawr4y9ojfljoqoaf1llqsajaix/6f9619ff-8b86-d011-b42d-00cf4fc964ff",
			"microsoft-teams-webhook", "https://contoso.webhook.office.com/webhookb2/6f9619ff-8b86-d011-b42d-00cf4fc964ff@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/0b3jrtawr4y9ojfljoqoaf1llqsajaix/6f9619ff-8b86-d011-b42d-00cf4fc964ff"},
		{"entra client secret", "client_secret: abc8Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd", "azure-ad-client-secret", "abc8Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd"},
		{"entra client secret alone", "Wq28Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd.", "azure-ad-client-secret", "Wq28Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd."},
		{"entra client secret in parens", "(secret abc8Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd)", "azure-ad-client-secret", "abc8Q~Xy7Zk2Lm9Np4Qr6St1Uv3Wx5Yz0Ab_Cd"},
		{"gcp api key", "key AIzaSyD3xK9mQ2pL7nR4sT8vW1yZ5bC6dF0gH3j for Drive", "gcp-api-key", "AIzaSyD3xK9mQ2pL7nR4sT8vW1yZ5bC6dF0gH3j"},
		{"jwt", "Authorization header was " + fakeJWT + ".", "jwt", fakeJWT},
		{"pem", "here is the key:\n" + fakePEM, "private-key", fakePEM},
		{"pem header only", "-----BEGIN OPENSSH PRIVATE KEY-----", "private-key", "-----BEGIN OPENSSH PRIVATE KEY-----"},
		{"google oauth client secret", "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", "google-oauth-client-secret", "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"},
		{"stripe", "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "stripe-access-token", "sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789"},
		{"dropbox short-lived", "sl." + fakeDropbox140, "dropbox-short-lived-api-token", "sl." + fakeDropbox140},
		{"azure storage connection string",
			"DefaultEndpointsProtocol=https;AccountName=contosomig;AccountKey=" + fakeStorageKey + ";EndpointSuffix=core.windows.net",
			"azure-storage-account-key", fakeStorageKey},
		{"service bus", "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=" + fakeBase64_32,
			"azure-shared-access-key", fakeBase64_32},
		{"sas url", "https://contosomig.blob.core.windows.net/pst?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2027-01-01T00:00:00Z&sig=q8Vx3mR7tZ2pL9nW4sYbC6dF1gH5jK0aQeUoI8yT3rE%3D",
			"azure-sas-token", "q8Vx3mR7tZ2pL9nW4sYbC6dF1gH5jK0aQeUoI8yT3rE%3D"},
		{"url credentials", "server imaps://migration:W1nter-2027!@imap.contoso.com:993", "url-credentials", "W1nter-2027!"},
		{"bearer", "curl -H 'Authorization: Bearer " + fakeURLSafe + "'", "authorization-header", fakeURLSafe},
		{"basic auth", "Authorization: Basic bWlncmF0aW9uOldpbnRlcjIwMjch", "authorization-header", "bWlncmF0aW9uOldpbnRlcjIwMjch"},
		{"password=", "password=Sup3rS3cretValue!", "password-assignment", "Sup3rS3cretValue!"},
		{"password= plain word", "password=correcthorsebattery", "password-assignment", "correcthorsebattery"},
		{"PASSWORD =", "IMAP_PASSWORD = hunter2hunter2", "password-assignment", "hunter2hunter2"},
		{"sql connection string", "Server=tcp:contoso.database.windows.net,1433;Database=mig;User ID=admin;Password=Pa55w0rd!2024;Encrypt=true", "password-assignment", "Pa55w0rd!2024"},
		{"pwd in odbc", "Driver={ODBC Driver 18};Server=fs01;Uid=svc-mig;Pwd=Zx9!kLm2;", "password-assignment", "Zx9!kLm2"},
		{"password colon", "admin account: mig-admin@contoso.com, password: Welcome2027!", "password-assignment", "Welcome2027!"},
		{"password is", "the admin password is Hunter2Hunter2!", "password-assignment", "Hunter2Hunter2!"},
		{"passwort quoted", `passphrase: "Blue-Falcon-42"`, "password-assignment", "Blue-Falcon-42"},
		{"client secret setting", "CLIENT_SECRET=qF7vR2mT9xZpL4nW", "secret-assignment", "qF7vR2mT9xZpL4nW"},
		{"api key colon", "Box API key: Kq8vR2mT7xZpL4nW9sYb", "secret-assignment", "Kq8vR2mT7xZpL4nW9sYb"},
		{"token is", "the service account token is 7d9f2c81b3e04a6f", "secret-assignment", "7d9f2c81b3e04a6f"},
		{"random token", "use " + fakeAlnum32 + " to connect", "high-entropy-token", fakeAlnum32},
		{"random base64", "key " + fakeBase64_32, "high-entropy-token", fakeBase64_32},
		{"storage key alone", fakeStorageKey, "high-entropy-token", fakeStorageKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := Find(c.text)
			if len(fs) == 0 {
				t.Fatalf("Find(%q) = none, want %s", c.text, c.rule)
			}
			f := fs[0]
			if f.Rule != c.rule || c.text[f.Start:f.End] != c.secret {
				t.Errorf("Find(%q)[0] = %s %q, want %s %q", c.text, f.Rule, c.text[f.Start:f.End], c.rule, c.secret)
			}
			if rule, ok := Check(c.text); !ok || rule != f.Rule {
				t.Errorf("Check = %q, %t", rule, ok)
			}
			red := Redact(c.text)
			if strings.Contains(red, c.secret) {
				t.Errorf("Redact(%q) = %q still holds the secret", c.text, red)
			}
			if !strings.Contains(red, "[REDACTED:"+c.rule+"]") {
				t.Errorf("Redact(%q) = %q, want the rule named", c.text, red)
			}
			// A finding is safe to log: it names the rule and place only.
			if s := f.String(); strings.Contains(s, c.secret) || !strings.Contains(s, c.rule) {
				t.Errorf("Finding.String() = %q", s)
			}
		})
	}
}

// TestOrdinaryText pins what the questionnaire and the chat must accept.
func TestOrdinaryText(t *testing.T) {
	ok := []string{
		"imap.gmail.com",
		"mail.contoso.com",
		"outlook.office365.com",
		"contoso.onmicrosoft.com",
		"carol.customer@contoso.com",
		"+44 20 7946 0958 ext. 12",
		"2027-01-15",
		"2027-03-01, 2027-03-10/2027-03-12",
		"6f9619ff-8b86-d011-b42d-00cf4fc964ff",
		"{6F9619FF-8B86-D011-B42D-00CF4FC964FF}",
		"6f9619ff8b86d011b42d00cf4fc964ff",
		"72f988bf-86f1-41af-91ab-2d7cd011db47 is our tenant id",
		"da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"Europe/Berlin",
		"America/Argentina/Buenos_Aires",
		"https://contoso.sharepoint.com/sites/FastTrackMigration2027Project/Shared%20Documents/Forms/AllItems.aspx",
		`\\fs01.corp.contoso.com\Departments\Finance\FY2027-Budget`,
		"FastTrackMigrationWave2Batch3PilotGroup",
		"ContosoMigrationServiceAccount2027",
		"The password reset is handled by the helpdesk.",
		"Passwords go through the secure credential process (3614).",
		"password: see 3614",
		"password: will be shared separately",
		"password=<your password>",
		"password=********",
		"password = ${IMAP_PASSWORD}",
		"the token is expired",
		"API key: N/A",
		"client secret: pending",
		"credentials: provided through 3614",
		"We need a site-to-site VPN; the firewall team allow-lists 20.190.128.0/18 on port 993.",
		"Box Notes are used by Marketing, about 1,200 notes.",
		"Basic authentication is still enabled on the IMAP server.",
		"bearer of the pilot: Fay",
		"AKIAIOSFODNN7EXAMPLE",
		"Migration window: weekends only, 18:00-06:00 CET, blackout during quarter-end close.",
		"sl.No 12",
		"https://imap.contoso.com:993/",
		"ftp://files.contoso.com/pub/readme.txt",
		"-----BEGIN CERTIFICATE-----",
		"Our Entra app id is 0f8fad5b-d9cb-469f-a165-70867728950e.",
		strings.Repeat("a", 200),
		"",
	}
	for _, s := range ok {
		if fs := Find(s); len(fs) > 0 {
			t.Errorf("Find(%q) = %v, want none", s, fs)
		}
		if Redact(s) != s {
			t.Errorf("Redact(%q) changed ordinary text", s)
		}
	}
}

func TestSeveralFindings(t *testing.T) {
	s := "user: svc-mig, password: Welcome2027! and the key AKIAZ3MSJV4WWNKWW5FG, token ghp_" + fakeAlnum36
	fs := Find(s)
	var rules []string
	for _, f := range fs {
		rules = append(rules, f.Rule)
	}
	want := []string{"password-assignment", "aws-access-token", "github-pat"}
	if strings.Join(rules, ",") != strings.Join(want, ",") {
		t.Fatalf("rules = %v, want %v", rules, want)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Start < fs[i-1].End {
			t.Errorf("findings overlap: %v", fs)
		}
	}
	red := Redact(s)
	want2 := "user: svc-mig, password: [REDACTED:password-assignment] and the key [REDACTED:aws-access-token], token [REDACTED:github-pat]"
	if red != want2 {
		t.Errorf("Redact = %q\nwant      %q", red, want2)
	}
}

func TestOversized(t *testing.T) {
	s := strings.Repeat("word ", MaxScan/5+100)
	fs := Find(s)
	if len(fs) != 1 || fs[0].Rule != "oversized" || fs[0].Start != MaxScan || fs[0].End != len(s) {
		t.Fatalf("Find(oversized) = %v", fs)
	}
}

func TestRulesTable(t *testing.T) {
	rs := Rules()
	if len(rs) != len(compiled) {
		t.Fatal("Rules() and compiled differ")
	}
	for _, r := range rs {
		if r.Description == "" || r.Origin == "" {
			t.Errorf("rule %s: description and origin are required", r.ID)
		}
		switch r.Origin {
		case "gitleaks", "gitleaks, adapted", "mvmbot":
		default:
			t.Errorf("rule %s: unknown origin %q", r.ID, r.Origin)
		}
	}
	rs[0].ID = "changed"
	if Rules()[0].ID == "changed" {
		t.Error("Rules() shares the table")
	}
}

func TestEntropy(t *testing.T) {
	for _, c := range []struct {
		s    string
		want float64
	}{{"", 0}, {"aaaa", 0}, {"ab", 1}, {"abcd", 2}} {
		if got := entropy(c.s); got != c.want {
			t.Errorf("entropy(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

func FuzzFind(f *testing.F) {
	f.Add("password=Sup3rS3cretValue!")
	f.Add(fakePEM)
	f.Add("imap.gmail.com")
	f.Fuzz(func(t *testing.T, s string) {
		fs := Find(s)
		for i, x := range fs {
			if x.Start < 0 || x.End > len(s) || x.Start >= x.End {
				t.Fatalf("bad span %v in %d bytes", x, len(s))
			}
			if i > 0 && x.Start < fs[i-1].End {
				t.Fatalf("overlap %v", fs)
			}
		}
		if len(fs) == 0 && Redact(s) != s {
			t.Fatal("Redact changed text without findings")
		}
	})
}

func BenchmarkFind(b *testing.B) {
	s := strings.Repeat("The IMAP host is imap.contoso.com on port 993, 250 mailboxes of 4.5 GB on average. ", 40)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Find(s)
	}
}
