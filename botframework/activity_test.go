package botframework

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	testBotID  = "28:5e1d7f2a-6b1c-4f3e-9d2a-00000000b075"
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// loadActivity decodes testdata/activities/name as the endpoint does.
func loadActivity(t testing.TB, name string) *Activity {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "activities", name))
	if err != nil {
		t.Fatal(err)
	}
	a, err := DecodeActivity(data)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return a
}

func mention(id, name string) map[string]any {
	return map[string]any{
		"type":      "mention",
		"text":      "<at>" + name + "</at>",
		"mentioned": map[string]any{"id": id, "name": name},
	}
}

func TestCommandText(t *testing.T) {
	bot := mention(testBotID, "mvmbot")
	grace := mention("29:1def", "Grace Hopper")
	other := mention("28:another-bot", "otherbot")
	tests := []struct {
		name     string
		text     string
		entities []map[string]any
		want     string
	}{
		{"plain", "help", nil, "help"},
		{"empty", "", nil, ""},
		{"spaces", "   help \n", nil, "help"},
		{"inner spaces collapse", "start   incident\t\tSEV2\n now", nil, "start incident SEV2 now"},
		{"case untouched", "Start Incident", nil, "Start Incident"},
		{"bot mention first", "<at>mvmbot</at> help", []map[string]any{bot}, "help"},
		{"bot mention, upper case command", "<at>mvmbot</at> HELP", []map[string]any{bot}, "HELP"},
		{"bot mention last", "help <at>mvmbot</at>", []map[string]any{bot}, "help"},
		{"bot mention in the middle", "please <at>mvmbot</at> help", []map[string]any{bot}, "please help"},
		{"bot mention only", "<at>mvmbot</at>", []map[string]any{bot}, ""},
		{"bot mention with trailing newline", "<at>mvmbot</at> start incident SEV2\n", []map[string]any{bot}, "start incident SEV2"},
		{"bot name with spaces", "<at>mvm bot</at> help", []map[string]any{mention(testBotID, "mvm bot")}, "help"},
		{"another user's mention kept", "<at>mvmbot</at> assign <at>Grace Hopper</at> as comms", []map[string]any{bot, grace}, "assign <at>Grace Hopper</at> as comms"},
		{"another user's mention right after the bot's", "<at>mvmbot</at> <at>Grace Hopper</at> is comms", []map[string]any{bot, grace}, "<at>Grace Hopper</at> is comms"},
		{"another user's mention first, no bot mention", "<at>Grace Hopper</at> help", []map[string]any{grace}, "<at>Grace Hopper</at> help"},
		{"another bot's mention", "<at>otherbot</at> help", []map[string]any{other}, "<at>otherbot</at> help"},
		{"undescribed bot mention stripped", "<at>mvmbot</at> help", nil, "help"},
		{"undescribed mention, tag in upper case", "<AT>mvmbot</AT> help", nil, "help"},
		{"undescribed mention with attributes", `<at id="0">mvmbot</at>  help`, nil, "help"},
		{"undescribed mention after spaces", "  <at>mvmbot</at>help", nil, "help"},
		{"entity without text", "<at>mvmbot</at> help", []map[string]any{{"type": "mention", "mentioned": map[string]any{"id": testBotID}}}, "help"},
		{"entity mentioned not an object", "help", []map[string]any{{"type": "mention", "text": "help", "mentioned": "x"}}, "help"},
		{"entity of another type", "help", []map[string]any{{"type": "clientInfo", "locale": "en-GB"}}, "help"},
		{"lone <at", "a <at b", nil, "a <at b"},
		{"unclosed tag first", "<at>mvmbot help", nil, "<at>mvmbot help"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := &Activity{Entities: mustJSON(t, tc.entities)}
			a.Text = tc.text
			a.Recipient.ID = testBotID
			if got := a.CommandText(); got != tc.want {
				t.Errorf("CommandText(%q) = %q; want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestConversationKey(t *testing.T) {
	const channel = "19:b1a6c7e4d0f94e0f8b1e0a2c3d4e5f60@thread.tacv2"
	tests := []struct {
		name        string
		convType    string
		convID      string
		channelData map[string]any
		want        string
	}{
		{"personal", "personal", "a:1Xk9", nil, "a:1Xk9"},
		{"group chat", "groupChat", "19:meeting_OTg@thread.v2", nil, "19:meeting_OTg@thread.v2"},
		{"group chat keeps a messageid", "groupChat", "19:x@thread.v2;messageid=1", nil, "19:x@thread.v2;messageid=1"},
		{"no type", "", "a:1", nil, "a:1"},
		{"channel from channelData", "channel", channel + ";messageid=1741000062345", map[string]any{"channel": map[string]any{"id": channel}}, channel},
		{"channelData wins over the id", "channel", "19:other@thread.tacv2;messageid=1", map[string]any{"channel": map[string]any{"id": channel}}, channel},
		{"channel without channelData", "channel", channel + ";messageid=1741000062345", nil, channel},
		{"channel, channelData without channel", "channel", channel + ";messageid=1", map[string]any{"team": map[string]any{"id": "19:team"}}, channel},
		{"channel, channel id not a string", "channel", channel + ";messageid=1", map[string]any{"channel": map[string]any{"id": 42.0}}, channel},
		{"channel, channel not an object", "channel", channel + ";messageid=1", map[string]any{"channel": "19:x"}, channel},
		{"channel, empty channel id", "channel", channel + ";messageid=1", map[string]any{"channel": map[string]any{"id": ""}}, channel},
		{"channel root post", "channel", channel, nil, channel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Activity
			a.Conversation.ConversationType = tc.convType
			a.Conversation.ID = tc.convID
			a.ChannelData = mustJSON(t, tc.channelData)
			if got := a.ConversationKey(); got != tc.want {
				t.Errorf("ConversationKey(type %q, id %q, channelData %v) = %q; want %q", tc.convType, tc.convID, tc.channelData, got, tc.want)
			}
		})
	}
}

func TestTenantID(t *testing.T) {
	tests := []struct {
		name        string
		channelData map[string]any
		convTenant  string
		want        string
	}{
		{"channelData", map[string]any{"tenant": map[string]any{"id": "t-cd"}}, "t-conv", "t-cd"},
		{"conversation", nil, "t-conv", "t-conv"},
		{"empty channelData tenant", map[string]any{"tenant": map[string]any{"id": ""}}, "t-conv", "t-conv"},
		{"tenant not an object", map[string]any{"tenant": "t-cd"}, "t-conv", "t-conv"},
		{"tenant id not a string", map[string]any{"tenant": map[string]any{"id": true}}, "t-conv", "t-conv"},
		{"neither", map[string]any{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Activity
			a.ChannelData = mustJSON(t, tc.channelData)
			a.Conversation.TenantID = tc.convTenant
			if got := a.TenantID(); got != tc.want {
				t.Errorf("TenantID(channelData %v, conversation %q) = %q; want %q", tc.channelData, tc.convTenant, got, tc.want)
			}
		})
	}
}

func TestActivityValidate(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string // "" for valid
	}{
		{"complete", `{"type":"message","id":"1","serviceUrl":"https://x/","conversation":{"id":"a:1"}}`, ""},
		{"empty", `{}`, "activity lacks type, id, serviceUrl, conversation.id"},
		{"no id", `{"type":"message","serviceUrl":"https://x/","conversation":{"id":"a:1"}}`, "activity lacks id"},
		{"no conversation", `{"type":"message","id":"1","serviceUrl":"https://x/"}`, "activity lacks conversation.id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Activity
			if err := json.Unmarshal([]byte(tc.json), &a); err != nil {
				t.Fatal(err)
			}
			err := a.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("validate(%s) = %v; want %q", tc.json, err, tc.wantErr)
			}
		})
	}
}

