// Command floor is the bare net/http echo bot of the load bench: the least
// work a bot can do for one Teams message (decode the activity, post a reply
// to its serviceUrl, answer 200) with nothing else in the way: no auth, no
// store, no framework. Its row is the floor the other rows are compared to.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

type account struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

type conversation struct {
	ID string `json:"id"`
}

type activity struct {
	Type         string       `json:"type"`
	ID           string       `json:"id,omitempty"`
	ServiceURL   string       `json:"serviceUrl,omitempty"`
	ChannelID    string       `json:"channelId,omitempty"`
	From         account      `json:"from"`
	Recipient    account      `json:"recipient"`
	Conversation conversation `json:"conversation"`
	Text         string       `json:"text,omitempty"`
	ReplyToID    string       `json:"replyToId,omitempty"`
}

// client keeps connections to the connector alive, as any real bot's does;
// without it the floor would measure TCP handshakes.
var client = &http.Client{
	Timeout: 10 * time.Second,
	Transport: &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3978"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("POST /api/messages", handle)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("floor listening on %s", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

func handle(w http.ResponseWriter, r *http.Request) {
	var in activity
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		http.Error(w, "bad activity", http.StatusBadRequest)
		return
	}
	if in.Type != "message" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := reply(&in); err != nil {
		log.Printf("reply to %s: %v", in.ID, err)
		http.Error(w, "reply failed", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func reply(in *activity) error {
	out := activity{
		Type:         "message",
		ChannelID:    in.ChannelID,
		From:         in.Recipient,
		Recipient:    in.From,
		Conversation: in.Conversation,
		Text:         "Echo: " + in.Text,
		ReplyToID:    in.ID,
	}
	body, err := json.Marshal(&out)
	if err != nil {
		return err
	}
	u := strings.TrimSuffix(in.ServiceURL, "/") + "/v3/conversations/" +
		url.PathEscape(in.Conversation.ID) + "/activities/" + url.PathEscape(in.ID)
	resp, err := client.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("connector answered %s", resp.Status)
	}
	return nil
}
