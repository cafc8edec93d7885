package synth

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Barriers, ecological corridors, growth boundaries, the red line and farmland.

const (
	barrierClear = 50.0 // cells whose centre is nearer a barrier stay unbuilt
	railwayName  = "京包铁路(示例走向)"
	kriverName   = "昆都仑河(示例河道)"
)

func (g *gen) scaledLine(l []orb.Point) []orb.Point {
	out := make([]orb.Point, len(l))
	for i, p := range l {
		out[i] = g.design(p)
	}
	return out
}

// corridor is one corridor being built, in the metric frame.
type corridor struct {
	name, kind string
	width      float64
	axis       []orb.Point // densified axis (the usable run)
	arc        []float64
	defect     int // 0 none, 1 narrow place, 2 broken
	narrowW    float64
	gapM       float64
	at         float64     // arc length of the pinch or gap
	coarse     []orb.Point // every 8th axis point (200 m), for fast cell marking
	coarseArc  []float64
	box        orb.Bound // of the axis, grown by the width
}

const (
	defNone = iota
	defNarrow
	defBroken
)

// corridors lays out the corridors (the Yellow River one is built by the loader in SQL from
// the real river line) and marks the cells they cover.
func (g *gen) corridors() []*corridor {
	f := g.f
	seam := func(a, b int) []orb.Point {
		ca, cb := g.design(clusters[a].c), g.design(clusters[b].c)
		ra, rb := clusters[a].ax, clusters[b].ax
		m := orb.Point{ca[0] + (cb[0]-ca[0])*ra/(ra+rb), ca[1] + (cb[1]-ca[1])*ra/(ra+rb)}
		d := unitVec(ca, cb)
		n := orb.Point{-d[1], d[0]}
		L := 0.9 * math.Min(clusters[a].ay, clusters[b].ay) * f
		return []orb.Point{{m[0] - n[0]*L, m[1] - n[1]*L}, {m[0] + n[0]*L, m[1] + n[1]*L}}
	}
	k, q := clusters[0], clusters[1]
	kc, qc := g.design(k.c), g.design(q.c)
	yTop := math.Max(kc[1]+k.ay*f, qc[1]+q.ay*f) + 500
	specs := []*corridor{
		{name: "昆都仑—青山生态廊道", kind: "green", width: 160, defect: defNarrow, narrowW: 70},
		{name: "青山—九原生态廊道", kind: "green", width: 140, defect: defNarrow, narrowW: 85},
		{name: "九原—东河生态廊道", kind: "green", width: 200, defect: defBroken, gapM: 150},
		{name: "大青山山前生态廊道", kind: "mountain", width: 300},
		{name: "昆都仑河生态廊道", kind: "river", width: 200},
	}
	lines := [][]orb.Point{seam(0, 1), seam(1, 2), seam(2, 3),
		{{kc[0] - k.ax*f, yTop}, {qc[0] + q.ax*f, yTop}}, g.kriver}
	var out []*corridor
	for i, c := range specs {
		pts, arc := densify(lines[i], 25)
		ok := make([]bool, len(pts))
		for j, p := range pts {
			ok[j] = g.mask.holds(p, c.width/2+maskMargin)
		}
		a, b := longestRun(ok)
		if b-a < 20 {
			continue // no room at this scale; the manifest then lacks it and tests say so
		}
		c.axis, c.arc = pts[a:b+1], arc[a:b+1]
		base := c.arc[0]
		for j := range c.arc {
			c.arc[j] -= base
		}
		c.at = c.arc[len(c.arc)-1] / 2
		for j := 0; j < len(c.axis); j += 8 {
			c.coarse, c.coarseArc = append(c.coarse, c.axis[j]), append(c.coarseArc, c.arc[j])
		}
		if n := len(c.axis) - 1; n%8 != 0 {
			c.coarse, c.coarseArc = append(c.coarse, c.axis[n]), append(c.coarseArc, c.arc[n])
		}
		c.box = orb.LineString(c.axis).Bound().Pad(c.width)
		out = append(out, c)
	}
	for _, s := range g.urban {
		for b := 0; b < sub; b++ {
			for a := 0; a < sub; a++ {
				if s.cells[b*sub+a] != cFree {
					continue
				}
				p := g.lat.cellQuad(s.I*sub+a, s.J*sub+b, s.I*sub+a+1, s.J*sub+b+1, 0).centre()
				for _, c := range out {
					if !c.box.Contains(p) {
						continue
					}
					d, t := axisDist(c, p)
					if d < c.width/2+10 && !(c.defect == defBroken && math.Abs(t-c.at) < c.gapM/2+30) {
						s.cells[b*sub+a] = cGreen
					}
				}
			}
		}
	}
	return out
}

