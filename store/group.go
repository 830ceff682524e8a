package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// groupCommitter runs the write functions of concurrent callers in shared
// transactions, so that they pay for one fsync between them (group commit).
//
// It takes bbolt's Batch idea without its timer: Batch waits up to
// MaxBatchDelay (10ms) for company before committing, which caps a request
// that needs two writes at roughly a hundred a second per caller. Here one
// goroutine commits whatever has queued while the previous commit was
// fsyncing, at once: a lone caller waits for its own commit only, and under
// load each commit carries everyone who arrived during the last one.
//
// The timer is kept for one kind of call: a background one, which no one
// waits on to answer a request (the record of an activity already
// answered). A group of background calls only waits up to groupLinger for
// company, and commits at once when a call that someone waits on joins it.
// Every commit costs two fsyncs and rewrites the tree's upper pages
// however few records it carries, so under load fewer, larger commits
// save much of the store's CPU; each record is still fsynced before its
// caller returns.
type groupCommitter struct {
	update func(func(*bolt.Tx) error) error // a write transaction (DB.writeTx)
	calls  chan *groupCall

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

type groupCall struct {
	fn         func(*bolt.Tx) error
	background bool
	err        error
	done       chan struct{}
}

// maxGroup bounds one transaction's size, so a burst commits in several
// rounds instead of one huge transaction that holds everyone back.
const maxGroup = 256

// groupLinger is how long a group of background calls waits for more. It
// is short next to the seconds in which Teams redelivers an activity, and
// the bot turns a redelivery away while its record is pending.
const groupLinger = 5 * time.Millisecond

func newGroupCommitter(update func(func(*bolt.Tx) error) error) *groupCommitter {
	g := &groupCommitter{
		update: update,
		calls:  make(chan *groupCall, maxGroup),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go g.loop()
	return g
}

// run queues fn and waits until it is committed, failed, or the committer
// stopped. fn may run more than once (see DB.batch). A background call may
// wait up to groupLinger for others to share its commit.
func (g *groupCommitter) run(ctx context.Context, fn func(*bolt.Tx) error, background bool) error {
	c := &groupCall{fn: fn, background: background, done: make(chan struct{})}
	select {
	case <-g.stop:
		return ErrClosed
	default:
	}
	select {
	case g.calls <- c:
	case <-g.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the call is waited for even if ctx ends: it may already
	// be part of a transaction, and its outcome must not be guessed. A call
	// queued as the loop stopped is never picked up: the loop's end says so.
	select {
	case <-c.done:
		return c.err
	case <-g.done:
		select {
		case <-c.done:
			return c.err
		default:
			return ErrClosed
		}
	}
}

// close stops the loop after the group in progress; calls still queued fail
// with ErrClosed.
func (g *groupCommitter) close() {
	g.stopOnce.Do(func() { close(g.stop) })
	<-g.done
}

func (g *groupCommitter) loop() {
	defer close(g.done)
	linger := time.NewTimer(groupLinger)
	linger.Stop()
	for {
		var first *groupCall
		select {
		case first = <-g.calls:
		case <-g.stop:
			g.failQueued()
			return
		}
		group, waited := g.gather([]*groupCall{first})
		if !waited && len(group) < maxGroup {
			group = g.linger(group, linger)
		}
		g.commit(group)
	}
}

// gather adds the calls already queued to group, and reports whether one
// of them is waited on.
func (g *groupCommitter) gather(group []*groupCall) ([]*groupCall, bool) {
	waited := false
	for _, c := range group {
		waited = waited || !c.background
	}
	for len(group) < maxGroup {
		select {
		case c := <-g.calls:
			group = append(group, c)
			waited = waited || !c.background
		default:
			return group, waited
		}
	}
	return group, waited
}

// linger adds to a group of background calls those that come within
// groupLinger, until one is waited on, the group is full or the committer
// stops.
func (g *groupCommitter) linger(group []*groupCall, t *time.Timer) []*groupCall {
	t.Reset(groupLinger)
	defer t.Stop()
	for len(group) < maxGroup {
		select {
		case c := <-g.calls:
			group = append(group, c)
			if !c.background {
				group, _ = g.gather(group)
				return group
			}
		case <-t.C:
			return group
		case <-g.stop:
			return group
		}
	}
	return group
}

func (g *groupCommitter) failQueued() {
	for {
		select {
		case c := <-g.calls:
			c.err = ErrClosed
			close(c.done)
		default:
			return
		}
	}
}

// memberError marks which member of a group failed, so that only it is told
// and the others run again without it.
type memberError struct {
	index int
	err   error
}

func (e *memberError) Error() string { return e.err.Error() }

// commit runs group in one transaction. When a member fails, the
// transaction rolls back; the member gets its error and the rest are
// committed again without it.
//
// A failed member is told only after the rest are committed: its failure
// may have been judged against their writes (a version conflict with
// another member of the group), and a caller that reacts by reading again
// must then see those writes.
func (g *groupCommitter) commit(group []*groupCall) {
	var failed []*groupCall
	defer func() {
		for _, c := range failed {
			close(c.done)
		}
	}()
	for len(group) > 0 {
		err := g.update(func(tx *bolt.Tx) error {
			for i, c := range group {
				if err := safeCall(c.fn, tx); err != nil {
					return &memberError{index: i, err: err}
				}
			}
			return nil
		})
		var me *memberError
		if !errors.As(err, &me) {
			// Committed, or the commit itself failed: the same for all.
			for _, c := range group {
				c.err = mapErr(err)
				close(c.done)
			}
			return
		}
		f := group[me.index]
		f.err = mapErr(me.err)
		failed = append(failed, f)
		group = append(group[:me.index:me.index], group[me.index+1:]...)
	}
}

// safeCall turns a panic in fn into an error, so that one bad write cannot
// take down the committer (and with it every writer).
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}
