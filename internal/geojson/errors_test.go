package geojson

import (
	"strings"
	"testing"
)

type errorCase struct {
	name    string
	doc     string
	opts    Options
	reason  string
	prefix  bool // reason is a prefix (text from encoding/json follows)
	pointer string
}

func (tc errorCase) check(t *testing.T, err error, index int) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error for %s", tc.doc)
	}
	e := asError(t, err)
	reasonOK := e.Reason == tc.reason || (tc.prefix && strings.HasPrefix(e.Reason, tc.reason))
	if !reasonOK || e.Pointer != tc.pointer || e.Index != index {
		t.Errorf("got reason %q at %q index %d;\nwant %q at %q index %d", e.Reason, e.Pointer, e.Index, tc.reason, tc.pointer, index)
	}
}

// Every reason the decoder gives, with the exact pointer, for DecodeFeature.
func TestDecodeFeatureErrors(t *testing.T) {
	pt := geom("Point", "[1,2]")
	tests := []errorCase{
		// Input and JSON syntax.
		{name: "empty input", doc: "", reason: "input is empty"},
		{name: "white space only", doc: " \n", reason: "input is empty"},
		{name: "too large", doc: feat(pt), opts: Options{MaxBytes: 20}, reason: "input is larger than 20 bytes"},
		{name: "syntax error", doc: `{"type":}`, reason: "invalid JSON at byte ", prefix: true, pointer: "/type"},
		{name: "NaN literal", doc: feat(geom("Point", "[NaN,1]")), reason: "invalid JSON at byte ", prefix: true, pointer: "/geometry/coordinates/0"},
		{name: "Infinity literal", doc: feat(geom("Point", "[1,-Infinity]")), reason: "invalid JSON at byte ", prefix: true, pointer: "/geometry/coordinates/1"},
		{name: "truncated", doc: `{"type":"Feature","geometry":{"type":"Point","coordinates":[1,`, reason: "unexpected end of input", pointer: "/geometry/coordinates/1"},
		{name: "trailing object", doc: feat(pt) + ` {}`, reason: "trailing data after JSON value"},
		{name: "trailing garbage", doc: feat(pt) + ` x`, reason: "trailing data after JSON value"},
		{name: "too deep", doc: feat(pt)[:len(feat(pt))-1] + `,"x":[[[[1]]]]}`, opts: Options{MaxDepth: 4}, reason: "nesting is deeper than 4 levels", pointer: "/x/0/0/0"},
		{name: "duplicate key in feature", doc: `{"type":"Feature","type":"Feature"}`, reason: `duplicate key "type"`, pointer: "/type"},
		{name: "duplicate key in properties", doc: `{"type":"Feature","geometry":` + pt + `,"properties":{"a/b":{"x":1,"x":2}}}`, reason: `duplicate key "x"`, pointer: "/properties/a~1b/x"},

		// Feature members.
		{name: "not an object", doc: `[1,2]`, reason: "a Feature must be a JSON object, got an array"},
		{name: "no type", doc: `{"geometry":` + pt + `}`, reason: `missing member "type"`},
		{name: "type not a string", doc: `{"type":1}`, reason: `member "type" must be a string, got a number`, pointer: "/type"},
		{name: "collection given", doc: coll(), reason: `expected a Feature, got "FeatureCollection"`, pointer: "/type"},
		{name: "bare geometry given", doc: pt, reason: `expected a Feature, got "Point"`, pointer: "/type"},
		{name: "feature with coordinates", doc: `{"type":"Feature","geometry":` + pt + `,"coordinates":[1,2]}`, reason: `a Feature must not have a "coordinates" member`, pointer: "/coordinates"},
		{name: "id is an object", doc: `{"type":"Feature","id":{},"geometry":` + pt + `}`, reason: "feature id must be a string or a number, got an object", pointer: "/id"},
		{name: "no geometry", doc: `{"type":"Feature","properties":{}}`, reason: `missing member "geometry"`},
		{name: "null geometry", doc: feat("null"), reason: "geometry is null", pointer: "/geometry"},
		{name: "properties is an array", doc: `{"type":"Feature","geometry":` + pt + `,"properties":[]}`, reason: `member "properties" must be a JSON object, got an array`, pointer: "/properties"},
		{name: "bbox of 3", doc: `{"type":"Feature","bbox":[1,2,3],"geometry":` + pt + `}`, reason: "bbox must be an array of 4 or 6 numbers", pointer: "/bbox"},
		{name: "bbox overflow", doc: `{"type":"Feature","bbox":[1,2,3,1e400],"geometry":` + pt + `}`, reason: "coordinate is not a finite number", pointer: "/bbox/3"},

		// Legacy crs member.
		{name: "crs not an object", doc: `{"type":"Feature","crs":"EPSG:4490","geometry":` + pt + `}`, reason: `member "crs" must be a JSON object, got a string`, pointer: "/crs"},
		{name: "linked crs", doc: `{"type":"Feature","crs":{"type":"link","properties":{"href":"x"}},"geometry":` + pt + `}`, reason: `only a crs of type "name" is supported, got "link"`, pointer: "/crs/type"},
		{name: "crs without properties", doc: `{"type":"Feature","crs":{"type":"name"},"geometry":` + pt + `}`, reason: `missing member "properties"`, pointer: "/crs"},
		{name: "crs without name", doc: `{"type":"Feature","crs":{"type":"name","properties":{}},"geometry":` + pt + `}`, reason: `missing member "name"`, pointer: "/crs/properties"},
		{name: "crs name a number", doc: `{"type":"Feature","crs":{"type":"name","properties":{"name":4490}},"geometry":` + pt + `}`, reason: "crs name must be a string, got a number", pointer: "/crs/properties/name"},
		{name: "unsupported crs", doc: `{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:9999"}},"geometry":` + pt + `}`, reason: `unsupported crs "EPSG:9999"`, pointer: "/crs/properties/name"},

		// Geometry objects.
		{name: "geometry is a string", doc: feat(`"POINT(1 2)"`), reason: "a geometry must be a JSON object, got a string", pointer: "/geometry"},
		{name: "geometry without type", doc: feat(`{"coordinates":[1,2]}`), reason: `missing member "type"`, pointer: "/geometry"},
		{name: "unknown type", doc: feat(geom("Polygonn", "[]")), reason: `unknown geometry type "Polygonn"`, pointer: "/geometry/type"},
		{name: "lower-case type", doc: feat(geom("point", "[1,2]")), reason: `unknown geometry type "point"`, pointer: "/geometry/type"},
		{name: "geometry with properties", doc: feat(`{"type":"Point","coordinates":[1,2],"properties":{}}`), reason: `a geometry must not have a "properties" member`, pointer: "/geometry/properties"},
		{name: "geometry with crs", doc: feat(`{"type":"Point","coordinates":[1,2],"crs":null}`), reason: "a crs member is only supported on a Feature or a FeatureCollection", pointer: "/geometry/crs"},
		{name: "polygon with geometries", doc: feat(`{"type":"Polygon","coordinates":[` + square + `],"geometries":[]}`), reason: `a Polygon must not have a "geometries" member`, pointer: "/geometry/geometries"},
		{name: "no coordinates", doc: feat(`{"type":"Point"}`), reason: `missing member "coordinates"`, pointer: "/geometry"},
		{name: "geometry bbox", doc: feat(`{"type":"Point","coordinates":[1,2],"bbox":{}}`), reason: "bbox must be an array of 4 or 6 numbers", pointer: "/geometry/bbox"},

		// GeometryCollection.
		{name: "collection rejected", doc: feat(`{"type":"GeometryCollection","geometries":[` + pt + `]}`), opts: Options{RejectGeometryCollection: true}, reason: "a GeometryCollection is not accepted here; send a single geometry", pointer: "/geometry/type"},
		{name: "collection with coordinates", doc: feat(`{"type":"GeometryCollection","coordinates":[]}`), reason: `a GeometryCollection must not have a "coordinates" member`, pointer: "/geometry/coordinates"},
		{name: "collection without geometries", doc: feat(`{"type":"GeometryCollection"}`), reason: `missing member "geometries"`, pointer: "/geometry"},
		{name: "geometries not an array", doc: feat(`{"type":"GeometryCollection","geometries":{}}`), reason: "expected an array of geometries, got an object", pointer: "/geometry/geometries"},
		{name: "empty collection", doc: feat(`{"type":"GeometryCollection","geometries":[]}`), reason: "empty geometry", pointer: "/geometry/geometries"},
		{name: "null member", doc: feat(`{"type":"GeometryCollection","geometries":[` + pt + `,null]}`), reason: "geometry is null", pointer: "/geometry/geometries/1"},
		{name: "bad nested member", doc: feat(`{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection","geometries":[` + geom("LineString", "[[0,0]]") + `]}]}`), reason: "a LineString needs at least 2 positions", pointer: "/geometry/geometries/0/geometries/0/coordinates"},

		// Empty geometries.
		{name: "empty Point", doc: feat(geom("Point", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "empty MultiPoint", doc: feat(geom("MultiPoint", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "empty LineString", doc: feat(geom("LineString", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "empty MultiLineString", doc: feat(geom("MultiLineString", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "empty Polygon", doc: feat(geom("Polygon", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "empty MultiPolygon", doc: feat(geom("MultiPolygon", "[]")), reason: "empty geometry", pointer: "/geometry/coordinates"},
		{name: "MultiPolygon with an empty polygon", doc: feat(geom("MultiPolygon", "[["+square+"],[]]")), reason: "a polygon needs at least one ring", pointer: "/geometry/coordinates/1"},

		// Structure of coordinates.
		{name: "coordinates null", doc: feat(geom("Polygon", "null")), reason: "expected an array of rings, got null", pointer: "/geometry/coordinates"},
		{name: "polygon given positions", doc: feat(geom("Polygon", square)), reason: "a position must be an array of 2 or 3 numbers, got a number", pointer: "/geometry/coordinates/0/0"},
		{name: "multipolygon given rings", doc: feat(geom("MultiPolygon", "["+square+"]")), reason: "a position must be an array of 2 or 3 numbers, got a number", pointer: "/geometry/coordinates/0/0/0"},
		{name: "ring is a number", doc: feat(geom("Polygon", "[1]")), reason: "expected an array of positions, got a number", pointer: "/geometry/coordinates/0"},
		{name: "multilinestring not nested", doc: feat(geom("MultiLineString", "[1]")), reason: "expected an array of positions, got a number", pointer: "/geometry/coordinates/0"},
		{name: "multilinestring coordinates object", doc: feat(geom("MultiLineString", "{}")), reason: "expected an array of lines, got an object", pointer: "/geometry/coordinates"},
		{name: "multipolygon coordinates string", doc: feat(geom("MultiPolygon", `"x"`)), reason: "expected an array of polygons, got a string", pointer: "/geometry/coordinates"},
		{name: "linestring given a position", doc: feat(geom("LineString", "[0,1]")), reason: "a position must be an array of 2 or 3 numbers, got a number", pointer: "/geometry/coordinates/0"},
		{name: "point nested too deep", doc: feat(geom("Point", "[[1,2]]")), reason: "a position needs 2 numbers (longitude, latitude), got 1", pointer: "/geometry/coordinates"},
		{name: "point of arrays", doc: feat(geom("Point", "[[1],[2]]")), reason: "coordinate must be a number, got an array", pointer: "/geometry/coordinates/0"},
		{name: "one number", doc: feat(geom("MultiPoint", "[[1,2],[3]]")), reason: "a position needs 2 numbers (longitude, latitude), got 1", pointer: "/geometry/coordinates/1"},
		{name: "four numbers", doc: feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0],[0,0,0,0]]]")), reason: "a position has at most 3 numbers (longitude, latitude, elevation), got 4", pointer: "/geometry/coordinates/0/5"},
		{name: "coordinate is a string", doc: feat(geom("Point", `[116.4,"39.9"]`)), reason: "coordinate must be a number, got a string", pointer: "/geometry/coordinates/1"},
		{name: "coordinate is null", doc: feat(geom("LineString", `[[0,0],[1,null]]`)), reason: "coordinate must be a number, got null", pointer: "/geometry/coordinates/1/1"},
		{name: "overflow", doc: feat(geom("LineString", `[[0,0],[1e999,1]]`)), reason: "coordinate is not a finite number", pointer: "/geometry/coordinates/1/0"},
		{name: "negative overflow elevation", doc: feat(geom("Point", `[0,0,-1e309]`)), reason: "coordinate is not a finite number", pointer: "/geometry/coordinates/2"},

		// Lines and rings.
		{name: "one-position LineString", doc: feat(geom("LineString", "[[0,0]]")), reason: "a LineString needs at least 2 positions", pointer: "/geometry/coordinates"},
		{name: "short line in MultiLineString", doc: feat(geom("MultiLineString", "[[[0,0],[1,1]],[]]")), reason: "a LineString needs at least 2 positions", pointer: "/geometry/coordinates/1"},
		{name: "ring of 3", doc: feat(geom("Polygon", "[[[0,0],[1,0],[0,0]]]")), reason: "a polygon ring needs at least 4 positions", pointer: "/geometry/coordinates/0"},
		{name: "empty hole", doc: feat(geom("Polygon", "["+square+",[]]")), reason: "a polygon ring needs at least 4 positions", pointer: "/geometry/coordinates/1"},
		{name: "open ring", doc: feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]")), reason: "polygon ring is not closed: first and last positions differ", pointer: "/geometry/coordinates/0"},
		{name: "open hole in multipolygon", doc: feat(geom("MultiPolygon", "[["+square+"],["+square+",[[0,0],[1,0],[1,1],[0,0.5]]]]")), reason: "polygon ring is not closed: first and last positions differ", pointer: "/geometry/coordinates/1/1"},
		{name: "ring closed in 2D only", doc: feat(geom("Polygon", "[[[0,0,5],[1,0,5],[1,1,5],[0,0,6]]]")), reason: "polygon ring is not closed: first and last positions differ", pointer: "/geometry/coordinates/0"},
		{name: "ring closed 3D to 2D", doc: feat(geom("Polygon", "[[[0,0,5],[1,0,5],[1,1,5],[0,0]]]")), reason: "polygon ring is not closed: first and last positions differ", pointer: "/geometry/coordinates/0"},

		// Limits and ranges.
		{name: "too many positions", doc: feat(geom("Polygon", "["+square+"]")), opts: Options{MaxCoordinates: 3}, reason: "too many positions: at most 3 are accepted per feature", pointer: "/geometry/coordinates/0/3"},
		{name: "longitude out of range", doc: feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1],[200,0],[0,0]]]")), opts: Options{GeographicRange: true}, reason: "longitude 200 is out of range [-180, 180]", pointer: "/geometry/coordinates/0/4/0"},
		{name: "latitude out of range", doc: feat(geom("Point", "[116.4,-90.5]")), opts: Options{GeographicRange: true}, reason: "latitude -90.5 is out of range [-90, 90]", pointer: "/geometry/coordinates/1"},
		{name: "range in named CGCS2000", doc: `{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"geometry":` + geom("Point", "[39.9,116.4]") + `}`, opts: Options{GeographicRange: true}, reason: "latitude 116.4 is out of range [-90, 90]", pointer: "/geometry/coordinates/1"},
		{name: "range in GCJ-02", doc: `{"type":"Feature","crs":{"type":"name","properties":{"name":"GCJ-02"}},"geometry":` + geom("Point", "[-181,0]") + `}`, opts: Options{GeographicRange: true}, reason: "longitude -181 is out of range [-180, 180]", pointer: "/geometry/coordinates/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DecodeFeature(strings.NewReader(tc.doc), tc.opts)
			if f != nil {
				t.Errorf("got feature %+v with error %v", f, err)
			}
			tc.check(t, err, -1)
		})
	}
}

// Collection-level reasons, and feature reasons with their index and a
// pointer from the document root.
func TestDecodeFeatureCollectionErrors(t *testing.T) {
	good := feat(geom("Point", "[1,2]"))
	tests := []struct {
		errorCase
		index int
	}{
		{errorCase{name: "empty input", doc: "", reason: "input is empty"}, -1},
		{errorCase{name: "array", doc: `[]`, reason: "a FeatureCollection must be a JSON object"}, -1},
		{errorCase{name: "feature given", doc: good, reason: `expected a FeatureCollection, got "Feature"`, pointer: "/type"}, -1},
		{errorCase{name: "type not a string", doc: `{"type":null,"features":[]}`, reason: `member "type" must be a string, got null`, pointer: "/type"}, -1},
		{errorCase{name: "no type", doc: `{"features":[]}`, reason: `missing member "type"`}, -1},
		{errorCase{name: "no features", doc: `{"type":"FeatureCollection"}`, reason: `missing member "features"`}, -1},
		{errorCase{name: "features null", doc: `{"type":"FeatureCollection","features":null}`, reason: `member "features" must be an array, got null`, pointer: "/features"}, -1},
		{errorCase{name: "features object", doc: `{"type":"FeatureCollection","features":{"a":[]}}`, reason: `member "features" must be an array, got an object`, pointer: "/features"}, -1},
		{errorCase{name: "duplicate features", doc: `{"type":"FeatureCollection","features":[],"features":[]}`, reason: `duplicate key "features"`, pointer: "/features"}, -1},
		{errorCase{name: "geometry member", doc: `{"type":"FeatureCollection","geometry":null,"features":[]}`, reason: `a FeatureCollection must not have a "geometry" member`, pointer: "/geometry"}, -1},
		{errorCase{name: "crs after features", doc: `{"type":"FeatureCollection","features":[` + good + `],"crs":{"type":"name","properties":{"name":"EPSG:4490"}}}`, reason: `the legacy "crs" member must come before "features"`, pointer: "/crs"}, -1},
		{errorCase{name: "bad crs", doc: `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2385"}},"features":[]}`, reason: `unsupported crs "EPSG:2385"`, pointer: "/crs/properties/name"}, -1},
		{errorCase{name: "bad bbox", doc: `{"type":"FeatureCollection","bbox":[0,0,"1",1],"features":[]}`, reason: "coordinate must be a number, got a string", pointer: "/bbox/2"}, -1},
		{errorCase{name: "trailing data", doc: coll(good) + `]`, reason: "trailing data after JSON value"}, -1},
		{errorCase{name: "too deep", doc: coll(good), opts: Options{MaxDepth: 2}, reason: "nesting is deeper than 2 levels", pointer: "/features/0"}, 0},
		{errorCase{name: "too large", doc: coll(good, good), opts: Options{MaxBytes: 100}, reason: "input is larger than 100 bytes"}, -1},
		{errorCase{name: "syntax error in feature 1", doc: coll(good, `{"type":"Feature",}`), reason: "invalid JSON at byte ", prefix: true, pointer: "/features/1"}, 1},
		{errorCase{name: "truncated in feature 1", doc: coll(good, good)[:len(coll(good, good))-4], reason: "unexpected end of input", pointer: "/features/1/geometry"}, 1},
		{errorCase{name: "feature is a geometry", doc: coll(good, geom("Point", "[1,2]")), reason: `expected a Feature, got "Point"`, pointer: "/features/1/type"}, 1},
		{errorCase{name: "null feature", doc: coll(good, "null"), reason: "a Feature must be a JSON object, got null", pointer: "/features/1"}, 1},
		{errorCase{
			name: "out of range in feature 3", doc: coll(good, good, good, feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0.5],[0,400],[0,0]]]"))),
			opts: Options{GeographicRange: true}, reason: "latitude 400 is out of range [-90, 90]", pointer: "/features/3/geometry/coordinates/0/5/1",
		}, 3},
		{errorCase{
			name: "four numbers in feature 3", doc: coll(good, good, good, feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0.5],[0,1,2,3],[0,0]]]"))),
			reason: "a position has at most 3 numbers (longitude, latitude, elevation), got 4", pointer: "/features/3/geometry/coordinates/0/5",
		}, 3},
		{errorCase{
			name: "collection crs applies to features", doc: `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[` + feat(geom("Point", "[181,0]")) + `]}`,
			opts: Options{GeographicRange: true}, reason: "longitude 181 is out of range [-180, 180]", pointer: "/features/0/geometry/coordinates/0",
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := DecodeFeatureCollection(strings.NewReader(tc.doc), tc.opts)
			if fs != nil {
				t.Errorf("got %d features with error %v", len(fs), err)
			}
			tc.check(t, err, tc.index)
		})
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Reason: "geometry is null", Pointer: "/features/3/geometry", Index: 3}
	if got, want := e.Error(), `geojson: geometry is null at "/features/3/geometry"`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	e = &Error{Reason: "input is empty", Index: -1}
	if got, want := e.Error(), "geojson: input is empty"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
