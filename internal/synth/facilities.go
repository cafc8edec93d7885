package synth

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Facilities: every community gets the complete-community checklist (standards.md §3) and
// a share of the other categories, except the documented communities that lack a clinic or
// a kindergarten. Walking-distance gaps then arise on their own: one kindergarten per
// ≈ 500 m superblock leaves many homes beyond its 300 m reach.

type recipeRow struct {
	cat        string
	p          float64 // probability per community
	lo, hi     int
	amin, amax float64 // floor area, m² (0: unknown)
	noun       string
}

var recipe = []recipeRow{
	{"community_service", 1, 1, 1, 800, 1200, "社区综合服务站"},
	{"clinic", 1, 1, 1, 150, 600, "社区卫生服务站"},
	{"kindergarten", 1, 1, 1, 1800, 3500, "幼儿园"},
	{"kindergarten", 0.2, 1, 1, 1800, 3500, "第二幼儿园"},
	{"nursery", 1, 1, 1, 200, 450, "托育园"},
	{"elderly_care", 1, 1, 1, 350, 900, "老年服务站"},
	{"vegetable_market", 1, 1, 1, 800, 3000, "菜市场"},
	{"culture", 0.5, 1, 1, 500, 2000, "文化活动中心"},
	{"sports", 0.4, 1, 1, 1000, 5000, "体育活动场"},
	{"activity_ground", 1, 1, 1, 150, 1500, "公共活动场地"},
	{"convenience_store", 1, 2, 3, 40, 200, "便利店"},
	{"supermarket", 1, 1, 1, 300, 3000, "综合超市"},
	{"breakfast", 1, 1, 2, 30, 120, "早餐店"},
	{"pharmacy", 1, 1, 1, 60, 300, "药店"},
	{"post_express", 1, 1, 2, 20, 150, "快递驿站"},
	{"household_services", 1, 1, 2, 30, 200, "家政便民服务点"},
	{"canteen", 1, 1, 1, 150, 500, "社区食堂"},
	{"transit_stop", 1, 2, 3, 0, 0, "公交站"},
	{"primary_school", 0.5, 1, 1, 6000, 12000, "小学"},
	{"middle_school", 0.25, 1, 1, 12000, 25000, "中学"},
}

// Categories lists every facility category the generator places (all of facility_categories).
func Categories() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range recipe {
		if !seen[r.cat] {
			seen[r.cat] = true
			out = append(out, r.cat)
		}
	}
	return append(out, "rail_station")
}

// nearest returns the urban superblock whose centre is nearest p, skipping those in not.
func (g *gen) nearest(p orb.Point, not ...*super) *super {
	var best *super
	bd := math.Inf(1)
outer:
	for _, s := range g.urban {
		for _, n := range not {
			if s == n {
				continue outer
			}
		}
		if d := dist(s.c, p); d < bd {
			bd, best = d, s
		}
	}
	return best
}

// checklist are the categories of the complete-community checklist a community may lack
// (community_service never: every 居委会 has a station, undersized in some).
var checklist = map[string]bool{"clinic": true, "kindergarten": true, "nursery": true, "elderly_care": true,
	"vegetable_market": true, "activity_ground": true, "supermarket": true, "pharmacy": true,
	"household_services": true, "canteen": true, "convenience_store": true}

// dense are the categories a model community has in every quarter of each superblock (5-minute
// tier, 300 m) or at the centre of each superblock (500 m); the rest once per community.
var (
	perQuarter = map[string]bool{"kindergarten": true, "elderly_care": true, "convenience_store": true}
	perSuper   = map[string]bool{"community_service": true, "vegetable_market": true, "primary_school": true}
)

// missChance is the probability that a checklist category is missing from the ordinary
// (or fringe) communities of a 街道 tile.
func missChance(c *commM) float64 {
	return [...]float64{lvModel: 0, lvOrdinary: 0.06, lvFringe: 0.2}[c.level]
}

// floorChance is the probability that a community's service station has the 30 m² per 100
// households of the checklist.
func floorChance(c *commM) float64 {
	return [...]float64{lvModel: 0.6, lvOrdinary: 0.22, lvFringe: 0.12}[c.level]
}

