// Command pgcheck drives a running Microsoft 365 Agents Playground the way
// its web UI does and checks mvmbot's answers. In the personal chat: a
// message gets a hint, "help" the help card, the card's button (an
// Action.Execute invoke) the card back in the invoke response, installing
// the bot the welcome card. In the group chat, as an engagement: @mvmbot
// setup, the form submitted, next steps, the Done button, status; then
// next steps in the personal chat, across the person's engagements.
// scripts/playground-smoke.sh starts the bot and the Playground and runs it.
//
// With -walk STEP it runs one step of the walk of an engagement by each of
// its people instead (walk.go); scripts/playground-walk.sh runs them all,
// the Playground restarted as each step's person.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

func main() {
	base := flag.String("playground", "http://localhost:56150", "Agents Playground URL")
	timeout := flag.Duration("timeout", 15*time.Second, "how long to wait for each answer")
	step := flag.String("walk", "", "run this step of the walk by each role (see -steps) instead of the smoke check")
	steps := flag.Bool("steps", false, "list the walk's steps, one \"step role\" a line, and exit")
	flag.Parse()
	if *steps {
		for _, s := range walkSteps {
			fmt.Println(s.name, s.role)
		}
		return
	}
	c := &checker{base: strings.TrimSuffix(*base, "/"), timeout: *timeout, step: *step}
	if err := c.run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	if *step != "" {
		fmt.Println("walk step", *step, "passed")
		return
	}
	fmt.Println("playground check passed")
}

type checker struct {
	base     string
	timeout  time.Duration
	ws       *websocket.Conn
	conv     string
	user     string
	personal string
	group    string
	botID    string
	botName  string
	step     string // the walk step to run; "": the smoke check
}

// logEntry is one activity as the Playground's log stream reports it.
type logEntry struct {
	LogAction string `json:"logAction"`
	Log       struct {
		ConversationID string `json:"conversationId"`
		MessageID      string `json:"messageId"`
		From           string `json:"from"`
		Request        struct {
			Body struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				ReplyToID   string `json:"replyToId"`
				Attachments []struct {
					ContentType string         `json:"contentType"`
					Content     map[string]any `json:"content"`
				} `json:"attachments"`
			} `json:"body"`
		} `json:"request"`
	} `json:"log"`
}

func (c *checker) run() error {
	var cfg struct {
		Config struct {
			Bot          struct{ ID, Name string } `json:"bot"`
			CurrentUser  struct{ ID string }       `json:"currentUser"`
			PersonalChat struct{ ID string }       `json:"personalChat"`
			GroupChats   []struct{ ID string }     `json:"groupChats"`
		} `json:"config"`
	}
	if err := c.getJSON("/_internal/v1/testConfig", &cfg); err != nil {
		return err
	}
	c.conv, c.user = cfg.Config.PersonalChat.ID, cfg.Config.CurrentUser.ID
	c.personal = c.conv
	c.botID, c.botName = cfg.Config.Bot.ID, cfg.Config.Bot.Name
	if len(cfg.Config.GroupChats) == 0 {
		return errors.New("the Playground has no group chat")
	}
	c.group = cfg.Config.GroupChats[0].ID
	ws, err := websocket.Dial(strings.Replace(c.base, "http", "ws", 1)+"/_ws/log/stream", "", c.base+"/")
	if err != nil {
		return fmt.Errorf("open the Playground's log stream: %w", err)
	}
	defer ws.Close()
	c.ws = ws
	// The stream replays the history first; mark where this run begins.
	time.Sleep(500 * time.Millisecond)
	if c.step != "" {
		return c.walk(c.step)
	}

	if err := c.say("hello"); err != nil {
		return err
	}
	reply, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to hello: %w", err)
	}
	if !strings.Contains(reply.Log.Request.Body.Text, " is running. Type") {
		return fmt.Errorf("reply to hello = %q", reply.Log.Request.Body.Text)
	}
	fmt.Printf("ok   hello -> %q\n", reply.Log.Request.Body.Text)

	if err := c.say("help"); err != nil {
		return err
	}
	reply, err = c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to help: %w", err)
	}
	if err := isCard(reply); err != nil {
		return fmt.Errorf("reply to help: %w", err)
	}
	fmt.Println("ok   help -> Adaptive Card")

	var inv struct {
		Type  string         `json:"type"`
		Value map[string]any `json:"value"`
	}
	err = c.postJSON("/_conversation/v1/invoke", map[string]any{
		"name":         "adaptiveCard/action",
		"value":        map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": "help", "data": map[string]any{}}, "trigger": "manual"},
		"from":         map[string]any{"id": c.user},
		"conversation": map[string]any{"id": c.conv},
		"replyToId":    reply.Log.MessageID,
	}, &inv)
	if err != nil {
		return fmt.Errorf("click the help card's button: %w", err)
	}
	if inv.Type != "application/vnd.microsoft.card.adaptive" || inv.Value["type"] != "AdaptiveCard" {
		return fmt.Errorf("invoke answered %s, want an Adaptive Card", inv.Type)
	}
	fmt.Println("ok   Action.Execute help -> card in the invoke response")

	if err := c.postJSON("/_debug/conversation/"+c.conv+"/installation", nil, nil); err != nil {
		return fmt.Errorf("install the bot: %w", err)
	}
	reply, err = c.nextFromBot()
	if err != nil {
		return fmt.Errorf("welcome on install: %w", err)
	}
	if err := isCard(reply); err != nil {
		return fmt.Errorf("welcome on install: %w", err)
	}
	fmt.Println("ok   install -> welcome card")
	return c.engagement()
}

