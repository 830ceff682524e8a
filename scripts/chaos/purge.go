package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mvmbot/mvmbot/store"
)

// The purge round: `mvmbot purge --apply` while the bot serves under load,
// as an operator runs it (the same binary and MVMBOT_DB: the command finds
// the file in use and asks the running bot through its admin socket, which
// purges and rewrites the file while turns wait). Two closed engagements,
// each holding a marker of its own (in its customer name, hence in every
// card answered about it, and in a note), are purged in turn: the first
// while the bot serves, the second with the bot killed in the middle of it
// and the purge run again after the restart. Afterwards no byte of either
// marker may be in the bbolt file, in a file the rewrite left beside it,
// or in a backup taken after (mvmbot backup, through the admin socket).

// purgeFigures is what the purge round found.
type purgeFigures struct {
	Runs      int    // purge --apply runs, the rerun after the kill included
	Killed    int    // purges the bot was killed during
	KillPoint string // where the kill found the purge
	// windows are the spans of the purges (from the command's start to
	// its end, or to the kill): the acknowledged writes in them are the
	// writes during purge, and each must be in the file at the end.
	windows     [][2]time.Time
	During      int // acknowledged changes during the purges
	Kept        int // of those, in the file at the end
	MarkerBytes int // markers found in the file, what lies beside it, and the backup
	Searched    int // files searched
	markers     []string
	early       int      // markers found right after the rerun
	where       []string // where they were
	Elapsed     time.Duration
}

// killedInRewrite is the KillPoint of a kill between the purge's commit
// and its rewrite's rename.
const killedInRewrite = "during the rewrite, before its rename"

// purgeRound runs the round while load goes on; seq numbers the notes of
// the second engagement under load it adds for the round.
func (c *chaos) purgeRound(seq *atomic.Int64) error {
	// The report's kill must not come in the middle of this round (the
	// wait is not the round's: the final drain would wait for it too).
	if err := c.awaitReport(20 * time.Second); err != nil {
		return err
	}
	began := time.Now()
	defer func() { c.pf.Elapsed = time.Since(began) }()
	// Load on a second engagement too, during the round only.
	const conv = "19:chaos-notes-purge@thread.v2"
	if _, err := c.notesEngagement(conv, "Tailspin"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.noteLoad(ctx, seq, conv) }()
	defer func() { cancel(); wg.Wait() }()

	// Markers of their own per run, so that one run's file cannot match
	// another's.
	for k := range 2 {
		c.pf.markers = append(c.pf.markers, fmt.Sprintf("PURGEMARK%dx%d", k, c.seed%1_000_000_007))
	}
	// Closed today: a cut at tomorrow takes them, and no other engagement
	// of the run is closed.
	cut := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

	// 1. A purge while the bot serves; how long its rewrite takes (the
	// time the rewrite's temporary file exists) paces the kill of the next.
	if err := c.closedWithMarker(0, c.pf.markers[0]); err != nil {
		return fmt.Errorf("purge round: set up the engagement to purge: %w", err)
	}
	time.Sleep(300 * time.Millisecond) // load on both engagements first
	out, rewrite, err := c.purge(cut, nil)
	if err != nil {
		return fmt.Errorf("purge round: the first purge: %w\n%s", err, out)
	}
	if !strings.Contains(out, "PURGEMARK0") || !strings.Contains(out, "1 engagement(s) purged") {
		return fmt.Errorf("purge round: the first purge did not purge the marker's engagement alone: %s", out)
	}

	// 2. A purge killed at a random moment shortly after its rewrite
	// begins, within the first rewrite's length (so the kill falls in it,
	// or just after its rename: finding the file and killing take their
	// time too), then the bot restarted on the same file and the purge run
	// again.
	if err := c.closedWithMarker(1, c.pf.markers[1]); err != nil {
		return fmt.Errorf("purge round: set up the engagement to purge: %w", err)
	}
	time.Sleep(300 * time.Millisecond)
	delay := time.Duration(c.rndN(int(max(rewrite, time.Millisecond)/time.Microsecond))) * time.Microsecond
	out, _, err = c.purge(cut, &delay)
	fmt.Fprintf(os.Stderr, "purge round: the first rewrite took %s; the second purge killed %s after its rewrite began: %s\n", rewrite, delay, c.pf.KillPoint)
	if c.dead() {
		if err := c.start(); err != nil {
			return fmt.Errorf("purge round: restart after the kill during a purge: %w", err)
		}
	}
	// What a killed purge leaves, by where the kill came: before the
	// purge's transaction committed, nothing (bbolt's commit is atomic):
	// the engagement is still there, closed. After the commit and before
	// the rewrite's rename, the records are deleted but their bytes lie in
	// the file's free pages, with the rewrite's temporary file beside it
	// (a copy of live records only, its bytes removed when the file is
	// next opened). After the rename, the purge is done. In every case
	// running the purge again is right and complete: it purges whatever is
	// still there, and it rewrites the file whenever an earlier purge's
	// rewrite did not finish (the store remembers that, in the purge's own
	// transaction), so that the freed bytes go.
	var again string
	for try := range 2 {
		if try > 0 {
			time.Sleep(500 * time.Millisecond)
		}
		if again, _, err = c.purge(cut, nil); err == nil {
			break
		}
	}
	out += again
	if err != nil {
		return fmt.Errorf("purge round: the purge after the kill: %w\n%s", err, out)
	}
	if !strings.Contains(again, "engagement(s) purged") {
		return fmt.Errorf("purge round: the purge after the kill: %s", out)
	}
	// Killed in the rewrite, the purge had deleted and not rewritten: the
	// rerun must rewrite, whether or not it finds more to delete. Load
	// reuses the freed pages soon, which can hide the marker from the byte
	// search below; the command's own word cannot hide.
	if c.pf.KillPoint == killedInRewrite && !strings.Contains(again, "rewritten") {
		return fmt.Errorf("purge round: killed in its rewrite, the purge run again did not rewrite the file: %s", again)
	}
	// Searched at once too, before more load reuses the freed pages.
	found, _, where := c.searchMarkers()
	c.pf.early += found
	c.pf.where = append(c.pf.where, where...)
	// A backup after the purge, as an operator takes one.
	backup := filepath.Join(c.dir, "mvmbot.db.backup")
	bk := exec.Command(c.bin, "backup", "--out", backup)
	bk.Env = c.env()
	if raw, err := bk.CombinedOutput(); err != nil {
		return fmt.Errorf("purge round: backup after the purge: %v\n%s", err, raw)
	}
	return nil
}