func (g *gen) facilities() {
	noClinic := g.comms[g.nearest(g.design(clusters[3].c)).comm]
	noKinder := g.comms[g.nearest(g.design(clusters[2].c), noClinic.ss...).comm]
	count := map[string]int{}
	m := &g.out.Manifest
	lack := func(ci int, cat string) {
		c := g.out.Communities[ci]
		l := Lacking{CommunityCode: c.Code, CommunityName: c.Name, Category: cat}
		m.Gaps = append(m.Gaps, l)
		if (g.comms[ci] == noClinic && cat == "clinic") || (g.comms[ci] == noKinder && cat == "kindergarten") {
			m.Lacking = append(m.Lacking, l)
		}
	}
	for ci, c := range g.comms {
		if c == noClinic || c == noKinder {
			c.level = lvOrdinary
		}
		var lacking []string
		start := len(g.out.Facilities)
		for k, r := range recipe {
			if r.noun == "第二幼儿园" && (c.level == lvModel || slices.Contains(lacking, "kindergarten")) {
				continue
			}
			if r.p < 1 && c.level != lvModel {
				// Shared between neighbours: by chance per superblock.
				for _, s := range c.ss {
					if g.rnd.Float64() < r.p {
						g.placeFacility(s, r, 0, 1, -1)
						count[r.cat]++
					}
				}
				continue
			}
			// Gaps come in areas (a category missing over a 街道 tile), so that a neighbour
			// within walking distance does not fill every one.
			s0 := c.ss[0]
			miss := checklist[r.cat] && unit(g.seed, tagFacilities, (s0.I/4)*1000+k, s0.J/4) < missChance(c)
			if (c == noClinic && r.cat == "clinic") || (c == noKinder && r.cat == "kindergarten") {
				miss = true
			}
			if miss {
				lacking = append(lacking, r.cat)
				continue
			}
			switch {
			case c.level == lvModel && perQuarter[r.cat]:
				for _, s := range c.ss {
					for q, at := range [4]int{2*sub + 2, 2*sub + 6, 6*sub + 2, 6*sub + 6} {
						g.placeFacility(s, r, q, 4, at)
						count[r.cat]++
					}
				}
			case c.level == lvModel && perSuper[r.cat]:
				for k, s := range c.ss {
					g.placeFacility(s, r, k, len(c.ss), 4*sub+4)
					count[r.cat]++
				}
			case r.cat == "transit_stop" || r.cat == "convenience_store" || r.cat == "breakfast":
				for _, s := range c.ss {
					n := r.lo + g.rnd.IntN(r.hi-r.lo+1)
					for k := 0; k < n; k++ {
						g.placeFacility(s, r, k, n, -1)
						count[r.cat]++
					}
				}
			default:
				n := r.lo + g.rnd.IntN(r.hi-r.lo+1)
				at := -1
				if c.level == lvModel {
					at = 4*sub + 4
				}
				for k := 0; k < n; k++ {
					g.placeFacility(c.ss[g.rnd.IntN(len(c.ss))], r, k, n, at)
					count[r.cat]++
				}
			}
		}
		// The service station's floor area: 30 m² per 100 households, or less.
		g.sizeStations(ci, c, start)
		for _, cat := range lacking {
			lack(ci, cat)
		}
	}
	// Categories that chance left out at a small scale: one in the first community.
	for _, r := range recipe {
		if count[r.cat] == 0 {
			g.placeFacility(g.comms[0].ss[0], r, 0, 1, -1)
			count[r.cat]++
		}
	}
	g.railStations()
	for ci := range g.comms {
		if !g.parkOK[ci] {
			lack(ci, "garden_4000m2")
		}
	}
}

// sizeStations sets the floor area of the community's service stations (placed from
// facility index start on): enough for 30 m² per 100 households with floorChance, else
// 55–90 % of it (recorded in the manifest as lacking "service_floor").
func (g *gen) sizeStations(ci int, c *commM, start int) {
	comm := g.out.Communities[ci]
	var idx []int
	for k := start; k < len(g.out.Facilities); k++ {
		if g.out.Facilities[k].Category == "community_service" {
			idx = append(idx, k)
		}
	}
	s0 := c.ss[0]
	f := 1.08 + 0.4*unit(g.seed, tagFacilities, s0.I, -s0.J-1)
	if unit(g.seed, tagFacilities, -s0.I-1, s0.J) >= floorChance(c) {
		f = 0.55 + 0.35*unit(g.seed, tagFacilities, s0.J, s0.I)
		g.out.Manifest.Gaps = append(g.out.Manifest.Gaps, Lacking{CommunityCode: comm.Code, CommunityName: comm.Name, Category: "service_floor"})
	}
	need := 0.3 * float64(comm.Households)
	for _, k := range idx {
		g.out.Facilities[k].FloorAreaM2 = math.Round(f * need / float64(len(idx)))
	}
}

