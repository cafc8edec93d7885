package coverage

import (
	"math"

	"github.com/paulmach/orb"
)

// The network method spends most of its per-parcel time on one small overlay,
// parcel ∩ S_t. Most parcels are convex (a block, a plot), and the area of a polygon
// clipped by a convex one needs no overlay: Sutherland–Hodgman clipping of each ring
// against the parcel's edges gives a ring whose signed (shoelace) area is exactly that of
// the ring's interior inside the parcel — the degenerate edges it leaves along the
// parcel's boundary enclose no area. So area(parcel ∩ S) = Σ shells − Σ holes of the
// clipped rings, in pure Go and without a cgo call.

// convexRing returns the parcel's single ring when the parcel is one convex polygon
// without holes, counter-clockwise, and false otherwise.
func convexRing(mp orb.MultiPolygon) (orb.Ring, bool) {
	if len(mp) != 1 || len(mp[0]) != 1 || len(mp[0][0]) < 4 {
		return nil, false
	}
	r := mp[0][0]
	n := len(r) - 1 // closed ring: r[n] == r[0]
	if r[n] != r[0] {
		return nil, false
	}
	sign := 0.0
	for i := 0; i < n; i++ {
		a, b, c := r[i], r[(i+1)%n], r[(i+2)%n]
		cr := (b[0]-a[0])*(c[1]-b[1]) - (b[1]-a[1])*(c[0]-b[0])
		switch {
		case cr == 0:
		case sign == 0:
			sign = cr
		case (cr > 0) != (sign > 0):
			return nil, false
		}
	}
	if sign == 0 {
		return nil, false
	}
	if sign < 0 {
		rev := make(orb.Ring, len(r))
		for i := range r {
			rev[i] = r[len(r)-1-i]
		}
		return rev, true
	}
	return r, true
}

// ringBox is a ring of the covered surface with its bounding box.
type ringBox struct {
	r    orb.Ring
	b    box
	hole bool
}

func ringBoxes(mp orb.MultiPolygon, dst []ringBox) []ringBox {
	for _, p := range mp {
		for k, r := range p {
			dst = append(dst, ringBox{r: r, b: boxOf(r.Bound()), hole: k > 0})
		}
	}
	return dst
}

// clippedArea returns area(S ∩ C) for the surface S given by its rings and the convex,
// counter-clockwise ring C with box cb. buf is scratch space.
func clippedArea(rings []ringBox, c orb.Ring, cb box, buf *[2][]orb.Point) float64 {
	total := 0.0
	for k := range rings {
		rb := &rings[k]
		if !rb.b.intersects(cb) {
			continue
		}
		a := ringArea(clipConvex(rb.r, c, buf))
		if rb.hole {
			total -= math.Abs(a)
		} else {
			total += math.Abs(a)
		}
	}
	return max(total, 0)
}

// clipConvex clips the closed ring r by the convex counter-clockwise closed ring c
// (Sutherland–Hodgman) and returns the result as an open point list relative to c[0]:
// moving the origin next to the points is exact (the coordinates differ by far less than
// their magnitude) and keeps the shoelace products small, so the area keeps its digits.
func clipConvex(r orb.Ring, c orb.Ring, buf *[2][]orb.Point) []orb.Point {
	o := c[0]
	in := (*buf)[0][:0]
	for _, p := range r[:len(r)-1] {
		in = append(in, orb.Point{p[0] - o[0], p[1] - o[1]})
	}
	out := (*buf)[1][:0]
	for i := 0; i+1 < len(c) && len(in) > 0; i++ {
		a, b := orb.Point{c[i][0] - o[0], c[i][1] - o[1]}, orb.Point{c[i+1][0] - o[0], c[i+1][1] - o[1]}
		ex, ey := b[0]-a[0], b[1]-a[1]
		side := func(p orb.Point) float64 { return ex*(p[1]-a[1]) - ey*(p[0]-a[0]) }
		out = out[:0]
		prev := in[len(in)-1]
		sp := side(prev)
		for _, cur := range in {
			sc := side(cur)
			if sc >= 0 {
				if sp < 0 {
					out = append(out, cut(prev, cur, sp, sc))
				}
				out = append(out, cur)
			} else if sp >= 0 {
				out = append(out, cut(prev, cur, sp, sc))
			}
			prev, sp = cur, sc
		}
		in, out = out, in
	}
	(*buf)[0], (*buf)[1] = in, out
	return in
}

func cut(p, q orb.Point, sp, sq float64) orb.Point {
	t := sp / (sp - sq)
	return orb.Point{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])}
}

// ringArea is the signed shoelace area of an open or closed point list.
func ringArea(r []orb.Point) float64 {
	if len(r) < 3 {
		return 0
	}
	s := 0.0
	prev := r[len(r)-1]
	for _, p := range r {
		s += prev[0]*p[1] - p[0]*prev[1]
		prev = p
	}
	return s / 2
}
