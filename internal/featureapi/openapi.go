package featureapi

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/layers"
)

type obj = map[string]any

// OpenAPI returns the OpenAPI 3.0 document of the API, generated from the layer registry:
// one path per layer and operation, with the layer's property schema, filters and sort keys.
func OpenAPI(reg *layers.Registry) obj {
	schemas := obj{
		"Problem": obj{"type": "object", "description": "RFC 9457 problem details; extra members name the attribute, constraint, reason, location or pointer",
			"properties": obj{"type": str(), "title": str(), "status": obj{"type": "integer"}, "detail": str(), "instance": str(),
				"attribute": str(), "constraint": str(), "reason": str(), "pointer": str(),
				"location": obj{"type": "array", "items": obj{"type": "number"}, "minItems": 2, "maxItems": 2}}},
		"Link": obj{"type": "object", "properties": obj{"rel": str(), "href": str(), "type": str()}},
		"HistoryEntry": obj{"type": "object", "properties": obj{
			"version": obj{"type": "integer"}, "op": obj{"type": "string", "enum": []string{"insert", "update", "delete"}},
			"actor": str(), "at": obj{"type": "string", "format": "date-time"},
			"changed": obj{"type": "array", "items": str()}, "old": obj{"type": "object"}, "new": obj{"type": "object"},
			"links": obj{"type": "array", "items": ref("Link")}}},
	}
	paths := obj{
		"/api/v1/layers": obj{"get": obj{"summary": "List the layers with their attribute schemas", "tags": []string{"layers"},
			"responses": obj{"200": jsonResp("The layers", obj{"type": "object"}), "401": problemResp("No token, and anonymous reads are off")}}},
	}
	for _, l := range reg.All() {
		addLayer(l, schemas, paths)
	}
	jobID := []obj{{"name": "id", "in": "path", "required": true, "schema": str()}}
	paths["/api/v1/imports/{id}"] = obj{"get": obj{"summary": "Status, progress and report of an import job (editor)", "tags": []string{"imports"},
		"parameters": jobID,
		"responses":  obj{"200": jsonResp("The job", obj{"type": "object"}), "401": problemResp("No token"), "403": problemResp("Not an editor"), "404": problemResp("No such job")}},
		"delete": obj{"summary": "Cancel a running import job (rolled back) or forget a finished one (the editor who started it, or an admin)", "tags": []string{"imports"},
			"parameters": jobID,
			"responses": obj{"200": jsonResp("The cancelled job's final status", obj{"type": "object"}), "204": obj{"description": "The finished job was forgotten"},
				"401": problemResp("No token"), "403": problemResp("Not the job's owner or an admin"), "404": problemResp("No such job")}}}
	return obj{
		"openapi": "3.0.3",
		"info": obj{"title": "cityreach planning layers API", "version": "1",
			"description": "GeoJSON CRUD for cityreach's planning layers with validation, optimistic concurrency (ETag/If-Match) and history. " +
				"Reads may be anonymous (configuration); writes need a bearer token with the editor or admin role."},
		"servers": []obj{{"url": "/"}},
		"paths":   paths,
		"components": obj{"schemas": schemas, "securitySchemes": obj{
			"bearer": obj{"type": "http", "scheme": "bearer", "description": "a token made with `cityreach token create`"}}},
		"security": []obj{{"bearer": []string{}}, {}},
	}
}

