package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
	_ "time/tzdata" // dates are printed in 北京时间 wherever the server runs
)

//go:embed report.html.tmpl
var htmlTemplate string

// maxHTMLRows caps a table in the HTML and PDF; the XLSX and CSV hold every row.
const maxHTMLRows = 500

// maxAreaMaps is the most areas that get a map each; finer levels get the city map only.
const maxAreaMaps = 20

// wideColumns is the number of printed columns from which a table goes on landscape pages.
const wideColumns = 10

// reportZone is the time zone of every date the report prints.
const reportZone = "Asia/Shanghai"

// Pages maps a heading (as Heading returns it) to the page it is printed on; WriteHTML
// prints them in the 目录. nil prints the 目录 without numbers (the first PDF pass).
type Pages map[string]int

// heading normalises a heading for matching against the PDF outline: no whitespace.
func heading(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\u00a0' || r == '\u3000' {
			return -1
		}
		return r
	}, s)
}

type htmlData struct {
	R         *Report
	Lang      string
	Title     string
	City      string
	Level     string
	Date      string // the report's date, 北京时间
	Generated string // date and time, 北京时间
	DataAsOf  string
	// AsOf and Omitted state the past state the report is of and the sections it leaves
	// out for that; "" for a report of the current data.
	AsOf      string
	Omitted   string
	Synthetic int // the number of synthetic layers
	Running   string
	PageFmt   [2]string // the footer before and after the page number
	Base      template.HTML
	TOC       []tocEntry
	Summary   []summaryRow
	Targets   *htmlFigure
	Method    []methodEntry
	Chapters  []*htmlChapter
	Annex     tocEntry
	Sources   []sourceRow
	SourceTab string // 表 A-1 …
}

type tocEntry struct {
	Anchor, Num, Title string
	Sub                bool
	Page               string
}

func (e tocEntry) Heading() string { return strings.TrimSpace(e.Num + " " + e.Title) }

type summaryRow struct {
	Indicator, Label, Value, Target, Gap, Unit string
	Met                                        bool
}

type methodEntry struct {
	tocEntry
	Standard, Caliber, Method, Formula, Sources, Limits string
}

type htmlFigure struct {
	Num     string // 图 3-1
	Caption string
	SVG     template.HTML
	Legend  []LegendEntry
	Half    bool // one of two side by side
}

type htmlTable struct {
	*Table
	Num     string // 表 3-1
	Cols    []int  // the printed columns
	Rows    [][]Cell
	More    string
	Wide    bool
	NumCols map[int]bool
}

type htmlChapter struct {
	tocEntry
	*Section
	Parts []htmlPart // 3.1 overall, 3.2 by area
}

type htmlPart struct {
	tocEntry
	Map     *htmlFigure
	Notes   []string
	Charts  []*htmlFigure
	Tables  []htmlTable
	AreaMap []*htmlFigure
}

type sourceRow struct {
	Layer, Source, Rows, Synthetic string
}

