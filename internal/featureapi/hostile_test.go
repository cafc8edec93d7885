package featureapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// hostileStrings are query-string values: SQL fragments, quotes, huge and special numbers,
// unicode, control characters, markup and an oversized value.
var hostileStrings = []string{
	"'; DROP TABLE parks; --", "1 OR 1=1", `"`, "'", `\`, "1e309", "99999999999999999999999", "-1", "NaN",
	"Infinity", "名称🙂", "\x00", "<script>alert(1)</script>", "1; SELECT pg_sleep(10)", "", "0x10", " 1", "1,2,3,4,5",
	strings.Repeat("9", 5000),
}

func TestHostileQueryParameters(t *testing.T) {
	e := newEnv(t, true)
	sum := e.checksum()
	// Each parameter with each hostile value. A value the parameter legitimately accepts
	// (an integer filter of -1, any text for a text filter) must answer 200 with nothing
	// matched; everything else is a 400.
	for _, p := range []string{"bbox", "limit", "offset", "sortby", "crs", "at", "city_id", "pocket", "area_m2", "created_at", "name", "geom", "id; --"} {
		for _, v := range hostileStrings {
			layer := "parks"
			if p == "at" {
				layer = "growth_boundaries"
			}
			r := e.do("GET", "/api/v1/layers/"+layer+"/features?"+url.QueryEscape(p)+"="+url.QueryEscape(v), "", nil)
			accepted := (p == "city_id" && v == "-1") ||
				(p == "area_m2" && (v == "-1" || v == "99999999999999999999999")) ||
				(p == "name" && !strings.ContainsRune(v, 0) && len(v) <= 4096)
			switch {
			case accepted && r.Code == 200:
				if m := r.JSON(t)["numberMatched"]; m != json.Number("0") {
					t.Errorf("%s=%q matched %v features", p, v, m)
				}
			case !accepted && r.Code >= 400 && r.Code < 500:
				if r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s=%q: content type %q", p, v, r.Header.Get("Content-Type"))
				}
			default:
				t.Errorf("%s=%q: %d %s", p, clipForLog(v), r.Code, r.Body[:min(len(r.Body), 200)])
			}
		}
	}
	// Hostile path segments and If-Match values on every feature route.
	if r := e.do("GET", "/api/v1/layers/parks/features/"+fmt.Sprint(e.parents["park"]), "", nil); r.Code != 200 {
		t.Fatal(r.Code)
	}
	park := "/api/v1/layers/parks/features/" + fmt.Sprint(e.parents["park"])
	for _, v := range hostileStrings {
		if v == "" {
			continue // an empty segment is a different route (gin redirects the trailing slash)
		}
		for _, path := range []string{"/api/v1/layers/" + url.PathEscape(v) + "/features", "/api/v1/layers/parks/features/" + url.PathEscape(v),
			"/api/v1/layers/parks/features/" + url.PathEscape(v) + "/history", park + "/history/" + url.PathEscape(v)} {
			for _, m := range []string{"GET", "PATCH", "DELETE"} {
				if strings.HasSuffix(path, "/features") && m != "GET" || strings.Contains(path, "/history") && m != "GET" {
					continue
				}
				r := e.do(m, path, "alice", map[string]any{"properties": map[string]any{"name": "x"}}, "If-Match", `"1"`)
				if r.Code < 400 || r.Code >= 500 {
					t.Errorf("%s %s: %d", m, path, r.Code)
				}
			}
		}
		for _, m := range []string{"PATCH", "DELETE", "PUT"} {
			body := any(map[string]any{"properties": map[string]any{"name": "x"}})
			if m == "PUT" {
				body = feature(square(109.82, 40.62, 0.01), map[string]any{"city_id": e.city, "name": "x", "park_class": "garden"})
			}
			r := e.do(m, park, "alice", body, "If-Match", v)
			if r.Code != 400 && r.Code != 412 && r.Code != 428 {
				t.Errorf("%s If-Match %q: %d %s", m, clipForLog(v), r.Code, r.Body)
			}
		}
	}
	for _, im := range []string{`*`, `W/"1"`, `"99999999999"`, `"-1"`, `"NaN"`, `"1" OR 1=1`, `"1", W/"1"x`} {
		r := e.do("DELETE", park, "alice", nil, "If-Match", im)
		if r.Code != 400 && r.Code != 412 && r.Code != 428 {
			t.Errorf("If-Match %q: %d", im, r.Code)
		}
	}
	if e.checksum() != sum {
		t.Fatal("hostile parameters changed the database")
	}
}

// hostileJSON are raw JSON values put in place of one body field.
var hostileJSON = []string{
	`NaN`, `Infinity`, `-Infinity`, `1e309`, `99999999999999999999999`, `-1`, `0.5`, `0`, `null`, `true`, `{}`, `[]`,
	`"'; DROP TABLE parks; --"`, `"1 OR 1=1"`, `"名称🙂"`, `"\u0000"`, `"NaN"`, `"<script>"`, `""`, `"   "`, `"garden"`,
	`"` + strings.Repeat("x", 5000) + `"`, `{"$ne": 1}`, `[1, 2]`, `"1"`,
}

// parkBody is a valid park with field replaced by the raw JSON value v (field "" changes
// nothing; "geometry.x" replaces the first coordinate; "props.<key>" adds an attribute).
func parkBody(city int64, field, v string) string {
	props := map[string]string{"city_id": fmt.Sprint(city), "name": `"测试"`, "park_class": `"garden"`}
	geom := `{"type":"Polygon","coordinates":[[[X,40.6],[109.81,40.6],[109.81,40.61],[109.8,40.61],[X,40.6]]]}`
	x := "109.8"
	top := map[string]string{"type": `"Feature"`}
	switch {
	case field == "geometry.x":
		x = v
	case field == "type" || field == "id" || field == "crs":
		if field == "crs" {
			v = `{"type":"name","properties":{"name":` + v + `}}`
		}
		top[field] = v
	case strings.HasPrefix(field, "props."):
		props[strings.TrimPrefix(field, "props.")] = v
	case field != "":
		props[field] = v
	}
	var b strings.Builder
	b.WriteString("{")
	for k, val := range top {
		fmt.Fprintf(&b, "%q:%s,", k, val)
	}
	b.WriteString(`"geometry":` + strings.ReplaceAll(geom, "X", x) + `,"properties":{`)
	first := true
	for k, val := range props {
		if !first {
			b.WriteString(",")
		}
		first = false
		kb, _ := json.Marshal(k)
		fmt.Fprintf(&b, "%s:%s", kb, val)
	}
	b.WriteString("}}")
	return b.String()
}

// acceptable says whether a park with field set to the raw JSON value v is valid data.
func acceptable(field, v string) bool {
	s, isString := "", strings.HasPrefix(v, `"`)
	if isString {
		_ = json.Unmarshal([]byte(v), &s)
	}
	switch field {
	case "name":
		return isString && strings.TrimSpace(s) != "" && !strings.ContainsRune(s, 0) && len(s) <= 4096
	case "park_class":
		return v == `"garden"`
	case "open_status":
		return v == `null`
	case "pocket", "in_historic_district", "synthetic":
		return v == `true` || v == `null`
	case "data_source":
		return v == "null" || (isString && !strings.ContainsRune(s, 0) && len(s) <= 4096)
	case "geometry.x":
		// A longitude is any finite number in [-180, 180]; the polygon stays valid.
		return v == "-1" || v == "0.5" || v == "0"
	}
	return false // city_id, type, id, crs and unknown attributes
}

func TestHostileBodies(t *testing.T) {
	e := newEnv(t, true)
	fields := []string{"name", "park_class", "pocket", "open_status", "in_historic_district", "synthetic", "data_source", "city_id",
		"geometry.x", "type", "id", "crs", `props.name" = '' --`, "props.名称"}
	for _, field := range fields {
		for _, v := range hostileJSON {
			sum := e.checksum()
			r := e.do("POST", "/api/v1/layers/parks/features", "alice", parkBody(e.city, field, v))
			ok := acceptable(field, v)
			if ok != (r.Code == 201) || (!ok && (r.Code < 400 || r.Code >= 500)) {
				t.Errorf("POST %s=%s: %d %s", field, clipForLog(v), r.Code, r.Body[:min(len(r.Body), 300)])
				continue
			}
			if !ok {
				if e.checksum() != sum {
					t.Errorf("POST %s=%s was refused but changed the database", field, clipForLog(v))
				}
				continue
			}
			// Accepted text is stored verbatim, as data.
			if (field == "name" || field == "data_source") && v != "null" {
				var want string
				_ = json.Unmarshal([]byte(v), &want)
				if got := r.JSON(t)["properties"].(map[string]any)[field]; got != want {
					t.Errorf("%s stored as %q, want %q", field, got, want)
				}
			}
		}
	}
	// The same fields through PATCH, on an existing park whose ETag is read each time.
	loc := "/api/v1/layers/parks/features/" + fmt.Sprint(e.parents["park"])
	for _, field := range []string{"name", "pocket", "park_class", "open_status", "city_id", `props.name" = '' --`} {
		for _, v := range hostileJSON {
			tag := e.do("GET", loc, "", nil).Header.Get("ETag")
			key := strings.TrimPrefix(field, "props.")
			body := `{"properties":{` + mustJSON(key) + `:` + v + `}}`
			sum := e.checksum()
			r := e.do("PATCH", loc, "alice", body, "If-Match", tag)
			ok := acceptable(field, v)
			if field == "pocket" && v == "true" {
				ok = false // the park is 'comprehensive': parks_pocket_is_garden refuses it
			}
			if field == "park_class" && v == `"garden"` {
				ok = true
			}
			if ok != (r.Code == 200) || (!ok && (r.Code < 400 || r.Code >= 500)) {
				t.Errorf("PATCH %s=%s: %d %s", field, clipForLog(v), r.Code, r.Body[:min(len(r.Body), 300)])
				continue
			}
			if !ok && e.checksum() != sum {
				t.Errorf("PATCH %s=%s was refused but changed the database", field, clipForLog(v))
			}
		}
	}
	// Bodies that are not GeoJSON at all.
	sum := e.checksum()
	for _, b := range []string{``, `null`, `[]`, `"Feature"`, `{"type":"Feature"}`, `{"type":"FeatureCollection","features":[]}`,
		parkBody(e.city, "", "") + "garbage", `{"type":"Feature","type":"Feature","geometry":null,"properties":{}}`,
		strings.Repeat("[", 100000)} {
		r := e.do("POST", "/api/v1/layers/parks/features", "alice", b)
		if r.Code < 400 || r.Code >= 500 {
			t.Errorf("body %q: %d", clipForLog(b), r.Code)
		}
	}
	if e.checksum() != sum {
		t.Fatal("malformed bodies changed the database")
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func clipForLog(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
