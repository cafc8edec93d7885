package checks

import (
	"container/heap"
	"math"
	"sort"

	"github.com/twpayne/go-geos"
)

// centreline derives the centreline of one corridor polygon (metric CRS) by the chordal
// axis transform (Prasad 1997): the boundary is densified to spacing metres, triangulated
// with GEOS's constrained Delaunay triangulation, and the midpoints of the interior edges
// of neighbouring triangles are joined (through the centroid of a junction triangle). The
// longest path of that skeleton runs from one end of the corridor to the other.
//
// The skeleton's two ends wander into the corners of the corridor's end faces; they are
// trimmed back to where the distance to the boundary stops growing and then extended
// straight, along the local direction, to the boundary. For a straight strip of length L
// the result is the axis of length L exactly.
//
// SFCGAL's ST_ApproximateMedialAxis would give a medial axis but is not installed on
// the target servers, and a medial axis measures inscribed-disc widths, which count the
// approach to a narrowing as narrow; cross-sections perpendicular to this centreline
// measure the clear width a planner measures.
func centreline(poly *geos.Geom, o outline, spacing float64) polyline {
	tri := poly.Densify(spacing).ConstrainedDelaunayTriangulation()
	type edgeKey struct{ a, b xy }
	key := func(p, q xy) edgeKey {
		if p.X < q.X || (p.X == q.X && p.Y < q.Y) {
			return edgeKey{p, q}
		}
		return edgeKey{q, p}
	}
	type triangle struct{ v [3]xy }
	n := tri.NumGeometries()
	tris := make([]triangle, 0, n)
	count := map[edgeKey]int{}
	for i := 0; i < n; i++ {
		cs := tri.Geometry(i).ExteriorRing().CoordSeq().ToCoords()
		if len(cs) < 4 {
			continue
		}
		t := triangle{[3]xy{{cs[0][0], cs[0][1]}, {cs[1][0], cs[1][1]}, {cs[2][0], cs[2][1]}}}
		tris = append(tris, t)
		for j := 0; j < 3; j++ {
			count[key(t.v[j], t.v[(j+1)%3])]++
		}
	}

	// Skeleton graph: a node per interior edge (its midpoint), plus a node per junction.
	g := &skeleton{}
	nodeOf := map[edgeKey]int{}
	node := func(k edgeKey) int {
		if id, ok := nodeOf[k]; ok {
			return id
		}
		id := g.add(k.a.lerp(k.b, 0.5))
		nodeOf[k] = id
		return id
	}
	for _, t := range tris {
		var inner []edgeKey
		for j := 0; j < 3; j++ {
			if k := key(t.v[j], t.v[(j+1)%3]); count[k] == 2 {
				inner = append(inner, k)
			}
		}
		switch len(inner) {
		case 2:
			g.link(node(inner[0]), node(inner[1]))
		case 3:
			c := g.add(xy{(t.v[0].X + t.v[1].X + t.v[2].X) / 3, (t.v[0].Y + t.v[1].Y + t.v[2].Y) / 3})
			for _, k := range inner {
				g.link(c, node(k))
			}
		}
	}
	if len(g.pts) < 2 {
		// A polygon too small to have interior edges: its longest side's midline.
		return fallbackAxis(poly, o)
	}
	u, _ := g.farthest(0)
	v, prev := g.farthest(u)
	var path []xy
	for x := v; x != -1; x = prev[x] {
		path = append(path, g.pts[x])
	}
	line := newPolyline(path)
	return trimAndExtend(line, o)
}

