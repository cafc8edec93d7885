package featurewrite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/scenario"
	"github.com/cityreach/cityreach/internal/testdb"
)

// paths is one database with the four doors into the layers: the layers API (over HTTP,
// as alice), the scenario trial and promotion, and the importer.
type paths struct {
	t      *testing.T
	db     *testdb.DB
	h      *gin.Engine
	secret string
	sc     *scenario.Store
}

func newPaths(t *testing.T, cities ...string) *paths {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	for _, slug := range cities {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ($1, $1, '150200', 4546)`, slug); err != nil {
			t.Fatal(err)
		}
	}
	_, secret, err := (&auth.Store{Pool: db.Pool}).Create(ctx, "alice", auth.Editor)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api, err := featureapi.New(ctx, db.Pool, layers.Default(), 1<<20, log)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := httpapi.NewAPIDocument(httpapi.Info{Title: "layers", Version: "1"}, api)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20,
		Policy: httpapi.Policy{Tokens: &auth.Store{Pool: db.Pool}}}, api, doc))
	return &paths{t: t, db: db, h: h, secret: secret, sc: &scenario.Store{Pool: db.Pool, Layers: layers.Default()}}
}

// api sends a request to the layers API as alice and returns the status and the JSON body.
func (p *paths) api(method, path, ctype, body string, hdr ...string) (int, map[string]any) {
	p.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	req.Header.Set("Authorization", "Bearer "+p.secret)
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, req)
	var m map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			p.t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
	}
	return w.Code, m
}

func (p *paths) scalar(sql string, args ...any) int64 {
	p.t.Helper()
	var n int64
	if err := p.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		p.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func feature(geom, props string) string {
	return `{"type":"Feature","geometry":` + geom + `,"properties":` + props + `}`
}

// detailOf is the client-facing detail of a domain error ("" for none).
func detailOf(err error) string {
	if err == nil {
		return ""
	}
	if fe := fault.As(err); fe != nil {
		return fe.Detail
	}
	return "not a fault: " + err.Error()
}

// TestOneWritePath feeds the same features through the four doors: each accepts or refuses
// it alike, with the same words (the expected details are written out by hand from the
// layer registry and migration 0003's constraint names).
func TestOneWritePath(t *testing.T) {
	p := newPaths(t, "baotou")
	ctx := context.Background()
	city := p.scalar(`SELECT id FROM cities WHERE slug = 'baotou'`)
	square := `{"type":"Polygon","coordinates":[[[109.80,40.60],[109.801,40.60],[109.801,40.601],[109.80,40.601],[109.80,40.60]]]}`
	bowtie := `{"type":"Polygon","coordinates":[[[109.8,40.6],[109.81,40.61],[109.81,40.6],[109.8,40.61],[109.8,40.6]]]}`
	long := strings.Repeat("园", 1366) // 4098 bytes
	cases := []struct {
		name, layer, geom, props string
		want                     string // "" accepted, else the detail every door gives
		prefixOnly               bool   // the importer adds the location after the detail
	}{
		{"valid park", "parks", square, `{"name":"口袋公园","park_class":"garden","pocket":true}`, "", false},
		{"valid parcel", "residential_land", square, `{"population":120,"households":40}`, "", false},
		{"float for an integer", "residential_land", square, `{"population":10.5,"households":3}`,
			"attribute population: must be a whole number within range, got 10.5", false},
		{"out of range", "residential_land", square, `{"population":-5,"households":0}`,
			"attribute population: must be at least 0", false},
		{"above the bound", "facilities", `{"type":"Point","coordinates":[109.8,40.6]}`, `{"category":"clinic","floor_area_m2":1e7}`,
			"attribute floor_area_m2: must be at most 9.999999e+06", false},
		{"overlong text", "parks", square, `{"name":"` + long + `","park_class":"garden"}`,
			"attribute name: must be text of at most 4096 bytes without NUL characters", false},
		{"unknown enum", "parks", square, `{"name":"x","park_class":"forest"}`,
			"attribute park_class: must be one of comprehensive, community, specialized, garden, square", false},
		{"wrong geometry type", "facilities", square, `{"category":"clinic"}`,
			"layer facilities holds Point geometries, not Polygon", false},
		{"invalid polygon", "parks", bowtie, `{"name":"x","park_class":"garden"}`,
			"invalid geometry: Self-intersection", true},
		{"check constraint", "residential_land", square, `{"population":10,"households":50}`,
			"the feature violates the rule residential_land_households_le_population", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The layers API: 201, or 422 with the detail.
			var withCity map[string]any
			dec := json.NewDecoder(strings.NewReader(c.props))
			dec.UseNumber()
			if err := dec.Decode(&withCity); err != nil {
				t.Fatal(err)
			}
			withCity["city_id"] = city
			body, _ := json.Marshal(withCity)
			code, out := p.api("POST", "/api/v1/layers/"+c.layer+"/features", "application/geo+json", feature(c.geom, string(body)))
			if c.want == "" && code != http.StatusCreated || c.want != "" && (code != http.StatusUnprocessableEntity || out["detail"] != c.want) {
				t.Errorf("layers API: %d %v, want %q", code, out, c.want)
			}
			// The scenario trial.
			sc, err := p.sc.Create(ctx, "baotou", c.name, "", "alice")
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.sc.AddChange(ctx, sc, scenario.ChangeInput{Layer: c.layer, Op: "add", Feature: json.RawMessage(feature(c.geom, c.props))})
			if got := detailOf(err); got != c.want {
				t.Errorf("scenario trial: %q, want %q", got, c.want)
			}
			// Promotion of the change as stored (a refused change is put there directly, as
			// a change stored before the rules agreed would be).
			if err != nil {
				if _, err := p.db.Pool.Exec(ctx, `INSERT INTO scenario_changes (scenario_id, n, layer, op, properties, geom)
					VALUES ($1, 1, $2, 'add', $3::jsonb, ST_SetSRID(ST_GeomFromGeoJSON($4), 4326))`, sc.ID, c.layer, c.props, c.geom); err != nil {
					t.Fatal(err)
				}
			}
			_, err = p.sc.Promote(ctx, sc.ID, "alice")
			want := ""
			if c.want != "" {
				want = "change 1: " + c.want + "; nothing was promoted"
			}
			if got := detailOf(err); got != want {
				t.Errorf("promotion: %q, want %q", got, want)
			}
			// The importer (a dry run).
			fc := `{"type":"FeatureCollection","features":[` + feature(c.geom, c.props) + `]}`
			rep, err := importer.Import(ctx, p.db.Pool, c.layer, importer.NewGeoJSONReader(strings.NewReader(fc)), importer.Options{City: "baotou", DryRun: true})
			switch {
			case c.want == "" && err != nil:
				t.Errorf("importer: %v %+v", err, rep)
			case c.want != "" && (!errors.Is(err, importer.ErrRefused) || len(rep.Rejected) != 1):
				t.Errorf("importer: %v %+v, want a refusal", err, rep)
			case c.want != "" && !(rep.Rejected[0].Reason == c.want || c.prefixOnly && strings.HasPrefix(rep.Rejected[0].Reason, c.want+" ")):
				t.Errorf("importer: %q, want %q", rep.Rejected[0].Reason, c.want)
			}
		})
	}
}

// TestPromotionEqualsLayerEdits makes the same edits to two identical cities: on one as a
// scenario that is promoted, on the other through /api/v1/layers. The rows (every writable
// column, the geometry as EWKB, the computed area, version, updated_by) are equal, compared
// by SQL, and the history holds the same operations in the same order, named for alice.
func TestPromotionEqualsLayerEdits(t *testing.T) {
	p := newPaths(t, "one", "two")
	ctx := context.Background()
	ids := map[string]map[string]int64{}
	for _, slug := range []string{"one", "two"} {
		city := p.scalar(`SELECT id FROM cities WHERE slug = $1`, slug)
		ids[slug] = map[string]int64{
			"city": city,
			"park": p.scalar(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '八一公园', 'comprehensive',
				ST_Multi(ST_MakeEnvelope(109.82, 40.62, 109.83, 40.63, 4326))) RETURNING id`, city),
			"facility": p.scalar(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'clinic', '卫生站',
				ST_SetSRID(ST_MakePoint(109.825, 40.615), 4326)) RETURNING id`, city),
		}
	}
	before := p.scalar(`SELECT coalesce(max(id), 0) FROM feature_history`) // append-only (0019)
	g1 := `{"type":"Polygon","coordinates":[[[109.80,40.60],[109.8012345678,40.60],[109.801,40.6011],[109.80,40.601],[109.80,40.60]]]}`
	g2 := `{"type":"Polygon","coordinates":[[[109.80,40.60],[109.802,40.60],[109.802,40.602],[109.80,40.602],[109.80,40.60]]]}`
	g3 := `{"type":"Polygon","coordinates":[[[109.81,40.61],[109.812,40.61],[109.812,40.612],[109.81,40.61]]]}`

	// One: a scenario, promoted by alice.
	sc, err := p.sc.Create(ctx, "one", "edits", "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []scenario.ChangeInput{
		{Layer: "parks", Op: "add", Feature: json.RawMessage(feature(g1, `{"name":"新园","park_class":"garden","pocket":true,"open_status":"open"}`))},
		{Layer: "parks", Op: "modify", Target: -1, Feature: json.RawMessage(feature(g2, `{"name":"新园二"}`))},
		{Layer: "parks", Op: "modify", Target: ids["one"]["park"], Feature: json.RawMessage(feature("null", `{"open_status":"closed"}`))},
		{Layer: "residential_land", Op: "add", Feature: json.RawMessage(feature(g3, `{"population":120,"households":40,"landuse_code":"0701"}`))},
		{Layer: "facilities", Op: "delete", Target: ids["one"]["facility"]},
	} {
		if _, err := p.sc.AddChange(ctx, sc, in); err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
	}
	if _, err := p.sc.Promote(ctx, sc.ID, "alice"); err != nil {
		t.Fatal(err)
	}

	// Two: the same edits through the layers API, as alice.
	two := ids["two"]
	base := "/api/v1/layers/"
	code, out := p.api("POST", base+"parks/features", "application/geo+json",
		feature(g1, fmt.Sprintf(`{"city_id":%d,"name":"新园","park_class":"garden","pocket":true,"open_status":"open"}`, two["city"])))
	if code != http.StatusCreated {
		t.Fatalf("create park: %d %v", code, out)
	}
	newPark := int64(out["id"].(float64))
	for _, r := range []struct {
		method, table string
		id            int64
		body          string
	}{
		{"PATCH", "parks", newPark, `{"geometry":` + g2 + `,"properties":{"name":"新园二"}}`},
		{"PATCH", "parks", two["park"], `{"properties":{"open_status":"closed"}}`},
		{"POST", "residential_land", 0, feature(g3, fmt.Sprintf(`{"city_id":%d,"population":120,"households":40,"landuse_code":"0701"}`, two["city"]))},
		{"DELETE", "facilities", two["facility"], ""},
	} {
		ct, path, hdr := "application/geo+json", base+r.table+"/features", []string(nil)
		if r.method == "PATCH" {
			ct = "application/merge-patch+json"
		}
		if r.id != 0 {
			path += fmt.Sprintf("/%d", r.id)
			version := p.scalar(`SELECT version FROM `+r.table+` WHERE id = $1`, r.id)
			hdr = []string{"If-Match", featureapi.ETag(int32(version))}
		}
		if code, out := p.api(r.method, path, ct, r.body, hdr...); code >= 300 {
			t.Fatalf("%s %s: %d %v", r.method, path, code, out)
		}
	}

	// The rows of the two cities are equal, column by column (ids and city aside).
	for table, cols := range map[string]string{
		"parks":            "name, park_class, pocket, open_status, in_historic_district, data_source, synthetic, version, updated_by, ST_AsEWKB(geom), area_m2",
		"residential_land": "landuse_code, population, households, data_source, synthetic, version, updated_by, ST_AsEWKB(geom), area_m2",
		"facilities":       "category, name, floor_area_m2, capacity, data_source, version, updated_by, ST_AsEWKB(geom)",
	} {
		q := func(city int64) string { return fmt.Sprintf(`SELECT %s FROM %s WHERE city_id = %d`, cols, table, city) }
		diff := p.scalar(`SELECT count(*) FROM ((` + q(ids["one"]["city"]) + ` EXCEPT ALL ` + q(two["city"]) + `) UNION ALL (` +
			q(two["city"]) + ` EXCEPT ALL ` + q(ids["one"]["city"]) + `)) d`)
		n := p.scalar(`SELECT count(*) FROM `+table+` WHERE city_id = $1`, ids["one"]["city"])
		if diff != 0 {
			t.Errorf("%s: %d rows differ between the promoted city and the edited one", table, diff)
		}
		want := map[string]int64{"parks": 2, "residential_land": 1, "facilities": 0}[table]
		if n != want {
			t.Errorf("%s: %d rows after promotion, want %d", table, n, want)
		}
	}
	// The history: the same operations in the same order, each by alice.
	for _, slug := range []string{"one", "two"} {
		rows, err := p.db.Pool.Query(ctx, `SELECT layer || ':' || op || ':' || version || ':' || actor FROM feature_history h
			WHERE id > $2 AND (coalesce(new_row, old_row)->>'city_id')::bigint = $1 ORDER BY id`, ids[slug]["city"], before)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			got = append(got, s)
		}
		want := "parks:insert:1:alice parks:update:2:alice parks:update:2:alice residential_land:insert:1:alice facilities:delete:2:alice"
		if strings.Join(got, " ") != want {
			t.Errorf("history of %s:\n%s\nwant\n%s", slug, strings.Join(got, " "), want)
		}
	}
}
