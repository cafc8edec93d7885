package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/testdb"
)

// sqlParkCoverage is park coverage by area worked out in PostGIS from GB/T 50563-2010
// (not from internal/coverage): the union of every counted park's buffer (500 m from
// 5000 m², else 300 m; counted: the four park classes, open or shared, from 2000 m²),
// intersected with the residential parcels, over their whole area.
const sqlParkCoverage = `
WITH u AS (
    SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END)) AS g
    FROM parks
    WHERE city_id = $1 AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
      AND open_status IN ('open', 'shared') AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000))
)
SELECT coalesce(sum(ST_Area(ST_Intersection(r.geom_m, u.g))) FILTER (WHERE u.g IS NOT NULL), 0) / sum(ST_Area(r.geom_m))
FROM residential_land r LEFT JOIN u ON true WHERE r.city_id = $1`

// TestIndicatorsOnAReplica serves park coverage with --replica-url set to the test
// server's streaming replica (scripts/replica.sh): the indicator's inputs (its data
// version and snapshot) are read on the replica, observed both by the router's count and
// by the replica's own statistics of the parcels table, while its run is stored on the
// primary; a park added through the API and the indicator asked with the write's token
// give the figure PostGIS computes on the primary after the edit, under the data version
// the primary holds; with the replica stopped, a further edit and the indicator are
// answered from the primary without an error, with PostGIS's figure again.
func TestIndicatorsOnAReplica(t *testing.T) {
	tdb := testdb.New(t)
	replicaURL := testdb.ReplicaURL(t, tdb, true) // exclusive: the replica is stopped below
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	ctx := context.Background()
	var city int
	if err := tdb.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('rrcity', '副本市', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	// Eight parcels of about 85 × 110 m in a row 200 m apart, and one 3 000 m² garden
	// (radius 300 m) at the east end: part of the row is covered.
	square := func(lon, lat, d float64) string {
		return fmt.Sprintf("SRID=4326;POLYGON((%[1]g %[2]g,%[3]g %[2]g,%[3]g %[4]g,%[1]g %[4]g,%[1]g %[2]g))", lon, lat, lon+d, lat+d)
	}
	for i := range 8 {
		if _, err := tdb.Pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, 300, 100, ST_Multi($2::geometry))`,
			city, square(109.80+0.0024*float64(i), 40.60, 0.001)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tdb.Pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '东园', 'garden', ST_Multi($2::geometry))`,
		city, square(109.8175, 40.6003, 0.0006)); err != nil {
		t.Fatal(err)
	}
	app, do := replicaServer(t, tdb, replicaURL)
	const path = "/api/v1/indicators/park-coverage?city=rrcity&caliber=gbt50563-2010&method=buffer"
	type report struct {
		Run struct {
			ID       int64  `json:"run_id"`
			DataHash string `json:"data_hash"`
		} `json:"run"`
		City struct {
			Ratio float64 `json:"ratio"`
		} `json:"city_figure"`
	}
	// indicator asks for park coverage (with the write token tok) and compares it with
	// PostGIS on the primary: the figure, and the data version it is stored under.
	indicator := func(tok, when string) report {
		t.Helper()
		var hdr map[string]string
		if tok != "" {
			hdr = map[string]string{LSNHeader: tok}
		}
		rec := do("GET", path, "", hdr)
		if rec.Code != 200 {
			t.Fatalf("%s: GET %s: %d %s", when, path, rec.Code, rec.Body)
		}
		var rep report
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		var want float64
		if err := tdb.Pool.QueryRow(ctx, sqlParkCoverage, city).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if math.Abs(rep.City.Ratio-want) > 1e-4 {
			t.Fatalf("%s: coverage %.6f; PostGIS on the primary gives %.6f", when, rep.City.Ratio, want)
		}
		dv, err := citydata.Read(ctx, tdb.Pool, city, coverage.InputTables()...)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Run.DataHash != dv.Hash {
			t.Fatalf("%s: the run is stored under data version %s; the primary's data is version %s", when, rep.Run.DataHash, dv.Hash)
		}
		return rep
	}
	replicaScans := func(table string) int64 { // scans of table counted by the replica itself
		t.Helper()
		c, err := pgx.Connect(ctx, replicaURL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx) //nolint:errcheck // a probe connection
		var n int64
		if err := c.QueryRow(ctx, `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// waitScans waits (the replica's backends report their statistics within a second or
	// so of going idle) until the replica has counted scans of table past before.
	waitScans := func(table string, before int64, when string) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); replicaScans(table) <= before; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the replica has not scanned %s (%d scans before and after)", when, table, before)
			}
		}
	}

	// The fixture was written in SQL: its position is the first request's token, as a
	// write through the API would have given.
	fixture, err := app.Replicas.CommitLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scans0, st0 := replicaScans("residential_land"), app.Replicas.Stats()
	first := indicator(fixture.String(), "first request")
	if first.City.Ratio <= 0 || first.City.Ratio >= 0.9 {
		t.Fatalf("fixture: coverage %.4f, want part of the row covered", first.City.Ratio)
	}
	st1 := app.Replicas.Stats()
	if st1.ReplicaReads == st0.ReplicaReads {
		t.Fatalf("no read of the indicator went to the replica: %+v then %+v", st0, st1)
	}
	waitScans("residential_land", scans0, "first request")
	// The run's figures are stored before the answer, its gap layer after it (the run is
	// complete once the gaps are in): wait for that, on the primary.
	var runs int
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		err := tdb.Pool.QueryRow(ctx, `SELECT count(*) FROM coverage_runs WHERE city_id = $1 AND complete`, city).Scan(&runs)
		if err == nil && runs == 1 {
			break
		}
		if err != nil || runs > 1 || time.Now().After(deadline) {
			t.Fatalf("complete runs stored on the primary: %d (%v); want 1", runs, err)
		}
	}

	// Read-your-writes: a garden added at the west end through the API, then the
	// indicator with the write's token: the new figure, of the primary's new version.
	park := fmt.Sprintf(`{"type":"Feature","properties":{"city_id":%d,"name":"西园","park_class":"garden"},
		"geometry":{"type":"Polygon","coordinates":[[[109.8000,40.6015],[109.8007,40.6015],[109.8007,40.6022],[109.8000,40.6022],[109.8000,40.6015]]]}}`, city)
	rec := do("POST", "/api/v1/layers/parks/features", park, nil)
	tok, etag := rec.Header().Get(LSNHeader), rec.Header().Get("ETag")
	var created struct {
		ID int64 `json:"id"`
	}
	if rec.Code != 201 || tok == "" || etag == "" || json.Unmarshal(rec.Body.Bytes(), &created) != nil {
		t.Fatalf("POST park: %d %q %q %s", rec.Code, tok, etag, rec.Body)
	}
	// The kept snapshot is brought forward by the changed parks, read on the replica.
	scans1, st2 := replicaScans("parks"), app.Replicas.Stats()
	second := indicator(tok, "after the edit")
	if second.City.Ratio < first.City.Ratio+0.1 || second.Run.ID == first.Run.ID {
		t.Fatalf("after adding a garden: coverage %.4f (run %d), before %.4f (run %d); want a new run covering more",
			second.City.Ratio, second.Run.ID, first.City.Ratio, first.Run.ID)
	}
	if st := app.Replicas.Stats(); st.ReplicaReads == st2.ReplicaReads {
		t.Fatalf("no read of the indicator after the edit went to the replica: %+v then %+v", st2, st)
	}
	waitScans("parks", scans1, "after the edit")
	// Asked again: the stored run, found and read on the replica.
	st3 := app.Replicas.Stats()
	if again := indicator(tok, "asked again"); again.Run.ID != second.Run.ID {
		t.Fatalf("asked again: run %d; want the stored run %d", again.Run.ID, second.Run.ID)
	}
	if st := app.Replicas.Stats(); st.ReplicaReads < st3.ReplicaReads+2 || st.PrimaryReads != st3.PrimaryReads {
		t.Fatalf("the stored run was not looked up and read on the replica: %+v then %+v", st3, st)
	}

	if os.Geteuid() != 0 {
		t.Fatal("the replica-stopped part needs root (scripts/replica.sh stop|start)")
	}
	t.Cleanup(func() { _, _ = testdb.ReplicaScript("start") })
	if out, err := testdb.ReplicaScript("stop"); err != nil {
		t.Fatalf("replica.sh stop: %v\n%s", err, out)
	}
	// The replica is gone before any health check noticed: the garden is closed through
	// the API and the indicator is answered from the primary, without an error.
	rec = do("PATCH", fmt.Sprintf("/api/v1/layers/parks/features/%d", created.ID), `{"type":"Feature","properties":{"open_status":"closed"}}`,
		map[string]string{"Content-Type": "application/merge-patch+json", "If-Match": etag})
	if rec.Code != 200 {
		t.Fatalf("PATCH park: %d %s", rec.Code, rec.Body)
	}
	third := indicator(rec.Header().Get(LSNHeader), "replica stopped")
	if math.Abs(third.City.Ratio-first.City.Ratio) > 1e-9 {
		t.Fatalf("with the west garden closed: coverage %.6f; want the first figure %.6f", third.City.Ratio, first.City.Ratio)
	}
	if h := app.Replicas.Healthy(); len(h) != 0 {
		t.Fatalf("the stopped replica still serves reads: %v", h)
	}
}
