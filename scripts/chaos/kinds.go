package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// The rounds of the job kinds that follow an earlier round's work: a
// workshop's cancellation and reminder, an issue written to a site's
// tracker list, an escalation's reminder, and a meeting whose first
// attempts Graph refuses (503), which must be announced as being retried
// once and then end in its invitation.

// retryingNotice starts the post that says a meeting is being retried.
const retryingNotice = "I could not create the Teams meeting for"

// sideEffects records what the fakes did that must happen once: each
// meeting cancelled, each tracker item added, and when each conversation
// was told that its job is being retried.
type sideEffects struct {
	mu       sync.Mutex
	cancels  map[string]int       // event path → cancels Graph accepted (202)
	items    map[string]int       // tracker key → items Graph added (201)
	noticeAt map[string]time.Time // conversation → first "being retried" post
	notices  map[string]int       // conversation → "being retried" posts
	// noticeKills is the number of kills when conversation's last "being
	// retried" post came; noticeDups counts the posts that came again
	// after a kill: the connector took the post and the bot died before it
	// heard so (and before it recorded that it told), which is the
	// at-least-once delivery docs/operations.md states, a duplicated post
	// and not a second telling.
	noticeKills map[string]int
	noticeDups  map[string]int
	failedAt    map[string]time.Time // conversation → when its round began (the first refusal follows)
	workshops   map[string]workshopRef
	cancelled   []string          // conversations whose workshop was cancelled
	issues      []string          // conversations an issue was reported in
	sites       map[string]string // conversation of a site round → its engagement
	reminders   int               // workshop reminder jobs moved to now
	escalated   bool
}

// workshopRef is the booked workshop of an event round's conversation.
type workshopRef struct {
	engagement string
	task       string
}

func newSideEffects() *sideEffects {
	return &sideEffects{cancels: map[string]int{}, items: map[string]int{}, noticeAt: map[string]time.Time{},
		notices: map[string]int{}, noticeKills: map[string]int{}, noticeDups: map[string]int{}, failedAt: map[string]time.Time{}, workshops: map[string]workshopRef{}, sites: map[string]string{}}
}

// graphDone records a Graph request the front passed on and its answer.
func (s *sideEffects) graphDone(r *http.Request, body []byte, status int) {
	if r.Method != http.MethodPost {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch p := r.URL.Path; {
	case strings.HasSuffix(p, "/cancel") && status == http.StatusAccepted:
		s.cancels[p]++
	case strings.HasSuffix(p, "/items") && status == http.StatusCreated:
		var it struct{ Fields map[string]any }
		_ = json.Unmarshal(plain(r, body), &it)
		key, _ := it.Fields[playbook.KeyColumn].(string)
		s.items[key]++
	}
}

// plain is a request body as sent before gzip.
func plain(r *http.Request, body []byte) []byte {
	if !strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		return body
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return body
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return body
	}
	return out
}

// connectorCall records the "being retried" posts; kills is how many
// times the bot was killed so far.
func (s *sideEffects) connectorCall(call fakes.Call, kills int) {
	if call.Method != http.MethodPost || !bytes.Contains(call.Body, []byte(retryingNotice)) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := call.ConversationID
	if _, ok := s.noticeAt[conv]; !ok {
		s.noticeAt[conv] = time.Now()
	} else if kills > s.noticeKills[conv] {
		s.noticeDups[conv]++
		s.noticeKills[conv] = kills
		return
	}
	s.noticeKills[conv] = kills
	s.notices[conv]++
}

// retry books a workshop whose meeting Graph refuses with 503 for the
// first two attempts of its job (kiota asks four times per attempt).
func (c *chaos) retry(conv string, i int) error {
	c.fx.mu.Lock()
	c.fx.failedAt[conv] = time.Now()
	c.fx.mu.Unlock()
	c.graph.Fail(fakes.GraphFault{Method: http.MethodPost, Path: "/users/" + organizer + "/events", Status: http.StatusServiceUnavailable,
		RetryAfter: "1", Times: 8, Contains: fmt.Sprintf("Contoso %d:", i)})
	_, err := c.book(conv, i)
	return err
}