// Real Teams payloads (testdata/activities) decode and yield what the bot
// relies on.
func TestActivityFixtures(t *testing.T) {
	const (
		channel  = "19:b1a6c7e4d0f94e0f8b1e0a2c3d4e5f60@thread.tacv2"
		team     = "19:0f1e2d3c4b5a69788796a5b4c3d2e1f0@thread.tacv2"
		personal = "a:1Xk9_ZqJ8Wq-Px9uH2nqXhW7gWZ0pKQZg5bR0t8LfW1eU3Zr4Qm"
	)
	tests := []struct {
		file      string
		typ       string
		command   string
		key       string
		wantValue bool
	}{
		{"personal-message.json", "message", "help", personal, false},
		{"channel-mention.json", "message", "start incident SEV2 checkout errors", channel, false},
		{"groupchat-mention.json", "message", "assign <at>Grace Hopper</at> as comms", "19:meeting_OTg0ZjM1YzgtYTc4Ni00ODYxLWI4ZTQtNjE0ZTg0NzQxMzFl@thread.v2", false},
		{"invoke-action-execute.json", "invoke", "", personal, true},
		{"submit-message.json", "message", "", "a:1Xk9", true},
		{"conversation-update-added.json", "conversationUpdate", "", team, false},
		{"installation-update.json", "installationUpdate", "", "a:1Xk9", false},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "activities", "*.json"))
	if len(files) != len(tests) {
		t.Errorf("testdata/activities has %d files; the table covers %d", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			a := loadActivity(t, tc.file)
			if err := a.Validate(); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if string(a.Type) != tc.typ {
				t.Errorf("type %q; want %q", a.Type, tc.typ)
			}
			if got := a.CommandText(); got != tc.command {
				t.Errorf("CommandText = %q; want %q", got, tc.command)
			}
			if got := a.ConversationKey(); got != tc.key {
				t.Errorf("ConversationKey = %q; want %q", got, tc.key)
			}
			if got := a.TenantID(); got != testTenant {
				t.Errorf("TenantID = %q; want %q", got, testTenant)
			}
			if got := len(a.Value) > 0; got != tc.wantValue {
				t.Errorf("has value %v (%s); want %v", got, a.Value, tc.wantValue)
			}
			if want := "msteams|" + a.Conversation.ID + "|" + a.ID; a.DedupKey() != want {
				t.Errorf("DedupKey() = %q; want %q", a.DedupKey(), want)
			}
		})
	}
}

