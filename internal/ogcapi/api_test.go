package ogcapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestLandingConformanceCollections(t *testing.T) {
	e := newEnv(t)
	r := e.get("/ogc")
	if r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	ls := links(t, r.JSON(t))
	for _, rel := range []string{"self", "alternate", "service-desc", "service-doc", "conformance", "data"} {
		if len(ls[rel]) == 0 {
			t.Errorf("landing page lacks rel=%s", rel)
		}
	}
	if h := ls["self"][0]["href"].(string); !strings.HasPrefix(h, "http://example.com/ogc") {
		t.Errorf("links must be absolute: %s", h)
	}
	conf := e.get("/ogc/conformance").JSON(t)
	cs, _ := json.Marshal(conf["conformsTo"])
	for _, c := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text"} {
		if !strings.Contains(string(cs), c) {
			t.Errorf("conformance lacks %s", c)
		}
	}
	cols := e.get("/ogc/collections").JSON(t)
	list := cols["collections"].([]any)
	if len(list) != len(e.reg.All()) {
		t.Fatalf("%d collections, want %d", len(list), len(e.reg.All()))
	}
	gb := e.get("/ogc/collections/growth_boundaries").JSON(t)
	crsList, _ := json.Marshal(gb["crs"])
	for _, c := range []string{"OGC/1.3/CRS84", "EPSG/0/4326", "EPSG/0/4490", "EPSG/0/4546", "EPSG/0/3857"} {
		if !strings.Contains(string(crsList), c) {
			t.Errorf("crs list %s lacks %s", crsList, c)
		}
	}
	if gb["storageCrs"] != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
		t.Errorf("storageCrs %v", gb["storageCrs"])
	}
	if ls := links(t, gb); len(ls["items"]) == 0 {
		t.Error("collection lacks rel=items")
	}
	api := e.get("/ogc/api")
	if !strings.HasPrefix(api.Header.Get("Content-Type"), "application/vnd.oai.openapi+json") || !strings.Contains(string(api.Body), `"maximum":10000`) {
		t.Errorf("api: %s %.200s", api.Header.Get("Content-Type"), api.Body)
	}
	q := e.get("/ogc/collections/parks/queryables").JSON(t)
	if _, ok := q["properties"].(map[string]any)["park_class"]; !ok {
		t.Errorf("queryables: %v", q)
	}
	if r := e.get("/ogc/collections/nope"); r.Code != 404 {
		t.Errorf("unknown collection: %d", r.Code)
	}
}

func TestHTML(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for _, p := range []string{"/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/parks", "/ogc/collections/parks/queryables", "/ogc/collections/parks/items?limit=3"} {
		r := e.get(p, "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		if r.Code != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", p, r.Code, r.Header.Get("Content-Type"))
		}
		if strings.Contains(string(r.Body), "src=\"http") || strings.Contains(string(r.Body), "<script") {
			t.Errorf("%s: HTML makes external requests", p)
		}
	}
	r := e.get("/ogc/collections/parks/items?f=html&limit=2")
	if !strings.Contains(string(r.Body), "公园") || !strings.Contains(string(r.Body), `rel="next"`) {
		t.Errorf("items HTML: %.600s", r.Body)
	}
	items := e.get("/ogc/collections/parks/items?limit=1").JSON(t)
	id := items["features"].([]any)[0].(map[string]any)["id"].(json.Number)
	if r := e.get("/ogc/collections/parks/items/" + id.String() + "?f=html"); r.Code != 200 || !strings.Contains(string(r.Body), "park_class") {
		t.Errorf("item HTML: %d", r.Code)
	}
}

