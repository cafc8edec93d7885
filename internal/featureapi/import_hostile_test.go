package featureapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/importer/importtest"
)

// newHostileEnv is an import env with the server's default body limit (32 MiB) and the
// import bounds that follow from it, so that a realistic zip bomb reaches the importer.
// It returns the env and its spool directory.
func newHostileEnv(t *testing.T) (*env, string) {
	const maxBody = 32 << 20
	var api *featureapi.API
	spool := t.TempDir()
	e := newImportEnv(t, false, func(a *featureapi.API) {
		a.MaxBodyBytes, a.Imports.Limits = maxBody, importer.DefaultLimits(maxBody)
		a.Imports.Spool = &importer.Spool{Dir: spool}
		api = a
	})
	e.h = httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: maxBody, Policy: e.policy(false)}, api))
	return e, spool
}

// peakRSS is the process's high-water resident set (VmHWM), in bytes; 0 off Linux.
func peakRSS(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Hostile files each get a clear 4xx naming where the problem is, none mentions SQLite
// or SQL, and nothing is written.
func TestImportHostileFiles(t *testing.T) {
	e, spool := newHostileEnv(t)
	before := e.checksum()
	gbk := "\xb9\xab\xd4\xb0" // 公园 in GBK
	shp := importtest.PointShp([]orb.Point{{109.85, 40.65}, {109.86, 40.65}})
	lyingCPG := importtest.ZipOf(t, map[string][]byte{"parks.shp": shp, "parks.cpg": []byte("UTF-8"),
		"parks.dbf": importtest.TextDBF([]string{"NAME", "CATEGORY"}, 10, [][]string{{"ok", "pharmacy"}, {gbk, "pharmacy"}})})
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	endless := `CREATE VIEW parks AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
		SELECT x AS fid, (SELECT geom FROM parks_data LIMIT 1) AS geom, randomblob(1000) AS name, 'garden' AS park_class FROM c ORDER BY 3`
	const gib = 1 << 30
	bomb := importtest.ZipBomb(t, gib, -1)
	cases := []struct {
		name, layer, ctype string
		body               []byte
		code               int
		want               map[string]any // members of the problem document
	}{
		{"zip bomb", "facilities", "application/zip", bomb, 413, map[string]any{"member": "bomb/parks.shp", "bound": "expanded bytes", "limit": json.Number(strconv.Itoa(640 << 20))}},
		{"recursive view", "facilities", "application/geopackage+sqlite3", read(importtest.GPKG(t, [][]byte{[]byte("a")}, endless)), 422, map[string]any{"table": "parks"}},
		{"plain view", "facilities", "application/geopackage+sqlite3", read(importtest.GPKG(t, [][]byte{[]byte("a")}, `CREATE VIEW parks AS SELECT * FROM parks_data`)), 422, map[string]any{"table": "parks"}},
		{"trigger", "facilities", "application/geopackage+sqlite3", read(importtest.GPKG(t, [][]byte{[]byte("a")}, `ALTER TABLE parks_data RENAME TO parks`,
			`CREATE TRIGGER evil AFTER INSERT ON parks BEGIN SELECT 1; END`)), 422, map[string]any{"table": "parks"}},
		{"virtual table", "facilities", "application/geopackage+sqlite3", read(importtest.GPKG(t, [][]byte{[]byte("a")}, `CREATE VIRTUAL TABLE parks USING rtree(fid, minx, maxx)`)), 422, map[string]any{"table": "parks"}},
		{"corrupt GeoPackage", "facilities", "application/geopackage+sqlite3", append([]byte("SQLite format 3\x00"), make([]byte, 4000)...), 400, nil},
		{"invalid UTF-8 in GeoJSON", "facilities", "application/geo+json", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"pharmacy","name":"` + gbk + `"},"geometry":{"type":"Point","coordinates":[109.85,40.65]}}]}`),
			422, map[string]any{"index": json.Number("0"), "pointer": "/features/0/properties/name"}},
		{"lying .cpg", "facilities", "application/zip", lyingCPG, 422, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			alloc := importtest.TotalAlloc()
			q := "?city=baotou"
			if c.ctype == "application/zip" {
				q += "&map=category=CATEGORY"
			}
			r := e.do("POST", "/api/v1/layers/"+c.layer+"/import"+q, "alice", c.body, "Content-Type", c.ctype)
			if r.Code != c.code || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s: %s", r.Code, r.Header.Get("Content-Type"), r.Body)
			}
			if low := strings.ToLower(string(r.Body)); strings.Contains(low, "sqlite") || strings.Contains(string(r.Body), "SQL") {
				t.Errorf("the answer mentions SQLite or SQL: %s", r.Body)
			}
			p := r.JSON(t)
			for k, v := range c.want {
				if p[k] != v {
					t.Errorf("%s = %v, want %v (%s)", k, p[k], v, r.Body)
				}
			}
			t.Logf("%d %s (allocated %d MiB)", r.Code, p["detail"], (importtest.TotalAlloc()-alloc)>>20)
			if c.name == "zip bomb" {
				if a := importtest.TotalAlloc() - alloc; a > 64<<20 {
					t.Errorf("the bomb cost %d MiB of allocation", a>>20)
				}
			}
			if c.name == "lying .cpg" {
				rej, _ := p["rejected"].([]any)
				if len(rej) != 1 || !strings.Contains(fmt.Sprint(rej[0]), "parks.dbf: field NAME: text is not valid UTF-8 (byte 0), the encoding the .cpg declares") {
					t.Errorf("rejected %v", p["rejected"])
				}
			}
		})
	}
	// The done-when: peak RSS under 300 MB, with a 1 GiB bomb served above.
	if rss := peakRSS(t); rss > 300<<20 {
		t.Errorf("peak RSS %d MiB", rss>>20)
	} else {
		t.Logf("peak RSS of the test process: %d MiB", rss>>20)
	}
	if after := e.checksum(); after != before {
		t.Errorf("hostile imports changed the database")
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("spool after refused imports: %v", left)
	}
}

// points is a FeatureCollection of n pharmacies in Baotou.
func points(n int) []byte {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	fmt.Fprint(w, `{"type":"FeatureCollection","features":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',') //nolint:errcheck // a bufio.Writer over a strings.Builder cannot fail
		}
		fmt.Fprintf(w, `{"type":"Feature","id":%d,"properties":{"category":"pharmacy","name":"药店 %d"},"geometry":{"type":"Point","coordinates":[%.6f,40.65]}}`, i, i, 109.8+float64(i)*1e-5)
	}
	fmt.Fprint(w, "]}")
	w.Flush() //nolint:errcheck // a bufio.Writer over a strings.Builder cannot fail
	return []byte(b.String())
}

