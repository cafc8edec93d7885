package coverage

import (
	"fmt"
	"sort"

	"github.com/cityreach/cityreach/internal/caliber"
)

// AreaFigure is the coverage of one area (the city, a district, a 街道 or a community).
type AreaFigure struct {
	Level             string  `json:"level"`
	ID                int64   `json:"id"`
	Name              string  `json:"name"`
	Parcels           int     `json:"parcels"`
	CoveredM2         float64 `json:"covered_m2"`
	TotalM2           float64 `json:"total_m2"`
	Ratio             float64 `json:"ratio"`
	Population        float64 `json:"population"`
	CoveredPopulation float64 `json:"covered_population"`
	PopulationShare   float64 `json:"population_share"`
	// Per-capita park area (m² per resident of the area's residential land) against
	// GB 55014; set at the city and district levels only.
	PerCapita *PerCapitaFigure `json:"per_capita,omitempty"`
}

// PerCapitaFigure is GB 55014's 人均公园绿地, 人均综合公园 and 人均社区公园. Park area is
// the park's own area, assigned to the district containing its point on surface; 公园绿地
// is every class but 广场 (squares are 广场用地, not 公园绿地), whatever its open status.
type PerCapitaFigure struct {
	ParkM2                 float64 `json:"park_m2"`
	ComprehensiveM2        float64 `json:"comprehensive_m2"`
	CommunityM2            float64 `json:"community_m2"`
	ParkPerCapita          float64 `json:"park_m2_per_capita"`
	ComprehensivePerCapita float64 `json:"comprehensive_m2_per_capita"`
	CommunityPerCapita     float64 `json:"community_m2_per_capita"`
	// Meets says, for each GB 55014 target the caliber sets, whether the area meets it.
	Meets map[string]bool `json:"meets,omitempty"`
}

// ByLevel returns the figures of every area of level, ordered by id; the city level
// gives one figure with id = city id. Parcels whose point on surface lies in no area of
// the level are reported under id 0 named "(outside any …)" so that the areas add up to
// the city.
func (r *Result) ByLevel(level string) ([]AreaFigure, error) {
	s := r.snapshot
	if level == LevelCity {
		f := AreaFigure{Level: LevelCity, ID: int64(s.CityID), Name: s.CityName, Parcels: len(s.Parcels),
			CoveredM2: r.CoveredM2, TotalM2: r.TotalM2, Population: r.Population, CoveredPopulation: r.CoveredPopulation}
		finish(&f)
		residents := f.Population
		if r.weight != nil {
			residents = 0
			for i := range s.Parcels {
				residents += s.Parcels[i].Population
			}
		}
		f.PerCapita = r.perCapita(func(int) bool { return true }, residents)
		return []AreaFigure{f}, nil
	}
	slot, ok := levelSlot[level]
	if !ok {
		return nil, fmt.Errorf("coverage: unknown level %q", level)
	}
	as := s.assignment()
	// figs[a+1] is the figure of area a, figs[0] that of the parcels outside every area
	// of the level: a slice, not a map, since this runs over every parcel of the city
	// for every level each time a run is stored. Each figure sums its parcels in
	// Parcels order, as before.
	figs := make([]*AreaFigure, len(s.Areas)+1)
	residents := make([]float64, len(s.Areas)+1) // every resident, whatever the bands: the per-capita figures' base
	for i := range s.Areas {
		if s.Areas[i].Level == level {
			figs[i+1] = &AreaFigure{Level: level, ID: s.Areas[i].ID, Name: s.Areas[i].Name}
		}
	}
	for i := range s.Parcels {
		a := as.parcel[i][slot]
		f := figs[a+1]
		if f == nil {
			f = &AreaFigure{Level: level, ID: 0, Name: "(outside any " + level + ")"}
			figs[a+1] = f
		}
		p := &s.Parcels[i]
		f.Parcels++
		f.TotalM2 += p.AreaM2
		f.CoveredM2 += r.Covered[i]
		w := r.pop(i)
		residents[a+1] += p.Population
		f.Population += w
		if p.AreaM2 > 0 {
			f.CoveredPopulation += w * r.Covered[i] / p.AreaM2
		}
	}
	out := make([]AreaFigure, 0, len(figs))
	for k, f := range figs {
		if f == nil {
			continue
		}
		finish(f)
		if level == LevelDistrict {
			a := int32(k - 1)
			f.PerCapita = r.perCapita(func(pk int) bool { return as.park[pk][slot] == a }, residents[k])
		}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func finish(f *AreaFigure) {
	f.Ratio = ratio(f.CoveredM2, f.TotalM2)
	f.PopulationShare = ratio(f.CoveredPopulation, f.Population)
}

func (r *Result) perCapita(in func(park int) bool, population float64) *PerCapitaFigure {
	s := r.snapshot
	pc := &PerCapitaFigure{}
	for i := range s.Parks {
		p := &s.Parks[i]
		if p.Class == caliber.Square || !in(i) {
			continue
		}
		pc.ParkM2 += p.AreaM2
		switch p.Class {
		case caliber.Comprehensive:
			pc.ComprehensiveM2 += p.AreaM2
		case caliber.Community:
			pc.CommunityM2 += p.AreaM2
		}
	}
	pc.ParkPerCapita = ratio(pc.ParkM2, population)
	pc.ComprehensivePerCapita = ratio(pc.ComprehensiveM2, population)
	pc.CommunityPerCapita = ratio(pc.CommunityM2, population)
	if t := r.Caliber.PerCapita; t != nil {
		pc.Meets = map[string]bool{}
		if t.ParkM2 > 0 {
			pc.Meets["park_m2"] = pc.ParkPerCapita > t.ParkM2
		}
		if t.ComprehensiveM2 > 0 {
			pc.Meets["comprehensive_m2"] = pc.ComprehensivePerCapita > t.ComprehensiveM2
		}
		if t.CommunityM2 > 0 {
			pc.Meets["community_m2"] = pc.CommunityPerCapita > t.CommunityM2
		}
	}
	return pc
}

// pop is parcel i's weight in the population figures: its residents, or with band= its
// residents of those age bands (withBands).
func (r *Result) pop(i int) float64 {
	if r.weight != nil {
		return r.weight[i]
	}
	return r.snapshot.Parcels[i].Population
}

// withBands returns r with its population figures (residents, residents served, the
// share) counting only the residents of bands, w[i] being parcel i's (in Snapshot.Parcels
// order, spread from the community counts: docs/capacity.md). The areas and the
// per-capita park figures, which count every resident, are unchanged.
func (r *Result) withBands(bands []string, w []float64) *Result {
	out := *r
	out.Bands, out.weight = bands, w
	out.Population, out.CoveredPopulation = 0, 0
	for i := range r.snapshot.Parcels {
		p := &r.snapshot.Parcels[i]
		out.Population += w[i]
		if p.AreaM2 > 0 {
			out.CoveredPopulation += w[i] * r.Covered[i] / p.AreaM2
		}
	}
	return &out
}
