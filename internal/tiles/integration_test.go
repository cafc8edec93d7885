package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// The fixture, chosen by hand around tile 14/13190/6163 in Baotou, whose envelope is
// lon 109.8193359375…109.84130859375, lat 40.64730356…40.66397288. The clip buffer
// reaches 1/16 of a tile (0.00137°) beyond each edge.
const (
	tz, tx, ty = 14, 13190, 6163
	eastX      = tx + 1 // the neighbour to the east
	farX       = tx - 3 // three tiles west: Gamma's tile
)

var parks = []struct{ name, wkt string }{
	{"Alpha", "MULTIPOLYGON(((109.825 40.650,109.830 40.650,109.830 40.655,109.825 40.655,109.825 40.650)))"},
	// Crosses the tile's east edge at 109.84130859375.
	{"Beta", "MULTIPOLYGON(((109.838 40.655,109.845 40.655,109.845 40.660,109.838 40.660,109.838 40.655)))"},
	{"Gamma", "MULTIPOLYGON(((109.760 40.650,109.765 40.650,109.765 40.655,109.760 40.655,109.760 40.650)))"},
	{"Delta", "MULTIPOLYGON(((109.832 40.657,109.834 40.657,109.834 40.659,109.832 40.659,109.832 40.657)))"},
	// East of the edge but inside the buffer (edge + 0.00137°): drawn in the buffer only.
	{"Epsilon", "MULTIPOLYGON(((109.8420 40.652,109.8422 40.652,109.8422 40.653,109.8420 40.653,109.8420 40.652)))"},
}

type fixture struct {
	db  *testdb.DB
	svc *Service
	h   http.Handler
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	db := testdb.New(t)
	requireTilesMigration(t, db)
	ctx := context.Background()
	var city int
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	for _, p := range parks {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, $2, 'community', ST_GeomFromText($3, 4326))`, city, p.name, p.wkt); err != nil {
			t.Fatal(err)
		}
	}
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := New(db.Pool, layers.Default(), o)
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	f := &fixture{db: db, svc: svc, h: httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: o.Logger, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Tiles: svc, Log: o.Logger}))}
	if svc.cache != nil {
		deadline := time.Now().Add(10 * time.Second)
		for !svc.listen.live.Load() {
			if time.Now().After(deadline) {
				t.Fatal("the listener did not connect")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return f
}

// requireTilesMigration skips (fails under CI=true) when the database lacks migration
// 0006's geom_3857 column, as when this package is tested against an older schema.
func requireTilesMigration(t testing.TB, db *testdb.DB) {
	t.Helper()
	var ok bool
	if err := db.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'parks' AND column_name = 'geom_3857')`).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("migration 0006_tiles is not applied: parks has no geom_3857")
		}
		t.Skip("migration 0006_tiles is not applied: parks has no geom_3857")
	}
}

