package synth

import (
	"fmt"
	"sort"

	"github.com/paulmach/orb"
)

// The walking network: every lattice edge next to an urban cell, thinned into irregular
// blocks, cut by the railway and the river except at the chosen bridges, reduced to its
// largest connected piece, with node ids in order of first use.

type rawEdge struct {
	a, b          [2]int // lattice nodes (i, j)
	highway, name string
	bridge        bool
	barrier       string
	keep          bool
}

func (g *gen) cell(i, j int) (*super, uint8) {
	s := g.existing(i/sub, j/sub)
	if s == nil || !s.urban || i < 0 || j < 0 {
		return nil, 0
	}
	return s, s.cells[(j%sub)*sub+i%sub]
}

func (g *gen) network() {
	es := make([]rawEdge, 0, len(g.urban)*sub*sub*2+len(g.urban)*sub)
	urbanCell := func(i, j int) bool { s, _ := g.cell(i, j); return s != nil }
	for _, s := range g.urban {
		for b := 0; b < sub; b++ {
			for a := 0; a < sub; a++ {
				i, j := s.I*sub+a, s.J*sub+b
				es = append(es, g.latticeEdge(i, j, true), g.latticeEdge(i, j, false))
				if !urbanCell(i, j+1) {
					es = append(es, g.latticeEdge(i, j+1, true))
				}
				if !urbanCell(i+1, j) {
					es = append(es, g.latticeEdge(i+1, j, false))
				}
			}
		}
	}
	cands := g.cutBarriers(es)
	// Largest connected piece (bridges included).
	id := map[int]int{}
	var parent []int
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	key := func(n [2]int) int {
		k := n[0]*nLines + n[1]
		v, ok := id[k]
		if !ok {
			v = len(parent)
			id[k] = v
			parent = append(parent, v)
		}
		return v
	}
	union := func(e *rawEdge) bool {
		x, y := find(key(e.a)), find(key(e.b))
		if x != y {
			parent[max(x, y)] = min(x, y)
			return true
		}
		return false
	}
	for k := range es {
		if es[k].keep {
			union(&es[k])
		}
	}
	// Bridges: a crossing becomes a bridge when it joins two pieces the barrier split, or
	// when it lies at least 2.5 km from the other bridges over the same barrier.
	for _, bc := range cands {
		var chosen []orb.Point
		for _, c := range bc.crossings {
			e := &es[c.k]
			far := true
			for _, p := range chosen {
				if dist(p, c.at) < 2500 {
					far = false
				}
			}
			if union(e) || far {
				chosen = append(chosen, c.at)
				e.keep, e.bridge, e.barrier = true, true, bc.name
				e.name = fmt.Sprintf("%s跨%s桥", e.name, barShort(bc.name))
			}
		}
	}
	size := make([]int, len(parent))
	for _, e := range es {
		if e.keep {
			size[find(key(e.a))]++
		}
	}
	best := 0
	for r := range size {
		if size[r] > size[best] {
			best = r
		}
	}
	node := map[int]int64{}
	nid := func(n [2]int) int64 {
		k := n[0]*nLines + n[1]
		v, ok := node[k]
		if !ok {
			v = g.newNode()
			node[k] = v
		}
		return v
	}
	bridges := map[string]int{}
	for _, e := range es {
		if !e.keep || find(key(e.a)) != best {
			continue
		}
		pa, pb := g.lat.node(e.a[0], e.a[1]), g.lat.node(e.b[0], e.b[1])
		g.out.Edges = append(g.out.Edges, Edge{Source: nid(e.a), Target: nid(e.b), Highway: e.highway, Name: e.name,
			Walkable: true, Bridge: e.bridge, Steps: e.highway == "steps", Geom: g.fr.line([]orb.Point{pa, pb})})
		if e.bridge {
			bridges[e.barrier]++
		}
	}
	g.out.Manifest.Bridges = bridges
}

// stepsShare is the share of footways drawn as steps.
const stepsShare = 1.0 / 6