// axisDist is the distance from p to the corridor axis and the arc length of the foot.
func axisDist(c *corridor, p orb.Point) (float64, float64) {
	best, bt := math.Inf(1), 0.0
	for k := 1; k < len(c.coarse); k++ {
		a, b := c.coarse[k-1], c.coarse[k]
		if d := segDist(a, b, p); d < best {
			best, bt = d, c.coarseArc[k-1]+dist(a, p)
		}
	}
	return best, bt
}

// polygon builds the corridor outline: offsets of the axis by the half-width profile, with
// the pinch or the gap of a defect corridor.
func (c *corridor) polygon() []orb.Ring {
	half := func(s float64) float64 {
		if c.defect != defNarrow {
			return c.width / 2
		}
		d := math.Abs(s - c.at)
		switch {
		case d <= 40:
			return c.narrowW / 2
		case d <= 120:
			return c.narrowW/2 + (c.width-c.narrowW)/2*(d-40)/80
		}
		return c.width / 2
	}
	side := func(lo, hi float64) orb.Ring {
		var left, right []orb.Point
		n := len(c.axis)
		for k := 0; k < n; k++ {
			s := c.arc[k]
			if s < lo || s > hi {
				continue
			}
			a, b := c.axis[max(0, k-6)], c.axis[min(n-1, k+6)]
			d := unitVec(a, b)
			nv := orb.Point{-d[1], d[0]}
			h := half(s)
			p := c.axis[k]
			left = append(left, orb.Point{p[0] + nv[0]*h, p[1] + nv[1]*h})
			right = append(right, orb.Point{p[0] - nv[0]*h, p[1] - nv[1]*h})
		}
		r := append(orb.Ring{}, left...)
		for k := len(right) - 1; k >= 0; k-- {
			r = append(r, right[k])
		}
		return append(r, r[0])
	}
	L := c.arc[len(c.arc)-1]
	if c.defect == defBroken {
		return []orb.Ring{side(0, c.at-c.gapM/2), side(c.at+c.gapM/2, L)}
	}
	return []orb.Ring{side(0, L)}
}

func (c *corridor) pointAt(s float64) orb.Point {
	for k := 1; k < len(c.arc); k++ {
		if c.arc[k] >= s {
			t := (s - c.arc[k-1]) / (c.arc[k] - c.arc[k-1])
			a, b := c.axis[k-1], c.axis[k]
			return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		}
	}
	return c.axis[len(c.axis)-1]
}

func (g *gen) emitCorridors(cs []*corridor) {
	for _, c := range cs {
		var mp orb.MultiPolygon
		for _, r := range c.polygon() {
			mp = append(mp, g.fr.poly(r))
		}
		g.out.Corridors = append(g.out.Corridors, Corridor{Name: c.name, Kind: c.kind, DesignWidthM: c.width, Geom: mp})
		switch c.defect {
		case defNarrow:
			g.out.Manifest.NarrowPlaces = append(g.out.Manifest.NarrowPlaces, NarrowPlace{Corridor: c.name, WidthM: c.narrowW, At: g.fr.inv(c.pointAt(c.at))})
		case defBroken:
			g.out.Manifest.BrokenCorridor = BrokenCorridor{Corridor: c.name, GapM: c.gapM, At: g.fr.inv(c.pointAt(c.at))}
		}
	}
}

// markBarriers keeps the cells along the railway and the river unbuilt.
func (g *gen) markBarriers() {
	for _, s := range g.urban {
		for b := 0; b < sub; b++ {
			for a := 0; a < sub; a++ {
				p := g.lat.cellQuad(s.I*sub+a, s.J*sub+b, s.I*sub+a+1, s.J*sub+b+1, 0).centre()
				if lineDist(g.railway, p) < barrierClear || lineDist(g.kriver, p) < barrierClear {
					s.cells[b*sub+a] = cBarrier
				}
			}
		}
	}
}