func TestItemsPagingAndLinks(t *testing.T) {
	e := newEnv(t)
	e.seed()
	p := "/ogc/collections/residential_land/items?limit=100&landuse_code=0701&sortby=-population"
	want := e.count(`SELECT count(*) FROM residential_land WHERE landuse_code = '0701'`)
	var got int64
	var last int64 = 1 << 40
	for pages := 0; p != ""; pages++ {
		r := e.get(p)
		if r.Code != 200 || r.Header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("%s: %d %s %s", p, r.Code, r.Header.Get("Content-Type"), r.Body)
		}
		fc := r.JSON(t)
		if fc["numberMatched"] != json.Number(itoa(want)) || fc["timeStamp"] == nil {
			t.Fatalf("numberMatched %v want %d; timeStamp %v", fc["numberMatched"], want, fc["timeStamp"])
		}
		for _, f := range fc["features"].([]any) {
			pop, _ := f.(map[string]any)["properties"].(map[string]any)["population"].(json.Number).Int64()
			if pop > last {
				t.Fatal("sortby=-population not descending across pages")
			}
			last = pop
			got++
		}
		n, _ := fc["numberReturned"].(json.Number).Int64()
		if n != int64(len(fc["features"].([]any))) {
			t.Fatal("numberReturned disagrees")
		}
		ls := links(t, fc)
		if len(ls["collection"]) == 0 {
			t.Fatal("no collection link")
		}
		if pages > 0 && len(ls["prev"]) == 0 {
			t.Fatal("no prev link after the first page")
		}
		p = ""
		if nx := ls["next"]; len(nx) > 0 {
			u, _ := url.Parse(nx[0]["href"].(string))
			if u.Query().Get("landuse_code") != "0701" || u.Query().Get("sortby") != "-population" {
				t.Fatalf("next link drops parameters: %s", u)
			}
			p = u.RequestURI()
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if got != want {
		t.Fatalf("paged %d features, SQL counts %d", got, want)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestCRSAndBBox(t *testing.T) {
	e := newEnv(t)
	e.seed()
	// A facility at 109.8007, 40.611 (i = 1).
	get := func(q string) (map[string]any, string) {
		r := e.get("/ogc/collections/facilities/items?name=F1&" + q)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		return r.JSON(t), r.Header.Get("Content-Crs")
	}
	coords := func(fc map[string]any) []float64 {
		c := fc["features"].([]any)[0].(map[string]any)["geometry"].(map[string]any)["coordinates"].([]any)
		x, _ := c[0].(json.Number).Float64()
		y, _ := c[1].(json.Number).Float64()
		return []float64{x, y}
	}
	fc, h := get("")
	if c := coords(fc); c[0] < 109 || h != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Errorf("default: %v %s", c, h)
	}
	fc, h = get("crs=EPSG:4326")
	if c := coords(fc); c[0] > 41 || c[1] < 109 || h != "<http://www.opengis.net/def/crs/EPSG/0/4326>" {
		t.Errorf("EPSG:4326 must be lat/lon: %v %s", c, h)
	}
	fc, h = get("crs=http://www.opengis.net/def/crs/EPSG/0/4546")
	if c := coords(fc); c[0] < 300000 || c[0] > 700000 || c[1] < 4e6 || h != "<http://www.opengis.net/def/crs/EPSG/0/4546>" {
		t.Errorf("GK zone: %v %s", c, h)
	}
	if fc, _ = get("crs=EPSG:3857"); coords(fc)[0] < 1.2e7 {
		t.Errorf("3857: %v", coords(fc))
	}
	// The same box in four CRSs selects the same parcels.
	want := e.count(`SELECT count(*) FROM residential_land WHERE ST_Intersects(geom, ST_MakeEnvelope(109.8005, 40.6005, 109.8055, 40.6035, 4326))`)
	var box4546 string
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT concat_ws(',', ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)) FROM (SELECT ST_Transform(ST_MakeEnvelope(109.8005, 40.6005, 109.8055, 40.6035, 4326), 4546)::box2d b) s`).Scan(&box4546); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"bbox=109.8005,40.6005,109.8055,40.6035",
		"bbox=109.8005,40.6005,0,109.8055,40.6035,100",
		"bbox=40.6005,109.8005,40.6035,109.8055&bbox-crs=EPSG:4326",
		"bbox=" + box4546 + "&bbox-crs=EPSG:4546",
	} {
		fc := e.get("/ogc/collections/residential_land/items?limit=1&" + q).JSON(t)
		n, _ := fc["numberMatched"].(json.Number).Int64()
		// The projected box is the envelope of the transformed box, slightly larger.
		if n != want && !(strings.Contains(q, "4546") && n >= want && n <= want+12) {
			t.Errorf("%s: matched %d, want %d", q, n, want)
		}
	}
	// filter-crs=EPSG:4326 takes literal geometries latitude first.
	fc = e.get("/ogc/collections/residential_land/items?limit=1&filter-crs=EPSG:4326&filter=" + url.QueryEscape("S_INTERSECTS(geometry, POLYGON((40.6005 109.8005, 40.6005 109.8055, 40.6035 109.8055, 40.6035 109.8005, 40.6005 109.8005)))")).JSON(t)
	if fc["numberMatched"] != json.Number(itoa(want)) {
		t.Errorf("filter-crs EPSG:4326 matched %v want %d", fc["numberMatched"], want)
	}
}

func TestDatetimePropertiesSortby(t *testing.T) {
	e := newEnv(t)
	e.seed()
	editions := func(q string) string {
		r := e.get("/ogc/collections/growth_boundaries/items?sortby=valid_from&" + q)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		var out []string
		for _, f := range r.JSON(t)["features"].([]any) {
			out = append(out, f.(map[string]any)["properties"].(map[string]any)["edition"].(string))
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"datetime=2019-12-31":                  "2015版",
		"datetime=2020-01-01":                  "2020版",
		"datetime=2024-07-01T08:00:00%2B08:00": "2024版",
		"datetime=2018-01-01/2021-01-01":       "2015版,2020版",
		"datetime=../2016-01-01":               "2015版",
		"datetime=2024-06-30/..":               "2020版,2024版",
		"datetime=../..":                       "2015版,2020版,2024版",
		"datetime=2010-01-01":                  "",
	} {
		if got := editions(q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	r := e.get("/ogc/collections/parks/items?datetime=2024-01-01")
	if r.Code != 400 || !strings.Contains(string(r.Body), "not temporal") {
		t.Errorf("datetime on parks: %d %s", r.Code, r.Body)
	}
	fc := e.get("/ogc/collections/parks/items?properties=name,park_class&sortby=-name&limit=2").JSON(t)
	f0 := fc["features"].([]any)[0].(map[string]any)
	if p := f0["properties"].(map[string]any); len(p) != 2 || p["name"] != "公园9" {
		t.Errorf("properties subset / sortby: %v", p)
	}
	fc = e.get("/ogc/collections/parks/items?properties=&limit=1").JSON(t)
	if p := fc["features"].([]any)[0].(map[string]any)["properties"].(map[string]any); len(p) != 0 {
		t.Errorf("properties= must give none: %v", p)
	}
	id := f0["id"].(json.Number).String()
	r = e.get("/ogc/collections/parks/items/" + id + "?crs=EPSG:4490&properties=name")
	if r.Code != 200 || r.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/4490>" || len(links(t, r.JSON(t))["collection"]) == 0 {
		t.Errorf("item: %d %s %s", r.Code, r.Header.Get("Content-Crs"), r.Body)
	}
	if r := e.get("/ogc/collections/parks/items/999999"); r.Code != 404 {
		t.Errorf("missing item: %d", r.Code)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for q, param := range map[string]string{
		"limit=10001":                     "limit",
		"limit=0":                         "limit",
		"offset=-1":                       "offset",
		"bbox=1,2,3":                      "bbox",
		"bbox=3,2,1,4":                    "bbox",
		"bbox=a,b,c,d":                    "bbox",
		"bbox=0,0,200,10":                 "bbox",
		"bbox=1,2,3,4&bbox-crs=EPSG:2000": "bbox-crs",
		"crs=EPSG:9999":                   "crs",
		"crs=GCJ-02":                      "crs",
		"filter=population%20%3E":         "filter",
		"filter=nope%20%3D%201":           "filter",
		"filter=population%20%3D%20'x'":   "filter",
		"filter=population%3E1&filter-lang=cql2-json": "filter-lang",
		"filter-crs=EPSG:1234&filter=population%3E1":  "filter-crs",
		"sortby=pocket":                         "sortby",
		"sortby=nope":                           "sortby",
		"properties=name,nope":                  "properties",
		"population=abc":                        "population",
		"limit=1&limit=2":                       "limit",
		"unknown=1":                             "unknown",
		"datetime=2024-13-01":                   "datetime",
		"datetime=2024-01-01/2023-01-01":        "datetime",
		"f=xml":                                 "f",
		"filter=population%20%3D%2099999999999": "filter",
	} {
		r := e.get("/ogc/collections/residential_land/items?" + q)
		if r.Code != 400 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", q, r.Code, r.Body)
			continue
		}
		if got := r.JSON(t)["parameter"]; got != param {
			t.Errorf("%s: parameter %v, want %s (%s)", q, got, param, r.Body)
		}
	}
}