// trimAndExtend cuts each end of a skeleton path back past the branch that runs into the
// corridor's end face, then extends it straight to the boundary along the direction of the
// remaining path.
//
// Seen from the path's end point E, a point P of the end branch is about as far from the
// boundary as from E (r(P) ≥ |P−E|·sin(θ/2) for a corner of angle θ, ≈ 0.7 for a right
// angle; = |P−E| on the axis of a square end), while along the body of the corridor r stays
// at the half-width and |P−E| keeps growing. The cut is the last point, within the outer
// 40 % of the path (at most 1 km), where r(P) ≥ 0.65·|P−E|; a tapering end (r grows slowly) is not cut.
func trimAndExtend(l polyline, o outline) polyline {
	const step = 2.0 // metres between probes
	const window = 10.0
	const ratio = 0.65
	L := l.length()
	if L < 4*window {
		return l
	}
	cut := func(pos func(s float64) xy) float64 {
		e := pos(0)
		last := 0.0
		// An end branch is at most about one width long; 1 km bounds the search on long
		// river corridors.
		for s := step; s < math.Min(0.4*L, 1000); s += step {
			p := pos(s)
			if o.distance(p) >= ratio*p.dist(e) {
				last = s
			}
		}
		return last
	}
	a := cut(func(s float64) xy { return l.at(s) })
	b := L - cut(func(s float64) xy { return l.at(L - s) })
	core := straighten(straighten(newPolyline(l.sub(a, b)), o, 2.5*window), o, 2.5*window)
	mid := core.pts
	h := math.Min(window*2, core.length()/4)
	start, end := core.at(0), core.at(core.length())
	dStart := start.sub(core.at(h)).unit()
	dEnd := end.sub(core.at(core.length() - h)).unit()
	pts := make([]xy, 0, len(mid)+2)
	if r := o.ray(start, dStart); !math.IsInf(r, 1) {
		pts = append(pts, start.add(dStart.scale(r)))
	}
	pts = append(pts, mid...)
	if r := o.ray(end, dEnd); !math.IsInf(r, 1) {
		pts = append(pts, end.add(dEnd.scale(r)))
	}
	return newPolyline(pts)
}

// straighten puts the chordal axis in the middle of the corridor's cross-sections. The
// axis zigzags where a corridor changes width: the triangles fan out from the reflex corner
// of the step, and the midpoints of a fan lie halfway between that corner and the opposite
// side, up to a quarter of the width off the middle. So the path is resampled every 5 m and
// smoothed over ±window to fix the directions; each point moves to the middle of its
// cross-section along that direction; a running median over ±2·window (per coordinate,
// which keeps monotone courses, i.e. bends, exactly) removes the few points whose
// cross-section cuts the corner of a step; and a moving average over ±window/2 smooths what
// is left.
func straighten(l polyline, o outline, window float64) polyline {
	const spacing = 5.0
	L := l.length()
	n := int(math.Ceil(L / spacing))
	if n < 4 {
		return l
	}
	d := L / float64(n)
	pts := make([]xy, n+1)
	for i := range pts {
		pts[i] = l.at(d * float64(i))
	}
	guide := newPolyline(movingAverage(pts, int(math.Round(window/d))))
	centred := make([]xy, n+1)
	widths := make([]float64, n+1)
	stable := make([]bool, n+1)
	for i := range pts {
		s := guide.length() * float64(i) / float64(n)
		p := guide.at(s)
		t := guide.tangent(s, window/2)
		nrm := xy{-t.Y, t.X}
		centred[i] = p
		if lo, hi, ok := o.chord(p, nrm); ok {
			centred[i] = p.add(nrm.scale((lo + hi) / 2))
			widths[i] = hi - lo
			stable[i] = true
		}
	}
	// Where the width jumps (more than 5 % from one point to the next) the cross-section
	// cuts the corner of a step and its middle is biased; those points, and two on either
	// side, are replaced by linear interpolation between the stable points around them.
	jump := make([]bool, n+1)
	for i := 1; i <= n; i++ {
		if math.Abs(widths[i]-widths[i-1]) > 0.05*math.Max(widths[i], widths[i-1]) {
			jump[i], jump[i-1] = true, true
		}
	}
	for i := range jump {
		if jump[i] {
			for j := max(0, i-2); j <= min(n, i+2); j++ {
				stable[j] = false
			}
		}
	}
	for i := 0; i <= n; {
		if stable[i] {
			i++
			continue
		}
		j := i
		for j <= n && !stable[j] {
			j++
		}
		// centred[i-1] and centred[j] are stable (or the unmoved guide at the ends).
		a, b := i-1, j
		if a < 0 || b > n {
			i = j
			continue
		}
		for k := i; k < j; k++ {
			centred[k] = centred[a].lerp(centred[b], float64(k-a)/float64(b-a))
		}
		i = j
	}
	med := runningMedian(centred, int(math.Round(2*window/d)))
	out := movingAverage(med, int(math.Round(window/2/d)))
	// The end points keep their skeleton position (the filters hold ends fixed); drop the
	// stretch they bend, the caller extends the line straight to the boundary again.
	if k := int(math.Round(window / 2 / d)); len(out) > 2*k+4 {
		out = out[k : len(out)-k]
	}
	return newPolyline(out)
}

