package crs

import (
	"fmt"
	"strconv"

	"github.com/paulmach/orb"
)

// Bounds is a rectangle in a CRS's own coordinates: x is the easting or the
// longitude, y the northing or the latitude.
type Bounds struct{ MinX, MinY, MaxX, MaxY float64 }

// Contains reports whether x, y lies inside b (edges included); NaN never does.
func (b Bounds) Contains(x, y float64) bool {
	return x >= b.MinX && x <= b.MaxX && y >= b.MinY && y <= b.MaxY
}

// Sanity limits of the area of use. They are deliberately generous: they catch
// coordinates that cannot be in the claimed CRS (degrees sent as
// EPSG:4546, a zone-prefixed easting sent as an unprefixed zone, metres sent
// as degrees), not data that strays a little beyond a zone's edge.
const (
	// metresPerDegree bounds the easting span of one degree of longitude on
	// the equator, with the transverse Mercator stretch 6° off the central
	// meridian (111,320 m × 1.0018 ≈ 111,520 m; rounded up).
	metresPerDegree = 111_600
	// gkMinNorthing and gkMaxNorthing are the northings of 2°N and 55°N (the
	// meridian arc on the CGCS2000 ellipsoid), the China rectangle of
	// zones.go widened by one degree.
	gkMinNorthing = 221_000
	gkMaxNorthing = 6_098_000
	// utmMaxNorthing is 84°N, the north limit of UTM (9,329,005 m; rounded
	// up); utmMinNorthingSouth is 80°S (10,000,000 − 8,881,586 m; rounded
	// down).
	utmMaxNorthing      = 9_330_000
	utmMinNorthingSouth = 1_118_000
	utmFalseNorthing    = 10_000_000
	// webMercatorMax is the half-width of the EPSG:3857 square (π·6,378,137 m).
	webMercatorMax = 20_037_508.342789244
)

// AreaOfUse returns the rectangle, in c's own coordinates, inside which every
// coordinate that truly is in c lies: longitude and latitude in range for the
// geographic systems; for a Gauss–Krüger or UTM zone, the zone's strip widened
// by half a zone on either side (the zone's false easting, with the zone
// prefix where the CRS has one, ± 1.5 zone widths of longitude at the
// equator) and, for the Chinese Gauss–Krüger zones, 2°N–55°N; the whole square
// for Web Mercator.
func (c CRS) AreaOfUse() Bounds {
	fe := 500_000.0
	half := 0.0 // degrees of longitude from the central meridian
	switch c.kind {
	case kindCRS84, kindEPSG4326, kindCGCS2000, kindGCJ02:
		return Bounds{-180, -90, 180, 90}
	case kindWebMercator:
		return Bounds{-webMercatorMax, -webMercatorMax, webMercatorMax, webMercatorMax}
	case kindGK3:
		half = 3
	case kindGK3Prefixed:
		half = 3
		cm, _ := c.CentralMeridian()
		fe += 1e6 * (cm / 3)
	case kindGK6:
		half = 6
	case kindGK6Prefixed:
		half = 6
		cm, _ := c.CentralMeridian()
		fe += 1e6 * ((cm + 3) / 6)
	case kindUTMNorth:
		return Bounds{fe - 6*metresPerDegree, 0, fe + 6*metresPerDegree, utmMaxNorthing}
	case kindUTMSouth:
		return Bounds{fe - 6*metresPerDegree, utmMinNorthingSouth, fe + 6*metresPerDegree, utmFalseNorthing}
	default:
		return Bounds{}
	}
	return Bounds{fe - half*metresPerDegree, gkMinNorthing, fe + half*metresPerDegree, gkMaxNorthing}
}

// AreaError says that a coordinate lies outside the area of use of the CRS it
// was declared in: the coordinates are almost certainly in another CRS.
type AreaError struct {
	CRS   CRS
	Point orb.Point
	Area  Bounds
}

func (e *AreaError) Error() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return fmt.Sprintf("the coordinate (%s, %s) lies outside the area of use of %s (x %s…%s, y %s…%s): are the coordinates in another CRS?",
		f(e.Point[0]), f(e.Point[1]), e.CRS, f(e.Area.MinX), f(e.Area.MaxX), f(e.Area.MinY), f(e.Area.MaxY))
}

// CheckGeometry returns an *AreaError for the first coordinate of g outside
// c's AreaOfUse, or nil when every coordinate lies inside.
func CheckGeometry(c CRS, g orb.Geometry) error {
	area := c.AreaOfUse()
	var bad *orb.Point
	eachPoint(g, func(p orb.Point) bool {
		if !area.Contains(p[0], p[1]) {
			bad = &p
			return false
		}
		return true
	})
	if bad != nil {
		return &AreaError{CRS: c, Point: *bad, Area: area}
	}
	return nil
}

// eachPoint calls fn with every position of g in document order until fn
// returns false.
func eachPoint(g orb.Geometry, fn func(orb.Point) bool) bool {
	switch g := g.(type) {
	case orb.Point:
		return fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			if !fn(p) {
				return false
			}
		}
	case orb.LineString:
		return eachPoint(orb.MultiPoint(g), fn)
	case orb.Ring:
		return eachPoint(orb.MultiPoint(g), fn)
	case orb.MultiLineString:
		for _, l := range g {
			if !eachPoint(l, fn) {
				return false
			}
		}
	case orb.Polygon:
		for _, r := range g {
			if !eachPoint(r, fn) {
				return false
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			if !eachPoint(p, fn) {
				return false
			}
		}
	case orb.Collection:
		for _, x := range g {
			if !eachPoint(x, fn) {
				return false
			}
		}
	}
	return true
}
