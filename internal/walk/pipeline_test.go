package walk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/testdb"
)

// The hand fixture, in local metres (node ids in brackets):
//
//	D[4] (100,100)
//	  |  bridge 12          F[6] (50,50) —— 14 —— G[7] (150,50): crosses 12 at (100,50)
//	  |                     with no node there (an underpass), G —— 15 —— C
//	A[1] —10— B[2] —11— C[3] —16— E[5]      (0,0) (100,0) (200,0) (300,0)
//	A —13— D is a motorway: walkable = false, a barrier.
//
// From A: B 100, C 200, D 200 (not 141.42 over the motorway), E 300,
// G 200 + 50√2 = 270.7107, F 370.7107 (not 150 through the crossing).
func handFixture(t *testing.T) (*pgxpool.Pool, City) {
	db := testdb.New(t)
	city := newCity(t, db.Pool, "hand")
	motorway := road(13, 1, 4, orb.Point{0, 0}, orb.Point{100, 100})
	motorway.Walkable = false
	bridge := road(12, 2, 4, orb.Point{100, 0}, orb.Point{100, 100})
	bridge.Bridge = true
	insertEdges(t, db.Pool, city.ID, []edgeRow{
		road(10, 1, 2, orb.Point{0, 0}, orb.Point{100, 0}),
		road(11, 2, 3, orb.Point{100, 0}, orb.Point{200, 0}),
		bridge, motorway,
		road(14, 6, 7, orb.Point{50, 50}, orb.Point{150, 50}),
		road(15, 7, 3, orb.Point{150, 50}, orb.Point{200, 0}),
		road(16, 3, 5, orb.Point{200, 0}, orb.Point{300, 0}),
	})
	insertFacilities(t, db.Pool, city.ID, []int64{1}, []string{"kindergarten"}, []orb.Point{{250, -10}})
	return db.Pool, city
}

func TestHandFixtureBarriersBridges(t *testing.T) {
	pool, city := handFixture(t)
	n, err := Load(ctxT(t), pool, city.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Stats.Edges != 6 || n.Stats.Skipped.NonWalkable != 1 || n.Stats.Components != 1 {
		t.Fatalf("stats %+v: want 6 edges, 1 non-walkable skipped, 1 component", n.Stats)
	}
	s := runFrom(t, n, mustNode(t, n, 1), math.Inf(1))
	g := 200 + 50*math.Sqrt2
	for id, want := range map[int64]float64{1: 0, 2: 100, 3: 200, 4: 200, 5: 300, 7: g, 6: g + 100} {
		if got := s.Dist(mustNode(t, n, id)); math.Abs(got-want) > 1e-6 {
			t.Errorf("node %d: %.9f m, want %.9f m", id, got, want)
		}
	}
}

func TestHandFixtureAccessLegAndPartialEdges(t *testing.T) {
	pool, city := handFixture(t)
	n, err := Load(ctxT(t), pool, city.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A home at (50,-30) attaches to edge 10 at offset 50 with a 30 m access leg.
	a, ok := n.Index.Attach(at(50, -30), DefaultMaxSnap)
	if !ok || n.Graph.EdgeID(a.Edge) != 10 || math.Abs(a.Offset-50) > 1e-6 || math.Abs(a.Access-30) > 1e-6 {
		t.Fatalf("attachment %+v (edge %d): want edge 10, offset 50, access 30", a, n.Graph.EdgeID(a.Edge))
	}
	if _, ok := n.Index.Attach(at(50, -300), DefaultMaxSnap); ok {
		t.Fatal("a point 300 m from every edge attached within 200 m")
	}
	s := runFrom(t, n, mustNode(t, n, 1), 1000)
	if d, _ := s.DistanceTo(a); math.Abs(d-80) > 1e-6 {
		t.Fatalf("A to the home: %.9f m, want 50 + 30 = 80", d)
	}
}

// get runs a request through the real engine and decodes the JSON answer.
func get(t *testing.T, h http.Handler, path string, q url.Values, out any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil)
	h.ServeHTTP(rec, req)
	if out != nil && rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, rec.Body.String())
		}
	}
	if rec.Code != http.StatusOK {
		t.Logf("%s?%s → %d %s", path, q.Encode(), rec.Code, rec.Body.String())
	}
	return rec.Code
}

func engine(svc *Service) http.Handler { return AdapterEngine(svc) }

type fc struct {
	Type     string `json:"type"`
	Features []struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
	Origin     OriginInfo                   `json:"origin"`
	Polygons   PolygonInfo                  `json:"polygons"`
	Cutoffs    []Cutoff                     `json:"cutoffs"`
	Facilities map[string][]FacilityReached `json:"facilities"`
}

