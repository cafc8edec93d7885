package walk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
)

// snapped is a point attached in PostGIS: the nearest walkable edge (the edges pgRouting
// reads), the offset along it in walking metres (fraction of the planar length × length_m)
// and the straight access leg.
type snapped struct {
	edge, src, tgt int64
	length, offset float64
	access         float64
}

// TestParcelsAgreeWithPgRouting checks every parcel's distance to the nearest facility of
// each category, as GET /api/v1/indicators/living-circle/parcels answers it, against an
// independent computation: every point snapped in PostGIS to its nearest walkable edge
// (ST_Distance, ST_LineLocatePoint), node-to-node distances from pgr_dijkstraCost
// (many-to-many, undirected, cost = length_m), and distance(home, facility) = facility
// access leg + min over the edge ends (offset + network + offset), or the along-edge walk
// when both lie on one edge, + home access leg. The facility answered must be one at that
// least distance.
func TestParcelsAgreeWithPgRouting(t *testing.T) {
	db := testdb.New(t)
	pool := db.Pool
	ctx := ctxT(t)
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting`); err != nil {
		t.Fatal(err)
	}
	city := newCity(t, pool, "pgrparcels")
	insertEdges(t, pool, city.ID, gridCity(14, 14, 80, 5, true))
	rng := rand.New(rand.NewPCG(17, 3))
	var ids []int64
	var geoms []orb.MultiPolygon
	var pops []int64
	for i := range 70 {
		x, y := rng.Float64()*1000+10, rng.Float64()*1000+10
		w, h := 10+rng.Float64()*40, 10+rng.Float64()*40
		ids = append(ids, int64(i+1))
		geoms = append(geoms, rect(x, y, x+w, y+h))
		pops = append(pops, int64(rng.IntN(300)))
	}
	// One parcel 260 m beyond the grid's corner: no walkable edge within 200 m.
	ids, geoms, pops = append(ids, 71), append(geoms, rect(1300, 1300, 1320, 1320)), append(pops, 40)
	insertParcels(t, pool, city.ID, ids, geoms, pops)
	var fids []int64
	var cats []string
	var pts []orb.Point
	for i := range 14 {
		fids = append(fids, int64(i+1))
		cats = append(cats, []string{"kindergarten", "primary_school"}[i%2])
		pts = append(pts, orb.Point{rng.Float64() * 1040, rng.Float64() * 1040})
	}
	insertFacilities(t, pool, city.ID, fids, cats, pts)
	insertAreas(t, pool, city.ID, rect(-100, -100, 1200, 1200), []orb.MultiPolygon{rect(-100, -100, 1200, 1200)})

	// Snapping in PostGIS, written from the access-leg convention (docs/living-circle.md).
	snap := func(sql string) map[int64]snapped {
		rows, err := pool.Query(ctx, fmt.Sprintf(`SELECT p.id, e.id, e.source, e.target, e.length_m,
				ST_LineLocatePoint(e.geom_m, p.pt) * e.length_m, ST_Distance(e.geom_m, p.pt)
			FROM (%s) p
			CROSS JOIN LATERAL (SELECT * FROM network_edges e WHERE e.city_id = %d AND e.walkable AND e.source IS NOT NULL
				AND ST_DWithin(e.geom_m, p.pt, 200) ORDER BY ST_Distance(e.geom_m, p.pt), e.id LIMIT 1) e`, sql, city.ID))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]snapped{}
		for rows.Next() {
			var id int64
			var s snapped
			if err := rows.Scan(&id, &s.edge, &s.src, &s.tgt, &s.length, &s.offset, &s.access); err != nil {
				t.Fatal(err)
			}
			out[id] = s
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	homes := snap(fmt.Sprintf(`SELECT id, ST_PointOnSurface(geom_m) AS pt FROM residential_land WHERE city_id = %d`, city.ID))
	facs := snap(fmt.Sprintf(`SELECT id, geom_m AS pt FROM facilities WHERE city_id = %d`, city.ID))
	nodeSet := map[int64]bool{}
	for _, m := range []map[int64]snapped{homes, facs} {
		for _, s := range m {
			nodeSet[s.src], nodeSet[s.tgt] = true, true
		}
	}
	var nodes []int64
	for n := range nodeSet {
		nodes = append(nodes, n)
	}
	rows, err := pool.Query(ctx, `SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost($1, $2::bigint[], $2::bigint[], directed => false)`,
		edgesSQL(city.ID), nodes)
	if err != nil {
		t.Fatal(err)
	}
	nd := map[[2]int64]float64{}
	for rows.Next() {
		var a, b int64
		var d float64
		if err := rows.Scan(&a, &b, &d); err != nil {
			t.Fatal(err)
		}
		nd[[2]int64{a, b}] = d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	net := func(a, b int64) float64 {
		if a == b {
			return 0
		}
		if d, ok := nd[[2]int64{a, b}]; ok {
			return d
		}
		return math.Inf(1)
	}
	walkDist := func(f, h snapped) float64 {
		best := math.Inf(1)
		for _, fe := range [][2]float64{{float64(f.src), f.offset}, {float64(f.tgt), f.length - f.offset}} {
			for _, he := range [][2]float64{{float64(h.src), h.offset}, {float64(h.tgt), h.length - h.offset}} {
				best = math.Min(best, fe[1]+net(int64(fe[0]), int64(he[0]))+he[1])
			}
		}
		if f.edge == h.edge {
			best = math.Min(best, math.Abs(f.offset-h.offset))
		}
		return f.access + best + h.access
	}

	tiers := map[string]float64{}
	cutoff := 0.0
	crows, err := pool.Query(ctx, `SELECT code, reach_m FROM facility_categories`)
	if err != nil {
		t.Fatal(err)
	}
	for crows.Next() {
		var code string
		var m float64
		if err := crows.Scan(&code, &m); err != nil {
			t.Fatal(err)
		}
		tiers[code], cutoff = m, math.Max(cutoff, m)
	}
	if err := crows.Err(); err != nil {
		t.Fatal(err)
	}

	svc := NewService(pool, quiet())
	h := AdapterParcels(t, svc)
	var got struct {
		Features []struct {
			ID         int64          `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
		Matched  int    `json:"numberMatched"`
		Returned int    `json:"numberReturned"`
		Next     *int64 `json:"next"`
	}
	// Two pages, to go through the keyset paging.
	var feats []map[string]any
	q := url.Values{"city": {city.Slug}, "limit": {"40"}}
	for {
		got.Features, got.Next = nil, nil // fresh maps: Unmarshal would fill the old ones
		if code := get(t, h, "/api/v1/indicators/living-circle/parcels", q, &got); code != 200 {
			t.Fatalf("status %d", code)
		}
		for _, f := range got.Features {
			feats = append(feats, f.Properties)
		}
		if got.Next == nil {
			break
		}
		q.Set("after", strconv.FormatInt(*got.Next, 10))
	}
	seen := map[float64]bool{}
	for _, p := range feats {
		seen[p["id"].(float64)] = true
	}
	if len(feats) != len(ids) || len(seen) != len(ids) || got.Matched != len(ids) {
		t.Fatalf("%d features, numberMatched %d, want %d", len(feats), got.Matched, len(ids))
	}
	compared, worst, reached := 0, 0.0, 0
	for _, p := range feats {
		pid := int64(p["id"].(float64))
		hs, attached := homes[pid]
		for _, cat := range []string{"kindergarten", "primary_school"} {
			want, wantIDs := math.Inf(1), map[int64]bool{}
			for i, fid := range fids {
				fs, ok := facs[fid]
				if cats[i] != cat || !ok || !attached {
					continue
				}
				d := walkDist(fs, hs)
				switch {
				case d < want-1e-6:
					want, wantIDs = d, map[int64]bool{fid: true}
				case d <= want+1e-6:
					wantIDs[fid] = true
				}
			}
			if want > cutoff { // the search cutoff: the largest tier
				want = math.Inf(1)
			}
			gd, _ := p[cat+"_m"].(float64)
			if p[cat+"_m"] == nil {
				gd = math.Inf(1)
			}
			if !sameFloat(gd, want, 1e-6) {
				t.Fatalf("parcel %d %s: endpoint %v m, pgRouting %v m", pid, cat, gd, want)
			}
			if !math.IsInf(want, 1) {
				worst = math.Max(worst, math.Abs(gd-want))
				reached++
				fid := int64(p[cat+"_facility_id"].(float64))
				if !wantIDs[fid] {
					t.Fatalf("parcel %d %s: facility %d, pgRouting's nearest %v", pid, cat, fid, wantIDs)
				}
				if name := p[cat+"_facility_name"]; name != fmt.Sprintf("%s %d", cat, fid) {
					t.Fatalf("parcel %d %s: facility name %v", pid, cat, name)
				}
				tier := tiers[cat]
				if p[cat+"_within"] != (gd <= tier) {
					t.Fatalf("parcel %d %s: within %v at %v m", pid, cat, p[cat+"_within"], gd)
				}
			} else if p[cat+"_facility_id"] != nil {
				t.Fatalf("parcel %d %s: a facility without a distance", pid, cat)
			}
			compared++
		}
	}
	if reached < compared/2 || reached == compared {
		t.Fatalf("only %d of %d pairs reached: the fixture tests little", reached, compared)
	}
	t.Logf("%d (parcel, category) pairs, %d reached, largest difference from pgRouting %.3g m", compared, reached, worst)

	// The parcels add up to the indicator's city figures.
	rep, err := svc.LivingCircle(ctx, city.Slug, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range []string{"kindergarten", "primary_school"} {
		sum := 0.0
		for _, p := range feats {
			if p[cat+"_within"] == true {
				sum += p["population"].(float64)
			}
		}
		if f := figure(rep.Areas[0], cat); math.Abs(f.CoveredPopulation-sum) > 1e-9 {
			t.Fatalf("%s: parcels within sum to %v residents, the indicator says %v", cat, sum, f.CoveredPopulation)
		}
	}
	checkOGCParcels(t, pool, h, city, feats, ids)
	for _, bad := range []url.Values{{"city": {city.Slug}, "category": {"nope"}}, {"city": {city.Slug}, "limit": {"0"}},
		{"city": {city.Slug}, "after": {"x"}}, {"city": {"nowhere"}}} {
		if code := get(t, h, "/api/v1/indicators/living-circle/parcels", bad, nil); code != 400 && code != 404 {
			t.Fatalf("%v: status %d, want a 4xx", bad, code)
		}
	}
}

