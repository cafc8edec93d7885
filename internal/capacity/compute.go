package capacity

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walk"
)

// Levels of the capacity answer, from the finest.
const (
	LevelParcel = "parcel"
)

// Options selects one capacity indicator.
type Options struct {
	Category string
	// Bands overrides the category's demand bands; nil uses the category's (every
	// resident when it has none). "all" alone means every resident.
	Bands []string
	// D0 is the catchment radius in metres of walking; 0 uses the category's reach_m.
	D0 float64
	// Decay is DecayNone (default) or DecayGaussian.
	Decay string
	// Profile is a walking profile code of internal/walk (standard, elderly, slow): without
	// an explicit D0 the category's reach is scaled by the profile's speed, as the living
	// circle scales its tiers. Empty is the standard walk.
	Profile string
	// Level is parcel, community (default), subdistrict, district or city.
	Level string
	// Changes, when set, are a what-if scenario's (scenario.Service.CapacityReport).
	Changes *Changes
}

// Changes are what a what-if scenario changes for the capacity indicator.
type Changes struct {
	// Walk is its walking network, parcels (the demand) and facilities as the walking
	// service sees them.
	Walk walk.Changes
	// Supply are the facilities it adds or modifies, by category, each with the capacity
	// it has once the change applies; Gone the baseline facilities it deletes or modifies.
	Supply map[string][]Supply
	Gone   []int64
	// ParkAreas are the areas (m², of the metric geometry) of the parks the scenario adds or
	// modifies, by park id (an added park's id as the walking inputs know it); ParksGone the
	// baseline parks it deletes. Which parks are open, and where they are entered, is Walk's.
	ParkAreas map[int64]float64
	ParksGone []int64
}

// parkAreas returns the park areas base (by id) with ch applied: the deleted parks out,
// the added and modified ones at their scenario area. base is not modified.
func (ch *Changes) parkAreas(base map[int64]float64) map[int64]float64 {
	out := make(map[int64]float64, len(base)+len(ch.ParkAreas))
	for id, a := range base {
		out[id] = a
	}
	for _, id := range ch.ParksGone {
		delete(out, id)
	}
	for id, a := range ch.ParkAreas {
		out[id] = a
	}
	return out
}

