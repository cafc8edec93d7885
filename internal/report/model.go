package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/edition"

	"github.com/cityreach/cityreach/internal/citydata"
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
	// AsOf is the past state of the data the report is of (Request.AsOf resolved); nil for
	// the current data.
	AsOf *edition.AsOf
}

// City is the one city type (internal/citydata).
type City = citydata.City

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
	// Trends are the section's indicator across the published data editions and now.
	Trends []*TrendChart
	Tables []*Table
	// Sheets are tables written to the XLSX workbook only (the per-parcel rows: too many to
	// print), after the section's tables.
	Sheets []*Table
	Layers []*Layer // drawn on the section's map and exported as GeoJSON/GeoPackage
	Notes  []string
	// Inputs are the input layers the section reads (its methodology lists them).
	Inputs []string
	// DistrictMaps asks for one map per area of the report's level besides the city map.
	DistrictMaps bool
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
	// Machine columns (internal ids) are written to the XLSX and CSV, not printed.
	Machine bool
}

// Cell is one value: a string, an int64, a float64 (already in the column's unit, rounded by
// the writer) or a bool. NA marks a figure that does not apply (an area without residential
// land has no coverage): "—" in the HTML and the XLSX, empty in the CSV.
type Cell struct {
	S  string
	I  int64
	F  float64
	B  bool
	K  Kind
	D  int  // decimals of a Float
	NA bool // not applicable
	// Lim, when HasLim, is a limit the value must not be rounded up to when it is below it:
	// a coverage of 99.985 % is printed 99.98 %, never 100.00 %.
	Lim    float64
	HasLim bool
}

// Str, Num, Flt, Yes and NA make cells.
func Str(s string) Cell           { return Cell{S: s, K: Text} }
func Num(i int64) Cell            { return Cell{I: i, K: Int} }
func Flt(f float64, dec int) Cell { return Cell{F: f, K: Float, D: dec} }
func Yes(b bool) Cell             { return Cell{B: b, K: Bool} }
func NA() Cell                    { return Cell{K: Text, NA: true} }

// pct makes a percentage cell of a ratio; it never rounds up to 100 %.
func pct(ratio float64, dec int) Cell {
	return Cell{F: 100 * ratio, K: Float, D: dec, Lim: 100, HasLim: true}
}

// ParkPerCapitaTarget is GB 55014-2021's park area per resident (> 8.0 m²/人, standards.md
// §1): a per-capita figure below it is never shown rounded up to it, on the page, in the CLI
// or in a report.
const ParkPerCapitaTarget = 8.0

// perCapitaCell makes a cell of a park area per resident that never rounds up to the target.
func perCapitaCell(v float64) Cell {
	return Cell{F: v, K: Float, D: 2, Lim: ParkPerCapitaTarget, HasLim: true}
}

// ha makes a cell in hectares (公顷) of an area in m².
func ha(m2 float64, dec int) Cell { return Flt(m2/1e4, dec) }

// Round rounds v to dec decimals, half away from zero, except that a value below limit is
// never rounded up to it: it is truncated instead (99.985 at two decimals below 100 gives
// 99.98). Pass math.Inf(1) for no limit. Every figure of the report and of the CLI goes
// through it, so a shortfall is never shown as met.
func Round(v float64, dec int, limit float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow10(dec)
	r := math.Round(v*p) / p
	if v < limit && r >= limit {
		r = math.Floor(v*p) / p
		if r >= limit { // v within a float ulp of the limit
			r = (math.Floor(v*p) - 1) / p
		}
	}
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// Format formats v as Round does, with dec decimals, and groups the integer digits by
// thousands with commas when group is set ("12,345.67").
func Format(v float64, dec int, limit float64, group bool) string {
	s := strconv.FormatFloat(Round(v, dec, limit), 'f', dec, 64)
	if !group {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

func (c Cell) limit() float64 {
	if c.HasLim {
		return c.Lim
	}
	return math.Inf(1)
}

// Rounded returns a Float cell's value rounded to its decimals (Round), the number every
// output writes, so the HTML, the XLSX and the CSV show the same figure.
func (c Cell) Rounded() float64 { return Round(c.F, c.D, c.limit()) }

// Text formats the cell deterministically (no locale, no thousands separators) as the CSV
// holds it; lang chooses the words of a Bool.
func (c Cell) Text(lang string) string {
	if c.NA {
		return ""
	}
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

// Display formats the cell for reading (the HTML, the PDF, the CLI): thousands separators,
// "—" where the figure does not apply.
func (c Cell) Display(lang string) string {
	switch {
	case c.NA:
		return "—"
	case c.K == Int:
		return Format(float64(c.I), 0, math.Inf(1), true)
	case c.K == Float:
		return Format(c.F, c.D, c.limit(), true)
	}
	return c.Text(lang)
}

// Table is one table of a section: one XLSX sheet and one CSV file.
type Table struct {
	Name    string // file stem, e.g. "park-coverage-community"
	Sheet   string // localized XLSX sheet name (at most 31 characters)
	Title   string // localized title
	Columns []Column
	Rows    [][]Cell
	// Total is the 全市合计 row (the city's own figure, not a sum of rounded rows), or nil.
	Total []Cell
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
	// Areas are the outlines of the report level's areas, with properties id, name and
	// label (a GeoJSON point inside the area).
	Areas json.RawMessage
	// BBox is the extent of residential land in lon/lat: minLon, minLat, maxLon, maxLat.
	BBox [4]float64
}

// asOfText states the past state r is of: the edition's name and its instant in 北京时间, or
// the instant alone; "" for a report of the current data.
func asOfText(r *Report, lang string, zone *time.Location) string {
	if r.AsOf == nil {
		return ""
	}
	at := r.AsOf.At.In(zone).Format("2006-01-02 15:04:05") + T(lang, "bjt")
	if r.AsOf.Edition == "" {
		return at
	}
	return r.AsOf.Edition + T(lang, "sep") + at
}

// omittedText names the sections an as-of report leaves out and why; "" when none.
func omittedText(r *Report, lang string) string {
	var out []string
	for _, k := range r.Request.Omitted {
		title := map[string]string{"capacity": "ind_cap"}[k]
		if title == "" {
			title = k
		}
		out = append(out, fmt.Sprintf(T(lang, "as_of_omitted_why"), T(lang, title)))
	}
	return strings.Join(out, T(lang, "list_sep"))
}
