package synth

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Parks, residential parcels with population, communities and 街道, facilities.

const parcelInset = 8.0 // metres between a road centre line and the land beside it

type parkM struct {
	name, class string
	pocket      bool
	ring        orb.Ring
	entr        []orb.Point
	cluster     int
	dn          float64
	comm        int      // the community a garden or community park was placed for, else -1
	supers      []*super // the superblocks a larger park lies in
}

func (g *gen) rangeFree(i0, j0, i1, j1 int, allowGreen bool) bool {
	for j := j0; j < j1; j++ {
		for i := i0; i < i1; i++ {
			s, k := g.cell(i, j)
			if s == nil || !(k == cFree || (allowGreen && k == cGreen)) {
				return false
			}
		}
	}
	return true
}

func (g *gen) occupy(i0, j0, i1, j1 int, kind uint8, frac float32) {
	for j := j0; j < j1; j++ {
		for i := i0; i < i1; i++ {
			s, _ := g.cell(i, j)
			s.cells[(j%sub)*sub+i%sub] = kind
			s.partial[(j%sub)*sub+i%sub] = frac
		}
	}
}

// rangePark makes a park over cells [i0, i1) × [j0, j1) with entrances at the middle of each
// side (and at the quarter points when many is set).
func (g *gen) rangePark(i0, j0, i1, j1 int, class, noun string, many bool) *parkM {
	p := g.parkOver(i0, j0, i1, j1, class, noun, many)
	g.occupy(i0, j0, i1, j1, cPark, 0)
	return p
}

// parkOver is rangePark without marking the cells (for parks outside the urban area).
func (g *gen) parkOver(i0, j0, i1, j1 int, class, noun string, many bool) *parkM {
	r := g.lat.rangeRing(i0, j0, i1, j1, parcelInset)
	nx, ny := i1-i0, j1-j0
	n := len(r) - 1
	idx := []int{nx / 2, nx + ny/2, nx + ny + nx/2, (2*nx + ny + ny/2) % n}
	if many {
		idx = append(idx, nx/4, nx+ny/4, nx+ny+(3*nx)/4, (2*nx+ny+(3*ny)/4)%n)
	}
	sort.Ints(idx)
	p := &parkM{class: class, ring: r, comm: -1}
	for k, v := range idx {
		if k == 0 || v != idx[k-1] {
			p.entr = append(p.entr, r[v])
		}
	}
	p.name = g.names.pick(placeWords, noun)
	return p
}

// edgeParks are the large parks at the edge of the city (Baotou has several of hundreds of
// hectares, 赛汗塔拉城中草原 the largest): two neighbouring superblocks of the first ring
// outside the urban area each, apart from one another.
func (g *gen) edgeParks() []*parkM {
	var out []*parkM
	var used []*super
	n := atLeast(g.p.Scale, 24)
	for _, s := range g.byHash(g.ringSupers(1, 1), 3) {
		if len(out) >= n {
			break
		}
		far := true
		for _, u := range used {
			if abs(u.I-s.I) < 4 && abs(u.J-s.J) < 4 {
				far = false
				break
			}
		}
		if !far {
			continue
		}
		for _, d := range [2][2]int{{1, 0}, {0, 1}} {
			t := g.existing(s.I+d[0], s.J+d[1])
			if t == nil || t.ring != 1 || !g.usable(t) {
				continue
			}
			nouns := []string{"公园", "湿地公园", "森林公园", "城市草原"}
			p := g.parkOver(s.I*sub, s.J*sub, (s.I+1+d[0])*sub, (s.J+1+d[1])*sub, "comprehensive",
				nouns[int(unit(g.seed, tagParks, s.I, s.J+11)*4)], true)
			p.cluster, p.dn = g.clusterOf(s.c)
			out = append(out, p)
			used = append(used, s, t)
			break
		}
	}
	return out
}