// purge runs `mvmbot purge --closed-before cut --apply`. With kill not nil
// the bot is killed kill after the rewrite's temporary file appears. It
// returns the command's output and how long the temporary file was seen.
func (c *chaos) purge(cut string, kill *time.Duration) (string, time.Duration, error) {
	cmd := exec.Command(c.bin, "purge", "--closed-before", cut, "--apply")
	cmd.Env = c.env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	c.pf.Runs++
	var seen, gone time.Time
	var err error
	end := time.Time{}
watch:
	for {
		select {
		case err = <-done:
			break watch
		default:
		}
		tmp := c.rewriteFiles()
		switch {
		case len(tmp) > 0 && seen.IsZero():
			seen = time.Now()
			if kill != nil {
				time.Sleep(*kill)
				c.killPurge()
				end = time.Now()
				err = <-done
				break watch
			}
		case len(tmp) == 0 && !seen.IsZero() && gone.IsZero():
			gone = time.Now()
		}
		time.Sleep(200 * time.Microsecond)
	}
	if end.IsZero() {
		end = time.Now()
	}
	c.pf.windows = append(c.pf.windows, [2]time.Time{start, end})
	if gone.IsZero() && !seen.IsZero() {
		gone = end
	}
	if kill != nil && seen.IsZero() {
		// The rewrite came and went between two looks: kill now, after
		// the purge, and say so.
		c.killPurge()
		c.pf.KillPoint = "after the purge ended (its rewrite was not seen)"
	}
	return out.String(), gone.Sub(seen), err
}

// killPurge kills the bot with SIGKILL during a purge and says where the
// purge was: its rewrite's temporary file still there means the kill came
// before the rename.
func (c *chaos) killPurge() {
	c.mu.Lock()
	p := c.proc
	c.mu.Unlock()
	if p == nil {
		return
	}
	p.kill()
	c.pf.Killed++
	c.mu.Lock()
	c.kills["purge"]++
	c.mu.Unlock()
	if len(c.rewriteFiles()) > 0 {
		c.pf.KillPoint = killedInRewrite
	} else {
		c.pf.KillPoint = "after the rewrite's rename"
	}
}

// rewriteFiles lists the temporary files a rewrite of the bbolt file
// (store.Compact) makes beside it.
func (c *chaos) rewriteFiles() []string { return store.RewriteFiles(c.db) }

