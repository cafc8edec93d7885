package geojson

import (
	"fmt"

	"github.com/paulmach/orb"
)

// geometryDecoder turns geometry objects into orb geometries for one
// feature, counting its positions against the limit.
type geometryDecoder struct {
	opts  Options
	frame frame
	count int // positions decoded so far in this feature
}

// geometry decodes the geometry object v found at at. A null geometry is
// an error: planning input always has a location.
func (d *geometryDecoder) geometry(v any, at *path) (orb.Geometry, *Error) {
	if v == nil {
		return nil, errorAt(at, "geometry is null")
	}
	o, err := asObject(v, at, "a geometry")
	if err != nil {
		return nil, err
	}
	t, err := typeName(o, at)
	if err != nil {
		return nil, err
	}
	if !isGeometryType(t) {
		return nil, errorAt(at.key("type"), fmt.Sprintf("unknown geometry type %q", t))
	}
	if err := rejectMembers(o, at, "a geometry", "geometry", "properties", "features"); err != nil {
		return nil, err
	}
	if _, ok := o.get("crs"); ok {
		return nil, errorAt(at.key("crs"), "a crs member is only supported on a Feature or a FeatureCollection")
	}
	if err := checkBBox(o, at); err != nil {
		return nil, err
	}
	if t == "GeometryCollection" {
		return d.collection(o, at)
	}
	if err := rejectMembers(o, at, "a "+t, "geometries"); err != nil {
		return nil, err
	}
	c, ok := o.get("coordinates")
	if !ok {
		return nil, errorAt(at, `missing member "coordinates"`)
	}
	return d.coordinates(t, c, at.key("coordinates"))
}

func isGeometryType(t string) bool {
	switch t {
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		return true
	}
	return false
}

// collection decodes the members of a GeometryCollection. RFC 7946 advises
// against nesting them but allows it; the depth limit bounds nesting.
func (d *geometryDecoder) collection(o *object, at *path) (orb.Geometry, *Error) {
	if d.opts.RejectGeometryCollection {
		return nil, errorAt(at.key("type"), "a GeometryCollection is not accepted here; send a single geometry")
	}
	if err := rejectMembers(o, at, "a GeometryCollection", "coordinates"); err != nil {
		return nil, err
	}
	v, ok := o.get("geometries")
	if !ok {
		return nil, errorAt(at, `missing member "geometries"`)
	}
	at = at.key("geometries")
	members, err := asArray(v, at, "geometries")
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return nil, errorAt(at, "empty geometry")
	}
	out := make(orb.Collection, len(members))
	for i, m := range members {
		g, err := d.geometry(m, at.at(i))
		if err != nil {
			return nil, err
		}
		out[i] = g
	}
	return out, nil
}

// coordinates decodes the "coordinates" member c of a geometry of type t.
func (d *geometryDecoder) coordinates(t string, c any, at *path) (orb.Geometry, *Error) {
	switch t {
	case "Point":
		if a, ok := c.([]any); ok && len(a) == 0 {
			return nil, errorAt(at, "empty geometry")
		}
		p, _, err := d.position(c, at)
		return p, err
	case "MultiPoint":
		pts, err := d.positions(c, at, 1)
		return orb.MultiPoint(pts), err
	case "LineString":
		pts, err := d.positions(c, at, 1)
		if err == nil && len(pts) < 2 {
			err = errorAt(at, "a LineString needs at least 2 positions")
		}
		return orb.LineString(pts), err
	case "MultiLineString":
		return d.multiLineString(c, at)
	case "Polygon":
		return d.polygon(c, at, "empty geometry")
	}
	return d.multiPolygon(c, at)
}

func (d *geometryDecoder) multiLineString(c any, at *path) (orb.Geometry, *Error) {
	lines, err := nonEmptyArray(c, at, "lines")
	if err != nil {
		return nil, err
	}
	out := make(orb.MultiLineString, len(lines))
	for i, l := range lines {
		pts, err := d.positions(l, at.at(i), 0)
		if err != nil {
			return nil, err
		}
		if len(pts) < 2 {
			return nil, errorAt(at.at(i), "a LineString needs at least 2 positions")
		}
		out[i] = pts
	}
	return out, nil
}

// polygon decodes an array of rings; ifEmpty is the reason for no rings.
func (d *geometryDecoder) polygon(c any, at *path, ifEmpty string) (orb.Polygon, *Error) {
	rings, err := asArray(c, at, "rings")
	if err != nil {
		return nil, err
	}
	if len(rings) == 0 {
		return nil, errorAt(at, ifEmpty)
	}
	out := make(orb.Polygon, len(rings))
	for i, r := range rings {
		ring, err := d.ring(r, at.at(i))
		if err != nil {
			return nil, err
		}
		out[i] = ring
	}
	return out, nil
}

func (d *geometryDecoder) multiPolygon(c any, at *path) (orb.Geometry, *Error) {
	polys, err := nonEmptyArray(c, at, "polygons")
	if err != nil {
		return nil, err
	}
	out := make(orb.MultiPolygon, len(polys))
	for i, p := range polys {
		poly, err := d.polygon(p, at.at(i), "a polygon needs at least one ring")
		if err != nil {
			return nil, err
		}
		out[i] = poly
	}
	return out, nil
}

// asArray returns v as an array or reports that an array of what was
// expected.
func asArray(v any, at *path, what string) ([]any, *Error) {
	a, ok := v.([]any)
	if !ok {
		return nil, errorAt(at, fmt.Sprintf("expected an array of %s, got %s", what, kindOf(v)))
	}
	return a, nil
}

// nonEmptyArray is asArray for the coordinates of a multi-geometry, where
// an empty array is an empty geometry.
func nonEmptyArray(v any, at *path, what string) ([]any, *Error) {
	a, err := asArray(v, at, what)
	if err == nil && len(a) == 0 {
		err = errorAt(at, "empty geometry")
	}
	return a, err
}
