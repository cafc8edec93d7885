package synth

import (
	"fmt"
	"math"
)

// Communities (社区) and 街道. A community is one or two neighbouring superblocks of the
// same district (two where the neighbour along I is urban), so it holds 5,000–12,000
// residents as the 完整社区 guidance assumes (standards.md §3); a 街道 is the communities
// of one district in a tile of 4 × 4 superblocks.

// commM is a community while the city is generated.
type commM struct {
	ss       []*super // its superblocks, (J, I) order of the first
	sub      int      // index into out.Subdistricts
	dn       float64  // mean normalised cluster distance of its superblocks (0 centre, 1 edge)
	cluster  int
	district int
	// provision: "model" (the cores: every category within its walking tier), "ordinary"
	// or "fringe" (more gaps); see facilities.go.
	level int
}

const (
	lvModel = iota
	lvOrdinary
	lvFringe
)

// targetPopulation is the community's residents: 5,100–11,900, more toward the cluster
// centres (median ≈ 8,000 at scale 1).
func (g *gen) targetPopulation(c *commM) float64 {
	s := c.ss[0]
	u := unit(g.seed, tagPop, s.I, -s.J-1)
	v := 6700 + 4400*(1-math.Min(1, c.dn)) + 3000*(u-0.5)
	return math.Max(5100, math.Min(11900, v))
}

// groupCommunities pairs the urban superblocks into communities and makes the 街道: first
// (2k, J) with (2k+1, J), then a superblock left alone with one left alone above or below
// it, both of the same district; the rest stay alone.
func (g *gen) groupCommunities() {
	for _, s := range g.urban {
		s.district = g.districtOf(s.c)
	}
	partner := map[*super]*super{}
	pair := func(s, p *super) bool {
		if p == nil || !p.urban || p.district != s.district || partner[p] != nil || partner[s] != nil {
			return false
		}
		partner[s], partner[p] = p, s
		return true
	}
	for _, s := range g.urban {
		if s.I%2 == 0 {
			pair(s, g.existing(s.I+1, s.J))
		}
	}
	for _, s := range g.urban {
		if partner[s] == nil && !pair(s, g.existing(s.I, s.J+1)) {
			pair(s, g.existing(s.I, s.J-1))
		}
	}
	subIdx := map[string]int{} // (district, tile) → subdistrict; looked up only
	perDistrict := map[string]int{}
	for _, s := range g.urban {
		if s.comm >= 0 {
			continue
		}
		c := &commM{ss: []*super{s}, district: s.district, cluster: s.cluster}
		if p := partner[s]; p != nil {
			c.ss = append(c.ss, p)
		}
		for _, m := range c.ss {
			m.comm = len(g.comms)
			c.dn += m.dn / float64(len(c.ss))
		}
		switch {
		case c.dn < 0.34:
			c.level = lvModel
		case c.dn < 0.72:
			c.level = lvOrdinary
		default:
			c.level = lvFringe
		}
		d := g.info[s.district]
		key := fmt.Sprintf("%s/%d/%d", d.Adcode, s.I/4, s.J/4)
		si, ok := subIdx[key]
		if !ok {
			perDistrict[d.Adcode]++
			si = len(g.out.Subdistricts)
			subIdx[key] = si
			g.out.Subdistricts = append(g.out.Subdistricts, Subdistrict{DistrictAdcode: d.Adcode,
				Code: fmt.Sprintf("%s%03d", d.Adcode, perDistrict[d.Adcode]), Name: g.names.pick(roadWords, "街道")})
		}
		c.sub = si
		g.comms = append(g.comms, c)
	}
}

// cells is the community's cell range [i0, i1) × [j0, j1).
func (c *commM) cells() (i0, j0, i1, j1 int) {
	i0, j0, i1, j1 = c.ss[0].I, c.ss[0].J, c.ss[0].I, c.ss[0].J
	for _, s := range c.ss[1:] {
		i0, j0, i1, j1 = min(i0, s.I), min(j0, s.J), max(i1, s.I), max(j1, s.J)
	}
	return i0 * sub, j0 * sub, (i1 + 1) * sub, (j1 + 1) * sub
}
