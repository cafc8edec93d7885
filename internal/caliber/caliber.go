// Package caliber holds the calibers (口径) of the park service-radius coverage indicator
// as data: which parks count, the service radius of each size band, the distance method
// and the targets. The six calibers of docs/standards.md §1 are built in (builtin.json);
// planners add their own from a file or through the API, validated by Validate.
package caliber

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// Park classes as stored in parks.park_class.
const (
	Comprehensive = "comprehensive" // 综合公园
	Community     = "community"     // 社区公园
	Specialized   = "specialized"   // 专类公园
	Garden        = "garden"        // 游园 (口袋公园 when pocket)
	Square        = "square"        // 广场
)

// Distance methods.
const (
	Buffer  = "buffer"  // Euclidean buffer of the park polygon in the city's metric CRS
	Network = "network" // walking distance along the network from the park's entrances
)

// Headline figures.
const (
	ByArea       = "area"       // residential-land-area ratio (the official figure)
	ByPopulation = "population" // population-weighted share
)

var (
	knownClasses = map[string]bool{Comprehensive: true, Community: true, Specialized: true, Garden: true, Square: true}
	knownStatus  = map[string]bool{"open": true, "shared": true, "closed": true}
	idPattern    = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,62}$`)
)

// Band gives the service radius of parks of at least MinAreaM2 square metres (the park's
// own area in the city's metric CRS). A band with HistoricOnly applies only to parks in a
// 历史文化街区.
type Band struct {
	MinAreaM2    float64 `json:"min_area_m2"`
	RadiusM      float64 `json:"radius_m"`
	HistoricOnly bool    `json:"historic_only,omitempty"`
}

// Target is a threshold a planner compares the figure with, as a fraction (0.8 = 80 %).
type Target struct {
	Label string  `json:"label"`
	Ratio float64 `json:"ratio"`
}

// PerCapita holds GB 55014 per-capita targets in m² per resident; zero means none.
type PerCapita struct {
	ParkM2          float64 `json:"park_m2,omitempty"`          // 人均公园绿地
	ComprehensiveM2 float64 `json:"comprehensive_m2,omitempty"` // 人均综合公园
	CommunityM2     float64 `json:"community_m2,omitempty"`     // 人均社区公园
}

// Caliber is one definition of the indicator.
type Caliber struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	TitleEN string `json:"title_en,omitempty"`
	Source  string `json:"source,omitempty"`
	// Status is the confidence of the definition (confirmed, secondary, unconfirmed).
	Status string `json:"status,omitempty"`
	// Classes lists the park classes that count; "square" makes 广场 count.
	Classes []string `json:"classes"`
	// PocketParks says whether 口袋公园 (pocket gardens) count when Garden counts.
	PocketParks bool `json:"pocket_parks"`
	// OpenStatus lists the open_status values that count (open, shared, closed).
	OpenStatus []string `json:"open_status"`
	// Bands, tried from the largest MinAreaM2 down; the first that fits gives the radius.
	// A park no band fits is not counted.
	Bands []Band `json:"bands"`
	// Method is the default distance method: buffer or network.
	Method string `json:"method"`
	// Barriers makes rivers, railways and expressways (the city's non-walkable network
	// edges) cut the straight-line service areas: a park's radius does not jump a barrier
	// line except where a walkable edge crosses it (docs/coverage.md).
	Barriers bool `json:"barriers,omitempty"`
	// Headline says which figure the caliber reports first: area or population.
	Headline  string     `json:"headline"`
	Targets   []Target   `json:"targets,omitempty"`
	PerCapita *PerCapita `json:"per_capita,omitempty"`
	// Builtin is set on the calibers shipped with cityreach; user calibers cannot replace them.
	Builtin bool `json:"builtin"`
}

// ValidationError names the offending field so the API can point at it.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks c and normalises it (sorted bands, defaults for method and headline).
func (c *Caliber) Validate() error {
	if !idPattern.MatchString(c.ID) {
		return invalid("id", "must match %s", idPattern)
	}
	if strings.TrimSpace(c.Title) == "" {
		return invalid("title", "is required")
	}
	if len(c.Classes) == 0 {
		return invalid("classes", "at least one park class must count")
	}
	seen := map[string]bool{}
	for i, k := range c.Classes {
		if !knownClasses[k] {
			return invalid(fmt.Sprintf("classes[%d]", i), "unknown park class %q (use comprehensive, community, specialized, garden, square)", k)
		}
		if seen[k] {
			return invalid(fmt.Sprintf("classes[%d]", i), "duplicate class %q", k)
		}
		seen[k] = true
	}
	if len(c.OpenStatus) == 0 {
		c.OpenStatus = []string{"open", "shared"}
	}
	for i, s := range c.OpenStatus {
		if !knownStatus[s] {
			return invalid(fmt.Sprintf("open_status[%d]", i), "unknown open status %q (use open, shared, closed)", s)
		}
	}
	if len(c.Bands) == 0 {
		return invalid("bands", "at least one radius band is required")
	}
	if len(c.Bands) > 20 {
		return invalid("bands", "at most 20 bands")
	}
	for i, b := range c.Bands {
		f := fmt.Sprintf("bands[%d]", i)
		if !(b.MinAreaM2 >= 0) || math.IsInf(b.MinAreaM2, 0) || b.MinAreaM2 > 1e9 {
			return invalid(f+".min_area_m2", "must be a finite number between 0 and 1e9")
		}
		if !(b.RadiusM > 0) || b.RadiusM > MaxRadiusM {
			return invalid(f+".radius_m", "must be greater than 0 and at most 5000 metres (MaxRadiusM)")
		}
	}
	sort.SliceStable(c.Bands, func(i, j int) bool {
		if c.Bands[i].MinAreaM2 != c.Bands[j].MinAreaM2 {
			return c.Bands[i].MinAreaM2 > c.Bands[j].MinAreaM2
		}
		return c.Bands[i].HistoricOnly && !c.Bands[j].HistoricOnly
	})
	switch c.Method {
	case "":
		c.Method = Buffer
	case Buffer, Network:
	default:
		return invalid("method", "must be buffer or network, not %q", c.Method)
	}
	switch c.Headline {
	case "":
		c.Headline = ByArea
	case ByArea, ByPopulation:
	default:
		return invalid("headline", "must be area or population, not %q", c.Headline)
	}
	for i, t := range c.Targets {
		if !(t.Ratio > 0 && t.Ratio <= 1) {
			return invalid(fmt.Sprintf("targets[%d].ratio", i), "must be a fraction in (0, 1]")
		}
	}
	if p := c.PerCapita; p != nil {
		for name, v := range map[string]float64{"park_m2": p.ParkM2, "comprehensive_m2": p.ComprehensiveM2, "community_m2": p.CommunityM2} {
			if !(v >= 0 && v < 1e4) {
				return invalid("per_capita."+name, "must be between 0 and 10000 m² per resident")
			}
		}
	}
	return nil
}

// ParkFacts are what a caliber needs to know about a park.
type ParkFacts struct {
	Class      string
	Pocket     bool
	OpenStatus string
	Historic   bool
	AreaM2     float64
}

// Why a caliber does not count a park (Judge): the codes the scenario compare returns.
const (
	NotCountedClass    = "class"     // the park class is not among the caliber's classes
	NotCountedStatus   = "status"    // the open status is not among the caliber's
	NotCountedPocket   = "pocket"    // a pocket park, and the caliber counts none
	NotCountedTooSmall = "too_small" // smaller than every band that applies to the park
)

// Radius returns the service radius in metres of a park under c, and false when c does not
// count the park.
func (c *Caliber) Radius(p ParkFacts) (float64, bool) {
	r, why := c.Judge(p)
	return r, why == ""
}

// Judge is the caliber's rule for one park: its service radius in metres and "", or 0 and
// the reason (NotCounted…) it is not counted. Radius and every coverage computation
// use it, so the reason a scenario reports is the rule the figures follow.
func (c *Caliber) Judge(p ParkFacts) (float64, string) {
	if !contains(c.Classes, p.Class) {
		return 0, NotCountedClass
	}
	if !contains(c.OpenStatus, p.OpenStatus) {
		return 0, NotCountedStatus
	}
	if p.Pocket && !c.PocketParks {
		return 0, NotCountedPocket
	}
	for _, b := range c.Bands {
		if b.HistoricOnly && !p.Historic {
			continue
		}
		if p.AreaM2 >= b.MinAreaM2 {
			return b.RadiusM, ""
		}
	}
	return 0, NotCountedTooSmall
}

// MaxRadiusM bounds every band's radius: what an edit can change lies within it (the
// tile cache relies on that).
const MaxRadiusM = 5000

// MaxRadius is the largest radius of any band.
func (c *Caliber) MaxRadius() float64 {
	m := 0.0
	for _, b := range c.Bands {
		m = math.Max(m, b.RadiusM)
	}
	return m
}

// MinCountedArea returns the smallest park area (m²) that c counts for a park outside a
// historic district, or false when no band applies to such parks.
func (c *Caliber) MinCountedArea() (float64, bool) {
	best, ok := math.Inf(1), false
	for _, b := range c.Bands {
		if !b.HistoricOnly && b.MinAreaM2 < best {
			best, ok = b.MinAreaM2, true
		}
	}
	return best, ok
}

// Digest is a canonical JSON encoding of c, stored with every result so that a result
// says exactly which definition produced it even after the caliber is edited.
func (c *Caliber) Digest() json.RawMessage {
	b, _ := json.Marshal(c)
	return b
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
