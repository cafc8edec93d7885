package tiles

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// The low-zoom blocks of migration 0011, on parcels laid out by hand in EPSG:3857 inside
// the z14 cell (13189, 6169) of the z12 tile (12, 3297, 1542), with offsets in metres from
// the cell's north-west corner (x east, y south). The cell is 2445.98490512564 m wide.
//
//	P1 [200,300]×[200,300], population 100  } 10 m apart: one block polygon
//	P2 [310,410]×[200,300], population 50   } [200,410]×[200,300], 21,000 m²
//	P3 [1000,1100]², population 7           far from both: its own 10,000 m²
//	P4 [2400,2500]×[500,600], population 1000, across the east edge: its centre lies
//	   in the east neighbour (13190, 6169), which counts it; the cell keeps the
//	   45.98490512564 m × 100 m west of the edge, 4,598.490512564 m².
const (
	cellSize       = 2 * earthHalf / (1 << 14)
	bcx, bcy       = 13189, 6169
	bz, bx, by     = 12, 3297, 1542
	blockTolerance = 0.01 // m²: the squares go through EPSG:4326 and back
)

func cellSquare(x0, y0, x1, y1 float64) string {
	ox, oy := -earthHalf+bcx*cellSize, earthHalf-bcy*cellSize
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%.6f, %.6f, %.6f, %.6f, 3857), 4326))", ox+x0, oy-y1, ox+x1, oy-y0)
}

type block struct {
	features         int
	population, area float64
	parts            int
}

