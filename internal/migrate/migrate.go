// Package migrate applies the numbered SQL migrations embedded in the binary. Each
// migration runs in its own transaction together with the bookkeeping row, under an
// advisory lock, so two processes never migrate at once and a failed migration leaves
// nothing behind.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockKey is the advisory lock that serialises migrations ("cityrch" in ASCII).
const lockKey = 0x63697479726368

// Migration is one numbered step with its up and down SQL.
type Migration struct {
	Version int
	Name    string
	Up      string
	Down    string
}

// Status is one migration and whether (and when) it was applied.
type Status struct {
	Migration
	Applied   bool
	AppliedAt time.Time
}

var fileRE = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$`)

// Load reads every NNNN_name.up.sql / .down.sql pair of fsys, sorted by version. A missing
// half or a gap in numbering is an error.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		m := fileRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		mg := byVersion[v]
		if mg == nil {
			mg = &Migration{Version: v, Name: m[2]}
			byVersion[v] = mg
		}
		if mg.Name != m[2] {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, mg.Name, m[2])
		}
		if m[3] == "up" {
			mg.Up = string(b)
		} else {
			mg.Down = string(b)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.Up == "" || m.Down == "" {
			return nil, fmt.Errorf("migration %04d_%s needs both an up and a down file", m.Version, m.Name)
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 0001, 0002, … without gaps; found %04d at position %d", m.Version, i+1)
		}
	}
	return out, nil
}

// Migrator applies a set of migrations to one database.
type Migrator struct {
	pool       *pgxpool.Pool
	migrations []Migration
}

// New returns a Migrator for pool and the migrations in fsys.
func New(pool *pgxpool.Pool, fsys fs.FS) (*Migrator, error) {
	ms, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	return &Migrator{pool: pool, migrations: ms}, nil
}

// Latest is the highest version known to the binary.
func (m *Migrator) Latest() int {
	if len(m.migrations) == 0 {
		return 0
	}
	return m.migrations[len(m.migrations)-1].Version
}

const ensureTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// withLock runs fn on one connection holding the migration advisory lock.
func (m *Migrator) withLock(ctx context.Context, fn func(conn *pgxpool.Conn) error) error {
	conn, err := m.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return err
	}
	defer func() {
		// Without ctx's cancellation: the unlock must happen even when ctx was cancelled.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockKey))
	}()
	if _, err := conn.Exec(ctx, ensureTable); err != nil {
		return err
	}
	return fn(conn)
}

func applied(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[int]time.Time, error) {
	rows, err := q.Query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var t time.Time
		if err := rows.Scan(&v, &t); err != nil {
			return nil, err
		}
		out[v] = t
	}
	return out, rows.Err()
}

// Up applies every pending migration in order and returns how many it applied.
func (m *Migrator) Up(ctx context.Context, log func(Migration)) (int, error) {
	n := 0
	err := m.withLock(ctx, func(conn *pgxpool.Conn) error {
		done, err := applied(ctx, conn)
		if err != nil {
			return err
		}
		for _, mg := range m.migrations {
			if _, ok := done[mg.Version]; ok {
				continue
			}
			if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, mg.Up); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", mg.Version, mg.Name)
				return err
			}); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", mg.Version, mg.Name, err)
			}
			if log != nil {
				log(mg)
			}
			n++
		}
		return nil
	})
	return n, err
}

// Down reverts the last steps applied migrations, newest first.
func (m *Migrator) Down(ctx context.Context, steps int, log func(Migration)) (int, error) {
	if steps < 1 {
		return 0, errors.New("down needs at least one step")
	}
	n := 0
	err := m.withLock(ctx, func(conn *pgxpool.Conn) error {
		done, err := applied(ctx, conn)
		if err != nil {
			return err
		}
		for i := len(m.migrations) - 1; i >= 0 && n < steps; i-- {
			mg := m.migrations[i]
			if _, ok := done[mg.Version]; !ok {
				continue
			}
			if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, mg.Down); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", mg.Version)
				return err
			}); err != nil {
				return fmt.Errorf("reverting migration %04d_%s: %w", mg.Version, mg.Name, err)
			}
			if log != nil {
				log(mg)
			}
			n++
		}
		return nil
	})
	return n, err
}

// Status lists every migration known to the binary with whether it is applied.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	var out []Status
	err := m.withLock(ctx, func(conn *pgxpool.Conn) error {
		done, err := applied(ctx, conn)
		if err != nil {
			return err
		}
		for _, mg := range m.migrations {
			t, ok := done[mg.Version]
			out = append(out, Status{Migration: mg, Applied: ok, AppliedAt: t})
		}
		return nil
	})
	return out, err
}

// Current reports whether the database has exactly the binary's migrations applied. It
// does not take the lock, so readiness probes never wait behind a running migration.
func (m *Migrator) Current(ctx context.Context) (bool, error) {
	var max int
	err := m.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&max)
	if err != nil {
		return false, err
	}
	return max == m.Latest(), nil
}
