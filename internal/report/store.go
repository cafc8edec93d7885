package report

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
)

// inputTables are the tables any section reads; the data version covers them all.
var inputTables = []string{"districts", "subdistricts", "communities", "residential_land", "parks", "park_entrances",
	"facilities", "network_edges", "eco_corridors", "eco_redlines", "basic_farmland", "growth_boundaries", citydata.FacilityCategories}

// levelTables maps a report level to its area table.
var levelTables = map[string]string{"district": "districts", "subdistrict": "subdistricts", "community": "communities"}

// Store reads what the report needs besides the indicators: the city, the data version,
// the data sources and the base map.
type Store struct {
	Pool *pgxpool.Pool
	// tx, when set, is a transaction that reads the input tables as of an instant
	// (citydata.ShadowAsOf; Build sets it for Request.AsOf); the reads go through it, one
	// at a time.
	tx pgx.Tx
}

// db is where the reads go: the as-of transaction, else the pool.
func (s Store) db() citydata.Reader { return citydata.Through(s.tx, s.Pool) }

// City resolves a slug; an unknown one is a fault.NotFound.
func (s Store) City(ctx context.Context, slug string) (City, error) {
	return citydata.BySlug(ctx, s.Pool, slug)
}

// ageTables are the residents by age band, which the capacity section reads (never as of
// a past state: request.go's NoAsOf).
var ageTables = []string{citydata.AgeBands, citydata.CommunityAgePopulation}

// DataVersion is the data version (internal/citydata) of every input table of the report,
// and of ageTables when withAges (a report with the capacity section), with the latest
// update among them.
func (s Store) DataVersion(ctx context.Context, cityID int, withAges bool) (DataVersion, error) {
	tables := inputTables
	if withAges {
		tables = append(slices.Clone(inputTables), ageTables...)
	}
	v, err := citydata.Read(ctx, s.db(), cityID, tables...)
	if err != nil {
		return DataVersion{}, err
	}
	return DataVersion{Hash: v.Hash, Updated: v.Updated().Truncate(time.Second)}, nil
}

// Sources lists the city's city_layers rows, ordered by layer and source.
func (s Store) Sources(ctx context.Context, cityID int) ([]LayerSource, error) {
	rows, err := s.Pool.Query(ctx, `SELECT layer, data_source, synthetic, rows, attribution FROM city_layers
		WHERE city_id = $1 ORDER BY layer, data_source`, cityID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LayerSource, error) {
		var l LayerSource
		err := r.Scan(&l.Layer, &l.Source, &l.Synthetic, &l.Rows, &l.Attribution)
		return l, err
	})
}

// areaName is the SQL expression of an area's name in the report's language (bound as
// $2): a district's English name in an English report when the data has one, else the
// name. Only districts record English names (migration 0002).
func areaName(level string) string {
	if level == "district" {
		return `CASE WHEN $2::text = 'en' AND name_en <> '' THEN name_en ELSE name END`
	}
	return `CASE WHEN $2::text = 'en' THEN name ELSE name END` // the same name: $2 keeps its type
}

