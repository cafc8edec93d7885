package geojson

import (
	"fmt"

	"github.com/cityreach/cityreach/internal/crs"
)

// frame is the CRS in force for a feature: the name from a legacy "crs"
// member ("" without one, meaning CRS84 per RFC 7946) and whether its
// coordinates are degrees.
type frame struct {
	name       string
	geographic bool
}

// defaultFrame is RFC 7946's CRS84.
func defaultFrame() frame { return frame{geographic: true} }

// legacyCRS reads the optional GeoJSON 2008 "crs" member of o, of the form
// {"type":"name","properties":{"name":"EPSG:4490"}}, and returns the frame it
// names, or inherited when the member is absent or null. The name must be
// accepted by crs.ParseCRS; linked CRSs are not supported.
func legacyCRS(o *object, at *path, inherited frame) (frame, *Error) {
	v, ok := o.get("crs")
	if !ok || v == nil {
		return inherited, nil
	}
	at = at.key("crs")
	c, err := asObject(v, at, `member "crs"`)
	if err != nil {
		return frame{}, err
	}
	t, err := typeName(c, at)
	if err != nil {
		return frame{}, err
	}
	if t != "name" {
		return frame{}, errorAt(at.key("type"), fmt.Sprintf(`only a crs of type "name" is supported, got %q`, t))
	}
	pv, ok := c.get("properties")
	if !ok {
		return frame{}, errorAt(at, `missing member "properties"`)
	}
	props, err := asObject(pv, at.key("properties"), `member "properties" of crs`)
	if err != nil {
		return frame{}, err
	}
	nv, ok := props.get("name")
	if !ok {
		return frame{}, errorAt(at.key("properties"), `missing member "name"`)
	}
	name, ok := nv.(string)
	at = at.key("properties").key("name")
	if !ok {
		return frame{}, errorAt(at, fmt.Sprintf(`crs name must be a string, got %s`, kindOf(nv)))
	}
	parsed, perr := crs.ParseCRS(name)
	if perr != nil {
		return frame{}, errorAt(at, fmt.Sprintf("unsupported crs %q", name))
	}
	return frame{name: name, geographic: parsed.IsGeographic()}, nil
}
