package coverage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/tiles"
)

// The gap layer is served to planners' tools in two forms, both always computed on the
// current data: the vector-tile source GapTiles (/tiles/park_coverage_gaps/…) and the OGC
// API – Features collection GapCollection (/ogc/collections/park_coverage_gaps). Both take
// the caliber and the method (defaults: each city's default caliber and the caliber's own
// method) and
// read the stored run of the current data version, computing it first when the data has
// changed since the last run.

// GapLayer is the name of the gap layer as a tile source and as a collection.
const GapLayer = "park_coverage_gaps"

// CurrentRun returns the stored run of q on the city's current data, computing and storing
// it (with its gap layer) when there is none. It is never older than an edit committed
// before the call; concurrent callers share one computation (see currentRun).
func (s *Service) CurrentRun(ctx context.Context, q Query) (*Run, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	c, err := s.currentRunGaps(ctx, q, cal)
	if err != nil || c.gaps == nil {
		return c.run, err
	}
	// Computed just now: its gap layer is stored after the figures.
	select {
	case <-c.gaps.done:
		return c.run, c.gaps.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// citySlugs resolves a city given as a slug or an id to its slug; "" stands for every city
// with residential land (and, for the network method, a walking network).
func (s *Service) citySlugs(ctx context.Context, city, method string) ([]string, error) {
	var rows pgx.Rows
	var err error
	if city == "" {
		rows, err = s.Store.Pool.Query(ctx, `SELECT slug FROM cities c
			WHERE EXISTS (SELECT 1 FROM residential_land r WHERE r.city_id = c.id)
			  AND ($1 <> 'network' OR EXISTS (SELECT 1 FROM network_edges e WHERE e.city_id = c.id))
			ORDER BY id`, method)
	} else {
		id, _ := strconv.ParseInt(city, 10, 64)
		rows, err = s.Store.Pool.Query(ctx, `SELECT slug FROM cities WHERE slug = $1 OR id = $2`, city, id)
	}
	if err != nil {
		return nil, err
	}
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if city != "" && len(slugs) == 0 {
		return nil, badParam("city", fmt.Sprintf("no city %q", city))
	}
	return slugs, nil
}

// CurrentRuns returns the current runs of caliber and method for city ("" for every city
// with residential land), computing the missing ones. An empty caliber or method is each
// city's default, as in Validate.
func (s *Service) CurrentRuns(ctx context.Context, city, cal, method string) ([]*Run, error) {
	if cal != "" {
		if _, err := s.caliber(cal); err != nil {
			return nil, badParam("caliber", err.Error())
		}
	}
	if method != "" {
		if err := checkMethod(method); err != nil {
			return nil, badParam("method", err.Error())
		}
	}
	slugs, err := s.citySlugs(ctx, city, method)
	if err != nil {
		return nil, err
	}
	out := make([]*Run, 0, len(slugs))
	for _, slug := range slugs {
		run, err := s.CurrentRun(ctx, Query{City: slug, Caliber: cal, Method: method})
		if err != nil {
			return nil, err
		}
		out = append(out, run)
	}
	return out, nil
}

// GapTiles is the gap layer as a vector-tile source.
type GapTiles struct {
	Service *Service
	memo    *gapMemo
}

// NewGapTiles returns the gap tile source of s.
func NewGapTiles(s *Service) GapTiles {
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
func (GapTiles) Name() string { return GapLayer }

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
			{Name: "caliber", Description: "caliber id (GET /api/v1/calibers); default the city's default caliber", Check: func(v string) error {
				_, err := g.Service.caliber(v)
				return err
			}},
			{Name: "method", Description: "buffer or network; default the caliber's own", Check: checkMethod},
		},
	}
}

// Prepare implements tiles.Preparer: it makes sure the current runs exist. While the
// tile cache has processed no edit of an input since the last look, the runs found then
// are still the current ones.
func (g GapTiles) Prepare(ctx context.Context, a *tiles.Args) error {
	key := a.CityName() + "\x00" + a.Param("caliber") + "\x00" + a.Param("method")
	gen, live := a.Generation(inputTables...)
	if live && g.memo != nil {
		g.memo.mu.Lock()
		e, ok := g.memo.m[key]
		g.memo.mu.Unlock()
		if ok && e.gen == gen {
			a.Bind(GapLayer+".runs", e.ids)
			return nil
		}
	}
	runs, err := g.Service.CurrentRuns(ctx, a.CityName(), a.Param("caliber"), a.Param("method"))
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
	a.Bind(GapLayer+".runs", ids)
	return nil
}

// Query implements tiles.Source.
func (GapTiles) Query(r tiles.Request, a *tiles.Args) (string, error) {
	runs, ok := a.Bound(GapLayer + ".runs")
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
