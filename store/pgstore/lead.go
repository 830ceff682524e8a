package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Lead runs fn on one replica at a time (of those on this database and
// schema: the lock's key names both, so bots in other schemas of one
// database do not wait for each other), for work that must happen once
// per period however many replicas serve (the weekly report and reminder
// scans, the dedup sweep). It waits until this handle holds the session
// advisory lock named name, retrying every retry, then calls fn with a
// context that ends when ctx ends or the lock's connection is lost (the
// lock is lost with it, and another replica takes over). When fn returns,
// the lock is released and Lead competes again, until ctx ends; it then
// returns ctx's error.
//
// A replica that dies releases the lock with its connection: PostgreSQL
// ends the session when the connection drops (at once on a clean close,
// after TCP keepalive otherwise).
func (db *DB) Lead(ctx context.Context, name string, retry time.Duration, fn func(ctx context.Context)) error {
	for {
		if err := db.usable(ctx); err != nil {
			return err
		}
		led, err := db.leadOnce(ctx, name, fn)
		if err != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			// A lost connection: try again after the pause.
			led = false
		}
		if led {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
	}
}

// leaseCheck is how often a leader checks that its lock's connection is
// alive.
const leaseCheck = 5 * time.Second

// leadOnce takes the lock if it is free and runs fn under it; led says
// whether it did.
func (db *DB) leadOnce(ctx context.Context, name string, fn func(ctx context.Context)) (led bool, err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("lead %s: %w", name, err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext(current_schema() || ' mvmbot lead ' || $1))`, name).Scan(&ok); err != nil {
		conn.Release()
		return false, fmt.Errorf("lead %s: %w", name, err)
	}
	if !ok {
		conn.Release()
		return false, nil
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseCheck)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				if err := conn.Ping(lctx); err != nil && lctx.Err() == nil {
					cancel()
					return
				}
			}
		}
	}()
	fn(lctx)
	cancel()
	<-done
	// Unlock on a live connection; a dead one has released the lock, and
	// the pool drops it.
	uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ucancel()
	if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(hashtext(current_schema() || ' mvmbot lead ' || $1))`, name); err != nil {
		conn.Conn().Close(uctx)
	}
	conn.Release()
	return true, nil
}