// engagement walks an engagement in the group chat as its FRP would.
func (c *checker) engagement() error {
	c.conv = c.group
	if err := c.postJSON("/_debug/conversation/"+c.conv+"/installation", nil, nil); err != nil {
		return fmt.Errorf("install the bot in the group chat: %w", err)
	}
	if _, err := c.nextFromBot(); err != nil {
		return fmt.Errorf("welcome in the group chat: %w", err)
	}
	if err := c.mention("setup"); err != nil {
		return err
	}
	form, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to setup: %w", err)
	}
	save, err := findAction(form, "setupSave")
	if err != nil {
		return fmt.Errorf("setup form: %w", err)
	}
	data := save["data"].(map[string]any)
	for k, v := range map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	} {
		data[k] = v
	}
	card, err := c.invoke("setupSave", data, form.Log.MessageID)
	if err != nil {
		return fmt.Errorf("submit the setup form: %w", err)
	}
	if !strings.Contains(mustJSON(card), "Contoso") {
		return fmt.Errorf("setup answered a card without the customer: %s", mustJSON(card))
	}
	fmt.Println("ok   group chat: setup form submitted -> engagement Contoso")

	if err := c.mention("next steps"); err != nil {
		return err
	}
	next, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to next steps: %w", err)
	}
	done, err := findAction(next, "done")
	if err != nil {
		return fmt.Errorf("next steps card: %w", err)
	}
	fmt.Printf("ok   group chat: next steps -> a Done button for %v\n", done["data"].(map[string]any)["task"])
	card, err = c.invoke("done", done["data"].(map[string]any), next.Log.MessageID)
	if err != nil {
		return fmt.Errorf("click Done: %w", err)
	}
	if !strings.Contains(mustJSON(card), "AdaptiveCard") {
		return fmt.Errorf("the Done button answered %s", mustJSON(card))
	}
	fmt.Println("ok   group chat: Done -> card updated in place")
	// A click's change is announced to the rest of the chat.
	announced, err := c.nextFromBot()
	if err != nil || !strings.Contains(announced.Log.Request.Body.Text, "done") {
		return fmt.Errorf("the Done click's announcement: %v %q", err, announced.Log.Request.Body.Text)
	}
	fmt.Printf("ok   group chat: Done -> announced: %q\n", announced.Log.Request.Body.Text)

	if err := c.mention("status"); err != nil {
		return err
	}
	status, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to status: %w", err)
	}
	if err := isCard(status); err != nil {
		return fmt.Errorf("reply to status: %w", err)
	}
	fmt.Println("ok   group chat: status -> progress card")
	if err := c.personalNext(); err != nil {
		return err
	}
	return c.workshop()
}

// personalNext asks for next steps in the personal chat, which lists the
// person's tasks across their engagements: here, Contoso's.
func (c *checker) personalNext() error {
	c.conv = c.personal
	defer func() { c.conv = c.group }()
	if err := c.say("next steps"); err != nil {
		return err
	}
	next, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to next steps in the personal chat: %w", err)
	}
	done, err := findAction(next, "done")
	if err != nil {
		return fmt.Errorf("personal next steps card: %w", err)
	}
	if card := mustJSON(cardEntryOf(next)); !strings.Contains(card, "Contoso") {
		return fmt.Errorf("personal next steps card lacks the engagement: %s", card)
	}
	fmt.Printf("ok   personal chat: next steps -> Contoso, a Done button for %v\n", done["data"].(map[string]any)["task"])
	return nil
}

