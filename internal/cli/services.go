package cli

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// indicators are the park-coverage, living-circle and check services a CLI command
// computes with, wired as the server wires them: park coverage's network method and the
// living circle walk one graph per city and edge version (internal/walkgraph), and the
// complete-community check reaches through the living circle's network.
type indicators struct {
	Coverage *coverage.Service
	Walk     *walk.Service
	Checks   *checks.Service
}

// newIndicators builds the services on pool with the calibers of reg.
func newIndicators(pool *pgxpool.Pool, reg *caliber.Registry, log *slog.Logger) indicators {
	ws := walk.NewService(pool, log)
	ws.Graphs = &walkgraph.Cache{}
	return indicators{
		Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg, Log: log, Graphs: ws.Graphs},
		Walk:     ws,
		Checks:   &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}},
	}
}
