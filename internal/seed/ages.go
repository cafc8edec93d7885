package seed

import (
	"fmt"
	"math"

	"github.com/cityreach/cityreach/internal/synth"
)

// AgeSource is the data source of the demo's residents by age band.
const AgeSource = "cityreach-demo-ages (七普 2020 national shares)"

// AgeShares are the demo city's shares of residents per age band of migration 0021, in
// units of 1/10,000, from the 7th national census (第七次全国人口普查公报第五号, 2021-05-11):
// 0–14 17.95 %, 15–59 63.35 %, 60+ 18.70 % (confirmed). The 0–14 share is split among
// 0–3, 3–6, 6–12 and 12–15 in proportion to the years each band spans (an approximation;
// the census's single-year counts are not used), and 60+ into 60–80 and 80+ with the
// census's 80+ share of 2.54 % (recalled, unconfirmed). docs/demo-data.md repeats this.
var AgeShares = []struct {
	Band  string
	Share int
}{{"0-3", 359}, {"3-6", 359}, {"6-12", 718}, {"12-15", 359}, {"15-60", 6335}, {"60-80", 1616}, {"80-", 254}}

// ageCounts splits a community's population into AgeShares by the largest-remainder rule,
// so the bands add up to the population exactly.
func ageCounts(pop int) []int {
	out := make([]int, len(AgeShares))
	rem := make([]int, len(AgeShares))
	left := pop
	for k, s := range AgeShares {
		out[k] = pop * s.Share / 10000
		rem[k] = pop * s.Share % 10000
		left -= out[k]
	}
	for ; left > 0; left-- {
		best := 0
		for k := range rem {
			if rem[k] > rem[best] {
				best = k
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// demoSizing sizes the demo's facilities that have a capacity: the bands a category
// serves, the share of their residents the city's facilities provide for in total
// (Provision), and the unit the capacity comes in (a class of Unit places). Schools and
// kindergartens provide for 90 % of the children of their band, so that a plausible city
// has both gaps and surpluses; elderly-care stations 3 places per 100 residents aged 60+
// (the order of the national target of 30 beds per 1,000 older people, ⚠ unconfirmed).
var demoSizing = map[string]struct {
	Bands     []string
	Provision float64
	Unit      int
}{
	"nursery":        {[]string{"0-3"}, 0.3, 20},
	"kindergarten":   {[]string{"3-6"}, 0.9, 30},
	"primary_school": {[]string{"6-12"}, 0.9, 45},
	"middle_school":  {[]string{"12-15"}, 0.9, 50},
	"elderly_care":   {[]string{"60-80", "80-"}, 0.03, 10},
}

// DemoCapacity gives every facility of a sized category the same capacity, whole classes
// of its unit: Provision × the city's residents of its bands / the number of such
// facilities, rounded to whole units (at least one). Other categories have none.
func DemoCapacity(c *synth.City) map[string]float64 {
	total := 0
	for _, cm := range c.Communities {
		total += cm.Population
	}
	n := map[string]int{}
	for _, f := range c.Facilities {
		n[f.Category]++
	}
	out := map[string]float64{}
	for cat, s := range demoSizing {
		if n[cat] == 0 {
			continue
		}
		share := 0
		for _, b := range s.Bands {
			for _, a := range AgeShares {
				if a.Band == b {
					share += a.Share
				}
			}
		}
		per := s.Provision * float64(total) * float64(share) / 10000 / float64(n[cat])
		out[cat] = float64(s.Unit * max(1, int(math.Round(per/float64(s.Unit)))))
	}
	return out
}

// ages loads the residents of every community by age band (AgeShares of its population).
func (l *loader) ages() error {
	var codes, bands []string
	var pops []int64
	for _, cm := range l.c.Communities {
		for k, n := range ageCounts(cm.Population) {
			codes, bands, pops = append(codes, cm.Code), append(bands, AgeShares[k].Band), append(pops, int64(n))
		}
	}
	tag, err := l.tx.Exec(l.ctx, `INSERT INTO community_age_population (community_id, band, population, data_source, synthetic)
		SELECT c.id, a.band, a.pop, $5, true FROM unnest($1::text[], $2::text[], $3::int[]) AS a(code, band, pop)
		JOIN communities c ON c.city_id = $4 AND c.code = a.code`, codes, bands, pops, l.cityID, AgeSource)
	if err != nil {
		return fmt.Errorf("loading community ages: %w", err)
	}
	l.sum.Rows["community_age_population"] = tag.RowsAffected()
	_, err = l.tx.Exec(l.ctx, `INSERT INTO city_layers (city_id, layer, data_source, synthetic, rows, attribution)
		VALUES ($1, 'community_age_population', $2, true, $3, '示例数据 / synthetic: 七普 2020 national age shares')`, l.cityID, AgeSource, tag.RowsAffected())
	return err
}