// workshop schedules the first workshop the way the MST would, in local
// mode (no organizer mailbox): Schedule, the proposed slots, pick one.
func (c *checker) workshop() error {
	if err := c.mention("workshops"); err != nil {
		return err
	}
	list, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to workshops: %w", err)
	}
	schedule, err := findAction(list, "workshopSchedule")
	if err != nil {
		return fmt.Errorf("workshops card: %w", err)
	}
	form, err := c.invoke("workshopSchedule", schedule["data"].(map[string]any), list.Log.MessageID)
	if err != nil {
		return fmt.Errorf("click Schedule: %w", err)
	}
	slots, err := findInCard(form, "workshopSlots")
	if err != nil {
		return fmt.Errorf("schedule form: %w", err)
	}
	data := slots["data"].(map[string]any)
	for id, v := range inputsOf(form) {
		data[id] = v // what the form shows, as a person who accepts it sends it
	}
	proposals, err := c.invoke("workshopSlots", data, list.Log.MessageID)
	if err != nil {
		return fmt.Errorf("ask for slots: %w", err)
	}
	pick, err := findInCard(proposals, "workshopPick")
	if err != nil {
		return fmt.Errorf("proposed slots: %w", err)
	}
	data = pick["data"].(map[string]any)
	for id, v := range inputsOf(proposals) {
		data[id] = v // the slot the list shows chosen: Book sends it
	}
	booked, err := c.invoke("workshopPick", data, list.Log.MessageID)
	if err != nil {
		return fmt.Errorf("pick a slot: %w", err)
	}
	if !strings.Contains(mustJSON(booked), "/ics/") {
		return fmt.Errorf("booking answered a card without the calendar file: %s", mustJSON(booked))
	}
	// The invitation is also posted to the chat, for the invitees.
	post, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("invitation post: %w", err)
	}
	if err := isCard(post); err != nil || !strings.Contains(mustJSON(post.Log.Request.Body.Attachments), "/ics/") {
		return fmt.Errorf("invitation post: %v %s", err, mustJSON(post.Log.Request.Body.Attachments))
	}
	fmt.Println("ok   group chat: workshops -> Schedule -> slots -> picked, invitation with .ics, posted to the chat")
	return c.issue()
}

// issue reports a migration issue whose error is a known one, in local
// mode (no Graph): the tracker is mvmbot's own, and issues export gives it.
func (c *checker) issue() error {
	if err := c.mention("site"); err != nil {
		return err
	}
	site, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to site: %w", err)
	}
	if err := isCard(site); err != nil || !strings.Contains(mustJSON(site.Log.Request.Body.Attachments), "not configured") {
		return fmt.Errorf("site in local mode: %v %s", err, mustJSON(site.Log.Request.Body.Attachments))
	}
	fmt.Println("ok   group chat: site -> the tracker is kept in mvmbot (local mode)")

	if err := c.mention("issue"); err != nil {
		return err
	}
	form, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to issue: %w", err)
	}
	submit, err := findAction(form, "issueSubmit")
	if err != nil {
		return fmt.Errorf("issue form: %w", err)
	}
	data := submit["data"].(map[string]any)
	for id, v := range inputsOf(cardEntryOf(form)) {
		data[id] = v
	}
	data["issueTitle"] = "Pilot mailbox stops at the first folder"
	data["issueUnit"] = "adele@contoso.com"
	data["issueError"] = "IMAP: We had trouble signing in to this account."
	reported, err := c.invoke("issueSubmit", data, form.Log.MessageID)
	if err != nil {
		return fmt.Errorf("report the issue: %w", err)
	}
	if s := mustJSON(reported); !strings.Contains(s, "Issue #1") || !strings.Contains(s, "imap-auth-failed") {
		return fmt.Errorf("the report answered %s", s)
	}
	post, err := c.nextFromBot()
	if err != nil || !strings.Contains(post.Log.Request.Body.Text, "Issue **#1**") {
		return fmt.Errorf("the issue's post: %v %q", err, post.Log.Request.Body.Text)
	}
	fmt.Println("ok   group chat: issue -> form -> Report -> #1 with the known error's fix, posted to the chat")

	if err := c.mention("issues export"); err != nil {
		return err
	}
	export, err := c.nextFromBot()
	if err != nil || !strings.Contains(export.Log.Request.Body.Text, "Pilot mailbox stops") {
		return fmt.Errorf("issues export: %v %q", err, export.Log.Request.Body.Text)
	}
	fmt.Println("ok   group chat: issues export -> CSV")
	return nil
}

// cardEntryOf is the card of a message, for inputsOf.
func cardEntryOf(e logEntry) map[string]any {
	if len(e.Log.Request.Body.Attachments) == 0 {
		return nil
	}
	return e.Log.Request.Body.Attachments[0].Content
}