// blocksOf reads tile_blocks of residential_land by cell, the generalised table itself.
func blocksOf(t *testing.T, f *fixture) map[[2]int]block {
	t.Helper()
	rows, err := f.db.Pool.Query(context.Background(), `SELECT cx, cy, features, coalesce((sums->>'population')::float8, 0),
		ST_Area(geom_3857), ST_NumGeometries(geom_3857) FROM tile_blocks WHERE layer = 'residential_land'`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]int]block{}
	for rows.Next() {
		var cx, cy int
		var b block
		if err := rows.Scan(&cx, &cy, &b.features, &b.population, &b.area, &b.parts); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[[2]int{cx, cy}]; dup {
			t.Fatalf("two blocks for cell %d/%d", cx, cy)
		}
		out[[2]int{cx, cy}] = b
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tileBlocks decodes a z12 residential_land tile: features and population by MVT feature.
func tileBlocks(t *testing.T, rec *httptest.ResponseRecorder) []map[string]any {
	t.Helper()
	if rec.Code == http.StatusNoContent {
		return nil
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	ls, err := mvtread.Decode(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range ls {
		for _, ft := range l.Features {
			out = append(out, ft.Props)
		}
	}
	return out
}

// num reads an MVT number property, whichever of its value types carried it.
func num(v any) float64 {
	switch n := v.(type) {
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case float64:
		return n
	case float32:
		return float64(n)
	}
	return math.NaN()
}

func checkBlock(t *testing.T, what string, got block, features int, population, area float64, parts int) {
	t.Helper()
	if got.features != features || got.population != population || math.Abs(got.area-area) > blockTolerance || got.parts != parts {
		t.Fatalf("%s: %d features, population %g, %.3f m² in %d parts; want %d, %g, %.3f m², %d parts",
			what, got.features, got.population, got.area, got.parts, features, population, area, parts)
	}
}

func TestLowZoomTilesAreDrawnFromBlocksThatFollowEdits(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	ctx := context.Background()
	city := f.cityID(t)
	ids := map[string]int64{}
	for _, p := range []struct {
		name           string
		x0, y0, x1, y1 float64
		pop            int
	}{{"P1", 200, 200, 300, 300, 100}, {"P2", 310, 200, 410, 300, 50}, {"P3", 1000, 1000, 1100, 1100, 7}, {"P4", 2400, 500, 2500, 600, 1000}} {
		var id int64
		if err := f.db.Pool.QueryRow(ctx, `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, $2, 0, `+
			cellSquare(p.x0, p.y0, p.x1, p.y1)+`) RETURNING id`, city, p.pop).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[p.name] = id
	}
	west, east := [2]int{bcx, bcy}, [2]int{bcx + 1, bcy}
	edgeArea := (cellSize - 2400) * 100
	z12 := tilePath("residential_land", bz, bx, by)

	// 1. The first z12 tile computes the dirty cells, and draws one feature per block.
	rec := f.get(t, z12)
	if c := rec.Header().Get("X-Cache"); c != "miss" {
		t.Fatalf("first z12 tile: X-Cache %q", c)
	}
	bs := blocksOf(t, f)
	if len(bs) != 2 {
		t.Fatalf("blocks %v, want the two cells", bs)
	}
	checkBlock(t, "west cell", bs[west], 3, 157, 21000+10000+edgeArea, 3)
	checkBlock(t, "east cell", bs[east], 1, 1000, 10000-edgeArea, 1)
	props := tileBlocks(t, rec)
	if len(props) != 2 {
		t.Fatalf("z12 tile has %d features, want 2", len(props))
	}
	byFeatures := map[float64]map[string]any{}
	for _, p := range props {
		byFeatures[num(p["features"])] = p
	}
	// area_m2 sums the parcels' own (metric CRS) areas, straight from the table.
	var westArea float64
	if err := f.db.Pool.QueryRow(ctx, `SELECT sum(area_m2) FROM residential_land WHERE id = ANY($1)`,
		[]int64{ids["P1"], ids["P2"], ids["P3"]}).Scan(&westArea); err != nil {
		t.Fatal(err)
	}
	if p := byFeatures[3]; p == nil || num(p["population"]) != 157 || math.Abs(num(p["area_m2"])-westArea) > 1e-6 || p["landuse_code"] != nil {
		t.Fatalf("west block's properties %v (want population 157, area_m2 %.3f)", p, westArea)
	}
	if p := byFeatures[1]; p == nil || num(p["population"]) != 1000 {
		t.Fatalf("east block's properties %v", p)
	}
	// A z11 tile holds the same cells; z14 draws the parcels themselves.
	if n := len(tileBlocks(t, f.get(t, tilePath("residential_land", 11, bx>>1, by>>1)))); n != 2 {
		t.Fatalf("z11 tile: %d features, want 2", n)
	}
	if n := len(tileBlocks(t, f.get(t, tilePath("residential_land", 14, bcx, bcy)))); n != 4 {
		t.Fatalf("z14 tile of the west cell: %d features, want the 4 parcels (P4 reaches into it)", n)
	}

	// 2. Edits from another session: the next request sees them.
	editor, err := pgx.Connect(ctx, f.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer editor.Close(ctx) //nolint:errcheck // test clean-up
	edit := func(sql string, args ...any) {
		t.Helper()
		if _, err := editor.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	edit(`UPDATE residential_land SET population = 70 WHERE id = $1`, ids["P3"])
	rec = f.get(t, z12)
	if c := rec.Header().Get("X-Cache"); c != "miss" {
		t.Fatalf("z12 tile after an edit: X-Cache %q", c)
	}
	checkBlock(t, "west cell after P3's population changed", blocksOf(t, f)[west], 3, 220, 21000+10000+edgeArea, 3)
	// P2 moves 500 m east, still in the cell: P1 and P2 are separate polygons now.
	edit(`UPDATE residential_land SET geom = `+cellSquare(810, 200, 910, 300)+` WHERE id = $1`, ids["P2"])
	f.get(t, z12)
	checkBlock(t, "west cell after P2 moved", blocksOf(t, f)[west], 3, 220, 10000*3+edgeArea, 4)
	// P4 goes: the east cell has nothing left, and the west cell loses the strip.
	edit(`DELETE FROM residential_land WHERE id = $1`, ids["P4"])
	props = tileBlocks(t, f.get(t, z12))
	bs = blocksOf(t, f)
	if _, ok := bs[east]; ok || len(props) != 1 {
		t.Fatalf("after deleting P4: blocks %v, tile features %v", bs, props)
	}
	checkBlock(t, "west cell after P4 went", bs[west], 3, 220, 30000, 3)
	var dirty int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM tile_blocks_dirty`).Scan(&dirty); err != nil || dirty != 0 {
		t.Fatalf("dirty cells left: %d (%v)", dirty, err)
	}

	// 3. The city filter: an unknown city matches nothing.
	if n := len(tileBlocks(t, f.get(t, z12+"?city=baotou"))); n != 1 {
		t.Fatalf("city=baotou: %d features", n)
	}
	if rec := f.get(t, z12+"?city=nowhere"); rec.Code != http.StatusNoContent && rec.Code != http.StatusBadRequest {
		t.Fatalf("city=nowhere: status %d with %d features", rec.Code, len(tileBlocks(t, rec)))
	}

	// 4. TileJSON lists the block property.
	rec = f.get(t, "/tiles/residential_land.json")
	if rec.Code != http.StatusOK || !jsonHasField(rec.Body.String(), FeaturesField) {
		t.Fatalf("TileJSON: %d %s", rec.Code, rec.Body)
	}
}

func jsonHasField(doc, name string) bool {
	return strings.Contains(doc, `"`+name+`":"Number"`)
}

// TestConcurrentTilesComputeEachBlockOnce: many uncached z12 requests at once after an
// edit leave exactly one block per cell, with the right sum.
func TestConcurrentTilesComputeEachBlockOnce(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	city := f.cityID(t)
	for i := range 20 {
		x := 100 + float64(i)*110
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom) VALUES ($1, $2, 0, `+
			cellSquare(x, 100, x+100, 200)+`)`, city, i+1); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest(http.MethodGet, tilePath("residential_land", bz, bx, by), nil)
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			codes[i] = rec.Code
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("request %d: status %d", i, c)
		}
	}
	bs := blocksOf(t, f)
	// 20 squares 10 m apart in a row: one polygon of 2,190 × 100 m; population 1+…+20.
	if len(bs) != 1 {
		t.Fatalf("blocks %v", bs)
	}
	checkBlock(t, "the row", bs[[2]int{bcx, bcy}], 20, 210, 2190*100, 1)
}
