package ogcapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/ogcapi"
)

// indicator is a computed, read-only collection for the tests: the parks read through a
// collection that does not implement ogcapi.Writer, as the coverage gaps are.
type indicator struct{ inner ogcapi.Collection }

func (i indicator) Description() ogcapi.Description {
	d := i.inner.Description()
	d.ID = "park_indicator"
	return d
}

func (i indicator) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	return i.inner.Items(ctx, q)
}

func (i indicator) Item(ctx context.Context, id string, o ogcapi.Output) (ogcapi.Feature, error) {
	return i.inner.Item(ctx, id, o)
}

// writeEnv is an env with an editor (alice), a viewer (vera) and a read-only indicator
// collection registered beside the layers.
type writeEnv struct {
	*env
	tokens map[string]string
}

func newWriteEnv(t *testing.T) *writeEnv {
	t.Helper()
	e := newEnv(t)
	e.seed()
	if err := e.api.Catalog.Register(indicator{e.api.Catalog.Lookup("parks")}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.h = httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{Tokens: &auth.Store{Pool: e.db.Pool}, AnonymousRead: true}}, e.api))
	w := &writeEnv{env: e, tokens: map[string]string{}}
	store := &auth.Store{Pool: e.db.Pool}
	for name, role := range map[string]auth.Role{"alice": auth.Editor, "vera": auth.Viewer} {
		_, secret, err := store.Create(context.Background(), name, role)
		if err != nil {
			t.Fatal(err)
		}
		w.tokens[name] = secret
	}
	return w
}

// do sends method path as who ("" for anonymous) with body and header name/value pairs;
// a body is sent as application/geo+json unless a Content-Type is among the headers.
func (e *writeEnv) do(method, path, who, body string, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
		hdr = append([]string{"Content-Type", "application/geo+json"}, hdr...)
	}
	if who != "" {
		hdr = append(hdr, "Authorization", "Bearer "+e.tokens[who])
	}
	return e.send(method, path, rd, hdr...)
}

