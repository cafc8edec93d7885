package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/tiles"
)

func runTiles(ctx context.Context, env Env, args []string) error {
	var target string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		target, args = args[0], args[1:]
	}
	var min int
	cfg, _, err := setup(env, "tiles", args, true, func(fs *flag.FlagSet) {
		fs.IntVar(&min, "min", tiles.DefaultStoreMin, "store the tiles of zoom 14 holding at least this many features")
	})
	if err != nil {
		return err
	}
	if target != "store" {
		return errors.New("say what to do: store [--min N] (pre-render the dense tiles into the tile store; docs/tiles.md)")
	}
	if min < 1 || min > tiles.DefaultLimit {
		return fmt.Errorf("--min %d: want 1 to %d", min, tiles.DefaultLimit)
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fillTileStore(ctx, pool, min, env.Stdout)
}

// fillTileStore pre-renders the dense tiles into the tile store (after a seed, an import,
// or on demand) and says what it did.
func fillTileStore(ctx context.Context, pool *pgxpool.Pool, min int, w io.Writer) error {
	t0 := time.Now()
	svc := tiles.New(pool, layers.Default(), tiles.Options{StoreMin: min, NoBackgroundFill: true})
	if err := svc.Start(ctx); err != nil {
		return err
	}
	defer svc.Close()
	rep, err := svc.Fill(ctx, min, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "tile store: %d tiles drawn, %d current, %d no longer dense (%.1f MB gzipped drawn) in %.1f s\n",
		rep.Stored, rep.Kept, rep.Dropped, float64(rep.Bytes)/1e6, time.Since(t0).Seconds())
	return nil
}
