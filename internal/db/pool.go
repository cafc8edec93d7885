// Package db opens the PostgreSQL/PostGIS connection pool every other package uses.
package db

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configure the pool.
type Options struct {
	MaxConns         int32
	StatementTimeout time.Duration
	// ApplicationName shows in pg_stat_activity.
	ApplicationName string
	// Tracer, when set, sees every statement (the tests' SQL log, docs/scale-out.md).
	Tracer pgx.QueryTracer
}

// Open parses url, applies the options and pings the database (the pool is lazy, so the
// ping is what turns a wrong URL into an error at start-up). Sessions run with JIT off:
// measured on tile and indicator queries, JIT compilation costs more than it saves.
func Open(ctx context.Context, url string, o Options) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(url, o)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot reach the database at %s: %w", redact(cfg), err)
	}
	return pool, nil
}

// poolConfig is the pool configuration of Open, without connecting.
func poolConfig(url string, o Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if o.MaxConns > 0 {
		cfg.MaxConns = o.MaxConns
	}
	if o.Tracer != nil {
		cfg.ConnConfig.Tracer = o.Tracer
	}
	rp := cfg.ConnConfig.RuntimeParams
	if o.StatementTimeout > 0 {
		rp["statement_timeout"] = strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	rp["jit"] = "off"
	if o.ApplicationName != "" {
		rp["application_name"] = o.ApplicationName
	} else {
		rp["application_name"] = "cityreach"
	}
	return cfg, nil
}

func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}
