package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/httpapi"
)

// coverageEngine serves the park-coverage API of a new Service on pool: each call is one
// process's worth of state (its own snapshot cache and in-flight computations).
func coverageEngine(pool *pgxpool.Pool) *gin.Engine {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Log: log}
	return httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, AdapterHandler(svc, pool, log)))
}

// getJSON answers path on h: the status and the body.
func getJSON(h http.Handler, path string) (int, []byte) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.Bytes()
}

// decodeAnswer decodes an indicator answer and takes out "reused", the one field a
// reused answer may differ in.
func decodeAnswer(t *testing.T, b []byte) (map[string]any, bool) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %.300s", err, b)
	}
	reused, ok := m["reused"].(bool)
	if !ok {
		t.Fatalf("answer has no reused flag: %.300s", b)
	}
	delete(m, "reused")
	return m, reused
}

// TestReusedAnswerEqualsFresh asks every caliber × method × level twice on a small
// generated city, the stored runs deleted before the first call: the first answer is
// computed, the second read back from the stored run, and the two are equal in every field
// but "reused". The GB 55014 per-capita figures are checked against PostGIS's own sums.
func TestReusedAnswerEqualsFresh(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	gen := generateCity(9, 160, 12) // 2 comprehensive, 6 community parks and 2 squares
	city := gen.load(t, pool, "reuse")
	h := coverageEngine(pool)

	// The per-capita inputs by PostGIS: 公园绿地 is every class but 广场, by the area of its
	// metric geometry; residents are those of the residential land.
	var parkM2, compM2, commM2, pop float64
	if err := pool.QueryRow(ctx, `SELECT sum(ST_Area(geom_m)) FILTER (WHERE park_class <> 'square'),
		coalesce(sum(ST_Area(geom_m)) FILTER (WHERE park_class = 'comprehensive'), 0),
		coalesce(sum(ST_Area(geom_m)) FILTER (WHERE park_class = 'community'), 0),
		(SELECT sum(population) FROM residential_land WHERE city_id = $1)
		FROM parks WHERE city_id = $1`, city).Scan(&parkM2, &compM2, &commM2, &pop); err != nil {
		t.Fatal(err)
	}
	if parkM2 == 0 || compM2 == 0 || commM2 == 0 || pop == 0 {
		t.Fatalf("fixture: park %v, comprehensive %v, community %v m², %v residents", parkM2, compM2, commM2, pop)
	}

	reg, _ := caliber.NewRegistry()
	for _, cal := range reg.List() {
		for _, method := range []string{caliber.Buffer, caliber.Network} {
			for _, level := range Levels {
				path := fmt.Sprintf("/api/v1/indicators/park-coverage?city=reuse&caliber=%s&method=%s&level=%s", cal.ID, method, level)
				if _, err := pool.Exec(ctx, `DELETE FROM coverage_runs WHERE city_id = $1`, city); err != nil {
					t.Fatal(err)
				}
				code, b := getJSON(h, path)
				if code != http.StatusOK {
					t.Fatalf("%s: %d %.300s", path, code, b)
				}
				fresh, reused := decodeAnswer(t, b)
				if reused {
					t.Fatalf("%s: first answer after deleting the runs says reused", path)
				}
				code, b = getJSON(h, path)
				if code != http.StatusOK {
					t.Fatalf("%s (again): %d %.300s", path, code, b)
				}
				again, reused := decodeAnswer(t, b)
				if !reused {
					t.Fatalf("%s: second answer was not reused", path)
				}
				if !reflect.DeepEqual(fresh, again) {
					f, _ := json.Marshal(fresh)
					a, _ := json.Marshal(again)
					t.Errorf("%s: reused answer differs from the fresh one\nfresh:  %.1500s\nreused: %.1500s", path, f, a)
				}
				if cal.PerCapita != nil && level == LevelCity {
					checkPerCapita(t, path, again, cal, parkM2, compM2, commM2, pop)
				}
			}
		}
	}
}

// checkPerCapita checks the city figure's GB 55014 block of answer against the PostGIS
// sums: areas to 1e-6 m², per-capita figures and verdicts recomputed from them.
func checkPerCapita(t *testing.T, path string, answer map[string]any, cal caliber.Caliber, parkM2, compM2, commM2, pop float64) {
	t.Helper()
	cf, _ := answer["city_figure"].(map[string]any)
	pc, _ := cf["per_capita"].(map[string]any)
	if pc == nil {
		t.Fatalf("%s: no per_capita in the city figure: %v", path, cf)
	}
	meets, _ := pc["meets"].(map[string]any)
	for _, c := range []struct {
		key    string
		m2     float64
		target float64
	}{{"park_m2", parkM2, cal.PerCapita.ParkM2}, {"comprehensive_m2", compM2, cal.PerCapita.ComprehensiveM2}, {"community_m2", commM2, cal.PerCapita.CommunityM2}} {
		got, _ := pc[c.key].(float64)
		if math.Abs(got-c.m2) > 1e-6 {
			t.Errorf("%s: per_capita.%s = %v, PostGIS %v", path, c.key, got, c.m2)
		}
		per, _ := pc[c.key+"_per_capita"].(float64)
		if math.Abs(per-c.m2/pop) > 1e-9 {
			t.Errorf("%s: per_capita.%s_per_capita = %v, want %v", path, c.key, per, c.m2/pop)
		}
		v, ok := meets[c.key].(bool)
		if c.target > 0 && (!ok || v != (c.m2/pop > c.target)) {
			t.Errorf("%s: meets.%s = %v (present %v); %v m²/resident against %v", path, c.key, v, ok, c.m2/pop, c.target)
		}
		if c.target == 0 && ok {
			t.Errorf("%s: meets.%s given for a target the caliber does not set", path, c.key)
		}
	}
}

