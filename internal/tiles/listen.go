package tiles

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Channel is the NOTIFY channel of migration 0006's triggers.
const Channel = "cityreach_tiles"

// listener holds the dedicated LISTEN connection. It hands every cityreach_tiles payload
// to onNotify; after every (re)connection it calls onReset before serving, because
// notifications sent while it was away are lost.
//
// It also runs the read-your-writes barrier. sync asks the listener goroutine for one
// empty round trip on the LISTEN connection itself and returns when it is back. That
// round trip is a barrier because of two facts of PostgreSQL (15 and later; 13 and 14 do
// the same in a different place): a committing transaction signals the listening
// backends before its client learns that it committed, and a listening backend sends
// the notifications it has been signalled about before it answers a query. So every
// notification of an edit committed before sync was called arrives on the connection
// before the barrier's answer, and the notification handler runs on this goroutine as
// the messages are read: when the answer is in, every such edit has been processed,
// whichever process made it. The round trip involves no transaction and no other
// connection; concurrent callers share one.
type listener struct {
	connect  func(ctx context.Context, onNotify func(*pgconn.PgConn, *pgconn.Notification)) (*pgx.Conn, error)
	onNotify func(payload string)
	onReset  func()
	log      *slog.Logger

	live atomic.Bool

	mu      sync.Mutex
	started uint64 // the token of the barrier last sent
	want    uint64 // the highest token a waiter needs
	seen    uint64 // the highest token answered (or released by a disconnection)
	wake    context.CancelFunc
	changed chan struct{}
}

func newListener(connect func(ctx context.Context, onNotify func(*pgconn.PgConn, *pgconn.Notification)) (*pgx.Conn, error), onNotify func(string), onReset func(), log *slog.Logger) *listener {
	return &listener{connect: connect, onNotify: onNotify, onReset: onReset, log: log, changed: make(chan struct{})}
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
	conn, err := l.connect(ctx, func(_ *pgconn.PgConn, n *pgconn.Notification) {
		if n.Channel == Channel {
			l.onNotify(n.Payload)
		}
	})
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // the listener is ending; a failed Close leaves nothing to do
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return err
	}
	// Listening now: anything committed from here on reaches us. What was cached before
	// may have missed an edit.
	l.onReset()
	l.live.Store(true)
	l.log.Info("tile cache listening", "channel", Channel)
	pc := conn.PgConn()
	for {
		l.mu.Lock()
		if l.want > l.started {
			tok := l.want
			l.started = tok
			l.mu.Unlock()
			if err := barrier(ctx, pc); err != nil {
				return err
			}
			l.arrived(tok)
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		l.wake = cancel
		l.mu.Unlock()
		err := pc.WaitForNotification(wctx)
		l.mu.Lock()
		l.wake = nil
		l.mu.Unlock()
		woken := wctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil && !woken {
			return err
		}
		// Woken for a barrier, or a notification was handled: loop.
	}
}

// barrier is one empty round trip on the LISTEN connection.
func barrier(ctx context.Context, pc *pgconn.PgConn) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := pc.Exec(ctx, ";").ReadAll()
	return err
}

// errNotLive means the cache cannot be trusted right now; the caller renders instead.
var errNotLive = errors.New("tile cache listener is not connected")

// sync returns once every edit committed before the call has been processed, or an error
// (the caller then bypasses the cache). Concurrent callers share one barrier.
func (l *listener) sync(ctx context.Context) error {
	if !l.live.Load() {
		return errNotLive
	}
	l.mu.Lock()
	if !l.live.Load() {
		// Disconnected after the check above: release has already run.
		l.mu.Unlock()
		return errNotLive
	}
	// The barrier last sent may have left before we arrived; we need the next one.
	want := l.started + 1
	if want > l.want {
		l.want = want
		if l.wake != nil {
			l.wake()
			l.wake = nil
		}
	}
	return awaitBarrier(ctx, &l.mu, &l.changed, &l.seen, want, &l.live)
}

// arrived records that barrier tok is back and wakes its waiters.
func (l *listener) arrived(tok uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = max(l.seen, tok)
	close(l.changed)
	l.changed = make(chan struct{})
}

// release wakes every waiter after the connection dropped; they then see live=false.
func (l *listener) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen, l.started = l.want, l.want
	close(l.changed)
	l.changed = make(chan struct{})
}
