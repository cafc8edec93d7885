package featureapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// layerCase is one layer's fixture: a valid new feature, one attribute to patch with
// its value before and after, and the geometry to use.
type layerCase struct {
	layer    string
	props    func(e *env) map[string]any
	geometry map[string]any
	attr     string
	before   any // as the JSON response shows it
	after    any
}

func layerCases() []layerCase {
	sq := square(109.811, 40.611, 0.002)
	return []layerCase{
		{"districts", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "adcode": "150204", "name": "青山区", "kind": "区"}
		}, sq, "name", "青山区", "青山区（新）"},
		{"subdistricts", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "district_id": e.parents["district"], "code": "150203002", "name": "昆北街道"}
		}, sq, "code", "150203002", "150203009"},
		{"communities", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "subdistrict_id": e.parents["subdistrict"], "code": "150203001001", "name": "友谊社区", "population": 5200, "households": 2000}
		}, sq, "population", json.Number("5200"), json.Number("5300")},
		{"parks", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "name": "劳动公园", "park_class": "community", "open_status": "open"}
		}, sq, "park_class", "community", "comprehensive"},
		{"park_entrances", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "park_id": e.parents["park"], "name": "北门"}
		}, point(109.825, 40.63), "name", "北门", "东门"},
		{"eco_corridors", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "name": "昆都仑河廊道", "kind": "river", "design_width_m": 80.5}
		}, sq, "design_width_m", json.Number("80.5"), json.Number("120")},
		{"eco_redlines", func(e *env) map[string]any { return map[string]any{"city_id": e.city, "name": "大青山"} },
			sq, "name", "大青山", "大青山南麓"},
		{"basic_farmland", func(e *env) map[string]any { return map[string]any{"city_id": e.city, "name": "东河农田"} },
			sq, "name", "东河农田", "东河农田二号"},
		{"growth_boundaries", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "edition": "2021-2035", "approved_on": "2021-06-01", "valid_from": "2021-07-01"}
		}, sq, "valid_to", nil, "2036-01-01"},
		{"residential_land", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "landuse_code": "0701", "population": 800, "households": 300}
		}, sq, "households", json.Number("300"), json.Number("310")},
		{"facilities", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "category": "clinic", "name": "社区卫生站", "floor_area_m2": 450}
		}, point(109.812, 40.612), "category", "clinic", "pharmacy"},
		{"network_edges", func(e *env) map[string]any {
			return map[string]any{"city_id": e.city, "highway": "footway", "name": "滨河步道", "walkable": true}
		}, line([2]float64{109.81, 40.61}, [2]float64{109.82, 40.615}), "highway", "footway", "residential"},
	}
}

