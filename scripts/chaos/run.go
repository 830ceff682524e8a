package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mvmbot/mvmbot/internal/fakes"
	"github.com/mvmbot/mvmbot/playbook"
	"github.com/mvmbot/mvmbot/store"
)

// The kill moments, in turn: "random" kills at a random instant under
// load; the others when the job kind's request has reached its fake
// (kinds.go has the rounds that follow an earlier one's work: cancel,
// item, remind, escalation). "dead" is no kill: Graph refuses the group's
// create for good, and the site's job must be dead-lettered and the chat
// told. "retry" is no kill either: Graph refuses a meeting's first two
// attempts (503), and the chat must be told once that it is being retried,
// then get the invitation. It comes first: its third attempt runs 40 s on.
// "remind" comes before "cancel", which may cancel the one workshop whose
// reminders it moves.
var scenarios = []string{"retry", "send", "event", "group", "random", "list", "remind", "cancel", "item", "escalation", "random", "dead"}

// told is the post that says a site could not be set up.
const told = "The collaboration site could not be set up."

// result is what a run found; printed whether or not it passed.
type result struct {
	Seed         uint64
	Elapsed      time.Duration
	Kills        map[string]int
	Acked        int
	Lost         int // acknowledged changes not in the file
	Notes        int // notes acknowledged (each a change to an engagement)
	Behind       int // records of answered read-only turns lost with a kill (written behind the answer, by design)
	Unanswered   int // acknowledged messages without a reply
	Duplicates   int // replies and job posts made more than once
	Meetings     int
	MeetingDup   int // transactionIds with more than one meeting
	Sites        int
	JobsFinished map[string]int // by kind
	JobsDead     int
	JobsLeft     int // due and neither finished nor dead
	DeadTold     int // dead-lettered site jobs whose chat was told
	Cancelled    int // meetings cancelled at Graph
	Items        int // issues added to a tracker list
	Reminders    int // reminders posted (workshops' and escalations')
	Retried      int // "being retried" notices posted
	RetryNotice  time.Duration
	Purge        purgeFigures
	Problems     []string
}

func (r result) kills() int {
	n := 0
	for _, k := range r.Kills {
		n += k
	}
	return n
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "chaos: seed %d, %s\n", r.Seed, r.Elapsed.Round(time.Second))
	fmt.Fprintf(w, "  kills: %d (", r.kills())
	for i, s := range []string{"random", "send", "event", "group", "list", "cancel", "item", "remind", "escalation", "report", "purge"} {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", s, r.Kills[s])
	}
	fmt.Fprintln(w, ")")
	per := 0.0
	if k := r.kills(); k > 0 {
		per = float64(r.Duplicates) / float64(k)
	}
	fmt.Fprintf(w, "  acknowledged activities: %d (notes %d), changes lost: %d, messages without a reply: %d\n", r.Acked, r.Notes, r.Lost, r.Unanswered)
	fmt.Fprintf(w, "  dedup records of answered read-only turns lost with a kill: %d (written behind the answer)\n", r.Behind)
	fmt.Fprintf(w, "  duplicated posts: %d (%.2f per kill)\n", r.Duplicates, per)
	fmt.Fprintf(w, "  meetings at Graph: %d, made twice: %d, cancelled: %d; sites set up: %d; tracker items: %d; reminders posted: %d\n",
		r.Meetings, r.MeetingDup, r.Cancelled, r.Sites, r.Items, r.Reminders)
	p := r.Purge
	fmt.Fprintf(w, "  purges: %d run (%d killed, %s; round %s), writes acknowledged during them: %d, kept: %d; marker bytes found: %d in %d files (the file, beside it, a backup)\n",
		p.Runs, p.Killed, p.KillPoint, p.Elapsed.Round(100*time.Millisecond), p.During, p.Kept, p.MarkerBytes, p.Searched)
	fmt.Fprintf(w, "  being-retried notices: %d (latest %s after its round began)\n", r.Retried, r.RetryNotice.Round(time.Second))
	fin, kinds := 0, []string{}
	for k, n := range r.JobsFinished {
		fin += n
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "  jobs finished: %d (%s), dead-lettered: %d (told: %d), left due: %d\n", fin, strings.Join(kinds, ", "), r.JobsDead, r.DeadTold, r.JobsLeft)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  PROBLEM:", p)
	}
}

