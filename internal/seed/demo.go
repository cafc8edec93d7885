package seed

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/synth"
)

// Demo generates the demo city at scale with seed 1 inside the embedded outlines and loads
// it into pool, as `cityreach seed baotou --scale` does; tests and benchmarks use it.
func Demo(ctx context.Context, pool *pgxpool.Pool, scale float64) (*synth.City, error) {
	o, err := Outlines("")
	if err != nil {
		return nil, err
	}
	c, err := synth.Generate(ctx, synth.Params{Scale: scale, Seed: 1}, o)
	if err != nil {
		return nil, err
	}
	if _, err := Load(ctx, pool, o, c, Options{}); err != nil {
		return nil, err
	}
	return c, nil
}