// barrierFeatures emits the railway and the river as non-walkable edges: the part of each
// line near the urban area that keeps 100 m inside the mask, in pieces of about 200 m.
func (g *gen) barrierFeatures() {
	minx, maxx, miny, maxy := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range g.urban {
		minx, maxx = math.Min(minx, s.c[0]), math.Max(maxx, s.c[0])
		miny, maxy = math.Min(miny, s.c[1]), math.Max(maxy, s.c[1])
	}
	emit := func(line []orb.Point, highway, name string) {
		pts, _ := densify(line, 20)
		ok := make([]bool, len(pts))
		for i, p := range pts {
			ok[i] = p[0] > minx-2000 && p[0] < maxx+2000 && p[1] > miny-2000 && p[1] < maxy+2000 && g.mask.holds(p, 100)
		}
		a, b := longestRun(ok)
		if b-a < 2 {
			return
		}
		run := pts[a : b+1]
		prev := g.newNode()
		for k := 0; k < len(run)-1; k += 10 {
			e := min(k+10, len(run)-1)
			next := g.newNode()
			g.out.Edges = append(g.out.Edges, Edge{Source: prev, Target: next, Highway: highway, Name: name, Geom: g.fr.line(run[k : e+1])})
			prev = next
		}
	}
	emit(g.railway, "railway", railwayName)
	emit(g.kriver, "river", kriverName)
}

func (g *gen) newNode() int64 {
	g.out.Nodes++
	return g.out.Nodes
}

// controlLines builds the growth-boundary blocks of both editions, the red line north of
// the city and the farmland south of it, with the three deliberate overlaps:
// farmland A and red line B inside the 2024 expansion, farmland C inside a 2021 block
// that the 2024 edition gave up.
func (g *gen) controlLines() {
	ring1 := g.ringSupers(1, 1)
	ring2 := g.ringSupers(2, 2)
	// 2024 expansion: the four easternmost ring-2 superblocks.
	exp := append([]*super(nil), ring2...)
	sortSupers(exp, func(s *super) float64 { return -s.c[0] })
	if len(exp) > 4 {
		exp = exp[:4]
	}
	// The 2021 block dropped in 2024: the south-westernmost ring-1 superblock.
	drop := append([]*super(nil), ring1...)
	sortSupers(drop, func(s *super) float64 { return s.c[0] + s.c[1] })
	var dropped *super
	if len(drop) > 0 {
		dropped = drop[0]
	}
	block := func(s *super, in21, in24 bool) {
		r := g.lat.rangeRing(s.I*sub, s.J*sub, s.I*sub+sub, s.J*sub+sub, 0)
		g.out.GrowthBlocks = append(g.out.GrowthBlocks, GrowthBlock{Geom: g.fr.poly(r), In2021: in21, In2024: in24})
	}
	for _, s := range g.urban {
		block(s, true, true)
	}
	for _, s := range ring1 {
		block(s, true, s != dropped)
	}
	for _, s := range exp {
		block(s, false, true)
	}
	area := func(s *super) orb.Polygon {
		return g.fr.poly(g.lat.rangeRing(s.I*sub, s.J*sub, s.I*sub+sub, s.J*sub+sub, 15))
	}
	m := &g.out.Manifest
	if len(exp) >= 2 {
		a, b := exp[0], exp[len(exp)-1]
		g.out.Farmland = append(g.out.Farmland, Area{Name: "永久基本农田 冲突图斑A", Geom: area(a)})
		g.out.RedLines = append(g.out.RedLines, Area{Name: "生态保护红线 冲突图斑B", Geom: area(b)})
		m.Overlaps = append(m.Overlaps, Overlap{Layer: "basic_farmland", Name: "永久基本农田 冲突图斑A", Edition: "2024"},
			Overlap{Layer: "eco_redlines", Name: "生态保护红线 冲突图斑B", Edition: "2024"})
	}
	if dropped != nil {
		g.out.Farmland = append(g.out.Farmland, Area{Name: "永久基本农田 冲突图斑C", Geom: area(dropped)})
		m.Overlaps = append(m.Overlaps, Overlap{Layer: "basic_farmland", Name: "永久基本农田 冲突图斑C", Edition: "2021"})
	}
	nf, nr := 0, 0
	for _, s := range g.ringSupers(3, 8) {
		u := unit(g.seed, tagControl, s.I, s.J)
		switch {
		case s.c[1] < g.cy && s.ring <= 6 && u < 0.45:
			nf++
			g.out.Farmland = append(g.out.Farmland, Area{Name: fmt.Sprintf("永久基本农田保护图斑%03d", nf), Geom: area(s)})
		case s.c[1] >= g.cy && s.ring >= 4 && u < 0.5:
			nr++
			g.out.RedLines = append(g.out.RedLines, Area{Name: fmt.Sprintf("大青山南麓生态保护红线%03d", nr), Geom: area(s)})
		}
	}
}

func sortSupers(ss []*super, key func(*super) float64) {
	// insertion-stable sort by key, then (J, I) order already given by the input
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && key(ss[j]) < key(ss[j-1]); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
}