// WriteHTML writes r as one self-contained HTML page laid out as a planning document: a
// cover, a 目录, a summary of the targets, the methods, one chapter per indicator and the
// data sources. Inline CSS and SVG, no scripts, no external requests: it opens offline and
// prints as it shows. pages are the 目录's page numbers (nil: none yet).
func WriteHTML(w io.Writer, r *Report, pages Pages) error {
	lang := r.Request.Lang
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"t":      func(k string) string { return T(lang, k) },
		"cell":   func(c Cell) string { return c.Display(lang) },
		"target": func(f Figure) string { return Format(f.Target, f.Value.D, math.Inf(1), true) },
		// klass is a cell's CSS class: n for numbers, t for names and codes (one line), w for
		// long text that may wrap.
		"klass": func(t htmlTable, i int, c Cell) string {
			switch {
			case t.NumCols[i] || c.NA:
				return "n"
			case t.Columns[i].Key == "missing" || t.Columns[i].Key == "source":
				return "w"
			}
			return "t"
		},
	}).Parse(htmlTemplate)
	if err != nil {
		return err
	}
	zone, err := time.LoadLocation(reportZone)
	if err != nil {
		return err
	}
	d := htmlData{R: r, Lang: lang, Title: T(lang, "title"), City: cityName(r.City, lang), Level: T(lang, "lvl_"+r.Request.Level),
		Date:      r.Generated.In(zone).Format(T(lang, "date_fmt")),
		Generated: r.Generated.In(zone).Format("2006-01-02 15:04") + T(lang, "bjt"),
		DataAsOf:  r.Data.Updated.In(zone).Format(T(lang, "date_fmt"))}
	d.AsOf, d.Omitted = asOfText(r, lang, zone), omittedText(r, lang)
	d.Running = d.City + " · " + d.Title
	d.PageFmt = [2]string{T(lang, "page_before"), T(lang, "page_after")}
	var synth []string
	for _, s := range r.Sources {
		if s.Synthetic {
			synth = append(synth, s.Layer)
		}
		syn := ""
		if s.Synthetic {
			syn = T(lang, "synthetic")
		}
		d.Sources = append(d.Sources, sourceRow{Layer: layerName(lang, s.Layer), Source: sourceText(lang, s),
			Rows: Format(float64(s.Rows), 0, math.Inf(1), true), Synthetic: syn})
	}
	d.Synthetic = len(dedupe(synth))

	maps, err := newMapper(r)
	if err != nil {
		return err
	}
	d.Base = template.HTML(maps.defs) //nolint:gosec // G203: SVG this package builds, its text escaped with html.EscapeString
	page := func(h string) string {
		if pages == nil {
			return ""
		}
		if p, ok := pages[heading(h)]; ok {
			return fmt.Sprint(p)
		}
		return "?"
	}
	add := func(e *tocEntry) {
		e.Page = page(e.Heading())
		d.TOC = append(d.TOC, *e)
	}

	// 1 Summary: every figure with a target, its value, the target and the gap.
	sum := tocEntry{Anchor: "ch1", Num: "1", Title: T(lang, "summary")}
	add(&sum)
	var targets []Figure
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if !f.HasTarget {
				continue
			}
			targets = append(targets, f)
			row := summaryRow{Indicator: s.Title, Label: f.Label, Value: f.Value.Display(lang), Unit: f.Unit, Met: f.Met,
				Target: Format(f.Target, f.Value.D, math.Inf(1), true)}
			v := float64(f.Value.I)
			if f.Value.K == Float {
				v = f.Value.Rounded()
			}
			if f.Met {
				row.Gap = "—"
			} else {
				row.Gap = Format(f.Target-v, f.Value.D, math.Inf(1), true)
			}
			d.Summary = append(d.Summary, row)
		}
	}
	if len(targets) > 0 {
		d.Targets = &htmlFigure{Num: figNum(lang, "1", 1), Caption: T(lang, "targets_2030"), SVG: template.HTML(targetsSVG(targets, lang))} //nolint:gosec // G203: SVG this package builds, its text escaped with html.EscapeString
	}

	// 2 Methods, one subsection per indicator.
	meth := tocEntry{Anchor: "ch2", Num: "2", Title: T(lang, "methods")}
	add(&meth)
	for i, s := range r.Sections {
		e := methodEntry{tocEntry: tocEntry{Anchor: fmt.Sprintf("m%d", i+1), Num: fmt.Sprintf("2.%d", i+1), Title: s.Title, Sub: true},
			Standard: T(lang, "meth_"+s.Key+"_std"), Caliber: s.Caliber, Method: s.Method,
			Formula: T(lang, "meth_"+s.Key+"_formula"), Limits: T(lang, "meth_"+s.Key+"_limits")}
		var in []string
		for _, l := range s.Inputs {
			in = append(in, layerName(lang, l))
		}
		e.Sources = join(in, lang)
		add(&e.tocEntry)
		d.Method = append(d.Method, e)
	}

	// 3… one chapter per indicator.
	perArea := r.Request.Level == "district" || len(maps.areas) <= maxAreaMaps
	for i, s := range r.Sections {
		n := fmt.Sprint(i + 3)
		ch := &htmlChapter{tocEntry: tocEntry{Anchor: "ch" + n, Num: n, Title: s.Title}, Section: s}
		add(&ch.tocEntry)
		fig, tab := 0, 0
		nextFig := func() string { fig++; return figNum(lang, n, fig) }
		nextTab := func() string { tab++; return tabNum(lang, n, tab) }
		p1 := htmlPart{tocEntry: tocEntry{Anchor: "ch" + n + "-1", Num: n + ".1", Title: T(lang, "overall"), Sub: true}}
		add(&p1.tocEntry)
		if len(s.Layers) > 0 {
			svg, legend, err := maps.city(s, lang)
			if err != nil {
				return err
			}
			p1.Map = &htmlFigure{Num: nextFig(), Caption: s.Title + T(lang, "map_suffix"), SVG: template.HTML(svg), Legend: legend} //nolint:gosec // G203: SVG this package builds, its text escaped with html.EscapeString
		}
		p1.Notes = s.Notes
		for _, c := range s.Bars {
			if len(c.Bars) > 0 {
				p1.Charts = append(p1.Charts, &htmlFigure{Num: nextFig(), Caption: c.Title, SVG: template.HTML(barsSVG(c))}) //nolint:gosec // G203: SVG this package builds, its text escaped with html.EscapeString
			}
		}
		for _, c := range s.Trends {
			p1.Charts = append(p1.Charts, &htmlFigure{Num: nextFig(), Caption: c.Title, SVG: template.HTML(trendSVG(c, lang))}) //nolint:gosec // G203: trendSVG escapes every text it writes (html.EscapeString)
		}
		for _, t := range s.Tables {
			p1.Tables = append(p1.Tables, newHTMLTable(t, nextTab(), lang))
		}
		ch.Parts = append(ch.Parts, p1)
		if s.DistrictMaps && perArea && len(s.Layers) > 0 && len(maps.areas) > 1 {
			p2 := htmlPart{tocEntry: tocEntry{Anchor: "ch" + n + "-2", Num: n + ".2", Title: fmt.Sprintf(T(lang, "by_area"), d.Level), Sub: true}}
			add(&p2.tocEntry)
			for _, a := range maps.areas {
				svg, legend, err := maps.area(s, a, lang)
				if err != nil {
					return err
				}
				p2.AreaMap = append(p2.AreaMap, &htmlFigure{Num: nextFig(), Caption: a.name + " · " + s.Title, SVG: template.HTML(svg), Legend: legend, Half: true}) //nolint:gosec // G203: SVG this package builds, its text escaped with html.EscapeString
			}
			ch.Parts = append(ch.Parts, p2)
		}
		d.Chapters = append(d.Chapters, ch)
	}
	d.Annex = tocEntry{Anchor: "annex", Num: T(lang, "annex_a"), Title: T(lang, "sources")}
	add(&d.Annex)
	d.SourceTab = tabNum(lang, "A", 1)
	return tmpl.Execute(w, d)
}

