package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestQGISEditingReplay replays, on the server as `cityreach serve` builds it, the requests
// QGIS 3.32+'s OAPIF provider makes when a planner edits a layer (the test machine's QGIS is
// Debian's 3.22, which cannot edit; scripts/qgis.sh runs that one). The sequence is QGIS's
// source (qgsoapifprovider.cpp and its create/patch/delete requests):
//   - capabilities: OPTIONS on the items (POST turns on adding) and on the first feature of a
//     `limit=10` page (PUT: changing, DELETE: deleting, PATCH: patches instead of PUTs);
//   - add: a POST of application/geo+json holding every field of the layer, those the user
//     left empty as null, no top-level id or bbox; with the layer in EPSG:4326 the bare OGC
//     URI as Content-Crs and the geometry latitude first (QGIS swaps axes of a CRS whose
//     authority order is inverted); then a GET of the Location to refresh the feature;
//   - change attributes: a merge-patch PATCH of the changed properties only;
//   - change geometry: a merge-patch PATCH of {"geometry"} with the Content-Crs;
//   - delete: DELETE; never If-Match.
//
// Each step's effect is checked in SQL: the stored geometry ST_Equals the square built by
// PostGIS from the longitude/latitude the test chose, attributes are what was sent or the
// column's default, the history has insert, update, update, delete by the token's name.
func TestQGISEditingReplay(t *testing.T) {
	db, h := demoServer(t)
	ctx := context.Background()
	secret := editorSecret(t, db, "qgis-planner")
	const ogcCRS4326 = "http://www.opengis.net/def/crs/EPSG/0/4326" // QgsCoordinateReferenceSystem::toOgcUri
	// Over a real socket, as QGIS talks to it.
	srv := httptest.NewServer(h)
	defer srv.Close()
	type answer struct {
		code   int
		header http.Header
		body   []byte
	}
	send := func(method, path, contentType, body string, extra ...string) answer {
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("User-Agent", "Mozilla/5.0 QGIS/33200/Debian GNU/Linux 12 (bookworm)")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close() //nolint:errcheck // test clean-up
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return answer{res.StatusCode, res.Header, b}
	}
	allows := func(r answer, method string) bool {
		for _, m := range strings.Split(r.header.Get("Allow"), ",") {
			if strings.TrimSpace(m) == method {
				return true
			}
		}
		return false
	}
	// A square of 0.0014° × 0.0011°, as QGIS sends it in EPSG:4326: [lat, lon].
	square := func(lon0, lat0 float64) string {
		lon1, lat1 := lon0+0.0014, lat0+0.0011
		return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[2]v,%[1]v],[%[2]v,%[3]v],[%[4]v,%[3]v],[%[4]v,%[1]v],[%[2]v,%[1]v]]]}`,
			lon0, lat0, lon1, lat1)
	}
	sameSquare := func(id int64, lon0, lat0 float64) bool {
		var eq bool
		if err := db.Pool.QueryRow(ctx, `SELECT ST_Equals(geom, ST_MakeEnvelope($2::float8, $3::float8, $2::float8 + 0.0014, $3::float8 + 0.0011, 4326))
			FROM parks WHERE id = $1`, id, lon0, lat0).Scan(&eq); err != nil {
			t.Fatal(err)
		}
		return eq
	}

	items := "/ogc/collections/parks/items"
	if r := send(http.MethodOptions, items, "", ""); !allows(r, http.MethodPost) {
		t.Fatalf("OPTIONS %s: Allow %q, QGIS would not offer adding", items, r.header.Get("Allow"))
	}
	page := send(http.MethodGet, items+"?limit=10", "", "")
	var fc struct {
		Features []struct {
			ID json.Number `json:"id"`
		}
	}
	if err := json.Unmarshal(page.body, &fc); err != nil || len(fc.Features) == 0 {
		t.Fatalf("GET %s?limit=10: %v %s", items, err, page.body)
	}
	one := send(http.MethodOptions, items+"/"+fc.Features[0].ID.String(), "", "")
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if !allows(one, m) {
			t.Errorf("OPTIONS on one item: Allow %q lacks %s", one.header.Get("Allow"), m)
		}
	}
	if empty := send(http.MethodOptions, items+"/unknown_id", "", ""); !allows(empty, http.MethodDelete) {
		t.Errorf("OPTIONS on unknown_id (what QGIS asks of an empty layer): Allow %q", empty.header.Get("Allow"))
	}

	var cityID int64
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities ORDER BY id LIMIT 1`).Scan(&cityID); err != nil {
		t.Fatal(err)
	}
	// Every field QGIS lists for parks (the API's properties), as QgsJsonExporter writes a new
	// feature whose form the planner filled with a name, a class and the city.
	const lon0, lat0 = 109.8201, 40.6201
	body := fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":{"name":"青山湖公园","park_class":"community",
		"pocket":null,"open_status":null,"in_historic_district":null,"area_m2":null,"city_id":%d,"data_source":null,
		"synthetic":null,"version":null,"created_at":null,"updated_at":null,"updated_by":null}}`, square(lon0, lat0), cityID)
	created := send(http.MethodPost, items, "application/geo+json", body, "Content-Crs", ogcCRS4326)
	loc := created.header.Get("Location")
	at := strings.LastIndex(loc, "/items/")
	if created.code != http.StatusCreated || at < 0 {
		t.Fatalf("POST as QGIS: %d Location %q %s", created.code, loc, created.body)
	}
	jsonID := loc[at+len("/items/"):]
	var id int64
	if _, err := fmt.Sscan(jsonID, &id); err != nil {
		t.Fatalf("Location %q: the id QGIS takes from it is not the feature's: %v", loc, err)
	}
	if r := send(http.MethodGet, items+"/"+jsonID, "", ""); r.code != http.StatusOK {
		t.Errorf("GET the created feature (QGIS's refresh): %d", r.code)
	}
	var name, class, status string
	var pocket, historic bool
	if err := db.Pool.QueryRow(ctx, `SELECT name, park_class, open_status, pocket, in_historic_district FROM parks WHERE id = $1`, id).
		Scan(&name, &class, &status, &pocket, &historic); err != nil {
		t.Fatal(err)
	}
	// The nulls QGIS sends for fields the planner left empty give the columns' defaults.
	if name != "青山湖公园" || class != "community" || status != "open" || pocket || historic {
		t.Errorf("stored %q %q %q pocket=%v historic=%v, want the sent name and class and the defaults open/false/false", name, class, status, pocket, historic)
	}
	if !sameSquare(id, lon0, lat0) {
		t.Errorf("the created park is not the square at %v,%v (latitude-first input read wrongly?)", lon0, lat0)
	}

	if r := send(http.MethodPatch, items+"/"+jsonID, "application/merge-patch+json", `{"properties":{"name":"青山湖口袋公园","park_class":"garden","pocket":true}}`); r.code != http.StatusOK {
		t.Fatalf("PATCH attributes as QGIS: %d %s", r.code, r.body)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT name, park_class, open_status, pocket FROM parks WHERE id = $1`, id).Scan(&name, &class, &status, &pocket); err != nil {
		t.Fatal(err)
	}
	if name != "青山湖口袋公园" || class != "garden" || status != "open" || !pocket {
		t.Errorf("after the attribute patch: %q %q %q pocket=%v", name, class, status, pocket)
	}
	const lon1, lat1 = 109.8231, 40.6221
	if r := send(http.MethodPatch, items+"/"+jsonID, "application/merge-patch+json", `{"geometry":`+square(lon1, lat1)+`}`, "Content-Crs", ogcCRS4326); r.code != http.StatusOK {
		t.Fatalf("PATCH geometry as QGIS: %d %s", r.code, r.body)
	}
	if !sameSquare(id, lon1, lat1) {
		t.Errorf("after the geometry patch the park is not the square at %v,%v", lon1, lat1)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT name FROM parks WHERE id = $1`, id).Scan(&name); err != nil || name != "青山湖口袋公园" {
		t.Errorf("the geometry patch changed the name: %q %v", name, err)
	}

	if r := send(http.MethodDelete, items+"/"+jsonID, "", ""); r.code != http.StatusNoContent {
		t.Fatalf("DELETE as QGIS: %d %s", r.code, r.body)
	}
	var left int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM parks WHERE id = $1`, id).Scan(&left); err != nil || left != 0 {
		t.Errorf("after DELETE %d rows with id %d (%v)", left, id, err)
	}
	rows, err := db.Pool.Query(ctx, `SELECT op || ':' || actor FROM feature_history WHERE layer = 'parks' AND feature_id = $1 ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var history []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		history = append(history, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(history, " "); !strings.EqualFold(got, "insert:qgis-planner update:qgis-planner update:qgis-planner delete:qgis-planner") {
		t.Errorf("feature_history of the park: %q", got)
	}
}
