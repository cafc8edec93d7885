package synth

import (
	"math"

	"github.com/paulmach/orb"
)

// region is a set of polygons in the metric frame with cached bounds, for fast
// point-in-polygon and distance tests.
type region struct {
	polys []mpoly
}

type mpoly struct {
	rings []orb.Ring
	b     orb.Bound
}

func newRegion(f frame, mps ...orb.MultiPolygon) *region {
	r := &region{}
	for _, mp := range mps {
		for _, p := range mp {
			var q mpoly
			for _, ring := range p {
				mr := make(orb.Ring, len(ring))
				for i, pt := range ring {
					mr[i] = f.fwd(pt)
				}
				q.rings = append(q.rings, mr)
			}
			q.b = q.rings[0].Bound()
			r.polys = append(r.polys, q)
		}
	}
	return r
}

// contains reports whether p lies inside any polygon (even-odd rule over its rings).
func (r *region) contains(p orb.Point) bool {
	for i := range r.polys {
		q := &r.polys[i]
		if !q.b.Contains(p) {
			continue
		}
		in := false
		for _, ring := range q.rings {
			if ringContains(ring, p) {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	n := len(r)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// boundaryDist is the distance from p to the nearest ring edge of any polygon.
func (r *region) boundaryDist(p orb.Point) float64 {
	best := math.Inf(1)
	for i := range r.polys {
		q := &r.polys[i]
		if dx := math.Max(q.b.Min[0]-p[0], p[0]-q.b.Max[0]); dx > best {
			continue
		}
		if dy := math.Max(q.b.Min[1]-p[1], p[1]-q.b.Max[1]); dy > best {
			continue
		}
		for _, ring := range q.rings {
			for k := 1; k < len(ring); k++ {
				if d := segDist(ring[k-1], ring[k], p); d < best {
					best = d
				}
			}
		}
	}
	return best
}

// holds reports whether p and the four points margin metres east, west, north and south
// of it all lie inside the region.
func (r *region) holds(p orb.Point, margin float64) bool {
	if !r.contains(p) {
		return false
	}
	if margin <= 0 {
		return true
	}
	for _, d := range [4][2]float64{{margin, 0}, {-margin, 0}, {0, margin}, {0, -margin}} {
		if !r.contains(orb.Point{p[0] + d[0], p[1] + d[1]}) {
			return false
		}
	}
	return true
}

func segDist(a, b, p orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	ex, ey := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return math.Sqrt(ex*ex + ey*ey)
}

// polyline helpers in the metric frame.

func lineDist(l []orb.Point, p orb.Point) float64 {
	best := math.Inf(1)
	for k := 1; k < len(l); k++ {
		if d := segDist(l[k-1], l[k], p); d < best {
			best = d
		}
	}
	return best
}

// segCross reports whether segments ab and cd properly intersect, and where along cd (0–1).
func segCross(a, b, c, d orb.Point) (bool, float64) {
	r := orb.Point{b[0] - a[0], b[1] - a[1]}
	s := orb.Point{d[0] - c[0], d[1] - c[1]}
	den := r[0]*s[1] - r[1]*s[0]
	if den == 0 {
		return false, 0
	}
	qp := orb.Point{c[0] - a[0], c[1] - a[1]}
	t := (qp[0]*s[1] - qp[1]*s[0]) / den
	u := (qp[0]*r[1] - qp[1]*r[0]) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return false, 0
	}
	return true, u
}

// densify returns points along l no more than step metres apart, with their arc lengths.
func densify(l []orb.Point, step float64) ([]orb.Point, []float64) {
	if len(l) == 0 {
		return nil, nil
	}
	pts := []orb.Point{l[0]}
	arc := []float64{0}
	s := 0.0
	for k := 1; k < len(l); k++ {
		a, b := l[k-1], l[k]
		d := math.Hypot(b[0]-a[0], b[1]-a[1])
		n := int(math.Ceil(d / step))
		for m := 1; m <= n; m++ {
			t := float64(m) / float64(n)
			pts = append(pts, orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
			arc = append(arc, s+t*d)
		}
		s += d
	}
	return pts, arc
}

// longestRun returns the index range [i, j] of the longest run of consecutive ok points.
func longestRun(ok []bool) (int, int) {
	bi, bj, start := -1, -2, -1
	for i, v := range ok {
		if v {
			if start < 0 {
				start = i
			}
			if i-start > bj-bi {
				bi, bj = start, i
			}
		} else {
			start = -1
		}
	}
	return bi, bj
}
