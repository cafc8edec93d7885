package network

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/paulmach/orb"
)

// benchGraph is the 175×175 grid with 80 m spacing (about 60 000 edges) of the
// benchmarks, with a home attached near its centre.
func benchGraph(b *testing.B) (*Graph, *Index, Attachment) {
	b.Helper()
	g := mustGraph(b, synthGrid(175, 175, 80, 2024))
	ix := NewIndex(g, 0)
	home, ok := ix.Attach(orb.Point{87*80 + 23, 87*80 + 31}, 100)
	if !ok {
		b.Fatal("centre not attached")
	}
	return g, ix, home
}

func BenchmarkSearch1000m(b *testing.B) {
	g, _, home := benchGraph(b)
	s := NewSearcher(g)
	sources := []Source{AtPoint(home)}
	b.ReportMetric(float64(g.NumEdges()), "edges")
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Run(sources, 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(s.Reached())), "nodes/op")
}

// BenchmarkIsochrone5_10_15 is one search to 1000 m and the 300, 500 and 1000 m
// polygons (the default 5/10/15-minute tiers) with 10 m cells and 25 m tolerance.
func BenchmarkIsochrone5_10_15(b *testing.B) {
	g, _, home := benchGraph(b)
	s := NewSearcher(g)
	sources := []Source{AtPoint(home)}
	cutoffs := []float64{300, 500, 1000}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Run(sources, 1000); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Isochrones(cutoffs, IsochroneOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMultiSourceAllNodes labels every node with the nearest of 400 facilities.
func BenchmarkMultiSourceAllNodes(b *testing.B) {
	g, ix, _ := benchGraph(b)
	rng := rand.New(rand.NewPCG(8, 9))
	sources := make([]Source, 0, 400)
	for len(sources) < 400 {
		a, ok := ix.Attach(orb.Point{rng.Float64() * 174 * 80, rng.Float64() * 174 * 80}, 100)
		if ok {
			sources = append(sources, AtPoint(a))
		}
	}
	s := NewSearcher(g)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Run(sources, math.Inf(1)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAttach(b *testing.B) {
	_, ix, _ := benchGraph(b)
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 1024)
	for i := range pts {
		pts[i] = orb.Point{rng.Float64() * 174 * 80, rng.Float64() * 174 * 80}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ix.Attach(pts[i%len(pts)], 200)
		i++
	}
}

// BenchmarkGraphMemory builds a graph and index of about a million edges (a 708×708
// grid) and reports the retained heap per million edges.
func BenchmarkGraphMemory(b *testing.B) {
	edges := synthGrid(708, 708, 80, 1)
	b.ResetTimer()
	for b.Loop() {
		before := heapInUse()
		g, err := NewGraph(edges)
		if err != nil {
			b.Fatal(err)
		}
		afterGraph := heapInUse()
		ix := NewIndex(g, 0)
		afterIndex := heapInUse()
		s := NewSearcher(g)
		afterSearcher := heapInUse()
		perM := 1e6 / float64(g.NumEdges()) / (1 << 20)
		b.ReportMetric(float64(g.NumEdges()), "edges")
		b.ReportMetric(float64(afterGraph-before)*perM, "graph-MiB/Medge")
		b.ReportMetric(float64(afterIndex-afterGraph)*perM, "index-MiB/Medge")
		b.ReportMetric(float64(afterSearcher-afterIndex)*perM, "searcher-MiB/Medge")
		runtime.KeepAlive(ix)
		runtime.KeepAlive(s)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
