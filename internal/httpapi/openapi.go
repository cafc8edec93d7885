package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1).
type Schema = map[string]any

// Param is a query, header or path parameter of a route. Path parameters need not be
// declared: every :name of the path is a required string unless a Param with In "path"
// says more.
type Param struct {
	Name string
	// In is "query" (when empty), "header" or "path".
	In          string
	Description string
	Required    bool
	Schema      Schema
	// Example is a value the route accepts; the contract test sends it.
	Example any
	// Refused, when set, is why the route does not take this parameter although its kind
	// of route does (NoScenario): the engine answers 400 naming it with this reason.
	Refused string
}

// Body is a route's request body.
type Body struct {
	Description string
	// Types are the accepted media types; application/json when empty.
	Types  []string
	Schema Schema
}

// Response is one answer a route gives when it succeeds.
type Response struct {
	Status      int
	Description string
	// Type is the media type; "" for an answer without a body (204, 304).
	Type   string
	Schema Schema
	// Headers names response headers and what they hold.
	Headers map[string]string
}

// The media types routes answer with.
const (
	JSONType    = "application/json"
	ProblemType = "application/problem+json"
	GeoJSONType = "application/geo+json"
)

// GeoJSON is a 200 application/geo+json FeatureCollection response.
func GeoJSON(desc string) []Response {
	return []Response{{Status: http.StatusOK, Description: desc, Type: GeoJSONType, Schema: Ref("FeatureCollection")}}
}

// JSON is a 200 application/json response with schema s.
func JSON(desc string, s Schema) []Response {
	return []Response{{Status: http.StatusOK, Description: desc, Type: JSONType, Schema: s}}
}

// Schema helpers, so that route declarations stay short.
var (
	Str  = Schema{"type": "string"}
	Int  = Schema{"type": "integer"}
	Num  = Schema{"type": "number"}
	Bool = Schema{"type": "boolean"}
	// Any is any JSON value.
	Any = Schema{}
)

