package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/jobshttp"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/webui"
	"github.com/cityreach/cityreach/migrations"
)

// policy is the access policy of every route, written out here independently of the route
// table: the level ("public", "read" = anonymous-read, "viewer", "editor", "admin") and,
// after a space, the owner rule ("hidden": others get 404; "owner": others get 403;
// "list": each caller sees their own). docs/security.md states the same policy.
var policy = map[string]string{
	"GET /healthz":                                             "public",
	"GET /metrics":                                             "read",
	"GET /readyz":                                              "public",
	"GET /":                                                    "public",
	"GET /index.html":                                          "public",
	"GET /assets/*file":                                        "public",
	"GET /glyphs/:fontstack/:range":                            "public",
	"GET /api/openapi.json":                                    "public",
	"GET /api/docs":                                            "public",
	"GET /api/v1/layers":                                       "read",
	"GET /api/v1/layers/:layer":                                "read",
	"GET /api/v1/layers/:layer/features":                       "read",
	"POST /api/v1/layers/:layer/features":                      "editor",
	"GET /api/v1/layers/:layer/features/:id":                   "read",
	"PUT /api/v1/layers/:layer/features/:id":                   "editor",
	"PATCH /api/v1/layers/:layer/features/:id":                 "editor",
	"DELETE /api/v1/layers/:layer/features/:id":                "editor",
	"GET /api/v1/layers/:layer/features/:id/history":           "read",
	"GET /api/v1/layers/:layer/features/:id/history/:version":  "read",
	"POST /api/v1/layers/:layer/import":                        "editor",
	"GET /api/v1/imports/:id":                                  "editor hidden",
	"DELETE /api/v1/imports/:id":                               "editor hidden",
	"GET /ogc":                                                 "read",
	"GET /ogc/conformance":                                     "read",
	"GET /ogc/api":                                             "read",
	"GET /ogc/collections":                                     "read",
	"GET /ogc/collections/:collectionId":                       "read",
	"GET /ogc/collections/:collectionId/queryables":            "read",
	"GET /ogc/collections/:collectionId/items":                 "read",
	"GET /ogc/collections/:collectionId/items/:featureId":      "read",
	"POST /ogc/collections/:collectionId/items":                "editor",
	"PUT /ogc/collections/:collectionId/items/:featureId":      "editor",
	"PATCH /ogc/collections/:collectionId/items/:featureId":    "editor",
	"DELETE /ogc/collections/:collectionId/items/:featureId":   "editor",
	"GET /tiles/:layers":                                       "read",
	"GET /tiles/:layers/:z/:x/:y":                              "read",
	"GET /tiles/:layers/metadata.json":                         "read",
	"GET /tiles/:layers/style.json":                            "read",
	"GET /api/v1/isochrones":                                   "read",
	"GET /api/v1/indicators/living-circle":                     "read",
	"GET /api/v1/indicators/living-circle/communities.geojson": "read",
	"GET /api/v1/indicators/living-circle/parcels":             "read",
	"GET /api/v1/walk/network":                                 "read",
	"GET /api/v1/indicators/capacity":                          "read",
	"GET /api/v1/indicators/capacity/map.geojson":              "read",
	"GET /api/v1/age-bands":                                    "read",
	"POST /api/v1/age-population":                              "editor",
	"GET /api/v1/indicators/park-coverage":                     "read",
	"GET /api/v1/indicators/park-coverage/gaps":                "read",
	"GET /api/v1/indicators/park-coverage/parcels":             "read",
	"GET /api/v1/indicators/park-coverage/sites":               "read",
	"GET /api/v1/indicators/park-coverage/siting":              "read",
	"POST /api/v1/indicators/park-coverage/siting":             "editor",
	"POST /api/v1/indicators/park-coverage/siting/scenario":    "editor",
	"GET /api/v1/calibers":                                     "read",
	"GET /api/v1/search":                                       "read",
	"GET /api/v1/labels":                                       "read",
	"POST /api/v1/calibers":                                    "admin",
	"GET /api/v1/checks/corridors":                             "read",
	"GET /api/v1/checks/control-lines":                         "read",
	"GET /api/v1/checks/growth-boundary/diff":                  "read",
	"GET /api/v1/checks/outside-boundary":                      "read",
	"GET /api/v1/checks/complete-communities":                  "read",
	"POST /api/v1/scenarios":                                   "editor",
	"GET /api/v1/scenarios":                                    "read",
	"GET /api/v1/scenarios/:id":                                "read",
	"DELETE /api/v1/scenarios/:id":                             "editor owner",
	"POST /api/v1/scenarios/:id/changes":                       "editor owner",
	"DELETE /api/v1/scenarios/:id/changes/:n":                  "editor owner",
	"GET /api/v1/scenarios/:id/compare":                        "read",
	"POST /api/v1/scenarios/:id/promote":                       "editor owner",
	"GET /api/v1/editions":                                     "read",
	"GET /api/v1/indicators/park-coverage/series":              "read",
	"GET /api/v1/indicators/living-circle/series":              "read",
	"GET /api/v1/problems":                                     "read",
	"GET /api/v1/tijian":                                       "read",
	"GET /api/v1/tijian/xlsx":                                  "read",
	"GET /api/v1/tijian/gpkg":                                  "read",
	"POST /api/v1/editions":                                    "editor",
	"GET /api/v1/editions/:id":                                 "read",
	"DELETE /api/v1/editions/:id":                              "editor",
	"POST /api/v1/editions/:id/publish":                        "admin",
	"POST /api/v1/indicators/park-coverage/sites/scenario":     "editor",
	"GET /api/v1/processes":                                    "read",
	"GET /api/v1/processes/:process":                           "read",
	"POST /api/v1/processes/:process/execution":                "editor",
	"GET /api/v1/jobs":                                         "viewer list",
	"GET /api/v1/jobs/:job":                                    "viewer hidden",
	"GET /api/v1/jobs/:job/results":                            "viewer hidden",
	"GET /api/v1/jobs/:job/results/:file":                      "viewer hidden",
	"DELETE /api/v1/jobs/:job":                                 "editor hidden",
}

