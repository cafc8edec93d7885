package featureapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// withExtent gives the test city a boundary: the square 109.5–110.5°E, 40.3–41.0°N, so the
// city-extent rule of migration 0016 applies.
func withExtent(e *env) {
	e.t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(),
		`UPDATE cities SET geom = ST_Multi(ST_MakeEnvelope(109.5, 40.3, 110.5, 41.0, 4326)) WHERE id = $1`, e.city); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) park(geom map[string]any) map[string]any {
	return feature(geom, props(map[string]any{"city_id": e.city, "name": "测试公园", "park_class": "community"}))
}

// problemDoc checks that r is a problem document with status and returns it.
func problemDoc(t *testing.T, r resp, status int) map[string]any {
	t.Helper()
	if r.Code != status || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %q %s, want %d problem+json", r.Code, r.Header.Get("Content-Type"), r.Body, status)
	}
	return r.JSON(t)
}

func TestSemicolonNeverReachesAWrite(t *testing.T) {
	e := newImportEnv(t, false, nil)
	before := e.checksum()
	// The hostile tester's import: dry_run=true; was read as no dry run and wrote 3 parks.
	p := problemDoc(t, e.do("POST", "/api/v1/layers/parks/import?city=baotou&dry_run=true;", "alice", threeParks(false)), 400)
	if p["parameter"] != "dry_run" {
		t.Errorf("names %v, want dry_run", p["parameter"])
	}
	// ?park_class=garden;x listed every park; now it is refused.
	problemDoc(t, e.do("GET", "/api/v1/layers/parks/features?park_class=garden;x", "", nil), 400)
	if after := e.checksum(); after != before {
		t.Fatalf("a refused request changed the database:\n%s\n%s", before, after)
	}
}

func TestWriteBodiesAreStrict(t *testing.T) {
	e := newEnv(t, true)
	before := e.checksum()
	good, _ := json.Marshal(e.park(square(109.84, 40.64, 0.001)))

	// No Content-Type: 415 from the engine, before the API reads a byte.
	req := httptest.NewRequest("POST", "/api/v1/layers/parks/features", strings.NewReader(string(good)))
	req.Header.Set("Authorization", "Bearer "+e.tokens["alice"])
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	problemDoc(t, resp{Code: w.Code, Header: w.Header(), Body: w.Body.Bytes()}, 415)

	// Malformed JSON: 400.
	problemDoc(t, e.do("POST", "/api/v1/layers/parks/features", "alice", `{"type":"Feature",`), 400)

	// Invalid UTF-8 in a property, a member name and a patch: 422 naming the member.
	bad := strings.Replace(string(good), "测试公园", "bad\xff", 1)
	if p := problemDoc(t, e.do("POST", "/api/v1/layers/parks/features", "alice", bad), 422); p["pointer"] != "/properties/name" {
		t.Errorf("invalid UTF-8 value: pointer %v, want /properties/name", p["pointer"])
	}
	badKey := strings.Replace(string(good), `"park_class"`, "\"park\xe4class\"", 1)
	if p := problemDoc(t, e.do("POST", "/api/v1/layers/parks/features", "alice", badKey), 422); !strings.HasPrefix(p["pointer"].(string), "/properties/park") {
		t.Errorf("invalid UTF-8 member name: pointer %v", p["pointer"])
	}
	id := e.parents["park"]
	path := fmt.Sprintf("/api/v1/layers/parks/features/%d", id)
	if p := problemDoc(t, e.do("PATCH", path, "alice", "{\"properties\":{\"name\":\"x\xc0\xaf\"}}", "If-Match", `"1"`), 422); p["pointer"] != "/properties/name" {
		t.Errorf("invalid UTF-8 in a patch: pointer %v, want /properties/name", p["pointer"])
	}
	problemDoc(t, e.do("PATCH", path, "alice", `{"properties":`, "If-Match", `"1"`), 400)
	if after := e.checksum(); after != before {
		t.Fatalf("a refused write changed the database:\n%s\n%s", before, after)
	}
}

