package walk

import (
	"net/http"
	"testing"

	"github.com/cityreach/cityreach/internal/tiles"
)

// The adapter package walkhttp imports this one, so this package's tests cannot import it.
// adapter_hook_test.go, of package walk_test and compiled into the same test binary, sets
// these before any test runs: the engine serving walkhttp.Handler and the community tile
// source, for the tests that go through the adapter.
var (
	AdapterEngine         func(svc *Service) http.Handler
	AdapterCommunityTiles func(svc *Service) tiles.Source
	// AdapterParcels is an engine serving walkhttp.Handler and the OGC API with the
	// collection living_circle_parcels.
	AdapterParcels func(t testing.TB, svc *Service) http.Handler
)