// TestIsochroneAPIHandFixture goes DB → loader → search → API: the origin's access leg,
// the partial edges with their distances, the bridge, the barrier and the facility.
func TestIsochroneAPIHandFixture(t *testing.T) {
	pool, city := handFixture(t)
	h := engine(NewService(pool, quiet()))
	lon, lat := lonLat(t, pool, orb.Point{50, -30})
	var res fc
	if code := get(t, h, "/api/v1/isochrones", url.Values{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)},
		"distances": {"150,300"}, "segments": {"true"}, "city": {city.Slug}}, &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	if math.Abs(res.Origin.AccessM-30) > 1e-6 || res.Origin.EdgeID != 10 {
		t.Fatalf("origin %+v: want edge 10 with a 30 m access leg", res.Origin)
	}
	// Pieces within 300 m: origin at 30 m on edge 10; B at 80; C at 180; D (bridge end)
	// at 180; E at 280; G at 180 + 70.71 = 250.71; edge 14 from G back 49.29 m.
	type piece struct{ from, to, dFrom, dTo float64 }
	want := map[int64]piece{
		10: {0, 100, 80, 80},
		11: {0, 100, 80, 180},
		12: {0, 100, 80, 180},
		16: {0, 100, 180, 280},
		15: {0, 50 * math.Sqrt2, 250.71067811865476, 180},
		14: {100 - (300 - 250.71067811865476), 100, 300, 250.71067811865476},
	}
	got := map[int64]piece{}
	var polys []map[string]any
	for _, f := range res.Features {
		switch f.Properties["kind"] {
		case "segment":
			got[int64(f.Properties["edge_id"].(float64))] = piece{f.Properties["from_m"].(float64), f.Properties["to_m"].(float64),
				f.Properties["dist_from_m"].(float64), f.Properties["dist_to_m"].(float64)}
		case "isochrone":
			polys = append(polys, f.Properties)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("reached pieces %v, want edges %v", got, want)
	}
	for e, w := range want {
		g := got[e]
		if !(sameFloat(g.from, w.from, 1e-6) && sameFloat(g.to, w.to, 1e-6) && sameFloat(g.dFrom, w.dFrom, 1e-6) && sameFloat(g.dTo, w.dTo, 1e-6)) {
			t.Errorf("edge %d: piece %+v, want %+v", e, g, w)
		}
	}
	if len(polys) != 2 || polys[0]["distance_m"].(float64) != 300 || polys[1]["distance_m"].(float64) != 150 {
		t.Fatalf("polygons %v: want 300 then 150", polys)
	}
	// The kindergarten at (250,-10): edge 16 at 50 m, access 10: 180 + 50 + 10 = 240.
	k := res.Facilities["kindergarten"]
	if len(k) != 1 || math.Abs(k[0].DistanceM-240) > 1e-6 {
		t.Fatalf("facilities %+v: want the kindergarten at 240 m", res.Facilities)
	}
	// The 150 m polygon covers the bridge at 60 m up (140 m) and a point 10 m off edge 10,
	// not E (280 m; the nearest point within 150 m is 130 m away) nor the origin itself:
	// access legs are not drawn, and the origin is 30 m from the edge, beyond the 25 m buffer.
	var poly json.RawMessage
	for _, f := range res.Features {
		if f.Properties["kind"] == "isochrone" && f.Properties["distance_m"].(float64) == 150 {
			poly = f.Geometry
		}
	}
	in := covers(t, pool, poly, []orb.Point{{100, 60}, {50, -10}, {300, 0}, {50, -30}})
	if !in[0] || !in[1] || in[2] || in[3] {
		t.Fatalf("covers bridge/near edge/E/origin = %v, want true/true/false/false", in)
	}
	// Out of reach and bad input.
	lon2, lat2 := lonLat(t, pool, orb.Point{50, -400})
	if code := get(t, h, "/api/v1/isochrones", url.Values{"lon": {fmt.Sprint(lon2)}, "lat": {fmt.Sprint(lat2)}, "city": {city.Slug}}, nil); code != http.StatusUnprocessableEntity {
		t.Fatalf("origin beyond the snap distance: %d, want 422", code)
	}
	for _, q := range []url.Values{
		{"lon": {"x"}, "lat": {"1"}},
		{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}, "minutes": {"5,-1"}},
		{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}, "distances": {"9000"}},
		{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}, "speed": {"0"}, "minutes": {"5"}},
		{"lon": {"200"}, "lat": {"1"}},
	} {
		if code := get(t, h, "/api/v1/isochrones", q, nil); code != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", q, code)
		}
	}
	if code := get(t, h, "/api/v1/isochrones", url.Values{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}, "city": {"nowhere"}}, nil); code != http.StatusNotFound {
		t.Errorf("unknown city: %d, want 404", code)
	}
	// Without city= the only city is found; default cut-offs follow the standard.
	var def fc
	if code := get(t, h, "/api/v1/isochrones", url.Values{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}}, &def); code != 200 {
		t.Fatal(code)
	}
	if len(def.Cutoffs) != 3 || def.Cutoffs[0].DistanceM != 300 || def.Cutoffs[1].DistanceM != 500 || def.Cutoffs[2].DistanceM != 1000 {
		t.Fatalf("default cut-offs %+v: want 300/500/1000 m", def.Cutoffs)
	}
}

