package walk

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
)

// Reporting levels of the living-circle indicator, from the largest down.
const (
	LevelCity        = "city"
	LevelDistrict    = "district"
	LevelSubdistrict = "subdistrict" // 街道
	LevelCommunity   = "community"
)

// levelSlot is the position of an administrative level in Parcel.In.
var levelSlot = map[string]int{LevelDistrict: 0, LevelSubdistrict: 1, LevelCommunity: 2}

// slotLevel is the inverse of levelSlot.
var slotLevel = [3]string{LevelDistrict, LevelSubdistrict, LevelCommunity}

// Category is one row of facility_categories: the tier (walking distance in metres) within
// which a facility of the category must be reached, and whether it is a basic category
// of the complete 15-minute living circle.
type Category struct {
	Code   string  `json:"code"`
	NameZh string  `json:"name_zh"`
	NameEn string  `json:"name_en"`
	ReachM float64 `json:"reach_m"`
	Basic  bool    `json:"basic"`
	// Source is the table the category's points come from: "facilities", or "parks" for
	// park_square (公园绿地、广场), whose points are the access points of open parks.
	Source string `json:"source"`
	Order  int    `json:"-"`
}

// CategoryPark is the category of parks and squares (公园绿地、广场, standards.md §2): its
// "facilities" are the access points of the city's open and shared parks (ParkPoints).
const CategoryPark = "park_square"

// Facility is a daily-life facility: Point in the metric CRS, LonLat in EPSG:4326. An
// access point of a park (category CategoryPark) has Park set and the park's id as ID; a
// park has one Facility per access point, all with its id.
type Facility struct {
	ID       int64
	Category string
	Name     string
	Point    orb.Point
	LonLat   orb.Point
	Park     bool
	// Access, for a park's access point, is what the gate rule reads (internal/openness):
	// the park's status and hours and, for a recorded gate, the gate's (nil Gate: a point
	// derived from the network, which only the park's hours govern).
	Access *ParkAccess
}

// ParkAccess is what decides whether a park's access point is usable at a time of day.
type ParkAccess struct {
	Park openness.Park
	Gate *openness.Gate
}

// UsableAt applies the one gate rule (openness.GateUsable, or ParkOpen for a derived
// point) at a.
func (p *ParkAccess) UsableAt(a openness.At) bool {
	if p == nil {
		return true
	}
	if p.Gate == nil {
		return openness.ParkOpen(p.Park, a)
	}
	return openness.GateUsable(p.Park, *p.Gate, a)
}

// Parcel is one residential parcel (居住用地) reduced to what the indicator needs: its
// point on surface in the metric CRS (where its residents are taken to walk from), its
// area and its residents. In holds the indexes into Inputs.Areas of the district, 街道 and
// community containing Point (-1 when none does).
type Parcel struct {
	ID         int64
	Point      orb.Point
	AreaM2     float64
	Population float64
	In         [3]int32
}

// Area is a district, 街道 or community in the metric CRS.
type Area struct {
	Level string
	ID    int64
	Code  string
	Name  string
	Geom  orb.MultiPolygon
	bound orb.Bound
}

// Inputs is the immutable snapshot of everything the living-circle indicator reads
// besides the network. A scenario derives a new one with With.
type Inputs struct {
	City       City
	Version    string
	Categories []Category
	Facilities []Facility
	Parcels    []Parcel
	Areas      []Area
}

// Changes is what a scenario overlays on the baseline: facilities and parcels removed by
// id and added (a modified feature is a removal plus an addition with the same id), and
// walking edges closed by id and added (a footbridge). A park is removed with all its
// access points by its id in DeleteParks, and added as facilities with Park set.
type Changes struct {
	AddFacilities    []Facility
	DeleteFacilities []int64
	DeleteParks      []int64
	AddParcels       []Parcel // In is computed by With
	DeleteParcels    []int64
	AddEdges         []network.Edge
	CloseEdges       []int64
}

// With returns the inputs with ch applied; in is not modified and the unchanged slices
// are shared. Added parcels are assigned to areas here.
func (in *Inputs) With(ch Changes) *Inputs {
	out := *in
	out.Version = ""
	if len(ch.AddFacilities)+len(ch.DeleteFacilities)+len(ch.DeleteParks) > 0 {
		out.Facilities = withoutFacilities(in.Facilities, ch)
		out.Facilities = append(out.Facilities, ch.AddFacilities...)
	}
	if len(ch.AddParcels)+len(ch.DeleteParcels) > 0 {
		out.Parcels = without(in.Parcels, ch.DeleteParcels, func(p Parcel) int64 { return p.ID })
		for _, p := range ch.AddParcels {
			p.In = in.locate(p.Point)
			out.Parcels = append(out.Parcels, p)
		}
	}
	return &out
}

// without returns a fresh slice of xs minus the elements whose id is in drop.
func without[T any](xs []T, drop []int64, id func(T) int64) []T {
	gone := make(map[int64]bool, len(drop))
	for _, d := range drop {
		gone[d] = true
	}
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if !gone[id(x)] {
			out = append(out, x)
		}
	}
	return out
}

// withoutFacilities returns a fresh slice of fs minus the facilities in ch.DeleteFacilities
// and the access points of the parks in ch.DeleteParks, in order.
func withoutFacilities(fs []Facility, ch Changes) []Facility {
	keep := withoutIndexes(fs, ch)
	out := make([]Facility, len(keep))
	for j, i := range keep {
		out[j] = fs[i]
	}
	return out
}

// index prepares the areas for locate.
func (in *Inputs) index() {
	for i := range in.Areas {
		in.Areas[i].bound = in.Areas[i].Geom.Bound()
	}
}

// locate returns the indexes of the district, 街道 and community covering p; the first
// one in id order wins where areas of one level overlap.
func (in *Inputs) locate(p orb.Point) [3]int32 {
	r := [3]int32{-1, -1, -1}
	for i := range in.Areas {
		a := &in.Areas[i]
		slot := levelSlot[a.Level]
		if r[slot] >= 0 || !a.bound.Contains(p) {
			continue
		}
		if planar.MultiPolygonContains(a.Geom, p) {
			r[slot] = int32(i)
		}
	}
	return r
}

// parksAt returns in with the park access points shut at a left out (in itself when none
// is, or for openness.AnyTime, the rule the inputs were loaded with).
func (in *Inputs) parksAt(a openness.At) *Inputs {
	if _, set := a.Minute(); !set {
		return in
	}
	var keep []Facility
	for i, f := range in.Facilities {
		if f.Access.UsableAt(a) {
			if keep != nil {
				keep = append(keep, f)
			}
			continue
		}
		if keep == nil {
			keep = append(make([]Facility, 0, len(in.Facilities)), in.Facilities[:i]...)
		}
	}
	if keep == nil {
		return in
	}
	out := *in
	out.Version, out.Facilities = "", keep
	return &out
}
