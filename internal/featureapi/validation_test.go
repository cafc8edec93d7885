package featureapi_test

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
)

// bowtie's edges (109.80 40.60)–(109.82 40.62) and (109.82 40.60)–(109.80 40.62) are the
// two diagonals of the square [109.80, 109.82] × [40.60, 40.62]; they cross at its
// centre, (109.81, 40.61).
var bowtie = polygon([2]float64{109.80, 40.60}, [2]float64{109.82, 40.62}, [2]float64{109.82, 40.60}, [2]float64{109.80, 40.62}, [2]float64{109.80, 40.60})

func parkProps(e *env) map[string]any {
	return map[string]any{"city_id": e.city, "name": "测试公园", "park_class": "garden"}
}

func TestInvalidPolygonNamesTheSelfIntersection(t *testing.T) {
	e := newEnv(t, true)
	sum := e.checksum()
	r := e.do("POST", "/api/v1/layers/parks/features", "alice", feature(bowtie, parkProps(e)))
	if r.Code != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	p := r.JSON(t)
	if p["reason"] != "Self-intersection" {
		t.Fatalf("reason %v", p["reason"])
	}
	loc := p["location"].([]any)
	x, _ := loc[0].(json.Number).Float64()
	y, _ := loc[1].(json.Number).Float64()
	if math.Abs(x-109.81) > 1e-9 || math.Abs(y-40.61) > 1e-9 {
		t.Fatalf("location %v, want [109.81, 40.61]", loc)
	}
	if e.checksum() != sum {
		t.Fatal("an invalid polygon changed the database")
	}

	// With ?repair=true the bowtie becomes two triangles meeting at the crossing, stored as
	// a MultiPolygon; the response says what was repaired.
	r = e.do("POST", "/api/v1/layers/parks/features?repair=true", "alice", feature(bowtie, parkProps(e)))
	if r.Code != http.StatusCreated || r.Header.Get("X-Geometry-Repaired") != "true" {
		t.Fatalf("repair: %d %s", r.Code, r.Body)
	}
	f := r.JSON(t)
	rep := f["repaired"].(map[string]any)
	if rep["reason"] != "Self-intersection" {
		t.Fatalf("repaired %v", rep)
	}
	g := f["geometry"].(map[string]any)
	if g["type"] != "MultiPolygon" || len(g["coordinates"].([]any)) != 2 {
		t.Fatalf("repaired geometry %v, want a MultiPolygon of 2 triangles", g)
	}
	// Each triangle has base 0.02° and height 0.01°: area 0.0001 deg² each, 0.0002 in all.
	var area float64
	id := f["id"].(json.Number).String()
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT ST_Area(geom) FROM parks WHERE id = $1`, id).Scan(&area); err != nil {
		t.Fatal(err)
	}
	if math.Abs(area-0.0002) > 1e-12 {
		t.Fatalf("repaired area %g deg², want 0.0002", area)
	}
}

func TestGeometryAndAttributeValidation(t *testing.T) {
	e := newEnv(t, true)
	good := square(109.811, 40.611, 0.002)
	with := func(k string, v any) map[string]any {
		p := parkProps(e)
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
		return p
	}
	cases := []struct {
		name      string
		path      string
		body      any
		code      int
		attribute string // the attribute the problem must name
		detail    string // a part of the detail
	}{
		{"point into a polygon layer", "parks", feature(point(109.8, 40.6), parkProps(e)), 422, "geometry", "MultiPolygon"},
		{"line into a point layer", "facilities", feature(line([2]float64{109.8, 40.6}, [2]float64{109.81, 40.6}), map[string]any{"city_id": e.city, "category": "clinic"}), 422, "geometry", "Point"},
		{"unclosed ring", "parks", feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{109.8, 40.6}, {109.81, 40.6}, {109.81, 40.61}, {109.8, 40.61}}}}, parkProps(e)), 422, "", "not closed"},
		{"too few points", "parks", feature(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{109.8, 40.6}, {109.81, 40.6}, {109.8, 40.6}}}}, parkProps(e)), 422, "", "at least 4"},
		{"empty geometry", "parks", feature(map[string]any{"type": "Polygon", "coordinates": []any{}}, parkProps(e)), 422, "", "empty"},
		{"longitude out of range", "parks", feature(square(189, 40, 1), parkProps(e)), 422, "", "out of range"},
		{"latitude out of range", "facilities", feature(point(109, 95), map[string]any{"city_id": e.city, "category": "clinic"}), 422, "", "out of range"},
		{"unknown attribute", "parks", feature(good, with("colour", "green")), 422, "colour", "unknown attribute"},
		{"wrong type", "parks", feature(good, with("pocket", "yes")), 422, "pocket", "true or false"},
		{"enum violation", "parks", feature(good, with("park_class", "theme")), 422, "park_class", "one of"},
		{"range violation", "eco_corridors", feature(good, map[string]any{"city_id": e.city, "name": "x", "design_width_m": 0}), 422, "design_width_m", "at least"},
		{"missing required", "parks", feature(good, with("park_class", nil)), 422, "park_class", "required"},
		{"integer with a fraction", "communities", feature(good, map[string]any{"city_id": e.city, "code": "150203001002", "name": "x", "population": 1.5, "households": 1}), 422, "population", "whole number"},
		{"integer beyond int4", "parks", feature(good, with("city_id", 3000000000)), 422, "city_id", "out of range"},
		{"database rule: households above population", "communities", feature(good, map[string]any{"city_id": e.city, "code": "150203001003", "name": "x", "population": 10, "households": 11}), 422, "", "communities_households_le_population"},
		{"database rule: pocket parks are gardens", "parks", feature(good, with("pocket", true)), 201, "", ""},
		{"database rule: pocket but not garden", "parks", feature(good, map[string]any{"city_id": e.city, "name": "x", "park_class": "square", "pocket": true}), 422, "", "parks_pocket_is_garden"},
		{"foreign key: unknown city", "parks", feature(good, with("city_id", 99999)), 422, "", "feature_city_exists"},
		{"foreign key: unknown park", "park_entrances", feature(point(109.8, 40.6), map[string]any{"city_id": e.city, "park_id": 99999}), 422, "", "park_entrances_park_id_fkey"},
		{"geometry collection", "parks", feature(map[string]any{"type": "GeometryCollection", "geometries": []any{point(109.8, 40.6)}}, parkProps(e)), 422, "", "GeometryCollection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			sum := e.checksum()
			r := e.do("POST", "/api/v1/layers/"+c.path+"/features", "alice", c.body)
			if r.Code != c.code {
				t.Fatalf("%d, want %d: %s", r.Code, c.code, r.Body)
			}
			if c.code >= 400 {
				p := r.JSON(t)
				if c.attribute != "" && p["attribute"] != c.attribute {
					t.Errorf("attribute %v, want %s: %s", p["attribute"], c.attribute, r.Body)
				}
				if !strings.Contains(p["detail"].(string), c.detail) {
					t.Errorf("detail %q lacks %q", p["detail"], c.detail)
				}
				if strings.Contains(string(r.Body), "INSERT") || strings.Contains(string(r.Body), "SELECT") {
					t.Errorf("the problem leaks SQL: %s", r.Body)
				}
				if e.checksum() != sum {
					t.Error("a refused request changed the database")
				}
			}
		})
	}
	e.t = t

	// A unique constraint is a conflict, named.
	gb := map[string]any{"city_id": e.city, "edition": "2021-2035", "valid_from": "2021-07-01"}
	if r := e.do("POST", "/api/v1/layers/growth_boundaries/features", "alice", feature(good, gb)); r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	r := e.do("POST", "/api/v1/layers/growth_boundaries/features", "alice", feature(good, gb))
	if r.Code != http.StatusConflict || r.JSON(t)["constraint"] != "growth_boundaries_edition_unique" {
		t.Fatalf("duplicate edition: %d %s", r.Code, r.Body)
	}
}

func TestBodySizeLimit(t *testing.T) {
	e := newEnv(t, true)
	sum := e.checksum()
	big := feature(square(109.811, 40.611, 0.002), map[string]any{"city_id": e.city, "name": strings.Repeat("x", testMaxBody), "park_class": "garden"})
	r := e.do("POST", "/api/v1/layers/parks/features", "alice", big)
	if r.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s", r.Code, r.Body[:min(200, len(r.Body))])
	}
	if e.checksum() != sum {
		t.Fatal("changed")
	}
}

func TestPolygonPromotedAndPutResetsDefaults(t *testing.T) {
	e := newEnv(t, true)
	p := map[string]any{"city_id": e.city, "name": "口袋公园", "park_class": "garden", "pocket": true, "open_status": "closed"}
	r := e.do("POST", "/api/v1/layers/parks/features", "alice", feature(square(109.811, 40.611, 0.002), p))
	if r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	f := r.JSON(t)
	loc := "/api/v1/layers/parks/features/" + f["id"].(json.Number).String()
	// area_m2 is computed by PostGIS in the city's metric CRS; 0.002° × 0.002° at 40.6°N is
	// about 222.4 m × 169.0 m ≈ 37,600 m².
	a, _ := f["properties"].(map[string]any)["area_m2"].(json.Number).Float64()
	if a < 37000 || a > 38200 {
		t.Errorf("area_m2 = %g, want ≈ 37,600", a)
	}
	// PUT replaces: left-out optional attributes return to their defaults; read-only ones
	// sent back (area_m2, version) are ignored.
	put := feature(square(109.811, 40.611, 0.001), map[string]any{"city_id": e.city, "name": "广场", "park_class": "square", "area_m2": 1, "version": 99})
	r = e.do("PUT", loc, "alice", put, "If-Match", `"1"`)
	if r.Code != 200 {
		t.Fatalf("put: %d %s", r.Code, r.Body)
	}
	got := r.JSON(t)["properties"].(map[string]any)
	if got["pocket"] != false || got["open_status"] != "open" || got["version"] != json.Number("2") || got["name"] != "广场" {
		t.Fatalf("after PUT: %v", got)
	}
	// PATCH of the geometry alone keeps the properties.
	r = e.do("PATCH", loc, "bob", map[string]any{"geometry": square(109.811, 40.611, 0.003)}, "If-Match", `"2"`)
	if r.Code != 200 {
		t.Fatalf("patch geometry: %d %s", r.Code, r.Body)
	}
	got = r.JSON(t)["properties"].(map[string]any)
	if got["name"] != "广场" {
		t.Fatalf("geometry patch changed properties: %v", got)
	}
	r = e.do("GET", loc+"/history", "", nil)
	vs := r.JSON(t)["versions"].([]any)
	if ch := vs[2].(map[string]any)["changed"].([]any); len(ch) != 2 || ch[0] != "geometry" || ch[1] != "area_m2" {
		t.Errorf("version 3 changed %v, want [geometry area_m2]", ch)
	}
}
