package walk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/testdb"
)

// benchCity is a generated city of the demo's scale-1 size (about 60,000 edges and
// 50,000 parcels at side 175) in memory: a grid of 80 m blocks with bent, removed and
// barrier links (gridCity), one or two 25 m parcels per block, facilities of every
// category scattered with a density that matches their tier, and 1 km communities,
// 3.5 km 街道 and 7 km districts. internal/synth (the demo generator) is not committed
// yet; when it is, these benchmarks should use it.
type benchCity struct {
	edges    []edgeRow
	netEdges []network.Edge
	inputs   *Inputs
}

var defaultCategories = []Category{
	{Code: "community_service", ReachM: 500, Basic: true}, {Code: "clinic", ReachM: 1000, Basic: true},
	{Code: "middle_school", ReachM: 1000, Basic: true}, {Code: "primary_school", ReachM: 500, Basic: true},
	{Code: "kindergarten", ReachM: 300, Basic: true}, {Code: "nursery", ReachM: 300},
	{Code: "vegetable_market", ReachM: 500, Basic: true}, {Code: "elderly_care", ReachM: 300, Basic: true},
	{Code: "culture", ReachM: 1000, Basic: true}, {Code: "sports", ReachM: 1000, Basic: true},
	{Code: "activity_ground", ReachM: 500}, {Code: "convenience_store", ReachM: 300, Basic: true},
	{Code: "supermarket", ReachM: 1000, Basic: true}, {Code: "breakfast", ReachM: 300},
	{Code: "pharmacy", ReachM: 1000, Basic: true}, {Code: "post_express", ReachM: 1000, Basic: true},
	{Code: "household_services", ReachM: 1000}, {Code: "canteen", ReachM: 1000},
	{Code: "transit_stop", ReachM: 300}, {Code: "rail_station", ReachM: 800},
}

func makeBenchCity(side int) *benchCity {
	const spacing = 80.0
	bc := &benchCity{edges: gridCity(side, side, spacing, 99, true)}
	for _, e := range bc.edges {
		if !e.Walkable {
			continue
		}
		ls := shift(e.Pts)
		l := 0.0
		for i := 1; i < len(ls); i++ {
			l += math.Hypot(ls[i][0]-ls[i-1][0], ls[i][1]-ls[i-1][1])
		}
		bc.netEdges = append(bc.netEdges, network.Edge{ID: e.ID, Source: e.Source, Target: e.Target, Length: l, Geom: ls, Walkable: true})
	}
	rng := rand.New(rand.NewPCG(uint64(side), 3))
	in := &Inputs{City: City{ID: 1, Slug: "bench", Name: "bench", MetricSRID: testSRID}, Categories: defaultCategories}
	extent := float64(side-1) * spacing
	box := func(x1, y1, x2, y2 float64) orb.MultiPolygon { return rect(x1, y1, x2, y2) }
	for _, l := range []struct {
		level string
		size  float64
	}{{LevelDistrict, 7000}, {LevelSubdistrict, 3500}, {LevelCommunity, 1000}} {
		for x := 0.0; x < extent; x += l.size {
			for y := 0.0; y < extent; y += l.size {
				in.Areas = append(in.Areas, Area{Level: l.level, ID: int64(len(in.Areas) + 1), Name: l.level, Geom: box(x, y, x+l.size, y+l.size)})
			}
		}
	}
	in.index()
	for r := range side - 1 {
		for c := range side - 1 {
			x, y := float64(c)*spacing, float64(r)*spacing
			for k, off := range []float64{10, 45} {
				if k == 1 && rng.Float64() >= 0.65 {
					continue
				}
				p := Parcel{ID: int64(len(in.Parcels) + 1), Point: at(x+off+12.5, y+off+12.5), AreaM2: 625, Population: float64(50 + rng.IntN(450))}
				p.In = in.locate(p.Point)
				in.Parcels = append(in.Parcels, p)
			}
		}
	}
	for _, cat := range defaultCategories {
		n := int(extent * extent / (cat.ReachM * cat.ReachM * 1.5))
		for range n {
			in.Facilities = append(in.Facilities, Facility{ID: int64(len(in.Facilities) + 1), Category: cat.Code,
				Point: at(rng.Float64()*extent, rng.Float64()*extent)})
		}
	}
	bc.inputs = in
	return bc
}

