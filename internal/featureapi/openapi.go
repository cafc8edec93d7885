package featureapi

import (
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
)

type obj = map[string]any

// Schemas implements httpapi.Components: for every layer its properties (as read and as
// written), its Feature, NewFeature, Patch and FeatureCollection, generated from the
// layer registry; and a feature's history entry.
func (a *API) Schemas() map[string]httpapi.Schema {
	schemas := map[string]httpapi.Schema{
		"HistoryEntry": obj{"type": "object", "properties": obj{
			"version": obj{"type": "integer"}, "op": obj{"type": "string", "enum": []string{"insert", "update", "delete"}},
			"actor": str(), "at": obj{"type": "string", "format": "date-time"},
			"changed": obj{"type": "array", "items": str()}, "old": obj{"type": []string{"object", "null"}}, "new": obj{"type": []string{"object", "null"}},
			"links": obj{"type": "array", "items": httpapi.Ref("Link")}}},
		"Layer": httpapi.Obj(httpapi.Schema{"id": str(), "title": str(), "title_zh": str(), "geometryType": str(),
			"attributes": httpapi.Arr(httpapi.Obj(httpapi.Schema{"name": str(), "type": str(), "title": str(), "title_zh": str(),
				"required": httpapi.Bool, "readOnly": httpapi.Bool, "sortable": httpapi.Bool}, "name", "type")),
			"links": httpapi.Arr(httpapi.Ref("Link"))}, "id", "geometryType", "attributes"),
		"ImportJob": httpapi.Obj(httpapi.Schema{"id": str(), "state": str(), "owner": str()}, "id", "state"),
	}
	for _, l := range a.Layers.All() {
		addLayer(l, schemas)
	}
	return schemas
}

// anyLayer is a schema that is one of the layers' schemas named kind (Feature, NewFeature…).
func (a *API) anyLayer(kind string) httpapi.Schema {
	var refs []any
	for _, l := range a.Layers.All() {
		refs = append(refs, httpapi.Ref(l.ID+kind))
	}
	return httpapi.Schema{"anyOf": refs}
}

func str() obj { return obj{"type": "string"} }

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
		s["type"] = []any{s["type"], "null"}
		if e, ok := s["enum"].([]string); ok {
			s["enum"] = append(append([]any{}, anySlice(e)...), nil)
		}
	}
	return s
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, x := range ss {
		out[i] = x
	}
	return out
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

func addLayer(l *layers.Layer, schemas map[string]httpapi.Schema) {
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
		"geometry": geometrySchema(l.GeomType), "properties": httpapi.Ref(n + "Properties"),
		"repaired": obj{"type": "object", "description": "present when ?repair=true changed the geometry: what was wrong"}}}
	schemas[n+"NewFeature"] = obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type": obj{"type": "string", "enum": []string{"Feature"}}, "geometry": geometrySchema(l.GeomType),
		"properties": httpapi.Ref(n + "WriteProperties"),
		"crs":        obj{"type": "object", "description": `legacy GeoJSON crs member {"type":"name","properties":{"name":"EPSG:4490"}}`}}}
	schemas[n+"Patch"] = obj{"type": "object", "description": "merge patch: given properties change, null resets to the default; a geometry replaces the geometry",
		"properties": obj{"type": obj{"type": "string", "enum": []string{"Feature"}}, "geometry": geometrySchema(l.GeomType),
			"properties": obj{"type": "object", "properties": writeProps}}}
	schemas[n+"FeatureCollection"] = obj{"type": "object", "properties": obj{
		"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "numberMatched": obj{"type": "integer"},
		"numberReturned": obj{"type": "integer"}, "links": obj{"type": "array", "items": httpapi.Ref("Link")},
		"features": obj{"type": "array", "items": httpapi.Ref(n + "Feature")}}}

}