// Obj is an object schema with props; required lists the members always present.
// Other members are allowed: a client reads what it knows.
func Obj(props Schema, required ...string) Schema {
	s := Schema{"type": "object"}
	if props != nil {
		s["properties"] = props
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// Arr is an array of items.
func Arr(items Schema) Schema { return Schema{"type": "array", "items": items} }

// Nullable is s or null.
func Nullable(s Schema) Schema { return Schema{"anyOf": []any{s, Schema{"type": "null"}}} }

// Ref refers to a schema of the document's components.
func Ref(name string) Schema { return Schema{"$ref": "#/components/schemas/" + name} }

// Enum is a string with one of values.
func Enum(values ...string) Schema { return Schema{"type": "string", "enum": values} }

// Components is a Mounter that adds named schemas to the document's components.
type Components interface {
	Schemas() map[string]Schema
}

// Info heads the OpenAPI document.
type Info struct {
	Title, Version, Description string
}

// baseSchemas are the components every document has: the problem document of every
// 4xx/5xx answer and a link.
func baseSchemas() map[string]Schema {
	return map[string]Schema{
		"Problem": Obj(Schema{"type": Str, "title": Str, "status": Int, "detail": Str, "instance": Str,
			"parameter": Str, "attribute": Str, "constraint": Str, "reason": Str, "pointer": Str},
			"type", "title", "status"),
		"Link": Obj(Schema{"href": Str, "rel": Str, "type": Str, "title": Str}, "href"),
		"Geometry": Obj(Schema{"type": Enum("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"),
			"coordinates": Arr(Any), "geometries": Arr(Any)}, "type"),
		"Feature": Obj(Schema{"type": Enum("Feature"), "id": Schema{"type": []string{"integer", "string"}},
			"geometry": Nullable(Ref("Geometry")), "properties": Nullable(Obj(nil))}, "type", "geometry", "properties"),
		"FeatureCollection": Obj(Schema{"type": Enum("FeatureCollection"), "features": Arr(Ref("Feature")),
			"numberMatched": Int, "numberReturned": Int, "links": Arr(Ref("Link"))}, "type", "features"),
	}
}

var pathParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// OpenAPIPath turns gin's /a/:b/*c into OpenAPI's /a/{b}/{c}.
func OpenAPIPath(p string) string { return pathParam.ReplaceAllString(p, "{$1}") }

var problemText = map[int]string{
	400: "A parameter or the body is malformed; the problem names it",
	401: "No token where one is needed, or an unknown, revoked or expired token",
	403: "The token's role is too small, or it is not the owner's",
	404: "No such resource",
	405: "Method not allowed",
	409: "Conflicts with the current state",
	410: "Gone",
	412: "Changed since it was read (If-Match)",
	413: "The body is too large",
	415: "Unsupported media type",
	422: "Well-formed but invalid content",
	428: "If-Match is required",
	429: "A quota is full; retry later",
	500: "Internal error; the log has the cause under the request id",
	503: "A dependency is unavailable",
}

// problems are the problem answers of rt: those it declares and those its access, owner
// rule and body imply.
func (rt Route) problems() []int {
	set := map[int]bool{500: true}
	for _, p := range rt.Problems {
		set[p] = true
	}
	if rt.Access != Public {
		set[401] = true
	}
	if rt.Access >= Editor || rt.Owner == OwnerOrAdmin {
		set[403] = true
	}
	if rt.Owner == OwnerOrAdminHidden || strings.ContainsAny(rt.Path, ":*") {
		set[404] = true
	}
	if rt.Body != nil {
		set[413] = true
		set[400] = true
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// operation is rt's OpenAPI operation object.
func (rt Route) operation() map[string]any {
	op := map[string]any{
		"operationId": rt.OperationID,
		"summary":     rt.Summary,
		"tags":        []string{tagOf(rt.Path)},
		"x-access":    rt.Access.String(),
	}
	if rt.Owner != NoOwner {
		op["x-owner"] = rt.Owner.String()
	}
	switch rt.Access {
	case Public:
		op["security"] = []any{}
	case AnonymousRead:
		op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{}}
	default:
		op["security"] = []any{map[string]any{"bearer": []string{}}}
	}
	var params []any
	declared := map[string]bool{}
	for _, p := range rt.Params {
		declared[p.In+" "+p.Name] = true
	}
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		if !declared["path "+m[1]] {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": Str})
		}
	}
	for _, p := range rt.Params {
		in := p.In
		if in == "" {
			in = "query"
		}
		s := p.Schema
		if s == nil {
			s = Str
		}
		pm := map[string]any{"name": p.Name, "in": in, "schema": s}
		if p.Description != "" {
			pm["description"] = p.Description
		}
		if p.Required || in == "path" {
			pm["required"] = true
		}
		if p.Example != nil {
			pm["example"] = p.Example
		}
		params = append(params, pm)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if b := rt.Body; b != nil {
		types := b.Types
		if len(types) == 0 {
			types = []string{JSONType}
		}
		content := map[string]any{}
		for _, t := range types {
			s := b.Schema
			if s == nil || (t != JSONType && !strings.HasSuffix(t, "json")) {
				s = Schema{"type": "string", "format": "binary"}
			}
			content[t] = map[string]any{"schema": s}
		}
		op["requestBody"] = map[string]any{"required": true, "description": b.Description, "content": content}
	}
	responses := map[string]any{}
	for _, r := range rt.Responses {
		k := strconv.Itoa(r.Status)
		ro, _ := responses[k].(map[string]any)
		if ro == nil {
			ro = map[string]any{"description": r.Description, "content": map[string]any{}}
		} else {
			ro["description"] = ro["description"].(string) + "; " + r.Description
		}
		if r.Type != "" {
			mt := map[string]any{}
			if r.Schema != nil {
				mt["schema"] = r.Schema
			}
			ro["content"].(map[string]any)[r.Type] = mt
		}
		if len(r.Headers) > 0 {
			hs := map[string]any{}
			for name, d := range r.Headers {
				hs[name] = map[string]any{"description": d, "schema": Str}
			}
			ro["headers"] = hs
		}
		responses[k] = ro
	}
	for _, r := range responses {
		if ro := r.(map[string]any); len(ro["content"].(map[string]any)) == 0 {
			delete(ro, "content")
		}
	}
	for _, p := range rt.problems() {
		k := strconv.Itoa(p)
		if _, ok := responses[k]; ok {
			continue
		}
		responses[k] = map[string]any{"description": problemText[p],
			"content": map[string]any{ProblemType: map[string]any{"schema": Ref("Problem")}}}
	}
	op["responses"] = responses
	return op
}

// tagOf groups a path by its feature: the segment after /api/v1, or the first one.
func tagOf(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(segs) >= 3 && segs[0] == "api" && segs[1] == "v1":
		return segs[2]
	case segs[0] == "" || segs[0] == "index.html" || segs[0] == "assets" || segs[0] == "glyphs" || strings.Contains(segs[0], "."):
		return "web"
	}
	return segs[0]
}

// Document is the OpenAPI 3.1 document of every route of mounts, from the same table
// NewEngine mounts, with the schemas of mounts that are Components. It fails where the
// table does (Table) and where a route has no operationId, two routes share one, or a
// GET declares no response; so a route cannot be served undescribed.
func Document(info Info, mounts ...Mounter) (map[string]any, error) {
	table, err := Table(mounts...)
	if err != nil {
		return nil, err
	}
	schemas := baseSchemas()
	for _, m := range mounts {
		if c, ok := m.(Components); ok {
			for k, v := range c.Schemas() {
				schemas[k] = v
			}
		}
	}
	paths := map[string]any{}
	ids := map[string]string{}
	var errs []string
	for _, rt := range table {
		name := rt.Method + " " + rt.Path
		switch {
		case rt.OperationID == "":
			errs = append(errs, name+" has no OperationID")
		case ids[rt.OperationID] != "":
			errs = append(errs, fmt.Sprintf("%s and %s share the operationId %s", ids[rt.OperationID], name, rt.OperationID))
		case len(rt.Responses) == 0:
			errs = append(errs, name+" declares no response")
		}
		ids[rt.OperationID] = name
		p := OpenAPIPath(rt.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(rt.Method)] = rt.operation()
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("openapi: %s", strings.Join(errs, "; "))
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info":              map[string]any{"title": info.Title, "version": info.Version, "description": info.Description},
		"servers":           []any{map[string]any{"url": "/"}},
		"paths":             paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "a token made with `cityreach token create`"}}},
	}, nil
}

