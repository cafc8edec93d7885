package capacity_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// oracleSetup builds, in temporary tables of one connection, everything the independent
// computation needs, from PostGIS and pgRouting alone:
//
//   - ora_att: every residential parcel (its point on surface) and every facility of the
//     category with a capacity, attached to the nearest walkable edge within 200 m
//     (ST_Distance, ties to the lower edge id): access leg and offset along the edge
//     (ST_LineLocatePoint × length_m);
//   - ora_nodes: pgr_dijkstraCost between the end nodes of the facilities' edges and those
//     of the parcels' edges, on cost = reverse_cost = length_m (undirected);
//   - ora_d: for the pairs within d0 in a straight line (a walk is never shorter),
//     d_ij = leg_j + leg_i + the shortest of the four end-node combinations (offset
//     to the end, node distance, end to offset) and, on a shared edge, |off_j − off_i|;
//   - ora_p: the parcel's demand, the community's band count spread in proportion to
//     parcel residents (the community containing the point on surface: ST_Contains).
//
// For parks (category park_square) the supply points are the recorded entrances of the
// open and shared parks (every demo park has some), the supply ST_Area of the park, and
// d_ij the shortest over the park's entrances.
//
// noSteps leaves the edges with steps out of both the attachments and pgRouting's graph (a
// walking profile without steps).
func oracleSetup(t *testing.T, ctx context.Context, conn *pgxpool.Conn, city int, category string, bands []string, d0 float64, noSteps bool) {
	t.Helper()
	supply := `SELECT 'f', id, capacity, geom_m FROM facilities WHERE city_id = $1 AND category = $2 AND capacity IS NOT NULL AND geom_m IS NOT NULL`
	if category == "park_square" {
		supply = `SELECT 'f', p.id, ST_Area(p.geom_m), e.geom_m FROM parks p JOIN park_entrances e ON e.park_id = p.id AND e.city_id = p.city_id
			WHERE p.city_id = $1 AND $2 = 'park_square' AND p.open_status IN ('open', 'shared') AND e.geom_m IS NOT NULL`
	}
	edges := fmt.Sprintf(`SELECT id, source, target, length_m AS cost, length_m AS reverse_cost
		FROM network_edges WHERE city_id = %d AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL AND NOT (steps AND %t)`, city, noSteps)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`CREATE TEMP TABLE ora_e AS SELECT id, source, target, length_m, geom_m FROM network_edges
			WHERE city_id = $1 AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL AND NOT (steps AND $2)`, []any{city, noSteps}},
		{`CREATE TEMP TABLE ora_pt AS
			SELECT 'p' AS kind, id, population::float8 AS w, ST_PointOnSurface(geom_m) AS p FROM residential_land WHERE city_id = $1 AND geom_m IS NOT NULL
			UNION ALL
			` + supply, []any{city, category}},
		{`CREATE TEMP TABLE ora_att AS SELECT pt.kind, pt.id, pt.w, pt.p, a.* FROM ora_pt pt CROSS JOIN LATERAL (
			SELECT e.id AS eid, e.source, e.target, e.length_m AS len, ST_Distance(e.geom_m, pt.p) AS leg,
			       ST_LineLocatePoint(e.geom_m, pt.p) * e.length_m AS off
			FROM ora_e e WHERE ST_DWithin(e.geom_m, pt.p, 200) ORDER BY ST_Distance(e.geom_m, pt.p), e.id LIMIT 1) a`, nil},
		{`CREATE TEMP TABLE ora_nodes AS
			SELECT start_vid AS a, end_vid AS b, agg_cost AS d FROM pgr_dijkstraCost($1,
				(SELECT array_agg(DISTINCT n) FROM ora_att, unnest(ARRAY[source, target]) n WHERE kind = 'f'),
				(SELECT array_agg(DISTINCT n) FROM ora_att, unnest(ARRAY[source, target]) n WHERE kind = 'p'), directed => false)
			UNION ALL SELECT n, n, 0 FROM (SELECT DISTINCT unnest(ARRAY[source, target]) n FROM ora_att WHERE kind = 'f') s`, []any{edges}},
		{`CREATE INDEX ON ora_nodes (a, b)`, nil},
		{`CREATE TEMP TABLE ora_s AS SELECT DISTINCT id AS fid, w FROM ora_att WHERE kind = 'f'`, nil},
		{`CREATE TEMP TABLE ora_d AS
			SELECT f.id AS fid, p.id AS pid, min(f.leg + p.leg + least(
				CASE WHEN f.eid = p.eid THEN abs(f.off - p.off) END,
				f.off + (SELECT d FROM ora_nodes WHERE a = f.source AND b = p.source) + p.off,
				f.off + (SELECT d FROM ora_nodes WHERE a = f.source AND b = p.target) + (p.len - p.off),
				(f.len - f.off) + (SELECT d FROM ora_nodes WHERE a = f.target AND b = p.source) + p.off,
				(f.len - f.off) + (SELECT d FROM ora_nodes WHERE a = f.target AND b = p.target) + (p.len - p.off))) AS d
			FROM ora_att f, ora_att p WHERE f.kind = 'f' AND p.kind = 'p' AND ST_DWithin(f.p, p.p, $1) GROUP BY f.id, p.id`, []any{d0}},
		{`CREATE TEMP TABLE ora_p AS
			WITH pc AS (SELECT r.id, r.population::float8 AS pop,
				(SELECT c.id FROM communities c WHERE c.city_id = $1 AND ST_Contains(c.geom_m, ST_PointOnSurface(r.geom_m)) ORDER BY c.id LIMIT 1) AS cid
				FROM residential_land r WHERE r.city_id = $1 AND r.geom_m IS NOT NULL),
			n AS (SELECT community_id AS cid, sum(population)::float8 AS n FROM community_age_population WHERE band = ANY($2) GROUP BY community_id)
			SELECT pc.id, pc.cid, pc.pop, n.n IS NOT NULL AS known,
				coalesce(n.n * pc.pop / nullif(sum(pc.pop) OVER (PARTITION BY pc.cid), 0), 0) AS demand
			FROM pc LEFT JOIN n ON n.cid = pc.cid`, []any{city, bands}},
	} {
		if _, err := conn.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// oracleNeed is, by SQL over ora_p, each parcel's demand and what the category's norm
// (facility_categories.capacity_norm per 1,000 residents of its basis) asks for it: 0 where
// the band demand is unknown.
func oracleNeed(t *testing.T, ctx context.Context, conn *pgxpool.Conn, category string) (demand, need map[int64]float64) {
	t.Helper()
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := conn.Query(ctx, `SELECT p.id, p.demand, CASE WHEN NOT p.known THEN 0
			WHEN c.capacity_norm_basis = 'residents' THEN c.capacity_norm / 1000 * p.pop ELSE c.capacity_norm / 1000 * p.demand END
		FROM ora_p p, facility_categories c WHERE c.code = $1`, category)
	if err != nil {
		t.Fatal(err)
	}
	demand, need = map[int64]float64{}, map[int64]float64{}
	var id int64
	var d, n float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &d, &n}, func() error { demand[id], need[id] = d, n; return nil }); err != nil {
		t.Fatal(err)
	}
	return demand, need
}