// cancel cancels the workshop of an earlier event round whose meeting is
// created; the kill comes when the cancel reaches Graph. ok is false when
// there is none to cancel.
func (c *chaos) cancel() (ok bool, err error) {
	_, posts := c.posts()
	c.fx.mu.Lock()
	var conv string
	var w workshopRef
	for cv, ref := range c.fx.workshops {
		if posts[flow{cv, "The Teams meeting is created"}] > 0 {
			conv, w = cv, ref
			break
		}
	}
	if conv != "" {
		delete(c.fx.workshops, conv)
		c.fx.cancelled = append(c.fx.cancelled, conv)
	}
	c.fx.mu.Unlock()
	if conv == "" {
		return false, nil
	}
	c.arm("cancel")
	return true, armedStep(c.invoke(conv, "workshopCancel", map[string]any{"engagement": w.engagement, "task": w.task}))
}

// issue reports an issue in the chat of an earlier site round; the kill
// comes when its item reaches the tracker list at Graph (at once when the
// site is ready, else when its set-up writes the issues it finds).
func (c *chaos) issue(i int) (ok bool, err error) {
	_, posts := c.posts()
	c.fx.mu.Lock()
	var conv, engagement string
	for cv, e := range c.fx.sites {
		if posts[flow{cv, "The collaboration site is ready"}] > 0 {
			conv, engagement = cv, e
			break
		}
	}
	if conv != "" {
		c.fx.issues = append(c.fx.issues, conv)
	}
	c.fx.mu.Unlock()
	if conv == "" {
		return false, nil
	}
	form, err := c.invoke(conv, "issue", map[string]any{"engagement": engagement})
	if err != nil {
		return true, err
	}
	d, err := findTask(form, "issueSubmit", "")
	if err != nil {
		return true, err
	}
	d["issueTitle"], d["issueSeverity"], d["issueSource"] = fmt.Sprintf("Chaos issue %d", i), "high", "IMAP"
	c.arm("item")
	return true, armedStep(c.invoke(conv, "issueSubmit", d))
}

// remind moves the reminders of the booked workshops to now (the bot
// stopped meanwhile, as a clock jumping ahead would): the kill comes when
// the first reminder reaches the connector. ok is false when no workshop
// had a reminder to move.
func (c *chaos) remind() (ok bool, err error) {
	c.stop()
	db, err := store.Open(c.db, &store.Options{Timeout: 10 * time.Second})
	if err != nil {
		return false, fmt.Errorf("open the file to move the reminders: %w", err)
	}
	ctx := context.Background()
	jobs, err := db.ClaimDue(ctx, time.Now().AddDate(0, 1, 0), 100000)
	n := 0
	for _, j := range jobs {
		if err == nil && j.Kind == "workshop.remind" {
			err = db.Snooze(ctx, j.ID, time.Now())
			n++
		}
	}
	// Open clears the leases ClaimDue took.
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("move the reminders: %w", err)
	}
	c.fx.mu.Lock()
	c.fx.reminders += n
	c.fx.mu.Unlock()
	if n > 0 {
		c.arm("remind")
	}
	return n > 0, c.start()
}

// escalate opens an escalation in the notes' chat; with
// MVMBOT_ESCALATION_REMINDER short, its reminders come every few seconds
// from the next start on.
func (c *chaos) escalate() error {
	id := fmt.Sprintf("e%d", invokeSeq.Add(1))
	body := activity(map[string]any{
		"type": "message", "id": id, "serviceUrl": c.conn.URL(), "text": "escalate high chaos escalation",
		"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
		"conversation": map[string]any{"id": notesChat, "conversationType": "groupChat", "isGroup": true, "tenantId": tenant},
	})
	status, raw, err := c.post(c.addr(), body)
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("escalate: %d %s %v", status, raw, err)
	}
	c.ack(id, notesChat)
	c.fx.mu.Lock()
	c.fx.escalated = true
	c.fx.mu.Unlock()
	return nil
}

