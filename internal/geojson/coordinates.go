package geojson

import (
	"fmt"
	"strconv"

	"github.com/paulmach/orb"
)

// position decodes one position: 2 or 3 finite numbers, longitude and
// latitude (or easting and northing) and an optional elevation that is
// checked and then dropped. It returns the elevation so that ring closure
// compares all the numbers given.
func (d *geometryDecoder) position(v any, at *path) (orb.Point, elevation, *Error) {
	a, ok := v.([]any)
	if !ok {
		return orb.Point{}, elevation{}, errorAt(at, fmt.Sprintf("a position must be an array of 2 or 3 numbers, got %s", kindOf(v)))
	}
	switch {
	case len(a) < 2:
		return orb.Point{}, elevation{}, errorAt(at, fmt.Sprintf("a position needs 2 numbers (longitude, latitude), got %d", len(a)))
	case len(a) > 3:
		return orb.Point{}, elevation{}, errorAt(at, fmt.Sprintf("a position has at most 3 numbers (longitude, latitude, elevation), got %d", len(a)))
	}
	d.count++
	if limit := d.opts.maxCoordinates(); limit > 0 && d.count > limit {
		return orb.Point{}, elevation{}, errorAt(at, fmt.Sprintf("too many positions: at most %d are accepted per feature", limit))
	}
	var xyz [3]float64
	for i, e := range a {
		f, err := finite(e, at.at(i))
		if err != nil {
			return orb.Point{}, elevation{}, err
		}
		xyz[i] = f
	}
	if d.opts.GeographicRange && d.frame.geographic {
		if xyz[0] < -180 || xyz[0] > 180 {
			return orb.Point{}, elevation{}, errorAt(at.at(0), fmt.Sprintf("longitude %s is out of range [-180, 180]", number(xyz[0])))
		}
		if xyz[1] < -90 || xyz[1] > 90 {
			return orb.Point{}, elevation{}, errorAt(at.at(1), fmt.Sprintf("latitude %s is out of range [-90, 90]", number(xyz[1])))
		}
	}
	return orb.Point{xyz[0], xyz[1]}, elevation{xyz[2], len(a) == 3}, nil
}

func number(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// positions decodes an array of at least min positions; a shorter array is
// an empty geometry (min is 1 for MultiPoint and LineString coordinates, 0
// where the caller reports the length itself).
func (d *geometryDecoder) positions(v any, at *path, min int) ([]orb.Point, *Error) {
	a, err := asArray(v, at, "positions")
	if err != nil {
		return nil, err
	}
	if len(a) < min {
		return nil, errorAt(at, "empty geometry")
	}
	out := make([]orb.Point, len(a))
	for i, e := range a {
		p, _, err := d.position(e, at.at(i))
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// ring decodes a linear ring: at least 4 positions, the first and the last
// identical in every number given (RFC 7946 §3.1.6). Orientation is not
// checked.
func (d *geometryDecoder) ring(v any, at *path) (orb.Ring, *Error) {
	a, err := asArray(v, at, "positions")
	if err != nil {
		return nil, err
	}
	out := make(orb.Ring, len(a))
	var firstZ, lastZ elevation
	for i, e := range a {
		p, z, err := d.position(e, at.at(i))
		if err != nil {
			return nil, err
		}
		out[i] = p
		if i == 0 {
			firstZ = z
		}
		lastZ = z
	}
	// Positions are decoded first so that a missing nesting level is
	// reported as a bad position, not as a short ring.
	if len(out) < 4 {
		return nil, errorAt(at, "a polygon ring needs at least 4 positions")
	}
	if out[0] != out[len(out)-1] || firstZ != lastZ {
		return nil, errorAt(at, "polygon ring is not closed: first and last positions differ")
	}
	return out, nil
}

// elevation is the optional third number of a position.
type elevation struct {
	z   float64
	has bool
}
