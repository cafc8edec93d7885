package db

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RouterOptions tune a Router; zero values take the defaults.
type RouterOptions struct {
	// MaxLag drops a replica whose replay is further behind the primary than this
	// (default 5s): it has not replayed what the primary had written MaxLag ago.
	MaxLag time.Duration
	// Wait bounds how long a read waits for a replica to replay the position it needs
	// (read-your-writes, strong reads) before it goes to the primary (default 1s).
	Wait time.Duration
	// Interval is the period of the health checks (default 1s).
	Interval time.Duration
	Log      *slog.Logger
}

// Router sends reads that may run on a streaming replica there and everything else to the
// primary (docs/scale-out.md). Replicas are health-checked every Interval: one that does
// not answer, is not in recovery, or lags beyond MaxLag is dropped, and re-added once it
// is healthy again. A read that fails on a replica for a reason the primary would not have
// (connection lost, server shutting down, recovery conflict, a write attempted in a
// read-only transaction) is retried on the primary, and the replica is dropped until its
// next good check.
type Router struct {
	primary  *pgxpool.Pool
	replicas []*replica
	o        RouterOptions
	next     atomic.Uint64

	replicaReads, primaryReads, fallbacks atomic.Uint64

	mu      sync.Mutex
	samples []lsnSample // the primary's position at each check, oldest first
}

type replica struct {
	name    string // user@host:port/database
	pool    *pgxpool.Pool
	healthy atomic.Bool
	replay  atomic.Uint64 // the last replay position seen
}

type lsnSample struct {
	at  time.Time
	lsn LSN
}

// NewRouter builds a router over primary and the replicas at urls, each with a pool
// configured as Open's (o). The replica pools connect lazily: a replica down at start-up
// is not an error, it joins at its first good check. Call Check (or Run) before the first
// read to let replicas serve at all.
func NewRouter(ctx context.Context, primary *pgxpool.Pool, urls []string, o Options, ro RouterOptions) (*Router, error) {
	if ro.MaxLag <= 0 {
		ro.MaxLag = 5 * time.Second
	}
	if ro.Wait <= 0 {
		ro.Wait = time.Second
	}
	if ro.Interval <= 0 {
		ro.Interval = time.Second
	}
	if ro.Log == nil {
		ro.Log = slog.New(slog.DiscardHandler)
	}
	if o.ApplicationName == "" {
		o.ApplicationName = "cityreach-replica-reads"
	}
	r := &Router{primary: primary, o: ro}
	for _, u := range urls {
		cfg, err := poolConfig(u, o)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("replica: %w", err)
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("replica pool: %w", err)
		}
		r.replicas = append(r.replicas, &replica{name: redact(cfg), pool: pool})
	}
	return r, nil
}

// Primary is the pool of the primary: every write, and reads that must see the latest.
func (r *Router) Primary() *pgxpool.Pool { return r.primary }

// Close closes the replica pools (not the primary, which the caller opened).
func (r *Router) Close() {
	for _, rep := range r.replicas {
		rep.pool.Close()
	}
}

// Healthy names the replicas that serve reads now.
func (r *Router) Healthy() []string {
	var out []string
	for _, rep := range r.replicas {
		if rep.healthy.Load() {
			out = append(out, rep.name)
		}
	}
	return out
}

// RouterStats count the reads of a Router since it was built.
type RouterStats struct {
	// ReplicaReads went to a replica, PrimaryReads to the primary (no replica healthy or
	// caught up in time); Fallbacks are replica reads retried on the primary.
	ReplicaReads, PrimaryReads, Fallbacks uint64
}

// Stats returns the read counts.
func (r *Router) Stats() RouterStats {
	return RouterStats{r.replicaReads.Load(), r.primaryReads.Load(), r.fallbacks.Load()}
}

