package geojson

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// asObject returns v as an object or reports that a what was expected.
func asObject(v any, at *path, what string) (*object, *Error) {
	o, ok := v.(*object)
	if !ok {
		return nil, errorAt(at, fmt.Sprintf("%s must be a JSON object, got %s", what, kindOf(v)))
	}
	return o, nil
}

// typeName returns the string value of the "type" member of o.
func typeName(o *object, at *path) (string, *Error) {
	v, ok := o.get("type")
	if !ok {
		return "", errorAt(at, `missing member "type"`)
	}
	s, ok := v.(string)
	if !ok {
		return "", errorAt(at.key("type"), fmt.Sprintf(`member "type" must be a string, got %s`, kindOf(v)))
	}
	return s, nil
}

// rejectMembers reports the first of names present in o. RFC 7946 §7.1
// reserves them for other GeoJSON types: a Feature must not have
// "coordinates", "geometries" or "features", a geometry must not have
// "geometry", "properties" or "features", a FeatureCollection must not have
// "coordinates", "geometries", "geometry" or "properties".
func rejectMembers(o *object, at *path, what string, names ...string) *Error {
	for _, m := range o.members {
		for _, n := range names {
			if m.key == n {
				return errorAt(at.key(n), fmt.Sprintf("%s must not have a %q member", what, n))
			}
		}
	}
	return nil
}

// checkBBox validates an optional "bbox" member: 4 or 6 finite numbers.
// Its consistency with the geometry is not checked; PostGIS recomputes it.
func checkBBox(o *object, at *path) *Error {
	v, ok := o.get("bbox")
	if !ok {
		return nil
	}
	at = at.key("bbox")
	a, ok := v.([]any)
	if !ok || (len(a) != 4 && len(a) != 6) {
		return errorAt(at, "bbox must be an array of 4 or 6 numbers")
	}
	for i, e := range a {
		if _, err := finite(e, at.at(i)); err != nil {
			return err
		}
	}
	return nil
}

// finite returns the JSON number v as a finite float64. Numbers that
// overflow float64 (1e999) are not finite; numbers that underflow (1e-999)
// round to zero and are accepted. The decoder has already checked the
// number syntax, so ParseFloat fails only on range.
func finite(v any, at *path) (float64, *Error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errorAt(at, fmt.Sprintf("coordinate must be a number, got %s", kindOf(v)))
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errorAt(at, "coordinate is not a finite number")
	}
	return f, nil
}
