package synth

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/paulmach/orb"
)

// The design of central Baotou at scale 1, in metres east/north of the reference point
// 109.935° E, 40.625° N. Below scale 1 every position shrinks by sqrt(scale) toward the
// reference point, so even a tiny test city has all four clusters, both barriers, every
// corridor and every defect; above scale 1 the positions stay and the clusters grow.
var (
	refLon, refLat = 109.935, 40.625
	clusters       = []struct {
		name   string
		c      orb.Point
		ax, ay float64
	}{
		{"昆都仑组团", orb.Point{-8400, 2400}, 3400, 2700},
		{"青山组团", orb.Point{-2300, 3000}, 3200, 2500},
		{"九原组团", orb.Point{3600, -800}, 3000, 2300},
		{"东河组团", orb.Point{9000, -3800}, 3000, 2400},
	}
	railwayDesign = []orb.Point{{-60000, 1100}, {-20000, 900}, {-6000, 700}, {1500, 900}, {6000, -600}, {12000, -2200}, {20000, -3000}, {60000, -4000}}
	kriverDesign  = []orb.Point{{-11600, 40000}, {-11000, 12000}, {-10600, 6000}, {-11200, 1500}, {-10400, -3000}, {-10000, -9000}, {-9500, -40000}}
)

const (
	perCommunityScale1 = 400  // urban superblocks at scale 1 (one or two per community)
	riverClearance     = 1600 // metres between the Yellow River and any urban superblock
	maskMargin         = 80   // metres every generated vertex keeps from the mask's edge
)

type super struct {
	I, J     int
	c        orb.Point
	mask     int8 // 0 unknown, 1 usable, -1 not
	urban    bool
	ring     int // Chebyshev distance in superblocks from the urban area; -1 beyond 8
	dn       float64
	cluster  int
	district int
	comm     int
	cells    [sub * sub]uint8
	partial  [sub * sub]float32 // for cPartial cells: the v-fraction kept free
}

// cell kinds
const (
	cFree uint8 = iota
	cPark
	cGreen
	cBarrier
	cPartial
)

type gen struct {
	ctx   context.Context
	p     Params
	seed  uint64
	fr    frame
	lat   *lattice
	g, f  float64
	mask  *region
	city  *region
	dists []*region
	info  []Outline
	river []orb.Point

	supers []*super
	urban  []*super // in (J, I) order
	comms  []*commM
	parkOK map[int]bool // communities with a 社区游园 of the checklist
	cx, cy float64      // urban centroid

	railway, kriver []orb.Point
	names           *namer
	rnd             *rand.Rand

	out City
}

func (g *gen) at(I, J int) *super {
	if I < 0 || J < 0 || I >= nSupers || J >= nSupers {
		return nil
	}
	k := I*nSupers + J
	s := g.supers[k]
	if s == nil {
		c0, c1 := g.lat.node(I*sub, J*sub), g.lat.node(I*sub+sub, J*sub)
		c2, c3 := g.lat.node(I*sub+sub, J*sub+sub), g.lat.node(I*sub, J*sub+sub)
		s = &super{I: I, J: J, ring: -1, district: -1, comm: -1,
			c: orb.Point{(c0[0] + c1[0] + c2[0] + c3[0]) / 4, (c0[1] + c1[1] + c2[1] + c3[1]) / 4}}
		g.supers[k] = s
	}
	return s
}

// usable reports whether the whole superblock keeps maskMargin inside the mask and stays
// north of the Yellow River by riverClearance. Memoised.
func (g *gen) usable(s *super) bool {
	if s.mask != 0 {
		return s.mask > 0
	}
	ok := g.riverOK(s.c)
	if ok {
		if !g.mask.contains(s.c) {
			ok = false
		} else if g.mask.boundaryDist(s.c) < 480+maskMargin {
			for _, p := range g.lat.rangeRing(s.I*sub, s.J*sub, s.I*sub+sub, s.J*sub+sub, 0) {
				if !g.mask.holds(p, maskMargin) {
					ok = false
					break
				}
			}
		}
	}
	s.mask = -1
	if ok {
		s.mask = 1
	}
	return ok
}