// with returns the facilities fac of category with ch applied, in id order as the store
// reads them.
func (ch *Changes) with(category string, fac []Supply) []Supply {
	gone := make(map[int64]bool, len(ch.Gone))
	for _, id := range ch.Gone {
		gone[id] = true
	}
	out := make([]Supply, 0, len(fac)+len(ch.Supply[category]))
	for _, f := range fac {
		if !gone[f.ID] {
			out = append(out, f)
		}
	}
	out = append(out, ch.Supply[category]...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Report is the capacity indicator of one category for one demand.
type Report struct {
	City     walk.City `json:"city"`
	Category Category  `json:"category"`
	// Bands are the age bands of the demand; empty means every resident.
	Bands []string `json:"bands"`
	D0    float64  `json:"d0_m"`
	Decay string   `json:"decay"`
	// Profile is the walking profile that set D0 ("" when none was asked for).
	Profile string `json:"profile,omitempty"`
	// Norm is the category's capacity norm (facility_categories.capacity_norm): every
	// need, gap and shortfall is measured against it.
	Norm Norm `json:"norm"`
	// NormPerResident is Norm.PerThousand / 1000: the capacity one resident of Norm.Basis
	// should have.
	NormPerResident float64 `json:"norm_per_resident"`
	Level           string  `json:"level"`
	Method          string  `json:"method"`
	Totals          Figure  `json:"totals"`
	// Capacity sums the capacity of the facilities used, Idle the part of it whose
	// catchment has no demand.
	Capacity   float64          `json:"capacity"`
	Idle       float64          `json:"idle_capacity"`
	Facilities []FacilityFigure `json:"facilities"`
	// FacilitiesWithoutCapacity and FacilitiesUnattached are left out of the sums.
	FacilitiesWithoutCapacity int      `json:"facilities_without_capacity"`
	FacilitiesUnattached      int      `json:"facilities_unattached"`
	Areas                     []Area   `json:"areas"`
	Parcels                   []Parcel `json:"parcels,omitempty"`
	// ParcelsWithoutAgeData and their residents: in no community or one without age counts.
	ParcelsWithoutAgeData    int     `json:"parcels_without_age_data"`
	PopulationWithoutAgeData float64 `json:"population_without_age_data"`
	UnallocatedDemand        float64 `json:"unallocated_demand"`
	UnattachedParcels        int     `json:"unattached_parcels"`
	UnattachedParcelsDemand  float64 `json:"unattached_parcels_demand"`
	DataVersion              string  `json:"data_version"`
}

// Figure is the demand side of an area: Demand residents of the bands, Served = Σ A_i P_i
// places available to them, Ratio = Served / Demand (the supply ratio), Need = Σ N_i the
// capacity the norm asks for (N_i = Report.Norm.Need of each parcel), Attainment = Served /
// Need (1: the norm is met; 0 when nothing is needed), Gap = Need − Served (positive: a
// shortage, the 学位缺口), Shortfall = Σ max(0, N_i − A_i P_i) over its parcels (the
// shortage that a surplus elsewhere in the area does not offset).
type Figure struct {
	Demand     float64 `json:"demand"`
	Served     float64 `json:"served"`
	Ratio      float64 `json:"ratio"`
	Need       float64 `json:"need"`
	Attainment float64 `json:"attainment"`
	Gap        float64 `json:"gap"`
	Shortfall  float64 `json:"shortfall"`
	Parcels    int     `json:"parcels"`
}

// Area is the figure of one district, 街道 or community; ID 0 is the parcels outside any.
type Area struct {
	Level string `json:"level"`
	ID    int64  `json:"id"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Figure
}

// Parcel is one residential parcel: Access is A_i (places per resident of the bands), Need
// N_i the capacity the norm asks for, Attainment Served / Need (0 when nothing is needed),
// Gap N_i − A_i P_i.
type Parcel struct {
	ID         int64   `json:"id"`
	Community  int64   `json:"community_id,omitempty"`
	Demand     float64 `json:"demand"`
	Access     float64 `json:"access"`
	Served     float64 `json:"served"`
	Need       float64 `json:"need"`
	Attainment float64 `json:"attainment"`
	Gap        float64 `json:"gap"`
}

// FacilityFigure is one facility: its catchment demand Σ W P, R_j and Gap = demand − capacity.
type FacilityFigure struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Capacity float64 `json:"capacity"`
	Demand   float64 `json:"catchment_demand"`
	Ratio    float64 `json:"ratio"`
	Gap      float64 `json:"gap"`
}

// SpreadInputs spreads community counts (community id → residents of the bands) to the
// parcels of in.
func SpreadInputs(in *walk.Inputs, counts map[int64]float64) SpreadResult {
	pop := make([]float64, len(in.Parcels))
	com := make([]int32, len(in.Parcels))
	for i, p := range in.Parcels {
		pop[i], com[i] = p.Population, p.In[2]
	}
	bySlot := map[int32]float64{}
	for slot, a := range in.Areas {
		if a.Level == walk.LevelCommunity {
			if n, ok := counts[a.ID]; ok {
				bySlot[int32(slot)] = n
			}
		}
	}
	return Spread(pop, com, bySlot)
}

// TotalDemand is the demand of every resident: each parcel's own population.
func TotalDemand(in *walk.Inputs) SpreadResult {
	d := make([]float64, len(in.Parcels))
	for i, p := range in.Parcels {
		d[i] = p.Population
	}
	return SpreadResult{Demand: d}
}

// Links attaches the facilities and the parcels to n (largest access leg maxSnap) and
// returns every facility–parcel pair within d0 metres of walking, with which facilities
// and parcels are attached. A pair's distance is the walk package's: facility access leg +
// network + parcel access leg, so never less than the straight line between the points,
// which prunes the parcels tested.
func Links(ctx context.Context, n *walk.Network, parcels []walk.Parcel, fac []Supply, d0, maxSnap float64) ([]Link, []bool, []bool, error) {
	patt := make([]network.Attachment, len(parcels))
	pok := make([]bool, len(parcels))
	for i, p := range parcels {
		patt[i], pok[i] = n.Index.Attach(p.Point, maxSnap)
	}
	fok := make([]bool, len(fac))
	s := network.NewSearcher(n.Graph)
	var links []Link
	for j, f := range fac {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		// A park is reached at any of its access points: one search from all of them
		// gives each parcel its distance to the nearest.
		var src []network.Source
		box := orb.Bound{Min: f.Point, Max: f.Point}
		for _, pt := range append([]orb.Point{f.Point}, f.More...) {
			if a, ok := n.Index.Attach(pt, maxSnap); ok {
				src = append(src, network.AtPoint(a))
				box = box.Extend(pt)
			}
		}
		fok[j] = len(src) > 0
		if !fok[j] {
			continue
		}
		if err := s.Run(src, d0); err != nil {
			return nil, nil, nil, fmt.Errorf("capacity: facility %d: %w", f.ID, err)
		}
		box = box.Pad(d0)
		for i, p := range parcels {
			if !pok[i] || !box.Contains(p.Point) {
				continue
			}
			if d, _ := s.DistanceTo(patt[i]); d <= d0 {
				links = append(links, Link{Facility: int32(j), Parcel: int32(i), Dist: d})
			}
		}
	}
	return links, pok, fok, nil
}

// Compute is the capacity indicator on a network and inputs snapshot: fac are the
// category's facilities, demand the band demand per parcel of in.Parcels.
func Compute(ctx context.Context, n *walk.Network, in *walk.Inputs, cat Category, fac []Supply, demand SpreadResult, opt Options, maxSnap float64) (*Report, error) {
	if opt.Decay == "" {
		opt.Decay = DecayNone
	}
	if opt.D0 == 0 {
		opt.D0 = cat.ReachM
	}
	norm := cat.Norm.resolved()
	cat.Norm = norm
	level := opt.Level
	if level == "" {
		level = walk.LevelCommunity
	}
	slot := -1
	switch level {
	case walk.LevelDistrict:
		slot = 0
	case walk.LevelSubdistrict:
		slot = 1
	case walk.LevelCommunity:
		slot = 2
	case walk.LevelCity, LevelParcel:
	default:
		return nil, invalid("level", fmt.Sprintf("level %q is not parcel, community, subdistrict, district or city", clip(level)))
	}
	// The data version is the base network's, whichever derived graph the profile walks.
	version := in.Version + "/" + n.Version
	// A profile that takes no steps walks the network less its steps edges, by the rule the
	// living circle and park coverage follow (walk.Network.ForProfile).
	if p, ok := walk.ProfileByCode(opt.Profile); ok {
		var err error
		if n, err = n.ForProfile(p); err != nil {
			return nil, err
		}
	}
	// Only facilities with a known capacity supply places.
	var used []Supply
	rep := &Report{City: in.City, Category: cat, Bands: opt.Bands, D0: opt.D0, Decay: opt.Decay, Profile: opt.Profile, Norm: norm, NormPerResident: norm.PerThousand / 1000, Level: level,
		Method: "2sfca-network", DataVersion: version,
		ParcelsWithoutAgeData: demand.WithoutData, PopulationWithoutAgeData: demand.WithoutDataPopulation, UnallocatedDemand: demand.Unallocated}
	if rep.Bands == nil {
		rep.Bands = []string{}
	}
	for _, f := range fac {
		if f.Capacity == nil {
			rep.FacilitiesWithoutCapacity++
			continue
		}
		used = append(used, f)
	}
	links, pok, fok, err := Links(ctx, n, in.Parcels, used, opt.D0, maxSnap)
	if err != nil {
		return nil, err
	}
	supply := make([]float64, len(used))
	for j, f := range used {
		if fok[j] {
			supply[j] = *f.Capacity
		} else {
			rep.FacilitiesUnattached++
		}
	}
	c, err := TwoStep(supply, demand.Demand, links, opt.D0, opt.Decay)
	if err != nil {
		return nil, err
	}
	for j, f := range used {
		if !fok[j] {
			continue
		}
		rep.Capacity += supply[j]
		if c.Demand[j] <= 0 {
			rep.Idle += supply[j]
		}
		rep.Facilities = append(rep.Facilities, FacilityFigure{ID: f.ID, Name: f.Name, Capacity: supply[j], Demand: c.Demand[j], Ratio: c.Ratio[j], Gap: c.Demand[j] - supply[j]})
	}
	byArea := map[int32]*Figure{}
	add := func(f *Figure, p, need, served float64) {
		f.Demand += p
		f.Served += served
		f.Need += need
		f.Shortfall += math.Max(0, need-served)
		f.Parcels++
	}
	for i, p := range in.Parcels {
		pi := demand.Demand[i]
		served := c.Access[i] * pi
		need := norm.Need(pi, p.Population, demand.Unknown == nil || !demand.Unknown[i])
		if !pok[i] {
			rep.UnattachedParcels++
			rep.UnattachedParcelsDemand += pi
		}
		add(&rep.Totals, pi, need, served)
		if slot >= 0 {
			k := p.In[slot]
			if byArea[k] == nil {
				byArea[k] = &Figure{}
			}
			add(byArea[k], pi, need, served)
		}
		if level == LevelParcel {
			var com int64
			if p.In[2] >= 0 {
				com = in.Areas[p.In[2]].ID
			}
			rep.Parcels = append(rep.Parcels, Parcel{ID: p.ID, Community: com, Demand: pi, Access: c.Access[i], Served: served, Need: need, Attainment: attainment(served, need), Gap: need - served})
		}
	}
	finish(&rep.Totals)
	if slot >= 0 {
		keys := make([]int32, 0, len(byArea))
		for k := range byArea {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f := byArea[k]
			finish(f)
			a := Area{Level: level, Figure: *f}
			if k >= 0 {
				ar := in.Areas[k]
				a.ID, a.Code, a.Name = ar.ID, ar.Code, ar.Name
			}
			rep.Areas = append(rep.Areas, a)
		}
		slices.SortFunc(rep.Areas, func(x, y Area) int { return strings.Compare(x.Code, y.Code) })
	}
	if rep.Areas == nil {
		rep.Areas = []Area{}
	}
	return rep, nil
}

func finish(f *Figure) {
	f.Gap = f.Need - f.Served
	f.Attainment = attainment(f.Served, f.Need)
	if f.Demand > 0 {
		f.Ratio = f.Served / f.Demand
	}
}

// attainment is served / need, the share of the norm met; 0 when nothing is needed.
func attainment(served, need float64) float64 {
	if need > 0 {
		return served / need
	}
	return 0
}