// oracleAccess is A_i by SQL over ora_d and ora_p, with weight expression w(d) for radius d0.
func oracleAccess(t *testing.T, ctx context.Context, conn *pgxpool.Conn, d0 float64, gaussian bool) map[int64]float64 {
	t.Helper()
	w := `1.0`
	if gaussian {
		w = `(exp(-0.5 * (d.d / $1) ^ 2) - exp(-0.5)) / (1 - exp(-0.5))`
	}
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := conn.Query(ctx, `WITH l AS (SELECT d.fid, d.pid, `+w+` AS w FROM ora_d d WHERE d.d <= $1),
		r AS (SELECT l.fid, f.w / sum(l.w * p.demand) AS r FROM l JOIN ora_p p ON p.id = l.pid JOIN ora_s f ON f.fid = l.fid
		      GROUP BY l.fid, f.w HAVING sum(l.w * p.demand) > 0)
		SELECT p.id, coalesce((SELECT sum(l.w * r.r) FROM l JOIN r ON r.fid = l.fid WHERE l.pid = p.id), 0) FROM ora_p p`, d0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]float64{}
	var id int64
	var a float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &a}, func() error { out[id] = a; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// oracleCase is one capacity request checked against the SQL/pgRouting computation.
type oracleCase struct {
	category string
	bands    []string
	d0       float64 // 0: the category's reach, scaled by the profile
	decay    string
	profile  string
}

// checkOracle asks svc for c by parcel and checks, for every parcel, A_i against
// oracleAccess and the need and gap against oracleNeed to 1e-9; it returns the report.
func checkOracle(t *testing.T, ctx context.Context, db *testdb.DB, svc *capacity.Service, city int, c oracleCase) *capacity.Report {
	t.Helper()
	rep, err := svc.Capacity(ctx, "baotou", capacity.Options{Category: c.category, Bands: c.bands, D0: c.d0, Decay: c.decay, Profile: c.profile, Level: capacity.LevelParcel})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := walk.ProfileByCode(c.profile)
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	defer conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS ora_e, ora_pt, ora_att, ora_s, ora_nodes, ora_d, ora_p`) //nolint:errcheck
	oracleSetup(t, ctx, conn, city, c.category, rep.Bands, rep.D0, p.NoSteps)
	want := oracleAccess(t, ctx, conn, rep.D0, c.decay == capacity.DecayGaussian)
	demand, need := oracleNeed(t, ctx, conn, c.category)
	if len(want) != len(rep.Parcels) {
		t.Fatalf("%d parcels in SQL, %d in the report", len(want), len(rep.Parcels))
	}
	served, worst, sumNeed := 0, 0.0, 0.0
	for _, p := range rep.Parcels {
		w, ok := want[p.ID]
		if !ok {
			t.Fatalf("parcel %d not in SQL", p.ID)
		}
		if math.Abs(p.Access-w) > 1e-9 {
			t.Errorf("parcel %d: A = %.12f, SQL/pgRouting %.12f", p.ID, p.Access, w)
		}
		if math.Abs(p.Need-need[p.ID]) > 1e-9 || math.Abs(p.Gap-(need[p.ID]-w*demand[p.ID])) > 1e-9 {
			t.Errorf("parcel %d: need %.12f, gap %.12f; SQL %.12f, %.12f", p.ID, p.Need, p.Gap, need[p.ID], need[p.ID]-w*demand[p.ID])
		}
		worst = math.Max(worst, math.Abs(p.Access-w))
		sumNeed += need[p.ID]
		if w > 0 {
			served++
		}
	}
	if served < len(rep.Parcels)/10 || served == len(rep.Parcels) {
		t.Errorf("%d of %d parcels have capacity in reach: the comparison is not discriminating", served, len(rep.Parcels))
	}
	if math.Abs(rep.Totals.Need-sumNeed) > 1e-6 {
		t.Errorf("city need %.9f, SQL %.9f", rep.Totals.Need, sumNeed)
	}
	t.Logf("%s %v %s d0 %.0f: %d parcels equal (largest difference %.3g), %d with capacity in reach; norm %g per 1,000 (%s); city demand %.1f, served %.1f, need %.1f, gap %.1f, attainment %.3f",
		c.category, rep.Bands, c.profile, rep.D0, len(rep.Parcels), worst, served, rep.Norm.PerThousand, rep.Norm.Basis,
		rep.Totals.Demand, rep.Totals.Served, rep.Totals.Need, rep.Totals.Gap, rep.Totals.Attainment)
	return rep
}

// demoOracle seeds the demo city at scale 0.05 and returns its id with a capacity service.
func demoOracle(t *testing.T) (*testdb.DB, *capacity.Service, int) {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting`); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(db.Pool, nil)
	svc := &capacity.Service{Walk: ws, Store: capacity.Store{Pool: db.Pool}}
	city, err := ws.City(ctx, "baotou")
	if err != nil {
		t.Fatal(err)
	}
	return db, svc, city.ID
}

