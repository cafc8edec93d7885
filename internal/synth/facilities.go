package synth

import (
	"fmt"
	"math"

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

func (g *gen) facilities() {
	noClinic := g.nearest(g.design(clusters[3].c))
	noKinder := g.nearest(g.design(clusters[2].c), noClinic)
	lacks := func(s *super, cat string) bool {
		return (s == noClinic && cat == "clinic") || (s == noKinder && cat == "kindergarten")
	}
	count := map[string]int{}
	for _, s := range g.urban {
		for _, r := range recipe {
			if g.rnd.Float64() >= r.p || lacks(s, r.cat) {
				continue
			}
			n := r.lo + g.rnd.IntN(r.hi-r.lo+1)
			for k := 0; k < n; k++ {
				g.placeFacility(s, r, k, n)
				count[r.cat]++
			}
		}
	}
	// Categories that chance left out at a small scale: one in the first community.
	for _, r := range recipe {
		if count[r.cat] == 0 {
			for _, s := range g.urban {
				if !lacks(s, r.cat) {
					g.placeFacility(s, r, 0, 1)
					count[r.cat]++
					break
				}
			}
		}
	}
	g.railStations()
	m := &g.out.Manifest
	for _, l := range []struct {
		s   *super
		cat string
	}{{noClinic, "clinic"}, {noKinder, "kindergarten"}} {
		if l.s != nil {
			c := g.out.Communities[l.s.comm]
			m.Lacking = append(m.Lacking, Lacking{CommunityCode: c.Code, CommunityName: c.Name, Category: l.cat})
		}
	}
	for _, s := range g.urban {
		if !s.gardened {
			c := g.out.Communities[s.comm]
			m.Lacking = append(m.Lacking, Lacking{CommunityCode: c.Code, CommunityName: c.Name, Category: "garden_4000m2"})
		}
	}
}

func (g *gen) placeFacility(s *super, r recipeRow, k, n int) {
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
		if len(cells) > 0 {
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
