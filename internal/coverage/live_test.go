package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
)

// randomBaselineEdit makes one random committed edit of the generated city's baseline
// tables in SQL, as an editor would: add, move, reclassify or delete a park, add or delete
// an entrance, add, reshape, repopulate or delete a parcel, close a street. It returns
// what it did.
func randomBaselineEdit(t *testing.T, ctx context.Context, svc *Service, city int, rng *rand.Rand, streets bool) string {
	t.Helper()
	pool := svc.Store.Pool
	kinds := 10
	if streets {
		kinds = 12
	}
	var sql string
	var args []any
	k := rng.IntN(kinds)
	switch k {
	case 0: // a new park of 40–120 m side on a random parcel
		sql = `INSERT INTO parks (city_id, name, park_class, geom)
			SELECT $1, 'new', (ARRAY['community','garden','comprehensive'])[1 + $3::int % 3],
			       ST_Multi(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), $2::float8, 'quad_segs=1'), 4326))
			FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $3 LIMIT 1`
		args = []any{city, 20 + rng.Float64()*40, rng.IntN(100)}
	case 1: // move a park by up to 150 m
		sql = `UPDATE parks SET geom = ST_Transform(ST_Translate(geom_m, $2, $3), 4326)
			WHERE id = (SELECT id FROM parks WHERE city_id = $1 ORDER BY id OFFSET $4 % greatest(1, (SELECT count(*) FROM parks WHERE city_id = $1)) LIMIT 1)`
		args = []any{city, rng.Float64()*300 - 150, rng.Float64()*300 - 150, rng.IntN(1000)}
	case 2: // reclassify or close a park
		sql = `UPDATE parks SET open_status = (ARRAY['open','closed','shared'])[1 + $2::int % 3], park_class = CASE WHEN pocket THEN park_class ELSE (ARRAY['community','garden','square'])[1 + $3::int % 3] END
			WHERE id = (SELECT id FROM parks WHERE city_id = $1 ORDER BY id OFFSET $3 % greatest(1, (SELECT count(*) FROM parks WHERE city_id = $1)) LIMIT 1)`
		args = []any{city, rng.IntN(3), rng.IntN(1000)}
	case 3: // delete a park (and its entrances)
		sql = `WITH p AS (SELECT id FROM parks WHERE city_id = $1 ORDER BY id OFFSET $2 % greatest(1, (SELECT count(*) FROM parks WHERE city_id = $1)) LIMIT 1),
			e AS (DELETE FROM park_entrances WHERE park_id IN (SELECT id FROM p))
			DELETE FROM parks WHERE id IN (SELECT id FROM p)`
		args = []any{city, rng.IntN(1000)}
	case 4: // an entrance on a park's boundary
		sql = `INSERT INTO park_entrances (city_id, park_id, geom)
			SELECT $1, id, ST_Transform(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom_m, 1)), 1), 4326)
			FROM parks WHERE city_id = $1 ORDER BY id OFFSET $2 % greatest(1, (SELECT count(*) FROM parks WHERE city_id = $1)) LIMIT 1`
		args = []any{city, rng.IntN(1000)}
	case 5: // delete an entrance
		sql = `DELETE FROM park_entrances WHERE id = (SELECT id FROM park_entrances WHERE city_id = $1 ORDER BY id LIMIT 1)`
		args = []any{city}
	case 6: // a new parcel
		sql = `INSERT INTO residential_land (city_id, population, households, geom)
			SELECT $1, $3, 0, ST_Multi(ST_Transform(ST_Translate(geom_m, 17, 23), 4326))
			FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1`
		args = []any{city, rng.IntN(100), rng.IntN(900)}
	case 7: // reshape a parcel
		sql = `UPDATE residential_land SET geom = ST_Multi(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), $3::float8, 'quad_segs=2'), 4326))
			WHERE id = (SELECT id FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1)`
		args = []any{city, rng.IntN(100), 10 + rng.Float64()*40}
	case 8: // repopulate a parcel
		sql = `UPDATE residential_land SET population = households + $3 WHERE id = (SELECT id FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1)`
		args = []any{city, rng.IntN(100), rng.IntN(2000)}
	case 9: // delete a parcel
		sql = `DELETE FROM residential_land WHERE id = (SELECT id FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1)`
		args = []any{city, rng.IntN(100)}
	case 10: // close a street
		sql = `UPDATE network_edges SET walkable = false WHERE id = (SELECT id FROM network_edges WHERE city_id = $1 AND walkable ORDER BY id OFFSET $2 LIMIT 1)`
		args = []any{city, rng.IntN(200)}
	case 11: // delete a street
		sql = `DELETE FROM network_edges WHERE id = (SELECT id FROM network_edges WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1)`
		args = []any{city, rng.IntN(200)}
	}
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("edit %d: %v", k, err)
	}
	return fmt.Sprint(k)
}

