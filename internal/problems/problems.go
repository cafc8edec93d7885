// Package problems derives the 问题清单 (problem ledger) of the yearly 城市体检 from the
// indicators the project already computes: every community that fails an indicator at a
// data edition is a problem with a stable id, its location, value, threshold and a
// suggested remedy; two editions compared give each problem a status (new, persisting,
// fixed) and the 整治率, the share of the earlier edition's problems fixed, per community,
// per district and for the city.
//
// Nothing is computed here that another package computes: the figures are park coverage
// (coverage.Service.Indicator), the 15-minute living circle (walk.Service.LivingCircle*),
// the complete-community scorecard (checks.Service.CompleteCommunities) and the pocket-park
// sites (coverage.Sites), each asked as of the edition (internal/edition).
package problems

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
)

// The indicators problems are derived from.
const (
	ParkCoverage = "park-coverage"
	LivingCircle = "living-circle"
	// Complete is the complete-community scorecard (checks.Service.CompleteCommunities).
	Complete = "complete-communities"
)

// Indicators lists them in the order the ledger lists problems.
var Indicators = []string{ParkCoverage, LivingCircle, Complete}

// The statuses of a problem across two editions. Open is the status of every problem when
// there is no earlier edition to compare with.
const (
	StatusNew        = "new"
	StatusPersisting = "persisting"
	StatusFixed      = "fixed"
	StatusOpen       = "open"
)

// Statuses are the values of the status filter.
var Statuses = []string{StatusNew, StatusPersisting, StatusFixed, StatusOpen}

// LevelCommunity is the level problems are located at (社区, the 体检's smallest unit).
const LevelCommunity = "community"

// Unit is the administrative unit a problem is located in.
type Unit struct {
	Level           string `json:"level"`
	Code            string `json:"code"`
	Name            string `json:"name"`
	SubdistrictCode string `json:"subdistrict_code,omitempty"`
	SubdistrictName string `json:"subdistrict_name,omitempty"`
	DistrictCode    string `json:"district_code,omitempty"`
	DistrictName    string `json:"district_name,omitempty"`
	// id is the unit's row id in the edition it was read from (not stable across editions:
	// a unit redrawn by a boundary adjustment keeps its code, not necessarily its row).
	id int64
	// geom is the unit's boundary (GeoJSON, EPSG:4326) in that edition.
	geom json.RawMessage
}

