package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

// maxHTMLRows caps a table in the HTML and PDF; the XLSX and CSV hold every row.
const maxHTMLRows = 500

type htmlSection struct {
	*Section
	Anchor  string
	Map     template.HTML
	Charts  []template.HTML
	Tables  []htmlTable
	Legends []LegendEntry
}

type htmlTable struct {
	*Table
	Rows [][]Cell
	More string
}

type htmlData struct {
	R          *Report
	Lang       string
	Title      string
	Subtitle   string
	Synthetic  int // the number of synthetic layers
	Base       template.HTML
	Targets    template.HTML
	Sections   []htmlSection
	DataAsOf   string
	Generated  string
	Indicators string
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, inline SVG maps and charts,
// no scripts and no external requests, so it opens offline and prints as it shows.
func WriteHTML(w io.Writer, r *Report) error {
	lang := r.Request.Lang
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"t":    func(k string) string { return T(lang, k) },
		"cell": func(c Cell) string { return c.Text(lang) },
		"num":  func(c Column) bool { return c.Kind == Int || c.Kind == Float },
		"provenance": func(s *Section) string {
			return fmt.Sprintf(T(lang, "provenance"), s.Caliber, s.Method, s.DataVersion)
		},
	}).Parse(htmlTemplate)
	if err != nil {
		return err
	}
	p := newProjection(r.Base.BBox)
	base, err := basePaths(p, r.Base)
	if err != nil {
		return err
	}
	d := htmlData{R: r, Lang: lang, Title: T(lang, "title"),
		Subtitle:  fmt.Sprintf(T(lang, "subtitle"), r.City.Name, T(lang, "lvl_"+r.Request.Level)),
		Base:      template.HTML(base),
		DataAsOf:  r.Data.Updated.Format("2006-01-02"),
		Generated: r.Generated.Format("2006-01-02 15:04 MST")}
	var synth []string
	for _, s := range r.Sources {
		if s.Synthetic {
			synth = append(synth, s.Layer)
		}
	}
	d.Synthetic = len(dedupe(synth))
	var targets []Figure
	var names []string
	for i, s := range r.Sections {
		names = append(names, s.Title)
		hs := htmlSection{Section: s, Anchor: fmt.Sprintf("s%d", i+1)}
		if len(s.Layers) > 0 {
			m, err := mapSVG(p, s, lang)
			if err != nil {
				return err
			}
			hs.Map = template.HTML(m)
		}
		for _, c := range s.Bars {
			if len(c.Bars) > 0 {
				hs.Charts = append(hs.Charts, template.HTML(barsSVG(c)))
			}
		}
		for _, t := range s.Tables {
			ht := htmlTable{Table: t, Rows: t.Rows}
			if len(t.Rows) > maxHTMLRows {
				ht.Rows = t.Rows[:maxHTMLRows]
				ht.More = fmt.Sprintf(T(lang, "more_rows"), len(t.Rows)-maxHTMLRows)
			}
			hs.Tables = append(hs.Tables, ht)
		}
		for _, f := range s.Figures {
			if f.HasTarget {
				targets = append(targets, f)
			}
		}
		d.Sections = append(d.Sections, hs)
	}
	d.Indicators = strings.Join(names, "、")
	if lang == "en" {
		d.Indicators = strings.Join(names, ", ")
	}
	if len(targets) > 0 {
		d.Targets = template.HTML(targetsSVG(targets, lang))
	}
	return tmpl.Execute(w, d)
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