// TestEveryLayerLifecycle runs create → read → patch → stale patch → delete → history
// for every layer in the registry.
func TestEveryLayerLifecycle(t *testing.T) {
	e := newEnv(t, true)
	cases := layerCases()
	covered := map[string]bool{}
	for _, lc := range cases {
		covered[lc.layer] = true
	}
	for _, l := range e.reg.All() {
		if !covered[l.ID] {
			t.Errorf("layer %s has no lifecycle case", l.ID)
		}
	}
	for _, lc := range cases {
		t.Run(lc.layer, func(t *testing.T) {
			e.t = t
			base := "/api/v1/layers/" + lc.layer + "/features"
			in := lc.props(e)

			// create as alice
			r := e.do("POST", base, "alice", feature(lc.geometry, in))
			if r.Code != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Code, r.Body)
			}
			if r.Header.Get("ETag") != `"1"` || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/geo+json") {
				t.Fatalf("create headers: %v", r.Header)
			}
			f := r.JSON(t)
			id := f["id"].(json.Number).String()
			loc := r.Header.Get("Location")
			if loc != base+"/"+id {
				t.Fatalf("Location %q, want %q", loc, base+"/"+id)
			}
			p := f["properties"].(map[string]any)
			if p["updated_by"] != "alice" || p["version"] != json.Number("1") {
				t.Fatalf("create bookkeeping: %v", p)
			}
			if fmt.Sprint(p[lc.attr]) != fmt.Sprint(lc.before) {
				t.Fatalf("%s = %v, want %v", lc.attr, p[lc.attr], lc.before)
			}
			if _, ok := p["id"]; ok {
				t.Fatalf("id belongs at the feature level, not in properties")
			}
			g := f["geometry"].(map[string]any)
			wantType := e.reg.Lookup(lc.layer).GeomType
			if g["type"] != wantType {
				t.Fatalf("geometry type %v, want %s (Polygon promoted)", g["type"], wantType)
			}

			// read
			r = e.do("GET", loc, "", nil)
			if r.Code != 200 || r.Header.Get("ETag") != `"1"` {
				t.Fatalf("read: %d %v %s", r.Code, r.Header, r.Body)
			}
			if got := r.JSON(t)["properties"].(map[string]any)[lc.attr]; fmt.Sprint(got) != fmt.Sprint(lc.before) {
				t.Fatalf("read %s = %v", lc.attr, got)
			}

			// patch as bob
			patch := map[string]any{"properties": map[string]any{lc.attr: lc.after}}
			r = e.do("PATCH", loc, "bob", patch, "If-Match", `"1"`)
			if r.Code != 200 || r.Header.Get("ETag") != `"2"` {
				t.Fatalf("patch: %d %s", r.Code, r.Body)
			}
			p = r.JSON(t)["properties"].(map[string]any)
			if fmt.Sprint(p[lc.attr]) != fmt.Sprint(lc.after) || p["updated_by"] != "bob" {
				t.Fatalf("after patch: %v", p)
			}

			// stale patch: refused, nothing changes
			sum := e.checksum()
			r = e.do("PATCH", loc, "bob", map[string]any{"properties": map[string]any{lc.attr: lc.before}}, "If-Match", `"1"`)
			if r.Code != http.StatusPreconditionFailed {
				t.Fatalf("stale patch: %d %s", r.Code, r.Body)
			}
			if r.JSON(t)["currentETag"] != `"2"` {
				t.Fatalf("412 should name the current ETag: %s", r.Body)
			}
			if e.checksum() != sum {
				t.Fatal("the stale patch changed the database")
			}
			// and a patch without If-Match is 428
			if r = e.do("PATCH", loc, "bob", patch); r.Code != http.StatusPreconditionRequired {
				t.Fatalf("patch without If-Match: %d", r.Code)
			}

			// delete as alice: stale first, then current
			if r = e.do("DELETE", loc, "alice", nil, "If-Match", `"1"`); r.Code != http.StatusPreconditionFailed {
				t.Fatalf("stale delete: %d", r.Code)
			}
			if r = e.do("DELETE", loc, "alice", nil, "If-Match", `"2"`); r.Code != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Code, r.Body)
			}
			if r = e.do("GET", loc, "", nil); r.Code != http.StatusNotFound {
				t.Fatalf("read after delete: %d", r.Code)
			}

			// history: 1 insert by alice, 2 update by bob with the old value, 3 delete by alice
			r = e.do("GET", loc+"/history", "", nil)
			if r.Code != 200 {
				t.Fatalf("history: %d %s", r.Code, r.Body)
			}
			vs := r.JSON(t)["versions"].([]any)
			if len(vs) != 3 {
				t.Fatalf("history has %d versions, want 3: %s", len(vs), r.Body)
			}
			want := []struct {
				op, actor string
				old, new  any // the attribute's value before and after; "-" when absent
			}{{"insert", "alice", "-", lc.before}, {"update", "bob", lc.before, lc.after}, {"delete", "alice", lc.after, "-"}}
			for i, w := range want {
				v := vs[i].(map[string]any)
				if v["version"] != json.Number(fmt.Sprint(i+1)) || v["op"] != w.op || v["actor"] != w.actor {
					t.Errorf("version %d: %v", i+1, v)
				}
				for side, wv := range map[string]any{"old": w.old, "new": w.new} {
					m, ok := v[side].(map[string]any)
					if wv == "-" {
						if ok {
							t.Errorf("version %d has %s values, want none", i+1, side)
						}
						continue
					}
					if !ok || fmt.Sprint(m[lc.attr]) != fmt.Sprint(wv) {
						t.Errorf("version %d %s.%s = %v, want %v", i+1, side, lc.attr, m[lc.attr], wv)
					}
				}
			}
			if ch := vs[1].(map[string]any)["changed"].([]any); len(ch) != 1 || ch[0] != lc.attr {
				t.Errorf("version 2 changed %v, want [%s]", ch, lc.attr)
			}

			// read version 1 back; version 3 is the deletion
			r = e.do("GET", loc+"/history/1", "", nil)
			if r.Code != 200 {
				t.Fatalf("version 1: %d %s", r.Code, r.Body)
			}
			v1 := r.JSON(t)
			if fmt.Sprint(v1["properties"].(map[string]any)[lc.attr]) != fmt.Sprint(lc.before) || v1["geometry"].(map[string]any)["type"] != wantType {
				t.Errorf("version 1 read back: %s", r.Body)
			}
			if r = e.do("GET", loc+"/history/3", "", nil); r.Code != http.StatusGone {
				t.Errorf("version 3 (the delete): %d", r.Code)
			}
			if r = e.do("GET", loc+"/history/4", "", nil); r.Code != http.StatusNotFound {
				t.Errorf("version 4: %d", r.Code)
			}
		})
	}
}
