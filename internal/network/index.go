package network

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Attachment is a point snapped to the nearest walkable edge.
type Attachment struct {
	// Edge is the edge index the point is attached to.
	Edge int32
	// Offset is the distance in metres along the edge from its Source to Point, in units
	// of the edge's Length (0 <= Offset <= Length).
	Offset float64
	// Access is the straight-line distance in metres from the original point to Point:
	// the access leg walked off the network.
	Access float64
	// Point is the orthogonal projection of the original point on the edge geometry.
	Point orb.Point
}

// Index is a static uniform-grid spatial index over the geometry segments of a Graph's
// edges. It is immutable and safe for concurrent use.
//
// Each grid cell lists the segments that cross it (cells are found by walking the
// segment row by row, not by its bounding box, so long diagonal segments stay cheap).
// Memory is about 4 bytes per geometry point plus 4 bytes per (segment, cell) pair plus
// 4 bytes per cell; with the automatic cell size there is about one cell per segment.
type Index struct {
	g         *Graph
	ox, oy    float64 // lower-left corner of the grid, metres
	cell      float64 // cell side, metres
	nx, ny    int
	cellStart []int32 // len nx*ny+1; segments of cell c are items[cellStart[c]:cellStart[c+1]]
	items     []int32 // global index k of the first point of segment (pts[k], pts[k+1])
	ptEdge    []int32 // edge index of each global point
}

// NewIndex builds the attachment index of g. cellSize is the grid cell side in metres;
// 0 chooses one so that there is about one segment per cell. A graph with no edges gives
// an index that attaches nothing.
func NewIndex(g *Graph, cellSize float64) *Index {
	ix := &Index{g: g, ptEdge: make([]int32, len(g.pts))}
	nSeg := 0
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for e := range g.edgeID {
		lo, hi := g.ptStart[e], g.ptStart[e+1]
		for k := lo; k < hi; k++ {
			ix.ptEdge[k] = int32(e)
			b = b.Extend(g.pts[k])
		}
		nSeg += int(hi - lo - 1)
	}
	if nSeg == 0 {
		ix.cell, ix.nx, ix.ny = 1, 1, 1
		ix.cellStart = make([]int32, 2)
		return ix
	}
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	if !(cellSize > 0) || math.IsInf(cellSize, 0) {
		cellSize = math.Sqrt(w * h / float64(nSeg))
		if thin := (w + h) / float64(nSeg); cellSize < thin {
			cellSize = thin // a nearly collinear network
		}
		if !(cellSize > 0) {
			cellSize = 1
		}
	}
	// Keep the cell count near the segment count whatever cell size was asked for.
	for (w/cellSize+1)*(h/cellSize+1) > 4*float64(nSeg)+64 {
		cellSize *= 1.5
	}
	ix.ox, ix.oy, ix.cell = b.Min[0], b.Min[1], cellSize
	ix.nx = int(w/cellSize) + 1
	ix.ny = int(h/cellSize) + 1

	// Two passes over the same cell walk: count, then fill.
	ix.cellStart = make([]int32, ix.nx*ix.ny+1)
	ix.eachSegmentCell(func(c int, _ int32) { ix.cellStart[c+1]++ })
	for c := range ix.nx * ix.ny {
		ix.cellStart[c+1] += ix.cellStart[c]
	}
	ix.items = make([]int32, ix.cellStart[ix.nx*ix.ny])
	fill := make([]int32, ix.nx*ix.ny)
	copy(fill, ix.cellStart)
	ix.eachSegmentCell(func(c int, k int32) {
		ix.items[fill[c]] = k
		fill[c]++
	})
	return ix
}

// eachSegmentCell calls fn for every (cell, segment) pair where the segment crosses the
// cell, slightly widened so that rounding can never drop a cell.
func (ix *Index) eachSegmentCell(fn func(cell int, k int32)) {
	g := ix.g
	eps := 1e-9 * ix.cell
	for e := range g.edgeID {
		for k := g.ptStart[e]; k < g.ptStart[e+1]-1; k++ {
			a, b := g.pts[k], g.pts[k+1]
			ymin, ymax := min(a[1], b[1]), max(a[1], b[1])
			j0, j1 := ix.row(ymin-eps), ix.row(ymax+eps)
			for j := j0; j <= j1; j++ {
				// The part of the segment inside this row's band of y.
				ylo := max(ymin, ix.oy+float64(j)*ix.cell)
				yhi := min(ymax, ix.oy+float64(j+1)*ix.cell)
				var xlo, xhi float64
				if dy := b[1] - a[1]; dy == 0 {
					xlo, xhi = min(a[0], b[0]), max(a[0], b[0])
				} else {
					x0 := a[0] + (ylo-a[1])*(b[0]-a[0])/dy
					x1 := a[0] + (yhi-a[1])*(b[0]-a[0])/dy
					xlo, xhi = min(x0, x1), max(x0, x1)
				}
				i0, i1 := ix.col(xlo-eps), ix.col(xhi+eps)
				for i := i0; i <= i1; i++ {
					fn(j*ix.nx+i, k)
				}
			}
		}
	}
}

func (ix *Index) col(x float64) int {
	return min(max(int(math.Floor((x-ix.ox)/ix.cell)), 0), ix.nx-1)
}

func (ix *Index) row(y float64) int {
	return min(max(int(math.Floor((y-ix.oy)/ix.cell)), 0), ix.ny-1)
}