// DELETE /imports/{id} cancels a running import: the test holds a lock on city_layers,
// which the import must write before it can commit, so the job is provably still running
// when it is cancelled, however fast the machine. Every feature table is unchanged after.
func TestImportCancel(t *testing.T) {
	e, spool := newHostileEnv(t)
	ctx := context.Background()
	before := e.checksum()
	lock, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck
	if _, err := lock.Exec(ctx, "LOCK TABLE city_layers IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	r := e.do("POST", "/api/v1/layers/facilities/import?city=baotou&async=true", "alice", points(n))
	if r.Code != 202 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	loc := r.Header.Get("Location")
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st := e.do("GET", loc, "alice", nil).JSON(t)
		if st["state"] != "running" {
			t.Fatalf("the import ended while city_layers was locked: %v", st)
		}
		if st["read"] == json.Number(strconv.Itoa(n)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %v", st)
		}
	}
	// Another editor is told what an unknown import gets (docs/security.md: ids of
	// others' imports reveal nothing), and the import goes on.
	if r := e.do("DELETE", loc, "bob", nil); r.Code != 404 {
		t.Errorf("another editor cancelled: %d %s", r.Code, r.Body)
	}
	r = e.do("DELETE", loc, "alice", nil)
	st := r.JSON(t)
	if r.Code != 200 || st["state"] != "cancelled" || st["owner"] != "alice" {
		t.Fatalf("cancel: %d %s", r.Code, r.Body)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if after := e.checksum(); after != before {
		t.Errorf("a cancelled import changed the database:\n%s\n%s", before, after)
	}
	if r := e.do("GET", loc, "alice", nil); r.Code != 200 || r.JSON(t)["state"] != "cancelled" {
		t.Errorf("status after cancel: %d %s", r.Code, r.Body)
	}
	if r := e.do("DELETE", loc, "root", nil); r.Code != 204 {
		t.Errorf("an admin dismissing the finished job: %d %s", r.Code, r.Body)
	}
	if r := e.do("GET", loc, "alice", nil); r.Code != 404 {
		t.Errorf("dismissed job still listed: %d", r.Code)
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("spool after the cancelled job: %v", left)
	}
}
