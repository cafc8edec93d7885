package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// ErrCityNotFound is returned for an unknown city slug.
var ErrCityNotFound = errors.New("coverage: no such city")

// Store reads the indicator's inputs from PostGIS and keeps its results.
//
// With Reads and Strong set (cityreach serve with --replica-url: internal/db's Router), the
// reads go to streaming replicas and the writes (the runs, their figures and gaps, the run
// locks) stay on Pool, the primary (docs/scale-out.md):
//   - the data version and the snapshot are read in one transaction, so a result is keyed
//     by the version of exactly the rows it was computed from. A snapshot the service keeps
//     under the Watcher's generations is read with Strong: on a replica that has replayed
//     every write committed on the primary before the read began (or on the primary), so it
//     is never older than the edits the generations count. Without a live Watcher nothing
//     is kept as current, and the version and snapshot are read with Reads;
//   - Reads looks up the city, the stored runs and their figures with the client's
//     read-your-writes token; a run the replica has not replayed yet is looked up again
//     on the primary.
type Store struct {
	Pool          *pgxpool.Pool
	Reads, Strong Reader
}

// Reader is a router's view of the replicas (internal/db's Reader): queries, and a
// read-only REPEATABLE READ transaction that runs again on the primary when the replica
// fails.
type Reader interface {
	querier
	ReadTx(ctx context.Context, fn func(pgx.Tx) error) error
}

// reads is where lookups run: Reads, else the primary.
func (s Store) reads() querier {
	if s.Reads != nil {
		return s.Reads
	}
	return s.Pool
}

