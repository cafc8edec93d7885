package coverage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
)

// ErrCityNotFound is returned for an unknown city slug.
var ErrCityNotFound = errors.New("coverage: no such city")

// Store reads the indicator's inputs from PostGIS and keeps its results.
type Store struct{ Pool *pgxpool.Pool }

// inputTables are the tables a result depends on; their counts and last edits make the
// data version.
var inputTables = []string{"parks", "park_entrances", "residential_land", "districts", "subdistricts", "communities", "network_edges"}

// DataVersion identifies the state of a city's input data: for every input table the row
// count and max(updated_at), plus a hash of those. Any insert, update or delete changes it
// (a delete lowers the count or, with an insert, moves max(updated_at)).
type DataVersion struct {
	Tables map[string]TableVersion `json:"tables"`
	Hash   string                  `json:"hash"`
}

// TableVersion is one table's part of a DataVersion.
type TableVersion struct {
	Rows        int64      `json:"rows"`
	LastUpdated *time.Time `json:"last_updated"`
	SumVersion  int64      `json:"sum_version"`
}

// City resolves a slug to the city id, name and metric SRID.
func (s Store) City(ctx context.Context, slug string) (id int, name string, srid int, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT id, name, metric_srid FROM cities WHERE slug = $1`, slug).Scan(&id, &name, &srid)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("%w: %q", ErrCityNotFound, slug)
	}
	return
}

// DataVersion returns the current data version of city.
func (s Store) DataVersion(ctx context.Context, cityID int) (DataVersion, error) {
	dv := DataVersion{Tables: map[string]TableVersion{}}
	h := sha256.New()
	for _, t := range inputTables {
		var tv TableVersion
		// t comes from the fixed list above, never from a request.
		q := `SELECT count(*), max(updated_at), coalesce(sum(version), 0) FROM ` + pgx.Identifier{t}.Sanitize() + ` WHERE city_id = $1`
		if err := s.Pool.QueryRow(ctx, q, cityID).Scan(&tv.Rows, &tv.LastUpdated, &tv.SumVersion); err != nil {
			return dv, err
		}
		dv.Tables[t] = tv
		lu := ""
		if tv.LastUpdated != nil {
			lu = tv.LastUpdated.UTC().Format(time.RFC3339Nano)
		}
		fmt.Fprintf(h, "%s:%d:%s:%d;", t, tv.Rows, lu, tv.SumVersion)
	}
	dv.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	return dv, nil
}

// Load reads the snapshot of a city: parks with entrances, residential land, districts,
// 街道, communities and walkable network edges, all in the city's metric CRS.
func (s Store) Load(ctx context.Context, slug string) (*Snapshot, error) {
	id, name, srid, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{CityID: id, City: slug, CityName: name, MetricSRID: srid}
	ents := map[int64][]orb.Point{}
	rows, err := s.Pool.Query(ctx, `SELECT park_id, ST_X(geom_m), ST_Y(geom_m) FROM park_entrances WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pid int64
		var x, y float64
		if err := rows.Scan(&pid, &x, &y); err != nil {
			return nil, err
		}
		ents[pid] = append(ents[pid], orb.Point{x, y})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.Pool.Query(ctx, `SELECT id, name, park_class, pocket, open_status, in_historic_district, area_m2, ST_AsBinary(geom_m)
		FROM parks WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p Park
		var b []byte
		if err := rows.Scan(&p.ID, &p.Name, &p.Class, &p.Pocket, &p.OpenStatus, &p.Historic, &p.AreaM2, &b); err != nil {
			return nil, err
		}
		if p.Geom, err = decodeMulti(b); err != nil {
			return nil, fmt.Errorf("park %d: %w", p.ID, err)
		}
		p.Entrances = ents[p.ID]
		snap.Parks = append(snap.Parks, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.Pool.Query(ctx, `SELECT id, population, area_m2, ST_AsBinary(geom_m) FROM residential_land WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p Parcel
		var pop int64
		var b []byte
		if err := rows.Scan(&p.ID, &pop, &p.AreaM2, &b); err != nil {
			return nil, err
		}
		p.Population = float64(pop)
		if p.Geom, err = decodeMulti(b); err != nil {
			return nil, fmt.Errorf("residential_land %d: %w", p.ID, err)
		}
		snap.Parcels = append(snap.Parcels, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, l := range []struct{ level, table string }{{LevelDistrict, "districts"}, {LevelSubdistrict, "subdistricts"}, {LevelCommunity, "communities"}} {
		rows, err = s.Pool.Query(ctx, `SELECT id, name, ST_AsBinary(geom_m) FROM `+pgx.Identifier{l.table}.Sanitize()+` WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			a := Area{Level: l.level}
			var b []byte
			if err := rows.Scan(&a.ID, &a.Name, &b); err != nil {
				return nil, err
			}
			if a.Geom, err = decodeMulti(b); err != nil {
				return nil, fmt.Errorf("%s %d: %w", l.table, a.ID, err)
			}
			snap.Areas = append(snap.Areas, a)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	rows, err = s.Pool.Query(ctx, `SELECT id, coalesce(source, 0), coalesce(target, 0), length_m, walkable, ST_AsBinary(geom_m)
		FROM network_edges WHERE city_id = $1 AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e network.Edge
		var b []byte
		if err := rows.Scan(&e.ID, &e.Source, &e.Target, &e.Length, &e.Walkable, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, err
		}
		ls, ok := g.(orb.LineString)
		if !ok {
			return nil, fmt.Errorf("network edge %d: %T", e.ID, g)
		}
		e.Geom = ls
		snap.Edges = append(snap.Edges, e)
	}
	return snap, rows.Err()
}

func decodeMulti(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	switch t := g.(type) {
	case orb.MultiPolygon:
		return t, nil
	case orb.Polygon:
		return orb.MultiPolygon{t}, nil
	}
	return nil, fmt.Errorf("not polygonal: %T", g)
}

// Run is a stored result's header.
type Run struct {
	ID          int64           `json:"run_id"`
	CityID      int             `json:"city_id"`
	CaliberID   string          `json:"caliber"`
	Method      string          `json:"method"`
	Parameters  json.RawMessage `json:"parameters"`
	DataVersion json.RawMessage `json:"data_version"`
	DataHash    string          `json:"data_hash"`
	ComputedAt  time.Time       `json:"computed_at"`
	DurationMS  float64         `json:"duration_ms"`
}

// Save stores r with its per-area figures at every level and, when computed, its gaps.
// Everything is written in one transaction.
func (s Store) Save(ctx context.Context, r *Result, dv DataVersion) (int64, error) {
	snap := r.snapshot
	params, _ := json.Marshal(r.Parameters)
	dvj, _ := json.Marshal(dv)
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO coverage_runs (city_id, caliber_id, caliber, method, parameters, data_version, data_hash,
		covered_m2, total_m2, population, covered_population, parks_counted, duration_ms)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id`,
		snap.CityID, r.Caliber.ID, r.Caliber.Digest(), r.Method, params, dvj, dv.Hash,
		r.CoveredM2, r.TotalM2, r.Population, r.CoveredPopulation, len(r.Parks), float64(r.Duration.Microseconds())/1000).Scan(&id)
	if err != nil {
		return 0, err
	}
	var areaRows [][]any
	for _, lv := range Levels {
		figs, err := r.ByLevel(lv)
		if err != nil {
			return 0, err
		}
		for _, f := range figs {
			var pp, pc, pm any
			if f.PerCapita != nil {
				pp, pc, pm = f.PerCapita.ParkPerCapita, f.PerCapita.ComprehensivePerCapita, f.PerCapita.CommunityPerCapita
			}
			areaRows = append(areaRows, []any{id, f.Level, f.ID, f.Name, f.CoveredM2, f.TotalM2, f.Population, f.CoveredPopulation, f.Parcels, pp, pc, pm})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"coverage_areas"},
		[]string{"run_id", "level", "area_id", "name", "covered_m2", "total_m2", "population", "covered_population", "parcels",
			"park_m2_per_capita", "comprehensive_m2_per_capita", "community_m2_per_capita"}, pgx.CopyFromRows(areaRows)); err != nil {
		return 0, fmt.Errorf("coverage areas: %w", err)
	}
	if r.Gaps != nil {
		ids, areas, pops, wkbs, err := r.gapPieces()
		if err != nil {
			return 0, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO coverage_gaps (run_id, parcel_id, area_m2, population, geom_m, geom)
			SELECT $1, u.pid, u.a, u.pop, g.m, ST_Multi(ST_Transform(g.m, 4326))
			FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::bytea[]) AS u(pid, a, pop, w)
			CROSS JOIN LATERAL (SELECT ST_Multi(ST_SetSRID(ST_GeomFromWKB(u.w), $6)) AS m) g`,
			id, ids, areas, pops, wkbs, snap.MetricSRID); err != nil {
			return 0, fmt.Errorf("coverage gaps: %w", err)
		}
	}
	return id, tx.Commit(ctx)
}

// Latest returns the newest stored run of city under cal (as defined now) and method whose
// data hash is hash, or nil when there is none.
func (s Store) Latest(ctx context.Context, cityID int, cal caliber.Caliber, method, hash string, withGaps bool) (*Run, error) {
	var r Run
	err := s.Pool.QueryRow(ctx, `SELECT id, city_id, caliber_id, method, parameters, data_version, data_hash, computed_at, duration_ms
		FROM coverage_runs r WHERE city_id = $1 AND caliber_id = $2 AND method = $3 AND data_hash = $4 AND caliber = $6::jsonb
		  AND (NOT $5 OR EXISTS (SELECT 1 FROM coverage_gaps g WHERE g.run_id = r.id) OR covered_m2 >= total_m2)
		ORDER BY computed_at DESC, id DESC LIMIT 1`, cityID, cal.ID, method, hash, withGaps, cal.Digest()).
		Scan(&r.ID, &r.CityID, &r.CaliberID, &r.Method, &r.Parameters, &r.DataVersion, &r.DataHash, &r.ComputedAt, &r.DurationMS)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return &r, err
}

// Areas returns the stored figures of run at level.
func (s Store) Areas(ctx context.Context, run int64, level string) ([]AreaFigure, error) {
	rows, err := s.Pool.Query(ctx, `SELECT level, area_id, name, parcels, covered_m2, total_m2, population, covered_population,
		park_m2_per_capita, comprehensive_m2_per_capita, community_m2_per_capita
		FROM coverage_areas WHERE run_id = $1 AND level = $2 ORDER BY area_id`, run, level)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AreaFigure
	for rows.Next() {
		var f AreaFigure
		var pp, pc, pm *float64
		if err := rows.Scan(&f.Level, &f.ID, &f.Name, &f.Parcels, &f.CoveredM2, &f.TotalM2, &f.Population, &f.CoveredPopulation, &pp, &pc, &pm); err != nil {
			return nil, err
		}
		finish(&f)
		if pp != nil {
			f.PerCapita = &PerCapitaFigure{ParkPerCapita: *pp, ComprehensivePerCapita: *pc, CommunityPerCapita: *pm}
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// GapsGeoJSON returns the gap layer of run as a GeoJSON FeatureCollection in EPSG:4326,
// serialised by PostGIS. limit caps the number of features (0: all).
func (s Store) GapsGeoJSON(ctx context.Context, run int64, limit int) (json.RawMessage, error) {
	var b []byte
	err := s.Pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f ORDER BY (f->>'id')::bigint), '[]'::json))
		FROM (SELECT json_build_object('type', 'Feature', 'id', parcel_id,
		        'properties', json_build_object('parcel_id', parcel_id, 'gap_m2', round(area_m2::numeric, 2), 'population', round(population::numeric, 1)),
		        'geometry', ST_AsGeoJSON(geom, 7)::json) AS f
		      FROM coverage_gaps WHERE run_id = $1 ORDER BY parcel_id LIMIT nullif($2, 0)) x`, run, limit).Scan(&b)
	return b, err
}

// ResultGapsGeoJSON is GapsGeoJSON for a result that is not stored (a scenario's): the
// same features and properties, from r.Gaps in the metric CRS, reprojected by PostGIS.
func (s Store) ResultGapsGeoJSON(ctx context.Context, r *Result, limit int) (json.RawMessage, error) {
	if r.Gaps == nil {
		return nil, errors.New("coverage: ResultGapsGeoJSON needs a result computed with Options.Gaps")
	}
	ids, areas, pops, ws, err := r.gapPieces()
	if err != nil {
		return nil, err
	}
	var b []byte
	err = s.Pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f ORDER BY (f->>'id')::bigint), '[]'::json))
		FROM (SELECT json_build_object('type', 'Feature', 'id', id,
		        'properties', json_build_object('parcel_id', id, 'gap_m2', round(a::numeric, 2), 'population', round(p::numeric, 1)),
		        'geometry', ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), $2::int), 4326), 7)::json) AS f
		      FROM unnest($1::bytea[], $3::bigint[], $4::float8[], $5::float8[]) AS u(w, id, a, p)
		      ORDER BY id LIMIT nullif($6, 0)) x`, ws, r.snapshot.MetricSRID, ids, areas, pops, limit).Scan(&b)
	return b, err
}

