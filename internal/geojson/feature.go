package geojson

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/paulmach/orb"
)

// Feature is a decoded GeoJSON Feature.
type Feature struct {
	// ID is the feature's "id" member: a string, a json.Number holding the
	// number exactly as written, or nil when there is none.
	ID any
	// Geometry is never nil. Its coordinates are longitude, latitude in
	// degrees, or easting, northing in metres when CRS names a projected
	// system; elevations are dropped.
	Geometry orb.Geometry
	// Properties holds the "properties" member as encoding/json would decode
	// it with UseNumber (objects as map[string]any, numbers as json.Number).
	// It is nil when the member is null or absent; RFC 7946 requires it, but
	// many producers omit it and nothing is lost by accepting that.
	Properties map[string]any
	// CRS is the name in a legacy GeoJSON 2008 "crs" member of the feature
	// or of its collection, exactly as written (for example "EPSG:4490"),
	// and "" without one, which means OGC:CRS84. crs.ParseCRS accepts every
	// non-empty value.
	CRS string
}

// DecodeFeature reads one GeoJSON Feature from r, which must hold nothing
// else. Any problem with the input is returned as an *Error with Index -1
// and a pointer relative to the Feature (for example
// "/geometry/coordinates/0/3"); a failure of r itself is returned wrapped.
func DecodeFeature(r io.Reader, opts Options) (*Feature, error) {
	rd := newReader(r, opts)
	tok, err := rd.first()
	if err != nil {
		return nil, err
	}
	v, err := rd.value(tok, nil)
	if err != nil {
		return nil, err
	}
	f, ferr := decodeFeature(v, nil, opts, defaultFrame())
	if ferr != nil {
		return nil, ferr
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	return f, nil
}

// decodeFeature turns the value v found at at into a Feature; outer is the
// CRS frame of the enclosing collection.
func decodeFeature(v any, at *path, opts Options, outer frame) (*Feature, *Error) {
	o, err := asObject(v, at, "a Feature")
	if err != nil {
		return nil, err
	}
	t, err := typeName(o, at)
	if err != nil {
		return nil, err
	}
	if t != "Feature" {
		return nil, errorAt(at.key("type"), fmt.Sprintf("expected a Feature, got %q", t))
	}
	if err := rejectMembers(o, at, "a Feature", "coordinates", "geometries", "features"); err != nil {
		return nil, err
	}
	fr, err := legacyCRS(o, at, outer)
	if err != nil {
		return nil, err
	}
	if err := checkBBox(o, at); err != nil {
		return nil, err
	}
	f := &Feature{CRS: fr.name}
	if id, ok := o.get("id"); ok {
		switch id.(type) {
		case string, json.Number:
			f.ID = id
		default:
			return nil, errorAt(at.key("id"), fmt.Sprintf("feature id must be a string or a number, got %s", kindOf(id)))
		}
	}
	g, ok := o.get("geometry")
	if !ok {
		return nil, errorAt(at, `missing member "geometry"`)
	}
	d := geometryDecoder{opts: opts, frame: fr}
	if f.Geometry, err = d.geometry(g, at.key("geometry")); err != nil {
		return nil, err
	}
	if p, ok := o.get("properties"); ok && p != nil {
		props, err := asObject(p, at.key("properties"), `member "properties"`)
		if err != nil {
			return nil, err
		}
		f.Properties, _ = plain(props).(map[string]any)
	}
	return f, nil
}