// checkOGCParcels checks the OGC collection living_circle_parcels against the endpoint's
// parcels feats (every category) of city, the only city: without city= and category=, one
// feature per (parcel, category), id "<parcel>:<category>", numberMatched the parcels ×
// the categories counted in SQL, in parcel order; with category=, that category's; a single
// item by its id; the advertised extent PostGIS's ST_Extent of the parcels; with a second
// city, city= is required.
func checkOGCParcels(t *testing.T, pool *pgxpool.Pool, h http.Handler, city City, feats []map[string]any, ids []int64) {
	ctx := ctxT(t)
	var wantMatched int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM residential_land WHERE city_id = $1) * (SELECT count(*) FROM facility_categories)`,
		city.ID).Scan(&wantMatched); err != nil {
		t.Fatal(err)
	}
	byID := map[float64]map[string]any{}
	for _, p := range feats {
		byID[p["id"].(float64)] = p
	}
	same := func(o map[string]any) {
		t.Helper()
		p, cat := byID[o["parcel_id"].(float64)], o["category"].(string)
		if id := fmt.Sprintf("%v:%s", o["parcel_id"], cat); p == nil || o["@id"] != id || o["city"] != city.Slug ||
			o["distance_m"] != p[cat+"_m"] || o["facility_id"] != p[cat+"_facility_id"] || o["facility_name"] != p[cat+"_facility_name"] ||
			o["within"] != p[cat+"_within"] || o["population"] != p["population"] || o["attached"] != p["attached"] {
			t.Fatalf("OGC feature %v, endpoint %v", o, p)
		}
	}
	// Every category, no city= (the only city), pages of 7 that end inside a parcel.
	all, matched := testdb.OGCItems(t, h, "/ogc/collections/living_circle_parcels/items?limit=7")
	if matched != wantMatched || len(all) != wantMatched || wantMatched <= len(ids) {
		t.Fatalf("OGC: numberMatched %d, %d features; parcels × categories %d", matched, len(all), wantMatched)
	}
	seen := map[any]bool{}
	last := 0.0
	for _, o := range all {
		same(o)
		if seen[o["@id"]] || o["parcel_id"].(float64) < last {
			t.Fatalf("OGC feature %v twice or out of parcel order", o["@id"])
		}
		seen[o["@id"]], last = true, o["parcel_id"].(float64)
	}
	// One category, as before the default: the parcels in id order.
	one, matched := testdb.OGCItems(t, h, "/ogc/collections/living_circle_parcels/items?city="+city.Slug+"&category=kindergarten&limit=25")
	if matched != len(ids) || len(one) != len(feats) {
		t.Fatalf("OGC kindergarten: numberMatched %d, %d features, want %d", matched, len(one), len(ids))
	}
	for i, o := range one {
		same(o)
		if o["parcel_id"] != feats[i]["id"] || o["category"] != "kindergarten" {
			t.Fatalf("OGC kindergarten feature %d: %v", i, o)
		}
	}
	// A single item.
	var item struct {
		ID         string         `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	want := all[len(all)/2]
	if code := get(t, h, "/ogc/collections/living_circle_parcels/items/"+want["@id"].(string), nil, &item); code != 200 {
		t.Fatalf("item %v: %d", want["@id"], code)
	}
	item.Properties["@id"] = item.ID
	same(item.Properties)
	for id, code := range map[string]int{"999999:kindergarten": 404, fmt.Sprintf("%d:nope", ids[0]): 404, "12": 400, "x:kindergarten": 400} {
		if got := get(t, h, "/ogc/collections/living_circle_parcels/items/"+id, nil, nil); got != code {
			t.Fatalf("item %s: %d, want %d", id, got, code)
		}
	}
	// The extent: the parcels' box in PostGIS.
	var box [4]float64
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM residential_land) x`).
		Scan(&box[0], &box[1], &box[2], &box[3]); err != nil {
		t.Fatal(err)
	}
	var coll struct {
		Extent struct{ Spatial struct{ BBox [][]float64 } }
	}
	if code := get(t, h, "/ogc/collections/living_circle_parcels", nil, &coll); code != 200 || len(coll.Extent.Spatial.BBox) != 1 {
		t.Fatalf("collection: %d %+v", code, coll)
	}
	for i, v := range coll.Extent.Spatial.BBox[0] {
		if math.Abs(v-box[i]) > 1e-12 {
			t.Fatalf("advertised extent %v, PostGIS %v", coll.Extent.Spatial.BBox[0], box)
		}
	}
	for _, bad := range []url.Values{{"category": {"nope"}}, {"city": {city.Slug}, "category": {"nope"}}, {"cursor": {"aWQ-MTI"}}} {
		if code := get(t, h, "/ogc/collections/living_circle_parcels/items", bad, nil); code != 400 {
			t.Fatalf("OGC %v: %d, want 400", bad, code)
		}
	}
	// With a second city, city= is required.
	newCity(t, pool, "second")
	if code := get(t, h, "/ogc/collections/living_circle_parcels/items", url.Values{"category": {"kindergarten"}}, nil); code != 400 {
		t.Fatalf("two cities, no city=: %d, want 400", code)
	}
	if code := get(t, h, "/ogc/collections/living_circle_parcels/items", url.Values{"city": {city.Slug}, "limit": {"1"}}, nil); code != 200 {
		t.Fatalf("two cities, city=%s: %d", city.Slug, code)
	}
}
