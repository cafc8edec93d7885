package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// TestGapLayerTilesAndCollectionFollowEdits serves the gap layer of a generated city as
// vector tiles and as an OGC API collection and compares both with PostGIS, before and
// after a park is added where there was a gap.
func TestGapLayerTilesAndCollectionFollowEdits(t *testing.T) {
	pool := newDB(t)
	ctx := t.Context()
	gen := generateCity(11, 1500, 30)
	city := gen.load(t, pool, "gaps")
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg}
	ts := tiles.New(pool, layers.Default(), tiles.Options{CacheBytes: 32 << 20, Logger: log})
	if err := ts.Register(AdapterGapTiles(svc)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ts.WaitLive(wctx); err != nil {
		t.Fatal(err)
	}
	store, err := featureapi.NewStore(ctx, pool, layers.Default())
	if err != nil {
		t.Fatal(err)
	}
	ogc, err := ogcapi.New(ctx, pool, store, layers.Default(), log)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := AdapterGapCollection(ctx, pool, svc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ogc.Catalog.Register(gc); err != nil {
		t.Fatal(err)
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, ogc, tiles.Handler{Tiles: ts, Log: log}))

	// Independent: per parcel, area minus the area within the union of the counted parks'
	// buffers (300 m, or 500 m from 5,000 m²), by PostGIS.
	// The gap geometries are kept in a scratch table, so that what each tile must hold is
	// asked of PostGIS too: ST_AsMVTGeom drops pieces smaller than a tile unit.
	want := func() map[int64][2]float64 {
		t.Helper()
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS independent_gaps;
			CREATE TABLE independent_gaps AS
			WITH u AS (SELECT ST_Union(ST_Buffer(geom_m, CASE WHEN area_m2 >= 5000 THEN 500 ELSE 300 END)) AS g FROM parks
			           WHERE city_id = `+fmt.Sprint(city)+` AND park_class IN ('comprehensive', 'community', 'specialized', 'garden')
			             AND open_status IN ('open', 'shared')
			             AND (area_m2 >= 2000 OR (in_historic_district AND area_m2 >= 1000)))
			SELECT r.id, r.population, coalesce(ST_Difference(r.geom_m, u.g), r.geom_m) AS g
			FROM residential_land r, u WHERE r.city_id = `+fmt.Sprint(city)); err != nil {
			t.Fatal(err)
		}
		rows, err := pool.Query(ctx, `SELECT id, ST_Area(g), population FROM independent_gaps`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64][2]float64{}
		for rows.Next() {
			var id int64
			var a, pop float64
			if err := rows.Scan(&id, &a, &pop); err != nil {
				t.Fatal(err)
			}
			out[id] = [2]float64{a, pop}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	inTile := func(z, x, y int) map[int64]bool {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT id FROM independent_gaps
			WHERE ST_AsMVTGeom(ST_Transform(ST_SetSRID(g, 4546), 3857), ST_TileEnvelope($1, $2, $3), 4096, 256, true) IS NOT NULL
			  AND ST_Area(g) > 1e-6`, z, x, y)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[id] = true
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The z13 tiles over the residential land, by PostGIS.
	type zxy struct{ z, x, y int }
	var list []zxy
	rows, err := pool.Query(ctx, `
		WITH e AS (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 4326), 3857) AS g FROM residential_land WHERE city_id = $1),
		     k AS (SELECT 40075016.68557849 / 2 ^ 13 AS s)
		SELECT 13, x, y FROM e, k,
		  generate_series(floor((ST_XMin(g) + 20037508.342789244) / s)::int, floor((ST_XMax(g) + 20037508.342789244) / s)::int) x,
		  generate_series(floor((20037508.342789244 - ST_YMax(g)) / s)::int, floor((20037508.342789244 - ST_YMin(g)) / s)::int) y`, city)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c zxy
		if err := rows.Scan(&c.z, &c.x, &c.y); err != nil {
			t.Fatal(err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || len(list) > 64 {
		t.Fatalf("%d tiles over the city", len(list))
	}

	check := func(stage string, firstStatus tiles.CacheStatus) {
		t.Helper()
		w := want()
		for i, c := range list {
			res, err := ts.Tile(ctx, tiles.TileRequest{Sources: []string{GapLayer}, Tile: tiles.Tile{Z: c.z, X: c.x, Y: c.y}, Limit: tiles.DefaultLimit, City: "gaps"})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && res.Status != firstStatus {
				t.Errorf("%s: first tile %s, want %s", stage, res.Status, firstStatus)
			}
			raw, err := res.Body(false)
			if err != nil {
				t.Fatal(err)
			}
			ls, err := mvtread.Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			here := map[int64]bool{}
			for _, l := range ls {
				for _, f := range l.Features {
					p := int64(f.Props["parcel_id"].(float64))
					a := f.Props["area_m2"].(float64)
					here[p] = true
					if math.Abs(a-w[p][0]) > 0.01 {
						t.Errorf("%s: tile %v parcel %d: gap %.4f m², PostGIS %.4f m²", stage, c, p, a, w[p][0])
					}
				}
			}
			exp := inTile(c.z, c.x, c.y)
			for p := range exp {
				if !here[p] {
					t.Errorf("%s: tile %v lacks parcel %d (gap %.4f m² by PostGIS)", stage, c, p, w[p][0])
				}
			}
			for p := range here {
				if !exp[p] {
					t.Errorf("%s: tile %v has parcel %d, whose PostGIS gap (%.4f m²) is not drawn there", stage, c, p, w[p][0])
				}
			}
		}
		n := 0
		for _, v := range w {
			if v[0] > 0.01 {
				n++
			}
		}
		if n == 0 || n == len(w) {
			t.Fatalf("%s: %d of %d parcels have gaps; the fixture should be partly covered", stage, n, len(w))
		}

		// The OGC collection: every gap piece of the current run, with its area.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+"/collections/"+GapLayer+"/items?city=gaps&limit=10000", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: items: %d %s", stage, rec.Code, rec.Body)
		}
		var fc struct {
			NumberMatched int `json:"numberMatched"`
			Features      []struct {
				Properties struct {
					ParcelID  int64   `json:"parcel_id"`
					AreaM2    float64 `json:"area_m2"`
					Caliber   string  `json:"caliber_id"`
					Method    string  `json:"method"`
					RunID     int64   `json:"run_id"`
					DataHash  string  `json:"data_hash"`
					CityLabel string  `json:"city"`
				} `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, f := range fc.Features {
			p := f.Properties
			got[p.ParcelID] = true
			if p.Caliber != "gbt50563-2010" || p.Method != "buffer" || p.CityLabel != "gaps" || p.DataHash == "" {
				t.Fatalf("%s: item %+v", stage, p)
			}
			if math.Abs(p.AreaM2-w[p.ParcelID][0]) > 0.01 {
				t.Errorf("%s: item parcel %d: %.4f m², PostGIS %.4f m²", stage, p.ParcelID, p.AreaM2, w[p.ParcelID][0])
			}
		}
		for p, v := range w {
			if v[0] > 0.01 && !got[p] {
				t.Errorf("%s: parcel %d has a gap by PostGIS but is not in the collection", stage, p)
			}
		}
		if fc.NumberMatched != len(fc.Features) {
			t.Errorf("%s: numberMatched %d, %d features", stage, fc.NumberMatched, len(fc.Features))
		}
		t.Logf("%s: %d parcels with gaps, %d tiles, %d items", stage, n, len(list), len(fc.Features))
	}
	check("baseline", tiles.Miss)
	res, err := ts.Tile(ctx, tiles.TileRequest{Sources: []string{GapLayer}, Tile: tiles.Tile{Z: list[0].z, X: list[0].x, Y: list[0].y}, Limit: tiles.DefaultLimit, City: "gaps"})
	if err != nil || res.Status != tiles.Hit {
		t.Fatalf("second request: %v %v, want a cache hit", res, err)
	}

	// A 100 m square community park (10,000 m², radius 500 m) on the parcel with the
	// largest gap: the next tile and the next page show the smaller gap layer.
	var target int64
	if err := pool.QueryRow(ctx, `SELECT parcel_id FROM coverage_gaps g JOIN coverage_runs r ON r.id = g.run_id
		WHERE r.city_id = $1 ORDER BY g.area_m2 DESC, parcel_id LIMIT 1`, city).Scan(&target); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom)
		SELECT $1, 'new pocket park', 'community', ST_Multi(ST_Transform(ST_Buffer(ST_PointOnSurface(geom_m), 50, 'quad_segs=1'), 4326))
		FROM residential_land WHERE id = $2`, city, target); err != nil {
		t.Fatal(err)
	}
	check("after adding a park", tiles.Miss)
	if w := want(); w[target][0] > 0.01 {
		t.Fatalf("parcel %d still has a %.2f m² gap by PostGIS", target, w[target][0])
	}

	// Another caliber is another run: GB 55014 counts parks differently.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+"/collections/"+GapLayer+"/items?city=gaps&caliber_id=gb55014-2021&limit=1", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("caliber_id=gb55014-2021: %d %s", rec.Code, rec.Body)
	}
	// The tile parameters: checked before any database work, carried into TileJSON.
	tp := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", GapLayer, list[0].z, list[0].x, list[0].y)
	for _, bad := range []string{tp + "?caliber=nope", tp + "?method=flying", tp + "?city=atlantis", tp + "?colour=red",
		fmt.Sprintf("/tiles/parks/%d/%d/%d.mvt?caliber=gbt50563-2010", list[0].z, list[0].x, list[0].y)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bad, nil))
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want a 400 problem", bad, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tp+"?city=gaps&method=network", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tiles.MediaType {
		t.Fatalf("network gaps tile: %d %s", rec.Code, rec.Body)
	}
	var nw int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_runs WHERE city_id = $1 AND method = 'network'`, city).Scan(&nw); err != nil || nw != 1 {
		t.Fatalf("network runs stored: %d %v, want 1", nw, err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tiles/"+GapLayer+".json?caliber=gb55014-2021", nil))
	var tj tiles.TileJSON
	if err := json.Unmarshal(rec.Body.Bytes(), &tj); err != nil || rec.Code != 200 || len(tj.Tiles) != 1 || !strings.Contains(tj.Tiles[0], "caliber=gb55014-2021") {
		t.Fatalf("TileJSON: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{"caliber_id=nope", "method=flying", "city=atlantis"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ogcapi.Prefix+"/collections/"+GapLayer+"/items?"+bad, nil))
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s %s, want a 400 problem", bad, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
}