// cityID is the id of the fixture's city, baotou.
func (f *fixture) cityID(t *testing.T) int {
	t.Helper()
	var id int
	if err := f.db.Pool.QueryRow(context.Background(), `SELECT id FROM cities WHERE slug = 'baotou'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) get(t *testing.T, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func tilePath(layer string, z, x, y int) string {
	return "/tiles/" + layer + "/" + strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y) + ".mvt"
}

// ogrNames decodes an MVT with GDAL's MVT driver and returns, per layer, the sorted
// values of the name field.
// requireGDAL skips without ogrinfo, and fails under CI=true.
func requireGDAL(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo (Debian gdal-bin) is required under CI=true")
		}
		t.Skip("ogrinfo (Debian gdal-bin) not installed")
	}
}

func ogrNames(t *testing.T, mvt []byte, z, x, y int) map[string][]string {
	t.Helper()
	requireGDAL(t)
	path := filepath.Join(t.TempDir(), "tile.mvt")
	if err := os.WriteFile(path, mvt, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-oo", "CLIP=NO",
		"-oo", "Z="+strconv.Itoa(z), "-oo", "X="+strconv.Itoa(x), "-oo", "Y="+strconv.Itoa(y), path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	got := map[string][]string{}
	layer := ""
	layerRE := regexp.MustCompile(`^Layer name: (\S+)`)
	nameRE := regexp.MustCompile(`^\s+name \(String\) = (.*)$`)
	countRE := regexp.MustCompile(`^Feature Count: (\d+)`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := layerRE.FindStringSubmatch(line); m != nil {
			layer = m[1]
			got[layer] = []string{}
		} else if m := nameRE.FindStringSubmatch(line); m != nil {
			got[layer] = append(got[layer], m[1])
		} else if m := countRE.FindStringSubmatch(line); m != nil && m[1] == "0" {
			got[layer] = []string{}
		}
	}
	for k := range got {
		slices.Sort(got[k])
	}
	return got
}

// dbNames is the oracle: the parks whose 3857 geometry meets the tile envelope grown by
// the clip buffer, straight from SQL.
func dbNames(t *testing.T, f *fixture, z, x, y int) []string {
	t.Helper()
	return namesIn(t, f.db.Pool, z, x, y)
}

// namesIn is dbNames on any database (the replica).
func namesIn(t *testing.T, q DB, z, x, y int) []string {
	t.Helper()
	rows, err := q.Query(context.Background(),
		`SELECT name FROM parks WHERE ST_Intersects(geom_3857, ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096)) ORDER BY name`, z, x, y)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestServedTileMatchesTheDatabase(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	for _, c := range []struct {
		x    int
		want []string // by hand from the fixture's coordinates
	}{
		{tx, []string{"Alpha", "Beta", "Delta", "Epsilon"}},
		{eastX, []string{"Beta", "Epsilon"}},
		{farX, []string{"Gamma"}},
	} {
		rec := f.get(t, tilePath("parks", tz, c.x, ty))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != MediaType {
			t.Fatalf("x=%d: %d %s", c.x, rec.Code, rec.Header().Get("Content-Type"))
		}
		got := ogrNames(t, rec.Body.Bytes(), tz, c.x, ty)["parks"]
		if !slices.Equal(got, c.want) {
			t.Errorf("x=%d: GDAL reads %v, want %v", c.x, got, c.want)
		}
		if db := dbNames(t, f, tz, c.x, ty); !slices.Equal(got, db) {
			t.Errorf("x=%d: GDAL reads %v, the database has %v", c.x, got, db)
		}
	}
	// A composite tile carries both layers; an empty one is 204.
	if _, err := f.db.Pool.Exec(context.Background(), `INSERT INTO facilities (city_id, category, name, geom)
		VALUES (1, 'clinic', 'Clinic One', ST_SetSRID(ST_MakePoint(109.827, 40.652), 4326))`); err != nil {
		t.Fatal(err)
	}
	rec := f.get(t, tilePath("parks,facilities", tz, tx, ty))
	got := ogrNames(t, rec.Body.Bytes(), tz, tx, ty)
	if !slices.Equal(got["facilities"], []string{"Clinic One"}) || len(got["parks"]) != 4 {
		t.Errorf("composite: %v", got)
	}
	if rec := f.get(t, tilePath("parks", tz, tx, ty+40)); rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Errorf("empty tile: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	// properties= narrows the fields; city= filters by slug.
	rec = f.get(t, tilePath("parks", tz, tx, ty)+"?properties=park_class&city=baotou")
	if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte("Alpha")) || !bytes.Contains(rec.Body.Bytes(), []byte("community")) {
		t.Errorf("properties=park_class: %d, names present: %v", rec.Code, bytes.Contains(rec.Body.Bytes(), []byte("Alpha")))
	}
	if rec := f.get(t, tilePath("parks", tz, tx, ty)+"?city=nowhere"); rec.Code != http.StatusNoContent {
		t.Errorf("unknown city: %d", rec.Code)
	}
	// limit=1 keeps one feature.
	rec = f.get(t, tilePath("parks", tz, tx, ty)+"?limit=1")
	if n := len(ogrNames(t, rec.Body.Bytes(), tz, tx, ty)["parks"]); n != 1 {
		t.Errorf("limit=1: %d features", n)
	}
}

func TestEditShowsOnTheVeryNextRequestAndLeavesOtherTilesCached(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	ctx := context.Background()
	here, east, far := tilePath("parks", tz, tx, ty), tilePath("parks", tz, eastX, ty), tilePath("parks", tz, farX, ty)
	low := tilePath("parks", 10, tx>>4, ty>>4) // the z10 tile holding all three
	for _, p := range []string{here, east, far, low} {
		if c := f.get(t, p).Header().Get("X-Cache"); c != "miss" {
			t.Fatalf("%s first request: X-Cache %q", p, c)
		}
		if c := f.get(t, p).Header().Get("X-Cache"); c != "hit" {
			t.Fatalf("%s second request: X-Cache %q", p, c)
		}
	}
	// 1. An attribute edit through the pool, as the REST API would make it.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE parks SET name = 'Delta renamed' WHERE name = 'Delta'`); err != nil {
		t.Fatal(err)
	}
	rec := f.get(t, here)
	if c := rec.Header().Get("X-Cache"); c != "miss" {
		t.Fatalf("edited tile right after the edit: X-Cache %q", c)
	}
	if got := ogrNames(t, rec.Body.Bytes(), tz, tx, ty)["parks"]; !slices.Contains(got, "Delta renamed") {
		t.Fatalf("edited tile shows %v", got)
	}
	if c := f.get(t, low).Header().Get("X-Cache"); c != "miss" {
		t.Fatalf("z10 tile holding the edit: X-Cache %q", c)
	}
	for _, p := range []string{east, far} {
		if c := f.get(t, p).Header().Get("X-Cache"); c != "hit" {
			t.Fatalf("untouched %s: X-Cache %q", p, c)
		}
	}
	// 2. A move made by another process (psql): Alpha leaves this tile for Gamma's.
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	f.get(t, here)
	out, err := exec.Command(psql, f.db.URL, "-v", "ON_ERROR_STOP=1", "-c",
		`UPDATE parks SET geom = ST_Translate(geom, -0.065, 0) WHERE name = 'Alpha'`).CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v %s", err, out)
	}
	rec = f.get(t, here)
	if got := ogrNames(t, rec.Body.Bytes(), tz, tx, ty)["parks"]; slices.Contains(got, "Alpha") || rec.Header().Get("X-Cache") != "miss" {
		t.Fatalf("old extent: %v (X-Cache %s)", got, rec.Header().Get("X-Cache"))
	}
	rec = f.get(t, far)
	if got := ogrNames(t, rec.Body.Bytes(), tz, farX, ty)["parks"]; !slices.Equal(got, []string{"Alpha", "Gamma"}) || rec.Header().Get("X-Cache") != "miss" {
		t.Fatalf("new extent: %v (X-Cache %s)", got, rec.Header().Get("X-Cache"))
	}
	if c := f.get(t, east).Header().Get("X-Cache"); c != "hit" {
		t.Fatalf("untouched east tile after the move: X-Cache %q", c)
	}
	// 3. A delete is an edit too; a rolled-back edit is not.
	tx2, _ := f.db.Pool.Begin(ctx)
	_, _ = tx2.Exec(ctx, `DELETE FROM parks WHERE name = 'Gamma'`)
	_ = tx2.Rollback(ctx)
	if c := f.get(t, far).Header().Get("X-Cache"); c != "hit" {
		t.Fatalf("after a rolled-back delete: X-Cache %q", c)
	}
	if _, err := f.db.Pool.Exec(ctx, `DELETE FROM parks WHERE name = 'Gamma'`); err != nil {
		t.Fatal(err)
	}
	if got := ogrNames(t, f.get(t, far).Body.Bytes(), tz, farX, ty)["parks"]; !slices.Equal(got, []string{"Alpha"}) {
		t.Fatalf("after the delete: %v", got)
	}
	// Three edits, each applied once, whether its notification or the change log came first.
	time.Sleep(3 * DefaultPoll)
	if st, ps := f.svc.Stats(), f.svc.PollStats(); st.Invalidations != 3 || ps.Rows+ps.Notified != 3 {
		t.Fatalf("%d invalidations (change log: %d, notifications: %d), want 3, once each", st.Invalidations, ps.Rows, ps.Notified)
	}
}