// cpuTime returns the process's user+system CPU time: the machine is shared, so CPU
// time per operation is reported beside wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timed runs the benchmark loop and reports CPU ms per op.
func timed(b *testing.B, fn func()) {
	c0 := cpuTime()
	for b.Loop() {
		fn()
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkWalk measures, in one run on the same scale-1 graph and origin: one 1000 m
// search in the engine against pgr_drivingDistance over the whole edge table and with the
// edge query limited to a 1000 m box; the 5/10/15-minute isochrone with polygons (engine,
// and the whole HTTP endpoint with PostGIS reprojection); all category distances for
// every parcel; the indicator aggregation; loading the graph from PostGIS; and graph
// memory.
func BenchmarkWalk(b *testing.B) {
	const side = 175
	bc := makeBenchCity(side)
	db := testdb.New(b)
	pool := db.Pool
	city := newCity(b, pool, "bench")
	bc.inputs.City = city
	insertEdges(b, pool, city.ID, bc.edges)
	var fids []int64
	var fcats []string
	var fpts []orb.Point
	for _, f := range bc.inputs.Facilities {
		fids, fcats, fpts = append(fids, f.ID), append(fcats, f.Category), append(fpts, orb.Point{f.Point[0] - x0, f.Point[1] - y0})
	}
	insertFacilities(b, pool, city.ID, fids, fcats, fpts)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pgrouting; ANALYZE network_edges`); err != nil {
		b.Fatal(err)
	}
	n, err := Load(ctx, pool, city.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("graph: %d edges, %d nodes, %d components; %d parcels, %d facilities", n.Stats.Edges, n.Stats.Nodes, n.Stats.Components,
		len(bc.inputs.Parcels), len(bc.inputs.Facilities))
	originID := int64(1 + (side/2)*side + side/2)
	origin := mustNode(b, n, originID)
	ox, oy := float64(side/2)*80+x0, float64(side/2)*80+y0

	b.Run("engine_search_1000m", func(b *testing.B) {
		s := network.NewSearcher(n.Graph)
		src := []network.Source{network.AtNode(origin, 0)}
		timed(b, func() {
			if err := s.Run(src, 1000); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(s.Reached())), "nodes")
	})
	b.Run("pgr_drivingDistance_whole_table", func(b *testing.B) {
		var cnt int
		timed(b, func() {
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pgr_drivingDistance($1, $2::bigint, 1000, directed => false)`,
				edgesSQL(city.ID), originID).Scan(&cnt); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(cnt), "nodes")
	})
	b.Run("pgr_drivingDistance_box_1000m", func(b *testing.B) {
		q := edgesSQL(city.ID) + fmt.Sprintf(` AND geom_m && ST_MakeEnvelope(%f, %f, %f, %f, %d)`, ox-1000, oy-1000, ox+1000, oy+1000, testSRID)
		var cnt int
		timed(b, func() {
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pgr_drivingDistance($1, $2::bigint, 1000, directed => false)`,
				q, originID).Scan(&cnt); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(cnt), "nodes")
	})
	b.Run("isochrone_5_10_15_polygons", func(b *testing.B) {
		s := network.NewSearcher(n.Graph)
		src := []network.Source{network.AtNode(origin, 0)}
		timed(b, func() {
			if err := s.Run(src, 1000); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Isochrones([]float64{300, 500, 1000}, network.IsochroneOptions{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("isochrone_http_endpoint", func(b *testing.B) {
		svc := NewService(pool, quiet())
		svc.Watch = &stillWatch{} // no edits: no data version read, as in cityreach serve
		h := engine(svc)
		lon, lat := lonLat(b, pool, orb.Point{ox - x0, oy - y0})
		var last []byte
		u := "/api/v1/isochrones?" + url.Values{"lon": {fmt.Sprint(lon)}, "lat": {fmt.Sprint(lat)}, "city": {"bench"}}.Encode()
		timed(b, func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
			if rec.Code != 200 {
				b.Fatal(rec.Body.String())
			}
			last = rec.Body.Bytes()
		})
		var res struct {
			Timing map[string]float64 `json:"timing_ms"`
		}
		_ = json.Unmarshal(last, &res)
		b.Logf("last response: %d bytes, timing %v", len(last), res.Timing)
	})
	var reach *Reach
	b.Run("reach_all_categories_all_parcels", func(b *testing.B) {
		timed(b, func() {
			if reach, err = ComputeReach(ctx, n, bc.inputs, ReachOptions{}); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(len(bc.inputs.Parcels)), "parcels")
		b.ReportMetric(float64(len(bc.inputs.Categories)), "categories")
	})
	b.Run("indicator_aggregation_community", func(b *testing.B) {
		timed(b, func() {
			if _, err := Indicator(n, bc.inputs, reach, Options{Level: LevelCommunity}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("load_graph_from_postgis", func(b *testing.B) {
		timed(b, func() {
			if _, err := Load(ctx, pool, city.ID); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkScale10 measures all category distances for every parcel of a scale-10 city
// (592,252 walkable edges, 502,826 parcels) in memory, and graph memory per million edges.
func BenchmarkScale10(b *testing.B) {
	for _, side := range []int{175, 553} {
		bc := makeBenchCity(side)
		before := heapAlloc()
		g, err := network.NewGraph(bc.netEdges)
		if err != nil {
			b.Fatal(err)
		}
		mid := heapAlloc()
		ix := network.NewIndex(g, 0)
		after := heapAlloc()
		perM := 1e6 / float64(g.NumEdges())
		b.Logf("side %d: %d edges, %d nodes: graph %.1f MiB per million edges, index %.1f MiB per million edges",
			side, g.NumEdges(), g.NumNodes(), float64(mid-before)*perM/(1<<20), float64(after-mid)*perM/(1<<20))
		n := &Network{City: bc.inputs.City, Graph: g, Index: ix, Components: g.Components()}
		b.Run(fmt.Sprintf("reach_side%d_%dparcels", side, len(bc.inputs.Parcels)), func(b *testing.B) {
			timed(b, func() {
				if _, err := ComputeReach(context.Background(), n, bc.inputs, ReachOptions{}); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(mid-before)*perM/(1<<20), "graph-MiB/Medges")
			b.ReportMetric(float64(after-mid)*perM/(1<<20), "index-MiB/Medges")
		})
		runtime.KeepAlive(ix)
	}
}
