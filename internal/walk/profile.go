package walk

import (
	"fmt"
	"strings"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/openness"
)

// BaseSpeedKmh is the walking speed the tiers of facility_categories assume: 城市体检 counts
// 1 km as 15 minutes (standards.md §2), 4 km/h.
const BaseSpeedKmh = 4.0

// Profile is a walker: a speed, which scales every category's tier (a tier is a number
// of minutes at BaseSpeedKmh, so at speed v it is reach_m × v / BaseSpeedKmh metres).
type Profile struct {
	Code     string  `json:"code"`
	SpeedKmh float64 `json:"speed_kmh"`
	NameZh   string  `json:"name_zh"`
	NameEn   string  `json:"name_en"`
	// NoSteps leaves the edges with steps (network_edges.steps, OSM highway=steps) out of
	// the walk: the living circle and park coverage's network method search the network
	// without them.
	NoSteps bool `json:"no_steps,omitempty"`
}

// Profiles are the built-in walking profiles. Older adults walk about 3.2–4.7 km/h
// (standards.md §6, ◐); r5r's default 3.6 km/h is taken for "elderly", the lower end
// 3.2 km/h for "slow" (walking aids, small children). "wheelchair" takes no steps
// (network_edges.steps) at the same 3.6 km/h (manual wheelchairs on footways average about
// 3.5–4 km/h; docs/living-circle.md).
var Profiles = []Profile{
	{Code: "standard", SpeedKmh: BaseSpeedKmh, NameZh: "标准步行（4 km/h）", NameEn: "standard walk (4 km/h)"},
	{Code: "elderly", SpeedKmh: 3.6, NameZh: "老年人步行（3.6 km/h）", NameEn: "older adults (3.6 km/h)"},
	{Code: "slow", SpeedKmh: 3.2, NameZh: "慢速步行（3.2 km/h）", NameEn: "slow walkers (3.2 km/h)"},
	{Code: "wheelchair", SpeedKmh: 3.6, NoSteps: true, NameZh: "轮椅（3.6 km/h，不走台阶）", NameEn: "wheelchair (3.6 km/h, no steps)"},
}

// ProfileByCode returns the built-in profile code.
func ProfileByCode(code string) (Profile, bool) {
	for _, p := range Profiles {
		if p.Code == code {
			return p, true
		}
	}
	return Profile{}, false
}

// applyProfile turns opt.Profile into tier overrides: every category without an explicit
// reach override gets reach_m × speed / BaseSpeedKmh; explicit overrides (metres) stand.
// It runs once per Options value.
func (o *Options) applyProfile(cats []Category) error {
	if o.Profile == "" || o.profile != nil {
		return nil
	}
	p, ok := ProfileByCode(o.Profile)
	if !ok {
		return fault.Invalid(fmt.Sprintf("profile must be one of %s, not %q", strings.Join(ProfileCodes(), ", "), fault.Clip(o.Profile))).With("parameter", "profile")
	}
	reach := make(map[string]float64, len(cats))
	for _, c := range cats {
		reach[c.Code] = c.ReachM * p.SpeedKmh / BaseSpeedKmh
	}
	for code, m := range o.Reach {
		reach[code] = m
	}
	o.Reach, o.profile = reach, &p
	return nil
}

// ProfileCodes lists the codes of the built-in profiles, in order.
func ProfileCodes() []string {
	out := make([]string, len(Profiles))
	for i, p := range Profiles {
		out[i] = p.Code
	}
	return out
}

// ParseAt reads the at= parameter (a time of day HH:MM; "" is any time of day) as an
// Invalid fault naming at.
func ParseAt(v string) (openness.At, error) {
	a, err := openness.ParseAt(v)
	if err != nil {
		return a, fault.Invalid(err.Error()).With("parameter", "at")
	}
	return a, nil
}