// BaseMap reads residential land, parks and the outlines of level's areas for the maps,
// simplified in the metric CRS to tol metres (a fraction of a page pixel) and returned as
// EPSG:4326 FeatureCollections built by PostGIS. Area labels are in lang (areaName).
func (s Store) BaseMap(ctx context.Context, city City, level, lang string, tolM float64) (BaseMap, error) {
	var b BaseMap
	err := s.db().QueryRow(ctx, `SELECT coalesce(ST_XMin(e), 0), coalesce(ST_YMin(e), 0), coalesce(ST_XMax(e), 0), coalesce(ST_YMax(e), 0)
		FROM (SELECT ST_Extent(geom) AS e FROM residential_land WHERE city_id = $1) x`, city.ID).Scan(&b.BBox[0], &b.BBox[1], &b.BBox[2], &b.BBox[3])
	if err != nil {
		return b, err
	}
	fc := func(table, props string) (json.RawMessage, error) {
		// table and props are constants of this file; $2 (the language) is read by the
		// area names only and typed here for the other layers.
		q := `SELECT coalesce(json_agg(json_build_object('type', 'Feature', 'properties', ` + props + `,
				'geometry', ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(geom_m, $3), 4326), 6)::json) ORDER BY id), '[]')
			FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE city_id = $1 AND geom_m IS NOT NULL AND $2::text IS NOT NULL`
		var feats json.RawMessage
		if err := s.db().QueryRow(ctx, q, city.ID, lang, tolM).Scan(&feats); err != nil {
			return nil, fmt.Errorf("base map %s: %w", table, err)
		}
		return json.RawMessage(`{"type":"FeatureCollection","features":` + string(feats) + `}`), nil
	}
	if b.Residential, err = fc("residential_land", `json_build_object('id', id)`); err != nil {
		return b, err
	}
	if b.Parks, err = fc("parks", `json_build_object('id', id, 'name', name)`); err != nil {
		return b, err
	}
	// Area outlines carry a label point (a point on the surface, so inside even a
	// crescent-shaped district) for the maps.
	if b.Areas, err = fc(levelTables[level], `json_build_object('id', id, 'name', `+areaName(level)+`,
			'label', ST_AsGeoJSON(ST_Transform(ST_PointOnSurface(geom_m), 4326), 6)::json)`); err != nil {
		return b, err
	}
	return b, nil
}

// AreaRef is an area of the report's level.
type AreaRef struct {
	ID   int64
	Code string // administrative code: adcode of a district, code of a 街道 or community
	Name string
}

// Areas lists the areas of level with their administrative codes and their names in lang
// (areaName: a district's English name in an English report when the data has one), by id.
func (s Store) Areas(ctx context.Context, cityID int, level, lang string) (map[int64]AreaRef, error) {
	q := map[string]string{
		"district":    `SELECT id, adcode, ` + areaName("district") + ` FROM districts WHERE city_id = $1`,
		"subdistrict": `SELECT id, code, ` + areaName("subdistrict") + ` FROM subdistricts WHERE city_id = $1`,
		"community":   `SELECT id, code, ` + areaName("community") + ` FROM communities WHERE city_id = $1`,
	}[level]
	if q == "" {
		return nil, fmt.Errorf("report: no areas at level %q", level)
	}
	rows, err := s.db().Query(ctx, q, cityID, lang) //nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	if err != nil {
		return nil, err
	}
	out := map[int64]AreaRef{}
	var a AreaRef
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.Code, &a.Name}, func() error { out[a.ID] = a; return nil })
	return out, err
}

// CommunityAreas maps every community of the city to the area of level it belongs to
// (through its 街道); a community without a 街道 is missing from the map.
func (s Store) CommunityAreas(ctx context.Context, cityID int, level string) (map[int64]int64, error) {
	q := map[string]string{
		"district": `SELECT c.id, sd.district_id FROM communities c JOIN subdistricts sd ON sd.city_id = c.city_id AND sd.id = c.subdistrict_id
			WHERE c.city_id = $1`,
		"subdistrict": `SELECT id, subdistrict_id FROM communities WHERE city_id = $1 AND subdistrict_id IS NOT NULL`,
		"community":   `SELECT id, id FROM communities WHERE city_id = $1`,
	}[level]
	if q == "" {
		return nil, fmt.Errorf("report: no areas at level %q", level)
	}
	rows, err := s.db().Query(ctx, q, cityID) //nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	var c, a int64
	_, err = pgx.ForEachRow(rows, []any{&c, &a}, func() error { out[c] = a; return nil })
	return out, err
}

// Categories returns the names of the facility categories in lang, by code.
func (s Store) Categories(ctx context.Context, lang string) (map[string]string, error) {
	rows, err := s.db().Query(ctx, `SELECT code, CASE WHEN $1 = 'en' THEN name_en ELSE name_zh END FROM facility_categories`, lang) //nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var code, name string
	_, err = pgx.ForEachRow(rows, []any{&code, &name}, func() error { out[code] = name; return nil })
	return out, err
}
