package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/testdb"
)

// newDB returns a migrated test database (migration 0007 holds this package's tables).
func newDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	db := testdb.New(t)
	if db == nil {
		return nil
	}
	return db.Pool
}

// sqlSubdividedCoverage is the independent PostGIS computation of GB/T 50563-2010 written
// from the standard (not from this package): the union of ST_Buffer(park, radius), cut into
// pieces by ST_Subdivide (pieces do not overlap, so their intersection areas add up), then
// per parcel ST_Intersection areas.
const sqlSubdividedCoverage = `
WITH counted AS (
    SELECT ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END) AS g
    FROM parks
    WHERE city_id = $1 AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
      AND open_status IN ('open', 'shared')
      AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000))
), pieces AS (
    SELECT ST_Subdivide(ST_Union(g), 256) AS g FROM counted
)
SELECT coalesce(sum(ST_Area(ST_Intersection(r.geom_m, p.g))), 0),
       (SELECT sum(ST_Area(geom_m)) FROM residential_land WHERE city_id = $1)
FROM residential_land r JOIN pieces p ON ST_Intersects(r.geom_m, p.g)
WHERE r.city_id = $1`

// sqlNaiveCoverage is the naive form: one big union, intersected with every parcel.
const sqlNaiveCoverage = `
WITH u AS (
    SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END)) AS g
    FROM parks
    WHERE city_id = $1 AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
      AND open_status IN ('open', 'shared')
      AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000))
)
SELECT coalesce(sum(ST_Area(ST_Intersection(r.geom_m, u.g))), 0),
       (SELECT sum(ST_Area(geom_m)) FROM residential_land WHERE city_id = $1)
FROM residential_land r, u WHERE r.city_id = $1 AND ST_Intersects(r.geom_m, u.g)`

func TestBufferAgreesWithPostGIS(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	gen := generateCity(7, 2000, 40)
	gen.load(t, pool, "gen2k")
	snap, err := Store{Pool: pool}.Load(ctx, "gen2k")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Parcels) != 2000 || len(snap.Parks) != 40 {
		t.Fatalf("loaded %d parcels, %d parks", len(snap.Parcels), len(snap.Parks))
	}
	res, err := Compute(ctx, snap, builtin(t, "gbt50563-2010"), Options{Method: caliber.Buffer})
	if err != nil {
		t.Fatal(err)
	}
	var cov, tot float64
	if err := pool.QueryRow(ctx, sqlSubdividedCoverage, snap.CityID).Scan(&cov, &tot); err != nil {
		t.Fatal(err)
	}
	goPct, sqlPct := 100*res.Ratio(), 100*cov/tot
	t.Logf("Go %.6f %% (%.2f of %.2f m²), PostGIS %.6f %% (%.2f of %.2f m²), %d parks counted", goPct, res.CoveredM2, res.TotalM2, sqlPct, cov, tot, len(res.Parks))
	if math.Abs(goPct-sqlPct) > 0.01 {
		t.Errorf("Go %.6f %% vs PostGIS %.6f %%: differ by more than 0.01 percentage points", goPct, sqlPct)
	}
	if goPct < 5 || goPct > 95 {
		t.Errorf("the generated city should be partly covered, got %.2f %%", goPct)
	}
	// Per parcel against PostGIS too: ST_Area(ST_Intersection(parcel, ST_Union(buffers))).
	want := testdb.Pairs[int64, float64](ctx, t, pool, `
		WITH u AS (SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END)) g FROM parks
		           WHERE city_id = $1 AND park_class <> 'square' AND open_status <> 'closed'
		             AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000)))
		SELECT r.id, ST_Area(ST_Intersection(r.geom_m, u.g)) FROM residential_land r, u WHERE r.city_id = $1 AND r.id % 7 = 0`, snap.CityID)
	for i, p := range snap.Parcels {
		if w, ok := want[p.ID]; ok && math.Abs(res.Covered[i]-w) > 0.01 {
			t.Errorf("parcel %d: Go %.4f m², PostGIS %.4f m²", p.ID, res.Covered[i], w)
		}
	}
	// The levels add up to the city.
	for _, lv := range Levels {
		figs, err := res.ByLevel(lv)
		if err != nil {
			t.Fatal(err)
		}
		var c, tt float64
		for _, f := range figs {
			c, tt = c+f.CoveredM2, tt+f.TotalM2
		}
		if math.Abs(c-res.CoveredM2) > 1e-3 || math.Abs(tt-res.TotalM2) > 1e-3 {
			t.Errorf("%s: areas add up to %.3f / %.3f, city %.3f / %.3f", lv, c, tt, res.CoveredM2, res.TotalM2)
		}
	}
	// Network ≤ buffer on the generated city too.
	cal := builtin(t, "gbt50563-2010")
	net, err := Compute(ctx, snap, cal, Options{Method: caliber.Network})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("network %.4f %% vs buffer %.4f %%", 100*net.Ratio(), 100*res.Ratio())
	assertNetworkWithinBuffer(t, net, res)
	if net.Ratio() <= 0 {
		t.Errorf("network coverage is zero on the generated city")
	}
}