// Run checks the replicas every Interval until ctx ends.
func (r *Router) Run(ctx context.Context) {
	t := time.NewTicker(r.o.Interval)
	defer t.Stop()
	for {
		r.Check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Check runs one round of health checks: it samples the primary's position, then asks
// every replica whether it is in recovery and how far it has replayed. The lag of a
// replica is the age of the oldest sample it has not replayed (0 when it has replayed the
// newest).
func (r *Router) Check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(r.o.Interval, time.Second))
	defer cancel()
	now := time.Now()
	if p, err := currentLSN(ctx, r.primary); err == nil {
		r.mu.Lock()
		r.samples = append(r.samples, lsnSample{now, p})
		// Keep what a lag up to twice MaxLag needs.
		for len(r.samples) > 1 && now.Sub(r.samples[0].at) > 2*r.o.MaxLag {
			r.samples = r.samples[1:]
		}
		r.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, rep := range r.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var recovering bool
			var replay *string
			err := rep.pool.QueryRow(ctx, "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").Scan(&recovering, &replay)
			var why string
			switch {
			case err != nil:
				why = err.Error()
			case !recovering || replay == nil:
				why = "not a streaming replica (pg_is_in_recovery() is false)"
			default:
				l, perr := ParseLSN(*replay)
				if perr != nil {
					why = perr.Error()
					break
				}
				rep.replay.Store(uint64(l))
				if lag := r.lag(l, now); lag > r.o.MaxLag {
					why = fmt.Sprintf("replay lags %s behind the primary (bound %s)", lag.Round(time.Millisecond), r.o.MaxLag)
				}
			}
			if why == "" {
				if !rep.healthy.Swap(true) {
					r.o.Log.Info("replica serves reads", "replica", rep.name)
				}
			} else if rep.healthy.Swap(false) {
				r.o.Log.Warn("replica dropped from reads", "replica", rep.name, "reason", why)
			}
		}()
	}
	wg.Wait()
}

// lag is the age of the oldest primary sample beyond replay.
func (r *Router) lag(replay LSN, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.lsn > replay {
			return now.Sub(s.at)
		}
	}
	return 0
}

// CommitLSN is the primary's current WAL position. Taken after a write committed, it is
// at or past that write's commit record: the read-your-writes token a client hands back.
func (r *Router) CommitLSN(ctx context.Context) (LSN, error) { return currentLSN(ctx, r.primary) }

func currentLSN(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (LSN, error) {
	var s string
	if err := q.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&s); err != nil {
		return 0, err
	}
	return ParseLSN(s)
}

// Reads is a query interface whose Query and QueryRow run on a healthy replica that has
// replayed at least MinLSN(ctx) (the client's read-your-writes token), waiting up to Wait
// for one, else on the primary; Exec always runs on the primary. Reads see the data as of
// a moment at most MaxLag ago, and never before the client's own writes.
func (r *Router) Reads() Reader { return Reader{r: r} }

// StrongReads is Reads that also waits for the primary's position at the start of each
// read: a replica read that sees everything committed before it began, as a primary read
// would (what a cache that is invalidated by the primary's notifications needs). It costs
// one round trip to the primary per read.
func (r *Router) StrongReads() Reader { return Reader{r: r, strong: true} }

// Reader is what Reads and StrongReads return; it has the query methods of a pool.
type Reader struct {
	r      *Router
	strong bool
}

// Query runs sql on a replica (see Reads), or on the primary.
func (rd Reader) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rep := rd.r.pick(ctx, rd.strong)
	if rep == nil {
		return rd.r.primary.Query(ctx, sql, args...) //nolint:rowserrcheck // the caller reads the rows and checks Err
	}
	rows, err := rep.pool.Query(ctx, sql, args...) //nolint:rowserrcheck // the caller reads the rows and checks Err
	if err != nil && rd.r.fallback(ctx, rep, err) {
		return rd.r.primary.Query(ctx, sql, args...) //nolint:rowserrcheck // the caller reads the rows and checks Err
	}
	return rows, err
}

// QueryRow runs sql on a replica (see Reads), or on the primary; the row's Scan retries
// on the primary when the replica failed for a replica's reason.
func (rd Reader) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rep := rd.r.pick(ctx, rd.strong)
	if rep == nil {
		return rd.r.primary.QueryRow(ctx, sql, args...)
	}
	return routedRow{ctx: ctx, r: rd.r, rep: rep, sql: sql, args: args, row: rep.pool.QueryRow(ctx, sql, args...)}
}

// Exec runs on the primary: it is the way to write.
func (rd Reader) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return rd.r.primary.Exec(ctx, sql, args...)
}

type routedRow struct {
	ctx  context.Context
	r    *Router
	rep  *replica
	sql  string
	args []any
	row  pgx.Row
}

func (rr routedRow) Scan(dest ...any) error {
	err := rr.row.Scan(dest...)
	if err != nil && rr.r.fallback(rr.ctx, rr.rep, err) {
		return rr.r.primary.QueryRow(rr.ctx, rr.sql, rr.args...).Scan(dest...)
	}
	return err
}

