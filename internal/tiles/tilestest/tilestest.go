// Package tilestest starts the tile service for the tests of the packages it tells of
// edits (coverage, the walking service, capacity): the Watcher cityreach serve gives them.
package tilestest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/tiles"
)

// Live starts a tile service on pool with o, as cityreach serve does, closed when the test
// ends, and waits until its listener (and, reading a replica, its change log) is live.
func Live(t testing.TB, ctx context.Context, pool *pgxpool.Pool, o tiles.Options) *tiles.Service {
	t.Helper()
	ts := tiles.New(pool, layers.Default(), o)
	if err := ts.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ts.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	return ts
}