// latticeEdge is the edge from node (i, j) east (horizontal) or north, classified by its line.
func (g *gen) latticeEdge(i, j int, horizontal bool) rawEdge {
	e := rawEdge{a: [2]int{i, j}, keep: true}
	var lv uint8
	var line int
	var c1, c2 [2]int // the cells on either side
	if horizontal {
		e.b = [2]int{i + 1, j}
		lv, line = g.lat.ly[j], j
		c1, c2 = [2]int{i, j}, [2]int{i, j - 1}
	} else {
		e.b = [2]int{i, j + 1}
		lv, line = g.lat.lx[i], i
		c1, c2 = [2]int{i, j}, [2]int{i - 1, j}
	}
	_, k1 := g.cell(c1[0], c1[1])
	_, k2 := g.cell(c2[0], c2[1])
	dir := 0
	if horizontal {
		dir = 1
	}
	u := unit(g.seed, tagDrop, i*2+dir, j)
	switch lv {
	case lvArterial:
		e.highway = "secondary"
		if (line/sub)%3 == 0 {
			e.highway = "primary"
		}
		e.name = g.roadName(line, horizontal)
	case lvBranch:
		e.highway = "tertiary"
		if (line/3)%2 == 0 {
			e.highway = "residential"
		}
		e.keep = u >= 0.03
	default:
		e.highway = "service"
		switch {
		case u > 0.8:
			e.highway = "footway"
		case u > 0.7:
			e.highway = "living_street"
		}
		e.keep = u >= 0.09 && !(k1 == cGreen && k2 == cGreen)
	}
	if lv != lvArterial && k1 == cPark && k2 == cPark {
		e.highway, e.keep = "footway", true
	}
	// About one footway in six is a flight of steps (a park slope, a lane down to a
	// street): what a wheelchair profile cannot use. Drawn from its own stream, so the
	// rest of the city does not move.
	if e.highway == "footway" && unit(g.seed, tagSteps, i*2+dir, j) < stepsShare {
		e.highway = "steps"
	}
	return e
}

// roadName names an arterial line: north–south lines are 路, east–west lines 大街.
func (g *gen) roadName(line int, horizontal bool) string {
	w := roadWords[hash(g.seed, tagLineName, line, boolInt(horizontal))%uint64(len(roadWords))]
	if horizontal {
		return w + "大街"
	}
	return w + "路"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// barrierCrossings are the arterial edges crossing one barrier, in order along it.
type barrierCrossings struct {
	name      string
	crossings []crossing
}

type crossing struct {
	k  int
	t  float64
	at orb.Point
}

// cutBarriers drops every edge that crosses the railway or the river and returns the
// arterial crossings, the bridge candidates.
func (g *gen) cutBarriers(es []rawEdge) []barrierCrossings {
	var out []barrierCrossings
	for _, bar := range []struct {
		line []orb.Point
		name string
	}{{g.railway, railwayName}, {g.kriver, kriverName}} {
		bc := barrierCrossings{name: bar.name}
		for k := range es {
			e := &es[k]
			if !e.keep {
				continue
			}
			pa, pb := g.lat.node(e.a[0], e.a[1]), g.lat.node(e.b[0], e.b[1])
			for s := 1; s < len(bar.line); s++ {
				if ok, u := segCross(pa, pb, bar.line[s-1], bar.line[s]); ok {
					e.keep = false
					if e.name != "" && (e.highway == "primary" || e.highway == "secondary") {
						a, b := bar.line[s-1], bar.line[s]
						bc.crossings = append(bc.crossings, crossing{k, float64(s) + u, orb.Point{a[0] + u*(b[0]-a[0]), a[1] + u*(b[1]-a[1])}})
					}
					break
				}
			}
		}
		sort.SliceStable(bc.crossings, func(a, b int) bool { return bc.crossings[a].t < bc.crossings[b].t })
		out = append(out, bc)
	}
	return out
}

func barShort(name string) string {
	if name == railwayName {
		return "铁路"
	}
	return "昆河"
}
