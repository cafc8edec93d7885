package walk

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/testdb"
)

// oracleCutoff is the search radius of the pgRouting comparison.
const oracleCutoff = 2000.0

// edgesSQL is the pgRouting edge query of a city: the same rows the loader reads, with
// cost = reverse_cost = length_m (undirected walking). pgRouting takes SQL text, so the
// city id (an integer of this test) is formatted in.
func edgesSQL(city int) string {
	return fmt.Sprintf(`SELECT id, source, target, length_m AS cost, length_m AS reverse_cost
		FROM network_edges WHERE city_id = %d AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL`, city)
}

// compareWithPgRouting loads the city with Load, then for origins sampled among its
// nodes compares every node distance within oracleCutoff with pgr_drivingDistance (equal
// to 1e-6 m, same node set), and a sample of pairs with pgr_dijkstraCost.
func compareWithPgRouting(t *testing.T, pool *pgxpool.Pool, city int, origins int, seed uint64) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting`); err != nil {
		t.Fatal(err)
	}
	n, err := Load(ctx, pool, city)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("network: %+v", n.Stats)
	if n.Graph.NumNodes() == 0 {
		t.Fatal("empty network")
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	ids := make([]int64, 0, origins)
	for range origins {
		ids = append(ids, n.Graph.NodeID(int32(rng.IntN(n.Graph.NumNodes()))))
	}
	rows, err := pool.Query(ctx, `SELECT from_v, node, agg_cost FROM pgr_drivingDistance($1, $2::bigint[], $3::float8, directed => false)`,
		edgesSQL(city), ids, oracleCutoff)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]map[int64]float64{}
	for rows.Next() {
		var from, node int64
		var d float64
		if err := rows.Scan(&from, &node, &d); err != nil {
			t.Fatal(err)
		}
		if want[from] == nil {
			want[from] = map[int64]float64{}
		}
		want[from][node] = d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	compared, worst := 0, 0.0
	for _, o := range ids {
		s := runFrom(t, n, mustNode(t, n, o), oracleCutoff)
		w := want[o]
		for node, d := range w {
			got := s.Dist(mustNode(t, n, node))
			if math.Abs(got-d) > 1e-6 {
				t.Fatalf("origin %d node %d: engine %.9f m, pgr_drivingDistance %.9f m", o, node, got, d)
			}
			worst = math.Max(worst, math.Abs(got-d))
			compared++
		}
		for _, i := range s.Reached() {
			if _, ok := w[n.Graph.NodeID(i)]; !ok && s.Dist(i) < oracleCutoff-1e-6 {
				t.Fatalf("origin %d: engine reaches node %d at %.6f m, pgRouting does not", o, n.Graph.NodeID(i), s.Dist(i))
			}
		}
	}
	t.Logf("pgr_drivingDistance: %d origins, %d node distances equal (largest difference %.3g m)", len(ids), compared, worst)

	// pgr_dijkstraCost between random pairs, no cutoff.
	var a, b []int64
	for range 40 {
		a = append(a, n.Graph.NodeID(int32(rng.IntN(n.Graph.NumNodes()))))
		b = append(b, n.Graph.NodeID(int32(rng.IntN(n.Graph.NumNodes()))))
	}
	pairs := 0
	for i := range a {
		var d float64
		err := pool.QueryRow(ctx, `SELECT agg_cost FROM pgr_dijkstraCost($1, $2::bigint, $3::bigint, directed => false)`, edgesSQL(city), a[i], b[i]).Scan(&d)
		s := runFrom(t, n, mustNode(t, n, a[i]), math.Inf(1))
		got := s.Dist(mustNode(t, n, b[i]))
		if errors.Is(err, pgx.ErrNoRows) {
			if a[i] != b[i] && !math.IsInf(got, 1) {
				t.Fatalf("%d→%d: pgRouting finds no path, engine %.6f m", a[i], b[i], got)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-d) > 1e-6 {
			t.Fatalf("%d→%d: engine %.9f m, pgr_dijkstraCost %.9f m", a[i], b[i], got, d)
		}
		pairs++
	}
	t.Logf("pgr_dijkstraCost: %d pairs equal", pairs)
}

// TestOracleGrid compares the engine, fed by the PostGIS loader, with pgRouting on a
// generated grid city with bent edges, barriers and a detached component.
func TestOracleGrid(t *testing.T) {
	db := testdb.New(t)
	city := newCity(t, db.Pool, "grid")
	insertEdges(t, db.Pool, city.ID, gridCity(45, 45, 75, 11, true))
	compareWithPgRouting(t, db.Pool, city.ID, 25, 3)
}

// osmCities are the real networks (geodata/ or ../shared/data) the OSM importer loads.
var osmCities = []struct{ slug, file string }{
	{"monaco", "monaco.osm.pbf"},
	{"helsinki", "helsinki_center.osm.pbf"},
}

// osmImportArgs is the cityreach command line that imports an OSM extract as a city. The
// importer (internal/osmimport) is written by another session; adjust here if its
// command line differs.
func osmImportArgs(slug, file string) []string {
	return []string{"import", "osm", file, "--city", slug, "--bulk", "--quiet"}
}

// TestOracleOSM runs the pgRouting comparison on the real Monaco and Helsinki networks,
// imported with the OSM importer. It is skipped only while internal/osmimport has no
// code yet.
func TestOracleOSM(t *testing.T) {
	root := testdb.RepoRoot(t)
	for _, c := range osmCities {
		t.Run(c.slug, func(t *testing.T) {
			db := testdb.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			args := append([]string{"run", "./cmd/cityreach"}, osmImportArgs(c.slug, testdb.DataFile(t, c.file))...)
			cmd := exec.CommandContext(ctx, "go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			var id int
			if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = $1`, c.slug).Scan(&id); err != nil {
				t.Fatalf("the importer made no city %q: %v", c.slug, err)
			}
			compareWithPgRouting(t, db.Pool, id, 30, 5)
		})
	}
}
