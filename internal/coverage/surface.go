package coverage

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// pointOnSurface returns a point inside mp: the midpoint of the widest interior stretch of
// the horizontal line through the middle of the largest polygon's bounding box (the
// algorithm of JTS/GEOS InteriorPointArea, in pure Go so that assigning 50 000 parcels
// costs no cgo calls). For a convex or rectangular parcel it is the centre of the widest
// horizontal chord at mid-height.
func pointOnSurface(mp orb.MultiPolygon) (orb.Point, bool) {
	var best orb.Point
	bestW := -1.0
	for _, p := range mp {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		b := p[0].Bound()
		y := (b.Min[1] + b.Max[1]) / 2
		// Avoid a scan line through a vertex: use the midpoint between the two vertex
		// ordinates nearest to y on either side, as JTS does.
		lo, hi := b.Min[1], b.Max[1]
		for _, r := range p {
			for _, q := range r {
				if q[1] <= y && q[1] > lo {
					lo = q[1]
				}
				if q[1] > y && q[1] < hi {
					hi = q[1]
				}
			}
		}
		y = (lo + hi) / 2
		var xs []float64
		for _, r := range p {
			for i := 0; i+1 < len(r); i++ {
				a, c := r[i], r[i+1]
				if (a[1] > y) != (c[1] > y) {
					xs = append(xs, a[0]+(y-a[1])*(c[0]-a[0])/(c[1]-a[1]))
				}
			}
		}
		sort.Float64s(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			if w := xs[i+1] - xs[i]; w > bestW {
				bestW = w
				best = orb.Point{(xs[i] + xs[i+1]) / 2, y}
			}
		}
	}
	return best, bestW >= 0 && !math.IsNaN(best[0])
}