// readTx runs fn in one read-only REPEATABLE READ transaction: on a replica when the
// store has them — with strong, one that has replayed every write committed before the
// transaction began (Strong), else one that has the client's own writes (Reads) — else on c.
func (s Store) readTx(ctx context.Context, c db, strong bool, fn func(pgx.Tx) error) error {
	switch {
	case strong && s.Strong != nil:
		return s.Strong.ReadTx(ctx, fn)
	case !strong && s.Reads != nil:
		return s.Reads.ReadTx(ctx, fn)
	}
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// inputTables are the tables a result depends on; the data version covers them.
var inputTables = []string{"parks", "park_entrances", "residential_land", "districts", "subdistricts", "communities", "network_edges"}

// InputTables are the tables a result depends on (a copy): what the gap layer's tile and
// collection caches watch.
func InputTables() []string { return slices.Clone(inputTables) }

// DataVersion identifies the state of a city's input data (internal/citydata): any
// committed insert, update or delete of an input row changes its Hash.
type DataVersion = citydata.Version

// db is what the store needs of a pool or of one acquired connection.
type db interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	BeginTx(ctx context.Context, opt pgx.TxOptions) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier reads, in a transaction or not.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// City resolves a slug to the city id, name and metric SRID.
func (s Store) City(ctx context.Context, slug string) (id int, name string, srid int, err error) {
	return city(ctx, s.reads(), slug)
}

func city(ctx context.Context, q querier, slug string) (id int, name string, srid int, err error) {
	c, err := citydata.BySlug(ctx, q, slug)
	if fault.KindOf(err) == fault.KindNotFound {
		err = fmt.Errorf("%w: %q", ErrCityNotFound, slug)
	}
	return c.ID, c.Name, c.MetricSRID, err
}

// DataVersion returns the current data version of city; on Reads' replica when set, the
// version of a state that holds at least the client's own writes.
func (s Store) DataVersion(ctx context.Context, cityID int) (DataVersion, error) {
	return s.version(ctx, cityID, false)
}

// version is DataVersion, read with Strong when strong and the store has it.
func (s Store) version(ctx context.Context, cityID int, strong bool) (DataVersion, error) {
	q := s.reads()
	if strong && s.Strong != nil {
		q = s.Strong
	}
	return citydata.Read(ctx, q, cityID, inputTables...)
}

// Load reads the snapshot of a city: parks with entrances, residential land, districts,
// 街道, communities and walkable network edges, all in the city's metric CRS.
func (s Store) Load(ctx context.Context, slug string) (*Snapshot, error) {
	id, name, srid, err := s.City(ctx, slug)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{CityID: id, City: slug, CityName: name, MetricSRID: srid}
	return snap, load(ctx, s.Pool, snap, nil, DataVersion{})
}

// load reads the rows of snap's city into snap. With graphs, the walking graph is the
// city's shared one at dv's version of network_edges (dv read in q's snapshot): when it is
// built already, snap's Edges are its edges and no edge is read; otherwise the edges are
// read and the shared graph is built from them when first walked. Without graphs the
// graph is built for snap alone when first walked.
func load(ctx context.Context, q querier, snap *Snapshot, graphs *walkgraph.Cache, dv DataVersion) error {
	id := snap.CityID
	var err error
	if snap.Parks, err = loadParks(ctx, q, id, nil); err != nil {
		return err
	}
	if snap.Parcels, err = loadParcels(ctx, q, id, nil); err != nil {
		return err
	}
	for _, l := range []struct{ level, table string }{{LevelDistrict, "districts"}, {LevelSubdistrict, "subdistricts"}, {LevelCommunity, "communities"}} {
		rows, err := q.Query(ctx, `SELECT id, name, ST_AsBinary(geom_m) FROM `+pgx.Identifier{l.table}.Sanitize()+` WHERE city_id = $1 AND geom_m IS NOT NULL ORDER BY id`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			a := Area{Level: l.level}
			var b []byte
			if err := rows.Scan(&a.ID, &a.Name, &b); err != nil {
				return err
			}
			if a.Geom, err = decodeMulti(b); err != nil {
				return fmt.Errorf("%s %d: %w", l.table, a.ID, err)
			}
			snap.Areas = append(snap.Areas, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	v, versioned := walkgraph.VersionOf(dv)
	if g, ok := graphs.Peek(id, v); ok && versioned {
		// Built already (by the living circle, say): its edges are the rows.
		snap.Edges = g.Edges()
		snap.net = &netHolder{graphs: graphs, src: func() (*walkgraph.Graph, error) { return g, nil }}
	} else if snap.Edges, err = walkgraph.Edges(ctx, q, id, nil); err != nil {
		return err
	} else if versioned && graphs != nil {
		snap.net = sharedHolder(graphs, id, v, snap.Edges) // built when first walked
	}
	if snap.Steps, err = loadSteps(ctx, q, id, nil); err != nil {
		return err
	}
	snap.Barriers, err = loadBarriers(ctx, q, id)
	return err
}

// loadParks reads the city's parks with their entrances, in id order; only those of ids
// when ids is not nil.
func loadParks(ctx context.Context, q querier, cityID int, ids []int64) ([]Park, error) {
	ents := map[int64][]orb.Point{}
	gates := map[int64][]openness.Gate{}
	gateIDs := map[int64][]int64{}
	rows, err := q.Query(ctx, `SELECT park_id, ST_X(geom_m), ST_Y(geom_m), status, open_hours, id FROM park_entrances
		WHERE city_id = $1 AND geom_m IS NOT NULL AND ($2::bigint[] IS NULL OR park_id = ANY($2)) ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pid int64
		var x, y float64
		var g openness.Gate
		var gid int64
		if err := rows.Scan(&pid, &x, &y, &g.Status, &g.Hours, &gid); err != nil {
			return nil, err
		}
		ents[pid] = append(ents[pid], orb.Point{x, y})
		gates[pid] = append(gates[pid], g)
		gateIDs[pid] = append(gateIDs[pid], gid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT id, name, park_class, pocket, open_status, open_hours, in_historic_district, area_m2, ST_AsBinary(geom_m)
		FROM parks WHERE city_id = $1 AND geom_m IS NOT NULL AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	var out []Park
	for rows.Next() {
		var p Park
		var b []byte
		if err := rows.Scan(&p.ID, &p.Name, &p.Class, &p.Pocket, &p.OpenStatus, &p.Hours, &p.Historic, &p.AreaM2, &b); err != nil {
			return nil, err
		}
		if p.Geom, err = decodeMulti(b); err != nil {
			return nil, fmt.Errorf("park %d: %w", p.ID, err)
		}
		p.Entrances, p.Gates, p.GateIDs = ents[p.ID], gates[p.ID], gateIDs[p.ID]
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadParcels reads the city's residential land in id order; only ids when not nil.
func loadParcels(ctx context.Context, q querier, cityID int, ids []int64) ([]Parcel, error) {
	rows, err := q.Query(ctx, `SELECT id, population, area_m2, ST_AsBinary(geom_m) FROM residential_land
		WHERE city_id = $1 AND geom_m IS NOT NULL AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	var out []Parcel
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
		out = append(out, p)
	}
	return out, rows.Err()
}

// loadSteps reads the ids of the city's walkable routed edges with steps, sorted; only
// among ids when not nil.
func loadSteps(ctx context.Context, q querier, cityID int, ids []int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM network_edges WHERE city_id = $1 AND walkable AND steps
		AND source IS NOT NULL AND geom_m IS NOT NULL AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
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
	// Band is the age bands the run's population figures count (codes joined by commas;
	// "" every resident) and AgeDigest the digest of those bands' community counts.
	Band      string `json:"band,omitempty"`
	AgeDigest string `json:"age_digest,omitempty"`
}

// Save stores r, computed on data version dv, with its per-area figures at every level
// (each also as the JSON the indicator answers) and, when computed, its gaps, in one
// transaction on c, and marks the run complete when the gaps are there. It returns the
// run's id.
func (s Store) Save(ctx context.Context, c db, r *Result, dv DataVersion) (int64, error) {
	id, err := s.saveRun(ctx, c, r, dv, nil)
	if err != nil || r.Gaps == nil {
		return id, err
	}
	return id, s.saveGaps(ctx, c, id, r, nil)
}

// gapReuse says that the gaps of every parcel but those of skip are stored already, as
// those of run: saveGaps copies them row for row instead of sending and reprojecting them.
type gapReuse struct {
	run  int64
	skip map[int64]bool
	// after, when not nil, is run's own gap storage, still under way: wait for it.
	after *persisting
}

// persisting is a run's gap storage under way: done is closed when it has ended, with
// err its outcome.
type persisting struct {
	done chan struct{}
	err  error
}

// derivedCommit lets tx commit without waiting for its WAL to reach the disk
// (synchronous_commit off, for this transaction only). A run is derived data: should the
// server crash within the next few hundred milliseconds, the run is lost, never half
// stored (the transaction is still atomic), and it is computed again at the next request.
// The answer after an edit then does not wait for an fsync, which on a disk shared with
// other work is tens of milliseconds.
func derivedCommit(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SET LOCAL synchronous_commit TO off`)
	return err
}

// saveRun stores r's header and figures in one transaction on c, the run not complete
// unless r has no gaps: saveGaps stores them and completes it. The run is keyed by dv's hash
// and ages' bands and digest (nil: every resident); its data_version is dv with the age
// tables' when weighed by ages.
func (s Store) saveRun(ctx context.Context, c db, r *Result, dv DataVersion, ages *ageSel) (int64, error) {
	snap := r.snapshot
	params, _ := json.Marshal(r.Parameters)
	dvj, _ := json.Marshal(ages.dataVersion(dv))
	ak := ages.key()
	tx, err := c.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := derivedCommit(ctx, tx); err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO coverage_runs (city_id, caliber_id, caliber, method, parameters, data_version, data_hash,
		covered_m2, total_m2, population, covered_population, parks_counted, duration_ms, complete, band, age_digest, variant)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING id`,
		snap.CityID, r.Caliber.ID, r.Caliber.Digest(), r.Method, params, dvj, dv.Hash,
		r.CoveredM2, r.TotalM2, r.Population, r.CoveredPopulation, len(r.Parks), float64(r.Duration.Microseconds())/1000,
		r.Gaps == nil, ak.Band, ak.Digest, r.variant()).Scan(&id)
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
			doc, err := json.Marshal(f)
			if err != nil {
				return 0, fmt.Errorf("coverage figure of %s %d: %w", f.Level, f.ID, err)
			}
			areaRows = append(areaRows, []any{id, f.Level, f.ID, f.Name, f.CoveredM2, f.TotalM2, f.Population, f.CoveredPopulation, f.Parcels, pp, pc, pm, json.RawMessage(doc)})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"coverage_areas"},
		[]string{"run_id", "level", "area_id", "name", "covered_m2", "total_m2", "population", "covered_population", "parcels",
			"park_m2_per_capita", "comprehensive_m2_per_capita", "community_m2_per_capita", "figure"}, pgx.CopyFromRows(areaRows)); err != nil {
		return 0, fmt.Errorf("coverage areas: %w", err)
	}
	return id, tx.Commit(ctx)
}

// saveGaps stores the gaps of r as those of run id and marks the run complete, in one
// transaction on c; with reuse, copying the unchanged parcels' gaps from an earlier run.
func (s Store) saveGaps(ctx context.Context, c db, id int64, r *Result, reuse *gapReuse) error {
	snap := r.snapshot
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := derivedCommit(ctx, tx); err != nil {
		return err
	}
	var only func(int64) bool
	if reuse != nil {
		only = func(id int64) bool { return reuse.skip[id] }
		skip := make([]int64, 0, len(reuse.skip))
		for id := range reuse.skip {
			skip = append(skip, id)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO coverage_gaps (run_id, parcel_id, area_m2, population, geom_m, geom)
				SELECT $1, parcel_id, area_m2, population, geom_m, geom FROM coverage_gaps
				WHERE run_id = $2 AND NOT parcel_id = ANY($3::bigint[])`, id, reuse.run, skip); err != nil {
			return fmt.Errorf("coverage gaps: %w", err)
		}
	}
	ids, areas, pops, wkbs, err := r.gapPieces(only)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO coverage_gaps (run_id, parcel_id, area_m2, population, geom_m, geom)
			SELECT $1, u.pid, u.a, u.pop, g.m, ST_Multi(ST_Transform(g.m, 4326))
			FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::bytea[]) AS u(pid, a, pop, w)
			CROSS JOIN LATERAL (SELECT ST_Multi(ST_SetSRID(ST_GeomFromWKB(u.w), $6)) AS m) g`,
		id, ids, areas, pops, wkbs, snap.MetricSRID); err != nil {
		return fmt.Errorf("coverage gaps: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE coverage_runs SET complete = true WHERE id = $1`, id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

const runCols = `id, city_id, caliber_id, method, parameters, data_version, data_hash, computed_at, duration_ms, band, age_digest`

func scanRun(row pgx.Row) (*Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.CityID, &r.CaliberID, &r.Method, &r.Parameters, &r.DataVersion, &r.DataHash, &r.ComputedAt, &r.DurationMS, &r.Band, &r.AgeDigest)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Find returns the complete stored run of city under cal (as defined now) and method on
// data version hash, or nil when there is none. Should there be several (stored before
// runs were computed once per key), the first is the answer, so it does not change.
func (s Store) Find(ctx context.Context, q querier, cityID int, cal caliber.Caliber, method, hash string, ak ageKey, variant string) (*Run, error) {
	return scanRun(q.QueryRow(ctx, `SELECT `+runCols+` FROM coverage_runs
		WHERE city_id = $1 AND caliber_id = $2 AND method = $3 AND data_hash = $4 AND caliber = $5::jsonb AND complete
		AND band = $6 AND age_digest = $7 AND variant = $8
		ORDER BY id LIMIT 1`, cityID, cal.ID, method, hash, cal.Digest(), ak.Band, ak.Digest, variant))
}

// Run returns the header of stored run id, or nil.
func (s Store) Run(ctx context.Context, q querier, id int64) (*Run, error) {
	return scanRun(q.QueryRow(ctx, `SELECT `+runCols+` FROM coverage_runs WHERE id = $1`, id))
}

// Figures returns the figures of run at level as the indicator answers them, ordered by
// area id, read on q.
func (s Store) Figures(ctx context.Context, q querier, run int64, level string) ([]AreaFigure, error) {
	rows, err := q.Query(ctx, `SELECT figure FROM coverage_areas WHERE run_id = $1 AND level = $2 ORDER BY area_id`, run, level)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AreaFigure, error) {
		var f AreaFigure
		var doc []byte
		if err := r.Scan(&doc); err != nil {
			return f, err
		}
		if doc == nil {
			return f, fmt.Errorf("coverage: run %d has no stored figure at level %s", run, level)
		}
		return f, json.Unmarshal(doc, &f)
	})
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
	ids, areas, pops, ws, err := r.gapPieces(nil)
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
// and the gap's WKB in the metric CRS; only those parcels only accepts, when not nil.
func (r *Result) gapPieces(only func(parcel int64) bool) (ids []int64, areas, pops []float64, wkbs [][]byte, err error) {
	ids, areas, pops, wkbs = []int64{}, []float64{}, []float64{}, [][]byte{}
	for i, g := range r.Gaps {
		if len(g) == 0 {
			continue
		}
		p := &r.snapshot.Parcels[i]
		if only != nil && !only(p.ID) {
			continue
		}
		a := p.AreaM2 - r.Covered[i]
		if a <= 1e-6 {
			continue
		}
		b, err := wkb.Marshal(g)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		ids, areas, wkbs = append(ids, p.ID), append(areas, a), append(wkbs, b)
		pops = append(pops, ratio(r.pop(i)*a, p.AreaM2))
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