// placeFacility puts facility k of n of recipe row r in superblock s, in the free cell
// nearest cell index at (row-major, 0..80), or a random free cell when at < 0.
func (g *gen) placeFacility(s *super, r recipeRow, k, n, at int) {
	comm := g.out.Communities[s.comm]
	name := comm.Name + r.noun
	if n > 1 {
		name += fmt.Sprintf("%d号店", k+1)
	}
	area := 0.0
	if r.amax > 0 {
		area = math.Round(uniform(g.rnd, r.amin, r.amax))
	}
	var p orb.Point
	if r.cat == "transit_stop" {
		side, t := g.rnd.IntN(4), 1+g.rnd.IntN(sub-1)
		i0, j0 := s.I*sub, s.J*sub
		var at, in orb.Point
		var road string
		switch side {
		case 0:
			at, in, road = g.lat.node(i0+t, j0), g.lat.node(i0+t, j0+1), g.roadName(j0, true)
		case 1:
			at, in, road = g.lat.node(i0+sub, j0+t), g.lat.node(i0+sub-1, j0+t), g.roadName(i0+sub, false)
		case 2:
			at, in, road = g.lat.node(i0+t, j0+sub), g.lat.node(i0+t, j0+sub-1), g.roadName(j0+sub, true)
		default:
			at, in, road = g.lat.node(i0, j0+t), g.lat.node(i0+1, j0+t), g.roadName(i0, false)
		}
		u := unitVec(at, in)
		p = orb.Point{at[0] + 12*u[0], at[1] + 12*u[1]}
		name = fmt.Sprintf("%s%s站", road, comm.Name[:len(comm.Name)-len("社区")])
	} else {
		var cells []int
		for c, kind := range s.cells {
			if kind == cFree || kind == cPartial {
				cells = append(cells, c)
			}
		}
		if len(cells) == 0 {
			for c, kind := range s.cells {
				if kind != cBarrier {
					cells = append(cells, c)
				}
			}
		}
		c := 40
		switch {
		case len(cells) > 0 && at >= 0:
			c = cells[0]
			for _, x := range cells {
				if cellDist(x, at) < cellDist(c, at) {
					c = x
				}
			}
		case len(cells) > 0:
			c = cells[g.rnd.IntN(len(cells))]
		}
		i, j := s.I*sub+c%sub, s.J*sub+c/sub
		q := g.lat.cellQuad(i, j, i+1, j+1, parcelInset)
		v0 := 0.2
		if s.cells[c] == cPartial {
			v0 = math.Min(0.85, float64(s.partial[c])+0.1)
		}
		p = q.at(uniform(g.rnd, 0.2, 0.8), uniform(g.rnd, v0, 0.9))
	}
	g.out.Facilities = append(g.out.Facilities, Facility{Category: r.cat, Name: name, FloorAreaM2: area, Geom: g.fr.inv(p)})
}

// railStations puts stations beside the railway where it runs through the city.
func (g *gen) railStations() {
	n := atLeast(g.p.Scale, 2)
	pts, _ := densify(g.railway, 50)
	var ok []orb.Point
	for k := 1; k < len(pts); k++ {
		d := unitVec(pts[k-1], pts[k])
		p := orb.Point{pts[k][0] - d[1]*90, pts[k][1] + d[0]*90}
		if s := g.superAt(p); s != nil && s.urban {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		s := g.urban[len(g.urban)/2]
		ok = append(ok, g.lat.cellQuad(s.I*sub+4, s.J*sub+4, s.I*sub+5, s.J*sub+5, parcelInset).centre())
	}
	names := []string{"包头站(示例)", "包头东站(示例)", "包头西站(示例)", "九原站(示例)"}
	for k := 0; k < n; k++ {
		p := ok[(2*k+1)*len(ok)/(2*n)]
		name := names[k%len(names)]
		if k >= len(names) {
			name = fmt.Sprintf("轨道站点%d(示例)", k+1)
		}
		g.out.Facilities = append(g.out.Facilities, Facility{Category: "rail_station", Name: name,
			FloorAreaM2: math.Round(uniform(g.rnd, 5000, 20000)), Geom: g.fr.inv(p)})
	}
}

// superAt finds the superblock whose outline holds p.
func (g *gen) superAt(p orb.Point) *super {
	I, J := g.superIndex(g.lat.xs, p[0]), g.superIndex(g.lat.ys, p[1])
	for di := -1; di <= 1; di++ {
		for dj := -1; dj <= 1; dj++ {
			s := g.existing(I+di, J+dj)
			if s != nil && ringContains(g.lat.rangeRing(s.I*sub, s.J*sub, s.I*sub+sub, s.J*sub+sub, 0), p) {
				return s
			}
		}
	}
	return nil
}

func cellDist(a, b int) int { return abs(a%sub-b%sub) + abs(a/sub-b/sub) }
