package coverage_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// sqlBandShare is the independent PostGIS computation of the population share of age
// bands $2 under who-300m (green space ≥ 0.5 ha, open or shared, 300 m straight line),
// written from the caliber and docs/capacity.md, not from this package: each parcel's
// covered area by ST_Intersection with the union of ST_Buffer(park, 300); its community
// by ST_Contains of its ST_PointOnSurface; its band residents N_c · pop_i / Σ_{k∈c} pop_k
// by a window sum; the share Σ band residents × covered/area over Σ band residents.
const sqlBandShare = `
WITH u AS (SELECT ST_Union(ST_Buffer(geom_m, 300)) AS g FROM parks
           WHERE city_id = $1 AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
             AND open_status IN ('open', 'shared') AND area_m2 >= 5000),
pc AS (SELECT r.id, r.population::float8 AS pop, ST_Area(r.geom_m) AS a,
              coalesce(ST_Area(ST_Intersection(r.geom_m, u.g)), 0) AS cov,
              (SELECT c.id FROM communities c WHERE c.city_id = $1 AND ST_Contains(c.geom_m, ST_PointOnSurface(r.geom_m))
               ORDER BY c.id LIMIT 1) AS cid
       FROM residential_land r, u WHERE r.city_id = $1 AND r.geom_m IS NOT NULL),
n AS (SELECT community_id AS cid, sum(population)::float8 AS n FROM community_age_population
      WHERE band = ANY($2) GROUP BY community_id),
p AS (SELECT pc.*, coalesce(n.n * pc.pop / nullif(sum(pc.pop) OVER (PARTITION BY pc.cid), 0), 0) AS w
      FROM pc LEFT JOIN n ON n.cid = pc.cid)
SELECT sum(w * cov / nullif(a, 0)), sum(w), sum(cov) / sum(a) FROM p`

// bandDemo seeds the demo city (scale 0.05, with its synthetic age structure) in a test
// database and returns it with the built-in calibers.
func bandDemo(t *testing.T) (*testdb.DB, *caliber.Registry) {
	t.Helper()
	db := testdb.New(t)
	if _, err := seed.Demo(context.Background(), db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return db, reg
}

// TestBandShareAgreesWithPostGIS: on the demo city (scale 0.05, with its synthetic age
// structure), the park coverage of who-300m for band=60-80 and band=0-3,3-6 has the
// residential-area ratio of every resident's run and the population share of sqlBandShare
// to 1e-9; band runs are stored and reused by band, and a change of the age counts is a
// new run; bad bands are Invalid faults naming band.
func TestBandShareAgreesWithPostGIS(t *testing.T) {
	db, reg := bandDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	svc := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg, Ages: capacity.Ages{Store: capacity.Store{Pool: db.Pool}}}
	defer svc.Close(context.Background()) //nolint:errcheck // test cleanup
	q := coverage.Query{City: "baotou", Caliber: "who-300m", Method: caliber.Buffer}
	all, err := svc.Indicator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var cityID int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = 'baotou'`).Scan(&cityID); err != nil {
		t.Fatal(err)
	}
	for _, bands := range [][]string{{"60-80"}, {"3-6", "0-3"}} {
		var cov, tot, ratio float64
		if err := db.Pool.QueryRow(ctx, sqlBandShare, cityID, bands).Scan(&cov, &tot, &ratio); err != nil {
			t.Fatal(err)
		}
		q.Bands = bands
		rep, err := svc.Indicator(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		f := rep.City1
		t.Logf("band %v: Go share %.12f (%.3f of %.3f), PostGIS %.12f (%.3f of %.3f); ratio %.9f, every resident's share %.9f",
			bands, f.PopulationShare, f.CoveredPopulation, f.Population, cov/tot, cov, tot, f.Ratio, all.City1.PopulationShare)
		if math.Abs(f.PopulationShare-cov/tot) > 1e-9 {
			t.Errorf("band %v: share %.12f, PostGIS %.12f", bands, f.PopulationShare, cov/tot)
		}
		if math.Abs(f.Population-tot) > 1e-6*tot {
			t.Errorf("band %v: %.6f residents, PostGIS %.6f", bands, f.Population, tot)
		}
		if f.Ratio != all.City1.Ratio || math.Abs(f.Ratio-ratio) > 1e-9 {
			t.Errorf("band %v: ratio %.12f, every resident's %.12f, PostGIS %.12f", bands, f.Ratio, all.City1.Ratio, ratio)
		}
		if f.PerCapita == nil || all.City1.PerCapita == nil || f.PerCapita.ParkPerCapita != all.City1.PerCapita.ParkPerCapita {
			t.Errorf("band %v: the per-capita park area must stay per resident: %+v vs %+v", bands, f.PerCapita, all.City1.PerCapita)
		}
		if rep.Reused || rep.Run.ID == all.Run.ID || (len(bands) == 2 && rep.Run.Band != "0-3,3-6") {
			t.Errorf("band %v: run %+v reused %v, every resident's run %d", bands, rep.Run, rep.Reused, all.Run.ID)
		}
		again, err := svc.Indicator(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Reused || again.Run.ID != rep.Run.ID || again.City1.PopulationShare != f.PopulationShare {
			t.Errorf("band %v: second answer run %d reused %v, want run %d reused", bands, again.Run.ID, again.Reused, rep.Run.ID)
		}
	}
	// The age counts are part of the key: a changed count is a new run.
	if _, err := db.Pool.Exec(ctx, `UPDATE community_age_population SET population = population + 100
		WHERE band = '60-80' AND community_id = (SELECT min(community_id) FROM community_age_population)`); err != nil {
		t.Fatal(err)
	}
	q.Bands = []string{"60-80"}
	rep, err := svc.Indicator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reused {
		t.Errorf("after an age count changed the band run was reused (run %d)", rep.Run.ID)
	}
	for _, bad := range [][]string{{"60-70"}, {""}, {"60-80", "x"}} {
		q.Bands = bad
		_, err := svc.Indicator(ctx, q)
		if f := fault.As(err); f == nil || f.Kind != fault.KindInvalid || f.Extra["parameter"] != "band" {
			t.Errorf("band %q: %v, want an Invalid fault naming band", bad, err)
		}
	}
}
