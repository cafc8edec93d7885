package importer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// Options control one import.
type Options struct {
	// City is the slug of the city the features belong to; it must exist.
	City string
	// Actor is recorded by the history triggers as the author ("" = the DB user).
	Actor string
	// DataSource fills the data_source column of every row ("" = "import").
	DataSource string
	// CRS overrides the CRS the file declares ("EPSG:4546", "GCJ-02", …).
	CRS string
	// Mapping maps layer attributes to file fields (see Mapping).
	Mapping Mapping
	// SkipInvalid writes the valid features and sets the invalid ones aside; without it
	// one invalid feature refuses the whole import.
	SkipInvalid bool
	// Upsert names a key attribute: a feature whose key matches a row of the same city
	// updates that row instead of adding one.
	Upsert string
	// DryRun validates everything, in the database too, and writes nothing.
	DryRun bool
	// Bulk turns off per-row history and records one bulk_loads row instead.
	Bulk bool
	// PreviewRows is how many mapped rows the report shows (dry runs default to 5).
	PreviewRows int
	// Progress, when set, is called with the number of features read so far, about
	// every 1000 features and once at the end of reading.
	Progress func(read int)
	// Registry is the layer allow-list; nil means layers.Default().
	Registry *layers.Registry
	// Limits bound the features read and the time taken (Features, Duration); the zero
	// value sets none.
	Limits Limits
}

// Import loads every feature of src into layer in one transaction and reports what it
// did. It returns an error wrapping ErrRefused (with the report) when a feature is
// invalid and o.SkipInvalid is off; a *FileError when the file is malformed or refused;
// a *LimitError when a bound of o.Limits is reached; a *RequestError for bad options;
// other errors for database failures. Nothing is written unless the error is nil and
// the import is not a dry run.
func Import(ctx context.Context, pool *pgxpool.Pool, layer string, src Reader, o Options) (*Report, error) {
	if o.Limits.Duration <= 0 {
		return importTx(ctx, pool, layer, src, o)
	}
	tctx, cancel := context.WithTimeout(ctx, o.Limits.Duration)
	defer cancel()
	rep, err := importTx(tctx, pool, layer, src, o)
	if err != nil && ctx.Err() == nil && errors.Is(tctx.Err(), context.DeadlineExceeded) {
		return rep, &LimitError{What: "duration", Limit: int64(o.Limits.Duration / time.Second)}
	}
	return rep, err
}

