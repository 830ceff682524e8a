package main

import (
	"errors"
	"fmt"
	"strings"
)

// The walk of one engagement by its four people, one Playground run per
// person (the Playground acts as one user at a time): scripts/playground-
// walk.sh starts the bot once, then, for each step below in order, the
// Playground with scripts/playground-as.sh's config for that step's role,
// and runs pgcheck -walk STEP. Every run talks in the same group chat to
// the same bot, so each person finds what the one before left.
//
// Each step is one function, so that a step whose path changes (the
// workshops, the close-out) is changed in one place.
var walkSteps = []struct {
	name, role string
	run        func(c *checker) error
}{
	{"partner-setup", "partner", (*checker).walkPartnerSetup},
	{"mst-workshops", "mst", (*checker).walkMSTWorkshops},
	{"customer-questionnaire", "customer", (*checker).walkCustomerQuestionnaire},
	{"mvm-validate", "mvm", (*checker).walkMVMValidate},
	{"mvm-events", "mvm", (*checker).walkMVMEvents},
	{"partner-tasks", "partner", (*checker).walkDoneAll},
	{"mvm-close", "mvm", (*checker).walkMVMClose},
	{"customer-after", "customer", (*checker).walkCustomerAfter},
}

// The people of scripts/playground-as.sh's config, as Teams ids and names.
var walkPeople = map[string]struct{ id, name string }{
	"partner":  {"user-frp", "Pat Partner"},
	"customer": {"user-customer", "Cy Customer"},
	"mst":      {"user-mst", "Mo Support"},
	"mvm":      {"user-mvm", "Vi Velocity"},
}

// walk runs the named step in the group chat.
func (c *checker) walk(step string) error {
	c.conv = c.group
	for _, s := range walkSteps {
		if s.name == step {
			if walkPeople[s.role].id != c.user {
				return fmt.Errorf("step %s is the %s's, but the Playground acts as %s", step, s.role, c.user)
			}
			return s.run(c)
		}
	}
	return fmt.Errorf("no walk step %q", step)
}

// ask says text to the bot in the group chat and returns its answer.
func (c *checker) ask(text string, mentions ...string) (logEntry, error) {
	if err := c.mentionPeople(text, mentions...); err != nil {
		return logEntry{}, err
	}
	e, err := c.nextFromBot()
	if err != nil {
		return e, fmt.Errorf("reply to %q: %w", text, err)
	}
	return e, nil
}

// askCard is ask for an answer that is a card. A post the last click made
// (an announcement to the chat) may come first: it is shown and skipped.
func (c *checker) askCard(text string) (logEntry, error) {
	e, err := c.ask(text)
	for range 3 {
		if err != nil || isCard(e) == nil {
			break
		}
		fmt.Printf("     (post: %q)\n", e.Log.Request.Body.Text)
		e, err = c.nextFromBot()
	}
	if err != nil {
		return e, err
	}
	if err := isCard(e); err != nil {
		return e, fmt.Errorf("reply to %q: %w: %q", text, err, e.Log.Request.Body.Text)
	}
	return e, nil
}

// mentionPeople is mention with people (roles in walkPeople) @mentioned
// after the bot, their tags in text as <at>Name</at>.
func (c *checker) mentionPeople(text string, people ...string) error {
	tag := "<at>" + c.botName + "</at>"
	ms := []any{map[string]any{"mentioned": map[string]any{"id": c.botID, "name": c.botName}, "text": tag}}
	for _, p := range people {
		who := walkPeople[p]
		ms = append(ms, map[string]any{"mentioned": map[string]any{"id": who.id, "name": who.name}, "text": "<at>" + who.name + "</at>"})
	}
	err := c.postJSON("/_conversation/v1/conversations/"+c.conv+"/messages", map[string]any{
		"from": map[string]any{"id": c.user}, "text": tag + " " + text, "textFormat": "plain", "mentions": ms,
	}, nil)
	if err != nil {
		return fmt.Errorf("say %q: %w", text, err)
	}
	return nil
}