// TestBaselineEditsIncrementalEqualsFull: after random sequences of committed edits of a
// city's baseline, the service brings its kept result forward (only the parcels the edits
// can reach are recomputed, the other gaps copied in the database) and the run it stores
// equals a full computation on a fresh load of the same data: every parcel's covered area
// (bit for bit, with either method), every figure at every level, and the stored gaps
// parcel by parcel.
func TestBaselineEditsIncrementalEqualsFull(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(25, 2026))
	// The tile service's listener tells the service which tables were edited (as in
	// cityreach serve); without it the service reads every table's version.
	ts := tilestest.Live(t, ctx, pool, tiles.Options{CacheBytes: 1 << 20})
	for _, run := range []struct {
		method string
		watch  Watcher
	}{{caliber.Buffer, nil}, {caliber.Buffer, ts}, {caliber.Network, ts}} {
		method := run.method
		slug := fmt.Sprintf("live-%s-%v", method, run.watch != nil)
		city := generateCity(uint64(len(slug)), 140, 10).load(t, pool, slug)
		reg, _ := caliber.NewRegistry()
		svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Watch: run.watch}
		q := Query{City: slug, Caliber: "gbt50563-2010", Method: method}
		if _, err := svc.Indicator(ctx, q); err != nil {
			t.Fatal(err)
		}
		steps := 12
		if method == caliber.Network {
			steps = 8
		}
		forwarded, reused := 0, 0
		for step := 0; step < steps; step++ {
			_, _, hits0, _ := svc.surfaces().Stats()
			var did []string
			for range 1 + rng.IntN(3) {
				did = append(did, randomBaselineEdit(t, ctx, svc, city, rng, method == caliber.Network))
			}
			rep, err := svc.Indicator(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			st := svc.liveCity(slug).st
			if st.dv.Hash != rep.Run.DataHash {
				t.Fatalf("step %d: kept state at %s, run of %s", step, st.dv.Hash, rep.Run.DataHash)
			}
			if st.from != nil {
				forwarded++
			}
			lr := st.results[resultKey(rep.Caliber, method)]
			if lr.gaps != nil { // stored after the answer: wait for them
				<-lr.gaps.done
				if lr.gaps.err != nil {
					t.Fatal(lr.gaps.err)
				}
			}
			inc := lr.res

			fresh := &Service{Store: Store{Pool: pool}, Calibers: reg}
			full, err := fresh.Result(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, hits, _ := svc.surfaces().Stats(); hits > hits0 {
				reused++
			}
			label := fmt.Sprintf("%s step %d (edits %v)", slug, step, did)
			compareResults(t, label, inc, full)
			compareStoredGaps(t, ctx, svc, label, rep.Run.ID, full)
		}
		if forwarded == 0 {
			t.Errorf("%s: no step brought the kept result forward", slug)
		}
		// The network method's buffered tiles are taken from the service's cache wherever
		// an edit left the reach as it was, edit after edit (the full computation it is
		// compared with has no cache).
		if method == caliber.Network && reused < 2 {
			t.Errorf("%s: only %d steps took buffered tiles from the cache", slug, reused)
		}
		t.Logf("%s: %d of %d steps applied the edits to the kept state", slug, forwarded, steps)
	}
}

// compareResults fails unless inc and full hold the same parcels in the same order with
// identical covered areas, and identical figures at every level.
func compareResults(t *testing.T, label string, inc, full *Result) {
	t.Helper()
	if len(inc.Covered) != len(full.Covered) {
		t.Fatalf("%s: %d parcels, want %d", label, len(inc.Covered), len(full.Covered))
	}
	// Both methods are exact: the network method recomputes the affected parcels on the
	// whole network, tile by tile on the grid every computation uses, the buffered tiles
	// from the service's cache where the reach did not change (the full computation here
	// has no cache), so each parcel's area is the full computation's bit for bit.
	tol := 0.0
	near := func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)/1e3) }
	for i := range full.Covered {
		if inc.snapshot.Parcels[i].ID != full.snapshot.Parcels[i].ID || !near(inc.Covered[i], full.Covered[i]) {
			t.Fatalf("%s: parcel %d covers %.12f, in full parcel %d covers %.12f", label,
				inc.snapshot.Parcels[i].ID, inc.Covered[i], full.snapshot.Parcels[i].ID, full.Covered[i])
		}
	}
	if !near(inc.CoveredM2, full.CoveredM2) || inc.TotalM2 != full.TotalM2 || !near(inc.CoveredPopulation, full.CoveredPopulation) || len(inc.Parks) != len(full.Parks) {
		t.Fatalf("%s: totals %v/%v/%v (%d parks), in full %v/%v/%v (%d parks)", label, inc.CoveredM2, inc.TotalM2, inc.CoveredPopulation, len(inc.Parks),
			full.CoveredM2, full.TotalM2, full.CoveredPopulation, len(full.Parks))
	}
	for _, lv := range Levels {
		a, err := inc.ByLevel(lv)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := full.ByLevel(lv)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if tol == 0 && string(ja) != string(jb) {
			t.Fatalf("%s %s: figures\n%s\nin full\n%s", label, lv, ja, jb)
		}
		if len(a) != len(b) {
			t.Fatalf("%s %s: %d areas, in full %d", label, lv, len(a), len(b))
		}
		for k := range a {
			if a[k].ID != b[k].ID || a[k].Parcels != b[k].Parcels || !near(a[k].CoveredM2, b[k].CoveredM2) || a[k].TotalM2 != b[k].TotalM2 ||
				!near(a[k].CoveredPopulation, b[k].CoveredPopulation) {
				t.Fatalf("%s %s: figure\n%+v\nin full\n%+v", label, lv, a[k], b[k])
			}
		}
	}
}