// TestOracleDemo: on the demo city, the 2SFCA access of every parcel equals the SQL and
// pgRouting computation above to 1e-9, and so do its need and gap against the category's
// norm (migration 0027), for primary-school seats against children 6–12 (no decay, d0
// 500 m), kindergarten places against children 3–6 (Gaussian, 400 m), park area against
// residents 60–80 (no decay, 270 m, the nearest entrance of each park), elderly-care beds
// against residents 60+ (30 per 1,000 of them) and nursery places (4.5 per 1,000 residents
// of every age, the demand children 0–3). The wheelchair profile walks without the steps
// edges: checked against pgRouting on the edges less the steps, and different from the
// elderly profile (the same speed, with the steps).
func TestOracleDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, svc, city := demoOracle(t)
	for _, c := range []oracleCase{
		{"primary_school", []string{"6-12"}, 500, capacity.DecayNone, ""},
		{"kindergarten", []string{"3-6"}, 400, capacity.DecayGaussian, ""},
		// Park area per resident 60–80 within 270 m (the elderly profile's 300 m × 3.6/4).
		{"park_square", []string{"60-80"}, 270, capacity.DecayNone, ""},
		{"elderly_care", nil, 0, capacity.DecayNone, ""},
		{"nursery", nil, 0, capacity.DecayNone, ""},
	} {
		t.Run(c.category, func(t *testing.T) { checkOracle(t, ctx, db, svc, city, c) })
	}
	t.Run("steps", func(t *testing.T) {
		with := checkOracle(t, ctx, db, svc, city, oracleCase{"primary_school", nil, 0, capacity.DecayNone, "elderly"})
		without := checkOracle(t, ctx, db, svc, city, oracleCase{"primary_school", nil, 0, capacity.DecayNone, "wheelchair"})
		differ := 0
		for i := range with.Parcels {
			if math.Abs(with.Parcels[i].Access-without.Parcels[i].Access) > 1e-9 {
				differ++
			}
		}
		if differ == 0 {
			t.Error("the steps edges change no parcel's access: the comparison is not discriminating")
		}
		t.Logf("without the steps %d of %d parcels have another access", differ, len(with.Parcels))
	})
}
