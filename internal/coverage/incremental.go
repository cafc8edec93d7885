package coverage

import (
	"context"
	"errors"
	"runtime"
	"slices"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// Apply returns the coverage of r's snapshot with ch applied, recomputing only the parcels
// ch can reach, and the indexes (into the new snapshot's Parcels) of those it recomputed;
// every other parcel keeps r's figure and gap. r must hold gaps (Options.Gaps). A change
// reaches:
//
//   - for a changed park (added, deleted, or either side of a modify): the parcels meeting
//     its box grown by its radius, plus, with the network method, the tolerance: the
//     covered surface is ⋃ Euclidean service areas ∩ the reached network grown by the
//     tolerance, and a park's reached network lies inside its own service area, so what a
//     park adds or takes away lies within radius + tolerance of it (its reached network
//     can make land inside another park's service area count);
//   - with the network method, an added or removed edge: parcels within 2r + the
//     tolerance + the entrance snaps of it (it changes the reach of parks whose sources
//     lie within r of it);
//   - added or modified parcels: always computed.
//
// The recomputation is Compute itself: with the buffer method on a sub-snapshot holding
// those parcels and every park; with the network method on the whole new snapshot (one
// search over the city, whose graph is shared when no edge changed) for those parcels'
// tiles only, the tiles of the grid every computation uses, whose buffered network comes
// from the result's SurfaceCache where the reach did not change. Either way each parcel's
// area is what a full computation gives. Scenarios (internal/scenario)
// and the pocket-park sites use it, so a site's predicted figure and the scenario built from
// it are computed by the same code.
func (r *Result) Apply(ctx context.Context, ch Changes) (*Result, []int, error) {
	if r.Gaps == nil {
		return nil, nil, errors.New("coverage: Apply needs a result computed with Options.Gaps")
	}
	base := r.snapshot
	cal, method := r.Caliber, r.Method
	tol := r.Parameters.ToleranceM // 0 for the buffer method
	scen := base.WithAssigned(ch)
	radius := func(p *Park) (float64, bool) { return cal.Radius(p.Facts()) }
	var regions []orb.Bound
	gone := map[int64]bool{}
	for _, id := range ch.DeleteParks {
		gone[id] = true
	}
	maxR := 0.0
	for i := range base.Parks {
		p := &base.Parks[i]
		rad, ok := radius(p)
		if ok && rad > maxR {
			maxR = rad
		}
		if gone[p.ID] && ok {
			regions = append(regions, p.Geom.Bound().Pad(rad+tol))
		}
	}
	for i := range ch.AddParks {
		p := &ch.AddParks[i]
		if rad, ok := radius(p); ok {
			regions = append(regions, p.Geom.Bound().Pad(rad+tol))
			maxR = max(maxR, rad)
		}
	}
	if method == caliber.Network {
		pad := 2*maxR + tol + RecordedEntranceSnapM + EntranceSnapM
		goneEdge := map[int64]bool{}
		for _, id := range ch.DeleteEdges {
			goneEdge[id] = true
		}
		for _, e := range base.Edges {
			if goneEdge[e.ID] {
				regions = append(regions, e.Geom.Bound().Pad(pad))
			}
		}
		for _, e := range ch.AddEdges {
			regions = append(regions, e.Geom.Bound().Pad(pad))
		}
	}
	added := map[int64]bool{}
	for _, p := range ch.AddParcels {
		added[p.ID] = true
	}
	var affected []int
	var bounds []orb.Bound
	if sameParcels(base, scen) {
		bounds = scen.parcelBounds() // computed once for the chain of park edits
	}
	for i := range scen.Parcels {
		p := &scen.Parcels[i]
		if added[p.ID] {
			affected = append(affected, i)
			continue
		}
		var pb orb.Bound
		if bounds != nil {
			pb = bounds[i]
		} else {
			pb = p.Geom.Bound()
		}
		for _, rg := range regions {
			if rg.Intersects(pb) {
				affected = append(affected, i)
				break
			}
		}
	}
	var covered []float64
	var gaps []orb.MultiPolygon
	if sameParcels(base, scen) {
		// The same parcels in the same order: r's figures, copied flat (the parcels
		// themselves are shared), then the affected ones replaced.
		covered, gaps = slices.Clone(r.Covered), slices.Clone(r.Gaps)
	} else {
		index := make(map[int64]int, len(base.Parcels))
		for i := range base.Parcels {
			index[base.Parcels[i].ID] = i
		}
		covered = make([]float64, len(scen.Parcels))
		gaps = make([]orb.MultiPolygon, len(scen.Parcels))
		for i := range scen.Parcels {
			if k, ok := index[scen.Parcels[i].ID]; ok && !added[scen.Parcels[i].ID] {
				covered[i], gaps[i] = r.Covered[k], r.Gaps[k]
			}
		}
	}
	reach := r.reach // kept for the next Apply; walk reuses it only for the same sources
	at, noSteps := r.networkOptions()
	if len(affected) > 0 {
		workers := min(runtime.GOMAXPROCS(0), 1+len(affected)/64)
		var res *Result
		var err error
		if method == caliber.Network {
			// The whole city's walk (one search, ~1 % of a computation) and the tiles of
			// the affected parcels, on the grid every computation uses: each tile's
			// surface is the full computation's, its buffered network from the cache
			// unless the reach there changed.
			only := make([]int32, len(affected))
			for k, i := range affected {
				only[k] = int32(i)
			}
			res, err = Compute(ctx, scen, cal, Options{Method: method, Gaps: true, Workers: workers, Tolerance: tol, Surfaces: r.surfaces, only: only, reach: r.reach, At: at, NoSteps: noSteps})
		} else {
			res, err = Compute(ctx, SubSnapshot(scen, affected, cal, method, tol), cal, Options{Method: method, Gaps: true, Workers: workers})
		}
		switch {
		case errors.Is(err, ErrNoNetwork) && method == caliber.Network:
			// No walkable edge at all: nothing reaches these parcels on foot.
			for _, i := range affected {
				covered[i], gaps[i] = 0, scen.Parcels[i].Geom
			}
		case err != nil:
			return nil, nil, err
		case method == caliber.Network:
			reach = res.reach
			for _, i := range affected {
				covered[i], gaps[i] = res.Covered[i], res.Gaps[i]
			}
		default:
			for k, i := range affected {
				covered[i], gaps[i] = res.Covered[k], res.Gaps[k]
			}
		}
	}
	out := Assemble(scen, cal, method, covered, gaps)
	out.Parameters, out.surfaces, out.reach = r.Parameters, r.surfaces, reach
	return out, affected, nil
}

// SubSnapshot holds the parcels affected (indexes into scen.Parcels) and what their
// coverage depends on. For the buffer method that is every park (Compute builds a park's
// buffer only when a parcel meets its box). For the network method, the parks whose
// service area grown by the tolerance tol meets the parcels, and the edges within the
// walking radius (plus the entrance snap) of those parks: a walk of length ≤ r from an
// access point never leaves the disc of radius r around it.
func SubSnapshot(scen *Snapshot, affected []int, cal caliber.Caliber, method string, tol float64) *Snapshot {
	sub := &Snapshot{CityID: scen.CityID, City: scen.City, CityName: scen.CityName, MetricSRID: scen.MetricSRID, Barriers: scen.Barriers, Steps: scen.Steps}
	var region orb.Bound
	for k, i := range affected {
		sub.Parcels = append(sub.Parcels, scen.Parcels[i])
		if k == 0 {
			region = scen.Parcels[i].Geom.Bound()
		} else {
			region = region.Union(scen.Parcels[i].Geom.Bound())
		}
	}
	if method != caliber.Network {
		sub.Parks = scen.Parks
		return sub
	}
	var reach []orb.Bound
	for _, p := range scen.Parks {
		r, ok := cal.Radius(p.Facts())
		if !ok || !p.Geom.Bound().Pad(r+tol).Intersects(region) {
			continue
		}
		sub.Parks = append(sub.Parks, p)
		pb := p.Geom.Bound()
		for _, e := range p.Entrances {
			pb = pb.Extend(e)
		}
		reach = append(reach, pb.Pad(r+RecordedEntranceSnapM+EntranceSnapM+1))
	}
	for _, e := range scen.Edges {
		eb := e.Geom.Bound()
		for _, r := range reach {
			if r.Intersects(eb) {
				sub.Edges = append(sub.Edges, e)
				break
			}
		}
	}
	return sub
}
