package capacity

import (
	"fmt"
	"math"
)

// Decay functions of the catchment (docs/capacity.md).
const (
	// DecayNone weighs every resident within the catchment radius d0 fully (the original
	// 2SFCA of Luo & Wang 2003): W(d) = 1 for d ≤ d0, 0 beyond.
	DecayNone = "none"
	// DecayGaussian is the Gaussian weight of Dai (2010), rescaled so that it is 1 at the
	// facility and 0 at d0: W(d) = (exp(-½(d/d0)²) − exp(-½)) / (1 − exp(-½)) for d ≤ d0.
	DecayGaussian = "gaussian"
)

// Weight is the decay weight W(d) of a distance d (metres) under kind for radius d0: in
// [0, 1], 0 beyond d0.
func Weight(kind string, d, d0 float64) float64 {
	if d > d0 || d < 0 || math.IsNaN(d) {
		return 0
	}
	if kind == DecayGaussian {
		e := math.Exp(-0.5)
		return (math.Exp(-0.5*(d/d0)*(d/d0)) - e) / (1 - e)
	}
	return 1
}

// CheckDecay refuses an unknown decay name.
func CheckDecay(kind string) error {
	if kind != DecayNone && kind != DecayGaussian {
		return invalid("decay", fmt.Sprintf("decay %q is not none or gaussian", clip(kind)))
	}
	return nil
}

// Link is one facility–parcel pair within the catchment: Dist ≤ d0 metres of walking.
// Facility and Parcel index the supply and demand slices of TwoStep.
type Link struct {
	Facility int32
	Parcel   int32
	Dist     float64
}

// Catchment is the result of TwoStep.
type Catchment struct {
	// Demand[j] is the weighted demand in the catchment of facility j: Σ_i W(d_ij) P_i.
	Demand []float64
	// Ratio[j] is R_j = S_j / Demand[j], the capacity per resident of its catchment; 0 when
	// nobody lives in the catchment (the facility's capacity then serves no one).
	Ratio []float64
	// Access[i] is A_i = Σ_j W(d_ij) R_j, the capacity available per resident of parcel i.
	Access []float64
}

// TwoStep computes the two-step floating catchment area of supply (capacity S_j per
// facility) against demand (residents P_i per parcel) over links, the facility–parcel
// pairs within d0 with their distances:
//
//	step 1: R_j = S_j / Σ_{i: d_ij ≤ d0} W(d_ij) P_i
//	step 2: A_i = Σ_{j: d_ij ≤ d0} W(d_ij) R_j
//
// Sums run over links in the order given. Σ_i P_i A_i equals Σ S_j over the facilities
// whose catchment has residents (the capacity is shared out exactly).
func TwoStep(supply, demand []float64, links []Link, d0 float64, decay string) (*Catchment, error) {
	if err := CheckDecay(decay); err != nil {
		return nil, err
	}
	if !(d0 > 0) || math.IsInf(d0, 0) {
		return nil, invalid("d0", "the catchment radius must be a positive number of metres")
	}
	c := &Catchment{Demand: make([]float64, len(supply)), Ratio: make([]float64, len(supply)), Access: make([]float64, len(demand))}
	for _, l := range links {
		c.Demand[l.Facility] += Weight(decay, l.Dist, d0) * demand[l.Parcel]
	}
	for j, s := range supply {
		if c.Demand[j] > 0 {
			c.Ratio[j] = s / c.Demand[j]
		}
	}
	for _, l := range links {
		c.Access[l.Parcel] += Weight(decay, l.Dist, d0) * c.Ratio[l.Facility]
	}
	return c, nil
}