// Site is a candidate pocket-park site (coverage.Sites) that lies in the problem's unit.
type Site struct {
	Rank   int     `json:"rank"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	AreaM2 float64 `json:"area_m2"`
	GainM2 float64 `json:"gain_m2"`
	// GainPopulation is the residents the site's park covers that were not covered.
	GainPopulation float64 `json:"gain_population"`
}

// Remedy is what a problem's suggested fix is: the candidate sites of a park-coverage gap,
// the basic categories a living circle misses, the checklist items an incomplete community
// misses.
type Remedy struct {
	// Sites are the city's candidate sites (the first Query.Sites of coverage.Sites, greedy
	// over the whole city) that fall in the unit; empty when none of them does.
	Sites []Site `json:"sites,omitempty"`
	// Missing are the codes of the basic facility categories the unit does not reach
	// (living circle), or the keys of the checklist items it does not meet (complete
	// communities; checks.Item.Key).
	Missing []string `json:"missing,omitempty"`
	// MissingNames are their Chinese names (the items' labels), in the same order.
	MissingNames []string `json:"missing_names,omitempty"`
}

// Problem is one failing unit of one indicator.
type Problem struct {
	// ID is stable across editions: a digest of Key.
	ID string `json:"id"`
	// Key is what identifies the problem: city slug / indicator / level / unit code.
	Key       string `json:"key"`
	Indicator string `json:"indicator"`
	Status    string `json:"status"`
	Unit      Unit   `json:"unit"`
	// Value is the unit's figure in the edition the problem is reported at: the later one,
	// or the earlier one for a fixed problem. Threshold is what the unit must reach
	// (value ≥ threshold passes).
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Before and After are the unit's figure in the earlier and the later edition, when
	// the unit has one there (a fixed problem's After says how far it got).
	Before *float64 `json:"before,omitempty"`
	After  *float64 `json:"after,omitempty"`
	Remedy Remedy   `json:"remedy"`
}

// Geometry is the boundary of the problem's unit (GeoJSON, EPSG:4326) in the edition the
// problem is reported at.
func (p *Problem) Geometry() json.RawMessage { return p.Unit.geom }

// Key returns the key of indicator's problem of the unit of code in city: it depends on
// nothing that changes between editions, so the same problem keeps its id.
func Key(city, indicator, level, code string) string {
	return strings.Join([]string{city, indicator, level, code}, "/")
}

// ID returns the stable id of the problem of key: "P" and the first 16 hex digits of the
// SHA-256 of the key's UTF-8 bytes.
func ID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "P" + hex.EncodeToString(h[:8])
}

// Rate is the 整治率 of one unit or of the city: of the Earlier problems (those of the
// earlier edition) Fixed are fixed in the later one. Rate is Fixed / Earlier, nil when the
// unit had none.
type Rate struct {
	Level      string   `json:"level"`
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Earlier    int      `json:"earlier"`
	Fixed      int      `json:"fixed"`
	Persisting int      `json:"persisting"`
	New        int      `json:"new"`
	Rate       *float64 `json:"rate"`
}

func (r *Rate) add(status string) {
	switch status {
	case StatusFixed:
		r.Earlier++
		r.Fixed++
	case StatusPersisting:
		r.Earlier++
		r.Persisting++
	case StatusNew:
		r.New++
	}
}

func (r *Rate) settle() {
	if r.Earlier > 0 {
		v := float64(r.Fixed) / float64(r.Earlier)
		r.Rate = &v
	}
}

// Compare gives each problem its status: a problem of later whose id was in earlier
// persists, one that was not is new, and one of earlier that is not in later is fixed (it
// keeps its earlier figures; After is the unit's later figure from afterValues, by id,
// when there is one). Without an earlier edition (compared false) every problem is open.
// The result is sorted by indicator (in Indicators order), unit code, id.
func Compare(earlier, later []Problem, compared bool, afterValues map[string]float64) []Problem {
	out := make([]Problem, 0, len(earlier)+len(later))
	before := map[string]*Problem{}
	for i := range earlier {
		before[earlier[i].ID] = &earlier[i]
	}
	seen := map[string]bool{}
	for _, p := range later {
		p.Status = StatusOpen
		if compared {
			p.Status = StatusNew
			if b, ok := before[p.ID]; ok {
				p.Status = StatusPersisting
				v := b.Value
				p.Before = &v
			}
		}
		v := p.Value
		p.After = &v
		seen[p.ID] = true
		out = append(out, p)
	}
	if compared {
		for _, p := range earlier {
			if seen[p.ID] {
				continue
			}
			p.Status = StatusFixed
			v := p.Value
			p.Before = &v
			if a, ok := afterValues[p.ID]; ok {
				p.After = &a
			}
			out = append(out, p)
		}
	}
	order := map[string]int{}
	for i, ind := range Indicators {
		order[ind] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Indicator != b.Indicator {
			return order[a.Indicator] < order[b.Indicator]
		}
		if a.Unit.Code != b.Unit.Code {
			return a.Unit.Code < b.Unit.Code
		}
		return a.ID < b.ID
	})
	return out
}

// Rates sums the statuses of ps per community, per district and for the city (city
// slug and name given), each sorted by code.
func Rates(ps []Problem, city, cityName string) (units, districts []Rate, all Rate) {
	all = Rate{Level: "city", Code: city, Name: cityName}
	byUnit, byDistrict := map[string]*Rate{}, map[string]*Rate{}
	for _, p := range ps {
		u := byUnit[p.Unit.Code]
		if u == nil {
			u = &Rate{Level: p.Unit.Level, Code: p.Unit.Code, Name: p.Unit.Name}
			byUnit[p.Unit.Code] = u
		}
		u.add(p.Status)
		if p.Unit.DistrictCode != "" {
			d := byDistrict[p.Unit.DistrictCode]
			if d == nil {
				d = &Rate{Level: "district", Code: p.Unit.DistrictCode, Name: p.Unit.DistrictName}
				byDistrict[p.Unit.DistrictCode] = d
			}
			d.add(p.Status)
		}
		all.add(p.Status)
	}
	flat := func(m map[string]*Rate) []Rate {
		out := make([]Rate, 0, len(m))
		for _, r := range m {
			r.settle()
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
		return out
	}
	all.settle()
	return flat(byUnit), flat(byDistrict), all
}