var levels = map[string]int{"public": 0, "read": 1, "viewer": 2, "editor": 3, "admin": 4}

// accessFixture is the real server of `cityreach serve` on a migrated, seeded database with
// one token of each role, a revoked and an expired one, and resources that alice owns.
type accessFixture struct {
	t          *testing.T
	pool       *pgxpool.Pool
	app        *App
	on, off    *gin.Engine // anonymous reads on and off
	secrets    map[string]string
	park       int64
	job, file  string
	imp        string
	scenario   int64
	jobsRunner *jobs.Service
	imports    *importer.Jobs
}

func newAccessFixture(t *testing.T) *accessFixture {
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	f := &accessFixture{t: t, pool: db.Pool, secrets: map[string]string{}}
	ts := &auth.Store{Pool: db.Pool}
	for name, role := range map[string]auth.Role{"alice": auth.Editor, "bob": auth.Editor, "vera": auth.Viewer, "root": auth.Admin, "gone": auth.Admin, "old": auth.Admin} {
		_, secret, err := ts.Create(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		f.secrets[name] = secret
	}
	if err := ts.Revoke(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE name = 'old'`); err != nil {
		t.Fatal(err)
	}
	f.secrets["garbage"] = "crk_not-a-token"

	cfg := config.Defaults()
	log := slog.New(slog.DiscardHandler)
	app, err := buildApp(ctx, &cfg, db.Pool, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	f.app = app
	m, err := migrate.New(db.Pool, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if f.on, err = engine(&cfg, db.Pool, m, app, log); err != nil {
		t.Fatal(err)
	}
	cfg.AnonymousRead = false
	if f.off, err = engine(&cfg, db.Pool, m, app, log); err != nil {
		t.Fatal(err)
	}
	for _, mt := range app.Mounts {
		switch h := mt.(type) {
		case jobshttp.Handler:
			f.jobsRunner = h.Jobs
		case *featureapi.API:
			f.imports = h.Imports.Jobs
		}
	}
	if err := db.Pool.QueryRow(ctx, `SELECT min(id) FROM parks`).Scan(&f.park); err != nil {
		t.Fatal(err)
	}
	return f
}

// request sends method path as who ("" is anonymous) to h and returns the response.
func (f *accessFixture) request(h http.Handler, who, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	switch {
	case strings.Contains(path, "/import"):
		req.Header.Set("Content-Type", featureapi.GeoJSONType)
	case method == http.MethodPatch:
		req.Header.Set("Content-Type", "application/merge-patch+json")
	case strings.Contains(path, "/layers/"):
		req.Header.Set("Content-Type", featureapi.GeoJSONType)
	case body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+f.secrets[who])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func (f *accessFixture) json(h http.Handler, want int, who, method, path, body string) map[string]any {
	f.t.Helper()
	w := f.request(h, who, method, path, body)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	if w.Code != want {
		f.t.Fatalf("%s %s as %q: %d %s, want %d", method, path, who, w.Code, w.Body.String(), want)
	}
	return m
}

const parkFeature = `{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[109.82,40.62],[109.821,40.62],[109.821,40.621],[109.82,40.62]]]]},"properties":{"name":"门禁测试","park_class":"community"}}`

// ownResources makes alice's job (waited for), async import (waited for) and scenario.
func (f *accessFixture) ownResources() {
	t := f.t
	m := f.json(f.on, http.StatusCreated, "alice", http.MethodPost, "/api/v1/processes/report/execution", `{"inputs":{"city":"baotou","formats":["csv"]}}`)
	f.job = m["jobID"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard only
	defer cancel()
	j, err := f.jobsRunner.Wait(ctx, f.job)
	if err != nil || j.Status != queue.Successful || len(j.Files) == 0 {
		t.Fatalf("alice's report job: %+v %v", j, err)
	}
	f.file = j.Files[0].Name
	m = f.json(f.on, http.StatusAccepted, "alice", http.MethodPost, "/api/v1/layers/parks/import?city=baotou&async=true",
		`{"type":"FeatureCollection","features":[`+parkFeature+`]}`)
	f.imp = m["id"].(string)
	for {
		st, ok, err := f.imports.Status(context.Background(), f.imp)
		if !ok || err != nil {
			t.Fatal("alice's import vanished")
		}
		if st.State != importer.JobRunning {
			if st.State != importer.JobSucceeded || st.Owner != "alice" {
				t.Fatalf("alice's import: %+v", st)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("alice's import did not end")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m = f.json(f.on, http.StatusCreated, "alice", http.MethodPost, "/api/v1/scenarios", `{"city":"baotou","name":"alice's"}`)
	f.scenario = int64(m["id"].(float64))
}

// concrete fills the parameters of a route pattern with alice's resources; scenarios are
// addressed by an id that does not exist, so that no read computes a comparison.
func (f *accessFixture) concrete(pattern string) string {
	r := strings.NewReplacer(
		":layer/", "parks/", "/features/:id", fmt.Sprintf("/features/%d", f.park), ":version", "1",
		"/imports/:id", "/imports/"+f.imp, "/scenarios/:id", "/scenarios/999999", ":n", "1",
		"/editions/:id", "/editions/999999",
		":collectionId", "parks", ":featureId", fmt.Sprint(f.park),
		"/tiles/:layers/:z/:x/:y", "/tiles/parks/0/0/0.mvt", "/tiles/:layers/", "/tiles/parks/", "/tiles/:layers", "/tiles/index.json",
		":process", "report", ":job", f.job, ":file", f.file, "*file", "x.js", ":fontstack/:range", "Noto/0-255.pbf")
	p := r.Replace(pattern)
	if strings.HasSuffix(p, "/:layer") {
		p = strings.TrimSuffix(p, ":layer") + "parks"
	}
	return p
}

// body is a plausible body for a write, so that a write that slipped through would change
// something.
func (f *accessFixture) body(method, pattern string) string {
	switch {
	case method == http.MethodGet || method == http.MethodDelete:
		return ""
	case strings.HasSuffix(pattern, "/import"):
		return `{"type":"FeatureCollection","features":[` + parkFeature + `]}`
	case strings.Contains(pattern, "/features"), strings.HasPrefix(pattern, "/ogc/collections/"):
		if method == http.MethodPatch {
			return `{"properties":{"name":"改名"}}`
		}
		return parkFeature
	case pattern == "/api/v1/calibers":
		return `{"id":"sneaky","title":"t","classes":["garden"],"bands":[{"min_area_m2":400,"radius_m":300}]}`
	case strings.HasSuffix(pattern, "/execution"):
		return `{"inputs":{"city":"baotou","formats":["csv"]}}`
	case pattern == "/api/v1/scenarios", pattern == "/api/v1/editions":
		return `{"city":"baotou","name":"sneaky"}`
	}
	return `{}`
}

// state is a checksum of every table a write route can change, computed by PostgreSQL,
// and the number of jobs and imports.
func (f *accessFixture) state() map[string]string {
	f.t.Helper()
	tables := []string{"feature_history", "scenarios", "scenario_changes", "caliber_definitions", "api_tokens", "data_editions"}
	for _, l := range layers.Default().All() {
		tables = append(tables, l.ID)
	}
	out := map[string]string{}
	for _, tb := range tables {
		var s string
		if err := f.pool.QueryRow(context.Background(), `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM `+pgx.Identifier{tb}.Sanitize()+` t`).Scan(&s); err != nil {
			f.t.Fatalf("%s: %v", tb, err)
		}
		out[tb] = s
	}
	var n int // report jobs and imports: every process reads the same rows
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM jobs`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	out["jobs"] = fmt.Sprint(n)
	return out
}

