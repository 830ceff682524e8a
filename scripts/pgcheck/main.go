// Command pgcheck drives a running Microsoft 365 Agents Playground the way
// its web UI does and checks mvmbot's answers: a message gets the
// placeholder reply, "help" gets the help card, the card's button (an
// Action.Execute invoke) gets the card back in the invoke response, and
// installing the bot gets the welcome card. scripts/playground-smoke.sh
// starts the bot and the Playground and then runs it.
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
	flag.Parse()
	c := &checker{base: strings.TrimSuffix(*base, "/"), timeout: *timeout}
	if err := c.run(); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("playground check passed")
}

type checker struct {
	base    string
	timeout time.Duration
	ws      *websocket.Conn
	conv    string
	user    string
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
			CurrentUser  struct{ ID string } `json:"currentUser"`
			PersonalChat struct{ ID string } `json:"personalChat"`
		} `json:"config"`
	}
	if err := c.getJSON("/_internal/v1/testConfig", &cfg); err != nil {
		return err
	}
	c.conv, c.user = cfg.Config.PersonalChat.ID, cfg.Config.CurrentUser.ID
	ws, err := websocket.Dial(strings.Replace(c.base, "http", "ws", 1)+"/_ws/log/stream", "", c.base+"/")
	if err != nil {
		return fmt.Errorf("open the Playground's log stream: %w", err)
	}
	defer ws.Close()
	c.ws = ws
	// The stream replays the history first; mark where this run begins.
	time.Sleep(500 * time.Millisecond)

	if err := c.say("hello"); err != nil {
		return err
	}
	reply, err := c.nextFromBot()
	if err != nil {
		return fmt.Errorf("reply to hello: %w", err)
	}
	if !strings.Contains(reply.Log.Request.Body.Text, "mvmbot is running") {
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
	return nil
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
