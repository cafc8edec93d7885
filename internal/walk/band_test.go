package walk_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
	"github.com/cityreach/cityreach/internal/walk"
)

// bandWeights makes the temporary table band_w on conn: each parcel's residents of bands
// (id, community cid, w), spread in SQL from the community counts (community by ST_Contains
// of ST_PointOnSurface, N_c · pop_i / Σ_{k∈c} pop_k), replacing any made before.
func bandWeights(t *testing.T, ctx context.Context, conn *pgxpool.Conn, cityID int, bands []string) {
	t.Helper()
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS band_w`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE band_w AS
		WITH pc AS (SELECT r.id, r.population::float8 AS pop,
			(SELECT c.id FROM communities c WHERE c.city_id = $1 AND ST_Contains(c.geom_m, ST_PointOnSurface(r.geom_m)) ORDER BY c.id LIMIT 1) AS cid
			FROM residential_land r WHERE r.city_id = $1 AND r.geom_m IS NOT NULL),
		n AS (SELECT community_id AS cid, sum(population)::float8 AS n FROM community_age_population WHERE band = ANY($2) GROUP BY community_id)
		SELECT pc.id, pc.cid, coalesce(n.n * pc.pop / nullif(sum(pc.pop) OVER (PARTITION BY pc.cid), 0), 0) AS w
		FROM pc LEFT JOIN n ON n.cid = pc.cid`, cityID, bands); err != nil {
		t.Fatal(err)
	}
}

// bandOracle returns the city's baseline inputs and reach on ws and a connection of pool
// (released when the test ends) holding band_w for bands (bandWeights).
func bandOracle(t *testing.T, ctx context.Context, ws *walk.Service, pool *pgxpool.Pool, city walk.City, bands []string) (*walk.Inputs, *walk.Reach, *pgxpool.Conn) {
	t.Helper()
	_, in, r, err := ws.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	bandWeights(t, ctx, conn, city.ID, bands)
	return in, r, conn
}

// cityShares is, by SQL over band_w, each category's city population share: the band
// residents of the parcels within its tier (by r's distances) over all of them.
func cityShares(t *testing.T, ctx context.Context, conn *pgxpool.Conn, in *walk.Inputs, r *walk.Reach) []float64 {
	t.Helper()
	out := make([]float64, len(r.Categories))
	for k, c := range r.Categories {
		var ids []int64
		for p := range in.Parcels {
			if r.Dist[k][p] <= c.ReachM {
				ids = append(ids, in.Parcels[p].ID)
			}
		}
		var cov, tot float64
		if err := conn.QueryRow(ctx, `SELECT coalesce(sum(w) FILTER (WHERE id = ANY($1)), 0), sum(w) FROM band_w`, ids).Scan(&cov, &tot); err != nil {
			t.Fatal(err)
		}
		out[k] = cov / tot
	}
	return out
}

