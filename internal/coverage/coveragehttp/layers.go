package coveragehttp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/tiles"
)

// The gap layer is served to planners' tools in two forms, computed on the current data or,
// with as_of=, on the data as it stood at an edition or instant: the vector-tile source GapTiles (/tiles/park_coverage_gaps/…) and the OGC
// API – Features collection GapCollection (/ogc/collections/park_coverage_gaps). Both take
// the caliber and the method (defaults: each city's default caliber and the caliber's own
// method) and
// read the stored run of the current data version, computing it first when the data has
// changed since the last run.

// GapTiles is the gap layer as a vector-tile source.
type GapTiles struct {
	Service *coverage.Service
	memo    *gapMemo
}

// NewGapTiles returns the gap tile source of s.
func NewGapTiles(s *coverage.Service) GapTiles {
	return GapTiles{Service: s, memo: &gapMemo{m: map[string]gapMemoEntry{}}}
}

// gapMemo keeps the current runs found for a (city, caliber, method) under the tile
// cache's generation of the inputs, so that tiles rendered while nothing was edited skip
// the data-version queries.
type gapMemo struct {
	mu sync.Mutex
	m  map[string]gapMemoEntry
}

type gapMemoEntry struct {
	gen string
	ids []int64
}

// Name implements tiles.Source.
func (GapTiles) Name() string { return coverage.GapLayer }

// Info implements tiles.Source.
func (g GapTiles) Info() tiles.Info {
	return tiles.Info{
		Title:    "公园绿地服务半径覆盖缺口 Park service-radius coverage gaps",
		GeomType: "MultiPolygon",
		IDColumn: "id",
		MinZoom:  0,
		MaxZoom:  tiles.MaxZoom,
		Fields: []tiles.Field{
			{Name: "parcel_id", Type: "Number", Description: "residential_land id of the parcel", Default: true},
			{Name: "area_m2", Type: "Number", Description: "uncovered area of the parcel (m²)", Default: true},
			{Name: "population", Type: "Number", Description: "residents on the uncovered area", Default: true},
			{Name: "run_id", Type: "Number", Description: "the stored coverage run (caliber, method, data version)"},
		},
		Params: []tiles.Param{
			{Name: "caliber", Description: "caliber id (GET /api/v1/calibers); default the city's default caliber", Check: g.Service.CheckCaliber},
			{Name: "method", Description: "buffer or network; default the caliber's own", Check: coverage.CheckMethod},
			{Name: tiles.AsOfParam, Description: "the gaps of the data as it stood at a data edition of the city (its name), a date or an RFC 3339 instant", Check: tiles.CheckAsOf},
		},
	}
}

// Prepare implements tiles.Preparer: it makes sure the current runs exist. While the
// tile cache has processed no edit of an input since the last look, the runs found then
// are still the current ones.
func (g GapTiles) Prepare(ctx context.Context, a *tiles.Args) error {
	key := a.CityName() + "\x00" + a.Param("caliber") + "\x00" + a.Param("method")
	gen, live := a.Generation(coverage.InputTables()...)
	if a.Param(tiles.AsOfParam) != "" {
		live = false // a past state's run: looked up each time (it is stored once computed)
	}
	if live && g.memo != nil {
		g.memo.mu.Lock()
		e, ok := g.memo.m[key]
		g.memo.mu.Unlock()
		if ok && e.gen == gen {
			a.Bind(coverage.GapLayer+".runs", e.ids)
			return nil
		}
	}
	runs, err := g.Service.CurrentRuns(ctx, a.CityName(), a.Param("caliber"), a.Param("method"), a.Param(tiles.AsOfParam))
	if err != nil {
		return err
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	if live && g.memo != nil {
		g.memo.mu.Lock()
		if len(g.memo.m) > 256 {
			clear(g.memo.m)
		}
		g.memo.m[key] = gapMemoEntry{gen: gen, ids: ids}
		g.memo.mu.Unlock()
	}
	a.Bind(coverage.GapLayer+".runs", ids)
	return nil
}

// Query implements tiles.Source.
func (GapTiles) Query(r tiles.Request, a *tiles.Args) (string, error) {
	runs, ok := a.Bound(coverage.GapLayer + ".runs")
	if !ok {
		return "", errors.New("coverage: gap tiles queried without Prepare")
	}
	cols := fmt.Sprintf("g.id, ST_AsMVTGeom(g.geom_3857, %s, %d, %d, true) AS geom", a.Envelope(), tiles.Extent, tiles.Buffer)
	for _, p := range r.Properties {
		switch p {
		case "parcel_id", "area_m2", "population", "run_id":
			cols += ", g." + pgx.Identifier{p}.Sanitize()
		default:
			return "", fmt.Errorf("coverage: gap tiles have no property %q", p)
		}
	}
	return fmt.Sprintf("SELECT %s FROM coverage_gaps g WHERE g.run_id = ANY(%s::bigint[]) AND g.geom_3857 && %s LIMIT %s",
		cols, runs, a.BufferedEnvelope(), a.Limit()), nil
}

// Bounds implements tiles.Source: the gaps lie on the residential land.
func (GapTiles) Bounds(ctx context.Context, db tiles.DB, a *tiles.Args) (tiles.Box, bool, error) {
	return tiles.TableBounds(ctx, db, a, "residential_land")
}

// Detail implements tiles.Detailer: gap pieces are cut from the residential parcels.
func (GapTiles) Detail(ctx context.Context, db tiles.DB, a *tiles.Args) (float64, bool, error) {
	return tiles.TableDetail(ctx, db, a, "residential_land", "MultiPolygon")
}

// DependsOn implements tiles.Source. A gap piece is confined to its parcel, but it
// carries the parcel's uncovered area and residents, drawn in every tile the parcel
// touches; an edit of a park, an entrance or a walking edge changes the pieces of parcels
// up to the largest radius away, and with them tiles as far as those parcels reach. So any
// edit of an input redraws the whole layer (whose run is recomputed anyway).
func (GapTiles) DependsOn() []tiles.Dependency {
	return []tiles.Dependency{
		{Layer: "residential_land", Whole: true},
		{Layer: "parks", Whole: true},
		{Layer: "park_entrances", Whole: true},
		{Layer: "network_edges", Whole: true},
	}
}

var _ tiles.Preparer = GapTiles{}