// run drives and kills the bot for d (at most maxKills kills), lets it
// finish its work, stops it and checks the file.
func (c *chaos) run(d time.Duration, maxKills int) (result, error) {
	res := result{Seed: c.seed, Kills: map[string]int{}}
	began := time.Now()
	if err := c.start(); err != nil {
		return res, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var load sync.WaitGroup
	var seq atomic.Int64
	for w := range 2 {
		load.Add(1)
		go func() { defer load.Done(); c.load(ctx, w, &seq) }()
	}
	if _, err := c.notesEngagement(notesChat, "Northwind"); err != nil {
		cancel()
		load.Wait()
		return res, err
	}
	if err := c.escalate(); err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	load.Add(1)
	go func() { defer load.Done(); c.noteLoad(ctx, &seq, notesChat) }()
	var flows []flow
	report, err := c.scheduleReport()
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	} else {
		flows = append(flows, report)
	}
	end := time.Now().Add(d)
	for i := 0; c.killCount() < maxKills && (i < len(scenarios) || time.Now().Before(end)); i++ {
		kind := scenarios[i%len(scenarios)]
		if err := c.awaitReport(5 * time.Second); err != nil {
			cancel()
			load.Wait()
			return res, err
		}
		roundStart := time.Now()
		if kind == "dead" {
			// Earlier site jobs must not meet the refusal meant for this
			// one. (The report waits for its minute: not that one.)
			c.drain(slices.DeleteFunc(slices.Clone(flows), func(f flow) bool { return f.want == reportTitle }), 30*time.Second)
			c.graph.Fail(fakes.GraphFault{Method: http.MethodPost, Path: "/groups", Status: http.StatusForbidden, Code: "Authorization_RequestDenied",
				Message: "Insufficient privileges to complete the operation."})
		}
		f, skip, err := c.round(kind, i)
		if kind == "dead" {
			c.drain([]flow{f}, 30*time.Second)
			c.graph.ClearFaults()
		}
		if kind == "retry" && err == nil {
			c.awaitNotice(f.conv, 30*time.Second)
		}
		if f.conv != "" {
			flows = append(flows, f)
		}
		k := ""
		if !skip {
			k = c.waitKill(kind)
		}
		// The last step's answer may be cut by its own job's kill: the
		// job runs while the invoke is answered.
		if err != nil && (k == "" || !errors.Is(err, errArmedStep)) {
			res.Problems = append(res.Problems, fmt.Sprintf("round %d (%s): %v", i, kind, err))
		}
		if c.addr() == "" || c.dead() {
			if err := c.start(); err != nil {
				cancel()
				load.Wait()
				return res, fmt.Errorf("restart after a kill: %w", err)
			}
		}
		fmt.Fprintf(os.Stderr, "round %d (%s): %s, kill %q\n", i, kind, time.Since(roundStart).Round(time.Millisecond), k)
		time.Sleep(time.Duration(300+c.rndN(700)) * time.Millisecond) // let load land between kills
	}
	if err := c.purgeRound(&seq); err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	fmt.Fprintf(os.Stderr, "purge round: %s, kill %s\n", c.pf.Elapsed.Round(time.Millisecond), c.pf.KillPoint)
	cancel()
	load.Wait()
	c.arm("")
	c.drain(flows, 60*time.Second)
	// A job queued behind the last reply (the weekly report's post) runs
	// at the runner's next claim: it polls every 5 s.
	time.Sleep(6 * time.Second)
	stopped := time.Now()
	c.stop()
	c.mu.Lock()
	maps.Copy(res.Kills, c.kills)
	c.mu.Unlock()
	c.check(&res, flows, stopped)
	c.checkKinds(&res)
	// Counted last: both checks find duplicated posts.
	if k := res.kills(); res.Duplicates > k {
		res.Problems = append(res.Problems, fmt.Sprintf("%d duplicated posts for %d kills: more than one per kill", res.Duplicates, k))
	}
	res.Elapsed = time.Since(began)
	if len(res.Problems) > 0 {
		return res, fmt.Errorf("%d problems", len(res.Problems))
	}
	return res, nil
}

