package synth

import (
	"math"

	"github.com/paulmach/orb"
)

// The street lattice. Arterial lines lie 400–600 m apart in both directions; every arterial
// interval is split by two branch roads and each branch interval by two alleys, so there
// are sub = 9 cells of about 55 m across an arterial interval. A node (i, j) is where x-line
// i meets y-line j; its position is the grid point warped by a smooth field (curved roads)
// plus a small jitter on alley lines (irregular blocks). Every position is a pure function
// of the seed and (i, j), so shared vertices are identical wherever they are used.

const (
	sub        = 9   // cells per arterial interval
	halfSupers = 130 // arterial intervals each side of the origin
	nSupers    = 2 * halfSupers
	nLines     = nSupers*sub + 1
	lvArterial = 0
	lvBranch   = 1
	lvAlley    = 2
)

type lattice struct {
	seed   uint64
	xs, ys []float64 // line positions, metres
	lx, ly []uint8   // line levels
	warp   [8]float64
}

func newLattice(seed uint64) *lattice {
	l := &lattice{seed: seed}
	l.xs, l.lx = lines(seed, tagLinesX, tagSubX)
	l.ys, l.ly = lines(seed, tagLinesY, tagSubY)
	r := stream(seed, tagWarp, 0, 0)
	for k := range l.warp {
		l.warp[k] = r.Float64() * 2 * math.Pi
	}
	return l
}

// lines places the arterial lines outward from 0 and subdivides each interval.
func lines(seed, tagA, tagS uint64) ([]float64, []uint8) {
	art := make([]float64, nSupers+1)
	pos, neg := stream(seed, tagA, 1, 0), stream(seed, tagA, -1, 0)
	art[halfSupers] = 0
	for k := halfSupers; k < nSupers; k++ {
		art[k+1] = art[k] + uniform(pos, 400, 600)
	}
	for k := halfSupers; k > 0; k-- {
		art[k-1] = art[k] - uniform(neg, 400, 600)
	}
	xs := make([]float64, nLines)
	lv := make([]uint8, nLines)
	for k := 0; k < nSupers; k++ {
		r := stream(seed, tagS, k, 0)
		b1, b2 := uniform(r, 0.29, 0.38), uniform(r, 0.62, 0.71)
		fr := [sub]float64{0,
			b1 * uniform(r, 0.28, 0.38), b1 * uniform(r, 0.62, 0.72), b1,
			b1 + (b2-b1)*uniform(r, 0.28, 0.38), b1 + (b2-b1)*uniform(r, 0.62, 0.72), b2,
			b2 + (1-b2)*uniform(r, 0.28, 0.38), b2 + (1-b2)*uniform(r, 0.62, 0.72)}
		w := art[k+1] - art[k]
		for m := 0; m < sub; m++ {
			xs[k*sub+m] = art[k] + fr[m]*w
			switch {
			case m == 0:
				lv[k*sub+m] = lvArterial
			case m%3 == 0:
				lv[k*sub+m] = lvBranch
			default:
				lv[k*sub+m] = lvAlley
			}
		}
	}
	xs[nLines-1] = art[nSupers]
	lv[nLines-1] = lvArterial
	return xs, lv
}

// node is the metric position of lattice node (i, j).
func (l *lattice) node(i, j int) orb.Point {
	x, y := l.xs[i], l.ys[j]
	w := &l.warp
	dx := 32*math.Sin(2*math.Pi*y/2700+w[0]) + 18*math.Sin(2*math.Pi*(x+y)/4100+w[1])
	dy := 32*math.Sin(2*math.Pi*x/3100+w[2]) + 18*math.Sin(2*math.Pi*(x-y)/3700+w[3])
	if l.lx[i] == lvAlley {
		dx += 10 * (unit(l.seed, tagJitter, i, j) - 0.5)
	}
	if l.ly[j] == lvAlley {
		dy += 10 * (unit(l.seed, tagJitter, j, -i-1) - 0.5)
	}
	return orb.Point{x + dx, y + dy}
}

func unitVec(a, b orb.Point) orb.Point {
	dx, dy := b[0]-a[0], b[1]-a[1]
	d := math.Hypot(dx, dy)
	return orb.Point{dx / d, dy / d}
}

// rangeRing is the closed counter-clockwise ring around cells [i0, i1) × [j0, j1), through
// every boundary node, each moved inward by inset metres along the lattice directions.
// With inset 0 neighbouring ranges share their vertices exactly.
func (l *lattice) rangeRing(i0, j0, i1, j1 int, inset float64) orb.Ring {
	pt := func(i, j int) orb.Point {
		p := l.node(i, j)
		if inset == 0 {
			return p
		}
		var s orb.Point
		if j == j0 {
			u := unitVec(p, l.node(i, j+1))
			s[0], s[1] = s[0]+u[0], s[1]+u[1]
		}
		if j == j1 {
			u := unitVec(p, l.node(i, j-1))
			s[0], s[1] = s[0]+u[0], s[1]+u[1]
		}
		if i == i0 {
			u := unitVec(p, l.node(i+1, j))
			s[0], s[1] = s[0]+u[0], s[1]+u[1]
		}
		if i == i1 {
			u := unitVec(p, l.node(i-1, j))
			s[0], s[1] = s[0]+u[0], s[1]+u[1]
		}
		return orb.Point{p[0] + inset*s[0], p[1] + inset*s[1]}
	}
	r := make(orb.Ring, 0, 2*(i1-i0+j1-j0)+1)
	for i := i0; i <= i1; i++ {
		r = append(r, pt(i, j0))
	}
	for j := j0 + 1; j <= j1; j++ {
		r = append(r, pt(i1, j))
	}
	for i := i1 - 1; i >= i0; i-- {
		r = append(r, pt(i, j1))
	}
	for j := j1 - 1; j > j0; j-- {
		r = append(r, pt(i0, j))
	}
	return append(r, r[0])
}

// quad is the four corners of a cell range (c00, c10, c11, c01), moved inward by inset.
type quad [4]orb.Point

func (l *lattice) cellQuad(i0, j0, i1, j1 int, inset float64) quad {
	r := l.rangeRing(i0, j0, i1, j1, inset)
	nx, ny := i1-i0, j1-j0
	return quad{r[0], r[nx], r[nx+ny], r[2*nx+ny]}
}

// at is the bilinear point (u, v) of the quad.
func (q quad) at(u, v float64) orb.Point {
	a := orb.Point{q[0][0] + u*(q[1][0]-q[0][0]), q[0][1] + u*(q[1][1]-q[0][1])}
	b := orb.Point{q[3][0] + u*(q[2][0]-q[3][0]), q[3][1] + u*(q[2][1]-q[3][1])}
	return orb.Point{a[0] + v*(b[0]-a[0]), a[1] + v*(b[1]-a[1])}
}

// sub returns the ring of the quad's sub-rectangle [u0, u1] × [v0, v1] (bilinear).
func (q quad) sub(u0, v0, u1, v1 float64) orb.Ring {
	return orb.Ring{q.at(u0, v0), q.at(u1, v0), q.at(u1, v1), q.at(u0, v1), q.at(u0, v0)}
}

func (q quad) centre() orb.Point { return q.at(0.5, 0.5) }

// ringArea is the absolute shoelace area.
func ringArea(r orb.Ring) float64 {
	s := 0.0
	for k := 1; k < len(r); k++ {
		s += r[k-1][0]*r[k][1] - r[k][0]*r[k-1][1]
	}
	return math.Abs(s) / 2
}
