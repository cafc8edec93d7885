package network

import (
	"sort"

	"github.com/paulmach/orb"
)

// geomPos converts an offset along edge e (metres of Length, from Source) into a
// position along its geometry (metres of planar length). The ends map exactly.
func (g *Graph) geomPos(e int32, off float64) float64 {
	L, gl := g.edgeLen[e], g.geomLen[e]
	switch {
	case off <= 0:
		return 0
	case off >= L:
		return gl
	case L == gl:
		return off
	}
	return off / L * gl
}

// pointAtPos returns the point at planar position pos along edge e and the index k of the
// geometry segment (pts[k], pts[k+1]) holding it, k being a global point index.
func (g *Graph) pointAtPos(e int32, pos float64) (orb.Point, int) {
	lo, hi := int(g.ptStart[e]), int(g.ptStart[e+1])
	cum := g.cum[lo:hi]
	// k is the last point whose cumulative length is <= pos, kept below the last point.
	k := sort.SearchFloat64s(cum, pos)
	if k == len(cum) || cum[k] > pos {
		k--
	}
	if k < 0 {
		k = 0
	}
	if k > len(cum)-2 {
		k = len(cum) - 2
	}
	a, b := g.pts[lo+k], g.pts[lo+k+1]
	sl := cum[k+1] - cum[k]
	if pos <= cum[k] || sl <= 0 {
		return a, lo + k
	}
	if pos >= cum[k+1] {
		return b, lo + k
	}
	t := (pos - cum[k]) / sl
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, lo + k
}

// cut returns the part of edge e between offsets from <= to (metres of Length, from
// Source), interpolated along the geometry, as a new LineString of at least two points.
func (g *Graph) cut(e int32, from, to float64) orb.LineString {
	p0, p1 := g.geomPos(e, from), g.geomPos(e, to)
	a, ka := g.pointAtPos(e, p0)
	b, kb := g.pointAtPos(e, p1)
	ls := make(orb.LineString, 0, kb-ka+2)
	ls = append(ls, a)
	for k := ka + 1; k <= kb; k++ {
		// Interior vertices strictly between the two cut points.
		if g.cum[k] > p0 && g.cum[k] < p1 {
			ls = append(ls, g.pts[k])
		}
	}
	return append(ls, b)
}
