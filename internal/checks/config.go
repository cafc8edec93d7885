package checks

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/cityreach/cityreach/internal/fault"
)

//go:embed defaults.json
var defaultsJSON []byte

// Config holds every threshold of the checks. Defaults come from the embedded
// defaults.json (docs/checks.md explains each value and its source); a JSON file can
// replace any part of it (MergeJSON) and single values can be overridden per request or
// per command (Override).
type Config struct {
	Corridor     CorridorConfig     `json:"corridor"`
	ControlLines ControlLinesConfig `json:"control_lines"`
	Growth       GrowthConfig       `json:"growth"`
	Scorecard    ScorecardConfig    `json:"scorecard"`
}

// CorridorConfig: widths and lengths in metres.
type CorridorConfig struct {
	MinWidth        float64 `json:"min_width_m"`        // clear width a corridor must keep (standards §4: 100 m)
	StationStep     float64 `json:"station_step_m"`     // spacing of the cross-sections along the centreline
	SkeletonSpacing float64 `json:"skeleton_spacing_m"` // boundary densification for the centreline
	TangentWindow   float64 `json:"tangent_window_m"`   // ± window over which the centreline direction is taken
}

// ControlLinesConfig: an overlap smaller than MinOverlap (m²) is numerical noise along a
// shared edge and is not reported.
type ControlLinesConfig struct {
	MinOverlap float64 `json:"min_overlap_m2"`
}

// GrowthConfig: the UGB edition diff, features outside the UGB, and the expansion ratio.
type GrowthConfig struct {
	MinArea      float64            `json:"min_area_m2"`        // smaller pieces of a diff or of land outside the UGB are noise
	ExpansionCap float64            `json:"expansion_cap"`      // ⚠ UGB area ≤ cap × base-year urban land
	BaseArea     map[string]float64 `json:"base_urban_area_m2"` // city slug → base-year urban construction land, m²
	BaseLayer    string             `json:"base_urban_layer"`   // "" or "residential_land" (a labelled proxy)
}

// ScorecardConfig: the complete-community checklist.
type ScorecardConfig struct {
	Tier           float64 `json:"tier_m"`          // a facility serves a community within this distance of it
	TargetComplete int     `json:"target_complete"` // Baotou's plan: 40 complete communities
	Items          []Item  `json:"items"`
}

