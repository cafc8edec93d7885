package capacity

// Spread is the dasymetric rule of docs/capacity.md: the residents of an age band counted
// for community c, N_c, are shared among the residential parcels whose point on surface
// lies in c in proportion to their residents: P_i = N_c · pop_i / Σ_{k ∈ c} pop_k. The
// parcel counts of a community therefore add up to N_c exactly (up to rounding of the
// float64 sum), whatever the parcels' own total is.
//
// community[i] is the community slot of parcel i (-1: in no community); counts maps a
// community slot to N_c (absent: no age data for it). Parcels in a community without age
// data, or in none, get demand 0 and are counted in SpreadResult.WithoutData; the counts of
// a community whose parcels hold no residents are reported as Unallocated.
func Spread(pop []float64, community []int32, counts map[int32]float64) SpreadResult {
	total := map[int32]float64{}
	for i, c := range community {
		if c >= 0 {
			total[c] += pop[i]
		}
	}
	r := SpreadResult{Demand: make([]float64, len(pop)), Unknown: make([]bool, len(pop))}
	for i, c := range community {
		n, ok := counts[c]
		if c < 0 || !ok {
			r.Unknown[i] = true
			if pop[i] > 0 {
				r.WithoutData++
				r.WithoutDataPopulation += pop[i]
			}
			continue
		}
		if t := total[c]; t > 0 {
			r.Demand[i] = n * pop[i] / t
		}
	}
	for c, n := range counts {
		if total[c] <= 0 {
			r.Unallocated += n
		}
	}
	return r
}

// SpreadResult is the per-parcel band demand of Spread and what could not be placed.
type SpreadResult struct {
	Demand []float64
	// Unknown marks the parcels whose band demand is unknown (in no community or one without
	// age data); nil when every parcel's is known.
	Unknown []bool
	// WithoutData counts the parcels with residents in no community or in one without age
	// data, and WithoutDataPopulation their residents; their band demand is unknown and
	// left out.
	WithoutData           int
	WithoutDataPopulation float64
	// Unallocated is the band count of communities with no residential parcel residents.
	Unallocated float64
}
