package synth

import (
	"context"
	"errors"
	"math"
)

// Generate builds the demo city for p inside the real outlines o. It is deterministic: the
// same p and o give the same City.
func Generate(ctx context.Context, p Params, o Outlines) (*City, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(o.River) < 2 {
		return nil, errors.New("synth: the Yellow River line is missing")
	}
	g := &gen{ctx: ctx, p: p, seed: p.Seed, fr: newFrame(refLon, refLat), lat: newLattice(p.Seed),
		g: math.Sqrt(math.Min(p.Scale, 1)), supers: make([]*super, nSupers*nSupers), parkOK: map[int]bool{},
		names: newNamer(p.Seed), rnd: stream(p.Seed, tagFacilities, 0, 0)}
	g.out.Params, g.out.DataSource = p, p.DataSource()
	g.city = newRegion(g.fr, o.City.Geom)
	var core []Outline
	for _, d := range o.Districts {
		for _, a := range coreDistricts {
			if d.Adcode == a {
				core = append(core, d)
			}
		}
		g.dists = append(g.dists, newRegion(g.fr, d.Geom))
		g.info = append(g.info, d)
	}
	if p.Scale <= 2 {
		var mps []*Outline
		for i := range core {
			mps = append(mps, &core[i])
		}
		g.mask = &region{}
		for _, d := range mps {
			g.mask.polys = append(g.mask.polys, newRegion(g.fr, d.Geom).polys...)
		}
	} else {
		g.mask = g.city
	}
	for _, pt := range o.River {
		g.river = append(g.river, g.fr.fwd(pt))
	}
	g.railway, g.kriver = g.scaledLine(railwayDesign), g.scaledLine(kriverDesign)
	for _, c := range clusters {
		g.out.Manifest.Clusters = append(g.out.Manifest.Clusters, c.name)
	}

	steps := []func(){
		g.selectUrban, g.rings, g.markBarriers,
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s()
	}
	if len(g.urban) == 0 {
		return nil, errors.New("synth: no room for the city inside the outlines")
	}
	cs := g.corridors()
	g.groupCommunities()
	ps := g.parks()
	g.parcelsAndCommunities()
	g.emitParks(ps)
	g.emitCorridors(cs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.facilities()
	g.network()
	g.barrierFeatures()
	g.controlLines()
	return &g.out, ctx.Err()
}
