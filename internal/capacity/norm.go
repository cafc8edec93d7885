package capacity

// Bases of a capacity norm (facility_categories.capacity_norm_basis).
const (
	// NormBands counts the norm per 1,000 residents of the bands the indicator weighs (the
	// category's demand bands, or those asked for): e.g. 30 beds per 1,000 residents aged 60+.
	NormBands = "bands"
	// NormResidents counts it per 1,000 residents of every age (a planners' 千人指标, e.g. 4.5
	// 托位 per 1,000 population), while the demand that shares the capacity out stays the
	// bands'.
	NormResidents = "residents"
)

// Norm is the capacity the residents should have, against which the gap, shortfall and
// attainment are measured: PerThousand units of the category's capacity (seats, places,
// beds; m² for parks) per 1,000 residents of Basis (facility_categories.capacity_norm,
// migration 0027). Source says where the value comes from, or that it is an assumption.
// The zero Norm is one unit per resident of the bands.
type Norm struct {
	PerThousand float64 `json:"per_1000"`
	Basis       string  `json:"basis"`
	Source      string  `json:"source"`
}

// resolved is n with the zero value's defaults filled in.
func (n Norm) resolved() Norm {
	if n.PerThousand <= 0 {
		n.PerThousand = 1000
	}
	if n.Basis == "" {
		n.Basis = NormBands
	}
	return n
}

// Need is the capacity a parcel should have under n: PerThousand/1000 × its demand (the
// residents of the bands, NormBands) or × its residents (NormResidents). A parcel whose
// band demand is unknown (known false: no age data) needs nothing that can be counted: its
// need is 0 whatever the basis, as its demand is left out.
func (n Norm) Need(demand, residents float64, known bool) float64 {
	n = n.resolved()
	if !known {
		return 0
	}
	if n.Basis == NormResidents {
		return n.PerThousand / 1000 * residents
	}
	return n.PerThousand / 1000 * demand
}