func TestDeclaredCRSMustFitTheCoordinates(t *testing.T) {
	e := newEnv(t, true)
	before := e.checksum()
	// The hostile tester's feature: EPSG:4546 (CGCS2000 GK CM 111°E, metres, false easting
	// 500,000) declared for degree coordinates. Its area of use is x 165,200–834,800 m
	// (500,000 ± 3° × 111,600 m), y 221,000–6,098,000 m (2°N–55°N).
	body := e.park(square(109.84, 40.64, 0.001))
	body["crs"] = map[string]any{"type": "name", "properties": map[string]any{"name": "EPSG:4546"}}
	p := problemDoc(t, e.do("POST", "/api/v1/layers/parks/features", "alice", body), 422)
	c, _ := p["coordinate"].([]any)
	if p["crs"] != "EPSG:4546" || len(c) != 2 || c[0] != json.Number("109.84") || c[1] != json.Number("40.64") ||
		!strings.Contains(p["detail"].(string), "165200") {
		t.Errorf("problem %v, want the coordinate (109.84, 40.64) and the area of EPSG:4546", p)
	}
	// The same through ?crs=.
	problemDoc(t, e.do("POST", "/api/v1/layers/parks/features?crs=EPSG:4546", "alice", e.park(square(109.84, 40.64, 0.001))), 422)
	// A zone-prefixed easting (zone 37) sent as the unprefixed zone.
	problemDoc(t, e.do("POST", "/api/v1/layers/parks/features?crs=EPSG:4546", "alice",
		e.park(square(37_432_000, 4_500_000, 100))), 422)
	// An import declaring EPSG:4546 for degrees is refused whole, naming the feature.
	fc := map[string]any{"type": "FeatureCollection", "features": []any{e.park(square(109.84, 40.64, 0.001))}}
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou&crs=EPSG:4546", "alice", fc)
	if r.Code != 422 || !strings.Contains(string(r.Body), "outside the area of use of EPSG:4546") {
		t.Fatalf("import: %d %s", r.Code, r.Body)
	}
	if after := e.checksum(); after != before {
		t.Fatalf("a refused write changed the database:\n%s\n%s", before, after)
	}
	// Metres that truly are EPSG:4546, computed by PostGIS from 109.84°E 40.64°N, are fine.
	var x, y float64
	if err := e.db.Pool.QueryRow(context.Background(),
		`SELECT ST_X(g), ST_Y(g) FROM ST_Transform(ST_SetSRID(ST_MakePoint(109.84, 40.64), 4326), 4546) g`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/layers/parks/features?crs=EPSG:4546", "alice", e.park(square(x, y, 80))); r.Code != 201 {
		t.Fatalf("true EPSG:4546 metres (%f, %f): %d %s", x, y, r.Code, r.Body)
	}
}

func TestGeometryMustLieWithinTheCityExtent(t *testing.T) {
	e := newEnv(t, true)
	withExtent(e)
	ctx := context.Background()
	// Where the margin ends, worked out by PostGIS independently of the trigger: the
	// extent's east edge in EPSG:4546, plus 40 km (inside) and 60 km (outside), back in
	// lon/lat at the extent's middle latitude.
	var inLon, outLon, lat float64
	if err := e.db.Pool.QueryRow(ctx, `
		WITH b AS (SELECT ST_Transform(ST_MakeEnvelope(109.5, 40.3, 110.5, 41.0, 4326), 4546) AS m)
		SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMax(m) + 40000, (ST_YMin(m) + ST_YMax(m)) / 2), 4546), 4326)),
		       ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMax(m) + 60000, (ST_YMin(m) + ST_YMax(m)) / 2), 4546), 4326)),
		       ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(ST_XMax(m) + 40000, (ST_YMin(m) + ST_YMax(m)) / 2), 4546), 4326))
		FROM b`).Scan(&inLon, &outLon, &lat); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/layers/parks/features", "alice", e.park(square(inLon, lat, 0.001))); r.Code != 201 {
		t.Fatalf("40 km beyond the boundary's box: %d %s", r.Code, r.Body)
	}
	before := e.checksum()
	for name, geom := range map[string]map[string]any{
		"60 km beyond the box": square(outLon, lat, 0.001),
		// The hostile tester's feature as it was stored: degrees read as EPSG:4546 metres
		// land near the equator, 4,500 km south.
		"near the equator": square(106.5, 0.0004, 0.001),
	} {
		p := problemDoc(t, e.do("POST", "/api/v1/layers/parks/features", "alice", e.park(geom)), 422)
		if p["constraint"] != "parks_geom_in_city_extent" || p["attribute"] != "geometry" || !strings.Contains(p["detail"].(string), "50 km") {
			t.Errorf("%s: %v", name, p)
		}
	}
	// Moving an existing park out of the extent is refused and leaves it as it was.
	id := e.parents["park"]
	p := problemDoc(t, e.do("PATCH", fmt.Sprintf("/api/v1/layers/parks/features/%d", id), "alice",
		map[string]any{"geometry": square(106.5, 0.0004, 0.001)}, "If-Match", `"1"`), 422)
	if p["constraint"] != "parks_geom_in_city_extent" {
		t.Errorf("patch: %v", p)
	}
	// An import with one feature outside is refused whole.
	fc := map[string]any{"type": "FeatureCollection", "features": []any{
		e.park(square(109.84, 40.64, 0.001)), e.park(square(106.5, 0.0004, 0.001))}}
	r := e.do("POST", "/api/v1/layers/parks/import?city=baotou", "alice", fc)
	if r.Code != 422 || !strings.Contains(string(r.Body), "outside the extent of city baotou") {
		t.Fatalf("import: %d %s", r.Code, r.Body)
	}
	if after := e.checksum(); after != before {
		t.Fatalf("a refused write changed the database:\n%s\n%s", before, after)
	}
}
