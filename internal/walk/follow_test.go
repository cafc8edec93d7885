package walk

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
)

// answer is the living circle of svc at the city and community levels and every parcel's
// nearest facility of every category, as JSON with the timings (keys ending in _ms) left
// out: what a fresh service must give identically.
func answer(t *testing.T, svc *Service, slug string) string {
	t.Helper()
	ctx := ctxT(t)
	var parts []any
	for _, l := range []string{LevelCity, LevelCommunity} {
		rep, err := svc.LivingCircle(ctx, slug, Options{Level: l})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, rep)
	}
	page, err := svc.LivingCircleParcels(ctx, slug, Options{}, ParcelQuery{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, page)
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	b, err = json.MarshalIndent(dropTimings(v), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dropTimings(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasSuffix(k, "_ms") {
				delete(v, k)
			} else {
				v[k] = dropTimings(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = dropTimings(v[i])
		}
	}
	return v
}

// firstDiff returns the lines around the first difference of a and b.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			lo := max(0, i-8)
			return fmt.Sprintf("line %d:\n%s\n--- got %q, want %q", i, strings.Join(la[lo:i], "\n"), la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(la), len(lb))
}

// TestBaselineFollowsFacilityEdits edits the facilities of a generated city at random —
// inserts, moves, deletes and category changes, one to a few per transaction, some onto
// the exact point of another facility so that nearest-facility ties arise — and checks
// after every edit that the service that follows the edits (advanceInputs: the changed
// rows and the pairs they reach) answers exactly what a new service that loads and
// computes everything answers. An edit of residential land and one of the walking
// network in between must reload. The service is told of edits as in cityreach serve (the
// tile service's listener), and each answer is asked for right after the commit: an edit
// is seen by the next call, however soon (the data version is checked on every call).
func TestBaselineFollowsFacilityEdits(t *testing.T) {
	db := testdb.New(t)
	pool := db.Pool
	ctx := ctxT(t)
	city := newCity(t, pool, "follow")
	const side, spacing = 16, 80.0
	extent := float64(side-1) * spacing
	insertEdges(t, pool, city.ID, gridCity(side, side, spacing, 11, true))
	half := extent / 2
	insertAreas(t, pool, city.ID, rect(-100, -100, extent+100, extent+100), []orb.MultiPolygon{
		rect(-100, -100, half, half), rect(half, -100, extent+100, half),
		rect(-100, half, half, extent+100), rect(half, half, extent+100, extent+100)})
	rng := rand.New(rand.NewPCG(25, 1))
	pt := func() orb.Point { return orb.Point{rng.Float64() * extent, rng.Float64() * extent} }
	var pids []int64
	var pgeoms []orb.MultiPolygon
	var pops []int64
	for i := range 120 {
		p := pt()
		pids, pgeoms, pops = append(pids, int64(i+1)), append(pgeoms, rect(p[0]-12, p[1]-12, p[0]+12, p[1]+12)), append(pops, int64(10+rng.IntN(300)))
	}
	insertParcels(t, pool, city.ID, pids, pgeoms, pops)
	rows, err := pool.Query(ctx, `SELECT code FROM facility_categories WHERE source = 'facilities' ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	cats, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(cats) < 3 {
		t.Fatalf("categories %v: %v", cats, err)
	}
	cats = cats[:6] // few categories, many facilities each: ties and overlaps
	var fids []int64
	var fcats []string
	var fpts []orb.Point
	for i := range 60 {
		fids, fcats, fpts = append(fids, int64(i+1)), append(fcats, cats[rng.IntN(len(cats))]), append(fpts, pt())
	}
	insertFacilities(t, pool, city.ID, fids, fcats, fpts)

	var mu sync.Mutex
	seen := map[string]int{}
	svc := NewService(pool, quiet())
	svc.Watch = tilestest.Live(t, ctxT(t), pool, tiles.Options{CacheBytes: 1 << 20})
	svc.ObserveLoad = func(what string, _ time.Duration) { mu.Lock(); seen[what]++; mu.Unlock() }
	if got, want := answer(t, svc, city.Slug), answer(t, NewService(pool, quiet()), city.Slug); got != want {
		t.Fatalf("before any edit: %s", firstDiff(got, want))
	}

	// live mirrors the facilities table: id → category and local point.
	type fac struct {
		cat string
		p   orb.Point
	}
	live := map[int64]fac{}
	for i, id := range fids {
		live[id] = fac{fcats[i], fpts[i]}
	}
	nextID := int64(1000)
	anyID := func() int64 {
		ids := slices.Sorted(maps.Keys(live))
		return ids[rng.IntN(len(ids))]
	}
	// point returns a random point or, one time in three, the point of a facility of
	// category c: two equally near facilities, whose tie a full load breaks by id.
	point := func(c string) orb.Point {
		if rng.IntN(3) == 0 {
			var same []int64
			for _, id := range slices.Sorted(maps.Keys(live)) {
				if live[id].cat == c {
					same = append(same, id)
				}
			}
			if len(same) > 0 {
				return live[same[rng.IntN(len(same))]].p
			}
		}
		return pt()
	}
	exec := func(tx pgx.Tx, sql string, args ...any) {
		t.Helper()
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	const steps = 40
	for step := range steps {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a failed step must not hold its connection
		var did []string
		var inserted []int64 // deleting one in the same transaction would change nothing
		for range 1 + rng.IntN(3) {
			switch op := rng.IntN(4); {
			case op == 0 || len(live) < 10:
				id, c := nextID, cats[rng.IntN(len(cats))]
				p := point(c)
				nextID++
				exec(tx, `INSERT INTO facilities (id, city_id, category, name, geom)
					VALUES ($1, $2, $3, $7, ST_Transform(ST_SetSRID(ST_MakePoint($4::float8, $5::float8), $6::int), 4326))`,
					id, city.ID, c, x0+p[0], y0+p[1], testSRID, fmt.Sprintf("%s %d", c, id))
				live[id] = fac{c, p}
				inserted = append(inserted, id)
				did = append(did, fmt.Sprintf("insert %d", id))
			case op == 1:
				id := anyID()
				p := point(live[id].cat)
				exec(tx, `UPDATE facilities SET geom = ST_Transform(ST_SetSRID(ST_MakePoint($1::float8, $2::float8), $3::int), 4326) WHERE id = $4 AND city_id = $5`,
					x0+p[0], y0+p[1], testSRID, id, city.ID)
				live[id] = fac{live[id].cat, p}
				did = append(did, fmt.Sprintf("move %d", id))
			case op == 2:
				id := anyID()
				for slices.Contains(inserted, id) {
					id = anyID()
				}
				exec(tx, `DELETE FROM facilities WHERE id = $1 AND city_id = $2`, id, city.ID)
				delete(live, id)
				did = append(did, fmt.Sprintf("delete %d", id))
			default:
				id, c := anyID(), cats[rng.IntN(len(cats))]
				exec(tx, `UPDATE facilities SET category = $1 WHERE id = $2 AND city_id = $3`, c, id, city.ID)
				live[id] = fac{c, live[id].p}
				did = append(did, fmt.Sprintf("category %d", id))
			}
		}
		if step == steps/2 {
			exec(tx, `UPDATE residential_land SET population = population + 1 WHERE id = 1 AND city_id = $1`, city.ID)
			did = append(did, "parcel 1")
		}
		if step == steps/4 { // a street closed to walkers: longer walks around it
			exec(tx, `UPDATE network_edges SET walkable = false WHERE id = (SELECT min(id) + 7 FROM network_edges WHERE city_id = $1)`, city.ID)
			did = append(did, "edge")
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		loads, edits := seen["walk_inputs"], seen["walk_inputs_edit"]
		mu.Unlock()
		got, want := answer(t, svc, city.Slug), answer(t, NewService(pool, quiet()), city.Slug)
		if got != want {
			t.Fatalf("step %d (%v): the baseline that follows edits differs from a fresh one: %s", step, did, firstDiff(got, want))
		}
		mu.Lock()
		reloaded, followed := seen["walk_inputs"]-loads, seen["walk_inputs_edit"]-edits
		mu.Unlock()
		wantReload := step == steps/2 || step == steps/4
		if wantReload && (reloaded != 1 || followed != 0) || !wantReload && (reloaded != 0 || followed != 1) {
			t.Fatalf("step %d (%v): %d full loads and %d followed edits; want the %s", step, did, reloaded, followed,
				map[bool]string{true: "residential-land or network edit reloaded", false: "facility edit followed"}[wantReload])
		}
	}
	if seen["walk_reach_edit"] != steps-2 || seen["walk_reach"] != 3 || seen["walk_network"] != 2 {
		t.Fatalf("reach: %d computed in full, %d brought forward, network loaded %d times; want 3 (first, after the edge and the parcel edits), %d and 2",
			seen["walk_reach"], seen["walk_reach_edit"], seen["walk_network"], steps-2)
	}
}
