package coverage

import (
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// Assemble builds the Result of snap from per-parcel covered areas (m², in snap.Parcels
// order) computed elsewhere: a scenario's incremental recomputation (internal/scenario)
// reuses the baseline's areas for the parcels a change cannot reach. The totals, ByLevel
// and the per-capita figures are then those of snap, computed here as for Compute. gaps
// may be nil. covered must have one entry per parcel; it is kept, not copied.
func Assemble(snap *Snapshot, cal caliber.Caliber, method string, covered []float64, gaps []orb.MultiPolygon) *Result {
	res := &Result{Caliber: cal, Method: method, snapshot: snap, Covered: covered, Gaps: gaps,
		Parameters: Parameters{QuadSegs: QuadSegs, Assignment: "point on surface"}}
	for i := range snap.Parcels {
		p := &snap.Parcels[i]
		res.TotalM2 += p.AreaM2
		res.CoveredM2 += covered[i]
		res.Population += p.Population
		if p.AreaM2 > 0 {
			res.CoveredPopulation += p.Population * covered[i] / p.AreaM2
		}
	}
	return res
}

// Snapshot returns the snapshot r was computed on.
func (r *Result) Snapshot() *Snapshot { return r.snapshot }

// WithAssigned is With for a snapshot of many parcels: the new snapshot's assignment to
// districts, 街道 and communities reuses s's for every parcel and park it keeps and locates
// only the added ones, so a scenario's figures by level cost what its changes cost, not a
// new pass over the city.
func (s *Snapshot) WithAssigned(ch Changes) *Snapshot {
	out := s.With(ch)
	base := s.assignment()
	// Locate the added features on a private copy of the areas (assignment caches their
	// bounds in place).
	mini := &Snapshot{Areas: append([]Area(nil), s.Areas...), Parcels: ch.AddParcels, Parks: ch.AddParks}
	added := mini.assignment()
	out.assignOnce.Do(func() {
		if sameParcels(s, out) {
			out.assign.parcel = base.parcel // never modified in place
		} else {
			out.assign.parcel = keep(s.Parcels, ch.DeleteParcels, func(p Parcel) int64 { return p.ID }, base.parcel, added.parcel)
		}
		out.assign.park = keep(s.Parks, ch.DeleteParks, func(p Park) int64 { return p.ID }, base.park, added.park)
	})
	return out
}

// keep returns the assignments of the kept xs (in With's order) followed by those of the
// added features.
func keep[T any](xs []T, drop []int64, id func(T) int64, base, added [][3]int32) [][3]int32 {
	gone := make(map[int64]bool, len(drop))
	for _, d := range drop {
		gone[d] = true
	}
	out := make([][3]int32, 0, len(xs)+len(added))
	for i, x := range xs {
		if !gone[id(x)] {
			out = append(out, base[i])
		}
	}
	return append(out, added...)
}