func importTx(ctx context.Context, pool *pgxpool.Pool, layer string, src Reader, o Options) (*Report, error) {
	start := time.Now()
	reg := o.Registry
	if reg == nil {
		reg = layers.Default()
	}
	l := reg.Lookup(layer)
	if l == nil {
		return nil, requestErrorf("unknown layer %q", layer)
	}
	if o.DataSource == "" {
		o.DataSource = "import"
	}
	if o.DryRun && o.PreviewRows == 0 {
		o.PreviewRows = 5
	}
	p, err := resolve(l, o.Mapping, src.Fields())
	if err != nil {
		return nil, &RequestError{Reason: err.Error()}
	}
	keyCol := ""
	if o.Upsert != "" {
		found := false
		for _, a := range p.attrs {
			found = found || a.attr.Name == o.Upsert
		}
		if !found {
			return nil, requestErrorf("--upsert %s: the key attribute is not mapped from the file", o.Upsert)
		}
		keyCol, _ = l.Column(o.Upsert)
	}
	var override *crs.CRS
	if o.CRS != "" {
		c, err := crs.ParseCRS(o.CRS)
		if err != nil {
			return nil, &RequestError{Reason: err.Error()}
		}
		override = &c
	}
	rep := &Report{Layer: l.ID, City: o.City, Format: src.Format(), DataSource: o.DataSource, DryRun: o.DryRun,
		Mapping: p.Mapped(), Rejected: []Rejection{}}
	if w, ok := src.(interface{ Warnings() []string }); ok {
		rep.Warnings = w.Warnings()
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, "SELECT set_config('cityreach.actor', $1, true)", o.Actor); err != nil {
		return nil, err
	}
	if o.Bulk {
		if _, err := tx.Exec(ctx, "SET LOCAL cityreach.bulk_load = 'on'"); err != nil {
			return nil, err
		}
	}
	city, err := citydata.BySlug(ctx, tx, o.City)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return nil, requestErrorf("%s", fe.Detail)
	}
	if err != nil {
		return nil, err
	}
	cityID := city.ID

	cols, err := featurewrite.LoadColumns(ctx, tx, layers.NewRegistry(l))
	if err != nil {
		return nil, err
	}
	st := newStage(l, p, cols.Of(l))
	if _, err := tx.Exec(ctx, st.createSQL()); err != nil {
		return nil, fmt.Errorf("staging table: %w", err)
	}
	if err := st.loadDefaults(ctx, tx); err != nil {
		return nil, fmt.Errorf("staging defaults: %w", err)
	}

	// Read the file in a goroutine and stream prepared rows into COPY.
	rows := make(chan []any, 512)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	crsSeen := map[string]bool{}
	fieldsSeen := map[string]bool{}
	var readErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(rows)
		crsCache := map[string]crs.CRS{}
		readErr = src.Each(rctx, func(f *Feature) error {
			rep.Read++
			if o.Limits.Features > 0 && rep.Read > o.Limits.Features {
				return &LimitError{What: "features", Limit: int64(o.Limits.Features)}
			}
			if o.Progress != nil && rep.Read%1000 == 0 {
				o.Progress(rep.Read)
			}
			for k := range f.Props {
				fieldsSeen[k] = true
			}
			c := override
			if c == nil {
				name := f.CRS
				if name == "" {
					name = "OGC:CRS84"
				}
				cc, ok := crsCache[name]
				if !ok {
					var err error
					if cc, err = crs.ParseCRS(name); err != nil {
						rep.reject(f.Index, f.ID, "geometry", err.Error())
						return nil
					}
					crsCache[name] = cc
				}
				c = &cc
			}
			crsSeen[c.String()] = true
			if f.Invalid != "" {
				rep.reject(f.Index, f.ID, "read", f.Invalid)
				return nil
			}
			row, prev, stage, err := st.prepare(f, *c)
			if err != nil {
				rep.reject(f.Index, f.ID, stage, err.Error())
				return nil
			}
			if len(rep.Preview) < o.PreviewRows {
				rep.Preview = append(rep.Preview, prev)
			}
			select {
			case rows <- row:
				return nil
			case <-rctx.Done():
				return rctx.Err()
			}
		})
		if o.Progress != nil {
			o.Progress(rep.Read)
		}
	}()
	_, copyErr := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, st.copyColumns(), &chanSource{ch: rows})
	cancel()
	for range rows { //nolint:revive // drain so the reader ends
	}
	<-done
	for c := range crsSeen {
		rep.CRS = append(rep.CRS, c)
	}
	sort.Strings(rep.CRS)
	rep.IgnoredFields = ignored(fieldsSeen, src.Fields(), p)
	var fe *FileError
	if errors.As(readErr, &fe) {
		rep.reject(fe.Index, fe.ID, "read", fe.Error())
		rep.finish(start)
		return rep, fe
	}
	if readErr != nil && !errors.Is(readErr, context.Canceled) {
		rep.finish(start)
		return rep, readErr
	}
	if copyErr != nil {
		return rep, fmt.Errorf("loading rows: %w", copyErr)
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}

	// Geometry: transform to 4326 and judge validity in PostGIS, in this transaction.
	if _, err := tx.Exec(ctx, `UPDATE import_rows SET geom = CASE WHEN srid = 4326
		THEN ST_SetSRID(ST_GeomFromWKB(wkb), 4326)
		ELSE ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), srid), 4326) END`); err != nil {
		return rep, fmt.Errorf("transforming geometries: %w", err)
	}
	bad, err := collect(ctx, tx, `SELECT idx, fid, reason FROM (
		SELECT idx, fid, CASE
			WHEN geom IS NULL OR ST_IsEmpty(geom) THEN 'empty geometry'
			WHEN NOT coalesce(cityreach_lonlat_in_range(geom), false)
				THEN 'coordinates fall outside longitude/latitude range after transformation to EPSG:4326 (is the CRS right?)'
			ELSE (SELECT 'invalid geometry: ' || d.reason || coalesce(' near ' || ST_AsText(d.location), '')
			      FROM ST_IsValidDetail(geom) d WHERE NOT d.valid)
		END AS reason FROM import_rows) v WHERE reason IS NOT NULL ORDER BY idx`)
	if err != nil {
		return rep, fmt.Errorf("validating geometries: %w", err)
	}
	for _, b := range bad {
		rep.reject(b.idx, b.fid, "geometry", b.reason)
	}
	if keyCol != "" {
		dup, err := collect(ctx, tx, fmt.Sprintf(`SELECT idx, fid, 'key %s value ' || quote_literal(k::text) || ' occurs more than once in the file' FROM (
			SELECT idx, fid, %[2]s AS k, count(*) OVER (PARTITION BY %[2]s) AS n FROM import_rows) s WHERE n > 1 OR k IS NULL ORDER BY idx`,
			o.Upsert, st.col(o.Upsert)))
		if err != nil {
			return rep, err
		}
		for _, b := range dup {
			rep.reject(b.idx, b.fid, "key", b.reason)
		}
		amb, err := collect(ctx, tx, fmt.Sprintf(`SELECT r.idx, r.fid, 'key matches '||count(*)||' existing rows; an upsert key must identify one' FROM import_rows r
			JOIN %s t ON t.city_id = $1 AND t.%s = r.%s GROUP BY r.idx, r.fid HAVING count(*) > 1 ORDER BY r.idx`, l.Table(), keyCol, st.col(o.Upsert)), cityID)
		if err != nil {
			return rep, err
		}
		for _, b := range amb {
			rep.reject(b.idx, b.fid, "key", b.reason)
		}
	}
	if len(rep.Rejected) > 0 {
		if !o.SkipInvalid {
			rep.finish(start)
			return rep, fmt.Errorf("%w: %d of %d features rejected", ErrRefused, len(rep.Rejected), rep.Read)
		}
		idx := make([]int32, 0, len(rep.Rejected))
		for _, r := range rep.Rejected {
			idx = append(idx, int32(r.Index))
		}
		if _, err := tx.Exec(ctx, "DELETE FROM import_rows WHERE idx = ANY($1)", idx); err != nil {
			return rep, err
		}
	}

	if err := st.write(ctx, tx, rep, cityID, o.DataSource, keyCol, o.Upsert); err != nil {
		return rep, err
	}
	if len(rep.Rejected) > 0 && !o.SkipInvalid {
		rep.finish(start)
		return rep, fmt.Errorf("%w: %d of %d features rejected by the database", ErrRefused, len(rep.Rejected), rep.Read)
	}
	if o.Bulk {
		if _, err := tx.Exec(ctx, `INSERT INTO bulk_loads (city_id, layer, rows, data_source, actor)
			VALUES ($1, $2, $3, $4, coalesce(nullif($5, ''), current_user))`,
			cityID, l.ID, rep.Inserted+rep.Updated, o.DataSource, o.Actor); err != nil {
			return rep, err
		}
	}
	// city_layers says where each layer of the city came from (migration 0005).
	if _, err := tx.Exec(ctx, `INSERT INTO city_layers (city_id, layer, data_source, synthetic, rows)
		SELECT $1, $2, $3, false, count(*) FROM `+l.Table()+` WHERE city_id = $1 AND data_source = $3
		ON CONFLICT (city_id, layer, data_source) DO UPDATE SET rows = EXCLUDED.rows, loaded_at = now()`,
		cityID, l.ID, o.DataSource); err != nil {
		return rep, fmt.Errorf("city_layers: %w", err)
	}
	if o.DryRun {
		rep.finish(start)
		return rep, nil // the deferred rollback discards everything
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("commit: %w", err)
	}
	rep.Committed = true
	if err := db.RefreshTileBlocks(ctx, pool); err != nil {
		return rep, err
	}
	rep.finish(start)
	return rep, nil
}

