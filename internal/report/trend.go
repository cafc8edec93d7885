package report

import (
	"context"
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/series"
)

// TrendChart is an indicator across the city's published data editions and now, against the
// plan's target path: the 城市体检 view of this year against last year and the line to 2030
// (issue 21, docs/editions.md). Its points are the series API's.
type TrendChart struct {
	Title string
	// Percent: values are ratios printed as percentages; otherwise counts in Unit.
	Percent bool
	Unit    string
	Points  []TrendPoint
	Targets []series.Target
}

// TrendPoint is the indicator at one edition (or now).
type TrendPoint struct {
	Label string
	AsOf  time.Time
	Now   bool
	Value float64 // a ratio when Percent
}

// trendSeries is the indicator's time series at the report's level, computed by the same
// series.Source as GET /api/v1/indicators/{indicator}/series, so each value of the trend
// column equals the API's for the same city. nil when the report has no database (tests of
// the writers) or, for the living circle, no walk service.
func (b *builder) trendSeries(ctx context.Context, indicator, caliber, method string) (*series.Series, error) {
	if b.src.Store.Pool == nil || (indicator == series.LivingCircle && b.src.Walk == nil) {
		return nil, nil
	}
	if b.req.AsOf != "" {
		return nil, nil // a report as of an edition has no trend (n_asof_trend)
	}
	src := series.Source{Editions: edition.Store{Pool: b.src.Store.Pool}, Coverage: b.src.Coverage, Walk: b.src.Walk}
	return src.Series(ctx, series.Query{Indicator: indicator, City: b.req.City, Level: b.req.Level, Caliber: caliber, Method: method})
}

// trendCols describes the columns addTrend appends: key prefix, the header of an edition's
// column (a format taking the edition's name), the header of a target's (taking its year;
// "" for no target columns), and how a value becomes a cell.
type trendCols struct {
	key, header, targetHeader string
	cell                      func(v float64) Cell
	// total makes the 全市合计 cell of a point; nil leaves it NA.
	total func(p series.Point) Cell
	// na, when set, says a row's value does not apply: a unit without residential land has
	// no coverage (the series gives 0 for it, the table "—").
	na func(row []Cell, v float64) bool
}

// addTrend appends to t one column per published edition of sr (the unit's value then; NA
// where the unit did not exist) and one per target of the path (the same value on every
// row). Rows are matched by their id, the first cell. Now is the table's own figure and gets
// no column.
func addTrend(t *Table, sr *series.Series, c trendCols) {
	if sr == nil {
		return
	}
	var eds []series.Point
	for _, p := range sr.Points {
		if !p.Now {
			eds = append(eds, p)
		}
	}
	targets := sr.Targets
	if c.targetHeader == "" {
		targets = nil
	}
	if len(eds) == 0 && len(targets) == 0 {
		return
	}
	dec := c.cell(0).D
	for _, p := range eds {
		t.Columns = append(t.Columns, col(c.key+"@"+p.Edition, fmt.Sprintf(c.header, p.Edition), Float, dec))
	}
	for _, tg := range targets {
		t.Columns = append(t.Columns, col(fmt.Sprintf("target_%d", tg.Year), fmt.Sprintf(c.targetHeader, tg.Year), Float, dec))
	}
	byID := make([]map[int64]float64, len(eds))
	for i, p := range eds {
		byID[i] = map[int64]float64{}
		for _, v := range p.Values {
			byID[i][v.ID] = v.Value
		}
	}
	for r, row := range t.Rows {
		for i := range eds {
			if v, ok := byID[i][row[0].I]; ok && row[0].K == Int && (c.na == nil || !c.na(row, v)) {
				row = append(row, c.cell(v))
			} else {
				row = append(row, NA())
			}
		}
		for _, tg := range targets {
			row = append(row, c.cell(tg.Value))
		}
		t.Rows[r] = row
	}
	if t.Total != nil {
		for _, p := range eds {
			if c.total != nil {
				t.Total = append(t.Total, c.total(p))
			} else {
				t.Total = append(t.Total, NA())
			}
		}
		for _, tg := range targets {
			t.Total = append(t.Total, c.cell(tg.Value))
		}
	}
}

// column is the index of the column with key.
func (t *Table) column(key string) int {
	for i, c := range t.Columns {
		if c.Key == key {
			return i
		}
	}
	panic("report: no column " + key + " in " + t.Name)
}

// newTrend is the chart of sr's headline.
func newTrend(sr *series.Series, title string, percent bool, unit, now string) *TrendChart {
	if sr == nil || (len(sr.Points) < 2 && len(sr.Targets) == 0) {
		return nil
	}
	c := &TrendChart{Title: title, Percent: percent, Unit: unit, Targets: sr.Targets}
	for _, p := range sr.Points {
		label := p.Edition
		if p.Now {
			label = now
		}
		c.Points = append(c.Points, TrendPoint{Label: label, AsOf: p.AsOf, Now: p.Now, Value: p.Headline})
	}
	return c
}

var leadingYear = regexp.MustCompile(`^(\d{4})(?:\D|$)`)

var beijing = time.FixedZone("UTC+8", 8*3600)