func (g *gen) byHash(ss []*super, tag int) []*super {
	out := append([]*super(nil), ss...)
	sort.SliceStable(out, func(a, b int) bool {
		return unit(g.seed, tagParks, out[a].I*1000+tag, out[a].J) < unit(g.seed, tagParks, out[b].I*1000+tag, out[b].J)
	})
	return out
}

func cleanSuper(g *gen, s *super) bool {
	for _, k := range s.cells {
		if k != cFree {
			return false
		}
	}
	return true
}

func atLeast(scale, perScale1 float64) int { return int(math.Max(1, math.Round(perScale1*scale))) }

var specialNouns = []string{"植物园", "儿童公园", "体育公园", "湿地公园", "纪念公园", "雕塑公园", "动物园", "森林公园"}

func (g *gen) parks() []*parkM {
	var ps []*parkM
	s := g.p.Scale
	// Comprehensive parks (> 10 ha); the first is the ≈ 50 ha city park across an arterial crossing.
	nComp := atLeast(s, 12)
	var hosts []*super
	far := func(c *super, d int) bool {
		for _, h := range hosts {
			if abs(h.I-c.I) < d && abs(h.J-c.J) < d {
				return false
			}
		}
		return true
	}
	cands := g.byHash(g.urban, 1)
	for _, minD := range []int{4, 2, 1} {
		for _, c := range cands {
			if len(hosts) >= nComp {
				break
			}
			if c.dn > 0.9 || !cleanSuper(g, c) || !far(c, minD) {
				continue
			}
			if len(ps) == 0 {
				i0, j0 := c.I*sub+3, c.J*sub+3
				if g.rangeFree(i0, j0, i0+13, j0+13, false) {
					p := g.rangePark(i0, j0, i0+13, j0+13, "comprehensive", "公园", true)
					p.cluster, p.dn = c.cluster, c.dn
					p.supers = []*super{c, g.at(c.I+1, c.J), g.at(c.I, c.J+1), g.at(c.I+1, c.J+1)}
					ps = append(ps, p)
					hosts = append(hosts, c, g.at(c.I+1, c.J), g.at(c.I, c.J+1), g.at(c.I+1, c.J+1))
					continue
				}
			}
			for _, w := range [][2]int{{6, 6}, {7, 6}, {6, 7}, {7, 7}} {
				corner := int(unit(g.seed, tagParks, c.I, c.J) * 4)
				a0, b0 := (corner%2)*(sub-w[0]), (corner/2)*(sub-w[1])
				i0, j0 := c.I*sub+a0, c.J*sub+b0
				if ringArea(g.lat.rangeRing(i0, j0, i0+w[0], j0+w[1], parcelInset)) >= 105000 {
					p := g.rangePark(i0, j0, i0+w[0], j0+w[1], "comprehensive", "公园", true)
					p.cluster, p.dn, p.supers = c.cluster, c.dn, []*super{c}
					ps = append(ps, p)
					hosts = append(hosts, c)
					break
				}
			}
		}
	}
	// Specialised parks.
	nSpec := atLeast(s, 25)
	made := 0
	for _, c := range g.byHash(g.urban, 2) {
		if made >= nSpec {
			break
		}
		if c.dn > 0.9 || !far(c, 1) {
			continue
		}
		w := 4 + int(unit(g.seed, tagParks, c.I, c.J+7)*2)
		for t := 0; t < 8; t++ {
			a0, b0 := g.rnd.IntN(sub-w+1), g.rnd.IntN(sub-w+1)
			i0, j0 := c.I*sub+a0, c.J*sub+b0
			if g.rangeFree(i0, j0, i0+w, j0+w, false) {
				noun := specialNouns[g.rnd.IntN(len(specialNouns))]
				p := g.rangePark(i0, j0, i0+w, j0+w, "specialized", noun, false)
				p.cluster, p.dn, p.supers = c.cluster, c.dn, []*super{c}
				ps = append(ps, p)
				made++
				break
			}
		}
	}
	// A community park (> 1 ha) or a garden (≥ 4000 m²) in most communities: fewer in the
	// old centre of 东河 and at the edges of the clusters, most in the planned steel-city
	// districts 昆都仑 and 青山 (see docs/demo-data.md).
	for ci, cm := range g.comms {
		s0 := cm.ss[0]
		if unit(g.seed, tagParks, s0.I, -s0.J-7) >= gardenChance(cm) {
			continue
		}
		c := cm.ss[g.rnd.IntN(len(cm.ss))]
		community := g.rnd.Float64() < 0.3
		shapes := [][2]int{{3, 2}, {2, 3}, {3, 3}}
		minArea, class, noun := 4200.0, "garden", "游园"
		if community {
			shapes, minArea, class, noun = [][2]int{{3, 3}, {4, 3}, {3, 4}, {4, 4}}, 10500, "community", "社区公园"
		}
		placed := false
		for _, allowGreen := range []bool{false, true} {
			for t := 0; t < 40 && !placed; t++ {
				w := shapes[g.rnd.IntN(len(shapes))]
				a0, b0 := g.rnd.IntN(sub-w[0]+1), g.rnd.IntN(sub-w[1]+1)
				i0, j0 := c.I*sub+a0, c.J*sub+b0
				if !g.rangeFree(i0, j0, i0+w[0], j0+w[1], allowGreen) {
					continue
				}
				if ringArea(g.lat.rangeRing(i0, j0, i0+w[0], j0+w[1], parcelInset)) < minArea {
					continue
				}
				p := g.rangePark(i0, j0, i0+w[0], j0+w[1], class, noun, false)
				p.cluster, p.dn, p.comm = c.cluster, c.dn, ci
				ps = append(ps, p)
				placed = true
			}
		}
		// Crowded superblock: search every position of the other shapes.
		for _, w := range [][2]int{{2, 2}, {4, 2}, {2, 4}, {3, 3}, {5, 2}, {2, 5}, {4, 3}, {3, 4}} {
			for a0 := 0; a0+w[0] <= sub && !placed; a0++ {
				for b0 := 0; b0+w[1] <= sub && !placed; b0++ {
					i0, j0 := c.I*sub+a0, c.J*sub+b0
					if !g.rangeFree(i0, j0, i0+w[0], j0+w[1], true) || ringArea(g.lat.rangeRing(i0, j0, i0+w[0], j0+w[1], parcelInset)) < 4200 {
						continue
					}
					p := g.rangePark(i0, j0, i0+w[0], j0+w[1], "garden", "游园", false)
					p.cluster, p.dn, p.comm = c.cluster, c.dn, ci
					ps = append(ps, p)
					placed = true
				}
			}
		}
	}
	ps = append(ps, g.edgeParks()...)
	// Squares (广场).
	nSq := atLeast(s, 50)
	for t, made := 0, 0; made < nSq && t < nSq*20; t++ {
		c := g.urban[g.rnd.IntN(len(g.urban))]
		w, h := 1+g.rnd.IntN(2), 1+g.rnd.IntN(2)
		a0, b0 := g.rnd.IntN(sub-w+1), g.rnd.IntN(sub-h+1)
		i0, j0 := c.I*sub+a0, c.J*sub+b0
		if g.rangeFree(i0, j0, i0+w, j0+h, false) {
			p := g.rangePark(i0, j0, i0+w, j0+h, "square", "广场", false)
			p.cluster, p.dn = c.cluster, c.dn
			ps = append(ps, p)
			made++
		}
	}
	// Strip gardens (带状游园) along arterials, 18 m deep.
	nStrip := atLeast(s, 30)
	for t, made := 0, 0; made < nStrip && t < nStrip*20; t++ {
		c := g.urban[g.rnd.IntN(len(g.urban))]
		a0 := 1 + g.rnd.IntN(4)
		i0, j0 := c.I*sub+a0, c.J*sub
		if !g.rangeFree(i0, j0, i0+4, j0+1, false) {
			continue
		}
		q := g.lat.cellQuad(i0, j0, i0+4, j0+1, parcelInset)
		fv := 18 / dist(q[0], q[3])
		r := q.sub(0, 0, 1, fv)
		if a := ringArea(r); a > 3950 && a < 4050 { // keep clear of the checklist's 4000 m²
			fv *= 4060 / a
			r = q.sub(0, 0, 1, fv)
		}
		p := &parkM{class: "garden", comm: -1, supers: []*super{c}, ring: r, entr: []orb.Point{r[0], r[1]}, cluster: c.cluster, dn: c.dn}
		p.name = g.names.pick(roadWords, "带状游园")
		g.occupy(i0, j0, i0+4, j0+1, cPartial, float32(fv))
		ps = append(ps, p)
		made++
	}
	// Pocket parks (口袋公园), 400 m² and up, in a street corner of a block.
	nPocket := atLeast(s, 100)
	for t, made := 0, 0; made < nPocket && t < nPocket*30; t++ {
		c := g.urban[g.rnd.IntN(len(g.urban))]
		i, j := c.I*sub+g.rnd.IntN(sub), c.J*sub+g.rnd.IntN(sub)
		if !g.rangeFree(i, j, i+1, j+1, false) {
			continue
		}
		q := g.lat.cellQuad(i, j, i+1, j+1, parcelInset)
		side := 20.5 + 10*g.rnd.Float64()
		if made == 0 {
			side = 20.2 // the smallest: about 400 m²
		}
		fu, fv := side/dist(q[0], q[1]), side/dist(q[0], q[3])
		if fu > 0.6 || fv > 0.6 {
			continue
		}
		r := q.sub(0, 0, fu, fv)
		if ringArea(r) < 401 {
			k := math.Sqrt(401 / ringArea(r))
			fu, fv = fu*k, fv*k
			r = q.sub(0, 0, fu, fv)
		}
		p := &parkM{class: "garden", comm: -1, pocket: true, ring: r, entr: []orb.Point{r[0]}, cluster: c.cluster, dn: c.dn}
		p.name = g.names.pick(placeWords, "口袋公园")
		g.occupy(i, j, i+1, j+1, cPartial, float32(fv))
		ps = append(ps, p)
		made++
	}
	return ps
}

