package tiles

import (
	"context"
	"math"
	"sync"

	"github.com/jackc/pgx/v5"
)

// webMercatorWidth is the width of the EPSG:3857 plane in its metres.
const webMercatorWidth = 40075016.686

// A Detailer is a Source that can say how fine its data is: the detail length, in
// EPSG:3857 metres, below which a tile adds nothing (ok false without data). TileJSON's
// maxzoom comes from it; clients overzoom beyond.
type Detailer interface {
	Detail(ctx context.Context, db DB, a *Args) (metres float64, ok bool, err error)
}

// pointDetail is the detail of point layers: a point is exact at any zoom, and 1 m of
// Mercator (under 1 m on the ground) places it within a pixel at every zoom a planner uses.
const pointDetail = 1.0

// TableDetail is the detail of a feature table's geometries (of a's city when one is
// requested): 1/64 of the 5th percentile of feature size — the square root of the
// polygon area, the line length — so that the smaller features keep their shape. table
// must come from an allow-list; geomType is the layer's GeoJSON geometry type.
func TableDetail(ctx context.Context, db DB, a *Args, table, geomType string) (float64, bool, error) {
	var size string
	switch geomType {
	case "Polygon", "MultiPolygon":
		size = "sqrt(ST_Area(geom_3857))"
	case "LineString", "MultiLineString":
		size = "ST_Length(geom_3857)"
	default:
		return pointDetail, true, nil
	}
	q := "SELECT percentile_disc(0.05) WITHIN GROUP (ORDER BY " + size + ") FROM " + pgx.Identifier{table}.Sanitize() + " WHERE NOT ST_IsEmpty(geom_3857)"
	if c := a.City(); c != "" {
		q += " AND city_id = " + c
	}
	var p *float64
	if err := db.QueryRow(ctx, q, a.Values()...).Scan(&p); err != nil {
		return 0, false, err
	}
	if p == nil {
		return 0, false, nil
	}
	return *p / 64, true, nil
}

// ZoomForDetail is the first zoom whose tile unit (1/Extent of a tile) is no longer than
// detail metres of EPSG:3857, kept within [BlocksMaxZoom+1, MaxZoom]: the per-feature
// geometry is drawn from BlocksMaxZoom+1 on, so maxzoom is never a generalised zoom.
func ZoomForDetail(detail float64) int {
	lo := BlocksMaxZoom + 1
	if detail <= 0 || math.IsNaN(detail) {
		return MaxZoom
	}
	z := int(math.Ceil(math.Log2(webMercatorWidth / (Extent * detail))))
	return min(max(z, lo), MaxZoom)
}

// zoomCache keeps each source's data-derived maxzoom per city until one of its
// dependencies is edited (Service.Generation).
type zoomCache struct {
	mu sync.Mutex
	m  map[string]cachedZoom
}

type cachedZoom struct {
	token string
	zoom  int
}

// MaxZoomOf is the zoom beyond which source name's tiles of city add no detail:
// ZoomForDetail of its Detail, the source's Info.MaxZoom when it has no Detailer or no
// data. The answer is cached until an edit of the source's dependencies.
func (s *Service) MaxZoomOf(ctx context.Context, name, city string) (int, error) {
	src := s.sources[name]
	inf := src.Info()
	d, ok := src.(Detailer)
	if !ok {
		return inf.MaxZoom, nil
	}
	var deps []string
	for _, dep := range src.DependsOn() {
		deps = append(deps, dep.Layer)
	}
	token, cacheable := s.Generation(ctx, deps)
	key := name + "\x00" + city
	if cacheable {
		s.zooms.mu.Lock()
		c, hit := s.zooms.m[key]
		s.zooms.mu.Unlock()
		if hit && c.token == token {
			return c.zoom, nil
		}
	}
	a, err := s.args(ctx, Tile{}, 0, city, nil)
	if err != nil {
		return 0, err
	}
	detail, found, err := d.Detail(ctx, s.db, a)
	if err != nil {
		return 0, err
	}
	z := inf.MaxZoom
	if found {
		z = min(ZoomForDetail(detail), inf.MaxZoom)
	}
	if cacheable {
		s.zooms.mu.Lock()
		if s.zooms.m == nil {
			s.zooms.m = map[string]cachedZoom{}
		}
		s.zooms.m[key] = cachedZoom{token: token, zoom: z}
		s.zooms.mu.Unlock()
	}
	return z, nil
}
