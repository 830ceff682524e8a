package bot_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// Hostile names and text, as people can type them in Teams: a display
// name, a customer name or an escalation that is Markdown would otherwise
// become a link, emphasis, an HTML tag or code in everyone's messages.
var (
	phisher = person{"29:phish", "[phish](https://evil.example)", "aad-phish"}
	starry  = person{"29:starry", "*x* <b>y</b> `z`", "aad-starry"}
)

// unescaped finds Markdown a hostile value became: a link, emphasis, a
// tag or code whose first character no backslash escapes.
var unescaped = regexp.MustCompile("(^|[^\\\\])(\\[phish\\]|\\]\\(https://evil|\\*x|<b>|`z)")

// TestHostileNamesEscaped plants hostile names through the endpoint (the
// roster, the sender's name, the customer, an escalation, a waived item)
// and searches every post the connector got and every card answered for
// Markdown they became; each mention's <at> tag must be in its text.
func TestHostileNamesEscaped(t *testing.T) {
	h := newHarness(t, harnessOpts{auth: true})
	c := &conv{t: t, h: h}
	c.h.conn.SetMembers(roster(pat, phisher, starry, vi))
	var answers []string
	form := c.say(pat, "setup")
	data := action(t, replyCard(t, form), "setupSave", "")
	submit := map[string]any{
		"customer": "[phish](https://evil.example)", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	}
	for k, v := range data {
		submit[k] = v
	}
	answers = append(answers, string(c.click(pat, "setupSave", submit).Value))
	c.say(pat, "role <at>"+phisher.name+"</at> MST", phisher)
	c.say(pat, "role <at>"+starry.name+"</at> customer", starry)
	c.say(pat, "role <at>"+vi.name+"</at> mvm", vi)
	c.say(starry, "escalate high [phish](https://evil.example) *x* <b>y</b> `z`")
	c.say(phisher, "note [phish](https://evil.example) and *x*")
	c.say(pat, "done 1699")
	c.say(phisher, "workshop 1635 held elsewhere [phish](https://evil.example) *x*")
	c.say(phisher, "event 1 start anyway [phish](https://evil.example) *x*")
	c.say(phisher, "done [phish](https://evil.example)")
	c.say(phisher, "help [phish](https://evil.example)")
	c.say(phisher, "[phish](https://evil.example) *x*")
	c.say(phisher, "status [phish](https://evil.example)")
	c.say(phisher, "na 3614 [phish](https://evil.example) *x*")
	e := c.engagement()
	answers = append(answers, string(c.click(pat, "lead", map[string]any{"engagement": e.ID, "version": e.Version, "lead": phisher.id}).Value))
	c.say(starry, "next")
	c.say(phisher, "status")
	c.say(phisher, "escalations")
	c.say(phisher, "roles")

	calls := c.h.conn.Calls()
	if len(calls) < 8 {
		t.Fatalf("%d posts, want the replies to 10 messages", len(calls))
	}
	mentions := 0
	for _, call := range calls {
		var a struct {
			Text     string `json:"text"`
			Entities []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"entities"`
		}
		if err := json.Unmarshal(call.Body, &a); err != nil {
			continue
		}
		for _, e := range a.Entities {
			if e.Type != "mention" {
				continue
			}
			mentions++
			if !strings.Contains(a.Text, e.Text) {
				t.Errorf("mention %q is not in the text %q", e.Text, a.Text)
			}
		}
		for _, s := range strings.Split(a.Text, "\n") {
			if m := unescaped.FindString(s); m != "" {
				t.Errorf("unescaped %q in a post: %q", m, a.Text)
			}
			// Nobody typed a backslash: two are a name escaped twice,
			// which Teams shows with a stray backslash.
			if strings.Contains(s, `\\`) {
				t.Errorf("escaped twice in a post: %q", a.Text)
			}
		}
		answers = append(answers, string(call.Body))
	}
	if mentions == 0 {
		t.Error("no post mentions anyone: the escalation mentions its point of contact")
	}
	for _, raw := range answers {
		for _, s := range cardStrings(raw) {
			if m := unescaped.FindString(s); m != "" {
				t.Errorf("unescaped %q in a card: %q", m, s)
			}
			if strings.Contains(s, `\\`) {
				t.Errorf("escaped twice in a card: %q", s)
			}
		}
	}
}

// cardStrings are the texts of the TextBlocks, TextRuns and facts anywhere
// in raw JSON: what Teams renders as Markdown (an input's value is not).
func cardStrings(raw string) []string {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch x["type"] {
			case "TextBlock", "TextRun":
				s, _ := x["text"].(string)
				out = append(out, s)
			case "FactSet":
				facts, _ := x["facts"].([]any)
				for _, f := range facts {
					m, _ := f.(map[string]any)
					for _, k := range []string{"title", "value"} {
						s, _ := m[k].(string)
						out = append(out, s)
					}
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}
