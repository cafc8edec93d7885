package scenario

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// Baseline is a baseline coverage result kept for incremental recomputation: the snapshot
// and, per parcel, its covered area and gap.
type Baseline struct {
	Snap  *coverage.Snapshot
	Res   *coverage.Result // computed with gaps
	index map[int64]int    // parcel id → index in Snap.Parcels
}

// NewBaseline computes the baseline once (with gaps) under cal and method.
func NewBaseline(ctx context.Context, snap *coverage.Snapshot, cal caliber.Caliber, method string) (*Baseline, error) {
	res, err := coverage.Compute(ctx, snap, cal, coverage.Options{Method: method, Gaps: true})
	if err != nil {
		return nil, err
	}
	// Locate every parcel and park in its areas now, once: scenarios reuse it.
	if _, err := res.ByLevel(coverage.LevelCommunity); err != nil {
		return nil, err
	}
	b := &Baseline{Snap: snap, Res: res, index: make(map[int64]int, len(snap.Parcels))}
	for i := range snap.Parcels {
		b.index[snap.Parcels[i].ID] = i
	}
	return b, nil
}

// Incremental is a scenario's coverage and what it took.
type Incremental struct {
	Res *coverage.Result
	// Recomputed lists the scenario parcels (indexes into Res.Snapshot().Parcels) whose
	// covered area was recomputed; every other parcel keeps its baseline figure.
	Recomputed []int
	Duration   time.Duration
}

// Apply computes the coverage of base + ch, recomputing only the parcels ch can reach:
//
//   - a changed park (added, deleted, or either side of a modify) changes coverage only
//     inside its Euclidean service area, its box grown by its radius (the network figure is
//     inside it too, by construction);
//   - with the network method, an added or removed edge changes the reach of parks whose
//     sources lie within walking radius r of it, so only parcels within 2r + the
//     tolerance + the entrance snap of the edge;
//   - added or modified parcels are always computed.
//
// The recomputation is coverage.Compute itself on a sub-snapshot holding those parcels,
// every park that can reach them and (network) every edge a walk of length ≤ r from those
// parks can use, so each parcel's area is what a full computation gives.
func (b *Baseline) Apply(ctx context.Context, ch coverage.Changes) (*Incremental, error) {
	start := time.Now()
	cal, method := b.Res.Caliber, b.Res.Method
	scen := b.Snap.WithAssigned(ch)
	radius := func(p *coverage.Park) (float64, bool) { return cal.Radius(p.Facts()) }
	var regions []orb.Bound
	gone := map[int64]bool{}
	for _, id := range ch.DeleteParks {
		gone[id] = true
	}
	maxR := 0.0
	for i := range b.Snap.Parks {
		p := &b.Snap.Parks[i]
		r, ok := radius(p)
		if ok && r > maxR {
			maxR = r
		}
		if gone[p.ID] && ok {
			regions = append(regions, p.Geom.Bound().Pad(r))
		}
	}
	for i := range ch.AddParks {
		p := &ch.AddParks[i]
		if r, ok := radius(p); ok {
			regions = append(regions, p.Geom.Bound().Pad(r))
			maxR = max(maxR, r)
		}
	}
	if method == caliber.Network {
		pad := 2*maxR + coverage.DefaultTolerance + coverage.RecordedEntranceSnapM + coverage.EntranceSnapM
		goneEdge := map[int64]bool{}
		for _, id := range ch.DeleteEdges {
			goneEdge[id] = true
		}
		for _, e := range b.Snap.Edges {
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
	for i := range scen.Parcels {
		p := &scen.Parcels[i]
		if added[p.ID] {
			affected = append(affected, i)
			continue
		}
		pb := p.Geom.Bound()
		for _, r := range regions {
			if r.Intersects(pb) {
				affected = append(affected, i)
				break
			}
		}
	}
	covered := make([]float64, len(scen.Parcels))
	gaps := make([]orb.MultiPolygon, len(scen.Parcels))
	for i := range scen.Parcels {
		if k, ok := b.index[scen.Parcels[i].ID]; ok && !added[scen.Parcels[i].ID] {
			covered[i], gaps[i] = b.Res.Covered[k], b.Res.Gaps[k]
		}
	}
	if len(affected) > 0 {
		sub := subSnapshot(scen, affected, cal, method, maxR)
		workers := min(runtime.GOMAXPROCS(0), 1+len(affected)/64)
		res, err := coverage.Compute(ctx, sub, cal, coverage.Options{Method: method, Gaps: true, Workers: workers})
		switch {
		case errors.Is(err, coverage.ErrNoNetwork) && method == caliber.Network:
			// No edge within reach of these parcels: nothing reaches them on foot.
			for _, i := range affected {
				covered[i], gaps[i] = 0, scen.Parcels[i].Geom
			}
		case err != nil:
			return nil, err
		default:
			for k, i := range affected {
				covered[i], gaps[i] = res.Covered[k], res.Gaps[k]
			}
		}
	}
	return &Incremental{Res: coverage.Assemble(scen, cal, method, covered, gaps), Recomputed: affected, Duration: time.Since(start)}, nil
}

// subSnapshot holds the affected parcels of scen and what their coverage depends on. For
// the buffer method that is every park (Compute builds a park's buffer only when a parcel
// meets its box). For the network method, the parks whose service area meets the parcels
// and the edges within the walking radius (plus the entrance snap) of those parks: a walk of
// length ≤ r from an access point never leaves the disc of radius r around it.
func subSnapshot(scen *coverage.Snapshot, affected []int, cal caliber.Caliber, method string, maxR float64) *coverage.Snapshot {
	sub := &coverage.Snapshot{CityID: scen.CityID, City: scen.City, CityName: scen.CityName, MetricSRID: scen.MetricSRID}
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
		if !ok || !p.Geom.Bound().Pad(r).Intersects(region) {
			continue
		}
		sub.Parks = append(sub.Parks, p)
		pb := p.Geom.Bound()
		for _, e := range p.Entrances {
			pb = pb.Extend(e)
		}
		reach = append(reach, pb.Pad(r+coverage.RecordedEntranceSnapM+coverage.EntranceSnapM+1))
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
