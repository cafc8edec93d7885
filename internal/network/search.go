package network

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// ErrInvalidSource is wrapped by the errors Run returns for a malformed source.
var ErrInvalidSource = errors.New("network: invalid source")

// ErrCutoff is wrapped by the errors returned for a negative or NaN cutoff, or for a
// cutoff larger than the one the last search ran to.
var ErrCutoff = errors.New("network: invalid cutoff")

// Source is one origin of a search: either an attached point or a node.
//
// For an attached point the walker starts at the point itself: the cost to the edge's
// Source node is Cost + Access + Offset and to its Target node
// Cost + Access + (Length - Offset), each summed in that order. For a node the cost of the
// node is Cost. Cost is an extra initial cost in metres (0 for a plain origin) and must be
// finite and >= 0.
type Source struct {
	Attached bool       // true: start at At; false: start at Node
	At       Attachment // the attached point, when Attached
	Node     int32      // the node index, when not Attached
	Cost     float64    // initial cost, metres
}

// AtPoint returns a Source starting at the attached point a with no extra cost.
func AtPoint(a Attachment) Source { return Source{Attached: true, At: a} }

// AtNode returns a Source starting at node index n with initial cost metres.
func AtNode(n int32, cost float64) Source { return Source{Node: n, Cost: cost} }

// edgeSource records that source src is attached to edge, for the along-edge cases.
type edgeSource struct {
	edge int32
	src  int32
}

// Searcher runs multi-source Dijkstra searches on one Graph and holds the result of the
// last search. It reuses its buffers, so once warmed up a search allocates nothing. A
// Searcher is for one goroutine at a time; the Graph it reads may be shared.
//
// The result of the last Run (Dist, Label, Reached, DistanceTo, Segments, Isochrones) is
// valid until the next Run; slices it returns are views into the Searcher's buffers.
type Searcher struct {
	g       *Graph
	dist    []float64 // per node; +Inf when not reached within the cutoff
	label   []int32   // per node; index of the nearest source, -1 when not reached
	reached []int32   // settled nodes in nondecreasing distance order
	heap    minHeap
	sources []Source
	onEdge  []edgeSource // attached sources sorted by edge
	cutoff  float64

	pieces []piece
	iso    isoWork
}

// NewSearcher returns a Searcher for g with buffers sized for the whole graph
// (12 bytes per node plus the queue).
func NewSearcher(g *Graph) *Searcher {
	n := g.NumNodes()
	s := &Searcher{
		g:       g,
		dist:    make([]float64, n),
		label:   make([]int32, n),
		reached: make([]int32, 0, 1024),
		heap:    make(minHeap, 0, 1024),
		cutoff:  -1,
	}
	for i := range s.dist {
		s.dist[i] = math.Inf(1)
		s.label[i] = -1
	}
	return s
}

// Run searches from sources up to cutoff metres (+Inf searches the whole graph). Every
// node whose network distance d from the nearest source is <= cutoff gets Dist = d and
// Label = the index in sources of that nearest source; ties go to the lowest source
// index. Other nodes get +Inf and -1. Run several cutoffs from one traversal by running
// to the largest and classifying with ReachedWithin, Segments and Isochrones.
//
// Run returns an error wrapping ErrCutoff or ErrInvalidSource for a bad argument, and then
// leaves an empty result.
func (s *Searcher) Run(sources []Source, cutoff float64) error {
	s.clear()
	if math.IsNaN(cutoff) || cutoff < 0 {
		return fmt.Errorf("%w: %v m", ErrCutoff, cutoff)
	}
	g := s.g
	for i := range sources {
		if err := s.checkSource(i, &sources[i]); err != nil {
			return err
		}
	}
	s.cutoff = cutoff
	s.sources = append(s.sources[:0], sources...)
	for i := range sources {
		src := &sources[i]
		if !src.Attached {
			s.seed(src.Node, src.Cost, int32(i))
			continue
		}
		e := src.At.Edge
		base := src.Cost + src.At.Access
		s.seed(g.edgeSrc[e], base+src.At.Offset, int32(i))
		s.seed(g.edgeTgt[e], base+(g.edgeLen[e]-src.At.Offset), int32(i))
		s.onEdge = append(s.onEdge, edgeSource{edge: e, src: int32(i)})
	}
	slices.SortFunc(s.onEdge, func(a, b edgeSource) int {
		if a.edge != b.edge {
			return int(a.edge - b.edge)
		}
		return int(a.src - b.src)
	})

	for len(s.heap) > 0 {
		it := s.heap.pop()
		u := it.n
		if it.d > s.dist[u] {
			continue // stale entry
		}
		s.reached = append(s.reached, u)
		lu := s.label[u]
		for _, h := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
			nd := it.d + h.w
			if nd > cutoff {
				continue
			}
			v := h.to
			switch dv := s.dist[v]; {
			case nd < dv:
				s.dist[v] = nd
				s.label[v] = lu
				s.heap.push(heapItem{d: nd, n: v})
			case nd == dv && lu < s.label[v]:
				// v is not settled yet because lengths are > 0; keep the lowest
				// source index among equally near sources.
				s.label[v] = lu
			}
		}
	}
	return nil
}

