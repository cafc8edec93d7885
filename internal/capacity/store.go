package capacity

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
)

// Store reads and writes the age and capacity tables of migration 0020.
type Store struct {
	Pool *pgxpool.Pool
	// Reads, when set (cityreach serve with --replica-url: internal/db's StrongReads), is
	// where the reads go: a streaming replica that has replayed every write committed on
	// the primary before each read began, or the primary (docs/scale-out.md). Writes
	// (ImportAges) stay on Pool.
	Reads Querier
}

// Querier is what the store reads with: a pool, or a router's reads.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reads is where reads run: Reads, else Pool.
func (s Store) reads() Querier {
	if s.Reads != nil {
		return s.Reads
	}
	return s.Pool
}

// Category is a facility category as the capacity indicator sees it.
type Category struct {
	Code   string   `json:"code"`
	NameZh string   `json:"name_zh"`
	NameEn string   `json:"name_en"`
	ReachM float64  `json:"reach_m"`
	Source string   `json:"-"`
	Bands  []string `json:"demand_bands"` // nil: every resident
	UnitZh string   `json:"unit_zh"`
	UnitEn string   `json:"unit_en"`
	// Norm is the capacity the residents should have (migration 0027).
	Norm Norm `json:"norm"`
}

// Supply is a facility with its capacity in the metric CRS; Capacity is nil when unknown.
// A park is reached at several access points: Point is the first, More the others.
type Supply struct {
	ID       int64
	Name     string
	Capacity *float64
	Point    orb.Point
	More     []orb.Point
}

// ParkAreas returns the area in square metres (parks.area_m2, of the metric geometry) of
// the city's open and shared parks, by park id: the supply of park capacity.
func (s Store) ParkAreas(ctx context.Context, cityID int) (map[int64]float64, error) {
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.reads().Query(ctx, `SELECT id, area_m2 FROM parks
		WHERE city_id = $1 AND open_status IN ('open', 'shared') AND area_m2 IS NOT NULL`, cityID)
	if err != nil {
		return nil, err
	}
	out := map[int64]float64{}
	var id int64
	var a float64
	_, err = pgx.ForEachRow(rows, []any{&id, &a}, func() error { out[id] = a; return nil })
	return out, err
}

// Bands returns the configured age bands in order.
func (s Store) Bands(ctx context.Context) ([]Band, error) {
	rows, err := s.reads().Query(ctx, `SELECT code, min_age, max_age, name_zh, name_en FROM age_bands ORDER BY sort_order, min_age`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Band, error) {
		var b Band
		var maxAge *int
		err := r.Scan(&b.Code, &b.MinAge, &maxAge, &b.NameZh, &b.NameEn)
		if maxAge == nil {
			b.Open = true
		} else {
			b.MaxAge = *maxAge
		}
		return b, err
	})
}

// Category reads one facility category; a missing one is a NotFound fault naming the category parameter.
func (s Store) Category(ctx context.Context, code string) (Category, error) {
	c := Category{Code: code}
	err := s.reads().QueryRow(ctx, `SELECT name_zh, name_en, reach_m, source, demand_bands, capacity_unit_zh, capacity_unit_en,
			capacity_norm, capacity_norm_basis, capacity_norm_source
		FROM facility_categories WHERE code = $1`, code).Scan(&c.NameZh, &c.NameEn, &c.ReachM, &c.Source, &c.Bands, &c.UnitZh, &c.UnitEn,
		&c.Norm.PerThousand, &c.Norm.Basis, &c.Norm.Source)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, notFound("category", fmt.Sprintf("no facility category %q", clip(code)))
	}
	return c, err
}

// Facilities returns the facilities of a category in a city, in id order, with their
// capacity (nil when unknown) and metric point.
func (s Store) Facilities(ctx context.Context, cityID int, category string) ([]Supply, error) {
	rows, err := s.reads().Query(ctx, `SELECT id, name, capacity, ST_X(geom_m), ST_Y(geom_m) FROM facilities
		WHERE city_id = $1 AND category = $2 AND geom_m IS NOT NULL ORDER BY id`, cityID, category)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Supply, error) {
		var f Supply
		err := r.Scan(&f.ID, &f.Name, &f.Capacity, &f.Point[0], &f.Point[1])
		return f, err
	})
}

// CommunityCounts returns, per community id of the city with age data, the residents of
// the given bands summed.
func (s Store) CommunityCounts(ctx context.Context, cityID int, bands []string) (map[int64]float64, error) {
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.reads().Query(ctx, `SELECT a.community_id, sum(a.population)::float8 FROM community_age_population a
		JOIN communities c ON c.id = a.community_id WHERE c.city_id = $1 AND a.band = ANY($2) GROUP BY a.community_id`, cityID, bands)
	if err != nil {
		return nil, err
	}
	out := map[int64]float64{}
	var id int64
	var n float64
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, err
}

