package importer

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// fitGeometry returns g as the layer's geometry type: a Polygon is promoted to a
// MultiPolygon, and a multi-geometry of one part is reduced to that part for Point and
// LineString layers. Anything else is an error naming both types.
func fitGeometry(g orb.Geometry, l *layers.Layer) (orb.Geometry, error) {
	layerType := l.GeomType
	if g == nil {
		return nil, fmt.Errorf("the feature has no geometry")
	}
	if err := finite(g); err != nil {
		return nil, err
	}
	switch layerType {
	case "MultiPolygon":
		switch x := g.(type) {
		case orb.Polygon:
			return orb.MultiPolygon{x}, nil
		case orb.MultiPolygon:
			return x, nil
		}
	case "Point":
		switch x := g.(type) {
		case orb.Point:
			return x, nil
		case orb.MultiPoint:
			if len(x) == 1 {
				return x[0], nil
			}
		}
	case "LineString":
		switch x := g.(type) {
		case orb.LineString:
			return x, nil
		case orb.MultiLineString:
			if len(x) == 1 {
				return x[0], nil
			}
		}
	}
	// Refused in the layers API's words.
	if err := featurewrite.CheckGeometryType(l, g); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("geometry type %s does not fit the layer's type %s", g.GeoJSONType(), layerType)
}

func finite(g orb.Geometry) error {
	bad := false
	visit(g, func(p *orb.Point) {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			bad = true
		}
	})
	if bad {
		return fmt.Errorf("the geometry has a coordinate that is not a finite number")
	}
	return nil
}

// visit calls fn with a pointer to every position of g, so fn may rewrite it.
func visit(g orb.Geometry, fn func(*orb.Point)) {
	switch x := g.(type) {
	case orb.Point:
		// Points are values; callers handle them through the returned geometry.
		p := x
		fn(&p)
	case orb.MultiPoint:
		for i := range x {
			fn(&x[i])
		}
	case orb.LineString:
		for i := range x {
			fn(&x[i])
		}
	case orb.MultiLineString:
		for _, l := range x {
			visit(l, fn)
		}
	case orb.Ring:
		for i := range x {
			fn(&x[i])
		}
	case orb.Polygon:
		for _, r := range x {
			visit(r, fn)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			visit(p, fn)
		}
	case orb.Collection:
		for _, c := range x {
			visit(c, fn)
		}
	}
}

// fromGCJ02 converts g from GCJ-02 to WGS 84 in place and returns it.
func fromGCJ02(g orb.Geometry) orb.Geometry {
	if p, ok := g.(orb.Point); ok {
		lon, lat := crs.GCJ02ToWGS84(p[0], p[1])
		return orb.Point{lon, lat}
	}
	visit(g, func(p *orb.Point) { p[0], p[1] = crs.GCJ02ToWGS84(p[0], p[1]) })
	return g
}
