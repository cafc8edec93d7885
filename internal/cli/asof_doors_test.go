package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/seed"
)

// TestAsOfRefusedAlikeByOGCAndTiles: a planning layer read as_of through the OGC API
// (city from city_id=) and through the tiles (city from city=) goes through one resolver
// (edition.Store.ResolvePast), so the same bad as_of gets the same problem from both doors
// — status, type and detail — naming the parameter the client used there; and the same
// good as_of is served by both. The demo city has two editions made at seeding time (seed.Editions), so
// the first edition's instant and the bounds around it come from data_editions.
func TestAsOfRefusedAlikeByOGCAndTiles(t *testing.T) {
	db, h := demoServer(t)
	ctx := context.Background()
	var cityID int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities`).Scan(&cityID); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Editions(ctx, db.Pool, cityID); err != nil {
		t.Fatal(err)
	}
	var first time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT min(as_of) FROM data_editions WHERE city_id = $1`, cityID).Scan(&first); err != nil {
		t.Fatal(err)
	}
	x, y := tileOf(109.84, 40.65, 14)
	tile := func(layer string) string { return fmt.Sprintf("/tiles/%s/14/%d/%d.mvt?", layer, x, y) }
	const items = "/ogc/collections/parks/items?limit=1&"
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	type problemDoc struct {
		Type      string `json:"type"`
		Status    int    `json:"status"`
		Detail    string `json:"detail"`
		Parameter string `json:"parameter"`
	}
	refusal := func(path string) problemDoc {
		t.Helper()
		rec := get(path)
		var p problemDoc
		if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != rec.Code {
			t.Fatalf("%s: %d %s %s, want a problem document", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		return p
	}
	asOf := func(v string) string { return "as_of=" + url.QueryEscape(v) }
	beijing := time.FixedZone("UTC+8", 8*3600)

	for _, c := range []struct {
		name, ogc, tiles string
		ogcParam         string // the parameter the OGC refusal names; the tiles' is tilesParam
		tilesParam       string
		sameDetail       bool
		detail           string // a part of both details
	}{
		{"bad syntax", items + asOf("2024-13-01"), tile("parks") + asOf("2024-13-01"), "as_of", "as_of", true, "RFC 3339"},
		{"empty", items + "as_of=", tile("parks") + "as_of=", "as_of", "as_of", true, "is empty"},
		{"future instant", items + asOf(time.Now().Add(48*time.Hour).In(beijing).Format(time.DateOnly)), tile("parks") + asOf(time.Now().Add(48*time.Hour).In(beijing).Format(time.DateOnly)), "as_of", "as_of", true, "future"},
		{"before the first edition", items + asOf(first.Add(-time.Second).Format(time.RFC3339Nano)), tile("parks") + asOf(first.Add(-time.Second).Format(time.RFC3339Nano)), "as_of", "as_of", true, "before the city's first edition"},
		{"a date long before", items + asOf("2000-01-01"), tile("parks") + asOf("2000-01-01"), "as_of", "as_of", true, "before the city's first edition"},
		{"an edition the city lacks", items + asOf("2023 现状"), tile("parks") + asOf("2023 现状"), "as_of", "as_of", true, "no edition"},
		{"unknown city", items + asOf("2024 现状") + "&city_id=999999", tile("parks") + asOf("2024 现状") + "&city=999999", "city_id", "city", true, `no city "999999"`},
		{"a layer without history", "/ogc/collections/living_circle_parcels/items?" + asOf("2024 现状"), tile("living_circle_communities") + asOf("2024 现状"), "as_of", "as_of", false, "is of the current data"},
	} {
		o, ti := refusal(c.ogc), refusal(c.tiles)
		if o.Status != 400 || ti.Status != 400 || o.Type != ti.Type || o.Parameter != c.ogcParam || ti.Parameter != c.tilesParam {
			t.Errorf("%s: OGC %+v, tiles %+v; want both 400 of one type, naming %s and %s", c.name, o, ti, c.ogcParam, c.tilesParam)
		}
		if (c.sameDetail && o.Detail != ti.Detail) || !strings.Contains(o.Detail, c.detail) || !strings.Contains(ti.Detail, c.detail) {
			t.Errorf("%s: OGC detail %q, tiles detail %q; want the same, with %q", c.name, o.Detail, ti.Detail, c.detail)
		}
	}

	// The same good references are served by both: the edition, and the instant of the first
	// edition itself (the earliest one readable), with the city named or not.
	for _, q := range []string{asOf("2024 现状"), asOf(first.Format(time.RFC3339Nano)), asOf("2025 现状") + fmt.Sprintf("&city_id=%d", cityID)} {
		if rec := get(items + q); rec.Code != 200 {
			t.Errorf("OGC %s: %d %s", q, rec.Code, rec.Body)
		}
		tq := strings.Replace(q, "city_id=", "city=", 1)
		if rec := get(tile("parks") + tq); rec.Code != 200 && rec.Code != 204 {
			t.Errorf("tiles %s: %d %s", tq, rec.Code, rec.Body)
		}
	}

	// A second city: without a city, as_of is refused alike, each door saying which
	// parameter names the city there.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('hohhot', '呼和浩特', '150100', 4546)`); err != nil {
		t.Fatal(err)
	}
	o, ti := refusal(items+asOf("2024 现状")), refusal(tile("parks")+asOf("2024 现状"))
	if o.Status != 400 || ti.Status != 400 || o.Type != ti.Type || o.Parameter != "as_of" || ti.Parameter != "as_of" ||
		!strings.Contains(o.Detail, "add city_id=") || !strings.Contains(ti.Detail, "add city=") {
		t.Errorf("no city among two: OGC %+v, tiles %+v", o, ti)
	}
	// A city without an edition has no known past yet.
	var hohhot int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = 'hohhot'`).Scan(&hohhot); err != nil {
		t.Fatal(err)
	}
	day := asOf(time.Now().Add(-24 * time.Hour).In(beijing).Format(time.DateOnly))
	o, ti = refusal(items+day+fmt.Sprintf("&city_id=%d", hohhot)), refusal(tile("parks")+day+"&city=hohhot")
	if o.Status != 400 || o != ti || !strings.Contains(o.Detail, "no data edition yet") || o.Parameter != "as_of" {
		t.Errorf("a city without editions: OGC %+v, tiles %+v", o, ti)
	}
}