// HasAgeData reports whether any community of the city has age counts.
func (s Store) HasAgeData(ctx context.Context, cityID int) (bool, error) {
	var ok bool
	err := s.reads().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM community_age_population a JOIN communities c ON c.id = a.community_id
		WHERE c.city_id = $1)`, cityID).Scan(&ok)
	return ok, err
}

// ImportSummary is what ImportAges wrote.
type ImportSummary struct {
	Communities int   `json:"communities"`
	Bands       int   `json:"bands"`
	Residents   int64 `json:"residents"`
	// Mismatched lists the communities whose band counts (over all the city's bands) differ
	// from communities.population; the import still succeeds.
	Mismatched []Mismatch `json:"mismatched,omitempty"`
}

// Mismatch is a community whose imported band total differs from its recorded population.
type Mismatch struct {
	Code       string `json:"code"`
	Population int64  `json:"population"`
	BandTotal  int64  `json:"band_total"`
}

// ImportAges writes an age table for the city in one transaction: every community code
// must be one of the city's communities (else an Unprocessable fault naming the row, and nothing
// is written); the given bands of the listed communities are replaced.
func (s Store) ImportAges(ctx context.Context, cityID int, t *AgeTable, source string, synthetic bool) (*ImportSummary, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op; on an error the error returned is the one that matters
	sum, err := importAges(ctx, tx, cityID, t, source, synthetic)
	if err != nil {
		return nil, err
	}
	return sum, tx.Commit(ctx)
}

func importAges(ctx context.Context, tx pgx.Tx, cityID int, t *AgeTable, source string, synthetic bool) (*ImportSummary, error) {
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := tx.Query(ctx, `SELECT code, id FROM communities WHERE city_id = $1`, cityID)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	var code string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&code, &id}, func() error { ids[code] = id; return nil }); err != nil {
		return nil, err
	}
	var known []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY sort_order), '{}') FROM age_bands`).Scan(&known); err != nil {
		return nil, err
	}
	isKnown := map[string]bool{}
	for _, k := range known {
		isKnown[k] = true
	}
	for _, b := range t.Bands {
		if !isKnown[b] {
			return nil, inputError(1, b, "not one of the configured age bands")
		}
	}
	var cids []int64
	var bands []string
	var pops []int64
	sum := &ImportSummary{Communities: len(t.Rows), Bands: len(t.Bands)}
	for _, r := range t.Rows {
		cid, ok := ids[r.Code]
		if !ok {
			return nil, inputError(r.Row, "community_code", fmt.Sprintf("no community %s in this city", r.Code))
		}
		for k, b := range t.Bands {
			cids, bands, pops = append(cids, cid), append(bands, b), append(pops, r.Counts[k])
			sum.Residents += r.Counts[k]
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO community_age_population (community_id, band, population, data_source, synthetic)
		SELECT * , $4::text, $5::boolean FROM unnest($1::bigint[], $2::text[], $3::int[])
		ON CONFLICT (community_id, band) DO UPDATE SET population = EXCLUDED.population, data_source = EXCLUDED.data_source,
			synthetic = EXCLUDED.synthetic, updated_at = now()`, cids, bands, pops, source, synthetic); err != nil {
		return nil, err
	}
	mrows, err := tx.Query(ctx, `SELECT c.code, c.population, sum(a.population) FROM communities c
		JOIN community_age_population a ON a.community_id = c.id
		WHERE c.city_id = $2 AND c.id = ANY($1) GROUP BY c.id HAVING sum(a.population) <> c.population ORDER BY c.code`, cids, cityID)
	if err != nil {
		return nil, err
	}
	sum.Mismatched, err = pgx.CollectRows(mrows, pgx.RowToStructByPos[Mismatch])
	return sum, err
}

// Categories returns the categories the capacity indicator answers for, in sort order:
// those with demand bands (schools, nurseries, care) and the parks.
func (s Store) Categories(ctx context.Context) ([]Category, error) {
	rows, err := s.reads().Query(ctx, `SELECT code, name_zh, name_en, reach_m, source, demand_bands, capacity_unit_zh, capacity_unit_en,
			capacity_norm, capacity_norm_basis, capacity_norm_source
		FROM facility_categories WHERE demand_bands IS NOT NULL OR source = $1 ORDER BY sort_order, code`, SourceParks)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Category, error) {
		var c Category
		err := r.Scan(&c.Code, &c.NameZh, &c.NameEn, &c.ReachM, &c.Source, &c.Bands, &c.UnitZh, &c.UnitEn,
			&c.Norm.PerThousand, &c.Norm.Basis, &c.Norm.Source)
		return c, err
	})
}