// reminderKey names a reminder post (its conversation and first line), so
// that one posted twice is counted.
var reminderRE = regexp.MustCompile(`Reminder( \d+: escalation \*\*#\d+\*\*|: the \*\*[^*]+\*\* starts [a-z ]+)`)

// reminderPosts counts the reminders by conversation and kind; the second
// map says which were workshop reminders.
func (c *chaos) reminderPosts() (workshop, escalation map[string]int) {
	workshop, escalation = map[string]int{}, map[string]int{}
	for _, call := range c.conn.Calls() {
		if call.Method != http.MethodPost {
			continue
		}
		text, _ := call.Activity()["text"].(string)
		m := reminderRE.FindString(text)
		switch {
		case m == "":
		case strings.HasPrefix(m, "Reminder: the"):
			workshop[call.ConversationID+"|"+m]++
		default:
			escalation[call.ConversationID+"|"+m]++
		}
	}
	return workshop, escalation
}

// checkKinds checks the rounds of this file once the bot has stopped.
func (c *chaos) checkKinds(res *result) {
	problem := func(format string, a ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, a...)) }
	c.fx.mu.Lock()
	defer c.fx.mu.Unlock()
	// Each cancellation reached the attendees once.
	for p, n := range c.fx.cancels {
		if n > 1 {
			problem("meeting %s cancelled %d times", p, n)
		}
	}
	res.Cancelled = len(c.fx.cancels)
	cancelledSubjects := map[string]bool{}
	for _, ev := range c.graph.Events() {
		if ev["isCancelled"] == true {
			s, _ := ev["subject"].(string)
			cancelledSubjects[s] = true
		}
	}
	if len(cancelledSubjects) != len(c.fx.cancelled) {
		problem("%d workshops cancelled in chats, %d meetings cancelled at Graph", len(c.fx.cancelled), len(cancelledSubjects))
	}
	// Each issue became one item of its tracker list.
	for key, n := range c.fx.items {
		if key == "" {
			continue // the known errors' list: the site's set-up fills it
		}
		if n > 1 {
			problem("tracker item %s added %d times", key, n)
		}
	}
	res.Items = len(c.fx.items)
	if _, ok := c.fx.items[""]; ok {
		res.Items--
	}
	if len(c.fx.issues) > 0 && len(c.fx.items) == 0 {
		problem("%d issues reported, no tracker item added", len(c.fx.issues))
	}
	// Reminders: posted, and once each (a second copy is a duplicate).
	ws, esc := c.reminderPosts()
	for _, m := range []map[string]int{ws, esc} {
		for _, n := range m {
			res.Reminders++
			if n > 1 {
				res.Duplicates += n - 1
			}
		}
	}
	if c.fx.reminders > 0 && len(ws) == 0 {
		problem("%d workshop reminders moved to now, none posted", c.fx.reminders)
	}
	if c.fx.escalated && len(esc) == 0 {
		problem("an escalation waited unacknowledged, no reminder posted")
	}
	// Retried meetings: told once, within 2 minutes, and told the outcome.
	for conv, began := range c.fx.failedAt {
		n := c.fx.notices[conv]
		res.Retried += n
		res.Duplicates += c.fx.noticeDups[conv]
		switch {
		case n == 0:
			problem("%s: the meeting's job failed, nobody was told it is being retried", conv)
		case n > 1:
			problem("%s: told %d times that the meeting is being retried (once is right)", conv, n)
		}
		if at, ok := c.fx.noticeAt[conv]; ok {
			d := at.Sub(began)
			res.RetryNotice = max(res.RetryNotice, d)
			if d > 2*time.Minute {
				problem("%s: told it is being retried %s after the round began (more than 2 minutes)", conv, d.Round(time.Second))
			}
		}
	}
}

// awaitNotice waits (at most within) until conv is told its job is being
// retried, so that the next round's kill does not cut the first failing
// attempt short (an attempt cut short is not a failure, and the refusals
// it used up would let the next attempt succeed untold).
func (c *chaos) awaitNotice(conv string, within time.Duration) {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c.fx.mu.Lock()
		n := c.fx.notices[conv]
		c.fx.mu.Unlock()
		if n > 0 {
			return
		}
	}
}
