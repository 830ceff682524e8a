package manifest_test

import (
	"encoding/json"
	"fmt"

	"github.com/mvmbot/mvmbot/manifest"
)

func ExampleBuild() {
	raw, err := manifest.Build(manifest.Options{
		AppID:   "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
		Name:    "mvmbot",
		Version: "v1.4.2-3-gabcdef0",
		Domains: []string{"mvmbot.example.com"},
		Commands: []manifest.Command{
			{Title: "next", Description: "What to do next", Scopes: []string{manifest.ScopeTeam, manifest.ScopeGroupChat}},
			{Title: "engagements", Description: "Your engagements", Scopes: []string{manifest.ScopePersonal}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var m struct {
		Version string
		Bots    []struct {
			CommandLists []struct {
				Scopes   []string
				Commands []struct{ Title string }
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("version", m.Version)
	for _, l := range m.Bots[0].CommandLists {
		fmt.Println(l.Scopes, l.Commands)
	}
	// Output:
	// version 1.4.2
	// [team] [{next}]
	// [groupChat] [{next}]
	// [personal] [{engagements}]
}

func ExampleBuild_badAppID() {
	_, err := manifest.Build(manifest.Options{AppID: "mvmbot", Name: "mvmbot", Version: "1.0.0"})
	fmt.Println(err)
	// Output:
	// manifest: invalid options:
	//   - app id "mvmbot" is not a GUID (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); pass the bot's Microsoft App ID (MicrosoftAppId) from its Azure Bot registration
}