// findInCard finds the first Action.Execute with verb in a card.
func findInCard(card map[string]any, verb string) (map[string]any, error) {
	return findAction(cardEntry(card), verb)
}

// cardEntry wraps a card returned by an invoke like a message's, for
// findAction.
func cardEntry(card map[string]any) logEntry {
	var e logEntry
	e.Log.Request.Body.Attachments = append(e.Log.Request.Body.Attachments, struct {
		ContentType string         `json:"contentType"`
		Content     map[string]any `json:"content"`
	}{"application/vnd.microsoft.card.adaptive", card})
	return e
}

// inputsOf returns the ids and shown values of a card's inputs.
func inputsOf(card map[string]any) map[string]any {
	out := map[string]any{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if t, _ := v["type"].(string); strings.HasPrefix(t, "Input.") {
				if id, _ := v["id"].(string); id != "" && v["value"] != nil {
					out[id] = fmt.Sprint(v["value"])
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(card)
	return out
}

// mention says text to the bot in the group chat, @mentioning it as Teams
// requires there.
func (c *checker) mention(text string) error {
	tag := "<at>" + c.botName + "</at>"
	err := c.postJSON("/_conversation/v1/conversations/"+c.conv+"/messages", map[string]any{
		"from": map[string]any{"id": c.user}, "text": tag + " " + text, "textFormat": "plain",
		"mentions": []any{map[string]any{"mentioned": map[string]any{"id": c.botID}, "text": tag}},
	}, nil)
	if err != nil {
		return fmt.Errorf("say %q: %w", text, err)
	}
	return nil
}

// invoke clicks an Action.Execute button and returns the card it answers.
func (c *checker) invoke(verb string, data map[string]any, replyTo string) (map[string]any, error) {
	var inv struct {
		Type  string         `json:"type"`
		Value map[string]any `json:"value"`
	}
	err := c.postJSON("/_conversation/v1/invoke", map[string]any{
		"name":         "adaptiveCard/action",
		"value":        map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
		"from":         map[string]any{"id": c.user},
		"conversation": map[string]any{"id": c.conv},
		"replyToId":    replyTo,
	}, &inv)
	if err != nil {
		return nil, err
	}
	if inv.Type != "application/vnd.microsoft.card.adaptive" {
		return nil, fmt.Errorf("answered %s: %v", inv.Type, inv.Value)
	}
	return inv.Value, nil
}

// findAction finds the first Action.Execute with verb in the bot's card.
func findAction(e logEntry, verb string) (map[string]any, error) {
	if err := isCard(e); err != nil {
		return nil, err
	}
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if found == nil && v["type"] == "Action.Execute" && v["verb"] == verb {
				found = v
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(e.Log.Request.Body.Attachments[0].Content)
	if found == nil {
		return nil, fmt.Errorf("no %q button", verb)
	}
	if _, ok := found["data"].(map[string]any); !ok {
		found["data"] = map[string]any{}
	}
	return found, nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func isCard(e logEntry) error {
	atts := e.Log.Request.Body.Attachments
	if len(atts) != 1 || atts[0].ContentType != "application/vnd.microsoft.card.adaptive" || atts[0].Content["type"] != "AdaptiveCard" {
		return errors.New("no Adaptive Card in the bot's message")
	}
	return nil
}

func (c *checker) say(text string) error {
	err := c.postJSON("/_conversation/v1/conversations/"+c.conv+"/messages",
		map[string]any{"from": map[string]any{"id": c.user}, "text": text, "textFormat": "plain"}, nil)
	if err != nil {
		return fmt.Errorf("send %q: %w", text, err)
	}
	return nil
}

// nextFromBot returns the next activity the bot sent in the conversation.
func (c *checker) nextFromBot() (logEntry, error) {
	deadline := time.Now().Add(c.timeout)
	for {
		if err := c.ws.SetReadDeadline(deadline); err != nil {
			return logEntry{}, err
		}
		var raw []byte
		if err := websocket.Message.Receive(c.ws, &raw); err != nil {
			return logEntry{}, fmt.Errorf("no answer from the bot within %s: %w", c.timeout, err)
		}
		var e logEntry
		if json.Unmarshal(raw, &e) != nil || e.LogAction != "appendLog" {
			continue
		}
		if e.Log.From == "User Application" && e.Log.ConversationID == c.conv && e.Log.Request.Body.Type == "message" {
			return e, nil
		}
	}
}

func (c *checker) getJSON(path string, out any) error {
	resp, err := http.Get(c.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (c *checker) postJSON(path string, in, out any) error {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	resp, err := http.Post(c.base+path, "application/json", body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s %s", path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}