// click is invoke with the answer's card or refusal: a refusal (a message
// instead of a card) comes back as refused's text.
func (c *checker) click(verb string, data map[string]any, replyTo string) (card map[string]any, refused string, err error) {
	var inv struct {
		StatusCode int    `json:"statusCode"`
		Type       string `json:"type"`
		Value      any    `json:"value"`
	}
	err = c.postJSON("/_conversation/v1/invoke", map[string]any{
		"name":         "adaptiveCard/action",
		"value":        map[string]any{"action": map[string]any{"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
		"from":         map[string]any{"id": c.user},
		"conversation": map[string]any{"id": c.conv},
		"replyToId":    replyTo,
	}, &inv)
	if err != nil {
		return nil, "", fmt.Errorf("click %s: %w", verb, err)
	}
	if m, ok := inv.Value.(map[string]any); ok && inv.Type == "application/vnd.microsoft.card.adaptive" {
		return m, "", nil
	}
	if m, ok := inv.Value.(map[string]any); ok && m["message"] != nil {
		return nil, fmt.Sprint(m["message"]), nil // an error answer: code and message
	}
	return nil, fmt.Sprint(inv.Value), nil
}

// clickCard is click for a click that must be taken.
func (c *checker) clickCard(verb string, data map[string]any, replyTo string) (map[string]any, error) {
	card, refused, err := c.click(verb, data, replyTo)
	if err == nil && card == nil {
		err = fmt.Errorf("click %s refused: %s", verb, refused)
	}
	return card, err
}

// expectRefused clicks verb, which must be refused saying want: in the
// refusal's text, or in the card that answers a form with what was typed.
func (c *checker) expectRefused(verb string, data map[string]any, replyTo, want string) error {
	card, refused, err := c.click(verb, data, replyTo)
	if err != nil {
		return err
	}
	if card != nil {
		refused = mustJSON(card)
	}
	if !strings.Contains(refused, want) {
		return fmt.Errorf("%s was not refused with %q: %s", verb, want, refused)
	}
	if card != nil {
		refused = want + " (the card keeps what was typed)"
	}
	fmt.Printf("ok   %s: %s refused: %q\n", c.user, verb, refused)
	return nil
}

// findWith finds the Action.Execute of verb whose data has key = value.
func findWith(card map[string]any, verb, key string, value any) (map[string]any, error) {
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if d, _ := v["data"].(map[string]any); found == nil && v["type"] == "Action.Execute" && v["verb"] == verb && fmt.Sprint(d[key]) == fmt.Sprint(value) {
				found = d
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
	if found == nil {
		return nil, fmt.Errorf("no %s button for %s %v in %s", verb, key, value, mustJSON(card))
	}
	return found, nil
}

// with is data and the inputs.
func with(data map[string]any, inputs map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		out[k] = v
	}
	for k, v := range inputs {
		out[k] = v
	}
	return out
}

// walkPartnerSetup: the partner adds the bot to the group chat, sets up a
// Government customer's IMAP engagement and gives the roles, and marks
// the assessment (1699) done from their next steps.
func (c *checker) walkPartnerSetup() error {
	if err := c.postJSON("/_debug/conversation/"+c.conv+"/installation", nil, nil); err != nil {
		return fmt.Errorf("install the bot in the group chat: %w", err)
	}
	if _, err := c.nextFromBot(); err != nil {
		return fmt.Errorf("welcome in the group chat: %w", err)
	}
	form, err := c.askCard("setup")
	if err != nil {
		return err
	}
	save, err := findAction(form, "setupSave")
	if err != nil {
		return err
	}
	data := with(save["data"].(map[string]any), map[string]any{
		"customer": "Contoso", "tenantDomain": "contoso.onmicrosoft.com", "sources": "IMAP", "segment": "Government",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "FRP",
	})
	card, err := c.clickCard("setupSave", data, form.Log.MessageID)
	if err != nil {
		return err
	}
	if !strings.Contains(mustJSON(card), "you are its lead") {
		return fmt.Errorf("setup answered %s", mustJSON(card))
	}
	fmt.Println("ok   partner: setup (Government, IMAP) -> lead")
	for _, r := range []struct{ who, role string }{{"customer", "customer"}, {"mst", "MST"}, {"mvm", "MVM"}} {
		name := walkPeople[r.who].name
		e, err := c.ask("role <at>"+name+"</at> "+r.role, r.who)
		if err != nil {
			return err
		}
		if s := mustJSON(cardEntryOf(e)) + e.Log.Request.Body.Text; !strings.Contains(s, name+" now holds") {
			return fmt.Errorf("role %s: %s", r.role, s)
		}
		fmt.Printf("ok   partner: role @%s %s\n", name, r.role)
	}
	return c.walkDoneAll()
}

// walkDoneAll clicks Done on the current person's next steps until none
// is left (tasks completed by evidence have no Done button).
func (c *checker) walkDoneAll() error {
	for range 12 {
		next, err := c.askCard("next")
		if err != nil {
			return err
		}
		done, err := findAction(next, "done")
		if err != nil {
			fmt.Printf("ok   %s: next has no Done button left\n", c.user)
			return nil
		}
		data := done["data"].(map[string]any)
		card, err := c.clickCard("done", data, next.Log.MessageID)
		if err != nil {
			return err
		}
		if s := mustJSON(card); !strings.Contains(s, "marked") {
			return fmt.Errorf("the Done button of %v answered %s", data["task"], s)
		}
		if _, err := c.nextFromBot(); err != nil { // the announcement
			return fmt.Errorf("announcement of Done %v: %w", data["task"], err)
		}
		fmt.Printf("ok   %s: next -> Done %v\n", c.user, data["task"])
	}
	return errors.New("more than 12 Done buttons in a row")
}

// walkMSTWorkshops: the MST schedules the IMAP workshop by picking a slot
// (the invitation is posted to the chat); it has not taken place, so Mark
// held is refused. The Playground's bot runs on the real clock, so the
// walk cannot wait for the hour: the MST cancels it and records the
// workshops as held elsewhere, each an override with its reason, which
// status and next then show.
func (c *checker) walkMSTWorkshops() error {
	list, err := c.askCard("workshops")
	if err != nil {
		return err
	}
	card := cardEntryOf(list)
	schedule, err := findWith(card, "workshopSchedule", "task", "workshop-imap")
	if err != nil {
		return err
	}
	form, err := c.clickCard("workshopSchedule", schedule, list.Log.MessageID)
	if err != nil {
		return err
	}
	slots, err := findInCard(form, "workshopSlots")
	if err != nil {
		return err
	}
	proposals, err := c.clickCard("workshopSlots", with(slots["data"].(map[string]any), inputsOf(form)), list.Log.MessageID)
	if err != nil {
		return err
	}
	pick, err := findInCard(proposals, "workshopPick")
	if err != nil {
		return err
	}
	booked, err := c.clickCard("workshopPick", with(pick["data"].(map[string]any), inputsOf(proposals)), list.Log.MessageID)
	if err != nil {
		return err
	}
	if !strings.Contains(mustJSON(booked), "The workshop is scheduled.") {
		return fmt.Errorf("pick answered %s", mustJSON(booked))
	}
	if post, err := c.nextFromBot(); err != nil || !strings.Contains(post.Log.Request.Body.Text, "invited") {
		return fmt.Errorf("invitation post: %v %q", err, post.Log.Request.Body.Text)
	}
	fmt.Println("ok   mst: workshops -> Schedule 1635 -> slots -> picked, invitation posted")
	held := map[string]any{"engagement": schedule["engagement"], "task": "workshop-imap"}
	card, refused, err := c.click("workshopHeld", held, list.Log.MessageID)
	if err != nil {
		return err
	}
	if s := mustJSON(card) + refused; !strings.Contains(s, "has not started yet") {
		return fmt.Errorf("mark held before the start: %s", s)
	}
	fmt.Println("ok   mst: Mark held before the workshop -> refused, not started yet")
	if _, err := c.clickCard("workshopCancel", held, list.Log.MessageID); err != nil {
		return err
	}
	fmt.Println("ok   mst: workshop cancelled")
	if err := c.walkMSTSite("2979 waits for 1635"); err != nil {
		return err
	}
	for _, ref := range []string{"1635", "4027", "3312", "4008"} {
		e, err := c.ask("workshop " + ref + " held elsewhere kick-off call before mvmbot was installed")
		if err != nil {
			return err
		}
		if s := e.Log.Request.Body.Text; !strings.Contains(s, "held elsewhere (an override)") {
			return fmt.Errorf("held elsewhere %s: %q", ref, s)
		}
	}
	if e, err := c.ask("na 3614 the customer keeps the credentials in their own vault"); err != nil || !strings.Contains(e.Log.Request.Body.Text+mustJSON(cardEntryOf(e)), "3614") {
		return fmt.Errorf("na 3614: %v %q", err, e.Log.Request.Body.Text)
	}
	fmt.Println("ok   mst: 1635, 4027, 3312, 4008 held elsewhere (overrides); 3614 not applicable")
	if err := c.walkMSTSite(""); err != nil {
		return err
	}
	return c.seesOverrides("status", "next")
}

// walkMSTSite: without Graph the bot cannot make or check a site, so the
// MST records the one set up outside mvmbot from the site card: 2979, 3615
// and 3282 become overrides with that reason. With refused set, the
// record must be refused saying it (the workshops are not held yet).
func (c *checker) walkMSTSite(refused string) error {
	site, err := c.askCard("site")
	if err != nil {
		return err
	}
	record, err := findAction(site, "siteElsewhere")
	if err != nil {
		return err
	}
	where := map[string]any{"siteElsewhere": "the FastTrack portal's library, with the Migration issues and Known migration errors lists"}
	data := with(record["data"].(map[string]any), where)
	if refused != "" {
		if err := c.expectRefused("siteElsewhere", data, site.Log.MessageID, refused); err != nil {
			return err
		}
		return nil
	}
	card, err := c.clickCard("siteElsewhere", data, site.Log.MessageID)
	if err != nil {
		return err
	}
	if s := mustJSON(card); !strings.Contains(s, "set up elsewhere (an override)") || !strings.Contains(s, "**2979**, **3615**, **3282** done") {
		return fmt.Errorf("site set up elsewhere answered %s", s)
	}
	fmt.Println("ok   mst: site -> Record as set up elsewhere -> 2979, 3615, 3282 done (overrides)")
	return nil
}

// seesOverrides checks that each view shows the overrides.
func (c *checker) seesOverrides(views ...string) error {
	for _, v := range views {
		e, err := c.askCard(v)
		if err != nil {
			return err
		}
		if s := mustJSON(cardEntryOf(e)); !strings.Contains(s, "Overrides (") {
			return fmt.Errorf("%s shows no overrides: %s", v, s)
		}
	}
	fmt.Printf("ok   %s: %s show the overrides\n", c.user, strings.Join(views, ", "))
	return nil
}

// walkCustomerQuestionnaire: the customer may not give roles; fills the
// questionnaire from the next card and submits it, then marks the
// migration decision done.
func (c *checker) walkCustomerQuestionnaire() error {
	e, err := c.ask("role <at>Cy Customer</at> MVM", "customer")
	if err != nil {
		return err
	}
	if s := e.Log.Request.Body.Text; !strings.Contains(s, "Only") {
		return fmt.Errorf("the customer's role: %q", s)
	}
	fmt.Printf("ok   customer: role refused: %q\n", e.Log.Request.Body.Text)
	next, err := c.askCard("next")
	if err != nil {
		return err
	}
	fill, err := findAction(next, "questionnaire")
	if err != nil {
		return err
	}
	form, err := c.clickCard("questionnaire", fill["data"].(map[string]any), next.Log.MessageID)
	if err != nil {
		return err
	}
	submit, err := findInCard(form, "questionnaireSubmit")
	if err != nil {
		return err
	}
	answers := map[string]any{
		"customer-org": "Contoso Ltd", "tenant-domain": "contoso.onmicrosoft.com",
		"tech-contact-name": "Ivan IT", "tech-contact-email": "ivan@contoso.com", "tech-contact-phone": "+44 20 7946 0958",
		"business-contact-name": "Bea Business", "business-contact-email": "bea@contoso.com",
		"comms-owner": "Cora Comms", "time-zone": "Europe/London",
		"window-start": "2027-01-11", "window-end": "2027-04-09",
		"users-in-scope": "250", "data-volume-gb": "5000", "pilot-size": "20", "batch-size": "50",
		"migration-path": "benefit", "network-access": "allowlist", "secure-credentials": "yes",
		"imap-host": "imap.contoso.com", "imap-port": "993", "imap-security": "tls", "imap-auth": "basic",
		"imap-mailboxes": "240", "imap-avg-mailbox-gb": "4.5", "imap-max-mailbox-gb": "48",
	}
	card, err := c.clickCard("questionnaireSubmit", with(submit["data"].(map[string]any), answers), next.Log.MessageID)
	if err != nil {
		return err
	}
	if s := mustJSON(card); !strings.Contains(s, "Submitted as v1") {
		return fmt.Errorf("submit answered %s", s)
	}
	if _, err := c.nextFromBot(); err != nil { // the review card for the MVM
		return fmt.Errorf("review post: %w", err)
	}
	fmt.Println("ok   customer: next -> Fill in -> questionnaire submitted (v1), review posted for the MVM")
	return c.walkDoneAll()
}

// walkMVMValidate: the MVM validates the questionnaire from
// questionnaire show, then does their tasks from next.
func (c *checker) walkMVMValidate() error {
	show, err := c.askCard("questionnaire show")
	if err != nil {
		return err
	}
	validate, err := findAction(show, "questionnaireValidate")
	if err != nil {
		return err
	}
	card, err := c.clickCard("questionnaireValidate", validate["data"].(map[string]any), show.Log.MessageID)
	if err != nil {
		return err
	}
	if s := mustJSON(card); !strings.Contains(s, "You validated v1") {
		return fmt.Errorf("validate answered %s", s)
	}
	if _, err := c.nextFromBot(); err != nil { // the validation's post
		return fmt.Errorf("validation post: %w", err)
	}
	fmt.Println("ok   mvm: questionnaire show -> Validate -> 1672 done")
	return c.walkDoneAll()
}

// walkMVMEvents: the MVM accepts the plan, pastes the pilot's members in
// the event card, waives its pre-flight, and starts it (the MST recorded
// the site set up elsewhere, so 1871's needs are settled); completes it and
// cancels the other events.
func (c *checker) walkMVMEvents() error {
	plan, err := c.askCard("plan")
	if err != nil {
		return err
	}
	accept, err := findAction(plan, "planAccept")
	if err != nil {
		return err
	}
	card, err := c.clickCard("planAccept", accept["data"].(map[string]any), plan.Log.MessageID)
	if err != nil {
		return err
	}
	if !strings.Contains(mustJSON(card), "Plan v1 accepted") {
		return fmt.Errorf("accept answered %s", mustJSON(card))
	}
	fmt.Println("ok   mvm: plan -> accepted")
	events, err := c.askCard("events")
	if err != nil {
		return err
	}
	members, err := findWith(cardEntryOf(events), "eventMembers", "event", 1)
	if err != nil {
		return err
	}
	var rows strings.Builder
	rows.WriteString("user\ttarget\n")
	for i := range 20 {
		fmt.Fprintf(&rows, "pilot%02d@contoso.com\t\n", i)
	}
	card, err = c.clickCard("eventMembers", with(members, map[string]any{"members-1": rows.String(), "membersKind-1": "user"}), events.Log.MessageID)
	if err != nil {
		return err
	}
	if !strings.Contains(mustJSON(card), "set the members of event 1: 20 user") {
		return fmt.Errorf("members answered %s", mustJSON(card))
	}
	fmt.Println("ok   mvm: events -> 20 members pasted (tab-separated) into event 1")
	waive, err := findWith(card, "eventWaive", "event", 1)
	if err != nil {
		return err
	}
	if card, err = c.clickCard("eventWaive", with(waive, map[string]any{"eventReason-1": "the pilot users were checked by hand"}), events.Log.MessageID); err != nil {
		return err
	}
	start, err := findWith(card, "eventStart", "event", 1)
	if err != nil {
		return err
	}
	if card, err = c.clickCard("eventStart", start, events.Log.MessageID); err != nil {
		return err
	}
	if s := mustJSON(card); !strings.Contains(s, "started event 1") {
		return fmt.Errorf("start answered %s", s)
	}
	fmt.Println("ok   mvm: event 1 Start -> started, every need of 1871 settled")
	events, err = c.askCard("events")
	if err != nil {
		return err
	}
	complete, err := findWith(cardEntryOf(events), "eventComplete", "event", 1)
	if err != nil {
		return err
	}
	if card, err = c.clickCard("eventComplete", with(complete, map[string]any{"migrated-1": "20", "failed-1": "0"}), events.Log.MessageID); err != nil {
		return err
	}
	if !strings.Contains(mustJSON(card), "completed event 1: 20 migrated, 0 failed") {
		return fmt.Errorf("complete answered %s", mustJSON(card))
	}
	fmt.Println("ok   mvm: event 1 completed, 20 migrated")
	for n := 2; n < 20; n++ {
		cancel, err := findWith(card, "eventCancel", "event", n)
		if err != nil {
			break
		}
		if card, err = c.clickCard("eventCancel", with(cancel, map[string]any{fmt.Sprintf("eventReason-%d-cancel", n): "the trial stops after the pilot"}), events.Log.MessageID); err != nil {
			return err
		}
	}
	fmt.Println("ok   mvm: the other events cancelled")
	return c.seesOverrides("next", "status", "report")
}

// walkMVMClose: the MVM does what is left of theirs (2481, once the
// events are over), settles the close-out list (checks, the survey,
// waivers with a reason) and closes, with no task left to set aside.
func (c *checker) walkMVMClose() error {
	if err := c.walkDoneAll(); err != nil {
		return err
	}
	for range 12 {
		closeCard, err := c.askCard("close")
		if err != nil {
			return err
		}
		card, id := cardEntryOf(closeCard), closeCard.Log.MessageID
		if out, err := findInCard(card, "closeOut"); err == nil {
			got, err := c.clickCard("closeOut", with(out["data"].(map[string]any), map[string]any{"closeReason": "trial in the Playground ends here"}), id)
			if err != nil {
				return err
			}
			if !strings.Contains(mustJSON(got), "read-only now") {
				return fmt.Errorf("the Close button answered %s", mustJSON(got))
			}
			if _, err := c.nextFromBot(); err != nil { // the close's post
				return fmt.Errorf("close post: %w", err)
			}
			fmt.Println("ok   mvm: close -> closed, read-only")
			return nil
		}
		if check, err := findInCard(card, "closeCheck"); err == nil {
			if _, err := c.clickCard("closeCheck", check["data"].(map[string]any), id); err != nil {
				return err
			}
			fmt.Printf("ok   mvm: close -> Check %v\n", check["data"].(map[string]any)["task"])
			continue
		}
		if send, err := findInCard(card, "surveySend"); err == nil {
			if _, err := c.clickCard("surveySend", send["data"].(map[string]any), id); err != nil {
				return err
			}
			if _, err := c.nextFromBot(); err != nil { // the survey for the customer
				return fmt.Errorf("survey post: %w", err)
			}
			fmt.Println("ok   mvm: close -> survey sent to the customer")
			continue
		}
		waive, err := findInCard(card, "closeWaive")
		if err != nil {
			return fmt.Errorf("close card with nothing to do and no Close: %s", mustJSON(card))
		}
		d := waive["data"].(map[string]any)
		if _, err := c.clickCard("closeWaive", with(d, map[string]any{"waive-" + fmt.Sprint(d["task"]): "not part of this trial"}), id); err != nil {
			return err
		}
		fmt.Printf("ok   mvm: close -> Waive %v with a reason\n", d["task"])
	}
	return errors.New("the close-out did not settle in 12 clicks")
}

// walkCustomerAfter: the customer finds the engagement closed: status
// says so and shows the overrides; a change is refused.
func (c *checker) walkCustomerAfter() error {
	status, err := c.askCard("status")
	if err != nil {
		return err
	}
	if s := mustJSON(cardEntryOf(status)); !strings.Contains(s, "Closed on") || !strings.Contains(s, "Overrides (") || !strings.Contains(s, "100%") {
		return fmt.Errorf("status after the close: %s", s)
	}
	e, err := c.ask("note one more thing")
	if err != nil {
		return err
	}
	if !strings.Contains(e.Log.Request.Body.Text, "no longer changes") {
		return fmt.Errorf("a note after the close: %q", e.Log.Request.Body.Text)
	}
	fmt.Println("ok   customer: status -> closed, with the overrides; a note is refused")
	return nil
}