// Item is one line of the checklist.
//
// Kind "" (facility): at least MinCount facilities of Categories serve the community, each
// with a floor area ≥ MinFloor (a facility whose floor area is unknown counts, flagged).
// Kind "all_of": each of Categories is served by at least one facility.
// Kind "park": a park of ParkClasses with an area ≥ MinArea within the tier.
// Kind "floor_per_households": the floor area of Categories inside the community is at least
// PerHundred m² per 100 households.
type Item struct {
	Key         string   `json:"key"`
	Label       string   `json:"label"`
	Kind        string   `json:"kind,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	MinFloor    float64  `json:"min_floor_m2,omitempty"`
	MinCount    int      `json:"min_count,omitempty"`
	MinArea     float64  `json:"min_area_m2,omitempty"`
	ParkClasses []string `json:"park_classes,omitempty"`
	PerHundred  float64  `json:"m2_per_100_households,omitempty"`
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	var c Config
	if err := c.MergeJSON(defaultsJSON); err != nil {
		panic("checks: embedded defaults.json: " + err.Error())
	}
	return c
}

// MergeJSON overlays a JSON document on c: members present replace the defaults (the
// items list is replaced as a whole). Unknown members are an error.
func (c *Config) MergeJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fault.Invalid("checks configuration: " + err.Error())
	}
	return c.Validate()
}

// Validate refuses values no check can run with.
func (c *Config) Validate() error {
	pos := func(name string, v, max float64) error {
		if math.IsNaN(v) || v <= 0 || v > max {
			return fault.Invalid(fmt.Sprintf("%s must be > 0 and ≤ %g, got %g", name, max, v)).With("parameter", name)
		}
		return nil
	}
	for _, e := range []error{
		pos("min_width_m", c.Corridor.MinWidth, 10000),
		pos("station_step_m", c.Corridor.StationStep, 1000),
		pos("skeleton_spacing_m", c.Corridor.SkeletonSpacing, 1000),
		pos("tangent_window_m", c.Corridor.TangentWindow, 1000),
		pos("expansion_cap", c.Growth.ExpansionCap, 100),
		pos("tier_m", c.Scorecard.Tier, 20000),
	} {
		if e != nil {
			return e
		}
	}
	if c.Corridor.StationStep < 0.5 {
		return fault.Invalid("station_step_m must be ≥ 0.5").With("parameter", "station_step_m")
	}
	if c.Corridor.SkeletonSpacing < 1 {
		return fault.Invalid("skeleton_spacing_m must be ≥ 1").With("parameter", "skeleton_spacing_m")
	}
	if c.ControlLines.MinOverlap < 0 || c.Growth.MinArea < 0 || math.IsNaN(c.ControlLines.MinOverlap) || math.IsNaN(c.Growth.MinArea) {
		return fault.Invalid("min_overlap_m2 and min_area_m2 must be ≥ 0")
	}
	if c.Growth.BaseLayer != "" && c.Growth.BaseLayer != "residential_land" {
		return fault.Invalid(`base_urban_layer must be "" or "residential_land"`).With("parameter", "base_urban_layer")
	}
	if c.Scorecard.TargetComplete < 0 {
		return fault.Invalid("target_complete must be ≥ 0").With("parameter", "target_complete")
	}
	if len(c.Scorecard.Items) == 0 {
		return fault.Invalid("the checklist has no items")
	}
	seen := map[string]bool{}
	for _, it := range c.Scorecard.Items {
		if it.Key == "" || seen[it.Key] {
			return fault.Invalid(fmt.Sprintf("checklist item keys must be present and unique: %q", it.Key))
		}
		seen[it.Key] = true
		switch it.Kind {
		case "", "all_of", "floor_per_households":
			if len(it.Categories) == 0 {
				return fault.Invalid("checklist item " + it.Key + " has no categories")
			}
		case "park":
		default:
			return fault.Invalid("checklist item " + it.Key + " has an unknown kind " + strconv.Quote(it.Kind))
		}
	}
	return nil
}

// Overridable lists the parameters Override accepts, for the API and the CLI flags.
var Overridable = []string{"min_width_m", "station_step_m", "min_overlap_m2", "expansion_cap", "base_area_m2", "tier_m", "target_complete"}

// Override sets one named value from its text form. base_area_m2 sets the base-year
// urban land of city.
func (c *Config) Override(city, name, value string) error {
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fault.Invalid(fmt.Sprintf("%s must be a number, got %q", name, value)).With("parameter", name)
	}
	switch name {
	case "min_width_m":
		c.Corridor.MinWidth = v
	case "station_step_m":
		c.Corridor.StationStep = v
	case "min_overlap_m2":
		c.ControlLines.MinOverlap = v
	case "expansion_cap":
		c.Growth.ExpansionCap = v
	case "base_area_m2":
		if v <= 0 {
			return fault.Invalid("base_area_m2 must be > 0").With("parameter", name)
		}
		m := map[string]float64{}
		for k, x := range c.Growth.BaseArea {
			m[k] = x
		}
		m[city] = v
		c.Growth.BaseArea = m
	case "tier_m":
		c.Scorecard.Tier = v
	case "target_complete":
		if v != math.Trunc(v) {
			return fault.Invalid("target_complete must be a whole number").With("parameter", name)
		}
		c.Scorecard.TargetComplete = int(v)
	default:
		return fault.Invalid("unknown parameter "+strconv.Quote(name)).With("parameter", name)
	}
	return c.Validate()
}
