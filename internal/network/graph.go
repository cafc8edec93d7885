package network

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// ErrInvalidEdge is wrapped by every error NewGraph returns for a malformed edge.
var ErrInvalidEdge = errors.New("network: invalid edge")

// Edge is one street edge as loaded from the store.
//
// Length is the walking cost in metres; it must be finite and > 0. Geom is the edge's
// geometry in the metric working CRS, digitised from Source to Target, with at least two
// points and a planar length > 0. Length and the planar length of Geom may differ (for
// instance when Length comes from a geodesic computation); positions along the edge are
// then placed proportionally. Walking is undirected. An edge that is not Walkable, or is a
// Barrier (motorway, railway, river), is left out of the graph and of attachment, and is
// not validated.
type Edge struct {
	ID       int64
	Source   int64
	Target   int64
	Length   float64
	Geom     orb.LineString
	Walkable bool
	Barrier  bool
}

// half is one direction of an undirected edge in the adjacency: the neighbour node, the
// edge index and its Length, stored together so a relaxation touches one cache line.
type half struct {
	to   int32
	edge int32
	w    float64
}

// Graph is an immutable undirected walking graph in compressed sparse row form.
//
// Nodes and edges are addressed by dense int32 indexes: node indexes run from 0 to
// NumNodes()-1 in the order the node ids first appear in the input, edge indexes from 0
// to NumEdges()-1 in input order of the kept (walkable, non-barrier) edges. The graph
// keeps its own copy of all geometry.
//
// Memory: about 60 bytes per edge (ids, ends, lengths, two adjacency halves of 16 bytes),
// 24 bytes per geometry point (the point and its cumulative length) and about 45 bytes per
// node (id, row offset, id map entry). A grid-like city network with two points per edge
// and half a node per edge therefore needs about 135 MiB per million edges, as measured by
// BenchmarkGraphMemory (plus about 21 MiB for its Index and 6 MiB per Searcher).
type Graph struct {
	nodeIDs   []int64
	nodeIndex map[int64]int32

	adjStart []int32 // len NumNodes()+1; the halves of node u are adj[adjStart[u]:adjStart[u+1]]
	adj      []half

	edgeID  []int64
	edgeSrc []int32
	edgeTgt []int32
	edgeLen []float64
	geomLen []float64 // planar length of the geometry, metres

	ptStart []int32     // len NumEdges()+1; the points of edge e are pts[ptStart[e]:ptStart[e+1]]
	pts     []orb.Point // all edge geometry, one flat array
	cum     []float64   // cumulative planar length at each point from its edge's first point
}

// NewGraph builds the walking graph from edges. Edges that are not Walkable or are a
// Barrier are skipped. Every kept edge must have a finite Length > 0, a geometry of at
// least two finite points with a planar length > 0, and a unique ID; otherwise NewGraph
// returns an error wrapping ErrInvalidEdge. An input with no kept edge gives an empty,
// usable graph. A self-loop (Source == Target) is kept but never shortens a path.
func NewGraph(edges []Edge) (*Graph, error) {
	nEdges, nPts := 0, 0
	for i := range edges {
		e := &edges[i]
		if !e.Walkable || e.Barrier {
			continue
		}
		if err := validateEdge(e); err != nil {
			return nil, err
		}
		nEdges++
		nPts += len(e.Geom)
	}
	if nEdges >= math.MaxInt32/2 || nPts >= math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d edges with %d points exceed the int32 index range", ErrInvalidEdge, nEdges, nPts)
	}

	g := &Graph{
		nodeIndex: make(map[int64]int32, nEdges/2+1),
		edgeID:    make([]int64, 0, nEdges),
		edgeSrc:   make([]int32, 0, nEdges),
		edgeTgt:   make([]int32, 0, nEdges),
		edgeLen:   make([]float64, 0, nEdges),
		geomLen:   make([]float64, 0, nEdges),
		ptStart:   make([]int32, 0, nEdges+1),
		pts:       make([]orb.Point, 0, nPts),
		cum:       make([]float64, 0, nPts),
	}
	for i := range edges {
		e := &edges[i]
		if !e.Walkable || e.Barrier {
			continue
		}
		g.edgeID = append(g.edgeID, e.ID)
		g.edgeSrc = append(g.edgeSrc, g.node(e.Source))
		g.edgeTgt = append(g.edgeTgt, g.node(e.Target))
		g.edgeLen = append(g.edgeLen, e.Length)
		g.ptStart = append(g.ptStart, int32(len(g.pts)))
		acc := 0.0
		for k, p := range e.Geom {
			if k > 0 {
				acc += segLen(e.Geom[k-1], p)
			}
			g.pts = append(g.pts, p)
			g.cum = append(g.cum, acc)
		}
		g.geomLen = append(g.geomLen, acc)
	}
	g.ptStart = append(g.ptStart, int32(len(g.pts)))

	if err := g.checkUniqueIDs(); err != nil {
		return nil, err
	}
	g.buildAdjacency()
	return g, nil
}

