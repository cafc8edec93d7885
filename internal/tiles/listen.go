package tiles

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the NOTIFY channel of migration 0006's triggers.
const Channel = "cityreach_tiles"

// listener holds the dedicated LISTEN connection. It hands every cityreach_tiles payload
// to onNotify; after every (re)connection it calls onReset before serving, because
// notifications sent while it was away are lost.
//
// It also runs the read-your-writes barrier: sync sends a NOTIFY on a channel private to
// this process through the pool and waits until the listener receives it. PostgreSQL
// delivers notifications in commit order, so once it arrives every edit committed before
// sync was called has been processed, whichever process made it.
type listener struct {
	connect  func(ctx context.Context) (*pgx.Conn, error)
	db       DB
	onNotify func(payload string)
	onReset  func()
	log      *slog.Logger

	live     atomic.Bool
	syncChan string

	mu      sync.Mutex
	sent    uint64 // highest sync token sent
	seen    uint64 // highest sync token received (or released by a reconnect)
	again   bool   // a waiter needs a token newer than the one in flight
	failed  uint64 // highest token whose NOTIFY could not be sent
	changed chan struct{}
}

func newListener(db DB, connect func(ctx context.Context) (*pgx.Conn, error), onNotify func(string), onReset func(), log *slog.Logger) *listener {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &listener{
		connect: connect, db: db, onNotify: onNotify, onReset: onReset, log: log,
		syncChan: Channel + "_sync_" + hex.EncodeToString(b[:]),
		changed:  make(chan struct{}),
	}
}

// run listens until ctx ends, reconnecting with backoff.
func (l *listener) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.session(ctx)
		l.live.Store(false)
		l.release() // waiters fall back to rendering
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("tile cache listener lost its connection; the cache is bypassed until it is back", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (l *listener) session(ctx context.Context) error {
	conn, err := l.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, ch := range []string{Channel, l.syncChan} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	// Listening now: anything committed from here on reaches us. What was cached before
	// may have missed an edit.
	l.onReset()
	l.live.Store(true)
	l.log.Info("tile cache listening", "channel", Channel)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Channel == l.syncChan {
			tok, _ := strconv.ParseUint(n.Payload, 10, 64)
			l.arrived(tok)
			continue
		}
		l.onNotify(n.Payload)
	}
}

// errNotLive means the cache cannot be trusted right now; the caller renders instead.
var errNotLive = errors.New("tile cache listener is not connected")

// sync returns once every edit committed before the call has been processed, or an error
// (the caller then bypasses the cache). Concurrent callers share one NOTIFY round trip.
func (l *listener) sync(ctx context.Context) error {
	if !l.live.Load() {
		return errNotLive
	}
	l.mu.Lock()
	// The token in flight (if any) was sent before we arrived; we need the next one.
	want := l.sent + 1
	if l.sent == l.seen {
		l.sent++
		go l.send(l.sent)
	} else {
		l.again = true
	}
	for l.seen < want {
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !l.live.Load() {
			return errNotLive
		}
		l.mu.Lock()
	}
	failed := l.failed >= want
	l.mu.Unlock()
	if failed {
		return errNotLive
	}
	return nil
}

func (l *listener) send(tok uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// NOTIFY makes its transaction a writing one; its commit need not wait for the WAL
	// flush (about a millisecond here), as the token is worthless after a crash.
	// Delivery still follows commit order.
	if _, err := l.db.Exec(ctx, "SELECT pg_notify($1, $2) FROM (SELECT set_config('synchronous_commit', 'off', true)) s",
		l.syncChan, strconv.FormatUint(tok, 10)); err != nil {
		l.log.Warn("tile cache sync failed", "err", err)
		l.mu.Lock()
		l.failed = max(l.failed, tok)
		l.mu.Unlock()
		l.arrived(tok) // release the waiters; they render instead
	}
}

// arrived records that token tok came back and starts the next round when waiters need it.
func (l *listener) arrived(tok uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if tok > l.seen {
		l.seen = tok
	}
	close(l.changed)
	l.changed = make(chan struct{})
	if l.again && l.sent == l.seen {
		l.again = false
		l.sent++
		go l.send(l.sent)
	}
}

// release wakes every waiter after the connection dropped; they then see live=false.
func (l *listener) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = l.sent
	l.again = false
	close(l.changed)
	l.changed = make(chan struct{})
}
