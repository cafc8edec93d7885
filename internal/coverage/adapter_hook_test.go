package coverage_test

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/tiles"
)

func init() {
	coverage.AdapterHandler = func(svc *coverage.Service, pool *pgxpool.Pool, log *slog.Logger) httpapi.Mounter {
		return coveragehttp.Handler{Svc: svc, Pool: pool, Log: log}
	}
	coverage.AdapterGapTiles = func(svc *coverage.Service) tiles.Source { return coveragehttp.NewGapTiles(svc) }
	coverage.AdapterGapCollection = func(ctx context.Context, pool *pgxpool.Pool, svc *coverage.Service) (ogcapi.Collection, error) {
		return coveragehttp.NewGapCollection(ctx, pool, svc)
	}
	coverage.AdapterParcelCollection = func(svc *coverage.Service) ogcapi.Collection { return coveragehttp.ParcelCollection{Service: svc} }
}