// APIDocument serves the OpenAPI document of the server at /api/openapi.json. Make it
// with NewAPIDocument over every other mount; it describes itself too.
type APIDocument struct {
	body []byte
}

// NewAPIDocument builds the document of mounts and of its own route once; an error is
// an undescribed route (Document).
func NewAPIDocument(info Info, mounts ...Mounter) (*APIDocument, error) {
	d := &APIDocument{}
	doc, err := Document(info, append(append([]Mounter(nil), mounts...), d)...)
	if err != nil {
		return nil, err
	}
	if d.body, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	return d, nil
}

// Routes implements Mounter. The document is public like the web page: it holds no
// data, and a client reads there how to authenticate.
func (d *APIDocument) Routes() []Route {
	return []Route{{Method: http.MethodGet, Path: "/api/openapi.json", Access: Public, OperationID: "getOpenAPI",
		Summary:   "The OpenAPI 3.1 document of every route of this server.",
		Responses: JSON("The OpenAPI document", Obj(Schema{"openapi": Str, "info": Obj(nil), "paths": Obj(nil), "components": Obj(nil)}, "openapi", "paths")),
		Handlers:  []gin.HandlerFunc{d.serve}}}
}

func (d *APIDocument) serve(c *gin.Context) { c.Data(http.StatusOK, JSONType, d.body) }