// covers reports, in PostGIS, whether the EPSG:4326 GeoJSON polygon covers each local
// point once transformed back to the metric CRS.
func covers(t *testing.T, pool *pgxpool.Pool, poly json.RawMessage, pts []orb.Point) []bool {
	t.Helper()
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = x0+p[0], y0+p[1]
	}
	rows, err := pool.Query(ctxT(t), `
		WITH poly AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326), $4::integer) AS g)
		SELECT ST_Covers(poly.g, ST_SetSRID(ST_MakePoint(x, y), $4::integer))
		FROM poly, unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS u(x, y, i) ORDER BY i`, string(poly), xs, ys, testSRID)
	if err != nil {
		t.Fatal(err)
	}
	var out []bool
	for rows.Next() {
		var b bool
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServiceReloads checks that the cached network follows edits of network_edges.
func TestServiceReloads(t *testing.T) {
	pool, city := handFixture(t)
	svc := NewService(pool, quiet())
	ctx := ctxT(t)
	n1, err := svc.Network(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	if n2, _ := svc.Network(ctx, city); n2 != n1 {
		t.Fatal("unchanged network reloaded")
	}
	// Open the motorway to walkers (an update) → reload; D is then 141.42 from A.
	if _, err := pool.Exec(ctx, `UPDATE network_edges SET walkable = true WHERE id = 13`); err != nil {
		t.Fatal(err)
	}
	n3, err := svc.Network(ctx, city)
	if err != nil || n3 == n1 || n3.Stats.Edges != 7 {
		t.Fatalf("after the update: %v, edges %d", err, n3.Stats.Edges)
	}
	if d := runFrom(t, n3, mustNode(t, n3, 1), 1000).Dist(mustNode(t, n3, 4)); math.Abs(d-100*math.Sqrt2) > 1e-6 {
		t.Fatalf("A→D after opening the motorway: %v", d)
	}
	// A delete → reload.
	if _, err := pool.Exec(ctx, `DELETE FROM network_edges WHERE id = 16`); err != nil {
		t.Fatal(err)
	}
	n4, _ := svc.Network(ctx, city)
	if n4.Stats.Edges != 6 {
		t.Fatalf("after the delete: %d edges", n4.Stats.Edges)
	}
	// With a Watcher, only the tables it saw edited are read: an edit it was not told of
	// (a stand-in that never reports one) is not looked for, so the cached graph stays.
	svc.Watch = &stillWatch{}
	if n5, _ := svc.Network(ctx, city); n5 != n4 {
		t.Fatal("reloaded with nothing edited")
	}
	if _, err := pool.Exec(ctx, `DELETE FROM network_edges WHERE id = 15`); err != nil {
		t.Fatal(err)
	}
	if n6, _ := svc.Network(ctx, city); n6 != n4 {
		t.Fatal("read the network's version although the Watcher saw no edit")
	}
	// Told of the edit, the next call reads network_edges again and reloads.
	svc.Watch.(*stillWatch).gen++
	if n7, _ := svc.Network(ctx, city); n7.Stats.Edges != 5 {
		t.Fatalf("after the reported delete: %d edges", n7.Stats.Edges)
	}
}

// stillWatch is a citydata.Watcher that reports gen edits of every table: a stand-in for
// the tile service's listener where a test decides what it saw.
type stillWatch struct{ gen uint64 }

func (*stillWatch) Sync(context.Context) error { return nil }

func (w *stillWatch) Generations(tables []string) (uint64, []uint64, bool) {
	g := make([]uint64, len(tables))
	for i := range g {
		g[i] = w.gen
	}
	return 1, g, true
}

// TestScenarioNetwork checks Network.With: closing the bridge and adding a footbridge.
func TestScenarioNetwork(t *testing.T) {
	pool, city := handFixture(t)
	n, err := Load(ctxT(t), pool, city.ID)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := n.With(nil, []int64{12})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := closed.Graph.NodeIndex(4); ok {
		t.Fatal("D still in the graph with its only walkable edge closed")
	}
	foot := network.Edge{ID: 100, Source: 6, Target: 1, Length: 50 * math.Sqrt2, Walkable: true, Geom: orb.LineString{at(50, 50), at(0, 0)}}
	opened, err := n.With([]network.Edge{foot}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := runFrom(t, opened, mustNode(t, opened, 1), 1000).Dist(mustNode(t, opened, 6)); math.Abs(d-50*math.Sqrt2) > 1e-9 {
		t.Fatalf("A→F over the footbridge: %v", d)
	}
	if n.Stats.Edges != 6 {
		t.Fatal("the baseline changed")
	}
}