func newHTMLTable(t *Table, num, lang string) htmlTable {
	ht := htmlTable{Table: t, Num: num, Rows: t.Rows, NumCols: map[int]bool{}}
	for i, c := range t.Columns {
		if !c.Machine {
			ht.Cols = append(ht.Cols, i)
		}
		if c.Kind == Int || c.Kind == Float {
			ht.NumCols[i] = true
		}
	}
	ht.Wide = len(ht.Cols) >= wideColumns
	if len(t.Rows) > maxHTMLRows {
		ht.Rows = t.Rows[:maxHTMLRows]
		ht.More = fmt.Sprintf(T(lang, "more_rows"), len(t.Rows)-maxHTMLRows)
	}
	return ht
}

func figNum(lang, chapter string, n int) string {
	return fmt.Sprintf(T(lang, "fig_num"), chapter, n)
}

func tabNum(lang, chapter string, n int) string {
	return fmt.Sprintf(T(lang, "tab_num"), chapter, n)
}

// cityName is the city's name in lang: the English name in the English report when one is
// stored.
func cityName(c City, lang string) string {
	if lang == "en" && c.NameEN != "" {
		return c.NameEN
	}
	return c.Name
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// sourceText is how a data source is cited: generated layers as such in the Chinese report
// (their source string is the generator's), others as stored with their attribution.
func sourceText(lang string, s LayerSource) string {
	if s.Synthetic && strings.HasPrefix(s.Source, "synthetic:") {
		return T(lang, "src_synthetic")
	}
	if s.Attribution != "" && s.Attribution != s.Source {
		return s.Source + " · " + s.Attribution
	}
	return s.Source
}