// query scans one row of SQL, the oracle.
func (e *writeEnv) query(sql string, dst []any, args ...any) {
	e.t.Helper()
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(dst...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// sqlText runs SQL that returns one text value.
func (e *writeEnv) sqlText(sql string, args ...any) string {
	e.t.Helper()
	var s string
	e.query(sql, []any{&s}, args...)
	return s
}

func (e *writeEnv) sqlBool(sql string, args ...any) bool {
	e.t.Helper()
	var b bool
	e.query(sql, []any{&b}, args...)
	return b
}

// createdID reads the id of a 201 from its Location, checking the Location is the
// feature's URL.
func createdID(t *testing.T, r resp, collection string) int64 {
	t.Helper()
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	loc := r.Header.Get("Location")
	prefix := "http://example.com/ogc/collections/" + collection + "/items/"
	var id int64
	if !strings.HasPrefix(loc, prefix) {
		t.Fatalf("Location %q does not start with %q", loc, prefix)
	}
	if _, err := fmt.Sscan(loc[len(prefix):], &id); err != nil || id < 1 {
		t.Fatalf("Location %q: no id", loc)
	}
	return id
}

const parkProps = `"properties":{"city_id":%d,"name":"劳动公园","park_class":"community","open_status":"closed"}`

// TestPart4CreateInEveryCRS creates the same park with its geometry given in OGC:CRS84
// (no Content-Crs), in EPSG:4326 (latitude first, as Part 2 defines it) and in the city's
// Gauss–Krüger zone EPSG:4546, whose coordinates PostGIS computes here; each time the
// stored geometry must equal (ST_Equals) the envelope the test built in SQL, transformed
// by PostGIS from what was sent.
func TestPart4CreateInEveryCRS(t *testing.T) {
	e := newWriteEnv(t)
	const env = `ST_MakeEnvelope(109.811, 40.611, 109.813, 40.613, 4326)`
	crs84 := `{"type":"Polygon","coordinates":[[[109.811,40.611],[109.813,40.611],[109.813,40.613],[109.811,40.613],[109.811,40.611]]]}`
	latlon := `{"type":"Polygon","coordinates":[[[40.611,109.811],[40.611,109.813],[40.613,109.813],[40.613,109.811],[40.611,109.811]]]}`
	gk := e.sqlText(`SELECT ST_AsGeoJSON(ST_Transform(` + env + `, 4546), 9, 0)`)
	for _, c := range []struct {
		name, geom, header string
		// stored is the SQL the stored geometry must equal, $1 being the geometry sent.
		stored string
	}{
		{"CRS84", crs84, "", `ST_Multi(` + env + `)`},
		{"EPSG:4326 lat/lon", latlon, "<http://www.opengis.net/def/crs/EPSG/0/4326>", `ST_Multi(` + env + `)`},
		{"EPSG:4546", gk, "<http://www.opengis.net/def/crs/EPSG/0/4546>", `ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4546), 4326))`},
		{"EPSG:4546 without brackets", gk, "http://www.opengis.net/def/crs/EPSG/0/4546", `ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4546), 4326))`},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"type":"Feature","geometry":%s,`+parkProps+`}`, c.geom, e.city)
			var hdr []string
			if c.header != "" {
				hdr = []string{"Content-Crs", c.header}
			}
			r := e.do(http.MethodPost, "/ogc/collections/parks/items", "alice", body, hdr...)
			id := createdID(t, r, "parks")
			if r.Header.Get("ETag") != `"1"` {
				t.Errorf("ETag of a new feature %q, want \"1\"", r.Header.Get("ETag"))
			}
			args := []any{id}
			sql := `SELECT ST_Equals(geom, ` + strings.ReplaceAll(c.stored, "$1", "$2") + `) FROM parks WHERE id = $1`
			if strings.Contains(c.stored, "$1") {
				args = append(args, c.geom)
			}
			if !e.sqlBool(sql, args...) {
				t.Errorf("stored geometry %s is not %s", e.sqlText(`SELECT ST_AsText(geom) FROM parks WHERE id = $1`, id), c.stored)
			}
			// Independently of the path through the transform: within 1 cm of the envelope.
			if !e.sqlBool(`SELECT ST_HausdorffDistance(geom_m, ST_Transform(`+env+`, 4546)) < 0.01 FROM parks WHERE id = $1`, id) {
				t.Error("the stored park is not where the envelope is")
			}
			got := e.get(fmt.Sprintf("/ogc/collections/parks/items/%d", id))
			if got.Code != http.StatusOK || got.Header.Get("ETag") != `"1"` {
				t.Fatalf("GET the new park: %d ETag %q", got.Code, got.Header.Get("ETag"))
			}
			p := got.JSON(t)["properties"].(map[string]any)
			if p["name"] != "劳动公园" || p["open_status"] != "closed" {
				t.Errorf("GET shows %v", p)
			}
		})
	}
	// A CRS the collection does not list is refused before anything is written.
	before := e.checksum()
	for _, h := range []string{"<http://www.opengis.net/def/crs/EPSG/0/4547>", "<urn:nonsense>", "EPSG:99999"} {
		r := e.do(http.MethodPost, "/ogc/collections/parks/items", "alice", fmt.Sprintf(`{"type":"Feature","geometry":%s,`+parkProps+`}`, crs84, e.city), "Content-Crs", h)
		if r.Code != http.StatusBadRequest || r.JSON(t)["parameter"] != "Content-Crs" {
			t.Errorf("Content-Crs %s: %d %s", h, r.Code, r.Body)
		}
	}
	if e.checksum() != before {
		t.Error("a refused create changed the data")
	}
}

// TestPart4ReplaceUpdateDelete follows one park through replace, merge patch and delete,
// checking each step in SQL and the history the triggers wrote.
func TestPart4ReplaceUpdateDelete(t *testing.T) {
	e := newWriteEnv(t)
	geom := `{"type":"Polygon","coordinates":[[[109.811,40.611],[109.813,40.611],[109.813,40.613],[109.811,40.613],[109.811,40.611]]]}`
	id := createdID(t, e.do(http.MethodPost, "/ogc/collections/parks/items", "alice", fmt.Sprintf(`{"type":"Feature","geometry":%s,`+parkProps+`}`, geom, e.city)), "parks")
	item := fmt.Sprintf("/ogc/collections/parks/items/%d", id)

	// Replace: a new geometry and name; open_status, left out, returns to its default.
	geom2 := `{"type":"Polygon","coordinates":[[[109.814,40.611],[109.816,40.611],[109.816,40.614],[109.814,40.614],[109.814,40.611]]]}`
	r := e.do(http.MethodPut, item, "alice", fmt.Sprintf(`{"type":"Feature","id":%d,"geometry":%s,"properties":{"city_id":%d,"name":"劳动公园二期","park_class":"garden","pocket":true}}`, id, geom2, e.city))
	if r.Code != http.StatusOK || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("PUT: %d ETag %q %s", r.Code, r.Header.Get("ETag"), r.Body)
	}
	var name, class, status string
	var pocket, same bool
	e.query(`SELECT name, park_class, open_status, pocket, ST_Equals(geom, ST_Multi(ST_MakeEnvelope(109.814, 40.611, 109.816, 40.614, 4326))) FROM parks WHERE id = $1`,
		[]any{&name, &class, &status, &pocket, &same}, id)
	if name != "劳动公园二期" || class != "garden" || status != "open" || !pocket || !same {
		t.Errorf("after PUT: %s %s %s pocket=%v geometry equal=%v", name, class, status, pocket, same)
	}

	// Merge patch: null returns pocket to its default (false); name and class stay.
	r = e.do(http.MethodPatch, item, "alice", `{"properties":{"pocket":null,"open_status":"shared"}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"2"`)
	if r.Code != http.StatusOK || r.Header.Get("ETag") != `"3"` {
		t.Fatalf("PATCH: %d %s", r.Code, r.Body)
	}
	e.query(`SELECT name, park_class, open_status, pocket, ST_Equals(geom, ST_Multi(ST_MakeEnvelope(109.814, 40.611, 109.816, 40.614, 4326))) FROM parks WHERE id = $1`,
		[]any{&name, &class, &status, &pocket, &same}, id)
	if name != "劳动公园二期" || class != "garden" || status != "shared" || pocket || !same {
		t.Errorf("after PATCH: %s %s %s pocket=%v geometry kept=%v", name, class, status, pocket, same)
	}

	// A nullable attribute patched to null is NULL in the table; the others stay.
	fid := createdID(t, e.do(http.MethodPost, "/ogc/collections/facilities/items", "alice",
		fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[109.812,40.612]},"properties":{"city_id":%d,"category":"clinic","name":"社区卫生站","floor_area_m2":450}}`, e.city)), "facilities")
	r = e.do(http.MethodPatch, fmt.Sprintf("/ogc/collections/facilities/items/%d", fid), "alice", `{"properties":{"floor_area_m2":null}}`, "Content-Type", "application/json")
	if r.Code != http.StatusOK {
		t.Fatalf("PATCH facility: %d %s", r.Code, r.Body)
	}
	var area *float64
	e.query(`SELECT name, category, floor_area_m2 FROM facilities WHERE id = $1`, []any{&name, &class, &area}, fid)
	if area != nil || name != "社区卫生站" || class != "clinic" {
		t.Errorf("after nulling floor_area_m2: %s %s %v", name, class, area)
	}

	// The same rules as /api/v1/layers, named: a pocket park must be a garden.
	before := e.checksum()
	r = e.do(http.MethodPatch, item, "alice", `{"properties":{"pocket":true,"park_class":"community"}}`, "Content-Type", "application/merge-patch+json")
	if r.Code != http.StatusUnprocessableEntity || r.JSON(t)["constraint"] != "parks_pocket_is_garden" {
		t.Errorf("pocket community park: %d %s", r.Code, r.Body)
	}
	// A stale If-Match is 412 naming the current version; nothing changes.
	for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		body, hdr := "", []string{"If-Match", `"2"`}
		switch m {
		case http.MethodPut:
			body = `{"type":"Feature","geometry":` + geom + `,"properties":{"city_id":` + fmt.Sprint(e.city) + `,"name":"x","park_class":"garden"}}`
		case http.MethodPatch:
			body, hdr = `{"properties":{"name":"x"}}`, append(hdr, "Content-Type", "application/merge-patch+json")
		}
		r = e.do(m, item, "alice", body, hdr...)
		if r.Code != http.StatusPreconditionFailed || r.JSON(t)["currentETag"] != `"3"` {
			t.Errorf("%s with a stale If-Match: %d %s", m, r.Code, r.Body)
		}
	}
	if e.checksum() != before {
		t.Error("a refused edit changed the data")
	}

	// Delete with the current tag: 204, then 404.
	if r = e.do(http.MethodDelete, item, "alice", "", "If-Match", `"3"`); r.Code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.Code, r.Body)
	}
	if r = e.get(item); r.Code != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", r.Code)
	}
	if r = e.do(http.MethodDelete, item, "alice", ""); r.Code != http.StatusNotFound {
		t.Errorf("DELETE again: %d", r.Code)
	}
	// The history holds every step, by alice; the deletion is a version of its own
	// (migration 0002: /api/v1/layers answers 410 for it).
	hist := e.sqlText(`SELECT string_agg(op || ':' || version || ':' || actor, ',' ORDER BY id) FROM feature_history WHERE layer = 'parks' AND feature_id = $1`, id)
	if hist != "insert:1:alice,update:2:alice,update:3:alice,delete:4:alice" {
		t.Errorf("history %s", hist)
	}
}