// TestLivingCircleBandShare: on the demo city (scale 0.05, synthetic age structure), the
// living circle with band=60-80,80- gives, for every category, the city's and every
// community's population share equal to a PostGIS computation to 1e-9: the band residents
// spread in SQL (community by ST_Contains of ST_PointOnSurface, N_c · pop_i / Σ_{k∈c}
// pop_k), summed over the parcels within the category's tier (which parcels are within
// it is the engine's reach, itself checked against pgRouting in oracle_test.go) over
// all. The area shares are those of every resident's report.
func TestLivingCircleBandShare(t *testing.T) {
	db := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(db.Pool, nil)
	ws.Ages = capacity.Ages{Store: capacity.Store{Pool: db.Pool}}
	bands := []string{"80-", "60-80"}
	rep, err := ws.LivingCircle(ctx, "baotou", walk.Options{Level: walk.LevelCommunity, Bands: bands})
	if err != nil {
		t.Fatal(err)
	}
	all, err := ws.LivingCircle(ctx, "baotou", walk.Options{Level: walk.LevelCommunity})
	if err != nil {
		t.Fatal(err)
	}
	city, err := ws.City(ctx, "baotou")
	if err != nil {
		t.Fatal(err)
	}
	in, r, conn := bandOracle(t, ctx, ws, db.Pool, city, bands)
	byID := map[int64]walk.AreaReport{}
	for _, a := range rep.Areas {
		byID[a.ID] = a
	}
	cityRep, err := ws.LivingCircle(ctx, "baotou", walk.Options{Bands: bands})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for k, c := range r.Categories {
		var ids []int64
		for p := range in.Parcels {
			if r.Dist[k][p] <= c.ReachM {
				ids = append(ids, in.Parcels[p].ID)
			}
		}
		rows, err := conn.Query(ctx, `SELECT cid, coalesce(sum(w) FILTER (WHERE id = ANY($1)), 0), sum(w) FROM band_w
			WHERE cid IS NOT NULL GROUP BY cid`, ids)
		if err != nil {
			t.Fatal(err)
		}
		type sums struct{ cov, tot float64 }
		want := map[int64]sums{}
		for rows.Next() {
			var id int64
			var s sums
			if err := rows.Scan(&id, &s.cov, &s.tot); err != nil {
				t.Fatal(err)
			}
			want[id] = s
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for id, s := range want {
			a, ok := byID[id]
			if !ok {
				t.Fatalf("community %d has parcels but no row", id)
			}
			got := a.Coverage[k].PopulationShare
			exp := 0.0
			if s.tot > 0 {
				exp = s.cov / s.tot
			}
			if math.Abs(got-exp) > 1e-9 || math.Abs(a.Population-s.tot) > 1e-6*math.Max(1, s.tot) {
				t.Errorf("%s community %d: share %.12f of %.6f, PostGIS %.12f of %.6f", c.Code, id, got, a.Population, exp, s.tot)
			}
			checked++
		}
	}
	t.Logf("%d community × category shares equal PostGIS's", checked)
	if checked == 0 {
		t.Fatal("nothing compared")
	}
	// The city figures, by SQL over every parcel.
	allCity, err := ws.LivingCircle(ctx, "baotou", walk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range cityShares(t, ctx, conn, in, r) {
		got := cityRep.Areas[0].Coverage[k]
		if math.Abs(got.PopulationShare-want) > 1e-9 {
			t.Errorf("%s city: share %.12f, PostGIS %.12f", r.Categories[k].Code, got.PopulationShare, want)
		}
		if k < 3 {
			t.Logf("%s: 60+ share %.6f (PostGIS %.6f), every resident's %.6f", r.Categories[k].Code, got.PopulationShare, want, allCity.Areas[0].Coverage[k].PopulationShare)
		}
	}
	if len(cityRep.Bands) != 2 || cityRep.Bands[0] != "60-80" {
		t.Errorf("bands answered %v, want the canonical order [60-80 80-]", cityRep.Bands)
	}
	for i := range all.Areas {
		for k := range all.Areas[i].Coverage {
			if all.Areas[i].Coverage[k].AreaShare != rep.Areas[i].Coverage[k].AreaShare {
				t.Fatalf("area %d %s: area share changed with band", all.Areas[i].ID, all.Areas[i].Coverage[k].Code)
			}
		}
	}
	for _, bad := range [][]string{{"60-70"}, {""}} {
		_, err := ws.LivingCircle(ctx, "baotou", walk.Options{Bands: bad})
		if f := fault.As(err); f == nil || f.Kind != fault.KindInvalid || f.Extra["parameter"] != "band" {
			t.Errorf("band %q: %v, want an Invalid fault naming band", bad, err)
		}
	}
}

// TestLivingCircleBandCountsKept: the living circle with band= on Ages made as cityreach
// serve makes them (capacity.NewAges with the tile service's listener), the ages on a pool
// of their own whose statements are counted: a repeated request runs none there; after
// a plain-SQL edit of a community's 60–80 count the next one reads the ages again and
// every category's city population share equals the SQL spread on the edited rows.
func TestLivingCircleBandCountsKept(t *testing.T) {
	db := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	count, agePool := testdb.Counted(t, db.Pool)
	ts := tilestest.Live(t, t.Context(), db.Pool, tiles.Options{CacheBytes: 1 << 20})
	ws := walk.NewService(db.Pool, nil)
	ws.Watch = ts
	ws.Ages = capacity.NewAges(capacity.Store{Pool: agePool}, ts)
	bands := []string{"60-80"}
	check := func(label string) []float64 {
		t.Helper()
		rep, err := ws.LivingCircle(ctx, "baotou", walk.Options{Bands: bands})
		if err != nil {
			t.Fatal(err)
		}
		in, r, conn := bandOracle(t, ctx, ws, db.Pool, rep.City, bands)
		shares := cityShares(t, ctx, conn, in, r)
		for k, want := range shares {
			if got := rep.Areas[0].Coverage[k].PopulationShare; math.Abs(got-want) > 1e-9 {
				t.Errorf("%s: %s city share %.12f, PostGIS %.12f", label, r.Categories[k].Code, got, want)
			}
		}
		return shares
	}
	before := check("first")
	count.Take()
	if _, err := ws.LivingCircle(ctx, "baotou", walk.Options{Bands: bands}); err != nil {
		t.Fatal(err)
	}
	if s := count.Take(); len(s) != 0 {
		t.Errorf("a repeated band= request ran %d statements on the ages' pool, want none: %q", len(s), s)
	}
	if tag, err := db.Pool.Exec(ctx, `UPDATE community_age_population SET population = population + 500, updated_at = now()
		WHERE band = '60-80' AND community_id = (SELECT min(a.community_id) FROM community_age_population a
			JOIN communities c ON c.id = a.community_id JOIN cities ci ON ci.id = c.city_id WHERE ci.slug = 'baotou')`); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age edit: %v (%d rows)", err, tag.RowsAffected())
	}
	if after := check("after the edit"); slices.Equal(after, before) {
		t.Error("the edit moved no category's share: the check tells nothing")
	}
	if s := count.Take(); len(s) == 0 {
		t.Error("the band= request after an age edit read no age table")
	}
}
