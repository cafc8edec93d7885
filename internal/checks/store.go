package checks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/citydata"
)

// Store reads the baseline layers of a city from PostGIS and turns metric results back
// into GeoJSON. It is the only SQL of the checks: every rule runs in Go on Layers.
type Store struct {
	Pool *pgxpool.Pool
	// Reads, when set (cityreach serve with --replica-url: internal/db's StrongReads), is
	// where the current layers are read: a streaming replica that has replayed every write
	// committed on the primary before each read began, or the primary
	// (docs/scale-out.md). The past layers (LoadAsOf), which need temporary tables, are
	// read on Pool.
	Reads interface {
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

// reads is where the current layers are read: Reads, else Pool.
func (s *Store) reads() interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
} {
	if s.Reads != nil {
		return s.Reads
	}
	return s.Pool
}

// City looks up a city by slug; an unknown slug is a 404.
func (s *Store) City(ctx context.Context, slug string) (City, error) {
	return citydata.BySlug(ctx, s.reads(), slug)
}

// Load reads the layers in need for the city. Geometries are geom_m (metric CRS).
func (s *Store) Load(ctx context.Context, slug string, need Need) (*Layers, error) {
	c, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	return loadLayers(ctx, s.reads(), c, need)
}

// needTables are the tables of each layer, for LoadAsOf.
var needTables = []struct {
	n     Need
	table string
}{{NeedCorridors, "eco_corridors"}, {NeedRedlines, "eco_redlines"}, {NeedFarmland, "basic_farmland"}, {NeedBoundaries, "growth_boundaries"},
	{NeedResidential, "residential_land"}, {NeedFacilities, "facilities"}, {NeedParks, "parks"}, {NeedCommunities, "communities"}}

// LoadAsOf is Load of the layers as they were at at (data editions, docs/editions.md): the
// same loaders, in a transaction that reads the past rows (citydata.ShadowAsOf) and is
// rolled back.
func (s *Store) LoadAsOf(ctx context.Context, c City, need Need, at time.Time) (*Layers, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: only temporary tables were made
	var tables []string
	for _, t := range needTables {
		if need&t.n != 0 {
			tables = append(tables, t.table)
		}
	}
	if err := citydata.ShadowAsOf(ctx, tx, c.ID, at, tables...); err != nil {
		return nil, err
	}
	return loadLayers(ctx, tx, c, need)
}

// loadLayers reads the layers in need of city c through q.
func loadLayers(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, c City, need Need) (*Layers, error) {
	l := &Layers{City: c}
	type loader struct {
		n   Need
		sql string
		row func(r pgx.Rows, g *geos.Geom) error
	}
	loaders := []loader{
		{NeedCorridors, `SELECT ST_AsBinary(geom_m), id, name, kind, design_width_m FROM eco_corridors WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Corridor{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Name, &x.Kind, &x.DesignWidth)
				l.Corridors = append(l.Corridors, x)
				return err
			}},
		{NeedRedlines, `SELECT ST_AsBinary(geom_m), id, name FROM eco_redlines WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Area{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Name)
				l.Redlines = append(l.Redlines, x)
				return err
			}},
		{NeedFarmland, `SELECT ST_AsBinary(geom_m), id, name FROM basic_farmland WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Area{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Name)
				l.Farmland = append(l.Farmland, x)
				return err
			}},
		{NeedBoundaries, `SELECT ST_AsBinary(geom_m), id, edition, approved_on, valid_from, valid_to FROM growth_boundaries WHERE city_id = $1 ORDER BY valid_from, id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Boundary{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Edition, &x.ApprovedOn, &x.ValidFrom, &x.ValidTo)
				l.Boundaries = append(l.Boundaries, x)
				return err
			}},
		{NeedResidential, `SELECT ST_AsBinary(geom_m), id, population, households FROM residential_land WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Residential{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Population, &x.Households)
				l.Residential = append(l.Residential, x)
				return err
			}},
		{NeedFacilities, `SELECT ST_AsBinary(geom_m), id, category, name, floor_area_m2 FROM facilities WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Facility{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Category, &x.Name, &x.FloorArea)
				l.Facilities = append(l.Facilities, x)
				return err
			}},
		{NeedParks, `SELECT ST_AsBinary(geom_m), id, name, park_class, open_status, area_m2 FROM parks WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Park{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Name, &x.Class, &x.OpenStatus, &x.Area)
				l.Parks = append(l.Parks, x)
				return err
			}},
		{NeedCommunities, `SELECT ST_AsBinary(geom_m), id, code, name, population, households FROM communities WHERE city_id = $1 ORDER BY id`,
			func(r pgx.Rows, g *geos.Geom) error {
				x := Community{Geom: g}
				err := r.Scan(nil, &x.ID, &x.Code, &x.Name, &x.Population, &x.Households)
				l.Communities = append(l.Communities, x)
				return err
			}},
	}
	for _, ld := range loaders {
		if need&ld.n == 0 {
			continue
		}
		rows, err := q.Query(ctx, ld.sql, c.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			wkb, ok := rows.RawValues()[0], true
			if wkb == nil {
				ok = false // geom_m NULL: cannot be measured; the constraints make it rare
			}
			if !ok {
				continue
			}
			g, err := geos.NewGeomFromWKB(bytes.Clone(wkb))
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("decoding geometry: %w", err)
			}
			if err := ld.row(rows, g); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// GeoJSON writes feats as a FeatureCollection in EPSG:4326. PostGIS transforms the metric
// geometries back (one round trip for the whole list) with 7 decimals (≈ 1 cm).
func (s *Store) GeoJSON(ctx context.Context, srid int, feats []Feature) ([]byte, error) {
	wkbs := make([][]byte, len(feats))
	for i, f := range feats {
		wkbs[i] = f.Geom.ToWKB()
	}
	geoms := make([]json.RawMessage, 0, len(feats))
	if len(feats) > 0 {
		rows, err := s.Pool.Query(ctx, `SELECT ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), $1), 4326), 7)
			FROM unnest($2::bytea[]) WITH ORDINALITY AS t(w, n) ORDER BY n`, srid, wkbs)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var g string
			if err := rows.Scan(&g); err != nil {
				rows.Close()
				return nil, err
			}
			geoms = append(geoms, json.RawMessage(g))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	type feature struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: make([]feature, len(feats))}
	for i, f := range feats {
		fc.Features[i] = feature{Type: "Feature", Geometry: geoms[i], Properties: f.Props}
	}
	return json.Marshal(fc)
}

// today is the date used when no date or edition is asked for.
func today() time.Time {
	y, m, d := time.Now().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
