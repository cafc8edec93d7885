package walk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Store reads the walking network and the living-circle inputs of a city from PostGIS.
// Every value is a bind parameter; the table names are constants of this file.
type Store struct {
	Pool *pgxpool.Pool
	// Strong, when set (cityreach serve with --replica-url: internal/db's StrongReads),
	// is read instead of Pool: a streaming replica that has replayed every write committed
	// on the primary before each read began, or the primary (docs/scale-out.md). The store
	// writes nothing; the past states of asof.go, which need temporary tables, stay on Pool.
	Strong Reader
	// tx, when set, is read instead of Pool: a transaction that sees one state of the
	// city (readTx), or a past one (asof.go).
	tx pgx.Tx
}

// Reader is a router's view of the replicas (internal/db's Reader): queries, and a
// read-only REPEATABLE READ transaction that runs again on the primary when the replica
// fails.
type Reader interface {
	querier
	ReadTx(ctx context.Context, fn func(pgx.Tx) error) error
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// db is what the store reads: its transaction when it has one, else Strong, else the pool.
func (s Store) db() querier {
	switch {
	case s.tx != nil:
		return s.tx
	case s.Strong != nil:
		return s.Strong
	}
	return s.Pool
}

// readTx runs fn on a store that reads one REPEATABLE READ, READ ONLY transaction (on
// Strong's replica when set, else on Pool), so that a snapshot and its data version are
// of one state. fn may run twice (again on the primary when the replica fails): it must
// keep nothing from a failed run.
func (s Store) readTx(ctx context.Context, fn func(Store) error) error {
	switch {
	case s.tx != nil: // in one already (a past state, asof.go)
		return fn(s)
	case s.Strong != nil:
		return s.Strong.ReadTx(ctx, func(tx pgx.Tx) error { return fn(Store{Pool: s.Pool, Strong: s.Strong, tx: tx}) })
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := fn(Store{Pool: s.Pool, tx: tx}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// City is the one city type (internal/citydata).
type City = citydata.City

// CityBySlug resolves a slug; an unknown slug is a fault.NotFound.
func (s Store) CityBySlug(ctx context.Context, slug string) (City, error) {
	return citydata.BySlug(ctx, s.db(), slug)
}

// CityPoint resolves a slug and transforms a longitude/latitude point into the city's
// metric CRS.
func (s Store) CityPoint(ctx context.Context, slug string, lon, lat float64) (City, orb.Point, error) {
	var p orb.Point
	c, err := s.CityBySlug(ctx, slug)
	if err != nil {
		return c, p, err
	}
	err = s.db().QueryRow(ctx, `SELECT ST_X(q), ST_Y(q) FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), $3::int) AS q`,
		lon, lat, c.MetricSRID).Scan(&p[0], &p[1])
	return c, p, err
}

// ParcelCity returns the city of residential parcel id; a parcel that does not exist is a
// fault.NotFound naming featureId.
func (s Store) ParcelCity(ctx context.Context, id int64) (City, error) {
	var cityID int
	err := s.db().QueryRow(ctx, `SELECT city_id FROM residential_land WHERE id = $1`, id).Scan(&cityID)
	if errors.Is(err, pgx.ErrNoRows) {
		return City{}, fault.NotFound(fmt.Sprintf("no residential parcel %d", id)).With("parameter", "featureId")
	}
	if err != nil {
		return City{}, err
	}
	return s.CityByID(ctx, cityID)
}

// CityByID resolves a city id.
func (s Store) CityByID(ctx context.Context, id int) (City, error) {
	return citydata.ByID(ctx, s.db(), id)
}

// CityAt returns the city whose outline covers the longitude/latitude point, or, when no
// outline covers it, the only city whose outline is unknown (or the only city at all).
// Anything else is an Invalid fault asking for city=.
func (s Store) CityAt(ctx context.Context, lon, lat float64) (City, error) {
	cities, err := citydata.At(ctx, s.db(), lon, lat)
	if err != nil {
		return City{}, err
	}
	if len(cities) != 1 {
		return City{}, fault.Invalid("the point lies in no single known city; say which with city=").With("parameter", "city")
	}
	return cities[0], nil
}

// NetworkVersion returns the data version (internal/citydata) of the city's network_edges.
func (s Store) NetworkVersion(ctx context.Context, cityID int) (string, error) {
	v, err := citydata.Read(ctx, s.db(), cityID, "network_edges")
	return v.Hash, err
}

// InputsVersion returns the data version of everything Inputs reads: facilities, parks
// and their entrances, residential land, the three administrative levels and the facility
// categories — and the walking edges, since a park without recorded entrances is reached
// where the edges cross its boundary.
func (s Store) InputsVersion(ctx context.Context, cityID int) (string, error) {
	v, err := s.inputsData(ctx, cityID)
	return v.Hash, err
}

// inputsTables are the tables InputsVersion reads.
var inputsTables = []string{"facilities", "parks", "park_entrances", "network_edges",
	"residential_land", "communities", "subdistricts", "districts", citydata.FacilityCategories}

// inputsData is InputsVersion with every table's part.
func (s Store) inputsData(ctx context.Context, cityID int) (citydata.Version, error) {
	return citydata.Read(ctx, s.db(), cityID, inputsTables...)
}

// EdgeCounts reports what the loader left out of the graph.
type EdgeCounts = walkgraph.EdgeCounts

// StepEdges returns the ids of the city's walkable routed edges with steps, in id order.
func (s Store) StepEdges(ctx context.Context, cityID int) ([]int64, error) {
	rows, err := s.db().Query(ctx, `SELECT id FROM network_edges
		WHERE city_id = $1 AND walkable AND steps AND source IS NOT NULL AND geom_m IS NOT NULL ORDER BY id`, cityID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// Edges loads the walkable edges of a city with their metric geometry (geom_m) and
// Length = length_m, ordered by id (walkgraph.Edges, the query every walking graph is
// built from), and counts the edges left out.
func (s Store) Edges(ctx context.Context, cityID int) ([]network.Edge, EdgeCounts, error) {
	ec, err := walkgraph.Skipped(ctx, s.db(), cityID)
	if err != nil {
		return nil, ec, err
	}
	edges, err := walkgraph.Edges(ctx, s.db(), cityID, nil)
	return edges, ec, err
}

// Inputs loads the living-circle inputs of a city: the facility categories, the
// facilities, the residential parcels (point on surface, area, residents) and the
// districts, 街道 and communities, all in the city's metric CRS, and assigns every parcel
// to the areas that contain its point on surface.
func (s Store) Inputs(ctx context.Context, city City) (*Inputs, error) {
	version, err := s.InputsVersion(ctx, city.ID)
	if err != nil {
		return nil, err
	}
	in := &Inputs{City: city, Version: version}
	rows, err := s.db().Query(ctx, `SELECT code, name_zh, name_en, reach_m, basic, sort_order, source FROM facility_categories ORDER BY sort_order, code`)
	if err != nil {
		return nil, err
	}
	in.Categories, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Category, error) {
		var c Category
		err := r.Scan(&c.Code, &c.NameZh, &c.NameEn, &c.ReachM, &c.Basic, &c.Order, &c.Source)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	if in.Facilities, err = s.facilities(ctx, city.ID, nil); err != nil {
		return nil, err
	}
	parks, err := s.parkPoints(ctx, fmt.Sprintf(parkPointsSQL, baselineParks, baselineEntrances), city.ID, nil, nil, city.MetricSRID)
	if err != nil {
		return nil, err
	}
	in.Facilities = append(in.Facilities, parks...)
	for _, l := range []struct{ level, sql string }{
		{LevelDistrict, `SELECT id, adcode, name, ST_AsBinary(geom_m) FROM districts WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`},
		{LevelSubdistrict, `SELECT id, code, name, ST_AsBinary(geom_m) FROM subdistricts WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`},
		{LevelCommunity, `SELECT id, code, name, ST_AsBinary(geom_m) FROM communities WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`},
	} {
		rows, err = s.db().Query(ctx, l.sql, city.ID)
		if err != nil {
			return nil, err
		}
		areas, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Area, error) {
			a := Area{Level: l.level}
			var b []byte
			if err := r.Scan(&a.ID, &a.Code, &a.Name, &b); err != nil {
				return a, err
			}
			g, err := polygonalWKB(b)
			if err != nil {
				return a, fmt.Errorf("%s %d: %w", l.level, a.ID, err)
			}
			a.Geom = g
			return a, nil
		})
		if err != nil {
			return nil, err
		}
		in.Areas = append(in.Areas, areas...)
	}
	in.index()
	rows, err = s.db().Query(ctx, `SELECT id, area_m2, population, ST_X(p), ST_Y(p)
		FROM (SELECT id, area_m2, population, ST_PointOnSurface(geom_m) AS p
		      FROM residential_land WHERE city_id = $1 AND geom_m IS NOT NULL) r
		ORDER BY id`, city.ID)
	if err != nil {
		return nil, err
	}
	in.Parcels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Parcel, error) {
		var p Parcel
		var pop int64
		err := r.Scan(&p.ID, &p.AreaM2, &pop, &p.Point[0], &p.Point[1])
		p.Population = float64(pop)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	for i := range in.Parcels {
		in.Parcels[i].In = in.locate(in.Parcels[i].Point)
	}
	return in, nil
}

// facilities reads the city's facilities (not parks) with a metric point, in id order:
// all of them when ids is nil, else those of ids.
func (s Store) facilities(ctx context.Context, cityID int, ids []int64) ([]Facility, error) {
	rows, err := s.db().Query(ctx, `SELECT id, category, name, ST_X(geom_m), ST_Y(geom_m), ST_X(geom), ST_Y(geom)
		FROM facilities WHERE city_id = $1 AND geom_m IS NOT NULL AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Facility, error) {
		var f Facility
		err := r.Scan(&f.ID, &f.Category, &f.Name, &f.Point[0], &f.Point[1], &f.LonLat[0], &f.LonLat[1])
		return f, err
	})
}

// ToMetric transforms a longitude/latitude point into the metric CRS srid.
func (s Store) ToMetric(ctx context.Context, srid int, lon, lat float64) (orb.Point, error) {
	var p orb.Point
	err := s.db().QueryRow(ctx, `SELECT ST_X(q), ST_Y(q) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), $3::integer) AS q) t`,
		lon, lat, srid).Scan(&p[0], &p[1])
	return p, err
}

// ToLonLat transforms metric geometries of srid to EPSG:4326 in one query and returns
// them as GeoJSON geometries with 8 decimals (about 1 mm), in the order given.
func (s Store) ToLonLat(ctx context.Context, srid int, geoms []orb.Geometry) ([]json.RawMessage, error) {
	if len(geoms) == 0 {
		return nil, nil
	}
	bs := make([][]byte, len(geoms))
	for i, g := range geoms {
		b, err := wkb.Marshal(g)
		if err != nil {
			return nil, err
		}
		bs[i] = b
	}
	rows, err := s.db().Query(ctx, `SELECT ST_AsGeoJSON(ST_Transform(ST_GeomFromWKB(g, $2::integer), 4326), 8)
		FROM unnest($1::bytea[]) WITH ORDINALITY AS t(g, i) ORDER BY i`, bs, srid)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (json.RawMessage, error) {
		var s string
		err := r.Scan(&s)
		return json.RawMessage(s), err
	})
	if err == nil && len(out) != len(geoms) {
		err = fmt.Errorf("walk: transformed %d of %d geometries", len(out), len(geoms))
	}
	return out, err
}

// CommunityGeometries returns the EPSG:4326 GeoJSON geometry of every community of the city
// by id.
func (s Store) CommunityGeometries(ctx context.Context, cityID int) (map[int64]json.RawMessage, error) {
	rows, err := s.db().Query(ctx, `SELECT id, ST_AsGeoJSON(geom, 7) FROM communities WHERE city_id = $1`, cityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]json.RawMessage{}
	for rows.Next() {
		var id int64
		var g string
		if err := rows.Scan(&id, &g); err != nil {
			return nil, err
		}
		out[id] = json.RawMessage(g)
	}
	return out, rows.Err()
}

// since returns milliseconds elapsed since t, for logs and reports.
func since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// polygonalWKB reads a WKB polygon or multipolygon as a MultiPolygon: the geometry of the
// areas and of the parks.
func polygonalWKB(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, fmt.Errorf("geometry is %T", g)
}
