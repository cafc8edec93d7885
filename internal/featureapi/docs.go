package featureapi

import (
	"bytes"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
)

// docsPage renders the API reference as one self-contained HTML page: inline CSS, no
// scripts, no external requests, so it works offline and behind strict CSPs.
var docsPage = template.Must(template.New("docs").Funcs(template.FuncMap{
	"deref": func(f *float64) string { return strconv.FormatFloat(*f, 'g', -1, 64) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cityreach API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;background:#f4f4f4;padding:0 .2em}
pre{padding:.6em;overflow:auto}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.m{font-weight:bold;font-family:ui-monospace,monospace}.get{color:#06c}.post{color:#080}.put,.patch{color:#a60}.delete{color:#c00}
h2{border-bottom:2px solid #ddd;margin-top:2em}
</style></head><body>
<h1>cityreach planning layers API</h1>
<p>GeoJSON (<code>application/geo+json</code>) in and out under <code>/api/v1</code>. The machine-readable
description is <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3).</p>
<h2>Authentication</h2>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. Tokens are made with
<code>cityreach token create --role editor --name alice</code>. Roles: <b>viewer</b> reads, <b>editor</b> also writes,
<b>admin</b> also manages tokens. Reads without a token are {{if .Anonymous}}allowed{{else}}refused (401){{end}} on this server.
The token's name is recorded in each feature's history.</p>
<h2>Concurrency</h2>
<p>Every feature response carries <code>ETag: "N"</code> (its version). <code>PUT</code>, <code>PATCH</code> and
<code>DELETE</code> must send it back in <code>If-Match</code>: without it the answer is 428, with an old one 412,
and nothing changes.</p>
<h2>Errors</h2>
<p>Errors are <code>application/problem+json</code> (RFC 9457) with <code>detail</code> and, where it applies,
<code>attribute</code>, <code>constraint</code>, <code>pointer</code>, or for invalid geometries <code>reason</code>
and <code>location</code> (<code>[x, y]</code> as reported by PostGIS <code>ST_IsValidDetail</code>).</p>
<h2>Endpoints</h2>
<table><tr><th>Method</th><th>Path</th><th>What</th></tr>
{{range .Ops}}<tr><td class="m {{.Method}}">{{.Method}}</td><td><code>{{.Path}}</code></td><td>{{.Summary}}</td></tr>
{{end}}</table>
<h2>Layers</h2>
{{range .Layers}}<h3 id="{{.ID}}">{{.ID}} — {{.TitleEN}} ({{.TitleZH}})</h3>
<p>Geometry: {{.GeomType}}{{if eq .GeomType "MultiPolygon"}} (Polygon accepted and promoted){{end}}.
{{if .ValidFrom}}Editions: <code>?at=YYYY-MM-DD</code> selects the edition valid that day.{{end}}</p>
<table><tr><th>Attribute</th><th>Type</th><th>Title</th><th>Rules</th></tr>
{{range .Attributes}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.TitleEN}} / {{.TitleZH}}</td>
<td>{{if .Required}}required {{end}}{{if .ReadOnly}}read-only {{end}}{{if .Sortable}}sortable {{end}}{{if .Enum}}one of {{range $i, $e := .Enum}}{{if $i}}, {{end}}<code>{{$e}}</code>{{end}} {{end}}{{if .Min}}≥ {{deref .Min}} {{end}}{{if .Max}}≤ {{deref .Max}}{{end}}</td></tr>
{{end}}</table>
{{end}}
<h2>Example</h2>
<pre>curl -s 'http://localhost:8080/api/v1/layers/parks/features?bbox=109.8,40.6,109.9,40.7&amp;sortby=-area_m2&amp;limit=10'</pre>
</body></html>
`))

type docOp struct{ Method, Path, Summary string }

// docs serves /api/docs.
func (a *API) docs(c *gin.Context) {
	var ops []docOp
	for _, rt := range a.Routes() {
		ops = append(ops, docOp{Method: strings.ToLower(rt.Method), Path: httpapi.OpenAPIPath(rt.Path), Summary: rt.Summary})
	}
	order := map[string]int{"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return order[ops[i].Method] < order[ops[j].Method]
	})
	var buf bytes.Buffer
	err := docsPage.Execute(&buf, struct {
		Anonymous bool
		Ops       []docOp
		Layers    []*layers.Layer
	}{httpapi.AnonymousReads(c), ops, a.Layers.All()})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
