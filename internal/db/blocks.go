package db

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Execer is what RefreshTileBlocks needs: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// RefreshTileBlocks recomputes the generalised zoom 0–12 tile blocks (migration 0011) of
// every cell an edit or import has marked dirty. Tiles would do it on first request; bulk
// loads call it after committing so that the first city-scale map view does not wait.
func RefreshTileBlocks(ctx context.Context, db Execer) error {
	if _, err := db.Exec(ctx, "SELECT cityreach_tile_blocks_refresh_all()"); err != nil {
		return fmt.Errorf("the data is committed, but refreshing the low-zoom tile blocks failed (the first tile request will retry): %w", err)
	}
	return nil
}
