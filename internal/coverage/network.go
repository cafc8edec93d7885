package coverage

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// walkNet is the walking graph of a snapshot: the city's shared graph (internal/walkgraph,
// the one the living circle walks) when the snapshot was loaded by the service, else one
// built from the snapshot's Edges.
type walkNet struct {
	g      *network.Graph
	ix     *network.Index
	shared *walkgraph.Graph
}

func (s *Snapshot) walkNet() (*walkNet, error) {
	return s.netShared().resolve(s.CityID, s.Edges)
}

// resolve returns h's graph, taking it from h.src or building it from edges, once.
func (h *netHolder) resolve(cityID int, edges []network.Edge) (*walkNet, error) {
	h.once.Do(func() {
		var g *walkgraph.Graph
		if h.src != nil {
			g, h.err = h.src()
			h.src = nil // let go of what it derives from
		} else {
			g, h.err = walkgraph.Build(cityID, "", edges)
		}
		if h.err != nil {
			return
		}
		if g.Graph.NumEdges() == 0 {
			h.err = ErrNoNetwork
			return
		}
		h.net = &walkNet{g: g.Graph, ix: g.Index, shared: g}
	})
	return h.net, h.err
}

// reachedNet is the network reached from the counted parks: every edge piece within its
// park's radius, indexed for the per-parcel covered-area construction.
type reachedNet struct {
	tol   float64
	lines []orb.LineString
	boxes []box
	tree  *strTree
	// What it was searched from: the graph, the cut-off and the sources in canonical
	// order. A later walk from the same sources on the same graph is this one (walk).
	net     *walkNet
	maxR    float64
	sources []network.Source
}

// walk runs one multi-source search from the access points of every counted park and
// collects the reached edge pieces. Parks of different radii share the traversal: a
// source of a park with radius r starts with the extra cost maxR − r, where maxR is the
// largest radius, and the search runs to maxR, so a point is reached exactly when some
// park's walk to it (access cost included) is within that park's radius. The pieces are
// the union of the pieces of one search per radius, merged per edge.
//
// The sources are searched in a canonical order, so the walk is a function of their set;
// when prev was searched from the same set on the same graph with the same cut-off and
// tolerance, it is returned as it is (an edit that left every access point in place).
func walk(snap *Snapshot, parks []CountedPark, tol float64, at openness.At, prev *reachedNet) (*reachedNet, error) {
	wn, err := snap.walkNet()
	if err != nil {
		return nil, err
	}
	c := geos.NewContext()
	maxR := 0.0
	for _, cp := range parks {
		maxR = max(maxR, cp.RadiusM)
	}
	var sources []network.Source
	for k := range parks {
		cp := &parks[k]
		src, generated := accessPoints(c, wn, &snap.Parks[cp.Index], at)
		cp.Entrances, cp.Generated = len(src), generated
		for _, s := range src {
			s.Cost += maxR - cp.RadiusM
			sources = append(sources, s)
		}
	}
	slices.SortFunc(sources, compareSources)
	if prev != nil && prev.net == wn && prev.maxR == maxR && prev.tol == tol && slices.Equal(prev.sources, sources) {
		return prev, nil
	}
	rn := &reachedNet{tol: tol, net: wn, maxR: maxR, sources: sources}
	if len(sources) > 0 {
		se := network.NewSearcher(wn.g)
		if err := se.Run(sources, maxR); err != nil {
			return nil, fmt.Errorf("coverage: walking search: %w", err)
		}
		segs, err := se.Segments(maxR, nil)
		if err != nil {
			return nil, err
		}
		for _, s := range segs {
			ls := append(orb.LineString(nil), s.Geom...)
			rn.lines = append(rn.lines, ls)
			rn.boxes = append(rn.boxes, boxOf(ls.Bound()).expand(tol))
		}
	}
	rn.tree = newSTRTree(rn.boxes)
	return rn, nil
}

// compareSources orders search sources by every field.
func compareSources(a, b network.Source) int {
	return cmp.Or(
		cmp.Compare(a.At.Edge, b.At.Edge), cmp.Compare(a.At.Offset, b.At.Offset), cmp.Compare(a.Cost, b.Cost),
		cmp.Compare(a.Node, b.Node), cmp.Compare(a.At.Access, b.At.Access),
		cmp.Compare(a.At.Point[0], b.At.Point[0]), cmp.Compare(a.At.Point[1], b.At.Point[1]),
		boolCmp(a.Attached, b.Attached))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// accessPoints returns the search sources of a park at time at: its recorded entrances
// that the gate rule lets through (openness.GateUsable) attached to the network (the
// access leg is walked), or, when none is recorded or none of those attaches, the points of
// walkgraph.ParkAccessPoints (the rule the living circle uses too: where walkable edges
// cross the boundary, else the park's points nearest the edges within walkgraph.ParkSnapM)
// attached to the nearest edge with the leg walked, if the park is open then
// (openness.ParkOpen). A park whose recorded gates are
// all shut at at has none: it is not entered over its fence; nor is a closed park.
func accessPoints(c *geos.Context, wn *walkNet, p *Park, at openness.At) ([]network.Source, bool) {
	var out []network.Source
	usable := 0
	for i, e := range p.Entrances {
		if !openness.GateUsable(p.access(), p.gate(i), at) {
			continue
		}
		usable++
		if a, ok := wn.ix.Attach(e, RecordedEntranceSnapM); ok {
			out = append(out, network.AtPoint(a))
		}
	}
	if len(out) > 0 || (len(p.Entrances) > 0 && usable == 0) || !openness.ParkOpen(p.access(), at) {
		return out, false
	}
	// The attachment index's cells give every edge that can come within
	// walkgraph.ParkSnapM of the park; walkgraph.ParkAccessPoints keeps those that do.
	edges := wn.ix.EdgesNear(p.Geom.Bound().Pad(walkgraph.ParkSnapM), nil)
	lines := make([]orb.LineString, len(edges))
	for k, e := range edges {
		lines[k] = wn.g.EdgeGeom(e)
	}
	pts, err := walkgraph.ParkAccessPoints(c, p.Geom, lines)
	if err != nil {
		return nil, true
	}
	for _, pt := range pts {
		if a, ok := wn.ix.Attach(pt, walkgraph.ParkSnapM); ok {
			out = append(out, network.AtPoint(a))
		}
	}
	return out, true
}
