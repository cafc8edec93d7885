package checks

import (
	"time"

	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/citydata"
)

// The inputs of every check. Each check is a pure function of a Layers value: the Store
// fills it from the baseline tables, and a scenario (issue 13) will fill it from the
// baseline plus its in-memory changes before calling the same function. Every geometry is
// in the city's metric CRS (metres), never 4326.

// City is the one city type (internal/citydata).
type City = citydata.City

// Corridor is one row of eco_corridors.
type Corridor struct {
	ID          int64
	Name        string
	Kind        string
	DesignWidth float64
	Geom        *geos.Geom
}

// Area is a row of a control-line layer (eco_redlines, basic_farmland).
type Area struct {
	ID   int64
	Name string
	Geom *geos.Geom
}

// Boundary is one edition of the urban growth boundary.
type Boundary struct {
	ID         int64
	Edition    string
	ApprovedOn *time.Time
	ValidFrom  time.Time
	ValidTo    *time.Time // nil while in force
	Geom       *geos.Geom
}

// ValidOn reports whether the edition is in force on day d: valid_from ≤ d < valid_to.
func (b Boundary) ValidOn(d time.Time) bool {
	return !b.ValidFrom.After(d) && (b.ValidTo == nil || d.Before(*b.ValidTo))
}

// Residential is a row of residential_land.
type Residential struct {
	ID         int64
	Population int
	Households int
	Geom       *geos.Geom
}

// Facility is a row of facilities; FloorArea is nil when not recorded.
type Facility struct {
	ID        int64
	Category  string
	Name      string
	FloorArea *float64
	Geom      *geos.Geom // a point
}

// Park is a row of parks.
type Park struct {
	ID         int64
	Name       string
	Class      string
	OpenStatus string
	Area       float64
	Geom       *geos.Geom
}

// Community is a row of communities.
type Community struct {
	ID         int64
	Code       string
	Name       string
	Population int
	Households int
	Geom       *geos.Geom
}

// Layers holds what the checks read. A check reads only the layers it needs; Need says
// which ones a Store must load.
type Layers struct {
	City        City
	Corridors   []Corridor
	Redlines    []Area
	Farmland    []Area
	Boundaries  []Boundary
	Residential []Residential
	Facilities  []Facility
	Parks       []Park
	Communities []Community
}

// Need is a set of layers to load.
type Need uint16

// The layers a check can need.
const (
	NeedCorridors Need = 1 << iota
	NeedRedlines
	NeedFarmland
	NeedBoundaries
	NeedResidential
	NeedFacilities
	NeedParks
	NeedCommunities
)