// TestPart4Access: writes need an editor; anonymous callers get 401, viewers 403, and
// the computed collection 405 with Allow; OPTIONS says which methods each resource takes.
func TestPart4Access(t *testing.T) {
	e := newWriteEnv(t)
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[109.811,40.611],[109.813,40.611],[109.813,40.613],[109.811,40.611]]]},`+parkProps+`}`, e.city)
	before := e.checksum()
	for _, c := range []struct {
		method, path string
	}{
		{http.MethodPost, "/ogc/collections/parks/items"},
		{http.MethodPut, "/ogc/collections/parks/items/1"},
		{http.MethodPatch, "/ogc/collections/parks/items/1"},
		{http.MethodDelete, "/ogc/collections/parks/items/1"},
	} {
		b := body
		if c.method == http.MethodDelete {
			b = ""
		}
		if r := e.do(c.method, c.path, "", b); r.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d", c.method, c.path, r.Code)
		}
		if r := e.do(c.method, c.path, "vera", b); r.Code != http.StatusForbidden {
			t.Errorf("viewer %s %s: %d", c.method, c.path, r.Code)
		}
		ip := strings.Replace(c.path, "/parks/", "/park_indicator/", 1)
		r := e.do(c.method, ip, "alice", b)
		if r.Code != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD, OPTIONS" ||
			!strings.Contains(r.JSON(t)["detail"].(string), "computed") {
			t.Errorf("editor %s %s: %d Allow %q %s", c.method, ip, r.Code, r.Header.Get("Allow"), r.Body)
		}
	}
	if e.checksum() != before {
		t.Error("a refused write changed the data")
	}
	for _, c := range []struct{ path, allow, acceptPost, acceptPatch string }{
		{"/ogc/collections/parks/items", "GET, HEAD, POST, OPTIONS", "application/geo+json, application/json", ""},
		{"/ogc/collections/parks/items/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS", "", "application/merge-patch+json, application/json"},
		{"/ogc/collections/parks/items/unknown_id", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS", "", "application/merge-patch+json, application/json"},
		{"/ogc/collections/park_indicator/items", "GET, HEAD, OPTIONS", "", ""},
		{"/ogc/collections/park_indicator/items/1", "GET, HEAD, OPTIONS", "", ""},
		{"/ogc/collections", "GET, HEAD, OPTIONS", "", ""},
	} {
		r := e.do(http.MethodOptions, c.path, "", "")
		if r.Code != http.StatusNoContent || r.Header.Get("Allow") != c.allow ||
			r.Header.Get("Accept-Post") != c.acceptPost || r.Header.Get("Accept-Patch") != c.acceptPatch {
			t.Errorf("OPTIONS %s: %d Allow %q Accept-Post %q Accept-Patch %q", c.path, r.Code, r.Header.Get("Allow"), r.Header.Get("Accept-Post"), r.Header.Get("Accept-Patch"))
		}
	}
}

// TestPart4Declared: the conformance declaration names Part 4's classes and the OpenAPI
// document declares the operations with their request bodies, on the writable
// collections only.
func TestPart4Declared(t *testing.T) {
	e := newWriteEnv(t)
	var conf struct{ ConformsTo []string }
	if err := json.Unmarshal(e.get("/ogc/conformance").Body, &conf); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete", "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update"} {
		if !slices.Contains(conf.ConformsTo, u) {
			t.Errorf("conformance lacks %s", u)
		}
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct{ Content map[string]any }
		}
	}
	if err := json.Unmarshal(e.get("/ogc/api").Body, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"/collections/{collectionId}/items":             {"post"},
		"/collections/{collectionId}/items/{featureId}": {"put", "patch", "delete"},
		"/collections/parks/items":                      {"post"},
	}
	for p, ms := range want {
		for _, m := range ms {
			op, ok := doc.Paths[p][m]
			if !ok {
				t.Errorf("OpenAPI: no %s %s", m, p)
				continue
			}
			if m != "delete" && (op.RequestBody == nil || op.RequestBody.Content == nil) {
				t.Errorf("OpenAPI: %s %s has no request body", m, p)
			}
		}
	}
	if _, ok := doc.Paths["/collections/park_indicator/items"]["post"]; ok {
		t.Error("OpenAPI offers POST on the computed collection")
	}
	if _, ok := doc.Paths["/collections/park_indicator/items"]["get"]; !ok {
		t.Error("OpenAPI lacks the computed collection's items")
	}
}
