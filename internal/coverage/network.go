package coverage

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/network"
)

// walkNet is the walking graph of a snapshot with its indexes, built once.
type walkNet struct {
	g      *network.Graph
	ix     *network.Index
	eboxes []box
	etree  *strTree
}

func (s *Snapshot) walkNet() (*walkNet, error) {
	s.netOnce.Do(func() {
		g, err := network.NewGraph(s.Edges)
		if err != nil {
			s.netErr = err
			return
		}
		if g.NumEdges() == 0 {
			s.netErr = ErrNoNetwork
			return
		}
		n := &walkNet{g: g, ix: network.NewIndex(g, 0)}
		n.eboxes = make([]box, g.NumEdges())
		for e := range n.eboxes {
			n.eboxes[e] = boxOf(g.EdgeGeom(int32(e)).Bound())
		}
		n.etree = newSTRTree(n.eboxes)
		s.net = n
	})
	return s.net, s.netErr
}

// reachedNet is the network reached from the counted parks: every edge piece within its
// park's radius, indexed for the per-parcel covered-area construction.
type reachedNet struct {
	tol   float64
	lines []orb.LineString
	boxes []box
	tree  *strTree
}

// walk runs one multi-source search per distinct radius from the access points of the
// counted parks with that radius, and collects the reached edge pieces.
func walk(snap *Snapshot, parks []CountedPark, tol float64) (*reachedNet, error) {
	wn, err := snap.walkNet()
	if err != nil {
		return nil, err
	}
	c := geos.NewContext()
	byRadius := map[float64][]network.Source{}
	for k := range parks {
		cp := &parks[k]
		src, generated := accessPoints(c, wn, &snap.Parks[cp.Index])
		cp.Entrances, cp.Generated = len(src), generated
		byRadius[cp.RadiusM] = append(byRadius[cp.RadiusM], src...)
	}
	radii := make([]float64, 0, len(byRadius))
	for r := range byRadius {
		radii = append(radii, r)
	}
	sort.Float64s(radii)
	rn := &reachedNet{tol: tol}
	se := network.NewSearcher(wn.g)
	var segs []network.Segment
	for _, r := range radii {
		if len(byRadius[r]) == 0 {
			continue
		}
		if err := se.Run(byRadius[r], r); err != nil {
			return nil, fmt.Errorf("coverage: walking search: %w", err)
		}
		if segs, err = se.Segments(r, segs[:0]); err != nil {
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

// accessPoints returns the search sources of a park: its recorded entrances attached to
// the network (the access leg is walked), or, when none is recorded or none attaches,
// one point on every walkable edge that crosses or passes within EntranceSnapM of the
// park, the nearest point of the edge to the park, starting with a cost equal to its
// distance from the park.
func accessPoints(c *geos.Context, wn *walkNet, p *Park) ([]network.Source, bool) {
	var out []network.Source
	for _, e := range p.Entrances {
		if a, ok := wn.ix.Attach(e, RecordedEntranceSnapM); ok {
			out = append(out, network.AtPoint(a))
		}
	}
	if len(out) > 0 {
		return out, false
	}
	pg := toGEOS(c, p.Geom)
	defer pg.Destroy()
	prep := pg.Prepare()
	defer prep.Destroy()
	q := boxOf(p.Geom.Bound()).expand(EntranceSnapM)
	for _, e := range wn.etree.query(q, wn.eboxes, nil) {
		lg := lineToGEOS(c, wn.g.EdgeGeom(e))
		if !prep.DistanceWithin(lg, EntranceSnapM) {
			lg.Destroy()
			continue
		}
		np := lg.NearestPoints(pg) // [point on edge, point on park]
		lg.Destroy()
		if len(np) != 2 {
			continue
		}
		pt := orb.Point{np[0][0], np[0][1]}
		d := math.Hypot(np[0][0]-np[1][0], np[0][1]-np[1][1])
		a, ok := wn.ix.Attach(pt, 1)
		if !ok {
			continue
		}
		s := network.AtPoint(a)
		s.Cost = d
		out = append(out, s)
	}
	return out, true
}

// cover returns the reached pieces near box pb buffered by the tolerance, or nil when no
// piece comes within the tolerance of pb.
func (rn *reachedNet) cover(c *geos.Context, pb box, scratch *[]int32) *geos.Geom {
	hits := rn.tree.query(pb, rn.boxes, (*scratch)[:0])
	*scratch = hits
	if len(hits) == 0 {
		return nil
	}
	// Only the line within the tolerance of the parcel's box matters: clip first, so the
	// buffer works on short pieces (a point of the parcel within tol of a reached point q
	// has q inside the box grown by tol, so clipping loses nothing).
	q := pb.expand(rn.tol)
	bound := orb.Bound{Min: orb.Point{q.minX, q.minY}, Max: orb.Point{q.maxX, q.maxY}}
	lines := make([]*geos.Geom, 0, len(hits))
	for _, h := range hits {
		for _, ls := range clip.LineString(bound, rn.lines[h]) {
			if len(ls) >= 2 {
				lines = append(lines, lineToGEOS(c, ls))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	ml := c.NewCollection(geos.TypeIDMultiLineString, lines)
	defer ml.Destroy()
	return ml.Buffer(rn.tol, QuadSegs)
}
