package osmimport

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/fault"
)

// Options control an OSM import.
type Options struct {
	// CityName and Adcode are used when the city is created ("" = the slug, "OSM").
	CityName, Adcode string
	// Actor is recorded by the history triggers ("" = the DB user).
	Actor string
	// DataSource labels every row; it always starts with "osm:" ("" = "osm:<file name>").
	// Rows of the city whose data_source starts with "osm:" are replaced.
	DataSource string
	// Bulk turns off per-row history (one bulk_loads row per layer instead).
	Bulk bool
	// DryRun does everything inside the transaction and rolls it back.
	DryRun bool
	// FloorAreaPerPerson is the residential floor area per resident in m² (default 36.5,
	// the urban per-capita housing area of China's 2020 census).
	FloorAreaPerPerson float64
	// DefaultLevels is the floor count of a building without building:levels (default 3).
	DefaultLevels float64
	// HouseholdSize is residents per household (default 2.62, China's 2020 census).
	HouseholdSize float64
	// Progress, when set, is called with the number of OSM elements read so far.
	Progress func(n int)
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{FloorAreaPerPerson: 36.5, DefaultLevels: 3, HouseholdSize: 2.62}
}

func (o *Options) fill(path string) {
	d := DefaultOptions()
	if o.FloorAreaPerPerson <= 0 {
		o.FloorAreaPerPerson = d.FloorAreaPerPerson
	}
	if o.DefaultLevels <= 0 {
		o.DefaultLevels = d.DefaultLevels
	}
	if o.HouseholdSize < 1 {
		o.HouseholdSize = d.HouseholdSize
	}
	if o.DataSource == "" {
		o.DataSource = filepath.Base(path)
	}
	if !strings.HasPrefix(o.DataSource, "osm:") {
		o.DataSource = "osm:" + o.DataSource
	}
	if o.Adcode == "" {
		o.Adcode = "OSM"
	}
}