// gapPieces are the rows of the gap layer: every parcel with an uncovered area (its area
// less its covered area) above 1e-6 m², with the residents on it (the parcel's density)
// and the gap's WKB in the metric CRS.
func (r *Result) gapPieces() (ids []int64, areas, pops []float64, wkbs [][]byte, err error) {
	ids, areas, pops, wkbs = []int64{}, []float64{}, []float64{}, [][]byte{}
	for i, g := range r.Gaps {
		if len(g) == 0 {
			continue
		}
		p := &r.snapshot.Parcels[i]
		a := p.AreaM2 - r.Covered[i]
		if a <= 1e-6 {
			continue
		}
		b, err := wkb.Marshal(g)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		ids, areas, wkbs = append(ids, p.ID), append(areas, a), append(wkbs, b)
		pops = append(pops, ratio(p.Population*a, p.AreaM2))
	}
	return ids, areas, pops, wkbs, nil
}

// ToLonLat reprojects the site points from the metric SRID to EPSG:4326 with PostGIS.
func (s Store) ToLonLat(ctx context.Context, srid int, sites []Site) ([][2]float64, error) {
	xs, ys := make([]float64, len(sites)), make([]float64, len(sites))
	for i, st := range sites {
		xs[i], ys[i] = st.At[0], st.At[1]
	}
	rows, err := s.Pool.Query(ctx, `SELECT ST_X(p), ST_Y(p) FROM (
		SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $3), 4326) p, o
		FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, o)) q ORDER BY o`, xs, ys, srid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]float64
	for rows.Next() {
		var p [2]float64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
