package checks

import (
	"math"

	"github.com/twpayne/go-geos"
)

// Planar helpers in the city's metric CRS (metres). They are small and exact enough for
// measuring widths along a corridor without a GEOS call per station.

type xy struct{ X, Y float64 }

func (a xy) sub(b xy) xy             { return xy{a.X - b.X, a.Y - b.Y} }
func (a xy) add(b xy) xy             { return xy{a.X + b.X, a.Y + b.Y} }
func (a xy) scale(k float64) xy      { return xy{a.X * k, a.Y * k} }
func (a xy) dot(b xy) float64        { return a.X*b.X + a.Y*b.Y }
func (a xy) cross(b xy) float64      { return a.X*b.Y - a.Y*b.X }
func (a xy) norm() float64           { return math.Hypot(a.X, a.Y) }
func (a xy) dist(b xy) float64       { return math.Hypot(a.X-b.X, a.Y-b.Y) }
func (a xy) coords() []float64       { return []float64{a.X, a.Y} }
func (a xy) lerp(b xy, t float64) xy { return xy{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t} }

func (a xy) unit() xy {
	n := a.norm()
	if n == 0 {
		return xy{}
	}
	return xy{a.X / n, a.Y / n}
}

type segment struct{ A, B xy }

// outline is the boundary of one polygon (shell and holes) as segments.
type outline []segment

// outlineOf returns the segments of every ring of a Polygon or MultiPolygon.
func outlineOf(g *geos.Geom) outline {
	var out outline
	addRing := func(r *geos.Geom) {
		cs := r.CoordSeq().ToCoords()
		for i := 1; i < len(cs); i++ {
			out = append(out, segment{xy{cs[i-1][0], cs[i-1][1]}, xy{cs[i][0], cs[i][1]}})
		}
	}
	forEachPolygon(g, func(p *geos.Geom) {
		addRing(p.ExteriorRing())
		for i := 0; i < p.NumInteriorRings(); i++ {
			addRing(p.InteriorRing(i))
		}
	})
	return out
}

// forEachPolygon calls f for every polygon in g (a Polygon, MultiPolygon or collection).
func forEachPolygon(g *geos.Geom, f func(p *geos.Geom)) {
	if g == nil || g.IsEmpty() {
		return
	}
	switch g.TypeID() {
	case geos.TypeIDPolygon:
		f(g)
	case geos.TypeIDMultiPolygon, geos.TypeIDGeometryCollection:
		for i := 0; i < g.NumGeometries(); i++ {
			forEachPolygon(g.Geometry(i), f)
		}
	}
}

// distance returns the distance from p to the nearest segment of o.
func (o outline) distance(p xy) float64 {
	best := math.Inf(1)
	for _, s := range o {
		if d := pointSegmentDistance(p, s); d < best {
			best = d
		}
	}
	return best
}

func pointSegmentDistance(p xy, s segment) float64 {
	d := s.B.sub(s.A)
	l2 := d.dot(d)
	if l2 == 0 {
		return p.dist(s.A)
	}
	t := math.Max(0, math.Min(1, p.sub(s.A).dot(d)/l2))
	return p.dist(s.A.add(d.scale(t)))
}

// chord returns the signed distances along the unit direction n from p to the nearest
// boundary crossing on each side: lo < 0 < hi. The clear width at p across n is hi-lo.
// ok is false when p is on the boundary or a side has no crossing (p outside).
func (o outline) chord(p, n xy) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	for _, s := range o {
		// Solve p + t·n = A + u·(B−A), 0 ≤ u ≤ 1.
		e := s.B.sub(s.A)
		den := n.cross(e)
		if den == 0 {
			continue // parallel: the neighbouring segments bound the chord
		}
		w := s.A.sub(p)
		t := w.cross(e) / den
		u := w.cross(n) / den
		if u < 0 || u > 1 {
			continue
		}
		if t > 0 && t < hi {
			hi = t
		} else if t < 0 && t > lo {
			lo = t
		} else if t == 0 {
			return 0, 0, false
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, false
	}
	return lo, hi, true
}

// ray returns the distance from p along the unit direction d to the first boundary crossing,
// or +Inf when there is none.
func (o outline) ray(p, d xy) float64 {
	_, hi, ok := o.chord(p, d)
	if !ok {
		return math.Inf(1)
	}
	return hi
}

// polyline is a line with cumulative arc lengths, for stationing along a centreline.
type polyline struct {
	pts []xy
	cum []float64
}

func newPolyline(pts []xy) polyline {
	// Drop repeated points so every segment has a direction.
	clean := pts[:0:0]
	for _, p := range pts {
		if len(clean) == 0 || clean[len(clean)-1].dist(p) > 1e-9 {
			clean = append(clean, p)
		}
	}
	cum := make([]float64, len(clean))
	for i := 1; i < len(clean); i++ {
		cum[i] = cum[i-1] + clean[i].dist(clean[i-1])
	}
	return polyline{pts: clean, cum: cum}
}

func (l polyline) length() float64 {
	if len(l.cum) == 0 {
		return 0
	}
	return l.cum[len(l.cum)-1]
}

// at returns the point at arc length s (clamped to the line).
func (l polyline) at(s float64) xy {
	n := len(l.pts)
	if n == 0 {
		return xy{}
	}
	if s <= 0 || n == 1 {
		return l.pts[0]
	}
	if s >= l.length() {
		return l.pts[n-1]
	}
	i := l.segmentAt(s)
	seg := l.cum[i+1] - l.cum[i]
	return l.pts[i].lerp(l.pts[i+1], (s-l.cum[i])/seg)
}

// segmentAt returns i such that cum[i] ≤ s < cum[i+1].
func (l polyline) segmentAt(s float64) int {
	lo, hi := 0, len(l.cum)-1
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if l.cum[m] <= s {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// sub returns the part of the line between arc lengths a and b.
func (l polyline) sub(a, b float64) []xy {
	if a > b {
		a, b = b, a
	}
	out := []xy{l.at(a)}
	for i, c := range l.cum {
		if c > a && c < b {
			out = append(out, l.pts[i])
		}
	}
	return append(out, l.at(b))
}

// tangent returns the unit direction of the line around s, taken over a window of ±h so
// that the small zigzags of a skeleton do not tilt the cross-sections.
func (l polyline) tangent(s, h float64) xy {
	a := math.Max(0, s-h)
	b := math.Min(l.length(), s+h)
	return l.at(b).sub(l.at(a)).unit()
}

func coordsOf(pts []xy) [][]float64 {
	out := make([][]float64, len(pts))
	for i, p := range pts {
		out[i] = p.coords()
	}
	return out
}