// Import loads the extract at pbfPath into the city citySlug (created when missing) in
// one transaction and reports what it wrote. On any error nothing is written.
func Import(ctx context.Context, pool *pgxpool.Pool, citySlug, pbfPath string, o Options) (*Report, error) {
	start := time.Now()
	o.fill(pbfPath)
	if o.CityName == "" {
		o.CityName = citySlug
	}
	d, err := read(ctx, pbfPath, o.Progress)
	if err != nil {
		return nil, err
	}
	rep := &Report{City: citySlug, DataSource: o.DataSource, DryRun: o.DryRun, Nodes: d.nodes, Ways: len(d.ways),
		Relations: len(d.relations), Replaced: map[string]int{}, EdgesByType: map[string]int{},
		ParksByKind: map[string]int{}, ParkClasses: map[string]int{}, Facilities: map[string]int{},
		Skipped: []Note{}, Repaired: []Note{}}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return rep, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, "SELECT set_config('cityreach.actor', $1, true)", o.Actor); err != nil {
		return rep, err
	}
	if o.Bulk {
		if _, err := tx.Exec(ctx, "SET LOCAL cityreach.bulk_load = 'on'"); err != nil {
			return rep, err
		}
	}
	if err := ensureCity(ctx, tx, rep, citySlug, o, d.bound.Center()); err != nil {
		return rep, err
	}
	for _, layer := range []string{"park_entrances", "parks", "facilities", "residential_land", "network_edges"} {
		tag, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{layer}.Sanitize()+" WHERE city_id = $1 AND data_source LIKE 'osm:%'", rep.CityID)
		if err != nil {
			return rep, err
		}
		if n := tag.RowsAffected(); n > 0 {
			rep.Replaced[layer] = int(n)
		}
	}
	if _, err := tx.Exec(ctx, stagingDDL); err != nil {
		return rep, fmt.Errorf("staging tables: %w", err)
	}
	steps := []struct {
		name string
		run  func(context.Context, pgx.Tx, *data, *Report, Options) error
	}{
		{"network", loadNetwork}, {"parks", loadParks}, {"facilities", loadFacilities},
		{"residential", loadResidential}, {"entrances", loadEntrances},
	}
	rep.StepSeconds = map[string]float64{"read": time.Since(start).Seconds()}
	for _, step := range steps {
		t := time.Now()
		if err := step.run(ctx, tx, d, rep, o); err != nil {
			return rep, err
		}
		rep.StepSeconds[step.name] = time.Since(t).Seconds()
	}
	// city_layers says where each layer of the city came from (migration 0005).
	if _, err := tx.Exec(ctx, "DELETE FROM city_layers WHERE city_id = $1 AND data_source LIKE 'osm:%'", rep.CityID); err != nil {
		return rep, err
	}
	for layer, n := range map[string]int{"network_edges": rep.Edges, "parks": rep.Parks, "park_entrances": rep.Entrances,
		"facilities": rep.FacilityTotal(), "residential_land": rep.Residential} {
		if _, err := tx.Exec(ctx, `INSERT INTO city_layers (city_id, layer, data_source, synthetic, rows, attribution)
			VALUES ($1, $2, $3, false, $4, '© OpenStreetMap contributors, ODbL 1.0')`, rep.CityID, layer, o.DataSource, n); err != nil {
			return rep, err
		}
	}
	if o.Bulk {
		for layer, n := range map[string]int{"network_edges": rep.Edges, "parks": rep.Parks, "park_entrances": rep.Entrances,
			"facilities": rep.FacilityTotal(), "residential_land": rep.Residential} {
			if _, err := tx.Exec(ctx, `INSERT INTO bulk_loads (city_id, layer, rows, data_source, actor)
				VALUES ($1, $2, $3, $4, coalesce(nullif($5, ''), current_user))`, rep.CityID, layer, n, o.DataSource, o.Actor); err != nil {
				return rep, err
			}
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.PerSecond = float64(rep.Rows()) / rep.Seconds
	if o.DryRun {
		return rep, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("commit: %w", err)
	}
	rep.Committed = true
	if err := db.RefreshTileBlocks(ctx, pool); err != nil {
		return rep, err
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.PerSecond = float64(rep.Rows()) / rep.Seconds
	return rep, nil
}

// ensureCity finds the city or creates it with the metric CRS for the extract's centre.
func ensureCity(ctx context.Context, tx pgx.Tx, rep *Report, slug string, o Options, centre orb.Point) error {
	c, err := citydata.BySlug(ctx, tx, slug)
	if err == nil {
		rep.CityID, rep.MetricSRID = c.ID, c.MetricSRID
		return nil
	}
	if fault.KindOf(err) != fault.KindNotFound {
		return err
	}
	srid := crs.MetricSRIDFor(centre[0], centre[1])
	if srid == 0 {
		return fmt.Errorf("no metric CRS for the extract centre %v", centre)
	}
	err = tx.QueryRow(ctx, `INSERT INTO cities (slug, name, name_en, adcode, metric_srid, data_source)
		VALUES ($1, $2, $2, $3, $4, $5) RETURNING id`, slug, o.CityName, o.Adcode, srid, o.DataSource).Scan(&rep.CityID)
	if err != nil {
		return fmt.Errorf("creating city %q: %w", slug, err)
	}
	rep.MetricSRID, rep.CityCreated = srid, true
	return nil
}

const stagingDDL = `
CREATE TEMP TABLE osm_edges (source bigint, target bigint, highway text, walkable boolean, bridge boolean,
	tunnel boolean, name text, wkb bytea) ON COMMIT DROP;
CREATE TEMP TABLE osm_parks (idx integer, ref text, kind text, name text, park_class text, pocket boolean,
	open_status text, open_hours text, wkb bytea, geom geometry) ON COMMIT DROP;
CREATE TEMP TABLE osm_facilities (idx integer, ref text, category text, name text, wkb bytea, geom geometry) ON COMMIT DROP;
CREATE TEMP TABLE osm_residential (idx integer, ref text, wkb bytea, geom geometry) ON COMMIT DROP;
CREATE TEMP TABLE osm_buildings (idx integer, ref text, levels double precision, wkb bytea, geom geometry, geom_m geometry) ON COMMIT DROP;`

func mustWKB(g orb.Geometry) []byte {
	b, err := wkb.Marshal(g)
	if err != nil {
		panic(err) // orb geometries built here always marshal
	}
	return b
}

func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, rows [][]any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("loading %s: %w", table, err)
	}
	return nil
}

// repair sets geom from wkb, lists invalid polygons with PostGIS's reason, repairs them
// with ST_MakeValid (keeping the polygonal part), and sets aside what collapses.
func repair(ctx context.Context, tx pgx.Tx, rep *Report, table, what string) error {
	t := pgx.Identifier{table}.Sanitize()
	if _, err := tx.Exec(ctx, "UPDATE "+t+" SET geom = ST_SetSRID(ST_GeomFromWKB(wkb), 4326)"); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "SELECT ref, ST_IsValidReason(geom) FROM "+t+" WHERE NOT ST_IsValid(geom) ORDER BY idx")
	if err != nil {
		return err
	}
	notes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) {
		n := Note{What: what}
		return n, r.Scan(&n.Ref, &n.Reason)
	})
	if err != nil {
		return err
	}
	rep.Repaired = append(rep.Repaired, notes...)
	if _, err := tx.Exec(ctx, "UPDATE "+t+" SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) WHERE NOT ST_IsValid(geom)"); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, "DELETE FROM "+t+" WHERE ST_IsEmpty(geom) RETURNING ref")
	if err != nil {
		return err
	}
	gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, ref := range gone {
		rep.skip(ref, what, "polygon collapses to nothing when made valid")
	}
	return nil
}