// riverOK: at least riverClearance from the river and on its north (left) side.
func (g *gen) riverOK(p orb.Point) bool {
	best, bk := math.Inf(1), 0
	for k := 1; k < len(g.river); k++ {
		if d := segDist(g.river[k-1], g.river[k], p); d < best {
			best, bk = d, k
		}
	}
	if best < riverClearance {
		return false
	}
	a, b := g.river[bk-1], g.river[bk]
	return (b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]) > 0
}

func (g *gen) design(p orb.Point) orb.Point { return orb.Point{p[0] * g.g, p[1] * g.g} }

// clusterOf returns the cluster whose (scaled) ellipse holds p best and the normalised
// ellipse distance (< 1 inside).
func (g *gen) clusterOf(p orb.Point) (int, float64) {
	best, bk := math.Inf(1), 0
	for k, c := range clusters {
		cc := g.design(c.c)
		dx, dy := (p[0]-cc[0])/(c.ax*g.f), (p[1]-cc[1])/(c.ay*g.f)
		if d := math.Sqrt(dx*dx + dy*dy); d < best {
			best, bk = d, k
		}
	}
	return bk, best
}

// selectUrban picks the urban superblocks: inside a cluster ellipse and usable, with the
// radius factor tuned until their number is close to the target, then joined into one
// 4-connected piece.
func (g *gen) selectUrban() {
	target := int(math.Max(6, math.Round(perCommunityScale1*g.p.Scale)))
	g.f = g.g
	if g.p.Scale > 1 {
		g.f = math.Sqrt(g.p.Scale)
	}
	var chosen []*super
	for it := 0; it < 8; it++ {
		chosen = g.candidates()
		n := len(chosen)
		if n == 0 {
			g.f *= 1.5
			continue
		}
		if math.Abs(float64(n-target)) <= 0.015*float64(target)+1 {
			break
		}
		g.f *= math.Max(0.7, math.Min(1.5, math.Sqrt(float64(target)/float64(n))))
	}
	for _, s := range chosen {
		s.urban = true
	}
	g.connect()
	g.urban = g.urban[:0]
	for J := 0; J < nSupers; J++ {
		for I := 0; I < nSupers; I++ {
			if s := g.supers[I*nSupers+J]; s != nil && s.urban {
				g.urban = append(g.urban, s)
			}
		}
	}
	for _, s := range g.urban {
		s.cluster, s.dn = g.clusterOf(s.c)
		g.cx += s.c[0] / float64(len(g.urban))
		g.cy += s.c[1] / float64(len(g.urban))
	}
}