// movingAverage averages each point with up to half neighbours on each side (a symmetric
// window that shrinks at the ends, which stay fixed).
func movingAverage(pts []xy, half int) []xy {
	n := len(pts) - 1
	out := make([]xy, len(pts))
	out[0], out[n] = pts[0], pts[n]
	for i := 1; i < n; i++ {
		k := min(half, i, n-i)
		var sx, sy float64
		for j := i - k; j <= i+k; j++ {
			sx += pts[j].X
			sy += pts[j].Y
		}
		out[i] = xy{sx / float64(2*k+1), sy / float64(2*k+1)}
	}
	return out
}

// runningMedian replaces each coordinate by its median over a symmetric window.
func runningMedian(pts []xy, half int) []xy {
	n := len(pts) - 1
	out := make([]xy, len(pts))
	out[0], out[n] = pts[0], pts[n]
	xs := make([]float64, 0, 2*half+1)
	ys := make([]float64, 0, 2*half+1)
	for i := 1; i < n; i++ {
		k := min(half, i, n-i)
		xs, ys = xs[:0], ys[:0]
		for j := i - k; j <= i+k; j++ {
			xs = append(xs, pts[j].X)
			ys = append(ys, pts[j].Y)
		}
		sort.Float64s(xs)
		sort.Float64s(ys)
		out[i] = xy{xs[k], ys[k]}
	}
	return out
}

// fallbackAxis is the axis of the minimum rotated rectangle, for tiny polygons.
func fallbackAxis(poly *geos.Geom, o outline) polyline {
	cs := poly.MinimumRotatedRectangle().ExteriorRing().CoordSeq().ToCoords()
	if len(cs) < 4 {
		return polyline{}
	}
	p := []xy{{cs[0][0], cs[0][1]}, {cs[1][0], cs[1][1]}, {cs[2][0], cs[2][1]}, {cs[3][0], cs[3][1]}}
	if p[0].dist(p[1]) >= p[1].dist(p[2]) {
		return newPolyline([]xy{p[0].lerp(p[3], 0.5), p[1].lerp(p[2], 0.5)})
	}
	return newPolyline([]xy{p[0].lerp(p[1], 0.5), p[3].lerp(p[2], 0.5)})
}

// skeleton is a small weighted undirected graph.
type skeleton struct {
	pts []xy
	adj [][]int
}

func (g *skeleton) add(p xy) int {
	g.pts = append(g.pts, p)
	g.adj = append(g.adj, nil)
	return len(g.pts) - 1
}

func (g *skeleton) link(a, b int) {
	if a == b {
		return
	}
	g.adj[a] = append(g.adj[a], b)
	g.adj[b] = append(g.adj[b], a)
}

// farthest runs Dijkstra from src and returns the farthest reached node and the
// predecessor array (-1 at src and at unreached nodes).
func (g *skeleton) farthest(src int) (int, []int) {
	dist := make([]float64, len(g.pts))
	prev := make([]int, len(g.pts))
	for i := range dist {
		dist[i] = math.Inf(1)
		prev[i] = -1
	}
	dist[src] = 0
	q := &pq{{src, 0}}
	best := src
	for q.Len() > 0 {
		it := heap.Pop(q).(pqItem)
		if it.d > dist[it.n] {
			continue
		}
		if it.d > dist[best] {
			best = it.n
		}
		for _, m := range g.adj[it.n] {
			if d := it.d + g.pts[it.n].dist(g.pts[m]); d < dist[m] {
				dist[m] = d
				prev[m] = it.n
				heap.Push(q, pqItem{m, d})
			}
		}
	}
	return best, prev
}

type pqItem struct {
	n int
	d float64
}

type pq []pqItem

func (q pq) Len() int           { return len(q) }
func (q pq) Less(i, j int) bool { return q[i].d < q[j].d }
func (q pq) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)        { *q = append(*q, x.(pqItem)) }
func (q *pq) Pop() any          { old := *q; it := old[len(old)-1]; *q = old[:len(old)-1]; return it }