func isProblem(w *httptest.ResponseRecorder) bool {
	var m map[string]any
	return w.Header().Get("Content-Type") == "application/problem+json" && json.Unmarshal(w.Body.Bytes(), &m) == nil &&
		m["status"] == float64(w.Code) && m["title"] != nil
}

// TestAccessMatrix builds the server as `cityreach serve` does and checks every route the
// engine has against policy: who is refused (401 without a token, 403 with too small a
// role, 404 for another's hidden resource), that revoked, expired and unknown tokens get
// 401 everywhere, that anonymous reads off closes every route but the public ones, that
// HEAD answers every GET without a body, and that no refused write changed a table.
func TestAccessMatrix(t *testing.T) {
	f := newAccessFixture(t)
	f.ownResources()

	// Every route is in the matrix and every matrix row is a route; HEAD mirrors GET.
	routes := map[string]bool{}
	heads := map[string]bool{}
	options := map[string]bool{} // every path answers OPTIONS (httpapi.Allow)
	builtFiles := map[string]bool{}
	tbl, err := appTable(f.app)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range tbl {
		if rt.Summary == webui.BuildFileSummary {
			builtFiles[rt.Method+" "+rt.Path] = true
		}
	}
	for _, ri := range f.on.Routes() {
		k := ri.Method + " " + ri.Path
		if ri.Method == http.MethodHead {
			heads[ri.Path] = true
			continue
		}
		if ri.Method == http.MethodOptions {
			options[ri.Path] = true
			continue
		}
		if _, ok := policy[k]; !ok && !builtFiles[k] {
			t.Errorf("route %s is not in the access matrix", k)
		}
		routes[k] = true
	}
	for k := range policy {
		if !routes[k] {
			t.Errorf("matrix row %s is not a route of the server", k)
		}
	}
	for k := range routes {
		if method, path, _ := strings.Cut(k, " "); method == http.MethodGet && !heads[path] {
			t.Errorf("GET %s has no HEAD", path)
		}
		if _, path, _ := strings.Cut(k, " "); !options[path] {
			t.Errorf("%s has no OPTIONS", path)
		}
	}
	for k := range builtFiles {
		policy[k] = "public"
	}

	before := f.state()
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rank := map[string]int{"vera": levels["viewer"], "bob": levels["editor"], "root": levels["admin"]}
	for _, k := range keys {
		method, pattern, _ := strings.Cut(k, " ")
		level, rule, _ := strings.Cut(policy[k], " ")
		need := levels[level]
		path, body := f.concrete(pattern), f.body(method, pattern)
		write := method != http.MethodGet

		// Anonymous, with anonymous reads on and off.
		for _, c := range []struct {
			h    http.Handler
			rank int
			name string
		}{{f.on, 1, "anonymous-read on"}, {f.off, 0, "anonymous-read off"}} {
			w := f.request(c.h, "", method, path, body)
			switch {
			case need > c.rank:
				if w.Code != http.StatusUnauthorized || !isProblem(w) || w.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s anonymous (%s): %d %s, want 401 problem+json with WWW-Authenticate", method, path, c.name, w.Code, w.Header().Get("Content-Type"))
				}
			case w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden:
				t.Errorf("%s %s anonymous (%s): %d, want it let through", method, path, c.name, w.Code)
			}
		}
		// Tokens that are not live get 401 on every route, the public ones included.
		for _, who := range []string{"gone", "old", "garbage"} {
			for _, h := range []http.Handler{f.on, f.off} {
				if w := f.request(h, who, method, path, body); w.Code != http.StatusUnauthorized || !isProblem(w) {
					t.Errorf("%s %s with the %s token: %d, want 401 problem+json", method, path, who, w.Code)
				}
			}
		}
		// Live tokens below the route's level get 403; at or above it, reads get through
		// (hidden resources of alice: 404 except for root); allowed writes are not sent.
		for _, who := range []string{"vera", "bob", "root"} {
			if write && rank[who] >= need {
				continue
			}
			w := f.request(f.off, who, method, path, body)
			switch {
			case rank[who] < need:
				if w.Code != http.StatusForbidden || !isProblem(w) {
					t.Errorf("%s %s as %s: %d, want 403 problem+json", method, path, who, w.Code)
				}
			case rule == "hidden" && who != "root":
				if w.Code != http.StatusNotFound || !isProblem(w) {
					t.Errorf("%s %s as %s (not the owner): %d, want 404 problem+json", method, path, who, w.Code)
				}
			case w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden:
				t.Errorf("%s %s as %s: %d %s, want it let through", method, path, who, w.Code, w.Body.String())
			}
			if method == http.MethodGet {
				h := f.request(f.off, who, http.MethodHead, path, "")
				if h.Code != w.Code || h.Body.Len() != 0 {
					t.Errorf("HEAD %s as %s: %d with %d bytes, want %d without a body", path, who, h.Code, h.Body.Len(), w.Code)
				}
			}
		}
	}
	after := f.state()
	for tb, v := range before {
		if after[tb] != v {
			t.Errorf("refused requests changed %s: %s → %s", tb, v, after[tb])
		}
	}
	if t.Failed() {
		return
	}

	// Ownership: bob cannot see, download or delete alice's job or see her import (404, as
	// for one that does not exist); he cannot change her scenario (403); root can.
	jobPath := "/api/v1/jobs/" + f.job
	missing := f.json(f.on, http.StatusNotFound, "bob", http.MethodGet, "/api/v1/jobs/0123456789abcdef01234567", "")
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, jobPath}, {http.MethodGet, jobPath + "/results"}, {http.MethodGet, jobPath + "/results/" + f.file},
		{http.MethodDelete, jobPath}, {http.MethodGet, "/api/v1/imports/" + f.imp},
	} {
		m := f.json(f.on, http.StatusNotFound, "bob", c.method, c.path, "")
		if strings.HasPrefix(c.path, "/api/v1/jobs/") && m["type"] != missing["type"] {
			t.Errorf("%s %s as bob: %v differs from a missing job's %v", c.method, c.path, m, missing)
		}
	}
	f.json(f.on, http.StatusForbidden, "bob", http.MethodDelete, fmt.Sprintf("/api/v1/scenarios/%d", f.scenario), "")
	f.json(f.on, http.StatusForbidden, "bob", http.MethodPost, fmt.Sprintf("/api/v1/scenarios/%d/promote", f.scenario), "")
	if w := f.request(f.on, "root", http.MethodGet, jobPath+"/results/"+f.file, ""); w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Errorf("root downloads alice's %s: %d, %d bytes", f.file, w.Code, w.Body.Len())
	}
	f.json(f.on, http.StatusOK, "alice", http.MethodGet, "/api/v1/imports/"+f.imp, "")
	f.json(f.on, http.StatusOK, "root", http.MethodGet, "/api/v1/imports/"+f.imp, "")

	// Lists: alice sees her job, bob and vera none, root every job.
	var all int // the report jobs, counted by SQL
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM jobs WHERE class = 'process'`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]int{"alice": 1, "bob": 0, "vera": 0, "root": all} {
		m := f.json(f.on, http.StatusOK, who, http.MethodGet, "/api/v1/jobs", "")
		if js := m["jobs"].([]any); len(js) != want {
			t.Errorf("GET /api/v1/jobs as %s: %d jobs, want %d", who, len(js), want)
		}
	}
	f.json(f.on, http.StatusOK, "root", http.MethodDelete, jobPath, "")
	f.json(f.on, http.StatusNotFound, "alice", http.MethodGet, jobPath, "")
	var scenarios int
	if err := f.pool.QueryRow(context.Background(), `SELECT count(*) FROM scenarios WHERE id = $1 AND owner = 'alice'`, f.scenario).Scan(&scenarios); err != nil || scenarios != 1 {
		t.Errorf("alice's scenario after bob's refused delete: %d rows (%v)", scenarios, err)
	}
}

// appTable is the route table of app's mounts.
func appTable(app *App) ([]httpapi.Route, error) { return httpapi.Table(app.Mounts...) }