func (g *gen) candidates() []*super {
	for _, s := range g.supers {
		if s != nil {
			s.urban = false
		}
	}
	// Bounding box of the ellipses in superblock indices (arterial spacing ≥ 400 m).
	minx, maxx, miny, maxy := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, c := range clusters {
		cc := g.design(c.c)
		minx, maxx = math.Min(minx, cc[0]-c.ax*g.f), math.Max(maxx, cc[0]+c.ax*g.f)
		miny, maxy = math.Min(miny, cc[1]-c.ay*g.f), math.Max(maxy, cc[1]+c.ay*g.f)
	}
	i0, i1 := g.superIndex(g.lat.xs, minx-800), g.superIndex(g.lat.xs, maxx+800)
	j0, j1 := g.superIndex(g.lat.ys, miny-800), g.superIndex(g.lat.ys, maxy+800)
	var out []*super
	for J := j0; J <= j1; J++ {
		for I := i0; I <= i1; I++ {
			s := g.at(I, J)
			if s == nil {
				continue
			}
			if _, d := g.clusterOf(s.c); d <= 1 && g.usable(s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func (g *gen) superIndex(lines []float64, v float64) int {
	k := sort.SearchFloat64s(lines, v) / sub
	return max(0, min(nSupers-1, k))
}

// connect joins the urban superblocks into one 4-connected set by adding straight runs of
// usable superblocks between the largest piece and each other piece; a piece that cannot be
// joined is dropped.
func (g *gen) connect() {
	for round := 0; round < 64; round++ {
		comps := g.components()
		if len(comps) <= 1 {
			return
		}
		big := comps[0]
		other := comps[1]
		var ba, bb *super
		bd := math.MaxInt
		for _, a := range big {
			for _, b := range other {
				if d := abs(a.I-b.I) + abs(a.J-b.J); d < bd {
					bd, ba, bb = d, a, b
				}
			}
		}
		if !g.link(ba, bb, true) && !g.link(ba, bb, false) {
			for _, s := range other {
				s.urban = false
			}
		}
	}
}

func (g *gen) link(a, b *super, iFirst bool) bool {
	var path []*super
	I, J := a.I, a.J
	step := func(di, dj int) bool {
		I, J = I+di, J+dj
		s := g.at(I, J)
		if s == nil || !g.usable(s) {
			return false
		}
		path = append(path, s)
		return true
	}
	move := func(horizontal bool) bool {
		for (horizontal && I != b.I) || (!horizontal && J != b.J) {
			di, dj := 0, 0
			if horizontal {
				di = sign(b.I - I)
			} else {
				dj = sign(b.J - J)
			}
			if !step(di, dj) {
				return false
			}
		}
		return true
	}
	if !move(iFirst) || !move(!iFirst) {
		return false
	}
	for _, s := range path {
		s.urban = true
	}
	return true
}

// components returns the 4-connected pieces of the urban set, largest first (ties: the
// piece holding the lowest (J, I) superblock first).
func (g *gen) components() [][]*super {
	seen := map[*super]bool{}
	var comps [][]*super
	for J := 0; J < nSupers; J++ {
		for I := 0; I < nSupers; I++ {
			s := g.supers[I*nSupers+J]
			if s == nil || !s.urban || seen[s] {
				continue
			}
			comp := []*super{s}
			seen[s] = true
			for q := 0; q < len(comp); q++ {
				c := comp[q]
				for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					n := g.existing(c.I+d[0], c.J+d[1])
					if n != nil && n.urban && !seen[n] {
						seen[n] = true
						comp = append(comp, n)
					}
				}
			}
			comps = append(comps, comp)
		}
	}
	sort.SliceStable(comps, func(a, b int) bool { return len(comps[a]) > len(comps[b]) })
	return comps
}

func (g *gen) existing(I, J int) *super {
	if I < 0 || J < 0 || I >= nSupers || J >= nSupers {
		return nil
	}
	return g.supers[I*nSupers+J]
}

// rings sets each superblock's Chebyshev distance from the urban area, up to 8.
func (g *gen) rings() {
	front := append([]*super(nil), g.urban...)
	for _, s := range front {
		s.ring = 0
	}
	for r := 1; r <= 8; r++ {
		var next []*super
		for _, s := range front {
			for di := -1; di <= 1; di++ {
				for dj := -1; dj <= 1; dj++ {
					n := g.at(s.I+di, s.J+dj)
					if n != nil && n.ring < 0 {
						n.ring = r
						next = append(next, n)
					}
				}
			}
		}
		front = next
	}
}

// districtOf is the index of the district whose outline holds p, or the nearest one.
func (g *gen) districtOf(p orb.Point) int {
	for k, d := range g.dists {
		if d.contains(p) {
			return k
		}
	}
	best, bk := math.Inf(1), 0
	for k, d := range g.dists {
		if v := d.boundaryDist(p); v < best {
			best, bk = v, k
		}
	}
	return bk
}

// ringSupers lists the usable superblocks at ring distance lo..hi in (J, I) order.
func (g *gen) ringSupers(lo, hi int) []*super {
	var out []*super
	for J := 0; J < nSupers; J++ {
		for I := 0; I < nSupers; I++ {
			s := g.supers[I*nSupers+J]
			if s != nil && s.ring >= lo && s.ring <= hi && g.usable(s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