// Attach snaps p to the nearest point of any walkable edge. It returns false when no edge
// lies within maxSnap metres of p (maxSnap may be +Inf). When several edges are equally
// near, the lowest edge index wins, then the smallest offset, so results are
// deterministic.
func (ix *Index) Attach(p orb.Point, maxSnap float64) (Attachment, bool) {
	if len(ix.items) == 0 || math.IsNaN(maxSnap) || maxSnap < 0 {
		return Attachment{}, false
	}
	gridMaxX := ix.ox + float64(ix.nx)*ix.cell
	gridMaxY := ix.oy + float64(ix.ny)*ix.cell
	dx := max(ix.ox-p[0], 0, p[0]-gridMaxX)
	dy := max(ix.oy-p[1], 0, p[1]-gridMaxY)
	if math.Hypot(dx, dy) > maxSnap {
		return Attachment{}, false
	}

	// Rings of cells at Chebyshev distance k around p's (possibly outside) cell: any
	// segment not yet seen after ring k is at least k*cell away.
	ci := int(math.Floor((p[0] - ix.ox) / ix.cell))
	cj := int(math.Floor((p[1] - ix.oy) / ix.cell))
	kmin := max(0, -ci, ci-(ix.nx-1), -cj, cj-(ix.ny-1))
	kmax := max(ci, ix.nx-1-ci, cj, ix.ny-1-cj)

	best := nearest{d2: maxSnap * maxSnap, k: -1}
	for k := kmin; k <= kmax; k++ {
		if float64(k-1)*ix.cell > maxSnap {
			break
		}
		for j := max(cj-k, 0); j <= min(cj+k, ix.ny-1); j++ {
			edgeRow := j == cj-k || j == cj+k
			step := 2 * k
			if edgeRow || k == 0 {
				step = 1
			}
			for i := ci - k; i <= ci+k; i += step {
				if i < 0 || i >= ix.nx {
					continue
				}
				c := j*ix.nx + i
				for _, seg := range ix.items[ix.cellStart[c]:ix.cellStart[c+1]] {
					ix.consider(p, seg, &best)
				}
			}
		}
		if best.k >= 0 && best.d2 <= sq(float64(k)*ix.cell) {
			break
		}
	}
	if best.k < 0 {
		return Attachment{}, false
	}
	g := ix.g
	e := ix.ptEdge[best.k]
	off := best.pos // exact when Length is the planar length
	if g.edgeLen[e] != g.geomLen[e] {
		off = min(max(best.pos/g.geomLen[e]*g.edgeLen[e], 0), g.edgeLen[e])
	}
	return Attachment{
		Edge:   e,
		Offset: off,
		Access: math.Hypot(p[0]-best.pt[0], p[1]-best.pt[1]),
		Point:  best.pt,
	}, true
}

// nearest is the best candidate of an Attach query so far.
type nearest struct {
	d2  float64   // squared distance, metres²
	k   int32     // global index of the segment's first point, -1 when none
	pos float64   // planar position of pt along its edge, metres
	pt  orb.Point // projection on the segment
}

func (ix *Index) consider(p orb.Point, k int32, best *nearest) {
	g := ix.g
	a, b := g.pts[k], g.pts[k+1]
	vx, vy := b[0]-a[0], b[1]-a[1]
	ll := vx*vx + vy*vy
	t := 0.0
	if ll > 0 {
		t = min(max(((p[0]-a[0])*vx+(p[1]-a[1])*vy)/ll, 0), 1)
	}
	q := orb.Point{a[0] + t*vx, a[1] + t*vy}
	switch t {
	case 0:
		q = a
	case 1:
		q = b
	}
	d2 := sq(p[0]-q[0]) + sq(p[1]-q[1])
	if d2 > best.d2 {
		return
	}
	pos := g.cum[k] + t*(g.cum[k+1]-g.cum[k])
	if t == 1 {
		pos = g.cum[k+1]
	}
	if best.k >= 0 && d2 == best.d2 {
		be, e := ix.ptEdge[best.k], ix.ptEdge[k]
		if e > be || (e == be && pos >= best.pos) {
			return
		}
	}
	*best = nearest{d2: d2, k: k, pos: pos, pt: q}
}

func sq(x float64) float64 { return x * x }

// EdgesNear appends to dst the index of every edge with a geometry segment in a grid cell
// that b overlaps, each once, in ascending order, and returns the extended slice. It is a
// superset of the edges whose geometry comes within b (a cell holds every segment crossing
// it): callers test the candidates exactly. An index of a graph with no edges gives none.
func (ix *Index) EdgesNear(b orb.Bound, dst []int32) []int32 {
	if len(ix.items) == 0 || b.Max[0] < ix.ox || b.Max[1] < ix.oy ||
		b.Min[0] > ix.ox+float64(ix.nx)*ix.cell || b.Min[1] > ix.oy+float64(ix.ny)*ix.cell {
		return dst
	}
	start := len(dst)
	i0, i1 := ix.col(b.Min[0]), ix.col(b.Max[0])
	for j := ix.row(b.Min[1]); j <= ix.row(b.Max[1]); j++ {
		for c := j*ix.nx + i0; c <= j*ix.nx+i1; c++ {
			for _, k := range ix.items[ix.cellStart[c]:ix.cellStart[c+1]] {
				dst = append(dst, ix.ptEdge[k])
			}
		}
	}
	out := dst[start:]
	slices.Sort(out)
	return dst[:start+len(slices.Compact(out))]
}