// TestEveryEditFromAnotherSessionIsSeenAtOnce is the read-your-writes guarantee under
// repetition: a separate session (not the server's pool) renames a park and commits, and
// the request made right after the commit must show the new name, a hundred times in a
// row, with cache hits in between. A barrier that lost the race with the notification
// would serve the cached name. A concurrent reader hammers the same tile meanwhile.
func TestEveryEditFromAnotherSessionIsSeenAtOnce(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	ctx := context.Background()
	editor, err := pgx.Connect(ctx, f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer editor.Close(ctx) //nolint:errcheck // test clean-up
	here := tilePath("parks", tz, tx, ty)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // other clients reading the same tile all along
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				req := httptest.NewRequest(http.MethodGet, here, nil)
				f.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	hits := 0
	for i := range 100 {
		name := "Delta " + strconv.Itoa(i)
		if _, err := editor.Exec(ctx, `UPDATE parks SET name = $1 WHERE name LIKE 'Delta%'`, name); err != nil {
			t.Fatal(err)
		}
		for k := range 2 {
			rec := f.get(t, here)
			if k == 1 && rec.Header().Get("X-Cache") == "hit" {
				hits++
			}
			ls, err := mvtread.Decode(rec.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, l := range ls {
				for _, ft := range l.Features {
					names = append(names, fmt.Sprint(ft.Props["name"]))
				}
			}
			if !slices.Contains(names, name) {
				t.Fatalf("edit %d, request %d after the commit: the tile shows %v, not %q (X-Cache %s)", i, k+1, names, name, rec.Header().Get("X-Cache"))
			}
		}
	}
	// The cache was in use, not bypassed: most second requests were hits.
	if hits < 50 {
		t.Fatalf("only %d of 100 second requests were cache hits", hits)
	}
}

func TestListenerReconnectDropsTheCache(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	p := tilePath("parks", tz, tx, ty)
	f.get(t, p)
	if c := f.get(t, p).Header().Get("X-Cache"); c != "hit" {
		t.Fatalf("X-Cache %q", c)
	}
	// Kill the listener's backend: notifications sent until it is back would be lost.
	if _, err := f.db.Pool.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = 'cityreach-tiles-listener' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.svc.listen.live.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for !f.svc.listen.live.Load() {
		if c := f.get(t, p).Header().Get("X-Cache"); c != "bypass" {
			t.Fatalf("while disconnected: X-Cache %q", c)
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := f.get(t, p).Header().Get("X-Cache"); c != "miss" {
		t.Fatalf("first request after the reconnect: X-Cache %q, want miss", c)
	}
}

func TestGzipETagAndTileJSON(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	p := tilePath("parks", tz, tx, ty)
	plain := f.get(t, p)
	zipped := f.get(t, p, "Accept-Encoding", "gzip")
	if zipped.Header().Get("Content-Encoding") != "gzip" || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding %q / %q", zipped.Header().Get("Content-Encoding"), plain.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Fatalf("gunzipped %d bytes, plain %d bytes", len(unzipped), len(plain.Body.Bytes()))
	}
	et := plain.Header().Get("ETag")
	if et == "" || zipped.Header().Get("ETag") != et {
		t.Fatalf("ETag %q / %q", et, zipped.Header().Get("ETag"))
	}
	if cc := plain.Header().Get("Cache-Control"); cc != "public, max-age=0, must-revalidate" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if rec := f.get(t, p, "If-None-Match", et); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}
	rec := f.get(t, "/tiles/parks,facilities.json?city=baotou")
	body := rec.Body.String()
	for _, want := range []string{`"tilejson":"3.0.0"`, `"tiles":["http://example.com/tiles/parks,facilities/{z}/{x}/{y}.mvt?city=baotou"]`,
		`"bounds":[109.76,40.65,109.845,40.66]`, `"park_class":"String"`, `"area_m2":"Number"`, `"pocket":"Boolean"`, `"id":"facilities"`} {
		if !strings.Contains(body, want) {
			t.Errorf("TileJSON lacks %s:\n%s", want, body)
		}
	}
}
