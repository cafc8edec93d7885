package ogcapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/layers"
)

// openAPI serves GET /ogc/api: the OpenAPI 3.0 definition of the OGC endpoints
// (Part 1 /req/oas30), or with f=html a readable summary of it (the service-doc).
func (a *API) openAPI(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	base := baseURL(c)
	doc := a.openAPIDoc(base)
	if html {
		t := &table{Head: []string{"Path", "Summary", "Parameters"}}
		paths := doc["paths"].(map[string]any)
		for _, p := range []string{"/", "/conformance", "/api", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/queryables", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}"} {
			op := paths[p].(map[string]any)["get"].(map[string]any)
			var names string
			for i, prm := range op["parameters"].([]any) {
				if i > 0 {
					names += ", "
				}
				names += paramName(prm)
			}
			t.Rows = append(t.Rows, []cell{{Text: "GET " + Prefix + p}, {Text: op["summary"].(string)}, {Text: names}})
		}
		a.html(c, page{Title: a.Title + " — API", Intro: "OGC API – Features, Parts 1–3. The machine-readable definition is the OpenAPI document linked below.",
			Links: []Link{{Href: base + "/api?f=html", Rel: "self", Type: HTMLType, Title: "This page"}, {Href: base + "/api", Rel: "service-desc", Type: OpenAPIType, Title: "OpenAPI 3.0 definition"}}, Table: t})
		return
	}
	b, _ := json.Marshal(doc)
	c.Data(http.StatusOK, OpenAPIType, b)
}

func paramName(p any) string {
	m := p.(map[string]any)
	if r, ok := m["$ref"].(string); ok {
		return r[len("#/components/parameters/"):]
	}
	return m["name"].(string)
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/parameters/" + name}
}