// fallback says whether a replica's error is one the primary would not have, and drops
// the replica when the error says it is unreachable or going away.
func (r *Router) fallback(ctx context.Context, rep *replica, err error) bool {
	if errors.Is(err, pgx.ErrNoRows) || ctx.Err() != nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "25006", // read_only_sql_transaction: the read wanted to write (tile blocks refresh)
			pe.Code == "40001": // on a standby: canceled by a conflict with recovery
			r.fallbacks.Add(1)
			return true
		case pe.Code[:2] == "08" || pe.Code[:2] == "57": // connection exceptions, shutdown
		default:
			return false
		}
	}
	if rep.healthy.Swap(false) {
		r.o.Log.Warn("replica dropped from reads", "replica", rep.name, "reason", err.Error())
	}
	r.fallbacks.Add(1)
	return true
}

// pick chooses a healthy replica that has replayed what the read needs, or nil for the
// primary. It waits up to Wait for the next replica in turn to catch up.
func (r *Router) pick(ctx context.Context, strong bool) *replica {
	rep := r.choose(ctx, strong)
	if rep == nil {
		r.primaryReads.Add(1)
	} else {
		r.replicaReads.Add(1)
	}
	return rep
}

func (r *Router) choose(ctx context.Context, strong bool) *replica {
	n := len(r.replicas)
	if n == 0 {
		return nil
	}
	need := MinLSN(ctx)
	if strong {
		p, err := currentLSN(ctx, r.primary)
		if err != nil {
			return nil
		}
		need = max(need, p)
	}
	start := int(r.next.Add(1))
	var candidate *replica
	for i := range n {
		rep := r.replicas[(start+i)%n]
		if !rep.healthy.Load() {
			continue
		}
		if LSN(rep.replay.Load()) >= need {
			return rep
		}
		if candidate == nil {
			candidate = rep
		}
	}
	if candidate == nil {
		return nil
	}
	deadline := time.Now().Add(r.o.Wait)
	for pause := time.Millisecond; ; pause = min(2*pause, 20*time.Millisecond) {
		var s *string
		if err := candidate.pool.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn()::text").Scan(&s); err != nil || s == nil {
			return nil
		}
		if l, err := ParseLSN(*s); err == nil {
			if uint64(l) > candidate.replay.Load() {
				candidate.replay.Store(uint64(l))
			}
			if l >= need {
				return candidate
			}
		}
		if time.Now().Add(pause).After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
	}
}

// roTx is the transaction of ReadTx: one snapshot for every statement of fn.
var roTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// ReadTx runs fn in one REPEATABLE READ, READ ONLY transaction, on a replica chosen as
// Query chooses one (Reads: at least the client's token; StrongReads: at least the
// primary's position when ReadTx began), else on the primary. Every statement of fn sees
// one snapshot, so what fn reads together (a data version and the rows it versions) is of
// one state of the data. When the replica fails for a replica's reason — at BEGIN, or in
// fn with the connection lost or a recovery conflict — fn runs again from the start on the
// primary: fn must keep nothing from a failed run. Any other error of fn is returned as
// it is.
func (rd Reader) ReadTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if rep := rd.r.pick(ctx, rd.strong); rep != nil {
		err, lost := runReadTx(ctx, rep.pool, fn)
		if err == nil {
			return nil
		}
		if !lost && !replicaCode(err) || !rd.r.fallback(ctx, rep, err) {
			return err
		}
	}
	err, _ := runReadTx(ctx, rd.r.primary, fn)
	return err
}

// runReadTx runs fn in a read-only transaction on pool; lost says the error came with
// the connection gone (BEGIN failed, or the connection closed under fn).
func runReadTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) (err error, lost bool) { //nolint:revive // lost qualifies err
	tx, err := pool.BeginTx(ctx, roTx)
	if err != nil {
		return err, true
	}
	if err := fn(tx); err != nil {
		lost := tx.Conn().IsClosed()
		_ = tx.Rollback(context.WithoutCancel(ctx)) // the error of fn is the one to report
		return err, lost
	}
	if err := tx.Commit(ctx); err != nil {
		return err, tx.Conn().IsClosed()
	}
	return nil, false
}

// replicaCode says whether err is a server error a replica gives and the primary would
// not: a recovery conflict, a write refused as read-only, a connection exception or a
// shutdown (the codes fallback retries).
func replicaCode(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "25006" || pe.Code == "40001" || pe.Code[:2] == "08" || pe.Code[:2] == "57"
}
