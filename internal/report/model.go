package report

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Report is one generated report: the city, the provenance shared by every section, and the
// sections in the order they are printed.
type Report struct {
	Request  Request
	City     City
	Data     DataVersion
	Sources  []LayerSource // where each input layer came from; Synthetic ones are labelled
	Sections []*Section
	// Generated is when the report was made; shown in the HTML and the PDF only, never written
	// to the XLSX or CSV files (they must be byte-identical on unchanged data).
	Generated time.Time
	// Base is the background of every map: residential land and the area outlines of the
	// report's level, in EPSG:4326.
	Base BaseMap
}

// City identifies the reported city.
type City struct {
	ID         int
	Slug       string
	Name       string
	MetricSRID int
}

// DataVersion identifies the state of every input table of the report: the hash of
// internal/citydata, and the latest update among them.
type DataVersion struct {
	Hash string
	// Updated is the latest updated_at of any input row (UTC, whole seconds): the report's
	// "data as of" date and the XLSX document timestamps.
	Updated time.Time
}

// LayerSource is one row of city_layers: a layer's data source and whether it is generated.
type LayerSource struct {
	Layer       string
	Source      string
	Synthetic   bool
	Rows        int64
	Attribution string
}

// Section is one indicator or check of the report.
type Section struct {
	Key   string // indicator key, e.g. "park-coverage"
	Title string // localized
	// Caliber, Method and DataVersion state what every number of the section depends on.
	Caliber     string
	Method      string
	DataVersion string
	// Synthetic is set when any input layer of the section is generated (示例数据).
	Synthetic bool
	Figures   []Figure
	Bars      []BarChart
	Tables    []*Table
	Layers    []*Layer // drawn on the section's map and exported as GeoJSON/GeoPackage
	Notes     []string
}

// Figure is one headline number with its unit and, when one applies, the 2030 target.
type Figure struct {
	Label string
	Value Cell
	Unit  string
	// Target is the value to reach (same unit); Met says whether it is reached. HasTarget is
	// false for a figure without one.
	HasTarget bool
	Target    float64
	Met       bool
}

// BarChart is a horizontal bar chart of values against a target line.
type BarChart struct {
	Title  string
	Unit   string
	Target float64 // drawn as a line; 0 for none
	Max    float64 // the scale's end
	Bars   []Bar
}

// Bar is one bar.
type Bar struct {
	Label string
	Value float64
}

// Kind says how a column's values are formatted.
type Kind int

// Column kinds.
const (
	Text Kind = iota
	Int
	Float // Decimals places
	Bool
)

// Column is a table column.
type Column struct {
	Key      string // stable machine name (CSV consumers may key on the localized header)
	Header   string // localized
	Kind     Kind
	Decimals int
}

// Cell is one value: a string, an int64, a float64 (already in the column's unit, rounded by
// the writer) or a bool.
type Cell struct {
	S string
	I int64
	F float64
	B bool
	K Kind
	D int // decimals of a Float
}

// Str, Num, Flt and Yes make cells.
func Str(s string) Cell               { return Cell{S: s, K: Text} }
func Num(i int64) Cell                { return Cell{I: i, K: Int} }
func Flt(f float64, dec int) Cell     { return Cell{F: f, K: Float, D: dec} }
func Yes(b bool) Cell                 { return Cell{B: b, K: Bool} }
func pct(ratio float64, dec int) Cell { return Flt(100*ratio, dec) }

// Rounded returns a Float cell's value rounded to its decimals, the number every output
// writes, so the HTML, the XLSX and the CSV show the same figure.
func (c Cell) Rounded() float64 {
	if math.IsNaN(c.F) || math.IsInf(c.F, 0) {
		return 0
	}
	p := math.Pow10(c.D)
	v := math.Round(c.F*p) / p
	if v == 0 {
		return 0 // no "-0"
	}
	return v
}

// Text formats the cell deterministically (no locale, no thousands separators); lang
// chooses the words of a Bool.
func (c Cell) Text(lang string) string {
	switch c.K {
	case Int:
		return strconv.FormatInt(c.I, 10)
	case Float:
		return strconv.FormatFloat(c.Rounded(), 'f', c.D, 64)
	case Bool:
		if c.B {
			return T(lang, "yes")
		}
		return T(lang, "no")
	}
	return c.S
}

// Table is one table of a section: one XLSX sheet and one CSV file.
type Table struct {
	Name    string // file and sheet stem, e.g. "park-coverage-community"
	Title   string // localized title, also the XLSX sheet name (shortened)
	Columns []Column
	Rows    [][]Cell
}

// Layer is a map and export layer: a GeoJSON FeatureCollection in EPSG:4326 as the domain
// service serialised it, and how to draw it.
type Layer struct {
	Name  string // file stem and GeoPackage table, e.g. "park_coverage_gaps"
	Title string // localized legend entry
	// GeoJSON is the FeatureCollection (EPSG:4326).
	GeoJSON json.RawMessage
	Style   Style
	// Color, when set, picks a feature's fill from its properties (e.g. complete or not),
	// overriding Style.Fill; Legend then lists the classes.
	Color  func(props map[string]any) string
	Legend []LegendEntry
	// NoExport keeps a layer on the map only (e.g. a context layer the report draws but
	// another section already exports).
	NoExport bool
}

// Style is how a layer is drawn.
type Style struct {
	Fill        string
	Stroke      string
	StrokeWidth float64 // in page pixels
	Opacity     float64
	Point       float64 // radius of point markers in page pixels
}

// LegendEntry is one class of a coloured layer.
type LegendEntry struct {
	Label string
	Color string
}

// BaseMap is what every map draws under its layers.
type BaseMap struct {
	// Residential is residential land (居住用地) and Parks the parks, simplified for the page.
	Residential json.RawMessage
	Parks       json.RawMessage
	// Areas are the outlines of the report level's areas.
	Areas json.RawMessage
	// BBox is the extent of residential land in lon/lat: minLon, minLat, maxLon, maxLat.
	BBox [4]float64
}
