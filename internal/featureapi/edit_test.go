package featureapi

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/crs"
)

// TestBodyLatitudeFirst: a body declared latitude first (OGC Part 2 EPSG:4326, as QGIS
// sends it) is stored longitude first; the same numbers without the declaration are read
// as they stand, and a latitude-first point outside the CRS's area is refused.
func TestBodyLatitudeFirst(t *testing.T) {
	c4326, _ := crs.ParseCRS("EPSG:4326")
	const doc = `{"type":"Feature","geometry":{"type":"Point","coordinates":[40.6,109.8]},"properties":{}}`
	b, err := decodeFeature(strings.NewReader(doc), bodyCRS{crs: &c4326, latLon: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := b.geometry.(orb.Point); p != (orb.Point{109.8, 40.6}) || b.srid != 4326 {
		t.Errorf("latitude-first body read as %v (SRID %d), want [109.8 40.6] in 4326", p, b.srid)
	}
	b, err = decodePatch(strings.NewReader(`{"geometry":{"type":"Point","coordinates":[40.6,109.8]}}`), bodyCRS{crs: &c4326, latLon: true})
	if err != nil || b.geometry.(orb.Point) != (orb.Point{109.8, 40.6}) {
		t.Errorf("latitude-first patch read as %v, %v", b.geometry, err)
	}
	if _, err := decodeFeature(strings.NewReader(doc), bodyCRS{}); err == nil {
		t.Error("latitude 109.8 accepted in a longitude-first body")
	}
	if _, err := decodeFeature(strings.NewReader(`{"type":"Feature","geometry":{"type":"Point","coordinates":[109.8,95]},"properties":{}}`), bodyCRS{crs: &c4326, latLon: true}); err == nil {
		t.Error("latitude-first point with longitude 95, latitude 109.8 accepted")
	}
}

// FuzzEditBody feeds arbitrary bodies to the Feature and merge-patch decoders of the write
// path, in each axis order. They must never panic; a decoded geometry has finite
// coordinates and a PostGIS SRID, and decoded properties are a map.
func FuzzEditBody(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[109.8,40.6]},"properties":{"name":"x"}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[40.6,109.8]},"properties":{}}`,
		`{"properties":{"name":null,"pocket":true}}`, `{"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`,
		`{"geometry":null}`, `{"properties":null}`, `{"type":"Feature","id":3}`, `{"crs":{"type":"name","properties":{"name":"EPSG:4546"}},"geometry":{"type":"Point","coordinates":[500000,4500000]}}`,
		`{"extra":1}`, `[]`, `null`, `{"properties":{"a":1e999}}`, `{"geometry":{"type":"Point","coordinates":[1e400,0]}}`, "\xff",
	} {
		f.Add(s, false, false)
		f.Add(s, true, true)
	}
	c4326, _ := crs.ParseCRS("EPSG:4326")
	f.Fuzz(func(t *testing.T, doc string, patch, latLon bool) {
		in := bodyCRS{}
		if latLon {
			in = bodyCRS{crs: &c4326, latLon: true}
		}
		var b body
		var err error
		if patch {
			b, err = decodePatch(strings.NewReader(doc), in)
		} else {
			b, err = decodeFeature(strings.NewReader(doc), in)
		}
		if err != nil {
			return
		}
		if !patch && b.props == nil {
			t.Fatalf("%q: a Feature decoded without a properties map", doc)
		}
		if b.geometry == nil {
			return
		}
		if b.srid <= 0 {
			t.Fatalf("%q: SRID %d", doc, b.srid)
		}
		finite := true
		for _, p := range points(b.geometry) {
			finite = finite && !math.IsInf(p[0], 0) && !math.IsNaN(p[0]) && !math.IsInf(p[1], 0) && !math.IsNaN(p[1])
		}
		if !finite {
			t.Fatalf("%q: non-finite coordinates %v", doc, b.geometry)
		}
	})
}

// points lists a geometry's vertices.
func points(g orb.Geometry) []orb.Point {
	var out []orb.Point
	switch x := g.(type) {
	case orb.Point:
		out = append(out, x)
	case orb.MultiPoint:
		out = append(out, x...)
	case orb.LineString:
		out = append(out, x...)
	case orb.MultiLineString:
		for _, l := range x {
			out = append(out, l...)
		}
	case orb.Ring:
		out = append(out, x...)
	case orb.Polygon:
		for _, r := range x {
			out = append(out, r...)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			out = append(out, points(p)...)
		}
	}
	return out
}
