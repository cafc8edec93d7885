package osmimport

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/paulmach/osm"

	"github.com/cityreach/cityreach/internal/testdb"
)

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return out
}

// ogrCount counts the GDAL OSM driver's multipolygons matching where: GDAL assembles
// closed ways and multipolygon relations on its own, an oracle independent of polygons.go.
func ogrCount(t testing.TB, pbf, where string) int {
	out := run(t, "ogr2ogr", "-f", "CSV", "/vsistdout/", pbf, "multipolygons", "-where", where, "-select", "osm_id")
	return bytes.Count(out, []byte("\n")) - 1
}

// oplObject is one line of osmium's OPL output.
type oplObject struct {
	ref   string
	tags  osm.Tags
	nodes []string
	x, y  string
}

func parseOPL(out []byte) []oplObject {
	var objs []oplObject
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), " ")
		o := oplObject{ref: fields[0]}
		for _, f := range fields[1:] {
			if f == "" {
				continue
			}
			switch f[0] {
			case 'T':
				for _, kv := range strings.Split(f[1:], ",") {
					k, v, _ := strings.Cut(kv, "=")
					o.tags = append(o.tags, osm.Tag{Key: unescapeOPL(k), Value: unescapeOPL(v)})
				}
			case 'N':
				if len(f) > 1 {
					o.nodes = strings.Split(f[1:], ",")
				}
			case 'x':
				o.x = f[1:]
			case 'y':
				o.y = f[1:]
			}
		}
		objs = append(objs, o)
	}
	return objs
}