func validateEdge(e *Edge) error {
	if !(e.Length > 0) || math.IsInf(e.Length, 0) {
		return fmt.Errorf("%w: edge %d: length %v m is not finite and > 0", ErrInvalidEdge, e.ID, e.Length)
	}
	if len(e.Geom) < 2 {
		return fmt.Errorf("%w: edge %d: geometry has %d points, need at least 2", ErrInvalidEdge, e.ID, len(e.Geom))
	}
	total := 0.0
	for k, p := range e.Geom {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return fmt.Errorf("%w: edge %d: geometry point %d is not finite", ErrInvalidEdge, e.ID, k)
		}
		if k > 0 {
			total += segLen(e.Geom[k-1], p)
		}
	}
	if !(total > 0) {
		return fmt.Errorf("%w: edge %d: geometry has zero length", ErrInvalidEdge, e.ID)
	}
	return nil
}

// node returns the index of external node id, assigning the next index on first sight.
func (g *Graph) node(id int64) int32 {
	if i, ok := g.nodeIndex[id]; ok {
		return i
	}
	i := int32(len(g.nodeIDs))
	g.nodeIndex[id] = i
	g.nodeIDs = append(g.nodeIDs, id)
	return i
}

// checkUniqueIDs sorts a copy of the edge ids rather than building a set, which would
// cost a map entry per edge.
func (g *Graph) checkUniqueIDs() error {
	ids := slices.Clone(g.edgeID)
	slices.Sort(ids)
	for k := 1; k < len(ids); k++ {
		if ids[k] == ids[k-1] {
			return fmt.Errorf("%w: edge id %d appears more than once", ErrInvalidEdge, ids[k])
		}
	}
	return nil
}

// buildAdjacency fills the CSR rows. A self-loop is stored once, so that every edge is
// met exactly once from each distinct end when walking the rows.
func (g *Graph) buildAdjacency() {
	n := len(g.nodeIDs)
	g.adjStart = make([]int32, n+1)
	for e := range g.edgeSrc {
		a, b := g.edgeSrc[e], g.edgeTgt[e]
		g.adjStart[a+1]++
		if b != a {
			g.adjStart[b+1]++
		}
	}
	for u := range n {
		g.adjStart[u+1] += g.adjStart[u]
	}
	g.adj = make([]half, g.adjStart[n])
	fill := slices.Clone(g.adjStart[:n])
	for e := range g.edgeSrc {
		a, b := g.edgeSrc[e], g.edgeTgt[e]
		w := g.edgeLen[e]
		g.adj[fill[a]] = half{to: b, edge: int32(e), w: w}
		fill[a]++
		if b != a {
			g.adj[fill[b]] = half{to: a, edge: int32(e), w: w}
			fill[b]++
		}
	}
}

// NumNodes returns the number of nodes touched by at least one kept edge.
func (g *Graph) NumNodes() int { return len(g.nodeIDs) }

// NumEdges returns the number of kept (walkable, non-barrier) edges.
func (g *Graph) NumEdges() int { return len(g.edgeID) }

// NodeIndex returns the index of the node with external id, and false when no kept edge
// touches that node.
func (g *Graph) NodeIndex(id int64) (int32, bool) {
	i, ok := g.nodeIndex[id]
	return i, ok
}

// NodeID returns the external id of node index i. It panics when i is out of range.
func (g *Graph) NodeID(i int32) int64 { return g.nodeIDs[i] }

// EdgeID returns the external id of edge index e. It panics when e is out of range.
func (g *Graph) EdgeID(e int32) int64 { return g.edgeID[e] }

// EdgeEnds returns the node indexes of the Source and Target of edge index e.
func (g *Graph) EdgeEnds(e int32) (source, target int32) { return g.edgeSrc[e], g.edgeTgt[e] }

// EdgeLength returns the Length of edge index e in metres, exactly as given to NewGraph.
func (g *Graph) EdgeLength(e int32) float64 { return g.edgeLen[e] }

// EdgeGeom returns the geometry of edge index e, from Source to Target. The slice is a
// view into the graph's storage and must not be modified.
func (g *Graph) EdgeGeom(e int32) orb.LineString {
	return orb.LineString(g.pts[g.ptStart[e]:g.ptStart[e+1]:g.ptStart[e+1]])
}

// Edge returns edge index e as an Edge value (Walkable true, Barrier false). Its Geom is a
// view into the graph's storage and must not be modified.
func (g *Graph) Edge(e int32) Edge {
	return Edge{
		ID:       g.edgeID[e],
		Source:   g.nodeIDs[g.edgeSrc[e]],
		Target:   g.nodeIDs[g.edgeTgt[e]],
		Length:   g.edgeLen[e],
		Geom:     g.EdgeGeom(e),
		Walkable: true,
	}
}

func segLen(a, b orb.Point) float64 { return math.Hypot(b[0]-a[0], b[1]-a[1]) }
