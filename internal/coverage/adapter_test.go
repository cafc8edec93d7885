package coverage

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/tiles"
)

// The adapters of package coveragehttp over a service, for the tests that go through them.
// coveragehttp imports this package, so this package's tests cannot import it;
// adapter_hook_test.go, of package coverage_test and compiled into the same test binary,
// sets these before any test runs.
var (
	AdapterHandler       func(svc *Service, pool *pgxpool.Pool, log *slog.Logger) httpapi.Mounter
	AdapterGapTiles      func(svc *Service) tiles.Source
	AdapterGapCollection func(ctx context.Context, pool *pgxpool.Pool, svc *Service) (ogcapi.Collection, error)
	// AdapterParcelCollection is the per-parcel collection park_coverage_parcels.
	AdapterParcelCollection func(svc *Service) ogcapi.Collection
)