func dist(a, b orb.Point) float64 { return math.Hypot(b[0]-a[0], b[1]-a[1]) }

func (g *gen) emitParks(ps []*parkM) {
	for k, p := range ps {
		open := "open"
		switch u := unit(g.seed, tagParks, k, -7); {
		case u < 0.03:
			open = "closed"
		case u < 0.08:
			open = "shared"
		}
		hist := p.cluster == 3 && p.dn < 0.35 && (p.class == "garden" || p.class == "square" || p.class == "community")
		out := Park{Name: p.name, Class: p.class, Pocket: p.pocket, OpenStatus: open, Historic: hist, Geom: g.fr.poly(p.ring)}
		for _, e := range p.entr {
			out.Entrances = append(out.Entrances, g.fr.inv(e))
		}
		g.out.Parks = append(g.out.Parks, out)
		// The checklist's 社区游园: an open park of these classes, ≥ 4000 m², in the community.
		if open != "closed" && p.class != "square" && ringArea(p.ring) >= 4000 {
			if p.comm >= 0 {
				g.parkOK[p.comm] = true
			}
			for _, s := range p.supers {
				g.parkOK[s.comm] = true
			}
		}
	}
}

// parcelsAndCommunities splits every buildable cell into 1–3 residential parcels and
// spreads each community's residents (targetPopulation) over its parcels by area.
func (g *gen) parcelsAndCommunities() {
	perSub := map[int]int{}
	type pc struct {
		r    orb.Ring
		area float64
		code string
		hh   float64 // residents per household
	}
	for _, cm := range g.comms {
		perSub[cm.sub]++
		comm := Community{Subdistrict: cm.sub, Code: fmt.Sprintf("%s%03d", g.out.Subdistricts[cm.sub].Code, perSub[cm.sub]),
			Name: g.names.pick(placeWords, "社区")}
		i0, j0, i1, j1 := cm.cells()
		ring := g.lat.rangeRing(i0, j0, i1, j1, 0)
		comm.Geom = g.fr.poly(ring)
		var pcs []pc
		for _, s := range cm.ss {
			code := "070102"
			if s.cluster == 3 && s.dn < 0.35 {
				code = "070103"
			}
			for b := 0; b < sub; b++ {
				for a := 0; a < sub; a++ {
					i, j := s.I*sub+a, s.J*sub+b
					kind := s.cells[b*sub+a]
					if kind != cFree && kind != cPartial {
						continue
					}
					q := g.lat.cellQuad(i, j, i+1, j+1, parcelInset)
					c := code
					if unit(g.seed, tagParcels, i, j) < 0.08 {
						c = "070101"
					}
					hh := 2.45 + 0.4*unit(g.seed, tagPop, i, j)
					if kind == cPartial {
						v0 := float64(s.partial[b*sub+a]) + 0.06
						if (1-v0)*dist(q[0], q[3]) >= 12 {
							r := q.sub(0, v0, 1, 1)
							pcs = append(pcs, pc{r, ringArea(r), c, hh})
						}
						continue
					}
					u := unit(g.seed, tagParcels, j, -i-1)
					n := 1
					switch {
					case u > 0.8:
						n = 3
					case u > 0.35:
						n = 2
					}
					alongU := dist(q[0], q[1]) >= dist(q[0], q[3])
					for m := 0; m < n; m++ {
						t0, t1 := float64(m)/float64(n), float64(m+1)/float64(n)
						var r orb.Ring
						if alongU {
							r = q.sub(t0, 0, t1, 1)
						} else {
							r = q.sub(0, t0, 1, t1)
						}
						pcs = append(pcs, pc{r, ringArea(r), c, hh})
					}
				}
			}
		}
		total := 0.0
		for _, p := range pcs {
			total += p.area
		}
		// At most 25,000 residents/km² gross and 120,000/km² of parcel, unless that is
		// under 5,100 (a small community of one superblock, or one mostly park).
		target := math.Min(g.targetPopulation(cm), math.Min(25000*ringArea(ring)/1e6, 0.12*total))
		target = math.Max(target, 5100)
		pops := apportion(target, pcs, func(p pc) float64 { return p.area }, total)
		for k, p := range pcs {
			hh := int(math.Round(float64(pops[k]) / p.hh))
			g.out.Parcels = append(g.out.Parcels, Parcel{LanduseCode: p.code, Population: pops[k], Households: hh, Geom: g.fr.poly(p.r)})
			comm.Population += pops[k]
			comm.Households += hh
		}
		g.out.Communities = append(g.out.Communities, comm)
	}
}

// apportion splits round(total) into integers proportional to weight (largest remainder,
// ties to the lower index).
func apportion[T any](total float64, xs []T, weight func(T) float64, sum float64) []int {
	out := make([]int, len(xs))
	if sum <= 0 || len(xs) == 0 {
		return out
	}
	n := int(math.Round(total))
	type rem struct {
		k int
		r float64
	}
	rs := make([]rem, len(xs))
	used := 0
	for k, x := range xs {
		v := float64(n) * weight(x) / sum
		out[k] = int(math.Floor(v))
		used += out[k]
		rs[k] = rem{k, v - math.Floor(v)}
	}
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].r > rs[b].r })
	for k := 0; k < n-used && k < len(rs); k++ {
		out[rs[k].k]++
	}
	return out
}

// gardenChance is the probability that a community has its own 社区公园 or 游园.
func gardenChance(c *commM) float64 {
	base := [...]float64{0.8, 0.8, 0.55, 0.45}[c.cluster]
	return base - 0.4*math.Max(0, c.dn-0.6)
}