// Value keeps what the schema's map would refuse, and entities keep the
// mention data the schema's Entity drops.
func TestActivityDecodesFaithfully(t *testing.T) {
	for _, v := range []string{`"text"`, `[1,2]`, `42`, `{"a":{"b":[true]}}`} {
		a, err := DecodeActivity([]byte(`{"type":"message","value":` + v + `}`))
		if err != nil {
			t.Errorf("decode with value %s: %v", v, err)
			continue
		}
		if string(a.Value) != v {
			t.Errorf("value %s decoded as %s", v, a.Value)
		}
	}
	a := loadActivity(t, "channel-mention.json")
	if es := a.entities(); len(es) == 0 || es[0].Mentioned.ID != testBotID {
		t.Errorf("mention entity lost its mentioned.id: %+v", es)
	}
}

// mustJSON is v as JSON, or nothing for a nil v.
func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	if reflect.ValueOf(v).IsNil() {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeActivity's decoder reads every sample activity exactly as
// encoding/json does.
func TestDecodeActivityMatchesEncodingJSON(t *testing.T) {
	for name, data := range sampleActivities(t) {
		var want Activity
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("encoding/json: %s: %v", name, err)
		}
		got, err := DecodeActivity(data)
		if err != nil {
			t.Fatalf("decodeActivity: %s: %v", name, err)
		}
		if !reflect.DeepEqual(got, &want) {
			t.Errorf("%s: decodeActivity gave\n%+v\nencoding/json\n%+v", name, got, &want)
		}
	}
}

// Entities and channelData of shapes Teams does not send do not make the
// activity unreadable: what can be read is, the rest reads as empty.
func TestActivityOddShapes(t *testing.T) {
	tests := []struct {
		name, extra     string
		tenant, channel string
		mentionID, tag  string
	}{
		{"tenant a string", `"channelData":{"tenant":"t-x","channel":{"id":"19:c"}}`, "", "19:c", "", ""},
		{"channel id a number", `"channelData":{"tenant":{"id":"t-1"},"channel":{"id":42}}`, "t-1", "", "", ""},
		{"channelData a list", `"channelData":[1,2]`, "", "", "", ""},
		{"entities an object", `"entities":{"type":"mention"}`, "", "", "", ""},
		{"mentioned a string", `"entities":[{"type":"mention","text":"<at>x</at>","mentioned":"x"},{"type":"mention","text":"<at>G</at>","mentioned":{"id":"29:g"}}]`, "", "", "29:g", "<at>G</at>"},
		{"entity not an object", `"entities":[1,{"type":"mention","text":"<at>G</at>","mentioned":{"id":"29:g"}}]`, "", "", "29:g", "<at>G</at>"},
		{"type a number", `"entities":[{"type":7},{"type":"mention","text":"<at>G</at>","mentioned":{"id":"29:g"}}]`, "", "", "29:g", "<at>G</at>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := DecodeActivity([]byte(`{"type":"message","text":"hi",` + tc.extra + `}`))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := a.channelData(); got.Tenant.ID != tc.tenant || got.Channel.ID != tc.channel {
				t.Errorf("channelData() = %+v; want tenant %q, channel %q", got, tc.tenant, tc.channel)
			}
			var id, tag string
			for _, e := range a.entities() {
				if e.Type == "mention" && e.Mentioned.ID != "" {
					id, tag = e.Mentioned.ID, e.Text
				}
			}
			if id != tc.mentionID || tag != tc.tag {
				t.Errorf("mention = %q %q; want %q %q", id, tag, tc.mentionID, tc.tag)
			}
		})
	}
}

// sampleActivities returns the activities under testdata/activities, by
// file name.
func sampleActivities(tb testing.TB) map[string][]byte {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "activities", "*.json"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no sample activities in testdata/activities (%v)", err)
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(name)] = data
	}
	return out
}