func (s *Searcher) checkSource(i int, src *Source) error {
	if math.IsNaN(src.Cost) || math.IsInf(src.Cost, 0) || src.Cost < 0 {
		return fmt.Errorf("%w: source %d: cost %v m", ErrInvalidSource, i, src.Cost)
	}
	if !src.Attached {
		if src.Node < 0 || int(src.Node) >= len(s.dist) {
			return fmt.Errorf("%w: source %d: node index %d out of range", ErrInvalidSource, i, src.Node)
		}
		return nil
	}
	a := &src.At
	if a.Edge < 0 || int(a.Edge) >= s.g.NumEdges() {
		return fmt.Errorf("%w: source %d: edge index %d out of range", ErrInvalidSource, i, a.Edge)
	}
	if !(a.Offset >= 0 && a.Offset <= s.g.edgeLen[a.Edge]) {
		return fmt.Errorf("%w: source %d: offset %v m outside edge of %v m", ErrInvalidSource, i, a.Offset, s.g.edgeLen[a.Edge])
	}
	if !(a.Access >= 0) || math.IsInf(a.Access, 0) {
		return fmt.Errorf("%w: source %d: access %v m", ErrInvalidSource, i, a.Access)
	}
	return nil
}

// seed offers cost d from source src to node n.
func (s *Searcher) seed(n int32, d float64, src int32) {
	if d > s.cutoff {
		return
	}
	switch {
	case d < s.dist[n]:
		s.dist[n] = d
		s.label[n] = src
		s.heap.push(heapItem{d: d, n: n})
	case d == s.dist[n] && src < s.label[n]:
		s.label[n] = src
	}
}

// clear resets only the nodes the last search touched. Every node given a finite
// distance is settled before the queue drains, so reached lists them all.
func (s *Searcher) clear() {
	for _, n := range s.reached {
		s.dist[n] = math.Inf(1)
		s.label[n] = -1
	}
	s.reached = s.reached[:0]
	s.heap = s.heap[:0]
	s.sources = s.sources[:0]
	s.onEdge = s.onEdge[:0]
	s.cutoff = -1
}

// Cutoff returns the cutoff of the last successful Run in metres, or -1 before any.
func (s *Searcher) Cutoff() float64 { return s.cutoff }

// Dist returns the network distance in metres of node index n from the nearest source,
// or +Inf when n was not reached within the cutoff.
func (s *Searcher) Dist(n int32) float64 { return s.dist[n] }

// Label returns the index in the sources of the last Run of the source nearest to node
// index n, or -1 when n was not reached.
func (s *Searcher) Label(n int32) int32 { return s.label[n] }

// Distances returns the distance of every node index (+Inf when not reached), as a view
// valid until the next Run.
func (s *Searcher) Distances() []float64 { return s.dist }

// Labels returns the nearest-source label of every node index (-1 when not reached), as a
// view valid until the next Run.
func (s *Searcher) Labels() []int32 { return s.label }

// Reached returns the reached node indexes in nondecreasing distance order, as a view
// valid until the next Run.
func (s *Searcher) Reached() []int32 { return s.reached }

// ReachedWithin returns the prefix of Reached whose distance is <= c metres. It is how
// several cutoffs are read from one traversal; c above the search cutoff gives all of
// Reached.
func (s *Searcher) ReachedWithin(c float64) []int32 {
	k := sort.Search(len(s.reached), func(i int) bool { return s.dist[s.reached[i]] > c })
	return s.reached[:k]
}

// sourcesOn returns the attached sources of the last Run that lie on edge e.
func (s *Searcher) sourcesOn(e int32) []edgeSource {
	lo := sort.Search(len(s.onEdge), func(i int) bool { return s.onEdge[i].edge >= e })
	hi := lo
	for hi < len(s.onEdge) && s.onEdge[hi].edge == e {
		hi++
	}
	return s.onEdge[lo:hi]
}

// DistanceTo returns the network distance in metres from the nearest source of the last
// Run to the attached target point t, and that source's index. The walk ends with t's
// access leg: the distance is the minimum of Dist(Source)+Offset and
// Dist(Target)+(Length-Offset), plus Access, and, for every source attached to the same
// edge, the direct along-edge walk Cost + Access_s + |Offset_s - Offset_t| + Access_t.
// It returns (+Inf, -1) when that minimum exceeds the search cutoff, since a longer value
// could miss a path through a node beyond the cutoff.
func (s *Searcher) DistanceTo(t Attachment) (float64, int32) {
	g := s.g
	if s.cutoff < 0 || t.Edge < 0 || int(t.Edge) >= g.NumEdges() {
		return math.Inf(1), -1
	}
	a, b := g.edgeSrc[t.Edge], g.edgeTgt[t.Edge]
	best, lab := math.Inf(1), int32(-1)
	offer := func(d float64, l int32) {
		if d < best || (d == best && l >= 0 && (lab < 0 || l < lab)) {
			best, lab = d, l
		}
	}
	offer(s.dist[a]+t.Offset+t.Access, s.label[a])
	offer(s.dist[b]+(g.edgeLen[t.Edge]-t.Offset)+t.Access, s.label[b])
	for _, es := range s.sourcesOn(t.Edge) {
		src := &s.sources[es.src]
		offer(src.Cost+src.At.Access+math.Abs(src.At.Offset-t.Offset)+t.Access, es.src)
	}
	if best > s.cutoff {
		return math.Inf(1), -1
	}
	return best, lab
}
