package citydata

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/fault"
)

// City is a row of cities as every reader of it sees it: the one city type of the service
// (issue 18). The JSON names are the ones the walk and checks outputs always had; the
// fields they never showed are not marshalled.
type City struct {
	ID   int    `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	// NameEN is the English name, "" when none is stored.
	NameEN string `json:"-"`
	// MetricSRID is the projected CRS of every area and distance in the city (migration 0002).
	MetricSRID int `json:"metric_srid"`
	// DefaultCaliber is the park-coverage caliber of a request that names none (migration 0015).
	DefaultCaliber string `json:"-"`
	// Adcode is the city's administrative code (the 城市体检 tables' 全市 row).
	Adcode string `json:"-"`
}

// cityCols are the columns of a City, in the order scanCity reads them. Every SELECT of
// cities in the service is in this file (TestCitiesAreReadOnlyHere keeps it so); the
// writers (the seed, the OSM import) insert and update rows and read them back here.
const cityCols = `id, slug, name, name_en, metric_srid, default_caliber, adcode`

func scanCity(r pgx.CollectableRow) (City, error) {
	var c City
	err := r.Scan(&c.ID, &c.Slug, &c.Name, &c.NameEN, &c.MetricSRID, &c.DefaultCaliber, &c.Adcode)
	return c, err
}

// Unknown is the fault of a city reference (a slug or an id, as the client gave it) that
// names no city: NotFound, detail `no city "x"` (the reference clipped to 64 bytes), member
// parameter=city.
func Unknown(ref string) *fault.Error {
	return fault.NotFound(fmt.Sprintf("no city %q", fault.Clip(ref))).With("parameter", "city")
}

// UnknownAsInvalid turns the Unknown fault in err into an Invalid one with the same detail
// and members, for callers where the city is a field of what the client sent (a new
// scenario, an import) rather than the thing it asked for. Any other err is returned as is.
func UnknownAsInvalid(err error) error {
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound && fe.Extra["parameter"] == "city" {
		inv := fault.Invalid(fe.Detail)
		for k, v := range fe.Extra {
			inv.With(k, v)
		}
		return inv
	}
	return err
}

func one(ctx context.Context, q Querier, ref, where string, arg any) (City, error) {
	rows, err := q.Query(ctx, `SELECT `+cityCols+` FROM cities WHERE `+where, arg)
	if err != nil {
		return City{}, fmt.Errorf("city %q: %w", fault.Clip(ref), err)
	}
	cities, err := pgx.CollectRows(rows, scanCity)
	if err != nil {
		return City{}, fmt.Errorf("city %q: %w", fault.Clip(ref), err)
	}
	if len(cities) == 0 {
		return City{}, Unknown(ref)
	}
	return cities[0], nil
}

// BySlug returns the city of slug; an unknown slug is Unknown(slug). In a transaction, it
// reads what the transaction sees (a city the transaction just created included).
func BySlug(ctx context.Context, q Querier, slug string) (City, error) {
	return one(ctx, q, slug, `slug = $1`, slug)
}

// ByID returns city id; an unknown id is Unknown of its decimal form.
func ByID(ctx context.Context, q Querier, id int) (City, error) {
	return one(ctx, q, strconv.Itoa(id), `id = $1`, id)
}

// Resolve returns the city ref names: a slug, or an id in decimal (a slug starts with a
// letter, so the two never collide). An unknown reference is Unknown(ref).
func Resolve(ctx context.Context, q Querier, ref string) (City, error) {
	if id, err := strconv.ParseInt(ref, 10, 32); err == nil {
		if id <= 0 {
			return City{}, Unknown(ref)
		}
		c, err := ByID(ctx, q, int(id))
		if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
			return c, Unknown(ref)
		}
		return c, err
	}
	return BySlug(ctx, q, ref)
}

// List returns every city, in id order.
func List(ctx context.Context, q Querier) ([]City, error) {
	rows, err := q.Query(ctx, `SELECT `+cityCols+` FROM cities ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cities: %w", err)
	}
	return pgx.CollectRows(rows, scanCity)
}

// Having returns the cities with at least one row in each of tables (city feature tables,
// as Read names them), in id order.
func Having(ctx context.Context, q Querier, tables ...string) ([]City, error) {
	var where strings.Builder
	where.WriteString("true")
	for _, t := range tables {
		if !featureTables[t] {
			return nil, fmt.Errorf("citydata: %q is not a city feature table", t)
		}
		where.WriteString(" AND EXISTS (SELECT 1 FROM " + pgx.Identifier{t}.Sanitize() + " x WHERE x.city_id = cities.id)")
	}
	rows, err := q.Query(ctx, `SELECT `+cityCols+` FROM cities WHERE `+where.String()+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cities with %v: %w", tables, err)
	}
	return pgx.CollectRows(rows, scanCity)
}

// At returns the cities whose outline covers the longitude/latitude point (EPSG:4326), in
// id order; when none does and the database holds exactly one city, that city (whatever
// its outline). A caller wants exactly one.
func At(ctx context.Context, q Querier, lon, lat float64) ([]City, error) {
	rows, err := q.Query(ctx, `
		WITH hit AS (SELECT `+cityCols+` FROM cities WHERE geom IS NOT NULL AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)))
		SELECT * FROM hit
		UNION ALL
		SELECT `+cityCols+` FROM cities WHERE NOT EXISTS (SELECT 1 FROM hit) AND (SELECT count(*) FROM cities) = 1
		ORDER BY id LIMIT 2`, lon, lat)
	if err != nil {
		return nil, fmt.Errorf("city at %g, %g: %w", lon, lat, err)
	}
	return pgx.CollectRows(rows, scanCity)
}

// MetricSRIDs returns the distinct metric CRSs of the cities, ascending.
func MetricSRIDs(ctx context.Context, q Querier) ([]int, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT metric_srid FROM cities ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("cities' metric CRSs: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}
