package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cityreach/cityreach/internal/db"
)

// DefaultPoll is how often a server reads the change log (migration 0022) when nothing
// asks sooner.
const DefaultPoll = 250 * time.Millisecond

// pollLimit bounds the rows one poll reads; past it the poll drops the whole cache.
const pollLimit = 5000

// seenFor is how long an applied change is remembered at least: its notification (or its
// row, when the notification came first) arrives well within it.
const seenFor = 30 * time.Second

// seenChange is an applied change: its transaction and when it was applied.
type seenChange struct {
	xid uint64
	at  time.Time
}

// change is one row of tile_changes.
type change struct {
	ID    int64        `json:"id"`
	XID   string       `json:"xid"`
	Layer string       `json:"layer"`
	Boxes [][4]float64 `json:"boxes"`
	All   bool         `json:"all"`
}

// pollSQL reads, in one statement and so in one snapshot: the snapshot's xmin, the
// server's WAL position (replayed on a standby, written on a primary; taken after the
// snapshot, so at or past every commit the snapshot sees), the pruning horizon, and the
// changes of every transaction at or above the previous xmin ($1). A row that was not
// visible to the previous poll belongs to a transaction that was running then or began
// later, so its xid is at or above that poll's xmin: no row is missed, some are read
// twice: while a transaction runs, every later one stays at or above the xmin, so the
// ids already read there ($3) are left out in the database. $1 NULL (the first poll)
// reads the rows at or above the snapshot's own xmin: those the next poll would read
// again, which the first poll marks as seen without applying them. (The snapshot's list
// of running transactions would be a tighter bound than its xmin, but on a standby
// pg_current_snapshot() gives it empty: seen here, "69460:69488:" on the replica while
// the primary's was "69460:69489:69460,69464,69465"; the xmin agrees.)
const pollSQL = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
       (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
       (SELECT xid::text FROM tile_changes_pruned),
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'xid', c.xid::text, 'layer', c.layer, 'boxes', c.boxes, 'all', c.whole) ORDER BY c.id)
                 FROM (SELECT * FROM tile_changes WHERE xid >= coalesce($1::xid8, pg_snapshot_xmin(pg_current_snapshot())) AND NOT id = ANY($3::bigint[]) ORDER BY id LIMIT $2) c), '[]'::jsonb)`

// poller follows tile_changes on the database the tiles are read from (a replica, through
// the router, or the primary). Its poll is also the read-your-edits barrier of a
// replica-backed cache: sync returns after a poll that began after the call, so every
// edit visible on the read database when sync was called has been applied.
type poller struct {
	db       DB
	interval time.Duration
	apply    func(change)
	onReset  func()
	log      *slog.Logger

	live atomic.Bool
	lsn  atomic.Uint64 // the WAL position of the last good poll: renders read at or past it

	// The barrier: seq numbers the polls begun, done the last one completed.
	mu      sync.Mutex
	seq     uint64
	done    uint64
	changed chan struct{}
	kick    chan struct{}

	// What has been applied: the previous snapshot's xmin and the ids read at or above it
	// (with their xid, to forget them once the floor passes). The NOTIFY path marks ids
	// here too when it is the one the cache follows (primary reads), so an edit is applied
	// once.
	seenMu  sync.Mutex
	started bool
	floor   uint64
	pruned  uint64
	seen    map[int64]seenChange

	polls, rows, notified, failures, resets atomic.Int64
	nanos                                   atomic.Int64
}

func newPoller(d DB, interval time.Duration, apply func(change), onReset func(), log *slog.Logger) *poller {
	if interval <= 0 {
		interval = DefaultPoll
	}
	return &poller{db: d, interval: interval, apply: apply, onReset: onReset, log: log,
		changed: make(chan struct{}), kick: make(chan struct{}, 1), seen: map[int64]seenChange{}}
}

// run polls every interval, or at once when sync asks, until ctx ends.
func (p *poller) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.mu.Lock()
		p.seq++
		tok := p.seq
		p.mu.Unlock()
		err := p.poll(ctx)
		if err != nil && ctx.Err() == nil {
			p.failures.Add(1)
			if p.live.Swap(false) {
				p.log.Warn("tile change log unreadable; the cache is bypassed until it is back", "err", err)
			}
		}
		p.mu.Lock()
		if err == nil {
			p.done = max(p.done, tok)
		}
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			p.live.Store(false)
			return
		case <-t.C:
		case <-p.kick:
		}
	}
}

// poll reads the changes since the last poll and applies those not seen yet. The first
// poll, and the first after a failure, applies none and drops the whole cache instead
// (onReset; nil when the poller is only the backstop of a listener, which has its own).
func (p *poller) poll(ctx context.Context) error {
	t0 := time.Now()
	defer func() { p.polls.Add(1); p.nanos.Add(int64(time.Since(t0))) }()
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	fresh := !p.started || !p.live.Load()
	var floor any
	if !fresh {
		floor = strconv.FormatUint(p.floor, 10)
	}
	qctx, cancel := context.WithTimeout(db.WithMinLSN(ctx, db.LSN(p.lsn.Load())), 5*time.Second)
	defer cancel()
	seen := make([]int64, 0, len(p.seen))
	for id := range p.seen {
		seen = append(seen, id)
	}
	var xminS, lsnS, prunedS string
	var raw []byte
	if err := p.db.QueryRow(qctx, pollSQL, floor, pollLimit, seen).Scan(&xminS, &lsnS, &prunedS, &raw); err != nil {
		return fmt.Errorf("tile change log: %w", err)
	}
	xmin, err1 := strconv.ParseUint(xminS, 10, 64)
	pruned, err2 := strconv.ParseUint(prunedS, 10, 64)
	lsn, err3 := db.ParseLSN(lsnS)
	var cs []change
	err4 := json.Unmarshal(raw, &cs)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return fmt.Errorf("tile change log: %w", err)
		}
	}
	// The position first: a render that reads it after an eviction below reads the
	// evicted edit; one that read the old position began before the eviction, and the
	// cache's generations refuse its tile (see cache.put).
	if uint64(lsn) > p.lsn.Load() {
		p.lsn.Store(uint64(lsn))
	}
	// A row pruned at or above the floor since the last poll may have gone unread.
	lost := !fresh && pruned > p.pruned && pruned >= p.floor
	p.pruned = pruned
	if fresh || lost || len(cs) >= pollLimit {
		if !fresh && p.onReset != nil {
			p.log.Warn("tile change log: changes may have been missed; dropping the whole cache", "pruned", lost, "rows", len(cs))
		}
		if p.onReset != nil {
			p.resets.Add(1)
			p.onReset()
		}
		clear(p.seen)
		for _, c := range cs {
			if x, err := strconv.ParseUint(c.XID, 10, 64); err == nil {
				p.seen[c.ID] = seenChange{x, t0}
			}
		}
	} else {
		for _, c := range cs {
			x, err := strconv.ParseUint(c.XID, 10, 64)
			if err != nil {
				return fmt.Errorf("tile change log: xid %q: %w", c.XID, err)
			}
			if _, ok := p.seen[c.ID]; ok {
				continue // not sent back by the database; kept for safety
			}
			p.seen[c.ID] = seenChange{x, t0}
			p.rows.Add(1)
			p.apply(c)
		}
	}
	p.floor, p.started = xmin, true
	for id, c := range p.seen {
		if c.xid < xmin && t0.Sub(c.at) > seenFor {
			delete(p.seen, id) // never read again, and its notification long processed
		}
	}
	p.live.Store(true)
	return nil
}

// mark records that the NOTIFY path applied change id, and says whether it was new.
func (p *poller) mark(id int64) bool {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	if _, ok := p.seen[id]; ok {
		return false
	}
	// The xid is unknown here (0): the id is left out of the polls for seenFor, after
	// which a row still at or above the floor (its transaction began before a still
	// running one) would be applied a second time, which only evicts again.
	p.seen[id] = seenChange{0, time.Now()}
	p.notified.Add(1)
	return true
}

// sync returns once a poll that began after the call has completed, or an error (the
// caller then bypasses the cache). Concurrent callers share one poll. When the poll's
// position is behind the client's read-your-writes token in ctx (db.WithMinLSN), its own
// edit may not be applied yet: errNotLive, and the caller renders, at the token.
func (p *poller) sync(ctx context.Context) error {
	if !p.live.Load() {
		return errNotLive
	}
	p.mu.Lock()
	want := p.seq + 1
	select {
	case p.kick <- struct{}{}:
	default:
	}
	if err := awaitBarrier(ctx, &p.mu, &p.changed, &p.done, want, &p.live); err != nil {
		return err
	}
	if p.lsn.Load() < uint64(db.MinLSN(ctx)) {
		return errNotLive
	}
	return nil
}

// PollStats are the change log poller's counters.
type PollStats struct {
	Polls    int64         // queries run
	Rows     int64         // changes applied
	Notified int64         // changes the notifications reported first (applied there, not read here)
	Failures int64         // polls that failed (the cache is bypassed until one succeeds)
	Resets   int64         // whole-cache drops: the first poll, after a failure, changes possibly pruned unread
	Time     time.Duration // total time in polls
	LSN      db.LSN        // the read database's position at the last good poll
}

func (p *poller) stats() PollStats {
	return PollStats{Polls: p.polls.Load(), Rows: p.rows.Load(), Notified: p.notified.Load(), Failures: p.failures.Load(),
		Resets: p.resets.Load(), Time: time.Duration(p.nanos.Load()), LSN: db.LSN(p.lsn.Load())}
}