func (a *API) openAPIDoc(base string) map[string]any {
	ids := []string{}
	for _, col := range a.Catalog.All() {
		ids = append(ids, col.Description().ID)
	}
	crsURIs := []string{}
	for _, x := range a.CRS {
		crsURIs = append(crsURIs, x.URI())
	}
	q := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema, "style": "form", "explode": false}
	}
	str := map[string]any{"type": "string"}
	crsSchema := map[string]any{"type": "string", "format": "uri", "enum": crsURIs}
	resp := func(desc, typ string) map[string]any {
		return map[string]any{
			"200": map[string]any{"description": desc, "content": map[string]any{typ: map[string]any{}, "text/html": map[string]any{}}},
			"400": map[string]any{"description": "Invalid parameter (problem+json naming it)", "content": map[string]any{"application/problem+json": map[string]any{}}},
		}
	}
	get := func(summary string, params []any, responses map[string]any) map[string]any {
		return map[string]any{"get": map[string]any{"summary": summary, "parameters": params, "responses": responses}}
	}
	coll := func(extra ...any) []any { return append([]any{ref("collectionId"), ref("f")}, extra...) }
	// limit is written out, not referenced, in every items path: GDAL's OAPIF driver (3.8
	// on) and QGIS read its default and maximum there to choose their page size.
	limit := q("limit", "Features per page; more than the maximum is refused with 400.",
		map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit})
	cursor := q("cursor", "Opaque: where the next page starts. Next links carry it; cost does not grow with depth.", str)
	items := resp("A page of features", GeoJSONType)
	items["404"] = map[string]any{"description": "No such collection"}
	paths := map[string]any{
		"/":                                      get("Landing page", []any{ref("f")}, resp("Landing page", JSONType)),
		"/conformance":                           get("Conformance classes", []any{ref("f")}, resp("Conformance declaration", JSONType)),
		"/api":                                   get("This API definition", []any{ref("f")}, resp("OpenAPI 3.0", OpenAPIType)),
		"/collections":                           get("Feature collections", []any{ref("f")}, resp("Collections", JSONType)),
		"/collections/{collectionId}":            get("One collection", coll(), resp("Collection", JSONType)),
		"/collections/{collectionId}/queryables": get("Queryable properties (JSON Schema)", coll(), resp("Queryables", SchemaType)),
		"/collections/{collectionId}/items": get("Features of a collection", coll(limit, ref("offset"), cursor, ref("bbox"), ref("bbox-crs"),
			ref("crs"), ref("datetime"), ref("as_of"), ref("filter"), ref("filter-lang"), ref("filter-crs"), ref("sortby"), ref("properties")), items),
		"/collections/{collectionId}/items/{featureId}": get("One feature", coll(ref("featureId"), ref("crs"), ref("properties")), resp("Feature", GeoJSONType)),
	}
	writes := a.writeOps()
	paths["/collections/{collectionId}/items"].(map[string]any)["post"] = writes["post"]
	for _, m := range []string{"put", "patch", "delete"} {
		paths["/collections/{collectionId}/items/{featureId}"].(map[string]any)[m] = writes[m]
	}
	// Each collection's items path lists its properties as equality parameters (Part 1
	// /rec/core/fc-filters), so that clients such as GDAL's OAPIF driver (and QGIS through
	// it) send an attribute filter to the server instead of reading every page.
	for _, col := range a.Catalog.All() {
		d := col.Description()
		params := []any{ref("f"), limit, ref("offset"), cursor, ref("bbox"), ref("bbox-crs"), ref("crs"), ref("datetime"),
			ref("filter"), ref("filter-lang"), ref("filter-crs"), ref("sortby"), ref("properties")}
		if d.AsOf {
			params = append(params, ref("as_of"))
		}
		for _, p := range d.Properties {
			params = append(params, q(p.Name, "Features whose "+p.TitleEN+" ("+p.TitleZH+") equals the value.", propertySchema(p.Type)))
		}
		paths["/collections/"+d.ID+"/items"] = get(d.Title+": features", params, items)
		if _, ok := col.(Writer); ok {
			paths["/collections/"+d.ID+"/items"].(map[string]any)["post"] = writes["post"]
		}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": a.Title, "version": "1.0.0",
			"description": "OGC API – Features Part 1 (Core), Part 2 (CRS by reference), Part 3 (Filtering, CQL2-text) and Part 4 (create, replace, update, delete) over cityreach's planning layers."},
		"servers": []any{map[string]any{"url": base}},
		"paths":   paths,
		"components": map[string]any{"parameters": map[string]any{
			"collectionId": map[string]any{"name": "collectionId", "in": "path", "required": true, "schema": map[string]any{"type": "string", "enum": ids}},
			"featureId":    map[string]any{"name": "featureId", "in": "path", "required": true, "schema": str},
			"f":            q("f", "Representation: json (items: GeoJSON) or html. Without it, Accept decides.", map[string]any{"type": "string", "enum": []string{"json", "html"}}),
			"limit": q("limit", "Features per page; more than the maximum is refused with 400.",
				map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}),
			"offset": q("offset", "Features to skip; next links of sorted lists and prev links carry it.", map[string]any{"type": "integer", "minimum": 0, "default": 0}),
			"bbox": q("bbox", "minX,minY,maxX,maxY (or 6 numbers with heights, ignored) in bbox-crs, in its axis order.",
				map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}),
			"bbox-crs":    q("bbox-crs", "CRS of bbox; OGC:CRS84 by default.", crsSchema),
			"crs":         q("crs", "CRS of the response coordinates; OGC:CRS84 by default. EPSG:4326 and EPSG:4490 are written latitude first, as EPSG defines them.", crsSchema),
			"datetime":    q("datetime", "Versioned collections only: an instant (2024-06-30) or an interval a/b with .. for an open end; selects the editions valid on some day of it.", str),
			"as_of":       q("as_of", "Planning layers only: the city's rows as they stood at a data edition (its name), a date (00:00 Beijing time) or an RFC 3339 instant; with several cities, name one with city_id=.", str),
			"filter":      q("filter", "CQL2-text filter on the queryables.", str),
			"filter-lang": q("filter-lang", "Only cql2-text.", map[string]any{"type": "string", "enum": []string{"cql2-text"}, "default": "cql2-text"}),
			"filter-crs":  q("filter-crs", "CRS of geometry literals in filter; OGC:CRS84 by default.", crsSchema),
			"sortby":      q("sortby", "Comma-separated sortable properties, - for descending, + (or nothing) for ascending.", map[string]any{"type": "array", "items": str}),
			"properties":  q("properties", "Comma-separated properties to return (empty: none).", map[string]any{"type": "array", "items": str}),
		}},
	}
}