// unescapeOPL decodes OPL's %hex% escapes.
func unescapeOPL(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			j := strings.IndexByte(s[i+1:], '%')
			if j >= 0 {
				var r rune
				fmt.Sscanf(s[i+1:i+1+j], "%x", &r) //nolint:errcheck // parses an id the query returns as text
				b.WriteRune(r)
				i += j + 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// oracleFacilities counts facilities per category from osmium tags-filter output, one
// osmium call per rule, the first rule claiming an object (the table's precedence).
func oracleFacilities(t testing.TB, pbf string) map[string]int {
	claimed := map[string]bool{}
	counts := map[string]int{}
	for _, r := range FacilityRules {
		out := run(t, "osmium", "tags-filter", "-R", "-f", "opl", "-o", "-", pbf, "nwr/"+r.Key+"="+r.Value)
		for _, o := range parseOPL(out) {
			if claimed[o.ref] {
				continue
			}
			claimed[o.ref] = true
			c := r.Category
			if c == "primary_school" && secondaryLevel(o.tags) {
				c = "middle_school"
			}
			counts[c]++
		}
	}
	return counts
}

// oracleEdges splits the network ways of osmium's OPL output at shared nodes, counting
// the pieces with two or more distinct positions.
func oracleEdges(t testing.TB, pbf string) (ways, edges int) {
	coords := map[string]string{}
	for _, o := range parseOPL(run(t, "osmium", "cat", "-t", "node", "-f", "opl", "-o", "-", pbf)) {
		coords["n"+o.ref[1:]] = o.x + "," + o.y
	}
	var net []oplObject
	for _, o := range parseOPL(run(t, "osmium", "tags-filter", "-R", "-f", "opl", "-o", "-", pbf, "w/highway", "w/railway", "w/waterway")) {
		if _, _, ok := edgeClass(o.tags); ok {
			net = append(net, o)
		}
	}
	uses := map[string]int{}
	for _, w := range net {
		for _, n := range w.nodes {
			uses[n]++
		}
	}
	for _, w := range net {
		var run []string
		flush := func() {
			distinct := map[string]bool{}
			for _, n := range run {
				distinct[coords[n]] = true
			}
			if len(run) >= 2 && len(distinct) >= 2 {
				edges++
			}
			run = nil
		}
		for i, n := range w.nodes {
			if _, ok := coords[n]; !ok {
				flush()
				continue
			}
			run = append(run, n)
			if i > 0 && i < len(w.nodes)-1 && uses[n] > 1 && len(run) > 1 {
				flush()
				run = append(run, n)
			}
		}
		flush()
	}
	return len(net), edges
}

// Imports the real extracts and checks every count against osmium/GDAL.
func TestImportRealExtracts(t *testing.T) {
	testdb.NeedTool(t, "osmium")
	testdb.NeedTool(t, "ogr2ogr")
	for _, city := range []struct{ slug, file string }{{"monaco", "monaco.osm.pbf"}, {"helsinki", "helsinki_center.osm.pbf"}} {
		t.Run(city.slug, func(t *testing.T) {
			pbf := testdb.DataFile(t, city.file)
			db := testdb.New(t)
			ctx := context.Background()
			rep, err := Import(ctx, db.Pool, city.slug, pbf, Options{Actor: "test", Bulk: true})
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			rep.WriteText(&sb)
			t.Log(sb.String())

			// Network: ways and edges against the osmium-based split.
			ways, edges := oracleEdges(t, pbf)
			if rep.NetworkWays != ways || rep.Edges != edges {
				t.Errorf("network ways %d edges %d; osmium oracle %d ways, %d edges", rep.NetworkWays, rep.Edges, ways, edges)
			}
			var dbEdges, walk int
			var km float64
			_ = db.Pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE walkable), coalesce(sum(length_m) FILTER (WHERE walkable), 0) / 1000 FROM network_edges").Scan(&dbEdges, &walk, &km)
			if dbEdges != edges || walk != rep.Walkable {
				t.Errorf("network_edges rows %d (walkable %d), report %d (%d)", dbEdges, walk, rep.Edges, rep.Walkable)
			}
			t.Logf("walkable length %.1f km", km)

			// Parks per leisure value and residential land against GDAL's assembly.
			// GDAL also builds polygons from ways cut by the extract's edge (it accepts
			// unclosed rings); the importer sets those aside and lists them, so
			// imported + set aside (for nodes outside the extract) must equal GDAL's
			// count. Parks mapped as nodes and unclosed ways GDAL skips as well.
			aside := map[string]int{}
			for _, n := range rep.Skipped {
				if strings.Contains(n.Reason, "outside the extract") {
					aside[n.What]++
				}
			}
			for kind := range parkKinds {
				want := ogrCount(t, pbf, fmt.Sprintf("leisure='%s'", kind))
				if got := rep.ParksByKind[kind]; got+aside["park:"+kind] != want {
					t.Errorf("parks leisure=%s: %d + %d set aside, GDAL %d", kind, got, aside["park:"+kind], want)
				}
			}
			if want := ogrCount(t, pbf, "landuse='residential'"); rep.Residential+aside["residential"] != want {
				t.Errorf("residential land %d + %d set aside, GDAL %d", rep.Residential, aside["residential"], want)
			}
			var parks, entrances, off int
			_ = db.Pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM parks), (SELECT count(*) FROM park_entrances), (SELECT count(*) FROM park_entrances e JOIN parks p ON p.id = e.park_id WHERE NOT ST_DWithin(e.geom, ST_Boundary(p.geom), 1e-7))").Scan(&parks, &entrances, &off)
			if parks != rep.Parks || entrances != rep.Entrances || entrances == 0 || off != 0 {
				t.Errorf("parks %d (report %d), entrances %d (report %d), %d off the boundary", parks, rep.Parks, entrances, rep.Entrances, off)
			}

			// Facilities per category against osmium, less what the report sets aside.
			want := oracleFacilities(t, pbf)
			skipped := map[string]int{}
			for _, n := range rep.Skipped {
				if c, ok := strings.CutPrefix(n.What, "facility:"); ok {
					skipped[c]++
				}
			}
			rows, _ := db.Pool.Query(ctx, "SELECT category, count(*)::int FROM facilities GROUP BY category")
			got := map[string]int{}
			for rows.Next() {
				var c string
				var n int
				_ = rows.Scan(&c, &n)
				got[c] = n
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for c := range mergeKeys(want, got) {
				if got[c] != want[c]-skipped[c] {
					t.Errorf("facilities %s: %d, osmium %d less %d set aside", c, got[c], want[c], skipped[c])
				}
			}
			if rep.Population <= 0 {
				t.Errorf("population %d", rep.Population)
			}
		})
	}
}

func mergeKeys(ms ...map[string]int) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// A second import of the same extract replaces the first instead of doubling it.
func TestReimportReplaces(t *testing.T) {
	pbf := testdb.DataFile(t, "helsinki_center.osm.pbf")
	db := testdb.New(t)
	ctx := context.Background()
	first, err := Import(ctx, db.Pool, "helsinki", pbf, Options{Bulk: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Import(ctx, db.Pool, "helsinki", pbf, Options{Bulk: true})
	if err != nil {
		t.Fatal(err)
	}
	if second.CityCreated || second.Replaced["network_edges"] != first.Edges || second.Edges != first.Edges {
		t.Fatalf("second import: %+v", second.Replaced)
	}
	var n int
	_ = db.Pool.QueryRow(ctx, "SELECT count(*) FROM network_edges").Scan(&n)
	if n != first.Edges {
		t.Fatalf("%d edges after re-import, want %d", n, first.Edges)
	}
}

// docs/osm-mapping.md lists every rule of FacilityRules.
func TestMappingDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/osm-mapping.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range FacilityRules {
		row := fmt.Sprintf("| `%s=%s` | `%s` |", r.Key, r.Value, r.Category)
		if !bytes.Contains(doc, []byte(row)) {
			t.Errorf("docs/osm-mapping.md lacks the row %s", row)
		}
	}
}

func BenchmarkImportOSMMonaco(b *testing.B) {
	pbf := testdb.DataFile(b, "monaco.osm.pbf")
	db := testdb.New(b)
	ctx := context.Background()
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Import(ctx, db.Pool, "monaco", pbf, Options{Bulk: true})
		if err != nil {
			b.Fatal(err)
		}
		rows = rep.Rows()
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "features/s")
}