func str() obj            { return obj{"type": "string"} }
func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
func problemResp(d string) obj {
	return obj{"description": d, "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
}
func jsonResp(d string, s obj) obj {
	return obj{"description": d, "content": obj{"application/json": obj{"schema": s}}}
}
func geoResp(d string, s obj, etag bool) obj {
	r := obj{"description": d, "content": obj{GeoJSONType: obj{"schema": s}}}
	if etag {
		r["headers"] = obj{"ETag": obj{"description": "the feature's version, for If-Match", "schema": str()}}
	}
	return r
}

// attributeSchema is the JSON Schema of one attribute.
func attributeSchema(a layers.Attribute) obj {
	s := obj{"title": a.TitleEN, "description": a.TitleZH}
	switch a.Type {
	case layers.Integer:
		s["type"] = "integer"
	case layers.Number:
		s["type"] = "number"
	case layers.Boolean:
		s["type"] = "boolean"
	case layers.Date:
		s["type"], s["format"] = "string", "date"
	case layers.Time:
		s["type"], s["format"] = "string", "date-time"
	default:
		s["type"] = "string"
	}
	if len(a.Enum) > 0 {
		s["enum"] = a.Enum
	}
	if a.Min != nil {
		s["minimum"] = *a.Min
	}
	if a.Max != nil {
		s["maximum"] = *a.Max
	}
	if a.ReadOnly {
		s["readOnly"] = true
	}
	if !a.Required && !a.ReadOnly {
		s["nullable"] = true
	}
	return s
}

func geometrySchema(t string) obj {
	types := []string{t}
	if t == "MultiPolygon" {
		types = []string{"Polygon", "MultiPolygon"}
	}
	return obj{"type": "object", "required": []string{"type", "coordinates"}, "properties": obj{
		"type": obj{"type": "string", "enum": types}, "coordinates": obj{"type": "array"}},
		"description": "RFC 7946 geometry; a Polygon is stored as a MultiPolygon"}
}

func addLayer(l *layers.Layer, schemas, paths obj) {
	props, writeProps := obj{}, obj{}
	var required []string
	for _, a := range l.Attributes {
		if a.Name == "id" {
			continue
		}
		props[a.Name] = attributeSchema(a)
		if !a.ReadOnly {
			writeProps[a.Name] = attributeSchema(a)
			if a.Required {
				required = append(required, a.Name)
			}
		}
	}
	n := l.ID
	schemas[n+"Properties"] = obj{"type": "object", "properties": props}
	wp := obj{"type": "object", "properties": writeProps, "additionalProperties": false,
		"description": "read-only attributes may be sent back and are ignored; any other unknown attribute is refused"}
	if len(required) > 0 {
		wp["required"] = required
	}
	schemas[n+"WriteProperties"] = wp
	schemas[n+"Feature"] = obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"Feature"}}, "id": obj{"type": "integer"},
		"geometry": geometrySchema(l.GeomType), "properties": ref(n + "Properties"),
		"repaired": obj{"type": "object", "description": "present when ?repair=true changed the geometry: what was wrong"}}}
	schemas[n+"NewFeature"] = obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"Feature"}}, "geometry": geometrySchema(l.GeomType),
		"properties": ref(n + "WriteProperties"),
		"crs":        obj{"type": "object", "description": `legacy GeoJSON crs member {"type":"name","properties":{"name":"EPSG:4490"}}`}}}
	schemas[n+"Patch"] = obj{"type": "object", "description": "merge patch: given properties change, null resets to the default; a geometry replaces the geometry",
		"properties": obj{"type": obj{"type": "string", "enum": []string{"Feature"}}, "geometry": geometrySchema(l.GeomType),
			"properties": obj{"type": "object", "properties": writeProps}}}
	schemas[n+"FeatureCollection"] = obj{"type": "object", "properties": obj{
		"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "numberMatched": obj{"type": "integer"},
		"numberReturned": obj{"type": "integer"}, "links": obj{"type": "array", "items": ref("Link")},
		"features": obj{"type": "array", "items": ref(n + "Feature")}}}

	crsParam := obj{"name": "crs", "in": "query", "schema": str(),
		"description": "EPSG:4326 (default), EPSG:4490, EPSG:3857, CGCS2000 Gauss-Kruger EPSG:4491-4554; on writes also GCJ-02 (input only). Names the CRS of the body and of the response."}
	idParam := obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}
	ifMatch := obj{"name": "If-Match", "in": "header", "required": true, "schema": str(), "description": "the ETag of the version you read"}
	repair := obj{"name": "repair", "in": "query", "schema": obj{"type": "boolean"}, "description": "repair an invalid geometry with ST_MakeValid instead of refusing it"}
	params := []obj{
		{"name": "bbox", "in": "query", "schema": str(), "description": "minLon,minLat,maxLon,maxLat in WGS 84", "example": "109.8,40.6,109.9,40.7"},
		{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
		{"name": "offset", "in": "query", "schema": obj{"type": "integer", "minimum": 0, "default": 0}},
		{"name": "sortby", "in": "query", "schema": str(), "description": "comma-separated attributes, '-' for descending; sortable: " + joinComma(sortable(l))},
		crsParam,
	}
	if l.ValidFrom != "" {
		params = append(params, obj{"name": "at", "in": "query", "schema": obj{"type": "string", "format": "date"},
			"description": "only the edition valid on this day (valid_from <= at < valid_to)"})
	}
	for _, a := range l.Attributes {
		params = append(params, obj{"name": a.Name, "in": "query", "schema": attributeSchema(a), "description": "equality filter on " + a.Name})
	}
	errs := func(r obj, codes ...string) obj {
		text := map[string]string{"400": "Bad parameter or body", "401": "No or unknown token", "403": "The token's role is too small",
			"404": "No such layer or feature", "409": "Conflicts with an existing feature (unique constraint)", "412": "The feature has changed since you read it",
			"413": "Body too large", "415": "Not GeoJSON", "422": "Invalid geometry or attribute", "428": "If-Match missing", "410": "That version is the deletion"}
		for _, c := range codes {
			r[c] = problemResp(text[c])
		}
		return r
	}
	base := "/api/v1/layers/" + n
	tag := []string{n}
	paths[base] = obj{"get": obj{"summary": "Describe layer " + n, "tags": tag,
		"responses": errs(obj{"200": jsonResp("The layer's schema", obj{"type": "object"})}, "401")}}
	paths[base+"/features"] = obj{
		"get": obj{"summary": "List " + l.TitleEN + " (" + l.TitleZH + ")", "tags": tag, "parameters": params,
			"responses": errs(obj{"200": geoResp("A page of features", ref(n+"FeatureCollection"), false)}, "400", "401")},
		"post": obj{"summary": "Create a feature in " + n, "tags": tag, "parameters": []obj{crsParam, repair},
			"requestBody": obj{"required": true, "content": obj{GeoJSONType: obj{"schema": ref(n + "NewFeature")}}},
			"responses":   errs(obj{"201": geoResp("Created", ref(n+"Feature"), true)}, "400", "401", "403", "409", "413", "415", "422")},
	}
	paths[base+"/features/{id}"] = obj{
		"get": obj{"summary": "Read one feature of " + n, "tags": tag, "parameters": []obj{idParam, crsParam},
			"responses": errs(obj{"200": geoResp("The feature", ref(n+"Feature"), true)}, "401", "404")},
		"put": obj{"summary": "Replace a feature of " + n, "tags": tag, "parameters": []obj{idParam, ifMatch, crsParam, repair},
			"requestBody": obj{"required": true, "content": obj{GeoJSONType: obj{"schema": ref(n + "NewFeature")}}},
			"responses":   errs(obj{"200": geoResp("Replaced", ref(n+"Feature"), true)}, "400", "401", "403", "404", "409", "412", "413", "422", "428")},
		"patch": obj{"summary": "Change some properties and/or the geometry of a feature of " + n, "tags": tag,
			"parameters":  []obj{idParam, ifMatch, crsParam, repair},
			"requestBody": obj{"required": true, "content": obj{GeoJSONType: obj{"schema": ref(n + "Patch")}, "application/merge-patch+json": obj{"schema": ref(n + "Patch")}}},
			"responses":   errs(obj{"200": geoResp("Changed", ref(n+"Feature"), true)}, "400", "401", "403", "404", "409", "412", "413", "422", "428")},
		"delete": obj{"summary": "Delete a feature of " + n + " (its history is kept)", "tags": tag, "parameters": []obj{idParam, ifMatch},
			"responses": errs(obj{"204": obj{"description": "Deleted"}}, "401", "403", "404", "412", "428")},
	}
	q := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "description": desc, "schema": str()}
	}
	paths[base+"/import"] = obj{"post": obj{"summary": "Import a file into " + n + " in one transaction (editor)", "tags": tag,
		"parameters": []obj{q("city", "city slug (required)"), q("map", "attribute=FIELD, repeatable"), q("crs", "input CRS, e.g. EPSG:4546 or GCJ-02"),
			q("dry_run", "true: report only, write nothing"), q("skip_invalid", "true: set invalid features aside"),
			q("upsert", "key attribute: update matching rows"), q("async", "true: run as a job")},
		"requestBody": obj{"required": true, "content": obj{GeoJSONType: obj{"schema": obj{"type": "object"}},
			"application/zip": obj{"schema": obj{"type": "string", "format": "binary"}}, "application/geopackage+sqlite3": obj{"schema": obj{"type": "string", "format": "binary"}}}},
		"responses": errs(obj{"200": jsonResp("Dry run report", obj{"type": "object"}), "201": jsonResp("Import report", obj{"type": "object"}),
			"202": obj{"description": "Started as a job; poll the Location", "headers": obj{"Location": obj{"schema": str()}}}},
			"400", "401", "403", "413", "415", "422")}}
	paths[base+"/features/{id}/history"] = obj{"get": obj{"summary": "Every version of a feature of " + n + ", with who and when", "tags": tag,
		"parameters": []obj{idParam},
		"responses": errs(obj{"200": jsonResp("The versions, oldest first", obj{"type": "object", "properties": obj{
			"versions": obj{"type": "array", "items": ref("HistoryEntry")}}})}, "401", "404")}}
	paths[base+"/features/{id}/history/{version}"] = obj{"get": obj{"summary": "A feature of " + n + " as it was at a version", "tags": tag,
		"parameters": []obj{idParam, {"name": "version", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}, crsParam},
		"responses":  errs(obj{"200": geoResp("The feature at that version", ref(n+"Feature"), false)}, "401", "404", "410")}}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// openAPI serves /api/openapi.json.
func (a *API) openAPI(c *gin.Context) {
	b, err := json.Marshal(OpenAPI(a.Layers))
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}
