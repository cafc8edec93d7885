package scenario

import (
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// OutOfReach is the reason a counted park adds nothing because no residential parcel lies
// within its service radius (a park drawn outside the built-up city): the park's box grown
// by the radius meets no parcel's box. Covered land lies within the radius of a counted
// park under either method (a network service area lies inside the buffer), so such a
// park cannot add any.
const OutOfReach = "out_of_reach"

// ParkVerdict says, for a park a change adds or modifies, whether the caliber of the
// comparison counts it and, when the park cannot add coverage, why: one of
// caliber.NotCountedClass, …Status, …Pocket, …TooSmall (the caliber's own rule,
// caliber.Judge, which the coverage computation applies) or OutOfReach.
type ParkVerdict struct {
	N       int     `json:"n"`
	Layer   string  `json:"layer"`
	Op      string  `json:"op"`
	ID      int64   `json:"id"`
	Counted bool    `json:"counted"`
	RadiusM float64 `json:"radius_m,omitempty"`
	Reason  string  `json:"reason,omitempty"`
	// MinAreaM2 is, with too_small, the smallest park the caliber counts outside a
	// historic district (caliber.MinCountedArea).
	MinAreaM2 float64 `json:"min_area_m2,omitempty"`
	// Class, OpenStatus, Pocket and AreaM2 are the park's facts the rule was applied to.
	Class      string  `json:"park_class"`
	OpenStatus string  `json:"open_status"`
	Pocket     bool    `json:"pocket"`
	AreaM2     float64 `json:"area_m2"`
}

// parkVerdicts judges the final version of every park that changes add or modify, as it is
// in snap (the scenario's snapshot), under cal: one verdict per change, each on the park as
// the whole scenario leaves it.
func parkVerdicts(cal caliber.Caliber, snap *coverage.Snapshot, changes []Change) []ParkVerdict {
	parks := map[int64]*coverage.Park{}
	for i := range snap.Parks {
		parks[snap.Parks[i].ID] = &snap.Parks[i]
	}
	var boxes []orb.Bound
	for i := range snap.Parcels {
		boxes = append(boxes, snap.Parcels[i].Geom.Bound())
	}
	out := []ParkVerdict{}
	for _, c := range changes {
		if c.Layer != "parks" || c.Op == OpDelete {
			continue
		}
		id := c.FeatureID()
		p := parks[id]
		if p == nil { // deleted by a later change
			continue
		}
		f := p.Facts()
		r, why := cal.Judge(f)
		v := ParkVerdict{N: c.N, Layer: c.Layer, Op: c.Op, ID: id, Counted: why == "", RadiusM: r, Reason: why,
			Class: f.Class, OpenStatus: f.OpenStatus, Pocket: f.Pocket, AreaM2: f.AreaM2}
		if why == caliber.NotCountedTooSmall {
			v.MinAreaM2, _ = cal.MinCountedArea()
		}
		if v.Counted && !reachesAny(p.Geom.Bound().Pad(r), boxes) {
			v.Reason = OutOfReach
		}
		out = append(out, v)
	}
	return out
}

func reachesAny(b orb.Bound, boxes []orb.Bound) bool {
	for _, x := range boxes {
		if b.Intersects(x) {
			return true
		}
	}
	return false
}
