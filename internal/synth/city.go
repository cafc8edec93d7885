package synth

import "github.com/paulmach/orb"

// City is the generated demo city, every geometry in EPSG:4326. Slices are in generation
// order, which is deterministic; the loader keeps that order when it assigns ids.
type City struct {
	Params     Params
	DataSource string

	Subdistricts []Subdistrict
	Communities  []Community
	Parks        []Park
	Corridors    []Corridor
	RedLines     []Area
	Farmland     []Area
	// GrowthBlocks are the superblocks the two growth-boundary editions are unions of.
	GrowthBlocks []GrowthBlock
	Parcels      []Parcel
	Facilities   []Facility
	Edges        []Edge
	// Nodes is the number of network nodes; Edge.Source/Target are 1..Nodes.
	Nodes int64

	Manifest Manifest
}

// Subdistrict is a 街道; its outline is the union of its communities' outlines.
type Subdistrict struct {
	DistrictAdcode string
	Code, Name     string
}

// Community is a 社区 (one superblock between arterial roads).
type Community struct {
	Subdistrict            int // index into City.Subdistricts
	Code, Name             string
	Population, Households int
	Geom                   orb.Polygon
}

// Park is a 公园绿地 with its entrances.
type Park struct {
	Name, Class, OpenStatus string
	Pocket, Historic        bool
	Geom                    orb.Polygon
	Entrances               []orb.Point
}

// Corridor is an ecological corridor.
type Corridor struct {
	Name, Kind   string
	DesignWidthM float64
	Geom         orb.MultiPolygon
}

// Area is a named control-line polygon (red line, farmland).
type Area struct {
	Name string
	Geom orb.Polygon
}

// GrowthBlock is one superblock and the growth-boundary editions it belongs to.
type GrowthBlock struct {
	Geom           orb.Polygon
	In2021, In2024 bool
}

// Parcel is residential land (居住用地).
type Parcel struct {
	LanduseCode            string
	Population, Households int
	Geom                   orb.Polygon
}

// Facility is a daily-life facility; FloorAreaM2 is 0 when unknown.
type Facility struct {
	Category, Name string
	FloorAreaM2    float64
	Geom           orb.Point
}

// Edge is one network edge between two nodes.
type Edge struct {
	Source, Target   int64
	Highway, Name    string
	Walkable, Bridge bool
	// Steps marks a flight of steps (highway=steps, network_edges.steps).
	Steps bool
	Geom  orb.LineString
}

// Manifest lists what the generator built on purpose, so checks can assert it.
type Manifest struct {
	// NarrowPlaces are the corridor places narrower than 100 m, one per listed corridor.
	NarrowPlaces []NarrowPlace
	// BrokenCorridor is the one corridor made of two pieces.
	BrokenCorridor BrokenCorridor
	// Overlaps are the control-line polygons that overlap a growth-boundary edition.
	Overlaps []Overlap
	// Lacking are the two deliberate defects: the community nearest the 东河组团 centre
	// without a clinic and the one nearest the 九原组团 centre without a kindergarten.
	Lacking []Lacking
	// Gaps are every complete-community checklist item a community lacks inside its own
	// outline, one row per item, the two defects included. Category is a facility
	// category, "garden_4000m2" (no open 社区游园 of 4000 m²) or "service_floor" (service
	// stations under 30 m² per 100 households).
	Gaps []Lacking
	// Bridges counts bridge edges per barrier (railway, 昆都仑河).
	Bridges map[string]int
	// Clusters are the urban clusters (组团) between which the corridors run.
	Clusters []string
}

// NarrowPlace is a pinch in a corridor.
type NarrowPlace struct {
	Corridor string
	WidthM   float64
	At       orb.Point // lon/lat of the narrowest cross-section's centre
}

// BrokenCorridor is the corridor interrupted by development.
type BrokenCorridor struct {
	Corridor string
	GapM     float64
	At       orb.Point
}

// Overlap is a control-line polygon that overlaps a growth-boundary edition.
type Overlap struct {
	Layer, Name, Edition string
}

// Lacking is a community without a checklist item.
type Lacking struct {
	CommunityCode, CommunityName, Category string
}