func (c *chaos) killCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.kills {
		n += k
	}
	return n
}

// dead reports whether the current process has ended.
func (c *chaos) dead() bool {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return true
	}
	select {
	case <-p.done:
		c.mu.Lock()
		c.proc = nil
		c.mu.Unlock()
		return true
	default:
		return false
	}
}

// waitKill waits for the armed kill (or makes the random one) and returns
// its kind, "" when none came.
func (c *chaos) waitKill(kind string) string {
	if kind == "dead" || kind == "retry" {
		return ""
	}
	if kind == "random" {
		time.Sleep(time.Duration(100+c.rnd.IntN(1500)) * time.Millisecond)
		c.mu.Lock()
		p := c.proc
		c.mu.Unlock()
		if p == nil {
			return ""
		}
		p.kill()
		c.mu.Lock()
		c.kills["random"]++
		c.mu.Unlock()
		return "random"
	}
	select {
	case k := <-c.killd:
		return k
	case <-time.After(20 * time.Second):
		c.arm("")
		return ""
	}
}

// flow is one engagement driven to a durable Graph job, and the post that
// says the job finished.
type flow struct {
	conv string
	want string
}

// round arms kind's kill and, for the Graph kinds, drives an engagement in
// a fresh group chat to the job. skip is true when the round found no
// earlier work to act on (no meeting to cancel yet): no kill is armed.
func (c *chaos) round(kind string, i int) (f flow, skip bool, err error) {
	conv := fmt.Sprintf("19:chaos-%d@thread.v2", i)
	switch kind {
	case "send", "random", "escalation":
		c.arm(kind)
		return flow{}, false, nil
	case "dead":
		return flow{conv, told}, false, c.site(conv, i, kind)
	case "event":
		return flow{conv, "The Teams meeting is created"}, false, c.workshop(conv, i)
	case "retry":
		return flow{conv, "The Teams meeting is created"}, false, c.retry(conv, i)
	case "cancel":
		ok, err := c.cancel()
		return flow{}, !ok, err
	case "item":
		ok, err := c.issue(i)
		return flow{}, !ok, err
	case "remind":
		ok, err := c.remind()
		return flow{}, !ok, err
	default: // group, list
		return flow{conv, "The collaboration site is ready"}, false, c.site(conv, i, kind)
	}
}

func (c *chaos) workshop(conv string, i int) error {
	pick, err := c.slot(conv, i)
	if err != nil {
		return err
	}
	c.arm("event")
	return armedStep(c.invoke(conv, "workshopPick", pick))
}

// book picks a slot without arming a kill.
func (c *chaos) book(conv string, i int) (string, error) {
	pick, err := c.slot(conv, i)
	if err != nil {
		return "", err
	}
	return c.invoke(conv, "workshopPick", pick)
}