// TestConcurrentRequestsComputeOnce sends 64 identical requests at once right after a
// park is added, split over two Services on one database (two processes): every request
// answers 200 with the same figures, the city is computed once for the new data (one
// stored run beside the one from before the edit), and the answer includes the new park.
func TestConcurrentRequestsComputeOnce(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	gen := generateCity(5, 200, 8)
	city := gen.load(t, pool, "burst")
	engines := []*gin.Engine{coverageEngine(pool), coverageEngine(pool)}
	const path = "/api/v1/indicators/park-coverage?city=burst&caliber=gb55014-2021&method=buffer&level=district"
	if code, b := getJSON(engines[0], path); code != http.StatusOK {
		t.Fatalf("before the edit: %d %s", code, b)
	}
	var before float64
	if err := pool.QueryRow(ctx, `SELECT sum(ST_Area(geom_m)) FROM parks WHERE city_id = $1 AND park_class <> 'square'`, city).Scan(&before); err != nil {
		t.Fatal(err)
	}
	// A 100 m square community park at the centre of the first residential parcel.
	var added float64
	if err := pool.QueryRow(ctx, `INSERT INTO parks (city_id, name, park_class, geom)
		SELECT $1, 'burst park', 'community', ST_Multi(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), 50, 'quad_segs=1'), 4326))
		FROM residential_land WHERE city_id = $1 ORDER BY id LIMIT 1 RETURNING ST_Area(geom_m)`, city).Scan(&added); err != nil {
		t.Fatal(err)
	}

	const n = 64
	codes, bodies := make([]int, n), make([][]byte, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i], bodies[i] = getJSON(engines[i%2], path)
		}()
	}
	close(start)
	wg.Wait()

	var first map[string]any
	computed := 0
	for i := range n {
		if codes[i] != http.StatusOK {
			t.Errorf("request %d: %d %.300s", i, codes[i], bodies[i])
			continue
		}
		m, reused := decodeAnswer(t, bodies[i])
		if !reused {
			computed++
		}
		if first == nil {
			first = m
		} else if !reflect.DeepEqual(first, m) {
			t.Errorf("request %d answered differently:\n%.600s", i, bodies[i])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	var runs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_runs WHERE city_id = $1 AND caliber_id = 'gb55014-2021' AND method = 'buffer'`, city).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("%d stored runs, want 2 (one before the edit, one after: the burst computed once)", runs)
	}
	if computed == 0 {
		t.Errorf("every answer says reused, but no run of the new data existed before the burst")
	}
	got := first["city_figure"].(map[string]any)["per_capita"].(map[string]any)["park_m2"].(float64)
	if math.Abs(got-(before+added)) > 1e-6 {
		t.Errorf("park_m2 after the edit = %v, want %v + %v (the new park)", got, before, added)
	}
	t.Logf("64 requests: %d answered by the computation, %d from the stored run; %d runs stored", computed, n-computed, runs)
}

// TestComputeRunTakesTheNewerVersion: a computation asked for a data version that is no
// longer current (an edit committed after the caller read it) computes the current data
// and stores the run under the version it read, not the caller's.
func TestComputeRunTakesTheNewerVersion(t *testing.T) {
	f := newBufferRun(t, 5, "newer")
	ctx, pool, svc, q, cal, city := context.Background(), f.pool, f.svc, f.q, f.cal, f.city
	before, err := svc.Store.DataVersion(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM parks WHERE id = (SELECT min(id) FROM parks WHERE city_id = $1)`, city); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Store.DataVersion(ctx, city)
	if err != nil || after.Hash == before.Hash {
		t.Fatalf("deleting a park left the data version at %s (%v)", after.Hash, err)
	}
	c, err := svc.computeRun(ctx, q, cal, city, before.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if !c.fresh || c.run.DataHash != after.Hash {
		t.Errorf("computed run %+v (fresh %v), want a fresh run of %s", c.run, c.fresh, after.Hash)
	}
	var parks int
	if err := pool.QueryRow(ctx, `SELECT parks_counted FROM coverage_runs WHERE id = $1`, c.run.ID).Scan(&parks); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parks WHERE city_id = $1 AND park_class <> 'square' AND open_status <> 'closed'
		AND (ST_Area(geom_m) >= 2000 OR (in_historic_district AND ST_Area(geom_m) >= 1000))`, city).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if parks != want {
		t.Errorf("the run counted %d parks; %d remain that GB/T 50563 counts", parks, want)
	}
}