type badRow struct {
	idx    int
	fid    string
	reason string
}

func collect(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]badRow, error) {
	rs, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rs, func(r pgx.CollectableRow) (badRow, error) {
		var b badRow
		err := r.Scan(&b.idx, &b.fid, &b.reason)
		return b, err
	})
}

// ignored lists the file fields that no attribute takes, so the report says what was
// left behind.
func ignored(seen map[string]bool, fields []string, p *plan) []string {
	used := map[string]bool{}
	for _, a := range p.attrs {
		if a.constant == nil {
			used[strings.ToLower(a.field)] = true
		}
	}
	all := fields
	if all == nil {
		for k := range seen {
			all = append(all, k)
		}
		sort.Strings(all)
	}
	var out []string
	for _, f := range all {
		if !used[strings.ToLower(f)] {
			out = append(out, f)
		}
	}
	return out
}

// chanSource adapts a channel of rows to pgx.CopyFromSource.
type chanSource struct {
	ch  <-chan []any
	cur []any
}

func (s *chanSource) Next() bool {
	r, ok := <-s.ch
	s.cur = r
	return ok
}
func (s *chanSource) Values() ([]any, error) { return s.cur, nil }
func (s *chanSource) Err() error             { return nil }

// rowRefusal words the database's refusal of one row as every write path does
// (featurewrite.Classify: the constraint's name, never the SQL), else as pgErrReason.
func rowRefusal(err error) string {
	if fe := fault.As(featurewrite.Classify(err)); fe != nil {
		return fe.Detail
	}
	return pgErrReason(err)
}

// pgErrReason words a database error about one row.
func pgErrReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := pe.Message
		if pe.Detail != "" {
			s += ": " + pe.Detail
		}
		return s
	}
	return err.Error()
}