// compareStoredGaps fails unless stored run holds exactly full's gaps: the same parcels,
// areas and geometries (compared by PostGIS: the symmetric difference has no area).
func compareStoredGaps(t *testing.T, ctx context.Context, svc *Service, label string, run int64, full *Result) {
	t.Helper()
	ids, areas, _, wkbs, err := full.gapPieces(nil)
	if err != nil {
		t.Fatal(err)
	}
	var missing, extra, differ int
	if err := svc.Store.Pool.QueryRow(ctx, `WITH want AS (SELECT * FROM unnest($2::bigint[], $3::float8[], $4::bytea[]) AS u(pid, a, w)),
		have AS (SELECT parcel_id, area_m2, geom_m FROM coverage_gaps WHERE run_id = $1)
		SELECT (SELECT count(*) FROM want WHERE pid NOT IN (SELECT parcel_id FROM have)),
		       (SELECT count(*) FROM have WHERE parcel_id NOT IN (SELECT pid FROM want)),
		       (SELECT count(*) FROM want JOIN have ON parcel_id = pid
		         WHERE abs(area_m2 - a) > 1e-6 OR ST_Area(ST_SymDifference(geom_m, ST_SetSRID(ST_GeomFromWKB(w), ST_SRID(geom_m)))) > 1e-6)`,
		run, ids, areas, wkbs).Scan(&missing, &extra, &differ); err != nil {
		t.Fatal(err)
	}
	if missing+extra+differ > 0 {
		t.Fatalf("%s: stored gaps of run %d: %d missing, %d extra, %d differ (of %d)", label, run, missing, extra, differ, len(ids))
	}
}

// TestResultBroughtForwardAfterManyEdits: a network result is brought forward after more
// edits than maxChain, each answered in between with the buffer method (so every state
// holds a result of another key): the states between are spliced out and their changes
// composed, and the result equals a full computation. Only parcels are edited, so a
// brought-forward result keeps the walk of the first computation (the same reachedNet),
// which a computation afresh would not.
func TestResultBroughtForwardAfterManyEdits(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	ts := tilestest.Live(t, ctx, pool, tiles.Options{CacheBytes: 1 << 20})
	slug := "long-chain"
	city := generateCity(3, 140, 10).load(t, pool, slug)
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Watch: ts}
	net := Query{City: slug, Caliber: "gbt50563-2010", Method: caliber.Network}
	buf := Query{City: slug, Caliber: "gbt50563-2010", Method: caliber.Buffer}
	rep, err := svc.Indicator(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	first := svc.liveCity(slug).st.results[resultKey(rep.Caliber, caliber.Network)].res.reach
	for k := range maxChain + 3 {
		// Move one of three parcels by 17 m: each is moved more than once, so composed
		// changes hold a parcel modified again.
		if _, err := pool.Exec(ctx, `UPDATE residential_land SET geom = ST_Multi(ST_Transform(ST_Translate(geom_m, 17, 0), 4326))
			WHERE id = (SELECT id FROM residential_land WHERE city_id = $1 ORDER BY id OFFSET $2 LIMIT 1)`, city, 5*(k%3)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Indicator(ctx, buf); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = svc.Indicator(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	lr := svc.liveCity(slug).st.results[resultKey(rep.Caliber, caliber.Network)]
	if lr.res.reach != first {
		t.Errorf("after %d edits the network result was computed afresh, not brought forward", maxChain+3)
	}
	if lr.gaps != nil {
		<-lr.gaps.done
		if lr.gaps.err != nil {
			t.Fatal(lr.gaps.err)
		}
	}
	full, err := (&Service{Store: Store{Pool: pool}, Calibers: reg}).Result(ctx, net)
	if err != nil {
		t.Fatal(err)
	}
	compareResults(t, slug, lr.res, full)
	compareStoredGaps(t, ctx, svc, slug, rep.Run.ID, full)
}