// slot sets an engagement up in conv and asks for the slots of its
// workshop; it returns the Book button's data with the first slot.
func (c *chaos) slot(conv string, i int) (map[string]any, error) {
	card, err := c.invoke(conv, "setupSave", map[string]any{
		"customer": fmt.Sprintf("Contoso %d", i), "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	})
	if err != nil {
		return nil, err
	}
	edit, err := findTask(card, "setup", "")
	if err != nil {
		return nil, err
	}
	if _, err := c.invoke(conv, "done", map[string]any{"engagement": edit["engagement"], "version": edit["version"], "task": "assessment"}); err != nil {
		return nil, err
	}
	list, err := c.invoke(conv, "workshops", map[string]any{"engagement": edit["engagement"]})
	if err != nil {
		return nil, err
	}
	together, err := findTask(list, "workshopSchedule", playbook.WorkshopTogether)
	if err != nil {
		return nil, err
	}
	sched, err := c.invoke(conv, "workshopSchedule", together)
	if err != nil {
		return nil, err
	}
	slotsData, err := findTask(sched, "workshopSlots", "")
	if err != nil {
		return nil, err
	}
	slotsData["minutes"], slotsData["fromHour"], slotsData["toHour"] = "90", "9", "17"
	slotsData["earliest"] = time.Now().UTC().AddDate(0, 0, 1+i).Format(time.DateOnly)
	slots, err := c.invoke(conv, "workshopSlots", slotsData)
	if err != nil {
		return nil, err
	}
	pick, err := firstSlot(slots)
	if err != nil {
		return nil, err
	}
	e, _ := edit["engagement"].(string)
	c.fx.mu.Lock()
	c.fx.workshops[conv] = workshopRef{engagement: e, task: playbook.WorkshopTogether}
	c.fx.mu.Unlock()
	return pick, nil
}

func (c *chaos) site(conv string, i int, kind string) error {
	card, err := c.invoke(conv, "setupSave", map[string]any{
		"customer": fmt.Sprintf("Fabrikam %d", i), "tenantDomain": "fabrikam.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "MST",
	})
	if err != nil {
		return err
	}
	edit, err := findTask(card, "setup", "")
	if err != nil {
		return err
	}
	form, err := c.invoke(conv, "site", map[string]any{"engagement": edit["engagement"]})
	if err != nil {
		return err
	}
	d, err := findTask(form, "siteCreate", "")
	if err != nil {
		return err
	}
	d["siteMode"], d["siteName"], d["siteAlias"] = "new", fmt.Sprintf("Fabrikam %d migration", i), fmt.Sprintf("fabrikam-%d-migration", i)
	if kind != "dead" {
		e, _ := edit["engagement"].(string)
		c.fx.mu.Lock()
		c.fx.sites[conv] = e
		c.fx.mu.Unlock()
	}
	c.arm(kind)
	return armedStep(c.invoke(conv, "siteCreate", d))
}

// errArmedStep marks the failure of the step that starts the armed job.
var errArmedStep = errors.New("the step that starts the job")

func armedStep(_ string, err error) error {
	if err != nil {
		return fmt.Errorf("%w: %w", errArmedStep, err)
	}
	return nil
}

const notesChat = "19:chaos-notes@thread.v2"

// notesEngagement sets up, in conv, an engagement for customer that notes
// go to, and remembers it for the check.
func (c *chaos) notesEngagement(conv, customer string) (string, error) {
	card, err := c.invoke(conv, "setupSave", map[string]any{
		"customer": customer, "tenantDomain": "northwind.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "MST",
	})
	if err != nil {
		return "", fmt.Errorf("set up the notes' engagement %s: %w", customer, err)
	}
	edit, err := findTask(card, "setup", "")
	if err != nil {
		return "", err
	}
	id, _ := edit["engagement"].(string)
	c.ackedMu.Lock()
	c.noteConvs[conv] = id
	c.ackedMu.Unlock()
	return id, nil
}

// reportTitle is in the weekly report card of the notes' engagement.
const reportTitle = "Northwind: weekly status"

// scheduleReport moves the notes' engagement's weekly report to the first
// whole minute at least 30 s away, so that its job runs during the run,
// and arms the kill for its post.
func (c *chaos) scheduleReport() (flow, error) {
	at := time.Now().UTC().Add(30 * time.Second).Truncate(time.Minute).Add(time.Minute)
	id := fmt.Sprintf("r%d", invokeSeq.Add(1))
	body := activity(map[string]any{
		"type": "message", "id": id, "serviceUrl": c.conn.URL(),
		"text":         "report schedule " + strings.ToLower(at.Weekday().String()) + " " + at.Format("15:04"),
		"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
		"conversation": map[string]any{"id": notesChat, "conversationType": "groupChat", "isGroup": true, "tenantId": tenant},
	})
	status, raw, err := c.post(c.addr(), body)
	if err != nil || status != http.StatusOK {
		return flow{}, fmt.Errorf("report schedule: %d %s %v", status, raw, err)
	}
	c.ack(id, notesChat)
	c.mu.Lock()
	c.reportArmed, c.reportAt = true, at
	c.mu.Unlock()
	return flow{notesChat, reportTitle}, nil
}

// awaitReport holds the rounds while the report's kill is near, so that
// it does not cut a round's flow: when it is due within within, it waits
// for that kill (at most 30 s after) and restarts the bot.
func (c *chaos) awaitReport(within time.Duration) error {
	c.mu.Lock()
	armed, at := c.reportArmed, c.reportAt
	c.mu.Unlock()
	if !armed || time.Until(at) > within {
		return nil
	}
	deadline := time.After(time.Until(at) + 30*time.Second)
wait:
	for {
		select {
		case k := <-c.killd:
			if k == "report" {
				break wait
			}
		case <-deadline:
			break wait
		}
	}
	if c.dead() {
		return c.start()
	}
	return nil
}

// noteLoad posts "note" messages (a change each) in conv until ctx ends;
// the acknowledged ones must be in its engagement's history at the end.
func (c *chaos) noteLoad(ctx context.Context, seq *atomic.Int64, conv string) {
	for ctx.Err() == nil {
		addr := c.addr()
		if addr == "" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		id := fmt.Sprintf("n%d", seq.Add(1))
		body := activity(map[string]any{
			"type": "message", "id": id, "serviceUrl": c.conn.URL(), "text": "note chaos note " + id,
			"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
			"conversation": map[string]any{"id": conv, "conversationType": "groupChat", "isGroup": true, "tenantId": tenant},
		})
		if status, _, err := c.post(addr, body); err == nil && status == http.StatusOK {
			c.ack(id, conv)
		}
		time.Sleep(time.Duration(30+c.rndN(60)) * time.Millisecond)
	}
}

// load posts signed messages to the bot until ctx ends, remembering those
// it acknowledged.
func (c *chaos) load(ctx context.Context, w int, seq *atomic.Int64) {
	conv := fmt.Sprintf("a:chaos-personal-%d", w)
	for ctx.Err() == nil {
		addr := c.addr()
		if addr == "" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		id := fmt.Sprintf("m%d", seq.Add(1))
		body := activity(map[string]any{
			"type": "message", "id": id, "serviceUrl": c.conn.URL(), "text": "help",
			"from":         map[string]any{"id": fmt.Sprintf("29:user-%d", w), "name": "Pat"},
			"conversation": map[string]any{"id": conv, "conversationType": "personal", "tenantId": tenant},
		})
		if status, _, err := c.post(addr, body); err == nil && status == http.StatusOK {
			c.ack(id, conv)
		}
		time.Sleep(time.Duration(20+c.rndN(40)) * time.Millisecond)
	}
}

func (c *chaos) rndN(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rnd.IntN(n)
}

func (c *chaos) ack(id, conv string) {
	c.ackedMu.Lock()
	c.acked[id] = conv
	c.ackedAt[id] = time.Now()
	c.ackedMu.Unlock()
}

var invokeSeq atomic.Int64

// invoke sends an Action.Execute from Pat in conv and returns the card it
// is answered with.
func (c *chaos) invoke(conv, verb string, data map[string]any) (string, error) {
	id := fmt.Sprintf("i%d", invokeSeq.Add(1))
	body := activity(map[string]any{
		"type": "invoke", "name": "adaptiveCard/action", "id": id, "serviceUrl": c.conn.URL(),
		"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
		"conversation": map[string]any{"id": conv, "conversationType": "groupChat", "isGroup": true, "tenantId": tenant},
		"value":        map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
	})
	status, raw, err := c.post(c.addr(), body)
	if err != nil {
		return "", fmt.Errorf("%s: %w", verb, err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("%s: status %d: %s", verb, status, raw)
	}
	c.ack(id, conv)
	var ans struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Type != "application/vnd.microsoft.card.adaptive" {
		return "", fmt.Errorf("%s: answer %s", verb, raw)
	}
	return string(ans.Value), nil
}

func activity(m map[string]any) []byte {
	m["channelId"], m["timestamp"] = "msteams", time.Now().UTC().Format(time.RFC3339Nano)
	m["recipient"] = map[string]any{"id": "28:" + appID, "name": "mvmbot"}
	m["channelData"] = map[string]any{"tenant": map[string]any{"id": tenant}}
	b, _ := json.Marshal(m)
	return b
}

var client = &http.Client{Timeout: 30 * time.Second}

func (c *chaos) post(addr string, body []byte) (int, []byte, error) {
	if addr == "" {
		return 0, nil, errors.New("the bot is not running")
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/messages", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// findTask returns the data of the first Action.Execute with verb (and
// task, unless "") in card.
func findTask(card, verb, task string) (map[string]any, error) {
	found := fakes.FindAction([]byte(card), verb, task)
	if found == nil {
		return nil, fmt.Errorf("no %s button in %.300s", verb, card)
	}
	return found, nil
}

// firstSlot is the data the slot picker's Book button sends with its
// first slot chosen.
func firstSlot(slots string) (map[string]any, error) {
	pick, err := findTask(slots, "workshopPick", "")
	if err != nil {
		return nil, err
	}
	var picker struct {
		Body []struct {
			ID      string
			Choices []struct{ Value string }
		}
	}
	if err := json.Unmarshal([]byte(slots), &picker); err != nil {
		return nil, err
	}
	for _, e := range picker.Body {
		if e.ID == "slot" && len(e.Choices) > 0 {
			pick["slot"] = e.Choices[0].Value
			return pick, nil
		}
	}
	return nil, fmt.Errorf("no slot offered: %.300s", slots)
}

// drain waits until every acknowledged message has its reply and every
// flow its closing post, or until within passes.
func (c *chaos) drain(flows []flow, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c.dead() {
			if c.start() != nil {
				return
			}
		}
		replies, posts := c.posts()
		missing := 0
		c.ackedMu.Lock()
		for id := range c.acked {
			if id[0] != 'i' && replies[id] == 0 {
				missing++
			}
		}
		c.ackedMu.Unlock()
		for _, f := range flows {
			if posts[f] == 0 {
				missing++
			}
		}
		if missing == 0 {
			time.Sleep(2 * time.Second) // a second copy, were there one, is out by now
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// posts counts the connector's replies by the activity they answer, and
// each flow's closing post.
func (c *chaos) posts() (map[string]int, map[flow]int) {
	replies, posts := map[string]int{}, map[flow]int{}
	for _, call := range c.conn.Calls() {
		if call.Method != http.MethodPost {
			continue
		}
		if call.ActivityID != "" {
			replies[call.ActivityID]++
		}
		body := string(call.Body)
		for _, want := range []string{"The Teams meeting is created", "The collaboration site is ready", reportTitle, told} {
			if strings.Contains(body, want) {
				posts[flow{call.ConversationID, want}]++
			}
		}
	}
	return replies, posts
}

// check opens the file the bot left and compares it and the fakes' logs
// with what the bot acknowledged.
func (c *chaos) check(res *result, flows []flow, stopped time.Time) {
	problem := func(format string, a ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, a...)) }
	replies, posts := c.posts()
	c.ackedMu.Lock()
	acked := make(map[string]string, len(c.acked))
	for k, v := range c.acked {
		acked[k] = v
	}
	c.ackedMu.Unlock()
	res.Acked = len(acked)
	for id := range acked {
		if id[0] == 'n' {
			res.Notes++
		}
		if id[0] == 'i' {
			continue
		}
		switch n := replies[id]; {
		case n == 0:
			res.Unanswered++
		case n > 1:
			res.Duplicates += n - 1
		}
	}
	for _, f := range flows {
		switch n := posts[f]; {
		case n == 0:
			problem("%s: no %q post", f.conv, f.want)
		case n > 1:
			res.Duplicates += n - 1
		}
		if f.want == "The collaboration site is ready" && posts[f] > 0 {
			res.Sites++
		}
	}
	if res.Unanswered > 0 {
		problem("%d acknowledged messages never got a reply", res.Unanswered)
	}

	txns := map[string]int{}
	for _, ev := range c.graph.Events() {
		txn, _ := ev["transactionId"].(string)
		txns[txn]++
	}
	res.Meetings = len(txns)
	for txn, n := range txns {
		if n > 1 {
			res.MeetingDup++
			problem("transactionId %s: %d meetings", txn, n)
		}
	}
	nick := map[string]int{}
	for _, g := range c.graph.Groups() {
		m, _ := g["mailNickname"].(string)
		nick[m]++
	}
	for m, n := range nick {
		if n > 1 {
			problem("group %s created %d times", m, n)
		}
	}

	db, err := store.Open(c.db, &store.Options{Timeout: 10 * time.Second})
	if err != nil {
		problem("the file does not open: %v", err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Check(ctx); err != nil {
		problem("the file fails its consistency check: %v", err)
	}
	// A read-only turn ("help") is answered before its record is
	// written; every other acknowledged activity is recorded first, save
	// those of the purged engagements, whose records go with them.
	c.ackedMu.Lock()
	purged := maps.Clone(c.purgedConvs)
	c.ackedMu.Unlock()
	lost := map[string]bool{}
	defer func() { c.checkPurge(res, lost); res.Purge = c.pf }()
	for id, conv := range acked {
		if purged[conv] {
			continue
		}
		if _, ok, err := db.Processed(ctx, "msteams|"+conv+"|"+id); err != nil || !ok {
			if id[0] == 'm' {
				res.Behind++
				continue
			}
			res.Lost++
			lost[id] = true
			problem("acknowledged activity %s in %s is not in the file", id, conv)
		}
	}
	c.ackedMu.Lock()
	noteConvs := maps.Clone(c.noteConvs)
	c.ackedMu.Unlock()
	for conv, id := range noteConvs {
		e, err := db.Engagement(ctx, id)
		if err == nil {
			var h []playbook.AuditEntry
			if h, err = db.History(ctx, id, 0, e.HistoryBase); err == nil {
				e.PrependHistory(h)
			}
		}
		if err != nil {
			problem("the notes' engagement %s: %v", id, err)
			continue
		}
		have := map[string]bool{}
		for _, n := range playbook.Notes(e, 0) {
			have[n.Text] = true
		}
		for id, in := range acked {
			if id[0] == 'n' && in == conv && !have["chaos note "+id] {
				res.Lost++
				lost[id] = true
				problem("acknowledged note %s is not in the history of %s's engagement", id, conv)
			}
		}
	}
	dead, err := db.Dead(ctx)
	if err != nil {
		problem("dead letters: %v", err)
	}
	res.JobsDead = len(dead)
	wantDead := 0
	for _, f := range flows {
		if f.want == told {
			wantDead++
			if posts[f] > 0 {
				res.DeadTold++
			}
		}
	}
	siteDead := 0
	for _, j := range dead {
		if j.Kind != "site.setup" {
			problem("job %d (%s) dead-lettered: %s", j.ID, j.Kind, j.LastError)
		}
		siteDead++
	}
	if siteDead != wantDead {
		problem("%d site jobs dead-lettered, want %d (one per refused site)", siteDead, wantDead)
	}
	// Open cleared every lease: whatever is due now was neither finished
	// nor dead-lettered.
	left, err := db.ClaimDue(ctx, time.Now(), 10000)
	if err != nil {
		problem("due jobs: %v", err)
	}
	for _, j := range left {
		// An escalation is reminded every few seconds: the reminder that
		// fell due as the bot stopped was never the running bot's to do.
		if j.Kind == "escalation.remind" && j.RunAt.After(stopped.Add(-10*time.Second)) {
			continue
		}
		res.JobsLeft++
		problem("job %d (%s) still due after the drain, attempt %d: %s %.300s", j.ID, j.Kind, j.Attempt, j.LastError, j.Args)
	}
	res.JobsFinished = c.finishedJobs()
}