// writeOps are the Part 4 operations of the OpenAPI document (/req/create-replace-delete
// and /req/update), keyed by lower-case method. The route table (Routes) has the same
// operations for /api/openapi.json; this document is the one OGC clients read.
func (a *API) writeOps() map[string]any {
	hdr := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": false, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	contentCRS := hdr("Content-Crs", "CRS of the body's coordinates, a URI in angle brackets from the collection's crs list; OGC:CRS84 when absent. EPSG:4326 and EPSG:4490 are read latitude first.")
	ifMatch := hdr("If-Match", "The ETag of the version you read. Optional: without it the edit is unconditional; a stale one is refused with 412 and nothing changes.")
	body := func(desc string, types []string) map[string]any {
		content := map[string]any{}
		for _, t := range types {
			content[t] = map[string]any{"schema": map[string]any{"type": "object"}}
		}
		return map[string]any{"required": true, "description": desc, "content": content}
	}
	problems := func(ok map[string]any) map[string]any {
		p := map[string]any{"content": map[string]any{"application/problem+json": map[string]any{}}}
		for code, desc := range map[string]string{"400": "Malformed body or header", "401": "No token", "403": "Not an editor",
			"404": "No such collection or feature", "405": "The collection is computed (read-only)", "409": "Conflicts with another feature",
			"412": "If-Match is stale", "415": "Unsupported media type", "422": "Refused by the collection's rules (the problem names the attribute or constraint)"} {
			ok[code] = map[string]any{"description": desc, "content": p["content"]}
		}
		return ok
	}
	feature := func(desc string) map[string]any {
		return map[string]any{"description": desc, "headers": map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"}}},
			"content": map[string]any{GeoJSONType: map[string]any{}}}
	}
	item := []any{ref("collectionId"), ref("featureId")}
	return map[string]any{
		"post": map[string]any{"summary": "Create a feature", "parameters": []any{ref("collectionId"), contentCRS},
			"requestBody": body("A GeoJSON Feature", featureTypes), "responses": problems(map[string]any{"201": feature("Created; Location is the new feature's URL")})},
		"put": map[string]any{"summary": "Replace a feature", "parameters": append(item, contentCRS, ifMatch),
			"requestBody": body("The whole new GeoJSON Feature", featureTypes), "responses": problems(map[string]any{"200": feature("Replaced")})},
		"patch": map[string]any{"summary": "Update a feature (JSON merge patch, RFC 7396)", "parameters": append(item, contentCRS, ifMatch),
			"requestBody": body("A merge patch: given properties change, null resets one to its default, absent ones stay; a geometry replaces the geometry", patchTypes),
			"responses":   problems(map[string]any{"200": feature("Updated")})},
		"delete": map[string]any{"summary": "Delete a feature", "parameters": append(item, ifMatch),
			"responses": problems(map[string]any{"204": map[string]any{"description": "Deleted (its history is kept)"}})},
	}
}

// propertySchema is the JSON schema of a property's query parameter.
func propertySchema(t layers.Type) map[string]any {
	switch t {
	case layers.Integer, layers.Number, layers.Boolean:
		return map[string]any{"type": string(t)}
	case layers.Date, layers.Time:
		return map[string]any{"type": "string", "format": string(t)}
	}
	return map[string]any{"type": "string"}
}
