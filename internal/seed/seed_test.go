package seed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/synth"
	"github.com/cityreach/cityreach/internal/testdb"
)

// Tests run the generator at scale 0.05 (≈ 24 communities, 3,700 edges) so each load takes
// a couple of seconds. Every expected value comes from PostGIS or pgRouting, not from the
// generator's own bookkeeping, except the manifest names the checks look for.

const testScale = 0.05

func seedDB(t *testing.T, p synth.Params) (*testdb.DB, *synth.City, *Summary) {
	t.Helper()
	db := testdb.New(t)
	o, err := Outlines("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synth.Generate(context.Background(), p, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Load(context.Background(), db.Pool, o, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db, c, sum
}

// checksums is the md5 of every seeded table's rows ordered by id, without the columns
// that record when the load ran.
func checksums(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, table := range append(append([]string{}, Layers...), "cities", "bulk_loads", "city_layers") {
		rows, err := pool.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1
			  AND column_name NOT IN ('created_at', 'updated_at', 'at', 'loaded_at') ORDER BY ordinal_position`, table)
		if err != nil {
			t.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var q []string
		for _, c := range cols {
			q = append(q, pgx.Identifier{c}.Sanitize())
		}
		order := "id"
		if table == "city_layers" {
			order = "city_id, layer, data_source"
		}
		var sum string
		sql := fmt.Sprintf("SELECT coalesce(md5(string_agg(r::text, E'\\n' ORDER BY %s)), '') FROM (SELECT %s FROM %s) r",
			order, strings.Join(q, ", "), pgx.Identifier{table}.Sanitize())
		if err := pool.QueryRow(ctx, sql).Scan(&sum); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out[table] = sum
	}
	return out
}

func TestSeedIsDeterministic(t *testing.T) {
	a, _, _ := seedDB(t, synth.Params{Scale: testScale, Seed: 11})
	b, _, _ := seedDB(t, synth.Params{Scale: testScale, Seed: 11})
	ca, cb := checksums(t, a.Pool), checksums(t, b.Pool)
	for table, sum := range ca {
		if cb[table] != sum {
			t.Errorf("%s: same seed, different rows (%s vs %s)", table, sum, cb[table])
		}
	}
	c, _, _ := seedDB(t, synth.Params{Scale: testScale, Seed: 12})
	cc := checksums(t, c.Pool)
	for _, table := range []string{"residential_land", "network_edges", "facilities", "parks", "communities"} {
		if cc[table] == ca[table] {
			t.Errorf("%s: seeds 11 and 12 gave the same rows", table)
		}
	}
}

func TestSeededCity(t *testing.T) {
	db, c, sum := seedDB(t, synth.Params{Scale: testScale, Seed: 1})
	ctx := context.Background()
	pool := db.Pool
	one := func(sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	city := sum.CityID

	t.Run("every layer filled and labelled", func(t *testing.T) {
		for _, l := range Layers {
			if n := one("SELECT count(*) FROM "+quote(l)+" WHERE city_id = $1", city); n == 0 {
				t.Errorf("%s is empty", l)
			}
			if n := one("SELECT count(*) FROM "+quote(l)+" WHERE city_id = $1 AND synthetic AND data_source <> $2", city, c.DataSource); n != 0 {
				t.Errorf("%s: %d synthetic rows with another data source", l, n)
			}
		}
		if n := one("SELECT count(*) FROM districts WHERE city_id = $1 AND NOT synthetic", city); n != 9 {
			t.Errorf("want 9 real districts, got %d", n)
		}
		if n := one("SELECT count(*) FROM feature_history"); n != 0 {
			t.Errorf("bulk load wrote %d history rows", n)
		}
		if n := one("SELECT count(DISTINCT layer) FROM bulk_loads WHERE city_id = $1", city); n != int64(len(Layers)) {
			t.Errorf("bulk_loads covers %d layers, want %d", n, len(Layers))
		}
		if n := one("SELECT count(*) FROM city_layers WHERE city_id = $1 AND synthetic AND data_source LIKE 'synthetic:cityreach-synth v2 seed 1 scale 0.05'", city); n < 10 {
			t.Errorf("city_layers has %d synthetic layer rows", n)
		}
	})

	t.Run("every feature inside the city outline", func(t *testing.T) {
		for _, l := range Layers {
			if l == "districts" {
				continue // the real outlines tile the city; shared borders are not strictly within
			}
			n := one("SELECT count(*) FROM "+quote(l)+" f, cities c WHERE c.id = $1 AND f.city_id = c.id AND NOT ST_Within(f.geom, c.geom)", city)
			if n != 0 {
				t.Errorf("%s: %d features outside the city outline", l, n)
			}
		}
		// The generated city lies in the four core districts.
		n := one(`SELECT count(*) FROM communities m WHERE m.city_id = $1 AND NOT EXISTS (
			SELECT 1 FROM districts d WHERE d.city_id = $1 AND d.adcode IN ('150202','150203','150204','150207')
			AND ST_Intersects(d.geom, ST_PointOnSurface(m.geom)))`, city)
		if n != 0 {
			t.Errorf("%d communities outside the four core districts", n)
		}
	})

	t.Run("walking network connected only through bridges", func(t *testing.T) {
		comps := func(where string) int64 {
			return one(fmt.Sprintf(`SELECT count(DISTINCT component) FROM pgr_connectedComponents(
				'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges WHERE city_id = %d AND walkable %s')`, city, where))
		}
		if n := comps(""); n != 1 {
			t.Errorf("with bridges: %d components, want 1", n)
		}
		if n := comps("AND NOT bridge"); n < 2 {
			t.Errorf("without bridges: %d components, want at least 2", n)
		}
		if n := one("SELECT count(*) FROM network_edges WHERE city_id = $1 AND bridge AND walkable", city); n < 2 {
			t.Errorf("%d bridges", n)
		}
		if n := one("SELECT count(*) FROM network_edges WHERE city_id = $1 AND NOT walkable AND highway IN ('railway', 'river')", city); n == 0 {
			t.Error("no barrier edges")
		}
		// Shared endpoints are snapped: an edge's end coincides with every other edge at its node.
		n := one(`SELECT count(*) FROM (
			SELECT node, count(DISTINCT pt) FROM (
				SELECT source node, ST_AsBinary(ST_StartPoint(geom)) pt FROM network_edges WHERE city_id = $1 AND walkable
				UNION ALL SELECT target, ST_AsBinary(ST_EndPoint(geom)) FROM network_edges WHERE city_id = $1 AND walkable) x
			GROUP BY node HAVING count(DISTINCT pt) > 1) y`, city)
		if n != 0 {
			t.Errorf("%d nodes whose edges do not meet exactly", n)
		}
		// Non-bridge walkable edges never cross a barrier.
		if n := one(`SELECT count(*) FROM network_edges e JOIN network_edges b ON b.city_id = e.city_id AND NOT b.walkable
			AND ST_Intersects(e.geom, b.geom) WHERE e.city_id = $1 AND e.walkable AND NOT e.bridge`, city); n != 0 {
			t.Errorf("%d walkable non-bridge edges cross a barrier", n)
		}
	})

	t.Run("every facility category present", func(t *testing.T) {
		// Every category recorded in the facilities table; park_square (公园绿地、广场) comes
		// from the open parks, which the demo has.
		if n := one("SELECT count(*) FROM facility_categories fc WHERE fc.source = 'facilities' AND NOT EXISTS (SELECT 1 FROM facilities f WHERE f.city_id = $1 AND f.category = fc.code)", city); n != 0 {
			t.Errorf("%d facility categories missing", n)
		}
		if n := one("SELECT count(*) FROM parks WHERE city_id = $1 AND open_status IN ('open', 'shared')", city); n == 0 {
			t.Error("no open park for the park_square category")
		}
		if n := one("SELECT count(DISTINCT park_class) FROM parks WHERE city_id = $1", city); n != 5 {
			t.Errorf("%d park classes, want 5", n)
		}
		if n := one("SELECT count(*) FROM parks WHERE city_id = $1 AND pocket AND area_m2 BETWEEN 395 AND 2000", city); n == 0 {
			t.Error("no pocket park of 400 m² and up")
		}
		if n := one("SELECT count(*) FROM parks p WHERE city_id = $1 AND NOT EXISTS (SELECT 1 FROM park_entrances e WHERE e.park_id = p.id)", city); n != 0 {
			t.Errorf("%d parks without an entrance", n)
		}
		if n := one(`SELECT count(*) FROM park_entrances e JOIN parks p ON p.id = e.park_id
			WHERE e.city_id = $1 AND ST_Distance(e.geom_m, ST_Boundary(p.geom_m)) > 0.01`, city); n != 0 {
			t.Errorf("%d entrances off their park's boundary", n)
		}
	})

	t.Run("populations", func(t *testing.T) {
		if n := one(`SELECT count(*) FROM communities m WHERE city_id = $1 AND population <> (
			SELECT coalesce(sum(r.population), 0) FROM residential_land r WHERE r.city_id = $1 AND ST_Within(r.geom, m.geom))`, city); n != 0 {
			t.Errorf("%d communities whose population is not the sum of their parcels", n)
		}
		// Every community has the seven age bands, adding up to its population, and the
		// city's 6–12 share is the census-derived 7.18 % (rounding moves it < 0.05 points).
		if n := one(`SELECT count(*) FROM communities m WHERE city_id = $1 AND (population <> (
			SELECT coalesce(sum(a.population), 0) FROM community_age_population a WHERE a.community_id = m.id)
			OR (SELECT count(*) FROM community_age_population a WHERE a.community_id = m.id) <> 7)`, city); n != 0 {
			t.Errorf("%d communities whose age bands are missing or do not add up to the population", n)
		}
		if n := one(`SELECT count(*) FROM (SELECT sum(a.population) FILTER (WHERE band = '6-12')::float8 / sum(a.population) AS s
			FROM community_age_population a JOIN communities m ON m.id = a.community_id WHERE m.city_id = $1) q
			WHERE abs(s - 0.0718) > 0.0005`, city); n != 0 {
			t.Error("the demo's 6–12 share is not 7.18 %")
		}
		// Primary schools: whole classes of 45, together 90 % of the children 6–12 (± half
		// a class per school from the rounding).
		if n := one(`SELECT count(*) FROM (SELECT count(*) AS n, sum(capacity) AS seats, bool_and(capacity > 0 AND capacity::int % 45 = 0) AS classes
			FROM facilities WHERE city_id = $1 AND category = 'primary_school') f,
			(SELECT sum(a.population) AS kids FROM community_age_population a JOIN communities m ON m.id = a.community_id
			 WHERE m.city_id = $1 AND a.band = '6-12') k
			WHERE f.n = 0 OR NOT f.classes OR abs(f.seats - 0.9 * k.kids) > 22.5 * f.n`, city); n != 0 {
			t.Error("the demo's primary-school seats are not whole classes adding up to 90 % of the children 6–12")
		}
		// Gross density at most 25,000 residents/km² (more only for a small community held at
		// the 5,100 floor) and at least 4,000.
		if n := one(`SELECT count(*) FROM communities WHERE city_id = $1 AND population > 0
			AND ((population / (ST_Area(geom_m) / 1e6) > 25500 AND population > 5100) OR population / (ST_Area(geom_m) / 1e6) < 4000)`, city); n != 0 {
			t.Errorf("%d communities with an implausible gross density", n)
		}
		// Communities of 5,000–12,000 residents (完整社区 guidance, standards.md §3).
		if n := one(`SELECT count(*) FROM communities WHERE city_id = $1 AND population NOT BETWEEN 5000 AND 12000`, city); n != 0 {
			t.Errorf("%d communities outside 5,000–12,000 residents", n)
		}
		// The communities partition the urban area: no overlaps, 街道 are unions of them.
		if n := one(`SELECT count(*) FROM communities a JOIN communities b ON a.city_id = b.city_id AND a.id < b.id
			AND ST_Overlaps(a.geom, b.geom) WHERE a.city_id = $1`, city); n != 0 {
			t.Errorf("%d overlapping community pairs", n)
		}
		if n := one(`SELECT count(*) FROM subdistricts s WHERE city_id = $1 AND abs(ST_Area(geom_m) -
			(SELECT sum(ST_Area(c.geom_m)) FROM communities c WHERE c.subdistrict_id = s.id)) > 1`, city); n != 0 {
			t.Errorf("%d 街道 that are not the union of their communities", n)
		}
		if n := one(`SELECT count(*) FROM communities c JOIN subdistricts s ON s.id = c.subdistrict_id
			WHERE c.city_id = $1 AND left(c.code, 9) <> s.code`, city); n != 0 {
			t.Errorf("%d community codes not under their 街道 code", n)
		}
	})

	t.Run("deliberate defects exactly once", func(t *testing.T) {
		m := c.Manifest
		// Narrow places: eroding by 50 m splits the corridor (width < 100 m) in exactly the listed corridors, once each.
		rows, err := pool.Query(ctx, `SELECT name, ST_NumGeometries(geom), ST_NumGeometries(ST_Buffer(geom_m, -50))
			FROM eco_corridors WHERE city_id = $1 ORDER BY name`, city)
		if err != nil {
			t.Fatal(err)
		}
		narrow, broken := map[string]int{}, map[string]int{}
		for rows.Next() {
			var name string
			var parts, eroded int
			if err := rows.Scan(&name, &parts, &eroded); err != nil {
				t.Fatal(err)
			}
			if parts > 1 {
				broken[name] = parts
			}
			if eroded > parts {
				narrow[name] = eroded - parts
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(m.NarrowPlaces) != 2 || len(narrow) != 2 {
			t.Errorf("narrow places: manifest %v, found %v", m.NarrowPlaces, narrow)
		}
		for _, np := range m.NarrowPlaces {
			if narrow[np.Corridor] != 1 {
				t.Errorf("corridor %s: %d narrow places, want 1", np.Corridor, narrow[np.Corridor])
			}
		}
		if len(broken) != 1 || broken[m.BrokenCorridor.Corridor] != 2 {
			t.Errorf("broken corridors %v, want only %s in 2 pieces", broken, m.BrokenCorridor.Corridor)
		}
		// Overlaps between the control lines and the growth boundaries: exactly the listed ones.
		rows, err = pool.Query(ctx, `
			SELECT 'basic_farmland', f.name, g.edition FROM basic_farmland f JOIN growth_boundaries g ON g.city_id = f.city_id
			  AND ST_Area(ST_Intersection(f.geom_m, g.geom_m)) > 1 WHERE f.city_id = $1
			UNION ALL
			SELECT 'eco_redlines', r.name, g.edition FROM eco_redlines r JOIN growth_boundaries g ON g.city_id = r.city_id
			  AND ST_Area(ST_Intersection(r.geom_m, g.geom_m)) > 1 WHERE r.city_id = $1
			UNION ALL
			SELECT 'redline_farmland', r.name, f.name FROM eco_redlines r JOIN basic_farmland f ON f.city_id = r.city_id
			  AND ST_Area(ST_Intersection(r.geom_m, f.geom_m)) > 1 WHERE r.city_id = $1
			ORDER BY 1, 2, 3`, city)
		if err != nil {
			t.Fatal(err)
		}
		var found []synth.Overlap
		for rows.Next() {
			var o synth.Overlap
			if err := rows.Scan(&o.Layer, &o.Name, &o.Edition); err != nil {
				t.Fatal(err)
			}
			found = append(found, o)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := map[synth.Overlap]bool{}
		for _, o := range m.Overlaps {
			want[o] = true
		}
		if len(found) != len(m.Overlaps) || len(m.Overlaps) != 3 {
			t.Errorf("overlaps: found %v, manifest %v", found, m.Overlaps)
		}
		for _, o := range found {
			if !want[o] {
				t.Errorf("unexpected overlap %v", o)
			}
		}
		// Checklist gaps inside the communities, found by PostGIS: exactly the generator's
		// record (Manifest.Gaps), and the two named defects among them.
		codes := func(sql string, args ...any) []string {
			rows, err := pool.Query(ctx, sql, args...)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		gaps := func(cat string) []string {
			var out []string
			for _, l := range m.Gaps {
				if l.Category == cat {
					out = append(out, l.CommunityCode)
				}
			}
			sort.Strings(out)
			return out
		}
		for _, cat := range []string{"community_service", "clinic", "kindergarten", "nursery", "elderly_care", "vegetable_market",
			"activity_ground", "supermarket", "pharmacy", "household_services", "canteen", "convenience_store"} {
			found := codes(`SELECT code FROM communities m WHERE city_id = $1 AND NOT EXISTS (
				SELECT 1 FROM facilities f WHERE f.city_id = $1 AND f.category = $2 AND ST_Within(f.geom, m.geom)) ORDER BY code COLLATE "C"`, city, cat)
			if want := gaps(cat); !slices.Equal(found, want) {
				t.Errorf("communities lacking %s: found %v, manifest %v", cat, found, want)
			}
		}
		for _, l := range m.Lacking {
			if !slices.Contains(gaps(l.Category), l.CommunityCode) {
				t.Errorf("defect %v is not a gap", l)
			}
		}
		// 社区游园: an open park of these classes of at least 4000 m² in the community.
		noPark := codes(`SELECT code FROM communities m WHERE city_id = $1 AND NOT EXISTS (
			SELECT 1 FROM parks p WHERE p.city_id = $1 AND p.park_class IN ('garden', 'community', 'comprehensive', 'specialized')
			AND p.open_status <> 'closed' AND p.area_m2 >= 4000 AND ST_Intersects(p.geom, m.geom)) ORDER BY code COLLATE "C"`, city)
		if want := gaps("garden_4000m2"); !slices.Equal(noPark, want) {
			t.Errorf("communities without a garden of 4000 m²: found %v, manifest %v", noPark, want)
		}
		// Service stations: 30 m² of floor per 100 households.
		noFloor := codes(`SELECT code FROM communities m WHERE city_id = $1 AND 0.3 * m.households > (
			SELECT coalesce(sum(f.floor_area_m2), 0) FROM facilities f WHERE f.city_id = $1
			AND f.category = 'community_service' AND ST_Within(f.geom, m.geom)) ORDER BY code COLLATE "C"`, city)
		if want := gaps("service_floor"); !slices.Equal(noFloor, want) {
			t.Errorf("communities with too little service floor: found %v, manifest %v", noFloor, want)
		}
		// Two growth-boundary editions.
		if n := one("SELECT count(*) FROM growth_boundaries WHERE city_id = $1 AND edition IN ('2021', '2024')", city); n != 2 {
			t.Errorf("%d growth-boundary editions", n)
		}
	})
}

func TestSeedRefusesExistingDataUnlessReplace(t *testing.T) {
	db, c, _ := seedDB(t, synth.Params{Scale: testScale, Seed: 3})
	o, _ := Outlines("")
	ctx := context.Background()
	_, err := Load(ctx, db.Pool, o, c, Options{})
	if !errors.Is(err, ErrHasData) || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("second load: %v, want ErrHasData mentioning --replace", err)
	}
	before := checksums(t, db.Pool)
	// A failed replace leaves everything as it was (one transaction).
	bad := *c
	bad.Facilities = append(append([]synth.Facility{}, c.Facilities...), synth.Facility{Category: "no_such_category", Name: "x", Geom: c.Facilities[0].Geom})
	if _, err := Load(ctx, db.Pool, o, &bad, Options{Replace: true}); err == nil {
		t.Fatal("a load with an unknown category succeeded")
	}
	after := checksums(t, db.Pool)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("%s changed after a failed load", table)
		}
	}
	sum, err := Load(ctx, db.Pool, o, c, Options{Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM residential_land WHERE city_id = $1", sum.CityID).Scan(&n); err != nil || n != int64(len(c.Parcels)) {
		t.Fatalf("after replace: %d parcels (%v), want %d", n, err, len(c.Parcels))
	}
}