// closedWithMarker sets up an engagement whose customer name holds marker
// in a chat of its own, writes a note with the marker, and closes it
// through the close-out checklist (every item waived), as its MST does.
func (c *chaos) closedWithMarker(k int, marker string) error {
	conv := fmt.Sprintf("19:chaos-purge-%d@thread.v2", k)
	c.ackedMu.Lock()
	c.purgedConvs[conv] = true
	c.ackedMu.Unlock()
	card, err := c.invoke(conv, "setupSave", map[string]any{
		"customer": "Purgeable " + marker, "tenantDomain": "adatum.onmicrosoft.com", "sources": "IMAP",
		"onPremExchange": "false", "targetStart": "2027-01-04", "targetEnd": "2027-04-14", "role": "MST",
	})
	if err != nil {
		return err
	}
	edit, err := findTask(card, "setup", "")
	if err != nil {
		return err
	}
	id := edit["engagement"]
	// The notes' replies are in before the close: a reply job still
	// queued at the purge would go with it, unanswered.
	// Several notes, each with the marker several times: more freed pages
	// than the load reuses at once.
	var noteIDs []string
	for range 8 {
		noteID := fmt.Sprintf("x%d", invokeSeq.Add(1))
		body := activity(map[string]any{
			"type": "message", "id": noteID, "serviceUrl": c.conn.URL(),
			"text":         "note the customer's own words: " + strings.Repeat(marker+" ", 6),
			"from":         map[string]any{"id": "29:pat", "name": "Pat", "aadObjectId": "aad-pat"},
			"conversation": map[string]any{"id": conv, "conversationType": "groupChat", "isGroup": true, "tenantId": tenant},
		})
		if status, raw, err := c.post(c.addr(), body); err != nil || status != http.StatusOK {
			return fmt.Errorf("note: %d %s %v", status, raw, err)
		}
		c.ack(noteID, conv)
		noteIDs = append(noteIDs, noteID)
	}
	if card, err = c.invoke(conv, "close", map[string]any{"engagement": id}); err != nil {
		return err
	}
	for range 10 {
		d, _ := findTask(card, "closeWaive", "")
		if d == nil {
			break
		}
		item, _ := d["task"].(string)
		d["waive-"+item] = "the chaos run purges this engagement"
		if card, err = c.invoke(conv, "closeWaive", d); err != nil {
			return err
		}
	}
	d, err := findTask(card, "closeOut", "")
	if err != nil {
		return err
	}
	d["closeReason"] = "the chaos run purges it"
	if card, err = c.invoke(conv, "closeOut", d); err != nil {
		return err
	}
	if !strings.Contains(card, "read-only now") {
		return fmt.Errorf("closeOut: %.300s", card)
	}
	// The closing post too (a job in the engagement's chat).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		replies, _ := c.posts()
		answered := 0
		for _, id := range noteIDs {
			if replies[id] > 0 {
				answered++
			}
		}
		if answered == len(noteIDs) && c.postedIn(conv, "read-only now") {
			return nil
		}
	}
	return fmt.Errorf("%s: the note's reply or the closing post did not come", conv)
}

// postedIn reports whether the connector got a post in conv holding s.
func (c *chaos) postedIn(conv, s string) bool {
	for _, call := range c.conn.Calls() {
		if call.Method == http.MethodPost && call.ConversationID == conv && bytes.Contains(call.Body, []byte(s)) {
			return true
		}
	}
	return false
}

// searchMarkers counts the markers in the bbolt file and in every file
// beside it that bears its name (a rewrite's leftovers, the backup).
func (c *chaos) searchMarkers() (found, files int, where []string) {
	names, _ := filepath.Glob(filepath.Join(c.dir, "*"+filepath.Base(c.db)+"*"))
	for _, n := range names {
		fi, err := os.Lstat(n)
		if err != nil || !fi.Mode().IsRegular() {
			continue // the admin socket
		}
		raw, err := os.ReadFile(n)
		if err != nil {
			where = append(where, fmt.Sprintf("%s: %v", filepath.Base(n), err))
			continue
		}
		files++
		for _, m := range c.pf.markers {
			if k := bytes.Count(raw, []byte(m)); k > 0 {
				found += k
				where = append(where, fmt.Sprintf("%s: %d × %s", filepath.Base(n), k, m))
			}
		}
	}
	return found, files, where
}

// checkPurge checks the purge round once the bot has stopped: no marker
// byte left, and every change acknowledged during a purge is in the file
// (check has found the lost ones: those of them are not kept).
func (c *chaos) checkPurge(res *result, lost map[string]bool) {
	if len(c.pf.markers) == 0 {
		return
	}
	found, files, where := c.searchMarkers()
	c.pf.MarkerBytes, c.pf.Searched = c.pf.early+found, files
	if where = append(c.pf.where, where...); len(where) > 0 {
		res.Problems = append(res.Problems, fmt.Sprintf("purged markers still on disk: %s", strings.Join(where, "; ")))
	}
	c.ackedMu.Lock()
	defer c.ackedMu.Unlock()
	for id, at := range c.ackedAt {
		// help (m…) is read-only: nothing of it need be kept.
		if id[0] == 'm' || c.purgedConvs[c.acked[id]] {
			continue
		}
		for _, w := range c.pf.windows {
			if !at.Before(w[0]) && !at.After(w[1]) {
				c.pf.During++
				if !lost[id] {
					c.pf.Kept++
				}
				break
			}
		}
	}
}