// trendYears places the points on the time axis: an edition named after its year ("2024 现状")
// at that year, whatever instant it was taken; otherwise (and now) at the decimal year of
// its instant in Beijing time. A point never sits left of the one before: one that would
// (now in the same year as the last edition) moves half a year after it. The web map's
// timeline (frontend/src/timeline.ts) places them the same way.
func trendYears(pts []TrendPoint) []float64 {
	out := make([]float64, 0, len(pts))
	for _, p := range pts {
		var y float64
		if m := leadingYear.FindStringSubmatch(p.Label); m != nil && !p.Now {
			y, _ = strconv.ParseFloat(m[1], 64)
		} else {
			t := p.AsOf.In(beijing)
			start := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, beijing)
			end := time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, beijing)
			y = float64(t.Year()) + float64(t.Sub(start))/float64(end.Sub(start))
		}
		if n := len(out); n > 0 && y <= out[n-1] {
			y = out[n-1] + 0.5
		}
		out = append(out, y)
	}
	return out
}

// trendSVG draws the chart: the points joined by a line, each with its value; the path to
// the targets dashed; years along the bottom; 0–100 % (or 0 to the largest value or target
// rounded up to a multiple of 5) up the side; and a key naming each point.
func trendSVG(c *TrendChart, lang string) string {
	const w, h, left, right, top, bottom = 640.0, 220.0, 48.0, 20.0, 26.0, 56.0
	years := trendYears(c.Points)
	x0, x1 := math.Inf(1), math.Inf(-1)
	vmax := 0.0
	for i, y := range years {
		x0, x1 = math.Min(x0, y), math.Max(x1, y)
		vmax = math.Max(vmax, c.Points[i].Value)
	}
	for _, t := range c.Targets {
		x0, x1 = math.Min(x0, float64(t.Year)), math.Max(x1, float64(t.Year))
		vmax = math.Max(vmax, t.Value)
	}
	x0, x1 = math.Floor(x0), math.Ceil(x1)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	y1 := 1.0
	if !c.Percent {
		y1 = math.Max(5, math.Ceil(vmax/5)*5)
	}
	sx := func(yr float64) float64 { return math.Round((left+(yr-x0)/(x1-x0)*(w-left-right))*100) / 100 }
	sy := func(v float64) float64 { return math.Round((top+(1-v/y1)*(h-top-bottom))*100) / 100 }
	val := func(v float64) string {
		if c.Percent {
			return Format(100*v, 1, 100, true) + "%"
		}
		return Format(v, 0, math.Inf(1), true) + c.Unit
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" viewBox="0 0 %s %s" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="%s">`, ff(w), ff(h), svgFonts)
	fracs := []float64{0, 0.5, 1}
	if !c.Percent && math.Mod(y1, 2) != 0 { // a count's middle only when it is whole
		fracs = []float64{0, 1}
	}
	for _, f := range fracs {
		y := sy(f * y1)
		tick := Format(f*y1, 0, math.Inf(1), true)
		if c.Percent {
			tick = Format(100*f, 0, math.Inf(1), false) + "%"
		}
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e5e7eb"/><text x="%s" y="%s" text-anchor="end" fill="#5f6b7a">%s</text>`,
			ff(left), ff(y), ff(w-right), ff(y), ff(left-6), ff(y+4), tick)
	}
	step := 1.0
	if x1-x0 > 8 {
		step = 2
	}
	for yr := x0; yr <= x1; yr += step {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#5f6b7a">%s</text>`, ff(sx(yr)), ff(h-bottom+15), ff(yr))
	}
	var line []string
	for i, p := range c.Points {
		line = append(line, ff(sx(years[i]))+" "+ff(sy(p.Value)))
	}
	last := line[len(line)-1]
	if len(c.Targets) > 0 {
		path := "M" + last
		for _, t := range c.Targets {
			path += " L" + ff(sx(float64(t.Year))) + " " + ff(sy(t.Value))
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#d7191c" stroke-width="1.5" stroke-dasharray="5 4"/>`, path)
	}
	fmt.Fprintf(&b, `<path d="M%s" fill="none" stroke="#1a6f43" stroke-width="2"/>`, strings.Join(line, " L"))
	for i, p := range c.Points {
		x, y := sx(years[i]), sy(p.Value)
		fill := "#ffffff"
		if p.Now {
			fill = "#1a6f43"
		}
		fmt.Fprintf(&b, `<circle class="trend-point" data-value="%s" cx="%s" cy="%s" r="4" fill="%s" stroke="#1a6f43" stroke-width="2"/>`, ff(p.Value), ff(x), ff(y), fill)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, ff(x), ff(y-9), val(p.Value))
	}
	for _, t := range c.Targets {
		x, y := sx(float64(t.Year)), sy(t.Value)
		fmt.Fprintf(&b, `<circle class="trend-target" data-year="%d" data-value="%s" cx="%s" cy="%s" r="4.5" fill="#ffffff" stroke="#d7191c" stroke-width="1.5"/>`, t.Year, ff(t.Value), ff(x), ff(y))
		// Above the point, ending at it: the path comes from below, so they do not cross.
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#d7191c">%s %s</text>`, ff(x+4), ff(y-9), html.EscapeString(fmt.Sprintf(T(lang, "trend_target"), t.Year)), val(t.Value))
	}
	// The key: each point's name and value, then the targets.
	var key []string
	for _, p := range c.Points {
		key = append(key, p.Label+" "+val(p.Value))
	}
	for _, t := range c.Targets {
		key = append(key, fmt.Sprintf(T(lang, "trend_target"), t.Year)+" "+val(t.Value))
	}
	fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#1f2933">%s</text>`, ff(left), ff(h-12), html.EscapeString(strings.Join(key, " · ")))
	b.WriteString(`</svg>`)
	return b.String()
}
