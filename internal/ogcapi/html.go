package ogcapi

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"
)

// page is one HTML page: self-contained (inline style, no scripts, no external requests).
type page struct {
	Title string
	Intro string
	Links []Link
	Table *table
	Pre   string
}

type table struct {
	Head []string
	Rows [][]cell
}

type cell struct {
	Text string
	Href string
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}code{font-size:12px}</style>
</head><body>
<h1>{{.Title}}</h1>
{{with .Intro}}<p>{{.}}</p>{{end}}
{{with .Links}}<ul>{{range .}}<li><a href="{{.Href}}" rel="{{.Rel}}">{{if .Title}}{{.Title}}{{else}}{{.Rel}}{{end}}</a> <code>{{.Rel}}{{with .Type}} · {{.}}{{end}}</code></li>{{end}}</ul>{{end}}
{{with .Table}}<table><thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead><tbody>
{{range .Rows}}<tr>{{range .}}<td>{{if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{end}}
{{with .Pre}}<pre><code>{{.}}</code></pre>{{end}}
</body></html>
`))

// html renders p as text/html.
func (a *API) html(c *gin.Context, p page) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		a.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// propertyColumns are the properties present in sample, in the collection's order.
func propertyColumns(d Description, sample json.RawMessage) []string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(sample, &m)
	var cols []string
	for _, p := range d.Properties {
		if _, ok := m[p.Name]; ok {
			cols = append(cols, p.Name)
		}
	}
	return cols
}

func rawText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

func (a *API) itemsHTML(c *gin.Context, d Description, qu Query, p Page, links []Link) {
	base := baseURL(c) + "/collections/" + d.ID + "/items/"
	t := &table{Head: []string{"id"}}
	var cols []string
	if len(p.Features) > 0 {
		cols = propertyColumns(d, p.Features[0].Properties)
	}
	t.Head = append(t.Head, cols...)
	for _, f := range p.Features {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(f.Properties, &m)
		id := rawText(f.ID)
		row := []cell{{Text: id, Href: base + id + "?f=html"}}
		for _, col := range cols {
			row = append(row, cell{Text: rawText(m[col])})
		}
		t.Rows = append(t.Rows, row)
	}
	intro := "Features " + strconv.FormatInt(qu.Offset+1, 10) + "–" + strconv.FormatInt(qu.Offset+int64(len(p.Features)), 10)
	if qu.After > 0 {
		intro = strconv.Itoa(len(p.Features)) + " features after id " + strconv.FormatInt(qu.After, 10)
	}
	if p.Matched >= 0 {
		intro += " of " + strconv.FormatInt(p.Matched, 10) + " matching"
	}
	intro += " · coordinates in " + qu.Out.CRS.URI()
	a.html(c, page{Title: d.Title, Intro: intro, Links: links, Table: t})
}

func (a *API) itemHTML(c *gin.Context, d Description, f Feature, links []Link) {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(f.Properties, &m)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	order := map[string]int{}
	for i, p := range d.Properties {
		order[p.Name] = i
	}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	t := &table{Head: []string{"Property", "Value"}}
	for _, k := range names {
		t.Rows = append(t.Rows, []cell{{Text: k}, {Text: rawText(m[k])}})
	}
	var pre bytes.Buffer
	_ = json.Indent(&pre, f.Geometry, "", "  ")
	geom := pre.String()
	if len(geom) > 64<<10 {
		geom = geom[:64<<10] + "\n… (truncated; the GeoJSON representation has all of it)"
	}
	a.html(c, page{Title: d.Title + " " + rawText(f.ID), Links: links, Table: t, Pre: geom})
}
